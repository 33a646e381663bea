/**
 * One route connection (Go client.go with kind ROUTER, route.go): the route
 * handshake (INFO both ways, CONNECT from the dialing side), remote interest
 * (RS+/RS-) kept as link subscriptions in the account sublists, routed
 * messages in (RMSG/HMSG, delivered to local subscribers only) and out, and
 * PING/PONG keepalive.
 */
import net from 'node:net';
import { Parser, KIND_ROUTER, type ParserHandler, type PubArg } from '../../protocol/parser.js';
import * as E from '../../protocol/errors.js';
import { Outbound } from '../../conn/outbound.js';
import { Client } from '../../conn/client.js';
import { Subscription, type RemoteLink } from '../../conn/subscription.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import type { Account } from '../../accounts/account.js';
import type { Server } from '../../server/server.js';
import { latin1 } from '../../util/bytes.js';
import { parseRoutedArgs, RoutedArgs, splitArgs } from './routed-args.js';
import { encodeRouted } from './forward.js';
import { routeFromRoute } from '../../server/router.js';
import type { RouteInfo } from './route-info.js';
import type { GatewayManager } from '../gateway/manager.js';

const PING = Buffer.from('PING\r\n');
const PONG = Buffer.from('PONG\r\n');
/** Go firstPingInterval for routes: an early PING measures the RTT. */
const FIRST_PING_MS = 1000;

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

export class RouteConn implements ParserHandler, RemoteLink {
  readonly parser: Parser;
  readonly out = new Outbound();
  /** stands in for this route where a Client is expected (subscription owner, producer of deliveries) */
  readonly proxy: Client;
  /** remote subscriptions by `<account> <subject>[ <queue>]` */
  readonly subs = new Map<string, Subscription>();
  readonly start = new Date();
  readonly host: string;
  readonly port: number;
  remoteId = '';
  remoteName = '';
  /** gateway reply hash of the remote server id (Go routesIDByHash), computed when first needed */
  gwHash = '';
  /** the remote's cluster listener, from its INFO */
  remoteInfo: RouteInfo | null = null;
  /** the URL we dialed (solicited routes), or the remote's advertised route URL */
  url: URL | null;
  didSolicit: boolean;
  /** configured in `routes` (explicit), as opposed to found by gossip */
  isConfigured: boolean;
  /** set when this connection must not be redialed once closed (duplicate, removed) */
  noReconnect = false;
  infoReceived = false;
  connectReceived = false;
  /** credentials of an accepted route's CONNECT, judged again by a reload of the cluster authorization */
  connectUser = '';
  connectPass = '';
  registered = false;
  headers = false;
  /** slot in the remote's pool (Go route.poolIdx), -1 until registered or for a pinned-account route */
  poolIdx = -1;
  /** the remote announced no pool size: this one connection carries every account */
  noPool = false;
  /** the pinned account this connection is dedicated to (Go route.accName); its protocol lines name no account */
  accName = '';
  /** dial the next pool connection once this one's PING is answered */
  startNewRoute = false;
  /** ms timestamp of the last input (Go c.last) */
  lastIn = Date.now();
  rtt = 0;
  private rttStart = 0;
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  closed = false;
  closeReason: ClosedReason | null = null;
  dirty = false;
  private pingsOut = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private authTimer: NodeJS.Timeout | null = null;
  /** arguments of the routed message being parsed */
  private readonly ra = new RoutedArgs();

  constructor(
    readonly mgr: RouteHost,
    readonly socket: net.Socket,
    readonly cid: number,
    didSolicit: boolean,
    url: URL | null,
    isConfigured: boolean,
  ) {
    const srv = mgr.server;
    // Go lets route, leaf and gateway links use 16 times the client control line limit.
    this.parser = new Parser(this, srv.opts.max_control_line * 16, KIND_ROUTER);
    this.proxy = new Client(srv, new net.Socket(), cid, srv.globalAccount);
    this.proxy.headers = true;
    this.proxy.connectReceived = true;
    this.didSolicit = didSolicit;
    this.url = url;
    this.isConfigured = isConfigured;
    this.host = socket.remoteAddress ?? '';
    this.port = socket.remotePort ?? 0;
  }

  label(): string {
    return `${this.host}:${this.port} - rid:${this.cid}${this.remoteName ? ` - "${this.remoteName}"` : ''}`;
  }

