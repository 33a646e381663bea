/**
 * Time for a RAFT node, injectable so tests run on a virtual clock: election
 * timeouts of seconds (Go's defaults) then cost nothing in real time, and a
 * seeded schedule replays exactly.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Run fn once after ms. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Run fn soon, after the current work (setImmediate in real time). */
  defer(fn: () => void): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  defer(fn) {
    setImmediate(fn);
  },
};

interface VTimer {
  at: number;
  seq: number;
  fn: (() => void) | null;
}

/** A discrete-event clock: timers run in time order (ties in creation order) when advanced. */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private heap: VTimer[] = [];

  constructor(start = 1_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: VTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.push(timer);
    return { cancel: () => { timer.fn = null; } };
  }

  defer(fn: () => void): void {
    this.setTimer(0, fn);
  }

  /** Pending timers (cancelled ones included until they come up). */
  get pending(): number {
    return this.heap.length;
  }

  /** Run the next timer; false when there is none. */
  step(limit = Infinity): boolean {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (top.at > limit) return false;
      this.pop();
      if (!top.fn) continue;
      this.t = Math.max(this.t, top.at);
      const fn = top.fn;
      top.fn = null;
      fn();
      return true;
    }
    return false;
  }

  /** Run every timer due within ms from now, then set the time to now + ms. */
  advance(ms: number): void {
    const end = this.t + ms;
    while (this.step(end)) { /* run */ }
    this.t = end;
  }

  /** Advance in steps of `tick` until pred() holds or maxMs passed; returns whether it held. */
  runUntil(pred: () => boolean, maxMs: number, tick = 10): boolean {
    const end = this.t + maxMs;
    while (!pred()) {
      if (this.t >= end) return false;
      this.advance(Math.min(tick, end - this.t));
    }
    return true;
  }

  private less(a: VTimer, b: VTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(x: VTimer): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
