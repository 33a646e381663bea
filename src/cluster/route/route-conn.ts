/**
 * One route connection (Go client.go with kind ROUTER, route.go): the route
 * handshake (INFO both ways, CONNECT from the dialing side), remote interest
 * (RS+/RS-) kept as link subscriptions in the account sublists, routed
 * messages in (RMSG/HMSG, delivered to local subscribers only) and out, and
 * PING/PONG keepalive.
 */
import type net from 'node:net';
import type { PubArg } from '../../protocol/parser.js';
import * as E from '../../protocol/errors.js';
import { Subscription, type RemoteLink } from '../../conn/subscription.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import type { Account } from '../../accounts/account.js';
import type { Server } from '../../server/server.js';
import { parseRoutedArgs, splitArgs } from './routed-args.js';
import { LinkConn, FIRST_PING_MS } from '../link/link-conn.js';
import { routeFromRoute } from '../../server/router.js';
import type { RouteInfo } from './route-info.js';
import type { GatewayManager } from '../gateway/manager.js';

/** What a route connection needs from the route layer. */
export interface RouteHost {
  readonly server: Server;
  /** CONNECT from the accepting side's view: false when refused (connection closed). */
  processConnect(rc: RouteConn, o: Record<string, unknown>): boolean;
  processInfo(rc: RouteConn, info: RouteInfo): void;
  routeClosed(rc: RouteConn, reason: ClosedReason): void;
  authTimeoutMs(): number;
  /** Go canExport: may the remote's interest in this subject be registered? */
  canExport(subject: string): boolean;
  /** the first PONG on a pooled route that asked for the next pool connection (Go startNewRoute) */
  startNextPooled(rc: RouteConn): void;
}

export class RouteConn extends LinkConn implements RemoteLink {
  /** remote subscriptions by `<account> <subject>[ <queue>]` */
  readonly subs = new Map<string, Subscription>();
  /** gateway reply hash of the remote server id (Go routesIDByHash), computed when first needed */
  gwHash = '';
  /** the remote's cluster listener, from its INFO */
  remoteInfo: RouteInfo | null = null;
  /** the URL we dialed (solicited routes), or the remote's advertised route URL */
  url: URL | null;
  didSolicit: boolean;
  /** configured in `routes` (explicit), as opposed to found by gossip */
  isConfigured: boolean;
  /** credentials of an accepted route's CONNECT, judged again by a reload of the cluster authorization */
  connectUser = '';
  connectPass = '';
  /** slot in the remote's pool (Go route.poolIdx), -1 until registered or for a pinned-account route */
  poolIdx = -1;
  /** the remote announced no pool size: this one connection carries every account */
  noPool = false;
  /** the pinned account this connection is dedicated to (Go route.accName); its protocol lines name no account */
  accName = '';
  /** dial the next pool connection once this one's PING is answered */
  startNewRoute = false;

  constructor(
    readonly mgr: RouteHost,
    socket: net.Socket,
    cid: number,
    didSolicit: boolean,
    url: URL | null,
    isConfigured: boolean,
  ) {
    super(mgr.server, socket, cid, 'Route');
    this.didSolicit = didSolicit;
    this.url = url;
    this.isConfigured = isConfigured;
  }

  label(): string {
    return `${this.host}:${this.port} - rid:${this.cid}${this.remoteName ? ` - "${this.remoteName}"` : ''}`;
  }

  /** Start reading; the accepting side requires CONNECT first, within the auth timeout. */
  startReading(authRequired: boolean): void {
    this.listen();
    if (!this.didSolicit) {
      // Go createRoute: an accepted route must send CONNECT first; the auth timer runs when routes need credentials.
      this.parser.awaitingConnect = true;
      if (!authRequired) return this.setPingTimer(FIRST_PING_MS);
      this.startAuthTimer(this.mgr.authTimeoutMs());
    }
    this.setPingTimer(FIRST_PING_MS);
  }

  /** RemoteLink: forward a message that matched this route's interest. */
  sendRouted(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number, origin = ''): void {
    // Go msgHeaderForRouteOrLeaf: the origin cluster travels only to a route that announced lnoc
    const o = origin !== '' && this.remoteInfo?.lnoc === true ? origin : '';
    this.sendRoutedMsg(this.accName === '' ? acc.name : '', pa, buf, s, e, queues, nq, null, o);
  }

  // ------------------------------------------------------------------ handshake

  onConnect(buf: Buffer, s: number, e: number): boolean {
    const co = this.connectObject(buf, s, e);
    if (co === null) return false;
    // Go processRouteConnect: a CONNECT carrying a client library name came from a client on the wrong port.
    if (typeof co.lang === 'string' && co.lang !== '') {
      this.mgr.server.log.error(`${this.label()} - attempted to connect to route port`);
      this.sendErr(E.ERR_CLIENT_CONNECTED_TO_ROUTE_PORT);
      this.closeConnection(ClosedReason.WrongPort);
      return false;
    }
    if (!this.mgr.processConnect(this, co)) return false;
    this.connectReceived = true;
    this.parser.awaitingConnect = false;
    if (typeof co.name === 'string') this.remoteId = co.name;
    this.headers = !this.mgr.server.opts.no_header_support && co.headers === true;
    return true;
  }

  protected processInfo(info: unknown): void {
    this.mgr.processInfo(this, info as RouteInfo);
  }

  // ------------------------------------------------------------------ remote interest

