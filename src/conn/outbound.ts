/**
 * Per-connection output buffer (Go client.go queueOutbound/flushOutbound, in
 * Node form). Frames are appended into a slab; the slab is append-only, so a
 * region already handed to `socket.write` is never touched again and no copy
 * is needed at flush time. Large payloads are queued by reference. A flush
 * hands everything queued since the last flush to the socket in one write
 * (or one corked batch when large payloads are queued by reference).
 */
import type { Socket } from 'node:net';
import { copyBytes } from '../util/bytes.js';
import { writeHeld } from '../util/write-barrier.js';

const SLAB_SIZE = 64 * 1024;
/**
 * A new connection's first slab: small, as Go's first outbound buffer is
 * (its 512 B / 4 KiB / 64 KiB buffer pool), so an idle or PING-only
 * connection holds no 64 KiB (10,000 connections would hold 640 MB, and V8
 * counts it as external memory that drives GC). Each slab that fills up is
 * replaced by one SLAB_GROWTH times larger, up to SLAB_SIZE.
 */
const FIRST_SLAB_SIZE = 512;
const SLAB_GROWTH = 8;
const NO_SLAB = Buffer.alloc(0);
/** Payloads at least this big are queued by reference rather than copied. */
export const BY_REF_THRESHOLD = 16 * 1024;

export class Outbound {
  slab: Buffer;
  /** write position in slab */
  pos = 0;
  /** start of the slab region not yet cut into `chunks` */
  private mark = 0;
  /** regions waiting to be written (slab cuts and payloads by reference) */
  private chunks: Buffer[] = [];
  /** bytes queued here and not yet handed to the socket */
  queued = 0;
  /** the size of the next slab */
  private nextSlab = FIRST_SLAB_SIZE;

  constructor() {
    this.slab = NO_SLAB;
  }

  /** Make room for n contiguous bytes in the slab; returns the position to write at. */
  reserve(n: number): number {
    if (this.slab.length - this.pos < n) {
      this.cut();
      const size = this.nextSlab;
      this.slab = Buffer.allocUnsafe(n > size ? n : size);
      if (size < SLAB_SIZE) this.nextSlab = Math.min(size * SLAB_GROWTH, SLAB_SIZE);
      this.pos = 0;
      this.mark = 0;
    }
    return this.pos;
  }

  /** Record that bytes up to `pos` were written into the slab after a reserve(). */
  commit(pos: number): void {
    this.queued += pos - this.pos;
    this.pos = pos;
  }

  /** Queue a buffer by reference (it must not be modified afterwards). */
  pushRef(buf: Buffer): void {
    this.cut();
    this.chunks.push(buf);
    this.queued += buf.length;
  }

  /**
   * Finish a message whose control line was written into the slab up to `p`
   * (reserved as line + payload + CR LF, or only the line for a payload of
   * BY_REF_THRESHOLD bytes or more): the payload buf[s, e), then CR LF.
   */
  commitMsg(p: number, buf: Buffer, s: number, e: number): void {
    if (e - s >= BY_REF_THRESHOLD) {
      this.commit(p);
      this.pushRef(buf.subarray(s, e));
      p = this.reserve(2);
    } else {
      p = copyBytes(buf, s, e, this.slab, p);
    }
    const d = this.slab;
    d[p++] = 13;
    d[p++] = 10;
    this.commit(p);
  }

  /** Append a copy of a small buffer. */
  append(buf: Buffer): void {
    if (buf.length >= BY_REF_THRESHOLD) {
      this.pushRef(buf);
      return;
    }
    const p = this.reserve(buf.length);
    buf.copy(this.slab, p);
    this.commit(p + buf.length);
  }

  private cut(): void {
    if (this.pos > this.mark) {
      this.chunks.push(this.slab.subarray(this.mark, this.pos));
      this.mark = this.pos;
    }
  }

  /** Write everything queued to the socket. Returns the number of bytes handed over. */
  flush(socket: Socket): number {
    const n = this.queued;
    if (n === 0) return 0;
    // What this output acknowledges reaches the OS first (util/write-barrier.ts).
    writeHeld();
    this.cut();
    const chunks = this.chunks;
    if (chunks.length === 1) {
      socket.write(chunks[0]);
      chunks.length = 0;
    } else {
      socket.cork();
      for (let k = 0; k < chunks.length; k++) socket.write(chunks[k]);
      socket.uncork();
      this.chunks = [];
    }
    this.queued = 0;
    // Rewind to the start of a fresh slab region when nothing of it is pending
    // in the socket is impossible to know cheaply, so keep appending; once the
    // slab is full a new one is allocated.
    return n;
  }

  /** Drop everything queued (connection closing). */
  clear(): void {
    this.chunks = [];
    this.queued = 0;
    this.mark = this.pos;
  }
}
