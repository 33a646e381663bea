/**
 * Recently created subscriptions per account (Go srvGateway.rsubs): for a
 * short while after a subscription appears, a request whose reply matches it
 * leaves for other clusters with a `_GR_.` mapped reply, so the answer finds
 * its way back before interest has propagated.
 */
import { Sublist } from '../../sublist/sublist.js';
import type { Subscription } from '../../conn/subscription.js';

export class RecentSubs {
  private readonly byAcc = new Map<string, Sublist<Subscription>>();
  private readonly queue: { acc: string; sub: Subscription; exp: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly ttlMs: number) {}

  change(acc: string, sub: Subscription, added: boolean): void {
    let sl = this.byAcc.get(acc);
    if (!added) {
      sl?.remove(sub);
      return;
    }
    if (sl === undefined) this.byAcc.set(acc, (sl = new Sublist<Subscription>(false)));
    sl.insert(sub);
    this.queue.push({ acc, sub, exp: Date.now() + this.ttlMs });
    if (this.timer === null) this.schedule();
  }

  matches(acc: string, reply: string): boolean {
    const sl = this.byAcc.get(acc);
    return sl !== undefined && sl.count() > 0 && sl.hasInterest(reply);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const q = this.queue;
    if (q.length === 0 || this.stopped) {
      this.timer = null;
      return;
    }
    this.timer = setTimeout(() => {
      const now = Date.now();
      let k = 0;
      while (k < q.length && q[k].exp <= now) {
        this.byAcc.get(q[k].acc)?.remove(q[k].sub);
        k++;
      }
      q.splice(0, k);
      this.schedule();
    }, Math.max(1, q[0].exp - Date.now()));
    this.timer.unref?.();
  }
}