  onRemoteSub(buf: Buffer, s: number, e: number, withOrigin = false): boolean {
    // LS+ names the leaf cluster the interest comes from first (Go processRemoteSub with hasOrigin); keyed without it,
    // as the LS- that withdraws it carries none
    const args = splitArgs(buf, s, e);
    if (withOrigin && args !== null) args.shift();
    const f = this.withAccount(args);
    if (f === null || (f.length !== 2 && f.length !== 4)) return this.protoError('processRemoteSub', buf, s, e);
    const acc = this.mgr.server.lookupAccount(f[0]);
    if (acc === null) return true; // Go: unknown account, ignored (debug only)
    const queue = f.length === 4 ? f[2] : null;
    let qw = 1;
    if (queue !== null) {
      qw = Number(f[3]);
      if (!Number.isInteger(qw) || qw < 1) qw = 1;
    }
    if (!this.mgr.canExport(f[1])) {
      // Go processRemoteSub: interest this server may not export is ignored.
      if (this.mgr.server.log.debugEnabled) this.mgr.server.log.debug(`${this.label()} - Can not export "${f[1]}", ignoring remote subscription request`);
      return true;
    }
    const key = queue === null ? `${f[0]} ${f[1]}` : `${f[0]} ${f[1]} ${queue}`;
    const old = this.subs.get(key);
    if (old !== undefined) {
      // a queue weight update (Go processRemoteSub: UpdateRemoteQSub, then updateLeafNodes with the difference)
      const delta = qw - old.qw;
      old.qw = qw;
      if (delta !== 0 && queue !== null) this.mgr.server.interest.weightChanged(acc, old, delta);
      return true;
    }
    const sub = new Subscription(this.proxy, f[1], queue, key);
    sub.link = this;
    sub.qw = qw;
    if (!acc.sl.insert(sub)) return true;
    this.subs.set(key, sub);
    return true;
  }

  onRemoteUnsub(buf: Buffer, s: number, e: number): boolean {
    const f = this.withAccount(splitArgs(buf, s, e));
    if (f === null || (f.length !== 2 && f.length !== 3)) return this.protoError('processRemoteUnsub', buf, s, e);
    const key = f.length === 3 ? `${f[0]} ${f[1]} ${f[2]}` : `${f[0]} ${f[1]}`;
    const sub = this.subs.get(key);
    if (sub === undefined) return true;
    this.subs.delete(key);
    sub.closed = true;
    const acc = this.mgr.server.lookupAccount(f[0]);
    acc?.sl.remove(sub);
    return true;
  }

  /** Go processRemoteSub/Unsub: on a pinned-account route the account is implied, not sent. */
  private withAccount(f: string[] | null): string[] | null {
    if (f === null || this.accName === '') return f;
    f.unshift(this.accName);
    return f;
  }

  // ------------------------------------------------------------------ routed messages

  onRoutedMsgArgs(pa: PubArg, buf: Buffer, s: number, e: number, isHeader: boolean, withOrigin = false): boolean {
    const err = parseRoutedArgs(this.ra, pa, buf, s, e, isHeader, this.accName, withOrigin);
    return err === null ? true : this.routedArgsError(err);
  }

  onMsg(pa: PubArg, buf: Buffer, s: number, e: number): boolean {
    this.countIn(e - s);
    const srv = this.mgr.server;
    const acc = srv.lookupAccount(this.ra.account);
    if (acc === null) return !this.closed;
    // A gateway reply handed over by the cluster peer that received it (Go handleGatewayReply).
    const gw = srv.gateway as GatewayManager | null;
    if (gw !== null && gw.handleReplyFromRoute(acc, pa, buf, s, e, this.ra.queues, this.ra.nq)) return !this.closed;
    routeFromRoute(acc, pa, buf, s, e, this.ra.queues, this.ra.nq, this.ra.origin);
    return !this.closed;
  }

  override onPong(): boolean {
    super.onPong();
    if (this.startNewRoute) {
      this.startNewRoute = false;
      this.mgr.startNextPooled(this);
    }
    return true;
  }

  // ------------------------------------------------------------------ pings

  protected pingIntervalMs(): number {
    return this.mgr.server.opts.ping_interval;
  }

  /** Go: a route sends no keepalive PING while it hears from the remote (once the RTT is known). */
  protected override pingDue(): boolean {
    return this.rtt === 0 || Date.now() - this.lastIn >= this.mgr.server.opts.ping_interval;
  }

  // ------------------------------------------------------------------ close

  protected onClosed(reason: ClosedReason): void {
    this.removeRemoteSubs();
    this.mgr.routeClosed(this, reason);
  }

  /** Go reloadClusterPermissions: drop the remote interest `drop` selects (no longer exportable). */
  dropRemoteSubs(drop: (subject: string) => boolean): void {
    const byAcc = new Map<string, Subscription[]>();
    for (const [key, sub] of this.subs) {
      if (!drop(sub.subject)) continue;
      this.subs.delete(key);
      sub.closed = true;
      const an = key.slice(0, key.indexOf(' '));
      let l = byAcc.get(an);
      if (l === undefined) byAcc.set(an, (l = []));
      l.push(sub);
    }
    for (const [an, l] of byAcc) this.mgr.server.lookupAccount(an)?.sl.removeBatch(l);
  }

  /** Go removeRemoteSubs: the interest this route brought goes away with it. */
  private removeRemoteSubs(): void {
    const srv = this.mgr.server;
    const byAcc = new Map<string, Subscription[]>();
    for (const [key, sub] of this.subs) {
      sub.closed = true;
      const an = key.slice(0, key.indexOf(' '));
      let l = byAcc.get(an);
      if (l === undefined) byAcc.set(an, (l = []));
      l.push(sub);
    }
    this.subs.clear();
    for (const [an, l] of byAcc) srv.lookupAccount(an)?.sl.removeBatch(l);
  }
}
