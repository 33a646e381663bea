/**
 * The on-disk record of the file store. Every record is
 *
 *   u32 length (whole record) | u32 crc32 (of everything after it) | u8 kind | body
 *
 * kind MSG:    f64 seq | f64 ts ns | f64 ttl expiry ns (0 = none) | u16 subject len | u32 header len | subject | header | payload
 * kind DELETE: f64 seq   (the message with this sequence is gone)
 *
 * A record whose length runs past the end of the file, or whose checksum does
 * not match, marks the end of the usable data in that block.
 */
import { crc32 } from 'node:zlib';

export const REC_MSG = 1;
export const REC_DELETE = 2;
const HDR = 9; // len + crc + kind
const MSG_FIXED = HDR + 8 + 8 + 8 + 2 + 4;
export const DELETE_LEN = HDR + 8;

export function encodeMsg(seq: number, ts: number, expires: number, subj: string, hdr: Buffer | null, msg: Buffer): Buffer {
  const hl = hdr === null ? 0 : hdr.length;
  const sl = Buffer.byteLength(subj, 'latin1');
  const len = MSG_FIXED + sl + hl + msg.length;
  const b = Buffer.allocUnsafe(len);
  b.writeUInt32LE(len, 0);
  b[8] = REC_MSG;
  b.writeDoubleLE(seq, 9);
  b.writeDoubleLE(ts, 17);
  b.writeDoubleLE(expires, 25);
  b.writeUInt16LE(sl, 33);
  b.writeUInt32LE(hl, 35);
  let p = MSG_FIXED;
  p += b.latin1Write(subj, p);
  if (hl > 0) p += hdr!.copy(b, p);
  msg.copy(b, p);
  b.writeUInt32LE(crc32(b.subarray(8)), 4);
  return b;
}

/** Offsets of the header block and payload inside an encoded MSG record. */
export function msgViews(rec: Buffer, subjLen: number, hdrLen: number): [Buffer | null, Buffer] {
  const hs = MSG_FIXED + subjLen;
  return [hdrLen > 0 ? rec.subarray(hs, hs + hdrLen) : null, rec.subarray(hs + hdrLen)];
}

export function encodeDelete(seq: number): Buffer {
  const b = Buffer.allocUnsafe(DELETE_LEN);
  b.writeUInt32LE(DELETE_LEN, 0);
  b[8] = REC_DELETE;
  b.writeDoubleLE(seq, 9);
  b.writeUInt32LE(crc32(b.subarray(8)), 4);
  return b;
}

export interface DecodedMsg {
  kind: typeof REC_MSG;
  seq: number;
  ts: number;
  expires: number;
  subj: string;
  hdr: Buffer | null;
  msg: Buffer;
}

export interface DecodedDelete {
  kind: typeof REC_DELETE;
  seq: number;
}

export type Decoded = DecodedMsg | DecodedDelete;

/**
 * Decode the record at `off`. Returns [record, length] or null when the bytes
 * there are not a whole valid record (torn write or corruption).
 */
export function decodeAt(buf: Buffer, off: number): [Decoded, number] | null {
  if (off + HDR > buf.length) return null;
  const len = buf.readUInt32LE(off);
  if (len < HDR + 8 || off + len > buf.length) return null;
  const rec = buf.subarray(off, off + len);
  if (crc32(rec.subarray(8)) !== rec.readUInt32LE(4)) return null;
  const kind = rec[8];
  const seq = rec.readDoubleLE(9);
  if (kind === REC_DELETE) return len === DELETE_LEN ? [{ kind: REC_DELETE, seq }, len] : null;
  if (kind !== REC_MSG || len < MSG_FIXED) return null;
  const sl = rec.readUInt16LE(33);
  const hl = rec.readUInt32LE(35);
  if (MSG_FIXED + sl + hl > len) return null;
  const subj = rec.latin1Slice(MSG_FIXED, MSG_FIXED + sl);
  const hs = MSG_FIXED + sl;
  // Copies: the caller's block buffer is transient.
  const hdr = hl > 0 ? Buffer.from(rec.subarray(hs, hs + hl)) : null;
  const msg = Buffer.from(rec.subarray(hs + hl, len));
  return [{ kind: REC_MSG, seq, ts: rec.readDoubleLE(17), expires: rec.readDoubleLE(25), subj, hdr, msg }, len];
}
