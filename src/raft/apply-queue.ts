/**
 * The apply queue (Go's `n.apply` ipQueue of *CommittedEntry): committed
 * entries wait here for the state machine, which runs off the replication
 * path (a deferred pump), so a slow or asynchronous state machine never holds
 * up appends, votes or commits. Entries go to the state machine one at a
 * time, in order; a Promise from it is awaited before the next.
 */
import type { Clock } from './clock.js';
import type { Entry } from './messages.js';

export interface CommittedEntry {
  /** The log index (Go: the append entry's index); for a snapshot, its last index. */
  index: number;
  /** Normal, Snapshot, AddPeer and RemovePeer entries (peer state is handled inside). */
  entries: Entry[];
}

/** At most this many synchronous applies per pump before yielding to other work. */
const BATCH = 256;

export class ApplyQueue {
  private q: CommittedEntry[] = [];
  private head = 0;
  private scheduled = false;
  private busy = false;
  private gen = 0;
  private stopped = false;
  private readonly clock: Clock;
  private readonly apply: (ce: CommittedEntry) => void | Promise<void>;
  private readonly done: (ce: CommittedEntry) => void;
  private readonly onError: (err: unknown) => void;

  constructor(clock: Clock, apply: (ce: CommittedEntry) => void | Promise<void>, done: (ce: CommittedEntry) => void, onError: (err: unknown) => void) {
    this.clock = clock;
    this.apply = apply;
    this.done = done;
    this.onError = onError;
  }

  get length(): number {
    return this.q.length - this.head;
  }

  push(ce: CommittedEntry): void {
    if (this.stopped) return;
    this.q.push(ce);
    this.schedule();
  }

  /** Forget everything queued (Go `apply.drain()`); an apply in flight completes unseen. */
  drain(): void {
    this.q = [];
    this.head = 0;
    this.gen++;
    this.busy = false;
  }

  stop(): void {
    this.stopped = true;
    this.drain();
  }

  private schedule(): void {
    if (this.scheduled || this.busy || this.stopped) return;
    this.scheduled = true;
    this.clock.defer(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    let n = 0;
    while (!this.busy && !this.stopped && this.head < this.q.length) {
      const ce = this.q[this.head++];
      let r: void | Promise<void>;
      try {
        r = this.apply(ce);
      } catch (err) {
        this.onError(err);
        continue;
      }
      if (r && typeof (r as Promise<void>).then === 'function') {
        this.busy = true;
        const gen = this.gen;
        (r as Promise<void>).then(
          () => this.finishAsync(gen, ce),
          (err) => {
            this.onError(err);
            this.finishAsync(gen, null);
          },
        );
        return;
      }
      this.done(ce);
      if (++n >= BATCH) break;
    }
    if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.q.length) this.schedule();
  }

  private finishAsync(gen: number, ce: CommittedEntry | null): void {
    if (gen !== this.gen) return;
    this.busy = false;
    if (ce) this.done(ce);
    this.schedule();
  }
}
