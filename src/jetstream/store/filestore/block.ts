/**
 * One message block: an append-only file `msgs/<id>.blk` plus the in-memory
 * index of the sequences it holds. Sequences in a block only grow, so the
 * index is a dense slot array covering [base, base + n): for every slot the
 * record's offset and length in the file, and the subject (interned through
 * the store's SubjectIndex, so repeated subjects cost one pointer each).
 *
 * A slot's offset is NONE when the file has no record for it (a skipped
 * sequence, or a record dropped by a rewrite) and GHOST when the message was
 * removed but its bytes are still in the file (until the block is rewritten).
 *
 * The file's bytes may be held in `buf`: always for the tail block while it is
 * being written (it is the write buffer: [flushed, bytes) is not yet in the
 * file), and for older blocks while they sit in the store's read cache.
 */
import { join } from 'node:path';

export const NONE = 0xffffffff;
export const GHOST = 0xfffffffe;

export class Block {
  readonly path: string;
  /** first sequence covered by the slots */
  base: number;
  /** number of slots */
  n = 0;
  off: Uint32Array;
  len: Uint32Array;
  subj: string[] = [];
  /** live messages and their record bytes */
  live = 0;
  liveBytes = 0;
  /** removed messages whose records are still in the file */
  ghosts = 0;
  /**
   * Slots before `head` are all dead; `headDead` is the record bytes among
   * them. A block losing messages from the front is going to be deleted whole,
   * so those bytes are not a reason to rewrite it.
   */
  head = 0;
  headDead = 0;
  /** valid bytes of the file (for the tail, including bytes not yet written) */
  bytes = 0;
  /** tail only: bytes already handed to the OS */
  flushed = 0;
  /** sequences named by the tombstones stored in this block */
  tombs: number[] = [];
  /** cached file contents ([0, bytes) valid), or null */
  buf: Buffer | null = null;
  /** touched since the cache sweeper last looked */
  used = false;
  /** deleted from disk and from the store's list */
  gone = false;

  constructor(
    readonly id: number,
    dir: string,
    base: number,
    capacity = 64,
  ) {
    this.path = join(dir, `${id}.blk`);
    this.base = base;
    this.off = new Uint32Array(capacity);
    this.len = new Uint32Array(capacity);
  }

  /** Last covered sequence (base - 1 when there are no slots). */
  get last(): number {
    return this.base + this.n - 1;
  }

  covers(seq: number): boolean {
    return seq >= this.base && seq < this.base + this.n;
  }

  /** Make `seq` (>= base, beyond the current slots) a slot; new slots in between are NONE. */
  extendTo(seq: number): number {
    if (this.n === 0 && seq > this.base) this.base = seq;
    const i = seq - this.base;
    if (i >= this.off.length) {
      let cap = this.off.length * 2;
      while (cap <= i) cap *= 2;
      const off = new Uint32Array(cap);
      off.set(this.off.subarray(0, this.n));
      const len = new Uint32Array(cap);
      len.set(this.len.subarray(0, this.n));
      this.off = off;
      this.len = len;
    }
    for (let k = this.n; k < i; k++) {
      this.off[k] = NONE;
      this.subj[k] = '';
    }
    if (i >= this.n) this.n = i + 1;
    return i;
  }

  /** Record a message record for `seq`. */
  setMsg(seq: number, off: number, len: number, subj: string): void {
    const i = this.extendTo(seq);
    this.off[i] = off;
    this.len[i] = len;
    this.subj[i] = subj;
    this.live++;
    this.liveBytes += len;
  }

  /** Mark `seq` as having no record (a skip). */
  setNone(seq: number): void {
    const i = this.extendTo(seq);
    this.off[i] = NONE;
    this.subj[i] = '';
  }

  /** Offset of a live message's record, or -1. */
  liveOffset(seq: number): number {
    if (seq < this.base || seq >= this.base + this.n) return -1;
    const o = this.off[seq - this.base];
    return o >= GHOST ? -1 : o;
  }

  isLive(seq: number): boolean {
    return this.liveOffset(seq) >= 0;
  }

  /** Move `head` past dead slots at the front. */
  advanceHead(): void {
    const off = this.off;
    let h = this.head;
    while (h < this.n && off[h] >= GHOST) {
      if (off[h] === GHOST) this.headDead += this.len[h];
      h++;
    }
    this.head = h;
  }

  /** Bytes a rewrite would reclaim that are not part of the dead front. */
  interiorGarbage(): number {
    return this.bytes - this.liveBytes - this.headDead;
  }

  /** Release the spare capacity of the slot arrays (the block is no longer written). */
  trim(): void {
    if (this.off.length > this.n + 16) {
      this.off = this.off.slice(0, this.n);
      this.len = this.len.slice(0, this.n);
    }
  }
}
