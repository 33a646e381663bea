/**
 * The file store: messages are appended as checksummed records to block files
 * (`msgs/<n>.blk`, rolled at `blockSize`); removals append a DELETE record;
 * purge/compact record the new first sequence in `msgs/state.json`. The
 * working set is served from an in-memory MemStore (same limits, per-subject
 * index and TTLs), so reads never touch the disk; the disk is the durable log
 * that rebuilds it on open. Blocks whose messages are mostly gone are
 * rewritten or deleted.
 *
 * Durability: appends are buffered and written once per event-loop turn (or
 * every 256 KiB); `sync_interval` fsyncs on a timer; `always` writes and
 * fsyncs each record before the call returns.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MemStore } from '../memstore.js';
import {
  fileStoreMsgSize,
  nowNs,
  type ConsumerStore,
  type SimpleState,
  type StorageUpdateHandler,
  type StoreConfig,
  type StoredMsg,
  type StreamState,
  type StreamStore,
} from '../store.js';
import { FileConsumerStore } from './consumer-store.js';
import { decodeAt, encodeDelete, encodeMsg, msgViews, REC_MSG } from './record.js';

export interface FileStoreOptions {
  blockSize?: number;
  /** ms between background fsyncs, or 'always' */
  syncIntervalMs?: number | 'always';
  log?: (level: 'warn' | 'error' | 'info', msg: string) => void;
}

interface Block {
  index: number;
  path: string;
  /** bytes in the file (including appends not yet written) */
  size: number;
  live: number;
  liveBytes: number;
  /** lowest/highest sequence of message records physically in the file */
  minSeq: number;
  maxSeq: number;
  /** sequences named by DELETE records in this block */
  tombs: number[];
}

const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
const DEFAULT_SYNC_MS = 120_000;
const WRITE_CHUNK = 256 * 1024;

export class FileStore implements StreamStore {
  readonly type = 'file' as const;
  private readonly mem: MemStore;
  private readonly msgDir: string;
  private readonly blockSize: number;
  private readonly syncMs: number | 'always';
  private readonly log: NonNullable<FileStoreOptions['log']>;
  private readonly blocks: Block[] = [];
  private readonly loc = new Map<number, { blk: Block; len: number }>();
  private tail!: Block;
  private fd = -1;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private dirty = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private recovering = false;
  private suppressTombs = false;
  private cb: StorageUpdateHandler | null = null;
  private closed = false;
  private compactScheduled = new Set<Block>();
  private readonly consumers = new Map<string, FileConsumerStore>();

  constructor(
    private readonly dir: string,
    private cfg: StoreConfig,
    opts: FileStoreOptions = {},
  ) {
    this.blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.syncMs = opts.syncIntervalMs ?? DEFAULT_SYNC_MS;
    this.log = opts.log ?? (() => {});
    this.msgDir = join(dir, 'msgs');
    mkdirSync(this.msgDir, { recursive: true });
    this.mem = new MemStore(cfg, fileStoreMsgSize);
    this.mem.registerStorageUpdates((md, bd, seq, subj) => this.onMemUpdate(md, bd, seq, subj));
    this.recover();
    if (this.syncMs !== 'always') {
      this.syncTimer = setInterval(() => this.syncNow(), Math.max(10, this.syncMs));
      this.syncTimer.unref?.();
    }
  }

  // ------------------------------------------------------------------ recovery

  private recover(): void {
    this.recovering = true;
    const files = readdirSync(this.msgDir)
      .filter((f) => /^\d+\.blk$/.test(f))
      .map((f) => Number(f.slice(0, -4)))
      .sort((a, b) => a - b);
    for (let i = 0; i < files.length; i++) {
      const blk = this.newBlockRecord(files[i]);
      this.blocks.push(blk);
      this.replayBlock(blk, i === files.length - 1);
    }
    const statePath = join(this.msgDir, 'state.json');
    if (existsSync(statePath)) {
      try {
        const st = JSON.parse(readFileSync(statePath, 'utf8')) as { first_seq: number; last_seq: number };
        const cur = this.mem.state();
        if (st.first_seq > cur.first_seq) this.mem.compact(st.first_seq);
        let last = this.mem.state().last_seq;
        if (st.last_seq > last && this.mem.state().msgs === 0) this.mem.compact(st.last_seq + 1);
        else while (st.last_seq > last) last = this.mem.skipMsg();
      } catch (e) {
        this.log('warn', `file store ${this.dir}: ignoring unreadable state.json: ${(e as Error).message}`);
      }
    }
    this.recovering = false;
    if (this.blocks.length === 0) this.blocks.push(this.newBlockRecord(1));
    this.tail = this.blocks[this.blocks.length - 1];
    this.fd = openSync(this.tail.path, 'a');
  }

