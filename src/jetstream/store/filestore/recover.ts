/**
 * Reading block files back: list them, read one whole, walk its records and
 * find where the valid data ends, cut a torn tail off. The store rebuilds its
 * index from the records this hands it.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { newRecordInfo, readRecord, type RecordInfo, type RecordProblem } from './record.js';

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

/** fsync a directory, so entries created, renamed or removed in it are durable. */
export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported everywhere (e.g. some platforms refuse fsync on directories).
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

export function truncateFile(path: string, len: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, len);
  } finally {
    closeSync(fd);
  }
}
