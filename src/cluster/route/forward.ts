/**
 * Routed message encoding (Go client.go msgHeaderForRouteOrLeaf): the
 * RMSG/HMSG line is written straight into the route's output slab, echoing
 * the subject, reply and size bytes of the producer's control line; payloads
 * are copied, or queued by reference when large.
 */
import type { PubArg } from '../../protocol/parser.js';
import { BY_REF_THRESHOLD, type Outbound } from '../../conn/outbound.js';
import { copyBytes, writeLatin1, writeUint } from '../../util/bytes.js';
import { writeReplyAndQueues } from '../../protocol/encode.js';
import { deliverSuffixLen } from '../../protocol/deliver-suffix.js';

/** Queue one routed message; returns the payload bytes sent. */
export function encodeRouted(
  out: Outbound, account: string, pa: PubArg, buf: Buffer, s: number, e: number,
  queues: string[], nq: number, headers: boolean, origin = '',
): number {
  const pb = pa.buf;
  const hasHdr = pa.hdr > 0;
  // a leaf cluster's message to a route that understands it (Go lnoc): LMSG <origin> ..., header size always written
  const lmsg = origin !== '';
  const withHdr = hasHdr && (headers || lmsg);
  const ps = hasHdr && !withHdr ? s + pa.hdr : s;
  const plen = e - ps;
  const replyLen = pa.replyStart >= 0 ? pa.replyEnd - pa.replyStart : -1;
  let qlen = 0;
  for (let k = 0; k < nq; k++) qlen += queues[k].length + 1;
  // A JetStream delivery goes on its deliver subject; the subject it shows rides after the ack reply (Go msgHeaderForRouteOrLeaf).
  const sfx = deliverSuffixLen(pa);
  const subjLen = pa.shown === null ? pa.subjectEnd - pa.subjectStart : pa.subject.length;
  const lineMax = (lmsg ? origin.length + 3 : 0) + 5 + account.length + 1 + subjLen + 1 + (replyLen >= 0 ? replyLen + sfx + 3 : 0) + 2 + qlen + 24 + 2;
  const byRef = plen >= BY_REF_THRESHOLD;
  let p = out.reserve(byRef ? lineMax : lineMax + plen + 2);
  const d = out.slab;
  if (lmsg) d[p++] = 0x4c; // L
  else if (withHdr) d[p++] = 0x48; // H
  else d[p++] = 0x52; // R
  d[p++] = 0x4d; d[p++] = 0x53; d[p++] = 0x47; d[p++] = 0x20; // "MSG "
  if (lmsg) {
    p = writeLatin1(d, origin, p);
    d[p++] = 0x20;
  }
  if (account !== '') {
    // a pinned-account route's RMSG names no account (Go msgHeaderForRouteOrLeaf)
    p = writeLatin1(d, account, p);
    d[p++] = 0x20;
  }
  p = pa.shown === null ? copyBytes(pb, pa.subjectStart, pa.subjectEnd, d, p) : writeLatin1(d, pa.subject, p);
  d[p++] = 0x20;
  p = writeReplyAndQueues(d, p, pa, queues, nq, sfx > 0);
  if (withHdr) {
    p = copyBytes(pb, pa.hdrStart, pa.hdrEnd, d, p);
    d[p++] = 0x20;
    p = copyBytes(pb, pa.sizeStart, pa.sizeEnd, d, p);
  } else if (hasHdr) {
    p = writeUint(d, plen, p);
  } else if (lmsg) {
    d[p++] = 0x30; // "0": no header block
    d[p++] = 0x20;
    p = copyBytes(pb, pa.sizeStart, pa.sizeEnd, d, p);
  } else {
    p = copyBytes(pb, pa.sizeStart, pa.sizeEnd, d, p);
  }
  d[p++] = 13; d[p++] = 10;
  out.commitMsg(p, buf, ps, e);
  return plen;
}
