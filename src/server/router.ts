/**
 * Message routing inside one account (Go processMsgResults for a local
 * publish): every plain subscription gets a copy, each queue group gets one
 * copy delivered to a randomly chosen member that accepts it.
 */
import type { PubArg } from '../protocol/parser.js';
import type { Client } from '../conn/client.js';
import type { Subscription } from '../conn/subscription.js';
import type { Account } from '../accounts/account.js';

export function routeMessage(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number): boolean {
  const r = acc.sl.match(pa.subject);
  const psubs = r.psubs;
  const qsubs = r.qsubs;
  if (psubs.length === 0 && qsubs.length === 0) return false;
  let delivered = false;
  const noEcho = !from.echo;
  for (let k = 0; k < psubs.length; k++) {
    const sub = psubs[k];
    const c = sub.client;
    if (noEcho && c === from && sub.icb === null) continue;
    if (c.deliver(sub, pa, buf, s, e)) delivered = true;
  }
  for (let g = 0; g < qsubs.length; g++) {
    if (deliverToQueue(from, noEcho, qsubs[g], pa, buf, s, e)) delivered = true;
  }
  return delivered;
}

function deliverToQueue(from: Client, noEcho: boolean, group: Subscription[], pa: PubArg, buf: Buffer, s: number, e: number): boolean {
  const n = group.length;
  if (n === 0) return false;
  const start = n === 1 ? 0 : Math.floor(Math.random() * n);
  for (let k = 0; k < n; k++) {
    const sub = group[(start + k) % n];
    const c = sub.client;
    if (noEcho && c === from && sub.icb === null) continue;
    if (c.deliver(sub, pa, buf, s, e)) return true;
  }
  return false;
}