  private newBlockRecord(index: number): Block {
    return { index, path: join(this.msgDir, `${index}.blk`), size: 0, live: 0, liveBytes: 0, minSeq: Infinity, maxSeq: 0, tombs: [] };
  }

  private replayBlock(blk: Block, isLast: boolean): void {
    const buf = readFileSync(blk.path);
    let off = 0;
    while (off < buf.length) {
      const r = decodeAt(buf, off);
      if (r === null) break;
      const [rec, len] = r;
      if (rec.kind === REC_MSG) {
        if (rec.seq > this.mem.state().last_seq) {
          this.loc.set(rec.seq, { blk, len });
          blk.live++;
          blk.liveBytes += len;
          if (rec.seq < blk.minSeq) blk.minSeq = rec.seq;
          if (rec.seq > blk.maxSeq) blk.maxSeq = rec.seq;
          this.mem.storeRawMsg(rec.subj, rec.hdr, rec.msg, rec.seq, rec.ts);
          if (rec.expires > 0) this.mem.setTTL(rec.seq, rec.expires);
        }
      } else {
        blk.tombs.push(rec.seq);
        this.mem.removeMsg(rec.seq);
      }
      off += len;
    }
    blk.size = off;
    if (off < buf.length) {
      if (isLast) {
        this.log('warn', `file store ${this.dir}: block ${blk.index} has a torn or corrupt record at offset ${off}; truncating ${buf.length - off} bytes`);
        const fd = openSync(blk.path, 'r+');
        try {
          ftruncateSync(fd, off);
        } finally {
          closeSync(fd);
        }
      } else {
        this.log('error', `file store ${this.dir}: block ${blk.index} is corrupt at offset ${off} (${buf.length - off} bytes unreadable); keeping ${off} bytes`);
      }
    }
  }

  // ------------------------------------------------------------------ write path

  private onMemUpdate(md: number, bd: number, seq: number, subj: string): void {
    if (md < 0) {
      if (md === -1 && subj !== '') this.forget(seq);
      if (!this.recovering && !this.suppressTombs && md === -1 && subj !== '') this.append(encodeDelete(seq), true);
    }
    if (this.cb !== null && !this.recovering) this.cb(md, bd, seq, subj);
  }

  /** A message left the store: update its block's accounting. */
  private forget(seq: number): void {
    const l = this.loc.get(seq);
    if (l === undefined) return;
    this.loc.delete(seq);
    const b = l.blk;
    b.live--;
    b.liveBytes -= l.len;
    if (!this.recovering && b !== this.tail) this.scheduleCompact(b);
  }

