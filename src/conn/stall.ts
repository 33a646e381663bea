/**
 * Fast-producer stall (Go client.go: the `out.stc` gate set in queueOutbound,
 * `stalledWait`, released in flushOutbound), in Node form.
 *
 * Go blocks the producer's read loop inside the delivery while the consumer
 * it writes to holds more than 3/4 of max_pending, for at most
 * STALL_TOTAL_MS per read. Node cannot block, so the stall happens between
 * reads: a producer that delivered to a consumer with a closed gate stops
 * reading its socket once the current read is processed and flushed, until
 * every gate it met opens again (the consumer's socket drained below the
 * mark) or STALL_TOTAL_MS passed. A subscriber that keeps reading is
 * therefore never cut for pending bytes; one that stops reading still
 * reaches max_pending (or the write deadline) and becomes a slow consumer.
 */

/** Go stallTotalAllowed: the longest one read may be held back. */
export const STALL_TOTAL_MS = 10;
/** Go stallClientMinDuration: how often a stalled producer looks at its gates again. */
export const STALL_CHECK_MS = 2;
/** Go stallClientMaxDuration: a stall at least this long is reported (rate limited). */
export const STALL_REPORT_MS = 5;

/** The reading side a stall pauses (a socket). */
export interface StallInput {
  pause(): unknown;
  resume(): unknown;
}

export interface StallHooks {
  /** may the input be resumed now (false while another pause, e.g. an auth callout, holds it) */
  mayResume(): boolean;
  /** consumer role: is the socket's pending output back below the stall mark (live, between flushes) */
  caughtUp(): boolean;
  /** a stall that lasted `ms` ended */
  stalled(ms: number): void;
}

/**
 * One connection's stall state, in both roles: as a consumer it owns a gate
 * (closed while its pending output is above 3/4 of the limit); as a producer
 * it remembers the gates it met during the current read and waits on them.
 */
export class Stall {
  /** consumer role: the gate is closed (producers feeding this connection stall) */
  gated = false;
  /** consumer role: how often producers were stalled on this connection (Go c.stalls, /connz stalls) */
  stalls = 0;
  /** consumer role: producers waiting for this gate to open */
  private waiters: Stall[] = [];
  /** producer role: gates met during the current read, waited on after it */
  private waitOn: Stall[] = [];
  /** producer role: the input is paused */
  private stalled = false;
  private timer: NodeJS.Timeout | null = null;
  private since = 0;

  constructor(
    public input: StallInput,
    private readonly hooks: StallHooks,
  ) {}

  /** Producer role: this read delivered to `gate`'s consumer while its gate was closed. */
  meet(gate: Stall): void {
    if (gate === this || this.waitOn.includes(gate)) return;
    this.waitOn.push(gate);
    gate.waiters.push(this);
    gate.stalls++;
  }

  /** Producer role: does the read just processed leave gates to wait on? */
  get pending(): boolean {
    return this.waitOn.length > 0;
  }

  /**
   * Producer role, after the read was processed and every consumer flushed:
   * pause the input while any gate met is still closed. Returns true when it paused.
   */
  begin(): boolean {
    if (this.stalled) return true;
    if (!this.anyClosed()) {
      this.clearWaits();
      return false;
    }
    this.stalled = true;
    this.since = performance.now();
    this.input.pause();
    this.timer = setTimeout(() => this.check(), STALL_CHECK_MS);
    return true;
  }

  /** Consumer role: pending output passed the mark. */
  close(): void {
    this.gated = true;
  }

  /** Consumer role: pending output fell back below the mark (or the connection closed). */
  open(): void {
    if (!this.gated) return;
    this.gated = false;
    const w = this.waiters;
    if (w.length === 0) return;
    this.waiters = [];
    for (let k = 0; k < w.length; k++) w[k].gateOpened();
  }

  /** Either role: the connection is gone. */
  dispose(): void {
    this.open();
    this.stalled = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.clearWaits();
  }

  /** Producer role, every STALL_CHECK_MS: open the gates whose consumer caught up; go on when all are open or time is up. */
  private check(): void {
    this.timer = null;
    const w = this.waitOn.slice();
    for (let k = 0; k < w.length; k++) if (w[k].gated && w[k].hooks.caughtUp()) w[k].open();
    if (!this.stalled) return; // the last open() ended the stall
    if (this.anyClosed() && performance.now() - this.since < STALL_TOTAL_MS) {
      this.timer = setTimeout(() => this.check(), STALL_CHECK_MS);
      return;
    }
    this.end();
  }

  private gateOpened(): void {
    if (this.stalled && !this.anyClosed()) this.end();
  }

  private anyClosed(): boolean {
    const w = this.waitOn;
    for (let k = 0; k < w.length; k++) if (w[k].gated) return true;
    return false;
  }

  private end(): void {
    this.stalled = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.clearWaits();
    this.hooks.stalled(performance.now() - this.since);
    if (this.hooks.mayResume()) this.input.resume();
  }

  private clearWaits(): void {
    const w = this.waitOn;
    for (let k = 0; k < w.length; k++) {
      const list = w[k].waiters;
      const i = list.indexOf(this);
      if (i >= 0) list.splice(i, 1);
    }
    w.length = 0;
  }
}

/** A connection that produces deliveries, as the stall sees it. */
export interface StallProducer {
  readonly stall: Stall;
  /** a client's own publishes (not a route/gateway link's): Go drops these under no_fast_producer_stall */
  readonly dropsWhenGated: boolean;
}

/** What the stall needs of the server. */
export interface StallEnv {
  currentProducer(): StallProducer | null;
  readonly opts: { readonly no_fast_producer_stall: boolean };
  readonly stats: { stalls: number };
}

/**
 * Go deliverMsg: a message for a consumer whose gate is closed. The producer
 * stalls after this read, or, with no_fast_producer_stall, a client's message
 * is not delivered to this consumer. Returns false to drop it.
 */
export function gatedDelivery(env: StallEnv, gate: Stall): boolean {
  const p = env.currentProducer();
  if (p === null || p.stall === gate) return true;
  if (env.opts.no_fast_producer_stall) return !p.dropsWhenGated;
  meet(env, p, gate);
  return true;
}

/** Go queueOutbound past 3/4 of max_pending: close the gate; the producer of this read stalls after it. */
export function closeGate(env: StallEnv, gate: Stall): void {
  if (gate.gated) return;
  gate.close();
  const p = env.currentProducer();
  if (p !== null && p.stall !== gate && !env.opts.no_fast_producer_stall) meet(env, p, gate);
}

function meet(env: StallEnv, p: StallProducer, gate: Stall): void {
  const before = gate.stalls;
  p.stall.meet(gate);
  if (gate.stalls !== before) env.stats.stalls++;
}
