/**
 * The write deadline of one connection (Go client.go flushOutbound /
 * handleWriteTimeout), for every connection kind. A flush that leaves bytes
 * in the socket arms the deadline; the socket draining disarms it. When it
 * fires the connection is a slow consumer: logged at INF as Go logs it, and
 * closed under the `close` policy (Go's default for clients) or when nothing
 * at all was written meanwhile; under `retry` (Go's default for routes,
 * gateways and leaf nodes) it stays, marked slow, until the socket drains
 * ("Slow Consumer Recovered").
 */
import type { Socket } from 'node:net';
import { formatGoDuration } from '../config/durations.js';

export type WritePolicy = 'close' | 'retry';

export interface WriteDeadlineHost {
  /** `host:port - cid:N` style prefix for log lines */
  label(): string;
  info(msg: string): void;
  /** count a slow consumer (first detection only for retries, as Go counts routes) */
  countSlow(alreadySlow: boolean): void;
  /** close the connection with the write-deadline reason */
  closeSlow(): void;
}

export class WriteDeadline {
  private timer: NodeJS.Timeout | null = null;
  /** socket bytes pending when the deadline was armed (to see whether anything was written) */
  private armedWith = 0;
  private armedAt = 0;
  /** Go isSlowConsumer: a retried write timeout, until the socket drains */
  slow = false;

  constructor(
    private readonly socket: Socket,
    private readonly host: WriteDeadlineHost,
  ) {}

  /** After a flush: arm the deadline when the socket still holds bytes. */
  afterFlush(pending: number, deadlineMs: number): void {
    if (pending === 0 || this.timer !== null || deadlineMs <= 0) return;
    this.armedWith = pending;
    this.armedAt = performance.now();
    this.timer = setTimeout(() => this.fire(deadlineMs, this.policy()), deadlineMs);
  }

  /** Policy in force; set by the owner (client: the server's write_timeout; links: retry). */
  policy: () => WritePolicy = () => 'close';

  /** The socket wrote everything out. */
  drained(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.slow) {
      this.slow = false;
      const secs = ((performance.now() - this.armedAt) / 1000).toFixed(3);
      this.host.info(`${this.host.label()} - Slow Consumer Recovered: Flush took ${secs}s with ${this.chunks()} chunks of ${this.armedWith} total bytes.`);
    }
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private chunks(): number {
    const wb = (this.socket as { writableBuffer?: unknown[] }).writableBuffer;
    return Math.max(1, Array.isArray(wb) ? wb.length : 1);
  }

  private fire(deadlineMs: number, policy: WritePolicy): void {
    this.timer = null;
    const pending = this.socket.writableLength;
    if (this.socket.destroyed || pending === 0) return;
    const already = this.slow;
    this.host.countSlow(already);
    const chunks = this.chunks();
    this.host.info(`${this.host.label()} - Slow Consumer ${already ? 'State' : 'Detected'}: WriteDeadline of ${formatGoDuration(deadlineMs)} exceeded with ${chunks} chunks of ${pending} total bytes.`);
    // Go closes under the close policy, or when nothing was written during the deadline.
    if (policy === 'close' || pending >= this.armedWith) {
      this.host.closeSlow();
      return;
    }
    this.slow = true;
    this.armedWith = pending;
    this.armedAt = performance.now();
    this.timer = setTimeout(() => this.fire(deadlineMs, this.policy()), deadlineMs);
  }
}
