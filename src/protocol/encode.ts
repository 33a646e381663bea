/**
 * Pieces of the server-to-server message lines shared by routes and leaf
 * nodes (Go client.go msgHeaderForRouteOrLeaf).
 */
import type { PubArg } from './parser.js';
import { copyBytes, writeLatin1 } from '../util/bytes.js';

/**
 * Write the reply and queue part of an RMSG/LMSG line at d[p], each item
 * followed by a space: `+ <reply> <q...> ` when the message goes to queue
 * groups and has a reply, `| <q...> ` for queue groups without one, `<reply> `
 * for a reply alone, nothing otherwise. A non-null `mreply` (a gateway's
 * mapped reply) is written instead of the producer's. Returns the position after it.
 */
export function writeReplyAndQueues(d: Buffer, p: number, pa: PubArg, queues: string[], nq: number, mreply: string | null = null): number {
  const hasReply = mreply !== null || pa.replyStart >= 0;
  if (nq > 0) {
    if (hasReply) {
      d[p++] = 0x2b; // +
      d[p++] = 0x20;
      p = writeReply(d, p, pa, mreply);
    } else {
      d[p++] = 0x7c; // |
      d[p++] = 0x20;
    }
    for (let k = 0; k < nq; k++) {
      p = writeLatin1(d, queues[k], p);
      d[p++] = 0x20;
    }
  } else if (hasReply) {
    p = writeReply(d, p, pa, mreply);
  }
  return p;
}

/** `<reply> `: the mapped reply when given, else the producer's reply bytes. */
function writeReply(d: Buffer, p: number, pa: PubArg, mreply: string | null): number {
  p = mreply !== null ? writeLatin1(d, mreply, p) : copyBytes(pa.buf, pa.replyStart, pa.replyEnd, d, p);
  d[p++] = 0x20;
  return p;
}
