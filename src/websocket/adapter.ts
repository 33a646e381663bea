/**
 * A WebSocket seen as the byte stream our connection classes read and write
 * (Go websocket.go wsRead/wsCollapsePtoNB do the same inside client.go's read
 * and write loops). Inbound binary and text frames are pushed as plain bytes;
 * everything written goes out as binary frames, one frame per write cycle (a
 * corked batch of writes reaches `_writev` and becomes one frame).
 *
 * Framing, masking, ping/pong and permessage-deflate are done by the `ws`
 * package rather than a hand-written codec: its receiver and sender are small,
 * fast, well tested (Autobahn) and already a dependency of the project's
 * tests; what Go decides itself (upgrade checks, status codes, close codes)
 * stays in this folder.
 */
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ClosedReason, CloseReasonSink } from '../conn/closed-reason.js';
import type { AuthAwareTransport } from '../conn/transport-hooks.js';
import { closeStatusFor } from './close.js';

/** The largest frame a WebSocket peer may send once authenticated (the ws servers' maxPayload). */
export const WS_MAX_FRAME = 64 * 1024 * 1024;

/**
 * Set the frame size the `ws` receiver accepts on one connection. `ws` checks
 * a frame's declared length against it as soon as the header is read, before
 * buffering the payload, and closes with 1009; it has no public per-socket
 * setter, so this reaches its receiver (ws 8.x) and reports whether it could.
 */
function setMaxFrame(ws: WebSocket, n: number): boolean {
  const r = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (r === undefined || r === null || typeof r._maxPayload !== 'number') return false;
  r._maxPayload = n;
  return true;
}

export class WsSocket extends Duplex implements CloseReasonSink, AuthAwareTransport {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** the upgrade happened over TLS (wss) */
  readonly secure: boolean;
  private closeCode = 1000;
  private closeText = '';
  private wsClosed = false;

  constructor(
    readonly ws: WebSocket,
    remote: { address?: string; port?: number; secure: boolean },
    /** frame bound until CONNECT is accepted (Go streams frames into the parser, which bounds the CONNECT line) */
    preAuthMaxFrame = 0,
  ) {
    super({ allowHalfOpen: false });
    if (preAuthMaxFrame > 0) setMaxFrame(ws, preAuthMaxFrame);
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
    this.secure = remote.secure;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => {
      if (!this.push(data)) ws.pause();
    });
    ws.on('close', () => {
      this.wsClosed = true;
      this.push(null);
      this.destroy();
    });
    ws.on('error', (e: Error) => this.destroy(e));
  }

  /** net.Socket compatibility: the TCP socket under the WebSocket already has Nagle off. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  /** CONNECT accepted: frames up to the full size again. */
  authenticated(): void {
    setMaxFrame(this.ws, WS_MAX_FRAME);
  }

  /** Go wsEnqueueCloseMessage: the close frame carries a status chosen from the reason. */
  noteCloseReason(reason: ClosedReason): void {
    this.closeCode = closeStatusFor(reason);
    this.closeText = reason;
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== 1) {
      cb(new Error('websocket is not open'));
      return;
    }
    this.ws.send(chunk, { binary: true }, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== 1) {
      cb(new Error('websocket is not open'));
      return;
    }
    if (chunks.length === 1) {
      this.ws.send(chunks[0].chunk, { binary: true }, cb);
      return;
    }
    let n = 0;
    for (let k = 0; k < chunks.length; k++) n += chunks[k].chunk.length;
    const buf = Buffer.allocUnsafe(n);
    let off = 0;
    for (let k = 0; k < chunks.length; k++) {
      chunks[k].chunk.copy(buf, off);
      off += chunks[k].chunk.length;
    }
    this.ws.send(buf, { binary: true }, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.wsClosed && this.ws.readyState === 1) this.ws.close(this.closeCode, truncateReason(this.closeText));
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.wsClosed) {
      this.wsClosed = true;
      this.ws.terminate();
    }
    cb(err);
  }
}

/** Go wsCreateCloseMessage: a close payload is at most 125 bytes, the status takes 2; a cut text ends in "...". */
function truncateReason(s: string): string {
  if (Buffer.byteLength(s) <= 123) return s;
  return s.slice(0, 120) + '...';
}
