/**
 * The file store. Messages are appended as checksummed records (record.ts) to
 * block files `msgs/<id>.blk`, a new block once the current one (the tail)
 * reaches `blockSize`. Removals append a tombstone record to the tail; purge
 * and compact record the new first sequence in `msgs/index.json` and delete
 * whole blocks. Reopening a directory replays the blocks (recover.ts).
 *
 * In memory: a dense per-block index (offset, length and subject of every
 * sequence, block.ts), the per-subject index, and file bytes only for the tail
 * (its write buffer) and a small LRU of recently read older blocks. Cached
 * bytes idle for a few seconds are released.
 *
 * Write path: a record is encoded straight into the tail's buffer; the
 * unwritten part is handed to the OS with one writeSync per event-loop turn
 * (setImmediate), whenever 256 KiB are pending, and before any socket flush
 * (util/write-barrier.ts: a PubAck never leaves ahead of its message).
 * sync_interval fsyncs on a timer; 'always' writes and fsyncs the changes of
 * a read cycle together (group commit) before any output leaves.
 *
 * Blocks that lose more than half their bytes are rewritten without the dead
 * records (temp file, fsync, rename); blocks with nothing left are deleted.
 *
 * Compression (`compression: 's2'`), as the Go server does it: the tail is
 * always an uncompressed append-only file; when a block is sealed (a new tail
 * takes over) it is rewritten, from the bytes still in memory, as one S2/Snappy
 * block (s2.ts) behind a small header (recover.ts): temp file, fsync, rename,
 * so the file is always either the whole old block or the whole compressed
 * one. The compressed form is kept only when it is smaller; a failure is
 * logged and leaves the block as it was. Index offsets stay offsets into the
 * uncompressed records and stream bytes stay the logical record sizes; reading
 * any record of a compressed block decompresses the whole block into the read
 * cache. Compacting a sealed block writes it compressed again (following the
 * current setting); erasing a message rewrites its compressed block whole.
 * Both forms can sit side by side (the setting may change), recovery tells
 * them apart by the header, and a damaged compressed block is reported and
 * skipped like any corrupt block.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { matchLiteral, subjectHasWildcard } from '../../../sublist/subject.js';
import {
  nowNs,
  type ConsumerStore,
  type ExpiryHandler,
  type SimpleState,
  type StorageUpdateHandler,
  type StoreConfig,
  newMsgView,
  type MsgView,
  type StoredMsg,
  type StreamState,
  type StreamStore,
} from '../store.js';
import { SubjectIndex, wantsSeqTracking, type SubjectEntry } from '../subject-index.js';
import { Block, GHOST, NONE } from './block.js';
import { FileConsumerStore } from './consumer-store.js';
import { readIndex, writeIndex } from './index-file.js';
import { holdOutputFor, releaseHold } from '../../../util/write-barrier.js';
import { FLAG_ERASED, FLAG_HDR, FLAG_TOMB, LEN_MASK, MAX_RECORD, REC_HEAD, REC_TRAILER, TOMB_LEN, eraseRecordInPlace, msgRecordLen, writeMsgRecord, writeTombstone } from './record.js';
import { listBlockIds, packBlock, readBlockFile, readFileBytes, scanRecords, truncateFile, unpackBlock } from './recover.js';
import { fsyncDir } from '../../../util/atomic-file.js';

export interface FileStoreOptions {
  /** bytes per block file before rolling to a new one (default 8 MiB) */
  blockSize?: number;
  /** ms between background fsyncs (default 2 min), or 'always' to fsync every change */
  syncIntervalMs?: number | 'always';
  log?: (level: 'warn' | 'error' | 'info', msg: string) => void;
  /** bytes of older blocks kept in the read cache (default 32 MiB; at least one block) */
  cacheBytes?: number;
}

const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
const DEFAULT_SYNC_MS = 120_000;
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;
/** Pending bytes that trigger an immediate write. */
const WRITE_CHUNK = 256 * 1024;
/** First allocation of a tail block's buffer (it doubles up to the block size). */
const TAIL_INITIAL = 64 * 1024;
/** A sequence gap larger than this inside the tail starts a new block (slots are dense). */
const MAX_SLOT_GAP = 4096;
/** Cached block bytes not touched for one to two sweeps are released. */
const CACHE_SWEEP_MS = 5000;

const noop = (): void => {};
const matchAll = (): boolean => true;
const EMPTY = Buffer.alloc(0);
/** Bodies above this many bytes are copied even for an in-place read (see viewAt). */
const VIEW_MAX = 8 * 1024;

export class FileStore implements StreamStore {
  readonly type = 'file' as const;
  private cfg: StoreConfig;
  private readonly msgDir: string;
  private readonly indexPath: string;
  private readonly blockSize: number;
  private readonly syncMs: number | 'always';
  private readonly syncAlways: boolean;
  private readonly log: NonNullable<FileStoreOptions['log']>;
  private readonly maxCache: number;

  /** ordered by sequence; the last one is the tail */
  private blocks: Block[] = [];
  private tail!: Block;
  private fd = -1;
  private nextBlockId = 1;

  private readonly fss = new SubjectIndex();
  private first = 0;
  private last = 0;
  /** -1 = not yet read from the first record */
  private firstTs = 0;
  private lastTs = 0;
  private msgs = 0;
  private bytes = 0;
  /** sequences below this are gone (persisted in index.json; only grows) */
  private floor = 0;

  private cb: StorageUpdateHandler | null = null;
  private readonly ttls = new Map<number, number>();
  private expiryCb: ExpiryHandler | null = null;
  private ttlTimer: NodeJS.Timeout | null = null;
  private ageTimer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;

  private flushScheduled = false;
  /** registered with the write barrier: bytes in the tail not yet handed to the OS */
  private outputHeld = false;
  /** written (or pending) since the last fsync */
  private dirty = false;
  /** rolled blocks written since the last fsync */
  private readonly unsynced = new Set<string>();
  /** older blocks holding cached bytes, least recently used first */
  private readonly cache = new Set<Block>();
  /** the block added to `cache` last (its most recently used end): touching it again needs no reordering */
  private cacheMru: Block | null = null;
  private cacheBytes = 0;
  private readonly compactQueue = new Set<Block>();
  private compactScheduled = false;
  /** sealed blocks whose file is a compressed block */
  private readonly packed = new Set<Block>();
  private closed = false;
  private readonly consumers = new Map<string, FileConsumerStore>();
  /** random vs in-order reads of old blocks: the block and sequence of the previous read, and how many forward reads in a row */
  private lastRead: Block | null = null;
  private lastReadSeq = 0;
  /** offset in the buffer `recordOf` returned last of the record asked for */
  private recOff = 0;
  /** reused by loadAt */
  private readonly scratchView = newMsgView();
  /** where the last `findNext` found a message */
  private foundBlk: Block | null = null;
  private foundIdx = 0;
  private readRun = 0;
  private readFd = -1;
  private readFdBlock: Block | null = null;
  /** memoised wildcard filters */
  private readonly matchers = new Map<string, (subj: string) => boolean>();

