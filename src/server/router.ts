/**
 * Message routing inside one account (Go processMsgResults for a local
 * publish): every plain subscription gets a copy, each queue group gets one
 * copy delivered to a member chosen at random (a remote member counts as many
 * times as its queue weight). Subscriptions that stand for a route's interest
 * (`sub.link`) are coalesced into one routed message per link carrying the
 * queue names picked for it (Go addSubToRouteTargets / routeTarget).
 */
import type { PubArg } from '../protocol/parser.js';
import type { Client } from '../conn/client.js';
import type { RemoteLink, Subscription } from '../conn/subscription.js';
import type { Account } from '../accounts/account.js';

/** Links one message goes to, with the queue names chosen per link. Reused; one per nesting level. */
class RouteTargets {
  n = 0;
  readonly links: RemoteLink[] = [];
  readonly queues: string[][] = [];
  readonly nq: number[] = [];

  add(link: RemoteLink, queue: string | null): void {
    let k = 0;
    while (k < this.n && this.links[k] !== link) k++;
    if (k === this.n) {
      this.links[k] = link;
      if (this.queues.length <= k) this.queues.push([]);
      this.nq[k] = 0;
      this.n++;
    }
    if (queue !== null) this.queues[k][this.nq[k]++] = queue;
  }
}

// A delivery may publish again synchronously (internal subscriptions), so each nesting level has its own targets.
const targetStack: RouteTargets[] = [];
let depth = 0;

export function routeMessage(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number): boolean {
  const r = acc.sl.match(pa.subject);
  const psubs = r.psubs;
  const qsubs = r.qsubs;
  if (psubs.length === 0 && qsubs.length === 0) return false;
  let delivered = false;
  const noEcho = !from.echo;
  let t: RouteTargets | null = null;
  const level = depth++;
  try {
    for (let k = 0; k < psubs.length; k++) {
      const sub = psubs[k];
      if (sub.link !== null) {
        t ??= targetsAt(level);
        t.add(sub.link, null);
        continue;
      }
      const c = sub.client;
      if (noEcho && c === from && sub.icb === null) continue;
      if (c.deliver(sub, pa, buf, s, e)) delivered = true;
    }
    for (let g = 0; g < qsubs.length; g++) {
      const picked = deliverToQueue(from, noEcho, qsubs[g], pa, buf, s, e);
      if (picked === null) continue;
      delivered = true;
      if (picked !== DELIVERED) {
        t ??= targetsAt(level);
        t.add(picked.link!, picked.queue);
      }
    }
    if (t !== null && t.n > 0) {
      for (let k = 0; k < t.n; k++) t.links[k].sendRouted(acc, pa, buf, s, e, t.queues[k], t.nq[k]);
      delivered = true;
    }
  } finally {
    if (t !== null) t.n = 0;
    depth--;
  }
  return delivered;
}

function targetsAt(level: number): RouteTargets {
  while (targetStack.length <= level) targetStack.push(new RouteTargets());
  const t = targetStack[level];
  t.n = 0;
  return t;
}

/** Marker result: a local member took the message. */
const DELIVERED = {} as Subscription;

/**
 * Pick one member of a queue group, starting at a random point weighted by
 * queue weight. A local member that accepts takes the message (DELIVERED); a
 * remote member is returned so its link carries the queue name; null when
 * nobody could take it.
 */
function deliverToQueue(from: Client, noEcho: boolean, group: Subscription[], pa: PubArg, buf: Buffer, s: number, e: number): Subscription | null {
  const n = group.length;
  if (n === 0) return null;
  let start = 0;
  if (n > 1) {
    let total = 0;
    for (let k = 0; k < n; k++) total += group[k].qw;
    let r = Math.floor(Math.random() * total);
    while (r >= group[start].qw) {
      r -= group[start].qw;
      start++;
    }
  }
  for (let k = 0; k < n; k++) {
    const sub = group[(start + k) % n];
    if (sub.link !== null) return sub;
    const c = sub.client;
    if (noEcho && c === from && sub.icb === null) continue;
    if (c.deliver(sub, pa, buf, s, e)) return DELIVERED;
  }
  return null;
}
