/**
 * Gateway message encoding (Go gateway.go sendMsgToGateways): the RMSG/HMSG
 * line echoes the producer's subject and size bytes like a routed message;
 * the reply is either the producer's bytes or the mapped `_GR_.` reply.
 */
import type { PubArg } from '../../protocol/parser.js';
import { BY_REF_THRESHOLD, type Outbound } from '../../conn/outbound.js';
import { copyBytes, writeLatin1, writeUint } from '../../util/bytes.js';
import { deliverSuffixLen, writeDeliverSuffix } from '../../protocol/deliver-suffix.js';

/** Queue one message for a gateway; returns the payload bytes sent. */
export function encodeGatewayMsg(
  out: Outbound, account: string, pa: PubArg, buf: Buffer, s: number, e: number,
  queues: string[], nq: number, mreply: string | null, headers: boolean,
): number {
  const pb = pa.buf;
  const hasHdr = pa.hdr > 0;
  const withHdr = hasHdr && headers;
  const ps = hasHdr && !withHdr ? s + pa.hdr : s;
  const plen = e - ps;
  const hasReply = mreply !== null || pa.replyStart >= 0;
  const replyLen = mreply !== null ? mreply.length : pa.replyStart >= 0 ? pa.replyEnd - pa.replyStart : 0;
  let qlen = 0;
  for (let k = 0; k < nq; k++) qlen += queues[k].length + 1;
  // A JetStream delivery goes on its deliver subject, the subject it shows after the ack reply (Go sendMsgToGateways).
  const sfx = deliverSuffixLen(pa);
  const subjLen = pa.shown === null ? pa.subjectEnd - pa.subjectStart : pa.subject.length;
  const lineMax = 5 + account.length + 1 + subjLen + 1 + replyLen + sfx + 3 + 2 + qlen + 24 + 2;
  const byRef = plen >= BY_REF_THRESHOLD;
  let p = out.reserve(byRef ? lineMax : lineMax + plen + 2);
  const d = out.slab;
  d[p++] = withHdr ? 0x48 : 0x52; // H or R
  d[p++] = 0x4d; d[p++] = 0x53; d[p++] = 0x47; d[p++] = 0x20; // "MSG "
  p = writeLatin1(d, account, p);
  d[p++] = 0x20;
  p = pa.shown === null ? copyBytes(pb, pa.subjectStart, pa.subjectEnd, d, p) : writeLatin1(d, pa.subject, p);
  d[p++] = 0x20;
  if (nq > 0) {
    d[p++] = hasReply ? 0x2b : 0x7c; // '+' reply follows, '|' queues only
    d[p++] = 0x20;
  }
  if (hasReply) {
    p = mreply !== null ? writeLatin1(d, mreply, p) : copyBytes(pb, pa.replyStart, pa.replyEnd, d, p);
    if (sfx > 0) p = writeDeliverSuffix(d, p, pa);
    d[p++] = 0x20;
  }
  for (let k = 0; k < nq; k++) {
    p = writeLatin1(d, queues[k], p);
    d[p++] = 0x20;
  }
  if (withHdr) {
    p = copyBytes(pb, pa.hdrStart, pa.hdrEnd, d, p);
    d[p++] = 0x20;
    p = copyBytes(pb, pa.sizeStart, pa.sizeEnd, d, p);
  } else if (hasHdr) {
    p = writeUint(d, plen, p);
  } else {
    p = copyBytes(pb, pa.sizeStart, pa.sizeEnd, d, p);
  }
  d[p++] = 13; d[p++] = 10;
  out.commitMsg(p, buf, ps, e);
  return plen;
}
