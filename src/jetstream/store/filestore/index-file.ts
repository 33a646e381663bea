/**
 * `msgs/index.json`: the few facts the block files cannot carry by
 * themselves once their records are gone — where the stream starts after a
 * purge or compact (first_seq), and the last sequence and timestamp when every
 * block has been removed. Replaced atomically (util/atomic-file.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../util/atomic-file.js';

export interface StoreIndex {
  first_seq: number;
  last_seq: number;
  last_ts: number;
}

export function writeIndex(path: string, idx: StoreIndex): void {
  writeFileAtomic(path, Buffer.from(JSON.stringify(idx)));
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
