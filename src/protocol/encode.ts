/**
 * Pieces of the server-to-server message lines shared by routes and leaf
 * nodes (Go client.go msgHeaderForRouteOrLeaf).
 */
import type { PubArg } from './parser.js';
import { copyBytes, writeLatin1 } from '../util/bytes.js';
import { writeDeliverSuffix } from './deliver-suffix.js';

/**
 * Write the reply and queue part of an RMSG/LMSG line at d[p], each item
 * followed by a space: `+ <reply> <q...> ` when the message goes to queue
 * groups and has a reply, `| <q...> ` for queue groups without one, `<reply> `
 * for a reply alone, nothing otherwise; `deliverSuffix` appends `@<shown
 * subject>` to the reply (see deliver-suffix.ts). Returns the position after it.
 */
export function writeReplyAndQueues(d: Buffer, p: number, pa: PubArg, queues: string[], nq: number, deliverSuffix = false): number {
  const hasReply = pa.replyStart >= 0;
  if (nq > 0) {
    if (hasReply) {
      d[p++] = 0x2b; // +
      d[p++] = 0x20;
      p = copyBytes(pa.buf, pa.replyStart, pa.replyEnd, d, p);
      if (deliverSuffix) p = writeDeliverSuffix(d, p, pa);
      d[p++] = 0x20;
    } else {
      d[p++] = 0x7c; // |
      d[p++] = 0x20;
    }
    for (let k = 0; k < nq; k++) {
      p = writeLatin1(d, queues[k], p);
      d[p++] = 0x20;
    }
  } else if (hasReply) {
    p = copyBytes(pa.buf, pa.replyStart, pa.replyEnd, d, p);
    if (deliverSuffix) p = writeDeliverSuffix(d, p, pa);
    d[p++] = 0x20;
  }
  return p;
}

/**
 * As writeReplyAndQueues, with `reply` (a gateway's mapped reply) in place
 * of the producer's: `+ <reply> <q...> ` or `<reply> ` (with a JetStream
 * delivery's `@<subject>` after it when `suffixOf` is given).
 */
export function writeMappedReplyAndQueues(d: Buffer, p: number, reply: string, queues: string[], nq: number, suffixOf: PubArg | null = null): number {
  if (nq > 0) {
    d[p++] = 0x2b; // +
    d[p++] = 0x20;
  }
  p = writeLatin1(d, reply, p);
  if (suffixOf !== null) p = writeDeliverSuffix(d, p, suffixOf);
  d[p++] = 0x20;
  for (let k = 0; k < nq; k++) {
    p = writeLatin1(d, queues[k], p);
    d[p++] = 0x20;
  }
  return p;
}