  constructor(
    private readonly dir: string,
    cfg: StoreConfig,
    opts: FileStoreOptions = {},
  ) {
    this.cfg = { ...cfg };
    this.blockSize = Math.max(256, opts.blockSize ?? DEFAULT_BLOCK_SIZE);
    this.syncMs = opts.syncIntervalMs ?? DEFAULT_SYNC_MS;
    this.syncAlways = this.syncMs === 'always';
    this.log = opts.log ?? noop;
    this.maxCache = opts.cacheBytes ?? DEFAULT_CACHE_BYTES;
    this.msgDir = join(dir, 'msgs');
    this.indexPath = join(this.msgDir, 'index.json');
    mkdirSync(this.msgDir, { recursive: true });
    this.fss.setTracking(wantsSeqTracking(cfg.max_msgs_per_subject), () => []);

    this.recover();

    if (!this.syncAlways) {
      this.syncTimer = setInterval(() => this.guard('sync', () => this.syncNow()), Math.max(10, this.syncMs as number));
      this.syncTimer.unref();
    }
    this.sweepTimer = setInterval(() => this.guard('cache sweep', () => this.sweep()), CACHE_SWEEP_MS);
    this.sweepTimer.unref();
    // Limits may have been tightened (or messages aged) while the store was closed.
    this.enforceLimits(null);
    if (this.cfg.max_age > 0) this.expireAged();
    this.armTTL();
    this.commit();
  }

  // ================================================================== recovery

  private recover(): void {
    const ids = listBlockIds(this.msgDir);
    const idx = readIndex(this.indexPath, (m) => this.log('warn', `file store ${this.dir}: ${m}`));
    const floor = idx?.first_seq ?? 0;
    this.floor = floor;
    let last = 0;
    let lastTs = 0;

    let sealedLast = false;
    for (let k = 0; k < ids.length; k++) {
      const blk = new Block(ids[k], this.msgDir, last + 1);
      const file = readBlockFile(blk.path);
      const buf = file.buf;
      // A compressed block is sealed: it never becomes the tail, even as the last file.
      const isLast = k === ids.length - 1 && !file.packed;
      if (k === ids.length - 1) sealedLast = file.packed;
      if (file.error !== null) {
        this.log('error', `file store ${this.dir}: block ${blk.id} is corrupt (${file.error}); its ${file.fileLen} bytes are unreadable and skipped`);
      } else if (file.packed) this.packed.add(blk);
      const res = scanRecords(buf, buf.length, (off, r) => {
        if (r.flags & FLAG_TOMB) {
          blk.tombs.push(r.seq);
          if (r.seq > last) {
            // A skipped sequence.
            if (blk.n === 0 || r.seq - blk.last <= MAX_SLOT_GAP) blk.setNone(r.seq);
            last = r.seq;
            lastTs = r.ts;
          } else this.dropRecovered(blk, r.seq);
          return;
        }
        if (r.seq <= last) return; // duplicate or out of order: dead bytes
        last = r.seq;
        lastTs = r.ts;
        if (r.flags & FLAG_ERASED || r.seq < floor) {
          const i = blk.extendTo(r.seq);
          blk.off[i] = GHOST;
          blk.len[i] = r.len;
          blk.subj[i] = '';
          blk.ghosts++;
          return;
        }
        const e = this.fss.add(buf.latin1Slice(off + REC_HEAD, off + REC_HEAD + r.subjLen), r.seq);
        blk.setMsg(r.seq, off, r.len, e.subj);
        this.msgs++;
        this.bytes += r.len;
        if (r.ttl > 0) this.ttls.set(r.seq, r.ts + r.ttl * 1e9);
      });
      blk.bytes = res.validLen;
      if (res.problem !== null) {
        const bad = buf.length - res.validLen;
        if (isLast) {
          this.log(
            'warn',
            `file store ${this.dir}: block ${blk.id} has a torn or corrupt record at offset ${res.validLen} (${res.problem}); truncating ${bad} bytes`,
          );
          truncateFile(blk.path, res.validLen);
        } else {
          this.log(
            'error',
            `file store ${this.dir}: block ${blk.id} is corrupt at offset ${res.validLen} (${res.problem}); ${bad} bytes of it are unreadable and skipped`,
          );
        }
      }
      if (isLast) {
        blk.buf = buf;
        blk.flushed = blk.bytes;
      } else blk.trim();
      this.blocks.push(blk);
    }
    for (const blk of this.blocks) {
      blk.head = 0;
      blk.headDead = 0;
      blk.advanceHead();
    }

    if (idx !== null && idx.last_seq > last) {
      last = idx.last_seq;
      lastTs = idx.last_ts;
    }
    if (ids.length === 0 && idx === null && this.cfg.first_seq !== undefined && this.cfg.first_seq > 1) last = this.cfg.first_seq - 1;
    this.last = last;
    this.lastTs = lastTs;
    // A store that never held anything reports 0/0, like a new memory store.
    this.first = last === 0 && floor === 0 ? 0 : last + 1;
    this.firstTs = 0;
    if (this.msgs > 0) {
      const f = this.nextLive(0);
      if (f > 0) {
        this.first = f;
        this.firstTs = -1;
      }
    }
    this.nextBlockId = ids.length > 0 ? ids[ids.length - 1] + 1 : 1;

    if (this.blocks.length === 0 || sealedLast) this.newTail();
    else {
      this.tail = this.blocks[this.blocks.length - 1];
      this.fd = openSync(this.tail.path, 'r+');
    }
    for (const b of [...this.blocks]) this.maintain(b);
  }

  /** A tombstone met during recovery: the message it names is gone. */
  private dropRecovered(cur: Block, seq: number): void {
    const blk = cur.covers(seq) ? cur : this.searchBlocks(seq, this.blocks.length - 1);
    if (blk === null) return;
    const i = seq - blk.base;
    if (blk.off[i] >= GHOST) return;
    const len = blk.len[i];
    this.fss.remove(blk.subj[i], seq);
    blk.off[i] = GHOST;
    blk.subj[i] = '';
    blk.live--;
    blk.liveBytes -= len;
    blk.ghosts++;
    this.msgs--;
    this.bytes -= len;
    this.ttls.delete(seq);
  }

  // ================================================================== blocks and buffers

  private newTail(): Block {
    const blk = new Block(this.nextBlockId++, this.msgDir, this.last + 1);
    blk.buf = Buffer.allocUnsafe(Math.min(TAIL_INITIAL, this.blockSize));
    this.fd = openSync(blk.path, 'w+');
    if (this.syncAlways) fsyncDir(this.msgDir);
    this.blocks.push(blk);
    this.tail = blk;
    return blk;
  }

  /** Close the tail and start a new one. */
  private roll(): Block {
    const old = this.tail;
    this.writePending();
    if (this.syncAlways) fsyncSync(this.fd);
    else if (this.dirty) this.unsynced.add(old.path);
    closeSync(this.fd);
    this.fd = -1;
    old.trim();
    if (old.buf !== null) this.cacheAdd(old);
    const blk = this.newTail();
    this.maintain(old);
    if (this.cfg.compression === 's2') this.guard('compression', () => this.packSealed(old));
    return blk;
  }

