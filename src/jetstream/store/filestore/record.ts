/**
 * The binary record written to block files. All integers are little endian.
 *
 *   off  size
 *   0    u32   length of the whole record (low 29 bits) | flags (high 3 bits)
 *   4    f64   sequence
 *   12   f64   timestamp, ns since the epoch
 *   20   u16   subject length (sl)
 *   22   sl    subject (latin1)
 *   ..   u32   header length (hl)      } only when FLAG_HDR is set
 *   ..   hl    NATS/1.0 header block   }
 *   ..   ...   payload (the rest)
 *   -8   u32   per-message TTL in seconds (0 = none)
 *   -4   u32   CRC-32 (IEEE) of every byte before it
 *
 * The length therefore equals `fileStoreMsgSize()` of the message, so the
 * bytes a stream reports are exactly the bytes its records take on disk.
 *
 * A tombstone (FLAG_TOMB) is a 30-byte record with an empty subject and
 * payload: "sequence N is gone" (a removal, or a skipped sequence when N is
 * beyond the last one). An erased message is rewritten in place with its
 * header and payload zeroed and FLAG_ERASED set; it reads back as deleted.
 */
import { crc32 as zcrc32 } from 'node:zlib';

export const FLAG_HDR = 0x80000000;
export const FLAG_TOMB = 0x40000000;
export const FLAG_ERASED = 0x20000000;
export const LEN_MASK = 0x1fffffff;
/** Largest record the layout can describe (512 MiB). */
export const MAX_RECORD = LEN_MASK;

/** Bytes before the subject. */
export const REC_HEAD = 22;
/** TTL + checksum after the payload. */
export const REC_TRAILER = 8;
/** Smallest possible record: a tombstone. */
export const TOMB_LEN = REC_HEAD + REC_TRAILER;

// ------------------------------------------------------------------ checksum

/** Slicing-by-8 tables: T[k * 256 + b] is the CRC of byte b followed by k zero bytes. */
const T = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
  return t;
})();

/** Below this many bytes the JS loop beats the fixed cost of calling into zlib. */
const NATIVE_CRC_MIN = 192;

/**
 * CRC-32 (IEEE, the zlib.crc32 polynomial) of buf[start, end). Short ranges are
 * computed in JS (identical result, no native call overhead); longer ones by
 * zlib.crc32.
 */
