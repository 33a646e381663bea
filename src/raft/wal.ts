/**
 * The RAFT write-ahead log: one record per log index (Go stores one encoded
 * append entry per WAL sequence, `storeToWAL`), appended to `wal.log`.
 *
 * File format (ours; Go keeps its WAL in a JetStream file store, which is
 * local to a node and never exchanged):
 *   header  : "NRGWAL01" (8 bytes), first index (uint64 LE)
 *   record  : payload length (uint32), crc32 of the rest (uint32),
 *             index (uint64), term (uint64), payload
 * Records follow each other with consecutive indexes from the header's first
 * index. On open, the records are checked in order; the first one that is cut
 * short, fails its checksum or breaks the index sequence ends the log and the
 * file is truncated there (a torn tail from a crash is dropped, never
 * replayed). Compaction and resets rewrite the file atomically (temp + fsync +
 * rename), so a crash leaves the old or the new file.
 *
 * Writes are synchronous (writeSync), so an appended record is in the OS's
 * page cache when append() returns and survives a process crash; `sync`
 * decides when it is forced to disk (survives a machine crash): `always`
 * fsyncs every append, `{ intervalMs }` at most once per interval (and on
 * sync()/close()), `none` only on sync()/close().
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { removeTempFiles, writeFileAtomic } from '../util/atomic-file.js';

export type SyncPolicy = 'always' | 'none' | { intervalMs: number };

export interface WalOptions {
  sync?: SyncPolicy;
}

export interface WalRecord {
  index: number;
  term: number;
  data: Buffer;
}

export const WAL_FILE = 'wal.log';
const MAGIC = Buffer.from('NRGWAL01', 'latin1');
const FILE_HEADER = 16;
const REC_HEADER = 24;
const MAX_RECORD = 0x7fffffff;
const TWO_32 = 0x100000000;

function putU64(b: Buffer, off: number, v: number): void {
  b.writeUInt32LE(v % TWO_32, off);
  b.writeUInt32LE(Math.floor(v / TWO_32), off + 4);
}

function getU64(b: Buffer, off: number): number {
  return b.readUInt32LE(off + 4) * TWO_32 + b.readUInt32LE(off);
}

function fileHeader(first: number): Buffer {
  const h = Buffer.alloc(FILE_HEADER);
  MAGIC.copy(h, 0);
  putU64(h, 8, first);
  return h;
}

export class Wal {
  readonly path: string;
  private fd: number;
  private first: number;
  /** Byte offset of each record, index `first + i` at offsets[i]. */
  private offsets: number[];
  private terms: number[];
  private end: number;
  private readonly sync: SyncPolicy;
  private lastSync = 0;
  private dirty = false;
  /** What open() dropped from a torn tail, in bytes (for logs and tests). */
  readonly recoveredTornBytes: number;

  private constructor(path: string, fd: number, first: number, offsets: number[], terms: number[], end: number, torn: number, sync: SyncPolicy) {
    this.path = path;
    this.fd = fd;
    this.first = first;
    this.offsets = offsets;
    this.terms = terms;
    this.end = end;
    this.recoveredTornBytes = torn;
    this.sync = sync;
  }

  /** Open (or create) the log in `dir`, dropping a torn tail. */
  static open(dir: string, opts: WalOptions = {}): Wal {
    mkdirSync(dir, { recursive: true });
    removeTempFiles(dir);
    const path = join(dir, WAL_FILE);
    if (!existsSync(path)) writeFileAtomic(path, fileHeader(1));
    let buf = readFileSync(path);
    if (buf.length < FILE_HEADER || !buf.subarray(0, 8).equals(MAGIC)) {
      // The header is only ever written by an atomic rewrite, so this is not a
      // torn write but a foreign or damaged file: start an empty log.
      writeFileAtomic(path, fileHeader(1));
      buf = readFileSync(path);
    }
    const first = Math.max(1, getU64(buf, 8));
    const offsets: number[] = [];
    const terms: number[] = [];
    let off = FILE_HEADER;
    let expect = first;
    while (off + REC_HEADER <= buf.length) {
      const len = buf.readUInt32LE(off);
      if (len > MAX_RECORD || off + REC_HEADER + len > buf.length) break;
      const crc = buf.readUInt32LE(off + 4);
      if (crc32(buf.subarray(off + 8, off + REC_HEADER + len)) !== crc) break;
      if (getU64(buf, off + 8) !== expect) break;
      offsets.push(off);
      terms.push(getU64(buf, off + 16));
      off += REC_HEADER + len;
      expect++;
    }
    const fd = openSync(path, 'r+');
    const torn = buf.length - off;
    if (torn > 0) {
      ftruncateSync(fd, off);
      fsyncSync(fd);
    }
    return new Wal(path, fd, first, offsets, terms, off, torn, opts.sync ?? 'always');
  }

  /** First index held; when the log is empty it is lastIndex + 1. */
  get firstIndex(): number {
    return this.first;
  }

  get lastIndex(): number {
    return this.first + this.offsets.length - 1;
  }

  get count(): number {
    return this.offsets.length;
  }

  /** Bytes of records held (the file less its header). */
  get bytes(): number {
    return this.end - FILE_HEADER;
  }

  /** Term of the record at index, or -1 when not held. */
  termAt(index: number): number {
    const i = index - this.first;
    return i >= 0 && i < this.terms.length ? this.terms[i] : -1;
  }

  /** Append the next record (index lastIndex + 1); returns its index. */
  append(term: number, data: Uint8Array): number {
    const index = this.lastIndex + 1;
    const rec = Buffer.allocUnsafe(REC_HEADER + data.length);
    rec.writeUInt32LE(data.length, 0);
    putU64(rec, 8, index);
    putU64(rec, 16, term);
    rec.set(data, REC_HEADER);
    rec.writeUInt32LE(crc32(rec.subarray(8)), 4);
    let w = 0;
    while (w < rec.length) w += writeSync(this.fd, rec, w, rec.length - w, this.end + w);
    this.offsets.push(this.end);
    this.terms.push(term);
    this.end += rec.length;
    this.dirty = true;
    this.maybeSync();
    return index;
  }

  private maybeSync(): void {
    const p = this.sync;
    if (p === 'always') this.flush();
    else if (p !== 'none') {
      const now = Date.now();
      if (now - this.lastSync >= p.intervalMs) this.flush();
    }
  }

  /** Force appended records to disk. */
  flush(): void {
    if (!this.dirty) return;
    fsyncSync(this.fd);
    this.dirty = false;
    this.lastSync = Date.now();
  }

  /** The record at index, or null when not held. */
  get(index: number): WalRecord | null {
    const i = index - this.first;
    if (i < 0 || i >= this.offsets.length) return null;
    const off = this.offsets[i];
    const next = i + 1 < this.offsets.length ? this.offsets[i + 1] : this.end;
    const buf = Buffer.allocUnsafe(next - off);
    let r = 0;
    while (r < buf.length) {
      const n = readSync(this.fd, buf, r, buf.length - r, off + r);
      if (n === 0) return null;
      r += n;
    }
    return { index, term: this.terms[i], data: buf.subarray(REC_HEADER) };
  }

  /** Drop every record after `index` (keep index and below), as on a log conflict. */
  truncate(index: number): void {
    if (index >= this.lastIndex) return;
    if (index < this.first) {
      // Nothing held survives: the log restarts right after index.
      this.rewrite(Math.max(1, index + 1), true);
      return;
    }
    const keep = index - this.first + 1;
    const cut = this.offsets[keep];
    ftruncateSync(this.fd, cut);
    fsyncSync(this.fd);
    this.offsets.length = keep;
    this.terms.length = keep;
    this.end = cut;
  }

  /** Drop every record before `index` (after a snapshot that covers index - 1). */
  compact(index: number): void {
    if (index <= this.first) return;
    this.rewrite(index, index > this.lastIndex);
  }

  /** Empty the log so that the next record gets index `next`. */
  reset(next: number): void {
    this.rewrite(Math.max(1, next), true);
  }

  /**
   * Rewrite the file so it starts at `first`; with `empty` it holds no records,
   * else it keeps the records from `first` to the current last index.
   */
  private rewrite(first: number, empty: boolean): void {
    this.flush();
    let body: Buffer = Buffer.alloc(0);
    const offsets: number[] = [];
    const terms: number[] = [];
    if (!empty) {
      const i = first - this.first;
      const from = this.offsets[i];
      body = Buffer.allocUnsafe(this.end - from);
      let r = 0;
      while (r < body.length) r += readSync(this.fd, body, r, body.length - r, from + r);
      for (let k = i; k < this.offsets.length; k++) {
        offsets.push(this.offsets[k] - from + FILE_HEADER);
        terms.push(this.terms[k]);
      }
    }
    writeFileAtomic(this.path, Buffer.concat([fileHeader(first), body]));
    closeSync(this.fd);
    this.fd = openSync(this.path, 'r+');
    this.first = first;
    this.offsets = offsets;
    this.terms = terms;
    this.end = fstatSync(this.fd).size;
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
