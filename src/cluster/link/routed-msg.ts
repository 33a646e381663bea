/**
 * The RMSG/HMSG line routes and gateways send (Go client.go
 * msgHeaderForRouteOrLeaf, gateway.go sendMsgToGateways), written straight
 * into the link's output slab: it echoes the subject, reply and size bytes
 * of the producer's control line; payloads are copied, or queued by
 * reference when large.
 */
import type { PubArg } from '../../protocol/parser.js';
import { BY_REF_THRESHOLD, type Outbound } from '../../conn/outbound.js';
import { copyBytes, writeLatin1, writeUint } from '../../util/bytes.js';
import { writeMappedReplyAndQueues, writeReplyAndQueues } from '../../protocol/encode.js';

/**
 * Queue one routed message; returns the payload bytes sent. `account` ''
 * leaves the account out (a pinned-account route); a non-null `mreply`
 * replaces the producer's reply (a gateway's mapped `_GR_.` reply).
 */
export function encodeRoutedMsg(
  out: Outbound, account: string, pa: PubArg, buf: Buffer, s: number, e: number,
  queues: string[], nq: number, mreply: string | null, headers: boolean,
): number {
  const pb = pa.buf;
  const hasHdr = pa.hdr > 0;
  const withHdr = hasHdr && headers;
  const ps = hasHdr && !withHdr ? s + pa.hdr : s;
  const plen = e - ps;
  const replyLen = mreply !== null ? mreply.length : pa.replyStart >= 0 ? pa.replyEnd - pa.replyStart : -1;
  let qlen = 0;
  for (let k = 0; k < nq; k++) qlen += queues[k].length + 1;
  const lineMax = 5 + account.length + 1 + (pa.subjectEnd - pa.subjectStart) + 1 + (replyLen >= 0 ? replyLen + 3 : 0) + 2 + qlen + 24 + 2;
  const byRef = plen >= BY_REF_THRESHOLD;
  let p = out.reserve(byRef ? lineMax : lineMax + plen + 2);
  const d = out.slab;
  d[p++] = withHdr ? 0x48 : 0x52; // H or R
  d[p++] = 0x4d; d[p++] = 0x53; d[p++] = 0x47; d[p++] = 0x20; // "MSG "
  if (account !== '') {
    p = writeLatin1(d, account, p);
    d[p++] = 0x20;
  }
  p = copyBytes(pb, pa.subjectStart, pa.subjectEnd, d, p);
  d[p++] = 0x20;
  p = mreply === null ? writeReplyAndQueues(d, p, pa, queues, nq) : writeMappedReplyAndQueues(d, p, mreply, queues, nq);
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