export function crc32(buf: Buffer, start: number, end: number): number {
  if (end - start >= NATIVE_CRC_MIN) return zcrc32(buf.subarray(start, end));
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    c =
      T[1792 + (a & 0xff)] ^
      T[1536 + ((a >>> 8) & 0xff)] ^
      T[1280 + ((a >>> 16) & 0xff)] ^
      T[1024 + (a >>> 24)] ^
      T[768 + buf[i + 4]] ^
      T[512 + buf[i + 5]] ^
      T[256 + buf[i + 6]] ^
      T[buf[i + 7]];
  }
  for (; i < end; i++) c = T[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

// ------------------------------------------------------------------ encode

/** Record length for a message (equals fileStoreMsgSize). */
export function msgRecordLen(subjLen: number, hdrLen: number, msgLen: number): number {
  return REC_HEAD + subjLen + (hdrLen > 0 ? hdrLen + 4 : 0) + msgLen + REC_TRAILER;
}

/** Encode a message record into `buf` at `off`; `len` must be msgRecordLen(...). */
export function writeMsgRecord(
  buf: Buffer,
  off: number,
  len: number,
  seq: number,
  ts: number,
  subj: string,
  hdr: Buffer | null,
  msg: Buffer,
  ttlSec: number,
): void {
  const hl = hdr === null ? 0 : hdr.length;
  buf.writeUInt32LE((len | (hl > 0 ? FLAG_HDR : 0)) >>> 0, off);
  buf.writeDoubleLE(seq, off + 4);
  buf.writeDoubleLE(ts, off + 12);
  buf.writeUInt16LE(subj.length, off + 20);
  let p = off + REC_HEAD;
  const sl = subj.length;
  // Short strings and payloads: a JS loop is cheaper than a native call.
  if (sl <= 48) for (let i = 0; i < sl; i++) buf[p++] = subj.charCodeAt(i);
  else p += buf.latin1Write(subj, p, sl);
  if (hl > 0) {
    buf.writeUInt32LE(hl, p);
    p += 4;
    p += hdr!.copy(buf, p);
  }
  const ml = msg.length;
  if (ml <= 32) for (let i = 0; i < ml; i++) buf[p++] = msg[i];
  else p += msg.copy(buf, p);
  buf.writeUInt32LE(ttlSec, p);
  buf.writeUInt32LE(crc32(buf, off, p + 4), p + 4);
}

/** Encode a tombstone for `seq` at `off` (TOMB_LEN bytes). */
export function writeTombstone(buf: Buffer, off: number, seq: number, ts: number): void {
  buf.writeUInt32LE((TOMB_LEN | FLAG_TOMB) >>> 0, off);
  buf.writeDoubleLE(seq, off + 4);
  buf.writeDoubleLE(ts, off + 12);
  buf.writeUInt16LE(0, off + 20);
  buf.writeUInt32LE(0, off + 22);
  buf.writeUInt32LE(crc32(buf, off, off + 26), off + 26);
}

/**
 * Zero the header and payload of the message record at `off` (in place), mark
 * it erased and fix its checksum. The subject and sequence stay readable.
 */
export function eraseRecordInPlace(buf: Buffer, off: number): void {
  const word = buf.readUInt32LE(off);
  const len = word & LEN_MASK;
  const sl = buf.readUInt16LE(off + 20);
  const bodyStart = off + REC_HEAD + sl;
  const end = off + len - REC_TRAILER;
  buf.fill(0, bodyStart, end);
  // The zeroed header-length field would no longer describe the body: drop the header flag.
  buf.writeUInt32LE(((word & ~FLAG_HDR) | FLAG_ERASED) >>> 0, off);
  buf.writeUInt32LE(0, end);
  buf.writeUInt32LE(crc32(buf, off, end + 4), end + 4);
}

// ------------------------------------------------------------------ decode

/** Fixed fields of a record, filled by `readRecord` (reused, no allocation per record). */
export interface RecordInfo {
  len: number;
  flags: number;
  seq: number;
  ts: number;
  subjLen: number;
  /** offset (absolute in the buffer) and length of the header block, hdrLen 0 = none */
  hdrOff: number;
  hdrLen: number;
  /** offset (absolute) and length of the payload */
  msgOff: number;
  msgLen: number;
  ttl: number;
}

export function newRecordInfo(): RecordInfo {
  return { len: 0, flags: 0, seq: 0, ts: 0, subjLen: 0, hdrOff: 0, hdrLen: 0, msgOff: 0, msgLen: 0, ttl: 0 };
}

/** Why the bytes at an offset are not a whole valid record. */
export type RecordProblem = 'short' | 'length' | 'checksum' | 'layout';

/**
 * Validate and parse the record at `off` within buf[0, end). Returns null on
 * success (filling `out`), or the kind of problem found: 'short' when the
 * bytes simply stop (a torn write), anything else when they are wrong.
 */
export function readRecord(buf: Buffer, off: number, end: number, out: RecordInfo): RecordProblem | null {
  if (off + TOMB_LEN > end) return 'short';
  const word = buf.readUInt32LE(off);
  const len = word & LEN_MASK;
  if (len < TOMB_LEN) return 'length';
  if (off + len > end) return 'short';
  const crcAt = off + len - 4;
  if (crc32(buf, off, crcAt) !== buf.readUInt32LE(crcAt)) return 'checksum';
  const flags = (word & ~LEN_MASK) >>> 0;
  const seq = buf.readDoubleLE(off + 4);
  if (!Number.isSafeInteger(seq) || seq <= 0) return 'layout';
  const sl = buf.readUInt16LE(off + 20);
  let p = off + REC_HEAD + sl;
  const bodyEnd = off + len - REC_TRAILER;
  if (p > bodyEnd) return 'layout';
  let hdrOff = 0;
  let hdrLen = 0;
  if (flags & FLAG_HDR) {
    if (p + 4 > bodyEnd) return 'layout';
    hdrLen = buf.readUInt32LE(p);
    hdrOff = p + 4;
    p = hdrOff + hdrLen;
    if (hdrLen === 0 || p > bodyEnd) return 'layout';
  }
  if (flags & FLAG_TOMB && len !== TOMB_LEN) return 'layout';
  out.len = len;
  out.flags = flags;
  out.seq = seq;
  out.ts = buf.readDoubleLE(off + 12);
  out.subjLen = sl;
  out.hdrOff = hdrOff;
  out.hdrLen = hdrLen;
  out.msgOff = p;
  out.msgLen = bodyEnd - p;
  out.ttl = buf.readUInt32LE(bodyEnd);
  return null;
}
