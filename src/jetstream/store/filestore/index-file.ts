/**
 * `msgs/index.json`: the few facts the block files cannot carry by
 * themselves once their records are gone — where the stream starts after a
 * purge or compact (first_seq), and the last sequence and timestamp when every
 * block has been removed. Replaced atomically (write temp, fsync, rename).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

export interface StoreIndex {
  first_seq: number;
  last_seq: number;
  last_ts: number;
}

/** Write `data` to `path` through a temp file and a rename; fsync the temp file when `sync`. */
export function atomicWriteFile(path: string, data: string | Buffer, sync: boolean): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeIndex(path: string, idx: StoreIndex): void {
  atomicWriteFile(path, JSON.stringify(idx), true);
}

/** The index, or null when absent or unreadable (reported through `warn`). */
export function readIndex(path: string, warn: (msg: string) => void): StoreIndex | null {
  if (!existsSync(path)) return null;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<StoreIndex>;
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
    if (!ok(v.first_seq) || !ok(v.last_seq)) throw new Error('missing sequence fields');
    return { first_seq: v.first_seq, last_seq: v.last_seq, last_ts: typeof v.last_ts === 'number' ? v.last_ts : 0 };
  } catch (e) {
    warn(`ignoring unreadable ${path}: ${(e as Error).message}`);
    return null;
  }
}