  /** The tail, with room for a record of `len` bytes (and a slot for `seq` when > 0). */
  private reserve(seq: number, len: number): Block {
    let t = this.tail;
    if ((t.bytes > 0 && t.bytes + len > this.blockSize) || (seq > 0 && t.n > 0 && seq - t.last > MAX_SLOT_GAP)) t = this.roll();
    const need = t.bytes + len;
    if (t.buf === null) t.buf = readFileBytes(t.path, t.bytes, need + Math.max(TAIL_INITIAL, t.bytes >> 2));
    else if (t.buf.length < need) {
      let cap = Math.max(t.buf.length * 2, TAIL_INITIAL);
      if (cap > this.blockSize) cap = this.blockSize;
      if (cap < need) cap = need;
      const nb = Buffer.allocUnsafe(cap);
      t.buf.copy(nb, 0, 0, t.bytes);
      t.buf = nb;
    }
    t.used = true;
    return t;
  }

  /** Bookkeeping after bytes were added to the tail buffer. */
  private wrote(): void {
    this.dirty = true;
    if (this.syncAlways) return; // commit() writes and syncs
    const t = this.tail;
    if (t.bytes - t.flushed >= WRITE_CHUNK) {
      this.writePending();
      return;
    }
    this.writeSoon();
  }

