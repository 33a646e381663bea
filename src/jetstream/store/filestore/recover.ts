/**
 * Reading block files back: list them, read one whole (unpacking a compressed
 * one), walk its records and find where the valid data ends, cut a torn tail
 * off. The store rebuilds its index from the records this hands it.
 *
 * A compressed (sealed) block file is a 16-byte header and one S2/Snappy block
 * (s2.ts) holding the records exactly as an uncompressed file would:
 *
 *   off  size
 *   0    4     magic "S2BK"
 *   4    u8    format version (1)
 *   5    3     reserved, zero
 *   8    u32   uncompressed length
 *   12   u32   CRC-32 (IEEE) of the compressed bytes that follow
 *   16   ...   the compressed block
 *
 * An uncompressed file can never start with the magic: read as a record word
 * it is a tombstone of the wrong length.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, newRecordInfo, readRecord, type RecordInfo, type RecordProblem } from './record.js';
import { compressBlock, decompressBlock } from './s2.js';

const PACKED_MAGIC = 0x4b423253; // "S2BK" read as a little-endian u32
const PACKED_VERSION = 1;
export const PACKED_HEAD = 16;
/** Largest block that is compressed (bigger ones stay as they are; decoding never allocates more). */
export const MAX_PACKED = 64 * 1024 * 1024;

/** Block ids in `msgDir`, ascending. Leftover temp files of interrupted rewrites are removed. */
export function listBlockIds(msgDir: string): number[] {
  const ids: number[] = [];
  for (const f of readdirSync(msgDir)) {
    if (/^\d+\.blk$/.test(f)) ids.push(Number(f.slice(0, -4)));
    else if (f.endsWith('.blk.tmp')) unlinkSync(join(msgDir, f));
  }
  return ids.sort((a, b) => a - b);
}

/** Read `len` bytes (default: the whole file) from the start of `path`. */
export function readFileBytes(path: string, len = -1, capacity = 0): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = len < 0 ? fstatSync(fd).size : len;
    const buf = Buffer.allocUnsafe(Math.max(size, capacity));
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    // A file shorter than expected (changed behind our back): the missing part reads as zeros.
    if (off < size) buf.fill(0, off, size);
    return buf;
  } finally {
    closeSync(fd);
  }
}

export interface ScanResult {
  /** bytes of whole, valid records from the start */
  validLen: number;
  /** what stopped the scan before `end`, null when every byte was a valid record */
  problem: RecordProblem | null;
}

/** Walk the records of buf[0, end), calling `visit` for each valid one, until the end or the first bad record. */
export function scanRecords(buf: Buffer, end: number, visit: (off: number, rec: RecordInfo) => void): ScanResult {
  const rec = newRecordInfo();
  let off = 0;
  while (off < end) {
    const problem = readRecord(buf, off, end, rec);
    if (problem !== null) return { validLen: off, problem };
    visit(off, rec);
    off += rec.len;
  }
  return { validLen: off, problem: null };
}


export function truncateFile(path: string, len: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, len);
  } finally {
    closeSync(fd);
  }
}

/** Whether a block file's bytes are a compressed block (by its magic). */
export function isPacked(file: Buffer): boolean {
  return file.length >= 4 && file.readUInt32LE(0) === PACKED_MAGIC;
}

/**
 * The compressed file form of data[0, len): header plus compressed bytes, or
 * null when compressing would not make it smaller (or it is too large).
 */
export function packBlock(data: Buffer, len: number): Buffer | null {
  if (len === 0 || len > MAX_PACKED) return null;
  const body = compressBlock(len === data.length ? data : data.subarray(0, len));
  if (PACKED_HEAD + body.length >= len) return null;
  const out = Buffer.allocUnsafe(PACKED_HEAD + body.length);
  out.writeUInt32LE(PACKED_MAGIC, 0);
  out.writeUInt32LE(PACKED_VERSION, 4);
  out.writeUInt32LE(len, 8);
  out.writeUInt32LE(crc32(body, 0, body.length), 12);
  body.copy(out, PACKED_HEAD);
  return out;
}

/** The records of a compressed block file. Throws an Error saying what is wrong when it is damaged. */
export function unpackBlock(file: Buffer): Buffer {
  if (file.length < PACKED_HEAD) throw new Error(`compressed block header cut short (${file.length} bytes)`);
  const version = file[4];
  if (version !== PACKED_VERSION) throw new Error(`unknown compressed block version ${version}`);
  const len = file.readUInt32LE(8);
  if (len > MAX_PACKED) throw new Error(`compressed block declares ${len} bytes, more than the limit of ${MAX_PACKED}`);
  const want = file.readUInt32LE(12);
  if (crc32(file, PACKED_HEAD, file.length) !== want) throw new Error('compressed block checksum mismatch');
  const out = decompressBlock(file.subarray(PACKED_HEAD), len);
  if (out.length !== len) throw new Error(`compressed block holds ${out.length} bytes, its header says ${len}`);
  return out;
}

export interface BlockFile {
  /** the records: the file itself, or its decompressed contents */
  buf: Buffer;
  /** the file is a compressed block */
  packed: boolean;
  /** bytes of the file on disk */
  fileLen: number;
  /** why a compressed file could not be read (buf is then empty), else null */
  error: string | null;
}

/** Read a whole block file, decompressing it when it is a compressed block. */
export function readBlockFile(path: string): BlockFile {
  const file = readFileBytes(path);
  if (!isPacked(file)) return { buf: file, packed: false, fileLen: file.length, error: null };
  try {
    return { buf: unpackBlock(file), packed: true, fileLen: file.length, error: null };
  } catch (e) {
    return { buf: Buffer.alloc(0), packed: true, fileLen: file.length, error: (e as Error).message };
  }
}
