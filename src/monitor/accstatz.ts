/**
 * /accstatz (Go monitor.go AccountStatz, events.go Account.statz): per-account
 * connection counts and message totals. Accounts with no local connections
 * are left out unless `unused=true`; `accs` (comma-separated, used by the
 * $SYS request form) restricts the list to the named accounts.
 *
 * Sent/received totals are the account's closed connections plus its open
 * ones (Go keeps running totals on the account); the gateway, route and leaf
 * breakdowns are zero on a server without those links.
 */
import type { Server } from '../server/server.js';
import type { Account } from '../accounts/account.js';
import { goTime } from './format.js';
import { boolParam } from './query.js';

export function accstatz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  const unused = boolParam(q, 'unused');
  const names = (q.get('accs') ?? '').split(',').filter((n) => n !== '');
  return accstatzFor(srv, names, unused);
}

export function accstatzFor(srv: Server, names: string[], includeUnused: boolean): Record<string, unknown> {
  const accs: Account[] = [];
  if (names.length === 0) accs.push(...srv.accounts.values());
  else for (const n of names) {
    const a = srv.accounts.get(n);
    if (a !== undefined) accs.push(a);
  }
  return {
    server_id: srv.id,
    now: goTime(new Date()),
    account_statz: accs.filter((a) => includeUnused || a.numClients > 0).map((a) => accountStat(srv, a)),
  };
}

const zero = () => ({ msgs: 0, bytes: 0 });

/** Go AccountStat for one account. */
export function accountStat(srv: Server, a: Account): Record<string, unknown> {
  const cs = a.closedStats;
  let inMsgs = cs.inMsgs, inBytes = cs.inBytes, outMsgs = cs.outMsgs, outBytes = cs.outBytes;
  for (const c of srv.clients.values()) {
    if (c.acc !== a) continue;
    inMsgs += c.inMsgs;
    inBytes += c.inBytes;
    outMsgs += c.outMsgs;
    outBytes += c.outBytes;
  }
  // Go Account.statz: gateway traffic is part of the totals and shown on its own
  const gw = a.gwStats;
  inMsgs += gw.inMsgs;
  inBytes += gw.inBytes;
  outMsgs += gw.outMsgs;
  outBytes += gw.outBytes;
  return {
    acc: a.name,
    name: a.name,
    conns: a.numClients,
    leafnodes: 0,
    total_conns: a.numClients,
    num_subscriptions: a.sl.count(),
    sent: { msgs: outMsgs, bytes: outBytes, gateways: { msgs: gw.outMsgs, bytes: gw.outBytes }, routes: zero(), leafs: zero() },
    received: { msgs: inMsgs, bytes: inBytes, gateways: { msgs: gw.inMsgs, bytes: gw.inBytes }, routes: zero(), leafs: zero() },
    slow_consumers: a.slowConsumers,
  };
}