  /** Start reading; the accepting side requires CONNECT first, within the auth timeout. */
  startReading(authRequired: boolean): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', () => this.closeConnection(ClosedReason.ReadError));
    s.on('close', () => this.closeConnection(ClosedReason.ClientClosed));
    if (!this.didSolicit) {
      // Go createRoute: an accepted route must send CONNECT first; the auth timer runs when routes need credentials.
      this.parser.awaitingConnect = true;
      if (!authRequired) return this.setPingTimer(FIRST_PING_MS);
      this.authTimer = setTimeout(() => this.onAuthTimeout(), this.mgr.authTimeoutMs());
      this.authTimer.unref?.();
    }
    this.setPingTimer(FIRST_PING_MS);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastIn = Date.now();
    const srv = this.mgr.server;
    srv.beginRead(this.proxy);
    try {
      this.parser.parse(chunk);
    } catch (e) {
      srv.log.error(`${this.label()} - internal error while processing route input: ${(e as Error).stack ?? e}`);
      this.closeConnection(ClosedReason.ProtocolViolation);
    } finally {
      srv.endRead();
    }
  }

  // ------------------------------------------------------------------ output

  enqueue(buf: Buffer): void {
    if (this.closed) return;
    this.out.append(buf);
    this.mgr.server.markDirty(this);
  }

  sendErr(text: string): void {
    this.enqueue(E.errFrame(text));
  }

  flush(): void {
    this.dirty = false;
    if (this.closed) return;
    this.out.flush(this.socket);
  }

  /** Bytes waiting to be written (Go pending_size). */
  pendingBytes(): number {
    return this.out.queued + (this.closed ? 0 : this.socket.writableLength);
  }

  /** RemoteLink: forward a message that matched this route's interest. */
  sendRouted(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number, origin = ''): void {
    if (this.closed) return;
    // Go msgHeaderForRouteOrLeaf: the origin cluster travels only to a route that announced lnoc
    const o = origin !== '' && this.remoteInfo?.lnoc === true ? origin : '';
    const n = encodeRouted(this.out, this.accName === '' ? acc.name : '', pa, buf, s, e, queues, nq, this.headers, o);
    this.outMsgs++;
    this.outBytes += n;
    if (!this.dirty) this.mgr.server.markDirty(this);
  }

  // ------------------------------------------------------------------ handshake

  onNonConnectFirstOp(): boolean {
    this.authViolation();
    return false;
  }

  onConnect(buf: Buffer, s: number, e: number): boolean {
    this.clearAuthTimer();
    let o: unknown;
    try {
      o = JSON.parse(buf.toString('utf8', s, e));
    } catch {
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    const co = o as Record<string, unknown>;
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

  authViolation(): void {
    this.mgr.server.log.error(`${this.label()} - authentication error`);
    this.sendErr(E.ERR_AUTH_VIOLATION);
    this.closeConnection(ClosedReason.AuthenticationViolation);
  }

  private onAuthTimeout(): void {
    this.authTimer = null;
    if (this.closed || this.connectReceived) return;
    this.sendErr(E.ERR_AUTH_TIMEOUT);
    this.closeConnection(ClosedReason.AuthenticationTimeout);
  }

  private clearAuthTimer(): void {
    if (this.authTimer !== null) {
      clearTimeout(this.authTimer);
      this.authTimer = null;
    }
  }

  onInfo(buf: Buffer, s: number, e: number): boolean {
    let info: RouteInfo;
    try {
      info = JSON.parse(buf.toString('utf8', s, e)) as RouteInfo;
    } catch {
      this.mgr.server.log.error(`${this.label()} - invalid route INFO`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    this.mgr.processInfo(this, info);
    return !this.closed;
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

  private protoError(what: string, buf: Buffer, s: number, e: number): false {
    this.mgr.server.log.error(`${this.label()} - ${what} Parse Error: '${latin1(buf, s, e)}'`);
    this.closeConnection(ClosedReason.ProtocolViolation);
    return false;
  }

  // ------------------------------------------------------------------ routed messages

  onRoutedMsgArgs(pa: PubArg, buf: Buffer, s: number, e: number, isHeader: boolean, withOrigin = false): boolean {
    const err = parseRoutedArgs(this.ra, pa, buf, s, e, isHeader, this.accName, withOrigin);
    if (err !== null) {
      this.mgr.server.log.error(`${this.label()} - ${err}`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    return true;
  }

  /** A plain PUB on a route names no account: Go finds none and drops the message. */
  onPubArgs(): boolean {
    this.ra.account = '';
    this.ra.origin = '';
    this.ra.nq = 0;
    return true;
  }

  onMsg(pa: PubArg, buf: Buffer, s: number, e: number): boolean {
    this.inMsgs++;
    this.inBytes += e - s;
    const st = this.mgr.server.stats;
    st.inMsgs++;
    st.inBytes += e - s;
    const srv = this.mgr.server;
    const acc = srv.lookupAccount(this.ra.account);
    if (acc === null) return !this.closed;
    // A gateway reply handed over by the cluster peer that received it (Go handleGatewayReply).
    const gw = srv.gateway as GatewayManager | null;
    if (gw !== null && gw.handleReplyFromRoute(acc, pa, buf, s, e, this.ra.queues, this.ra.nq)) return !this.closed;
    routeFromRoute(acc, pa, buf, s, e, this.ra.queues, this.ra.nq, this.ra.origin);
    return !this.closed;
  }

  // Go's parser reads SUB/UNSUB on a route and does nothing with them.
  onSub(): boolean {
    return true;
  }

  onUnsub(): boolean {
    return true;
  }

  onPing(): boolean {
    this.enqueue(PONG);
    return true;
  }

  onPong(): boolean {
    this.pingsOut = 0;
    if (this.rttStart > 0) this.rtt = performance.now() - this.rttStart;
    if (this.startNewRoute) {
      this.startNewRoute = false;
      this.mgr.startNextPooled(this);
    }
    return true;
  }

  /** A PING now (Go sendPing), e.g. to learn that the remote accepted this route before dialing the next one. */
  sendPing(): void {
    this.pingsOut++;
    this.rttStart = performance.now();
    this.enqueue(PING);
  }

  onErr(buf: Buffer, s: number, e: number): boolean {
    this.mgr.server.log.error(`${this.label()} - Route Error ${buf.toString('utf8', s, e)}`);
    this.closeConnection(ClosedReason.ParseError);
    return false;
  }

  onParseError(state: number, buf: Buffer, at: number): void {
    this.sendErr(E.ERR_UNKNOWN_PROTOCOL);
    const snip = JSON.stringify(buf.toString('latin1', at, Math.min(buf.length, at + 32)));
    this.mgr.server.log.error(`${this.label()} - Route parser ERROR, state=${state}, i=${at}: proto='${snip}...'`);
    this.closeConnection(ClosedReason.ParseError);
  }

  onMaxControlLine(len: number): void {
    this.sendErr(E.ERR_MAX_CONTROL_LINE);
    this.mgr.server.log.error(`${this.label()} - ${E.ERR_MAX_CONTROL_LINE}: ${len} vs ${this.parser.maxControlLine}`);
    this.closeConnection(ClosedReason.MaxControlLineExceeded);
  }

  onArgsError(op: string, buf: Buffer, s: number, e: number): void {
    this.protoError(op, buf, s, e);
  }

  // ------------------------------------------------------------------ pings

  private setPingTimer(ms: number): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.onPingTimer(), ms);
    this.pingTimer.unref?.();
  }

  private onPingTimer(): void {
    this.pingTimer = null;
    if (this.closed) return;
    const o = this.mgr.server.opts;
    const now = Date.now();
    if (this.rtt === 0 || now - this.lastIn >= o.ping_interval) {
      this.pingsOut++;
      if (this.pingsOut > o.ping_max) {
        this.mgr.server.log.error(`${this.label()} - Stale Connection`);
        this.sendErr(E.ERR_STALE_CONNECTION);
        this.closeConnection(ClosedReason.StaleConnection);
        return;
      }
      this.rttStart = performance.now();
      this.enqueue(PING);
    }
    this.setPingTimer(o.ping_interval);
  }

  // ------------------------------------------------------------------ close

  closeConnection(reason: ClosedReason): void {
    if (this.closed) return;
    if (this.out.queued > 0 && !this.socket.destroyed) {
      try {
        this.out.flush(this.socket);
      } catch {
        /* socket already gone */
      }
    }
    this.closed = true;
    this.closeReason = reason;
    this.clearAuthTimer();
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    this.out.clear();
    if (!this.socket.destroyed) {
      this.socket.end();
      const t = setTimeout(() => this.socket.destroy(), 100);
      t.unref?.();
      this.socket.once('close', () => clearTimeout(t));
    }
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
