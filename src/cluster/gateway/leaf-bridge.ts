/**
 * Gateways and leaf nodes on one server (Go updateInterestForAccountOnGateway
 * and initLeafNodeSmapAndSendSubs): a leaf hub advertises to its leafs what
 * remote gateways are interested in, so leaf clients reach other clusters.
 */
import type { Server } from '../../server/server.js';
import { Subscription } from '../../conn/subscription.js';
import type { GatewayConn } from './connection.js';
import type { RemoteGwSub } from './interest.js';

/** A remote gateway's RS+/RS- changed what it wants: the leaf nodes we are hub for hear of it. */
export function remoteInterestChanged(srv: Server, c: GatewayConn, accName: string, rs: RemoteGwSub, delta: number): void {
  const ln = srv.leafnodes;
  const acc = ln === null ? null : srv.lookupAccount(accName);
  if (acc === null || ln === null) return;
  const w = rs.queue !== null ? rs.qw : 1;
  ln.gatewayInterest(acc, new Subscription(c.proxy, rs.subject, rs.queue, ''), delta * w);
}

/** An outbound gateway connection closed: its remote interest leaves the leafs too. */
export function withdrawRemoteInterest(srv: Server, c: GatewayConn): void {
  if (srv.leafnodes === null) return;
  for (const [accName, e] of c.interest!.accounts) {
    if (e === null) continue;
    for (const rs of e.subs.values()) remoteInterestChanged(srv, c, accName, rs, -1);
  }
}

/** Remote gateway interest in one account as `subject[ queue]` -> weight, over every outbound connection. */
export function remoteInterestOf(outbound: readonly GatewayConn[], accName: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of outbound) {
    const e = c.interest!.accounts.get(accName);
    if (e === undefined || e === null) continue;
    for (const [key, rs] of e.subs) out.set(key, (out.get(key) ?? 0) + (rs.queue !== null ? rs.qw : 1));
  }
  return out;
}
