/**
 * Delivery of a message that arrived over a route (Go processInboundRoutedMsg
 * -> processMsgResults with a ROUTER producer): local plain subscribers get
 * it, never another route (one hop); queue groups get it only when the
 * sender named them, and then one local member each.
 */
import type { PubArg } from '../../protocol/parser.js';
import type { Subscription } from '../../conn/subscription.js';
import type { Account } from '../../accounts/account.js';

export function deliverRouted(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): boolean {
  const r = acc.sl.match(pa.subject);
  const psubs = r.psubs;
  let delivered = false;
  for (let k = 0; k < psubs.length; k++) {
    const sub = psubs[k];
    if (sub.link !== null) continue;
    if (sub.client.deliver(sub, pa, buf, s, e)) delivered = true;
  }
  if (nq === 0) return delivered;
  const qsubs = r.qsubs;
  for (let g = 0; g < qsubs.length; g++) {
    const group = qsubs[g];
    if (group.length === 0 || !named(group[0].queue!, queues, nq)) continue;
    if (deliverToLocalMember(group, pa, buf, s, e)) delivered = true;
  }
  return delivered;
}

function named(q: string, queues: string[], nq: number): boolean {
  for (let k = 0; k < nq; k++) if (queues[k] === q) return true;
  return false;
}

function deliverToLocalMember(group: Subscription[], pa: PubArg, buf: Buffer, s: number, e: number): boolean {
  const n = group.length;
  const start = n === 1 ? 0 : Math.floor(Math.random() * n);
  for (let k = 0; k < n; k++) {
    const sub = group[(start + k) % n];
    if (sub.link !== null) continue;
    if (sub.client.deliver(sub, pa, buf, s, e)) return true;
  }
  return false;
}
