/**
 * Local interest as routes see it (Go account rm map and
 * updateRouteSubscriptionMap): per account, subject and queue, how many local
 * subscriptions there are. A plain subject is announced when its count goes
 * 0 -> 1 and withdrawn at 1 -> 0; a queue group is re-announced with its new
 * weight on every change and withdrawn at 0.
 */
export class InterestMap {
  private readonly counts = new Map<string, number>();

  /** Apply one subscription change; returns the protocol line to send to every route, or null. */
  change(account: string, subject: string, queue: string | null, delta: number): string | null {
    const key = queue === null ? `${account} ${subject}` : `${account} ${subject} ${queue}`;
    const n = (this.counts.get(key) ?? 0) + delta;
    if (n <= 0) {
      if (!this.counts.delete(key)) return null;
      return `RS- ${key}`;
    }
    this.counts.set(key, n);
    if (queue !== null) return `RS+ ${key} ${n}`;
    return n === 1 ? `RS+ ${key}` : null;
  }

  /** Every RS+ line for the current interest (Go sendSubsToRoute), one account after another. */
  allSubLines(): string[] {
    const out: string[] = [];
    for (const [key, n] of this.counts) {
      // queue keys have three fields
      const sp = key.indexOf(' ', key.indexOf(' ') + 1);
      out.push(sp >= 0 ? `RS+ ${key} ${n}` : `RS+ ${key}`);
    }
    return out;
  }

  get size(): number {
    return this.counts.size;
  }
}
