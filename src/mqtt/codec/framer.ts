/**
 * Splits a byte stream into MQTT packets. Packets that lie inside one chunk
 * are handed out as views of it; only a packet split across reads is copied
 * into a pending buffer (as the NATS parser does with its scratch space).
 * `maxPacket` bounds what a peer can make us buffer: a Remaining Length
 * announcing more is refused before its bytes arrive ([MQTT-3.1.2-24]'s
 * "Packet too large" in 5.0; Go's max_payload check before CONNECT).
 */
import { FixedHeader, HEADER_INCOMPLETE, HEADER_MALFORMED, readFixedHeader } from './decode.js';

export const FRAME_NONE = 0;
export const FRAME_PACKET = 1;
export const FRAME_MALFORMED = 2;
export const FRAME_TOO_LARGE = 3;

export class Framer {
  /** the current packet: type, flags, and its body at buf[start, end) */
  readonly header = new FixedHeader();
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** total bytes of a refused packet (FRAME_TOO_LARGE) */
  size = 0;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private pending: Buffer | null = null;

  /** `maxPacket`: largest whole packet accepted (fixed header included); <= 0 = none beyond the protocol's */
  constructor(public maxPacket = 0) {}

  /** Add a chunk; call `next()` until it returns FRAME_NONE. The chunk must not be reused by the caller. */
  push(chunk: Buffer): void {
    if (this.pending !== null) {
      const p = this.pending;
      const rest = this.chunk.length - this.pos;
      const merged = Buffer.allocUnsafe(p.length + (rest > 0 ? rest : 0) + chunk.length);
      p.copy(merged, 0);
      let k = p.length;
      if (rest > 0) k += this.chunk.copy(merged, k, this.pos);
      chunk.copy(merged, k);
      this.pending = null;
      this.chunk = merged;
    } else if (this.pos < this.chunk.length) {
      this.chunk = Buffer.concat([this.chunk.subarray(this.pos), chunk]);
    } else {
      this.chunk = chunk;
    }
    this.pos = 0;
  }

  /** Bytes buffered and not yet handed out. */
  get buffered(): number {
    return this.chunk.length - this.pos;
  }

  next(): number {
    const c = this.chunk;
    const end = c.length;
    if (this.pos >= end) return FRAME_NONE;
    const h = this.header;
    const st = readFixedHeader(c, this.pos, end, h);
    if (st === HEADER_MALFORMED) return FRAME_MALFORMED;
    if (st === HEADER_INCOMPLETE) {
      this.keepRest();
      return FRAME_NONE;
    }
    const total = h.headerLen + h.remaining;
    if (this.maxPacket > 0 && total > this.maxPacket) {
      this.size = total;
      return FRAME_TOO_LARGE;
    }
    if (this.pos + total > end) {
      this.keepRest();
      return FRAME_NONE;
    }
    this.buf = c;
    this.start = this.pos + h.headerLen;
    this.end = this.pos + total;
    this.pos += total;
    return FRAME_PACKET;
  }

  /** Copy the partial packet out of the chunk (the caller may recycle or drop the chunk). */
  private keepRest(): void {
    this.pending = Buffer.from(this.chunk.subarray(this.pos));
    this.chunk = EMPTY;
    this.pos = 0;
  }

  reset(): void {
    this.chunk = EMPTY;
    this.pos = 0;
    this.pending = null;
  }
}

const EMPTY = Buffer.alloc(0);
