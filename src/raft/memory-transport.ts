/**
 * An in-memory message hub for RAFT tests: each node gets an endpoint (a
 * RaftTransport); messages go subject to subscriber after a delay on the
 * given clock, and the hub can drop, delay, duplicate and reorder them and cut
 * links (partitions, one-way too). Every choice comes from the seeded PRNG
 * passed in, so with a VirtualClock a schedule replays exactly.
 */
import type { Clock } from './clock.js';
import type { MsgHandler, RaftTransport, Subscription } from './transport.js';

export interface HubFaults {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Delivery delay range in ms. */
  minDelay: number;
  maxDelay: number;
  /**
   * Probability that a message may overtake earlier ones on its link. Links
   * are otherwise FIFO, as a NATS route between two servers is (Go's raft
   * relies on it for liveness: a reordered stream makes followers re-ask
   * for a catch-up).
   */
  reorder: number;
}

interface Sub extends Subscription {
  owner: string;
  handler: MsgHandler;
  live: boolean;
}

export class MemoryHub {
  readonly clock: Clock;
  private readonly random: () => number;
  faults: HubFaults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 5, reorder: 0 };
  private readonly subs = new Map<string, Sub[]>();
  /** Cut links "from>to". */
  private readonly blocked = new Set<string>();
  private readonly down = new Set<string>();
  /** Per link, the time its last message is due (keeps links FIFO). */
  private readonly linkDue = new Map<string, number>();
  stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(clock: Clock, random: () => number) {
    this.clock = clock;
    this.random = random;
  }

  /** A transport for node `id`. */
  endpoint(id: string): RaftTransport {
    const hub = this;
    const mine: Sub[] = [];
    return {
      publish(subject, reply, msg) {
        hub.publish(id, subject, reply, msg);
      },
      subscribe(subject, handler) {
        const s: Sub = { subject, owner: id, handler, live: true };
        let list = hub.subs.get(subject);
        if (!list) hub.subs.set(subject, (list = []));
        list.push(s);
        mine.push(s);
        return s;
      },
      unsubscribe(sub) {
        hub.remove(sub as Sub);
      },
      close() {
        for (const s of mine) hub.remove(s);
        mine.length = 0;
      },
    };
  }

  private remove(s: Sub): void {
    s.live = false;
    const list = this.subs.get(s.subject);
    if (!list) return;
    const i = list.indexOf(s);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.subs.delete(s.subject);
  }

  private canReach(from: string, to: string): boolean {
    return !this.down.has(from) && !this.down.has(to) && !this.blocked.has(from + '>' + to);
  }

  private publish(from: string, subject: string, reply: string, msg: Uint8Array): void {
    const list = this.subs.get(subject);
    if (!list) return;
    for (const s of list.slice()) {
      if (s.owner === from) continue; // no echo to the sender
      this.stats.sent++;
      if (!this.canReach(from, s.owner) || this.random() < this.faults.drop) {
        this.stats.dropped++;
        continue;
      }
      const copies = this.random() < this.faults.duplicate ? 2 : 1;
      if (copies === 2) this.stats.duplicated++;
      for (let c = 0; c < copies; c++) {
        const data = Buffer.from(msg); // each delivery owns its bytes
        const { minDelay, maxDelay, reorder } = this.faults;
        const now = this.clock.now();
        let at = now + minDelay + this.random() * Math.max(0, maxDelay - minDelay);
        const link = from + '>' + s.owner;
        if (!(this.random() < reorder)) {
          at = Math.max(at, this.linkDue.get(link) ?? 0);
          this.linkDue.set(link, at);
        }
        this.clock.setTimer(at - now, () => {
          // a link cut while the message was in flight loses it
          if (!s.live || !this.canReach(from, s.owner)) {
            this.stats.dropped++;
            return;
          }
          this.stats.delivered++;
          s.handler(subject, reply, data);
        });
      }
    }
  }

  /** Cut the link a -> b (one way). */
  block(a: string, b: string): void {
    this.blocked.add(a + '>' + b);
  }

  unblock(a: string, b: string): void {
    this.blocked.delete(a + '>' + b);
  }

  /** Split the nodes into groups that reach only their own members. */
  partition(groups: string[][]): void {
    this.blocked.clear();
    for (const g of groups) for (const h of groups) {
      if (g === h) continue;
      for (const a of g) for (const b of h) this.block(a, b);
    }
  }

  /** Cut every link to and from `id`. */
  isolate(id: string, all: string[]): void {
    for (const o of all) if (o !== id) {
      this.block(id, o);
      this.block(o, id);
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  /** A crashed node neither sends nor receives (its subscriptions may linger until it closes). */
  setDown(id: string, isDown: boolean): void {
    if (isDown) this.down.add(id);
    else this.down.delete(id);
  }

  isBlocked(a: string, b: string): boolean {
    return this.blocked.has(a + '>' + b);
  }
}
