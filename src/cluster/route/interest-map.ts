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

  /**
   * RS+ lines for the accounts `accept` selects (Go sendSubsToRoute for one
   * pool slot or pinned account); without the account name on a pinned route.
   */
  linesFor(accept: (account: string) => boolean, withAccount: boolean, subject?: (subject: string) => boolean): string[] {
    const out: string[] = [];
    for (const [key, n] of this.counts) {
      const a = key.indexOf(' ');
      if (!accept(key.slice(0, a))) continue;
      const k = withAccount ? key : key.slice(a + 1);
      const sp = key.indexOf(' ', a + 1);
      if (subject !== undefined && !subject(key.slice(a + 1, sp >= 0 ? sp : undefined))) continue;
      out.push(sp >= 0 ? `RS+ ${k} ${n}` : `RS+ ${k}`);
    }
    return out;
  }

  /** What turns `old` into this map: RS+ for interest new here (or a new queue weight), RS- for interest gone. */
  diff(old: InterestMap): { account: string; line: string }[] {
    const out: { account: string; line: string }[] = [];
    for (const [key, n] of this.counts) {
      const o = old.counts.get(key);
      if (o === n) continue;
      const queue = key.indexOf(' ', key.indexOf(' ') + 1) >= 0;
      if (o !== undefined && !queue) continue;
      out.push({ account: key.slice(0, key.indexOf(' ')), line: queue ? `RS+ ${key} ${n}` : `RS+ ${key}` });
    }
    for (const key of old.counts.keys()) {
      if (!this.counts.has(key)) out.push({ account: key.slice(0, key.indexOf(' ')), line: `RS- ${key}` });
    }
    return out;
  }

  get size(): number {
    return this.counts.size;
  }
}
