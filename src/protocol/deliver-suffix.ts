/**
 * JetStream deliveries between servers (Go client.go jsAckDeliverIdx,
 * processMsgResults, sendMsgToGateways): a delivery is routed on its deliver
 * subject (a push consumer's subject, a pull request's inbox) but shown to
 * the client under the stored message's subject. Over a route or gateway the
 * message travels on the deliver subject and the shown subject rides at the
 * end of the `$JS.ACK.` reply as `<ack reply>@<subject>`; the receiving
 * server takes it off again before delivering.
 */
import type { PubArg } from './parser.js';
import { rewriteControlLine } from './control-line.js';
import { writeLatin1 } from '../util/bytes.js';

/** `$JS.ACK.` */
const ACK = [0x24, 0x4a, 0x53, 0x2e, 0x41, 0x43, 0x4b, 0x2e];
/** Length of `_GR_.<cluster hash>.<server hash>.` (Go gwSubjectOffset). */
const GW_OFFSET = 19;

function isAck(b: Buffer, s: number, e: number): boolean {
  if (e - s <= ACK.length) return false;
  for (let k = 0; k < ACK.length; k++) if (b[s + k] !== ACK[k]) return false;
  return true;
}

/** Go jsAckDeliverIdx: index of the `@` after the eight dots of a `$JS.ACK.` reply in b[s, e), or -1. */
export function jsAckDeliverIdx(b: Buffer, s: number, e: number): number {
  if (!isAck(b, s, e)) return -1;
  let dots = 0;
  for (let k = s; k < e; k++) {
    const c = b[k];
    if (c === 0x2e) dots++;
    else if (c === 0x40 && dots >= 8) return k;
  }
  return -1;
}

/** Start of the reply past a `_GR_.` prefix, if any. */
function plainReplyStart(pa: PubArg): number {
  const b = pa.buf;
  const rs = pa.replyStart;
  if (pa.replyEnd - rs > GW_OFFSET && b[rs] === 0x5f && b[rs + 1] === 0x47 && b[rs + 2] === 0x52 && b[rs + 3] === 0x5f && b[rs + 4] === 0x2e) return rs + GW_OFFSET;
  return rs;
}

/**
 * Bytes `writeDeliverSuffix` adds after the reply of a message leaving for a
 * route or gateway: `@<shown subject>` for a JetStream delivery with an ack
 * reply that does not carry one yet; 0 otherwise.
 */
export function deliverSuffixLen(pa: PubArg): number {
  if (pa.shown === null || pa.replyStart < 0) return 0;
  const rs = plainReplyStart(pa);
  if (!isAck(pa.buf, rs, pa.replyEnd) || jsAckDeliverIdx(pa.buf, rs, pa.replyEnd) >= 0) return 0;
  return 1 + pa.shown.length;
}

export function writeDeliverSuffix(d: Buffer, p: number, pa: PubArg): number {
  d[p++] = 0x40;
  return writeLatin1(d, pa.shown!, p);
}

/**
 * Receiving side (Go processMsgResults): when the reply ends in
 * `@<subject>`, rewrite the control line into `line` so clients are shown
 * `<subject>` with the reply before the `@`, keep routing on pa.subject and
 * set pa.shown. Returns the scratch line used (grown if needed), or null when
 * the message carries no deliver subject.
 */
export function takeDeliverSuffix(pa: PubArg, line: Buffer): Buffer | null {
  if (pa.replyStart < 0) return null;
  const ob = pa.buf;
  const at = jsAckDeliverIdx(ob, plainReplyStart(pa), pa.replyEnd);
  if (at < 0 || at === pa.replyEnd - 1) return null;
  const shown = ob.latin1Slice(at + 1, pa.replyEnd);
  // `<shown> <reply before the @>[ <hdr size>] <size>`
  line = rewriteControlLine(pa, line, shown, pa.replyStart, at);
  pa.replyInBuf();
  pa.shown = shown;
  return line;
}
