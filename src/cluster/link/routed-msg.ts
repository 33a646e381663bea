/**
 * The RMSG/HMSG/LMSG line routes and gateways send (Go client.go
 * msgHeaderForRouteOrLeaf, gateway.go sendMsgToGateways), written straight
 * into the link's output slab: it echoes the subject, reply and size bytes
 * of the producer's control line; payloads are copied, or queued by
 * reference when large.
 */
import type { PubArg } from '../../protocol/parser.js';
import { BY_REF_THRESHOLD, type Outbound } from '../../conn/outbound.js';
import { copyBytes, writeLatin1, writeUint } from '../../util/bytes.js';
import { writeMappedReplyAndQueues, writeReplyAndQueues } from '../../protocol/encode.js';
import { deliverSuffixLen } from '../../protocol/deliver-suffix.js';

/**
 * Queue one routed message; returns the payload bytes sent. `account` ''
 * leaves the account out (a pinned-account route); a non-null `mreply`
 * replaces the producer's reply (a gateway's mapped `_GR_.` reply); a
 * non-empty `origin` writes `LMSG <origin> ...` (a leaf cluster's message
 * to a route that announced lnoc; the header size is then always written).
 * A JetStream delivery goes on its deliver subject, and the subject it shows
 * rides after the ack reply.
 */
export function encodeRoutedMsg(
  out: Outbound, account: string, pa: PubArg, buf: Buffer, s: number, e: number,
  queues: string[], nq: number, mreply: string | null, headers: boolean, origin = '',
): number {
  const pb = pa.buf;
  const hasHdr = pa.hdr > 0;
  const lmsg = origin !== '';
  const withHdr = hasHdr && (headers || lmsg);
  const ps = hasHdr && !withHdr ? s + pa.hdr : s;
  const plen = e - ps;
  const replyLen = mreply !== null ? mreply.length : pa.replyStart >= 0 ? pa.replyEnd - pa.replyStart : -1;
  let qlen = 0;
  for (let k = 0; k < nq; k++) qlen += queues[k].length + 1;
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
    p = writeLatin1(d, account, p);
    d[p++] = 0x20;
  }
  p = pa.shown === null ? copyBytes(pb, pa.subjectStart, pa.subjectEnd, d, p) : writeLatin1(d, pa.subject, p);
  d[p++] = 0x20;
  p = mreply === null
    ? writeReplyAndQueues(d, p, pa, queues, nq, sfx > 0)
    : writeMappedReplyAndQueues(d, p, mreply, queues, nq, sfx > 0 ? pa : null);
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