  private append(rec: Buffer, tomb: boolean): void {
    if (this.closed) return;
    if (this.tail.size > 0 && this.tail.size + rec.length > this.blockSize) this.roll();
    this.pending.push(rec);
    this.pendingBytes += rec.length;
    this.tail.size += rec.length;
    if (tomb) {
      const seq = rec.readDoubleLE(9);
      this.tail.tombs.push(seq);
    }
    if (this.syncMs === 'always') {
      this.writePending();
      fsyncSync(this.fd);
      return;
    }
    this.dirty = true;
    if (this.pendingBytes >= WRITE_CHUNK) this.writePending();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.writePending();
      });
    }
  }

  private writePending(): void {
    if (this.pendingBytes === 0 || this.fd < 0) return;
    const b = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
  }

  private roll(): void {
    this.writePending();
    fsyncSync(this.fd);
    closeSync(this.fd);
    const old = this.tail;
    const blk = this.newBlockRecord(old.index + 1);
    this.blocks.push(blk);
    this.tail = blk;
    this.fd = openSync(blk.path, 'a');
    this.scheduleCompact(old);
  }

  private syncNow(): void {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    this.writePending();
    fsyncSync(this.fd);
  }

  private writeState(): void {
    const st = this.mem.state();
    const p = join(this.msgDir, 'state.json');
    writeFileSync(p + '.tmp', JSON.stringify({ first_seq: st.first_seq, last_seq: st.last_seq }));
    renameSync(p + '.tmp', p);
  }

  // ------------------------------------------------------------------ compaction

  private scheduleCompact(b: Block): void {
    if (this.compactScheduled.has(b) || this.closed) return;
    if (b.live > 0 && b.liveBytes * 2 > b.size) return;
    this.compactScheduled.add(b);
    setImmediate(() => {
      this.compactScheduled.delete(b);
      if (!this.closed && b !== this.tail && this.blocks.includes(b)) this.compactBlock(b);
    });
  }

  /** Tombstones another block still needs: their message record may still be on disk elsewhere. */
  private neededTombs(b: Block): number[] {
    if (b.tombs.length === 0) return [];
    const first = this.mem.state().first_seq;
    return b.tombs.filter((t) => t >= first && this.blocks.some((o) => o !== b && o.minSeq <= t && t <= o.maxSeq));
  }

  private compactBlock(b: Block): void {
    const tombs = this.neededTombs(b);
    if (b.live === 0 && tombs.length === 0) {
      const i = this.blocks.indexOf(b);
      this.blocks.splice(i, 1);
      this.writeState();
      try {
        unlinkSync(b.path);
      } catch {
        /* already gone */
      }
      return;
    }
    if (b.live > 0 && b.liveBytes * 2 > b.size) return;
    const buf = readFileSync(b.path);
    const keep: Buffer[] = [];
    let min = Infinity;
    let max = 0;
    let off = 0;
    while (off < buf.length) {
      const r = decodeAt(buf, off);
      if (r === null) break;
      const [rec, len] = r;
      if (rec.kind === REC_MSG) {
        const l = this.loc.get(rec.seq);
        if (l !== undefined && l.blk === b) {
          keep.push(buf.subarray(off, off + len));
          if (rec.seq < min) min = rec.seq;
          if (rec.seq > max) max = rec.seq;
        }
      } else if (tombs.includes(rec.seq)) keep.push(buf.subarray(off, off + len));
      off += len;
    }
    const out = Buffer.concat(keep);
    const tmp = b.path + '.tmp';
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, out);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, b.path);
    b.size = out.length;
    b.minSeq = min;
    b.maxSeq = max;
    b.tombs = tombs;
  }

  // ------------------------------------------------------------------ StreamStore

  storeMsg(subj: string, hdr: Buffer | null, msg: Buffer, ttlSec = 0): [number, number] {
    // Encode the record first; the in-memory copy is a view into it (one copy of the bytes).
    const seq = this.mem.lastSeq() + 1;
    const ts = nowNs();
    const rec = encodeMsg(seq, ts, ttlSec > 0 ? ts + ttlSec * 1e9 : 0, subj, hdr, msg);
    const [h, m] = msgViews(rec, subj.length, hdr === null ? 0 : hdr.length);
    this.mem.storeOwned(subj, h, m, seq, ts, ttlSec);
    this.persistRecord(seq, rec);
    return [seq, ts];
  }

  storeRawMsg(subj: string, hdr: Buffer | null, msg: Buffer, seq: number, ts: number): void {
    this.mem.storeRawMsg(subj, hdr, msg, seq, ts);
    this.persistMsg(seq, ts, subj, hdr, msg, 0);
  }

  private persistMsg(seq: number, ts: number, subj: string, hdr: Buffer | null, msg: Buffer, expires: number): void {
    this.persistRecord(seq, encodeMsg(seq, ts, expires, subj, hdr, msg));
  }

  private persistRecord(seq: number, rec: Buffer): void {
    if (this.tail.size > 0 && this.tail.size + rec.length > this.blockSize) this.roll();
    const b = this.tail;
    const live = this.mem.loadMsg(seq) !== null;
    if (live) {
      this.loc.set(seq, { blk: b, len: rec.length });
      b.live++;
      b.liveBytes += rec.length;
    }
    if (seq < b.minSeq) b.minSeq = seq;
    if (seq > b.maxSeq) b.maxSeq = seq;
    this.append(rec, false);
    // Limits removed the new message itself: its DELETE must follow its record.
    if (!live) this.append(encodeDelete(seq), true);
  }

  skipMsg(): number {
    const seq = this.mem.skipMsg();
    this.writePending();
    this.writeState();
    return seq;
  }

  loadMsg(seq: number): StoredMsg | null {
    return this.mem.loadMsg(seq);
  }
  loadNextMsg(filter: string, start: number): StoredMsg | null {
    return this.mem.loadNextMsg(filter, start);
  }
  loadLastMsg(filter: string): StoredMsg | null {
    return this.mem.loadLastMsg(filter);
  }
  loadPrevMsg(start: number): StoredMsg | null {
    return this.mem.loadPrevMsg(start);
  }

  removeMsg(seq: number): boolean {
    return this.mem.removeMsg(seq);
  }

  eraseMsg(seq: number): boolean {
    const l = this.loc.get(seq);
    if (l === undefined) return false;
    const blk = l.blk;
    const ok = this.mem.eraseMsg(seq);
    // The record's bytes go away when its block is rewritten; force that now.
    if (ok && blk !== this.tail) this.compactBlock(blk);
    return ok;
  }

  private bulk<T>(fn: () => T): T {
    this.suppressTombs = true;
    try {
      return fn();
    } finally {
      this.suppressTombs = false;
    }
  }

  purge(): number {
    const n = this.bulk(() => this.mem.purge());
    this.loc.clear();
    this.writePending();
    this.writeState();
    this.resetBlocks();
    return n;
  }

  /** After a full purge every block is garbage: start a fresh tail. */
  private resetBlocks(): void {
    if (this.fd >= 0) closeSync(this.fd);
    const next = this.tail.index + 1;
    for (const b of this.blocks) {
      try {
        unlinkSync(b.path);
      } catch {
        /* gone */
      }
    }
    this.blocks.length = 0;
    const blk = this.newBlockRecord(next);
    this.blocks.push(blk);
    this.tail = blk;
    this.fd = openSync(blk.path, 'a');
  }

  purgeEx(subject: string, seq: number, keep: number): number {
    const all = subject === '' || subject === '>';
    if (all && seq === 0 && keep === 0) return this.purge();
    if (all && keep === 0) return this.compact(seq);
    return this.mem.purgeEx(subject, seq, keep);
  }

  compact(seq: number): number {
    const before = this.mem.state();
    const n = this.bulk(() => this.mem.compact(seq));
    if (seq > before.last_seq) {
      this.loc.clear();
      this.writePending();
      this.writeState();
      this.resetBlocks();
      return n;
    }
    this.writePending();
    this.writeState();
    for (const b of [...this.blocks]) if (b !== this.tail) this.scheduleCompact(b);
    return n;
  }

  state(): StreamState {
    return this.mem.state();
  }
  filteredState(start: number, filter: string): SimpleState {
    return this.mem.filteredState(start, filter);
  }
  subjectsState(filter: string): Map<string, SimpleState> {
    return this.mem.subjectsState(filter);
  }
  numPending(start: number, filter: string, lastPerSubject: boolean): number {
    return this.mem.numPending(start, filter, lastPerSubject);
  }
  deletedSeqs(): number[] {
    return this.mem.deletedSeqs();
  }

  updateConfig(cfg: StoreConfig): void {
    this.cfg = { ...cfg };
    this.mem.updateConfig(cfg);
  }

  registerStorageUpdates(cb: StorageUpdateHandler): void {
    this.cb = cb;
  }

  flush(sync = false): void {
    if (this.closed) return;
    this.writePending();
    if (sync) fsyncSync(this.fd);
  }

  stop(): void {
    if (this.closed) return;
    this.writePending();
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fd = -1;
    this.closed = true;
    if (this.syncTimer !== null) clearInterval(this.syncTimer);
    this.syncTimer = null;
    for (const c of this.consumers.values()) c.stop();
    this.mem.stop();
  }

  delete(): void {
    this.stop();
    this.mem.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }

  consumerStore(name: string, _cfg: unknown): ConsumerStore {
    let c = this.consumers.get(name);
    if (c === undefined) {
      c = new FileConsumerStore(join(this.dir, 'obs', name));
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

  /** Number of block files (tests, monitoring). */
  numBlocks(): number {
    return this.blocks.length;
  }
}