  /**
   * Unwritten (with sync 'always': unsynced) bytes: write them on the next
   * turn, and before any output leaves (util/write-barrier.ts), so a PubAck
   * for them never goes out first.
   */
  private writeSoon(): void {
    if (!this.outputHeld) {
      this.outputHeld = true;
      holdOutputFor(this.writeBeforeOutput);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.onImmediate);
    }
  }

  private readonly onImmediate = (): void => {
    this.flushScheduled = false;
    if (!this.closed) this.guard('write', () => this.writeOut());
  };

  /** The write-barrier writer: runs before any socket flush. */
  private readonly writeBeforeOutput = (): void => {
    this.outputHeld = false;
    this.guard('write', () => this.writeOut());
  };

  /** Hand the tail's unwritten bytes to the OS; with sync 'always', fsync them too. */
  private writeOut(): void {
    this.writePending();
    if (this.syncAlways && this.dirty && this.fd >= 0) {
      fsyncSync(this.fd);
      this.dirty = false;
    }
  }

  /** Hand the tail's unwritten bytes to the OS. */
  private writePending(): void {
    // Written is enough to release held output unless every change must be synced first
    // (then the writer itself releases it, after the fsync; a stale hold is a no-op).
    if (this.outputHeld && !this.syncAlways) {
      this.outputHeld = false;
      releaseHold(this.writeBeforeOutput);
    }
    const t = this.tail;
    if (t.flushed >= t.bytes || this.fd < 0) return;
    const buf = t.buf!;
    let off = t.flushed;
    while (off < t.bytes) off += writeSync(this.fd, buf, off, t.bytes - off, off);
    t.flushed = t.bytes;
  }

  /**
   * End of a mutating call. With sync 'always' the change is written and
   * fsynced before anything can acknowledge it: group commit, one write and
   * one fsync for all the changes of a read cycle, run before the first
   * socket flush (the PubAcks) or on the next turn, whichever comes first.
   */
  private commit(): void {
    if (!this.syncAlways || !this.dirty || this.closed) return;
    this.writeSoon();
  }

  private syncNow(): void {
    if (this.closed) return;
    if (this.dirty) {
      this.writePending();
      fsyncSync(this.fd);
      this.dirty = false;
    }
    for (const p of this.unsynced) {
      try {
        const fd = openSync(p, 'r');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.unsynced.clear();
  }

  /** The block whose slots cover `seq`, or null. */
  private blockFor(seq: number): Block | null {
    const t = this.tail;
    if (seq >= t.base) return seq < t.base + t.n ? t : null;
    return this.searchBlocks(seq, this.blocks.length - 2);
  }

  /** Binary search of blocks[0..hiIndex] for the one covering `seq`. */
  private searchBlocks(seq: number, hiIndex: number): Block | null {
    const found = this.blockIndexUpTo(seq, hiIndex);
    if (found < 0) return null;
    const b = this.blocks[found];
    return seq < b.base + b.n ? b : null;
  }

  /** Index of the first block whose last covered sequence is >= seq (blocks.length when none). */
  private blockIndexFrom(seq: number): number {
    const bl = this.blocks;
    let lo = 0;
    let hi = bl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bl[mid].last >= seq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index of the last block in blocks[0..hiIndex] whose first covered sequence is <= seq (-1 when none). */
  private blockIndexUpTo(seq: number, hiIndex = this.blocks.length - 1): number {
    const bl = this.blocks;
    let lo = 0;
    let hi = hiIndex;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (bl[mid].base <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The bytes of a block: the tail's buffer, a cached copy, or read from the file now. */
  private bufOf(blk: Block): Buffer {
    blk.used = true;
    if (blk.buf !== null) {
      if (blk !== this.tail && blk !== this.cacheMru) {
        this.cache.delete(blk);
        this.cache.add(blk);
        this.cacheMru = blk;
      }
      return blk.buf;
    }
    if (blk === this.tail) {
      blk.buf = readFileBytes(blk.path, blk.bytes, blk.bytes + TAIL_INITIAL);
      return blk.buf;
    }
    blk.buf = this.packed.has(blk) ? this.readPacked(blk) : readFileBytes(blk.path, blk.bytes);
    this.cacheAdd(blk);
    return blk.buf;
  }

  /** The records of a compressed block; a damaged file is logged and reads as zeros (no record matches). */
  private readPacked(blk: Block): Buffer {
    try {
      const out = unpackBlock(readFileBytes(blk.path));
      if (out.length < blk.bytes) throw new Error(`it holds ${out.length} bytes, ${blk.bytes} expected`);
      return out;
    } catch (e) {
      this.log('error', `file store ${this.dir}: compressed block ${blk.id} cannot be read (${(e as Error).message})`);
      return Buffer.alloc(blk.bytes);
    }
  }

  private cacheAdd(blk: Block): void {
    this.cache.add(blk);
    this.cacheMru = blk;
    this.cacheBytes += blk.buf!.length;
    while (this.cacheBytes > this.maxCache && this.cache.size > 1) {
      const victim = this.cache.values().next().value as Block;
      this.cacheDrop(victim);
    }
  }

  private cacheDrop(blk: Block): void {
    if (!this.cache.delete(blk)) return;
    if (this.cacheMru === blk) this.cacheMru = null;
    if (blk.buf !== null) this.cacheBytes -= blk.buf.length;
    blk.buf = null;
  }

  /** Release cached bytes nobody read since the last sweep; retry cleanups of empty blocks. */
  private sweep(): void {
    if (this.closed) return;
    for (const b of [...this.cache]) {
      if (b.used) b.used = false;
      else this.cacheDrop(b);
    }
    const t = this.tail;
    if (t.used) t.used = false;
    else if (t.buf !== null && t.flushed === t.bytes) t.buf = null;
    for (const b of [...this.blocks]) if (b !== this.tail && b.live === 0) this.maintain(b);
  }

  // ================================================================== compaction

  /** Delete a block with nothing left, or queue a rewrite when most of it is dead. */
  private maintain(blk: Block): void {
    if (blk.gone || blk === this.tail || this.closed) return;
    if (blk.live === 0) {
      const needed = this.neededTombs(blk).length;
      if (needed === 0) this.dropBlock(blk);
      else if (needed * TOMB_LEN < blk.bytes) this.queueCompact(blk);
    } else if (blk.interiorGarbage() * 2 > blk.bytes) this.queueCompact(blk);
  }

  /** Tombstones of `blk` whose message record is still in another block's file. */
  private neededTombs(blk: Block): number[] {
    const out: number[] = [];
    for (const t of blk.tombs) {
      const b = this.blockFor(t);
      if (b !== null && b !== blk && b.off[t - b.base] === GHOST) out.push(t);
    }
    return out;
  }

  private queueCompact(blk: Block): void {
    this.compactQueue.add(blk);
    if (this.compactScheduled) return;
    this.compactScheduled = true;
    setImmediate(() => {
      this.compactScheduled = false;
      this.guard('compaction', () => this.runCompactions());
    });
  }

  private runCompactions(): void {
    const q = [...this.compactQueue];
    this.compactQueue.clear();
    for (const b of q) if (!this.closed && !b.gone && b !== this.tail) this.compactBlock(b);
  }

  private dropBlock(blk: Block): void {
    blk.gone = true;
    if (this.lastRead === blk) this.lastRead = null;
    if (this.readFdBlock === blk) this.closeReadFd();
    const i = this.blocks.indexOf(blk);
    if (i >= 0) this.blocks.splice(i, 1);
    this.cacheDrop(blk);
    this.compactQueue.delete(blk);
    this.packed.delete(blk);
    this.unsynced.delete(blk.path);
    try {
      unlinkSync(blk.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.persistIndexIfNeeded();
  }

  /** Rewrite a block with only its live records and the tombstones other blocks still need. */
  private compactBlock(blk: Block): void {
    const needed = this.neededTombs(blk);
    if (blk.live === 0 && needed.length === 0) {
      this.dropBlock(blk);
      return;
    }
    const keep = blk.liveBytes + needed.length * TOMB_LEN;
    if (keep >= blk.bytes) return;
    const src = this.bufOf(blk);
    const out = Buffer.allocUnsafe(keep);
    const off = blk.off.slice();
    let p = 0;
    for (let i = 0; i < blk.n; i++) {
      const o = off[i];
      if (o < GHOST) {
        const len = blk.len[i];
        if (o + len > src.length || (src.readUInt32LE(o) & LEN_MASK) !== len) {
          this.log('error', `file store ${this.dir}: block ${blk.id} does not hold the record of sequence ${blk.base + i}; not rewriting it`);
          return;
        }
        src.copy(out, p, o, o + len);
        off[i] = p;
        p += len;
      } else off[i] = NONE;
    }
    for (const t of needed) {
      writeTombstone(out, p, t, 0);
      p += TOMB_LEN;
    }
    const z = this.cfg.compression === 's2' ? packBlock(out, p) : null;
    if (z !== null) this.replaceBlockFile(blk, z, z.length, true);
    else this.replaceBlockFile(blk, out, p, false);
    this.cacheDrop(blk);
    blk.off = off;
    blk.bytes = p;
    blk.ghosts = 0;
    blk.head = 0;
    blk.headDead = 0;
    blk.advanceHead();
    blk.tombs = needed;
    blk.buf = out;
    this.cacheAdd(blk);
    this.persistIndexIfNeeded();
  }

  /**
   * Replace a sealed block's file with bytes[0, n) (a compressed block when
   * `packed`): temp file, fsync, rename, so the file is always one whole version.
   */
  private replaceBlockFile(blk: Block, bytes: Buffer, n: number, packed: boolean): void {
    const tmp = `${blk.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      let w = 0;
      while (w < n) w += writeSync(fd, bytes, w, n - w, w);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true }); // e.g. the disk is full: the old file stays as it was
      throw e;
    }
    closeSync(fd);
    if (this.readFdBlock === blk) this.closeReadFd();
    renameSync(tmp, blk.path);
    fsyncDir(this.msgDir);
    this.unsynced.delete(blk.path);
    if (packed) this.packed.add(blk);
    else this.packed.delete(blk);
  }

  // ================================================================== compression

  /** Rewrite a block that was just sealed as a compressed block (when that makes it smaller). */
  private packSealed(blk: Block): void {
    if (blk.gone || blk === this.tail || this.packed.has(blk)) return;
    const z = packBlock(this.bufOf(blk), blk.bytes);
    if (z !== null) this.replaceBlockFile(blk, z, z.length, true);
  }

  /** Bytes of block files on disk, and how many of them are compressed (tests, monitoring). */
  diskUsage(): { bytes: number; blocks: number; packed: number } {
    let bytes = 0;
    for (const b of this.blocks) {
      try {
        bytes += statSync(b.path).size;
      } catch {
        // gone meanwhile
      }
    }
    return { bytes, blocks: this.blocks.length, packed: this.packed.size };
  }

  /**
   * Once blocks are gone the files may no longer show where the stream ends
   * (the tail may hold only tombstones): record it unless the tail's records do.
   */
  private persistIndexIfNeeded(): void {
    const t = this.tail;
    if (t.n > 0 && t.last === this.last) return;
    this.writeIndexNow(this.first);
  }

  private writeIndexNow(firstSeq: number): void {
    if (firstSeq > this.floor) this.floor = firstSeq;
    writeIndex(this.indexPath, { first_seq: this.floor, last_seq: this.last, last_ts: this.lastTs });
  }

  /** Remove every block file and start an empty tail (purge / compact past the end). */
  private resetBlocks(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    for (const b of this.blocks) {
      b.gone = true;
      b.buf = null;
      try {
        unlinkSync(b.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.blocks = [];
    this.lastRead = null;
    this.closeReadFd();
    this.cache.clear();
    this.cacheBytes = 0;
    this.compactQueue.clear();
    this.packed.clear();
    this.unsynced.clear();
    this.dirty = false;
    this.newTail();
  }

  // ================================================================== records

  private writeMsg(seq: number, ts: number, subj: string, hdr: Buffer | null, msg: Buffer, ttlSec: number): void {
    const hl = hdr === null ? 0 : hdr.length;
    if (subj.length > 0xffff) throw new Error(`subject too long for the file store (${subj.length} bytes)`);
    const len = msgRecordLen(subj.length, hl, msg.length);
    if (len > MAX_RECORD) throw new Error(`message too large for the file store (${len} bytes)`);
    const t = this.reserve(seq, len);
    const off = t.bytes;
    writeMsgRecord(t.buf!, off, len, seq, ts, subj, hl > 0 ? hdr : null, msg, ttlSec > 0 ? Math.min(Math.ceil(ttlSec), 0xffffffff) : 0);
    t.bytes += len;
    const e = this.fss.add(subj, seq);
    t.setMsg(seq, off, len, e.subj);
    if (this.msgs === 0) {
      this.first = seq;
      this.firstTs = ts;
    }
    this.msgs++;
    this.bytes += len;
    this.last = seq;
    this.lastTs = ts;
    if (this.cfg.max_age > 0 && this.ageTimer === null) this.armAgeTimer(this.cfg.max_age);
    this.wrote();
    if (this.cb !== null) this.cb(1, len, seq, subj);
  }

  /** Append a tombstone; `skip` marks a sequence that never had a message. */
  private appendTombstone(seq: number, skip: boolean): void {
    const t = this.reserve(skip ? seq : 0, TOMB_LEN);
    writeTombstone(t.buf!, t.bytes, seq, skip ? this.lastTs : 0);
    t.bytes += TOMB_LEN;
    t.tombs.push(seq);
    if (skip) t.setNone(seq);
    this.wrote();
  }

  /**
   * The bytes of the record in slot i and their offset: from the block's
   * buffer when it is in memory or is being read forwards (a consumer); a
   * random read of an old block fetches just that record from the file.
   */
  private recordOf(blk: Block, i: number): Buffer {
    // A compressed block has no single-record reads: the whole block is decompressed (and cached).
    if (blk.buf === null && blk !== this.tail && !this.packed.has(blk)) {
      const seq = blk.base + i;
      this.readRun = this.lastRead === blk && seq > this.lastReadSeq ? this.readRun + 1 : 0;
      this.lastRead = blk;
      this.lastReadSeq = seq;
      if (this.readRun < 2) {
        this.recOff = 0;
        return this.readRecord(blk, blk.off[i], blk.len[i]);
      }
    }
    this.recOff = blk.off[i];
    return this.bufOf(blk);
  }

  /** Positioned read of one record through a kept-open descriptor of the last block read. */
  private readRecord(blk: Block, off: number, len: number): Buffer {
    if (this.readFdBlock !== blk) {
      this.closeReadFd();
      this.readFd = openSync(blk.path, 'r');
      this.readFdBlock = blk;
    }
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.readFd, buf, got, len - got, off + got);
      if (n === 0) break;
      got += n;
    }
    if (got < len) buf.fill(0, got);
    return buf;
  }

  /** Forget the read descriptor (its block was rewritten, deleted, or the store stops). */
  private closeReadFd(): void {
    if (this.readFd >= 0) closeSync(this.readFd);
    this.readFd = -1;
    this.readFdBlock = null;
  }

  /**
   * Locate the body of the record in slot i into `view` (buf, start = header
   * block, hdrLen, end; ts): false, logged, when the bytes there are not that
   * record any more.
   */
  private bodyAt(blk: Block, i: number, view: MsgView): boolean {
    const buf = this.recordOf(blk, i);
    const o = this.recOff;
    const len = blk.len[i];
    const word = buf.readUInt32LE(o);
    if ((word & LEN_MASK) !== len || o + len > buf.length) {
      this.log('error', `file store ${this.dir}: block ${blk.id} does not hold the record of sequence ${blk.base + i} any more`);
      return false;
    }
    let p = o + REC_HEAD + buf.readUInt16LE(o + 20);
    let hl = 0;
    if (word & FLAG_HDR) {
      hl = buf.readUInt32LE(p);
      p += 4;
    }
    view.subj = blk.subj[i];
    view.seq = blk.base + i;
    view.ts = buf.readDoubleLE(o + 12);
    view.buf = buf;
    view.start = p;
    view.hdrLen = hl;
    view.end = o + len - REC_TRAILER;
    return true;
  }

  /** Copy a message out of its block. */
  private loadAt(blk: Block, i: number): StoredMsg | null {
    const v = this.scratchView;
    if (!this.bodyAt(blk, i, v)) return null;
    // Header block and payload are adjacent: one allocation for both.
    const body = Buffer.allocUnsafe(v.end - v.start);
    v.buf.copy(body, 0, v.start, v.end);
    const hl = v.hdrLen;
    const m: StoredMsg = { subj: v.subj, hdr: hl > 0 ? body.subarray(0, hl) : null, msg: body.subarray(hl), seq: v.seq, ts: v.ts };
    v.buf = EMPTY;
    return m;
  }

  /**
   * A message in place: a view into the block's bytes. Large bodies are copied
   * anyway, as a client connection queues those by reference until its socket
   * takes them, which may be after the block changed (an erase in place).
   */
  private viewAt(blk: Block, i: number, out: MsgView): boolean {
    if (!this.bodyAt(blk, i, out)) return false;
    if (out.end - out.start > VIEW_MAX) {
      const body = Buffer.allocUnsafe(out.end - out.start);
      out.buf.copy(body, 0, out.start, out.end);
      out.buf = body;
      out.end -= out.start;
      out.start = 0;
    }
    return true;
  }

  private tsAt(blk: Block, i: number): number {
    const buf = this.recordOf(blk, i);
    const o = this.recOff;
    return buf.readDoubleLE(o + 12);
  }

  /** First live sequence >= seq, 0 when none. */
  private nextLive(seq: number): number {
    const bl = this.blocks;
    for (let k = this.blockIndexFrom(seq); k < bl.length; k++) {
      const b = bl[k];
      const off = b.off;
      for (let i = Math.max(seq - b.base, 0); i < b.n; i++) if (off[i] < GHOST) return b.base + i;
    }
    return 0;
  }

  /** Last live sequence <= seq, 0 when none. */
  private prevLive(seq: number): number {
    const bl = this.blocks;
    for (let k = this.blockIndexUpTo(seq); k >= 0; k--) {
      const b = bl[k];
      const off = b.off;
      for (let i = Math.min(seq - b.base, b.n - 1); i >= 0; i--) if (off[i] < GHOST) return b.base + i;
    }
    return 0;
  }

  /** Remove one message; `tomb` = persist the removal (bulk purges persist through the index instead). */
  private removeSeq(seq: number, tomb: boolean): boolean {
    const blk = this.blockFor(seq);
    if (blk === null) return false;
    const i = seq - blk.base;
    if (blk.off[i] >= GHOST) return false;
    const len = blk.len[i];
    const subj = blk.subj[i];
    blk.off[i] = GHOST;
    blk.subj[i] = '';
    blk.live--;
    blk.liveBytes -= len;
    blk.ghosts++;
    if (blk.head < blk.n && blk.off[blk.head] >= GHOST) blk.advanceHead();
    this.msgs--;
    this.bytes -= len;
    this.fss.remove(subj, seq);
    if (this.ttls.size > 0) this.ttls.delete(seq);
    if (seq === this.first) this.advanceFirst();
    if (tomb) this.appendTombstone(seq, false);
    if (this.cb !== null) this.cb(-1, -len, seq, subj);
    if (blk !== this.tail) this.maintain(blk);
    return true;
  }

  private advanceFirst(): void {
    if (this.msgs === 0) {
      this.first = this.last + 1;
      this.firstTs = 0;
      return;
    }
    const f = this.nextLive(this.first + 1);
    this.first = f > 0 ? f : this.last + 1;
    this.firstTs = -1;
  }

  // ================================================================== subject helpers

  private subjFirst(subj: string, e: SubjectEntry): number {
    if (!e.stale) return e.first;
    const end = e.last === -1 ? this.last : e.last;
    const bl = this.blocks;
    const from = Math.max(e.first, this.first);
    for (let k = this.blockIndexFrom(from); k < bl.length; k++) {
      const b = bl[k];
      if (b.base > end) break;
      const off = b.off;
      const ss = b.subj;
      const to = Math.min(end - b.base, b.n - 1);
      for (let i = Math.max(from - b.base, 0); i <= to; i++) {
        if (off[i] < GHOST && ss[i] === subj) {
          e.first = b.base + i;
          e.stale = false;
          return e.first;
        }
      }
    }
    e.stale = false;
    return e.first;
  }

  private subjLast(subj: string, e: SubjectEntry): number {
    if (e.last !== -1) return e.last;
    const bl = this.blocks;
    for (let k = this.blockIndexUpTo(this.last); k >= 0; k--) {
      const b = bl[k];
      const off = b.off;
      const ss = b.subj;
      for (let i = b.n - 1; i >= 0; i--) {
        if (off[i] < GHOST && ss[i] === subj) {
          e.last = b.base + i;
          return e.last;
        }
      }
      if (b.base <= e.first) break;
    }
    return e.first;
  }

  /** Sequence range [lo, hi] holding every message matching a (non-total) filter at or after s; null when none. */
  private filterRange(filter: string, s: number): [number, number] | null {
    let lo = Infinity;
    let hi = -1;
    for (const [subj, e] of this.fss.matching(filter)) {
      if (e.last !== -1 && e.last < s) continue;
      const l = this.subjLast(subj, e);
      if (l < s) continue;
      const f = this.subjFirst(subj, e);
      if (f < lo) lo = f;
      if (l > hi) hi = l;
    }
    if (hi < 0) return null;
    return [Math.max(lo, s), hi];
  }

  /** A predicate for stored subjects against a filter, memoising wildcard matches. */
  private matcher(filter: string): (subj: string) => boolean {
    if (filter === '' || filter === '>') return matchAll;
    if (!subjectHasWildcard(filter)) return (subj) => subj === filter;
    let fn = this.matchers.get(filter);
    if (fn !== undefined) return fn;
    if (this.matchers.size >= 64) this.matchers.clear();
    const memo = new Map<string, boolean>();
    fn = (subj) => {
      let m = memo.get(subj);
      if (m === undefined) {
        m = matchLiteral(subj, filter);
        if (memo.size >= 100_000) memo.clear();
        memo.set(subj, m);
      }
      return m;
    };
    this.matchers.set(filter, fn);
    return fn;
  }

  /** Live sequences in [from, to] whose subject passes `match`, up to `limit`. */
  private collect(from: number, to: number, match: (subj: string) => boolean, limit = Infinity): number[] {
    const out: number[] = [];
    const bl = this.blocks;
    for (let k = this.blockIndexFrom(from); k < bl.length && out.length < limit; k++) {
      const b = bl[k];
      if (b.base > to) break;
      const off = b.off;
      const ss = b.subj;
      const end = Math.min(to - b.base, b.n - 1);
      for (let i = Math.max(from - b.base, 0); i <= end; i++) {
        if (off[i] < GHOST && match(ss[i])) {
          out.push(b.base + i);
          if (out.length >= limit) break;
        }
      }
    }
    return out;
  }

  // ================================================================== StreamStore: writes

  storeMsg(subj: string, hdr: Buffer | null, msg: Buffer, ttlSec = 0): [number, number] {
    this.checkOpen();
    const seq = this.last + 1;
    const ts = nowNs();
    this.writeMsg(seq, ts, subj, hdr, msg, ttlSec);
    if (ttlSec > 0) this.addTTL(seq, ts + ttlSec * 1e9);
    this.enforceLimits(subj);
    this.commit();
    return [seq, ts];
  }

  storeRawMsg(subj: string, hdr: Buffer | null, msg: Buffer, seq: number, ts: number): void {
    this.checkOpen();
    if (seq <= this.last) throw new Error(`sequence ${seq} is not beyond last ${this.last}`);
    this.writeMsg(seq, ts, subj, hdr, msg, 0);
    this.enforceLimits(subj);
    this.commit();
  }

  skipMsg(): number {
    this.checkOpen();
    const seq = ++this.last;
    this.lastTs = nowNs();
    if (this.msgs === 0) {
      this.first = seq + 1;
      this.firstTs = 0;
    }
    this.appendTombstone(seq, true);
    this.commit();
    return seq;
  }

  removeMsg(seq: number): boolean {
    this.checkOpen();
    const ok = this.removeSeq(seq, true);
    this.commit();
    return ok;
  }

  eraseMsg(seq: number): boolean {
    this.checkOpen();
    const blk = this.blockFor(seq);
    if (blk === null || !blk.isLive(seq)) return false;
    const o = blk.off[seq - blk.base];
    const len = blk.len[seq - blk.base];
    const buf = this.bufOf(blk);
    if (o + len > buf.length || (buf.readUInt32LE(o) & LEN_MASK) !== len) {
      this.log('error', `file store ${this.dir}: block ${blk.id} does not hold the record of sequence ${seq} any more; removing it without erasing`);
    } else {
      eraseRecordInPlace(buf, o);
      if (blk === this.tail) {
        if (o < blk.flushed) {
          writeSync(this.fd, buf, o, Math.min(len, blk.flushed - o), o);
          this.dirty = true;
        }
      } else if (this.packed.has(blk)) {
        // A compressed block is rewritten whole (still compressed when that pays).
        const z = packBlock(buf, blk.bytes);
        if (z !== null) this.replaceBlockFile(blk, z, z.length, true);
        else this.replaceBlockFile(blk, buf, blk.bytes, false);
      } else {
        const fd = openSync(blk.path, 'r+');
        try {
          writeSync(fd, buf, o, len, o);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    }
    this.removeSeq(seq, true);
    this.writePending();
    fsyncSync(this.fd);
    this.dirty = false;
    return true;
  }

  purge(): number {
    this.checkOpen();
    const n = this.msgs;
    const bytes = this.bytes;
    this.first = this.last + 1;
    this.firstTs = 0;
    // Record the new start before any file goes: a crash in between still reads as purged.
    this.writeIndexNow(this.first);
    this.clearMessages();
    this.resetBlocks();
    if (this.cb !== null && n > 0) this.cb(-n, -bytes, this.last, '');
    return n;
  }

  private clearMessages(): void {
    this.fss.clear();
    this.ttls.clear();
    this.msgs = 0;
    this.bytes = 0;
  }

  purgeEx(subject: string, seq: number, keep: number): number {
    this.checkOpen();
    const all = subject === '' || subject === '>';
    if (all && seq === 0 && keep === 0) return this.purge();
    if (all && keep === 0) return this.compact(seq);
    if (this.msgs === 0) return 0;
    const match = this.matcher(subject);
    let seqs: number[];
    if (keep > 0) {
      const ss = this.filteredState(0, subject);
      if (ss.msgs <= keep) return 0;
      seqs = this.collect(ss.first, seq > 0 ? Math.min(ss.last, seq - 1) : ss.last, match, ss.msgs - keep);
    } else {
      const end = seq > 0 ? Math.min(seq - 1, this.last) : this.last;
      const r = all ? ([this.first, end] as [number, number]) : this.filterRange(subject, this.first);
      if (r === null) return 0;
      seqs = this.collect(r[0], Math.min(r[1], end), match);
    }
    let purged = 0;
    for (const q of seqs) if (this.removeSeq(q, true)) purged++;
    this.commit();
    return purged;
  }

  compact(seq: number): number {
    this.checkOpen();
    if (seq <= this.first) return 0;
    if (seq > this.last) {
      const purged = this.msgs;
      const bytes = this.bytes;
      this.last = seq - 1;
      this.first = seq;
      this.firstTs = 0;
      this.writeIndexNow(seq);
      this.clearMessages();
      this.resetBlocks();
      if (this.cb !== null && purged > 0) this.cb(-purged, -bytes, seq, '');
      return purged;
    }
    // Everything below `seq` is gone once the index says so; no tombstone per message.
    this.writeIndexNow(seq);
    let purged = 0;
    for (const q of this.collect(this.first, seq - 1, () => true)) if (this.removeSeq(q, false)) purged++;
    this.commit();
    return purged;
  }

  // ================================================================== StreamStore: reads

  loadMsg(seq: number): StoredMsg | null {
    const blk = this.blockFor(seq);
    if (blk === null) return null;
    const i = seq - blk.base;
    if (blk.off[i] >= GHOST) return null;
    return this.loadAt(blk, i);
  }

  loadNextMsg(filter: string, start: number): StoredMsg | null {
    return this.findNext(filter, start) ? this.loadAt(this.foundBlk!, this.foundIdx) : null;
  }

  peekNextMsg(filter: string, start: number, out: MsgView): boolean {
    return this.findNext(filter, start) && this.viewAt(this.foundBlk!, this.foundIdx, out);
  }

  /** The first live message >= start matching filter: leaves its block and slot in foundBlk/foundIdx. */
  private findNext(filter: string, start: number): boolean {
    if (this.msgs === 0) return false;
    let s = Math.max(start, this.first);
    let hi = this.last;
    const all = filter === '' || filter === '>';
    if (!all) {
      const r = this.filterRange(filter, s);
      if (r === null) return false;
      [s, hi] = r;
    }
    const match = this.matcher(filter);
    const bl = this.blocks;
    for (let k = this.blockIndexFrom(s); k < bl.length; k++) {
      const b = bl[k];
      if (b.base > hi) break;
      const off = b.off;
      const ss = b.subj;
      const end = Math.min(hi - b.base, b.n - 1);
      for (let i = Math.max(s - b.base, 0); i <= end; i++) {
        if (off[i] < GHOST && (all || match(ss[i]))) {
          this.foundBlk = b;
          this.foundIdx = i;
          return true;
        }
      }
    }
    return false;
  }

  loadLastMsg(filter: string): StoredMsg | null {
    if (this.msgs === 0) return null;
    if (filter === '' || filter === '>') return this.loadPrevMsg(this.last);
    let best = -1;
    for (const [subj, e] of this.fss.matching(filter)) {
      const l = this.subjLast(subj, e);
      if (l > best) best = l;
    }
    return best < 0 ? null : this.loadMsg(best);
  }

  loadPrevMsg(start: number): StoredMsg | null {
    if (this.msgs === 0 || start < this.first) return null;
    const q = this.prevLive(Math.min(start, this.last));
    return q > 0 ? this.loadMsg(q) : null;
  }

  state(): StreamState {
    const n = this.msgs;
    if (n > 0 && this.firstTs < 0) {
      const b = this.blockFor(this.first);
      this.firstTs = b === null ? 0 : this.tsAt(b, this.first - b.base);
    }
    return {
      msgs: n,
      bytes: this.bytes,
      first_seq: this.first,
      first_ts: n > 0 ? this.firstTs : 0,
      last_seq: this.last,
      last_ts: this.lastTs,
      num_subjects: this.fss.size,
      num_deleted: n > 0 ? this.last - this.first + 1 - n : 0,
      consumer_count: 0,
    };
  }

  filteredState(start: number, filter: string): SimpleState {
    const out: SimpleState = { msgs: 0, first: 0, last: 0 };
    if (this.msgs === 0) return out;
    const s = Math.max(start, this.first);
    if (filter === '' || filter === '>') {
      if (s > this.last) return out;
      out.last = this.prevLive(this.last);
      if (s <= this.first) {
        out.msgs = this.msgs;
        out.first = this.first;
        return out;
      }
      out.first = this.nextLive(s);
      if (out.first === 0) return { msgs: 0, first: 0, last: 0 };
      out.msgs = this.countLive(s);
      return out;
    }
    // Subjects entirely at or after s count whole; the rest are counted in one scan.
    const partial = new Set<string>();
    let scanTo = 0;
    for (const [subj, e] of this.fss.matching(filter)) {
      const l = this.subjLast(subj, e);
      if (l < s) continue;
      const f = this.subjFirst(subj, e);
      if (f >= s) {
        out.msgs += e.msgs;
        if (out.first === 0 || f < out.first) out.first = f;
      } else {
        partial.add(subj);
        if (l > scanTo) scanTo = l;
      }
      if (l > out.last) out.last = l;
    }
    if (partial.size > 0) {
      const hits = this.collect(s, scanTo, (subj) => partial.has(subj));
      out.msgs += hits.length;
      if (hits.length > 0 && (out.first === 0 || hits[0] < out.first)) out.first = hits[0];
    }
    return out;
  }

  /** Every live (subject, seq), ascending. */
  private *liveEntries(): IterableIterator<[string, number]> {
    for (const b of this.blocks) {
      for (let i = 0; i < b.n; i++) if (b.off[i] < GHOST) yield [b.subj[i], b.base + i];
    }
  }

  /** Live messages at or after s. */
  private countLive(s: number): number {
    let n = 0;
    const bl = this.blocks;
    for (let k = this.blockIndexFrom(s); k < bl.length; k++) {
      const b = bl[k];
      if (s <= b.base) {
        n += b.live;
        continue;
      }
      const off = b.off;
      for (let i = s - b.base; i < b.n; i++) if (off[i] < GHOST) n++;
    }
    return n;
  }

  subjectsState(filter: string): Map<string, SimpleState> {
    const out = new Map<string, SimpleState>();
    for (const [subj, e] of this.fss.matching(filter)) {
      out.set(subj, { msgs: e.msgs, first: this.subjFirst(subj, e), last: this.subjLast(subj, e) });
    }
    return out;
  }

  numPending(start: number, filter: string, lastPerSubject: boolean): number {
    if (!lastPerSubject) {
      if ((filter === '' || filter === '>') && start <= this.first) return this.msgs;
      return this.filteredState(start, filter).msgs;
    }
    let n = 0;
    for (const [subj, e] of this.fss.matching(filter)) if (this.subjLast(subj, e) >= start) n++;
    return n;
  }

  deletedSeqs(): number[] {
    const out: number[] = [];
    if (this.msgs === 0) return out;
    let next = this.first;
    for (const b of this.blocks) {
      const end = Math.min(b.last, this.last);
      if (end < next) continue;
      for (; next < b.base && next <= this.last; next++) out.push(next);
      for (; next <= end; next++) if (b.off[next - b.base] >= GHOST) out.push(next);
    }
    for (; next <= this.last; next++) out.push(next);
    return out;
  }

  // ================================================================== config, limits, expiry

  updateConfig(cfg: StoreConfig): void {
    this.cfg = { ...cfg };
    this.fss.setTracking(wantsSeqTracking(cfg.max_msgs_per_subject), () => this.liveEntries());
    if (this.ageTimer !== null) {
      clearTimeout(this.ageTimer);
      this.ageTimer = null;
    }
    if (this.closed) return;
    this.enforceLimits(null);
    if (cfg.max_age > 0) this.expireAged();
    this.commit();
  }

  registerStorageUpdates(cb: StorageUpdateHandler): void {
    this.cb = cb;
  }

  private enforceLimits(subj: string | null): void {
    const c = this.cfg;
    if (c.max_msgs_per_subject > 0) {
      if (subj !== null) {
        const e = this.fss.get(subj);
        while (e !== undefined && e.msgs > c.max_msgs_per_subject) {
          if (!this.removeSeq(this.subjFirst(subj, e), true)) break;
        }
      } else {
        for (const [s, e] of [...this.fss.map]) {
          while (e.msgs > c.max_msgs_per_subject) {
            if (!this.removeSeq(this.subjFirst(s, e), true)) break;
          }
        }
      }
    }
    if (c.discard === 'new' && subj !== null) return; // the stream rejects before storing
    if (c.max_msgs > 0) while (this.msgs > c.max_msgs) this.removeSeq(this.first, true);
    if (c.max_bytes > 0) while (this.bytes > c.max_bytes && this.msgs > 0) this.removeSeq(this.first, true);
  }

  private armAgeTimer(ns: number): void {
    if (this.closed) return;
    const ms = Math.max(1, Math.ceil(ns / 1e6));
    this.ageTimer = setTimeout(() => {
      this.ageTimer = null;
      this.guard('expiry', () => {
        this.expireAged();
        this.commit();
      });
    }, ms);
    this.ageTimer.unref();
  }

  private expireAged(): void {
    const maxAge = this.cfg.max_age;
    if (maxAge <= 0 || this.closed) return;
    const cutoff = nowNs() - maxAge;
    while (this.msgs > 0) {
      const b = this.blockFor(this.first);
      if (b === null || this.tsAt(b, this.first - b.base) > cutoff) break;
      this.expire(this.first);
    }
    if (this.msgs > 0 && this.ageTimer === null) {
      const ts = this.state().first_ts;
      this.armAgeTimer(ts + maxAge - nowNs() + 1e6);
    }
  }

  registerExpiryHandler(cb: ExpiryHandler | null): void {
    this.expiryCb = cb;
  }

  /** Age/TTL expiry of one message: the owner may replace it with a delete marker. */
  private expire(seq: number): void {
    if (this.expiryCb !== null) {
      const m = this.loadMsg(seq);
      if (m !== null && this.expiryCb(seq, m.subj) && this.loadMsg(seq) === null) return;
    }
    this.removeSeq(seq, true);
  }

  private addTTL(seq: number, expires: number): void {
    this.ttls.set(seq, expires);
    this.armTTL();
  }

  private armTTL(): void {
    if (this.ttlTimer !== null || this.ttls.size === 0 || this.closed) return;
    let min = Infinity;
    for (const v of this.ttls.values()) if (v < min) min = v;
    const ms = Math.max(1, Math.ceil((min - nowNs()) / 1e6));
    this.ttlTimer = setTimeout(() => {
      this.ttlTimer = null;
      this.guard('ttl expiry', () => {
        const now = nowNs();
        for (const [seq, exp] of [...this.ttls]) if (exp <= now) this.expire(seq);
        this.commit();
        this.armTTL();
      });
    }, ms);
    this.ttlTimer.unref();
  }

  // ================================================================== lifecycle

  flush(sync = false): void {
    if (this.closed) return;
    this.writePending();
    if (sync) this.syncNow();
  }

  stop(): void {
    if (this.closed) return;
    try {
      this.writePending();
      if (this.fd >= 0) fsyncSync(this.fd);
      this.dirty = false;
      this.syncNow();
    } finally {
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
      this.closeReadFd();
      this.closed = true;
      for (const t of [this.syncTimer, this.sweepTimer]) if (t !== null) clearInterval(t);
      for (const t of [this.ageTimer, this.ttlTimer]) if (t !== null) clearTimeout(t);
      this.syncTimer = this.sweepTimer = this.ageTimer = this.ttlTimer = null;
      for (const b of this.cache) b.buf = null;
      this.cache.clear();
      this.cacheBytes = 0;
      this.compactQueue.clear();
      for (const c of this.consumers.values()) c.stop();
    }
  }

  delete(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  consumerStore(name: string, _cfg: unknown): ConsumerStore {
    let c = this.consumers.get(name);
    if (c === undefined || c.isClosed()) {
      c = new FileConsumerStore(join(this.dir, 'obs', name), {
        sync: this.syncAlways,
        log: (level, m) => this.log(level, `file store ${this.dir}: ${m}`),
      });
      this.consumers.set(name, c);
    }
    return c;
  }

  consumerNames(): string[] {
    const obs = join(this.dir, 'obs');
    if (!existsSync(obs)) return [];
    return readdirSync(obs)
      .filter((n) => existsSync(join(obs, n, 'meta.inf')))
      .sort();
  }

  /** Bytes of block files held in memory: the tail's buffer plus the read cache (tests, monitoring). */
  cachedBytes(): number {
    return this.cacheBytes + (this.tail.buf?.length ?? 0);
  }

  /** Number of block files (tests, monitoring). */
  numBlocks(): number {
    return this.blocks.length;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`file store ${this.dir} is closed`);
  }

  /** Run background work; a failure is logged, never thrown out of a timer. */
  private guard(what: string, fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (e) {
      this.log('error', `file store ${this.dir}: ${what} failed: ${(e as Error).message}`);
    }
  }
}
