/**
 * Cluster routes (Go route.go): the route listener, dialing configured and
 * gossiped routes with reconnects, the registry of routes by remote server
 * id with duplicate resolution, interest propagation to every route, gossip
 * of new servers to the known ones, and client connect_urls.
 *
 * Routes run without pooling (pool size 1, as Go 2.9 does and as a 2.10+
 * server falls back to when the peer announces no pool size).
 */
import net from 'node:net';
import type tls from 'node:tls';
import { TlsSetup, dialTls, tlsVersion } from '../../server/tls.js';
import type { Server, ClusterHooks } from '../../server/server.js';
import type { Account } from '../../accounts/account.js';
import type { Subscription } from '../../conn/subscription.js';
import { LEAF } from '../../conn/client.js';
import type { InterestSink } from '../../server/interest.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { infoIdentity } from '../../server/info.js';
import { listenOn } from '../../util/listen.js';
import { generateNonce } from '../../auth/nkeys.js';
import type { ClusterOptions } from '../../config/cluster.js';
import { DialRun, reconnectDelay, reportConnectError } from './backoff.js';
import { RouteConn, type RouteHost } from './route-conn.js';
import { routeConnectJSON, routeInfoJSON, type RouteInfo } from './route-info.js';
import { InterestMap } from './interest-map.js';
import { RoutePool } from './pool.js';
import { Permissions } from '../../auth/permissions.js';
import { countLinks } from '../../server/router.js';
import type { GatewayManager } from '../gateway/manager.js';
import type { Options } from '../../config/options.js';
import { applyClusterReload, checkClusterReload, routePerms, samePerm, updateRemoteRoutePerms } from './route-reload.js';

export class RouteManager implements RouteHost, InterestSink, ClusterHooks {
  clusterName: string;
  dynamicName: boolean;
  /** bound route port */
  port = 0;
  /** registered routes by remote server id */
  readonly routes = new Map<string, RouteConn>();
  /** every open route connection, registered or still in the handshake */
  readonly conns = new Set<RouteConn>();
  /** local interest as routes see it (import permissions applied) */
  interest = new InterestMap();
  /** client URLs each remote server advertised, by server id */
  private readonly remoteURLs = new Map<string, string[]>();
  /** each remote server's websocket URLs (its route INFO's ws_connect_urls) */
  private readonly remoteWsURLs = new Map<string, string[]>();
  /** route URLs being dialed for gossip (implicit), to dial each once */
  private readonly dialing = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private listener: net.Server | null = null;
  /** route TLS (cluster `tls {}`), both for accepted and dialed routes (replaced by a reload) */
  tls: TlsSetup | null;
  /** pooled and pinned-account connections per remote server (rebuilt by a reload of pool_size / pinned accounts) */
  pool: RoutePool;
  /** cluster `permissions` (Go Cluster.Permissions), null when unset */
  perms: Permissions | null;
  /** sockets in a TLS handshake, not yet a route */
  private readonly handshaking = new Set<net.Socket>();
  private stopping = false;
  /** dials in progress plus redials scheduled (0 once every retry has ended or given up) */
  pendingDials = 0;

  constructor(
    readonly server: Server,
    /** the running cluster options (replaced by a config reload) */
    public opts: ClusterOptions,
  ) {
    this.dynamicName = opts.name === '';
    this.clusterName = opts.name || randomName();
    this.tls = opts.tls !== null ? new TlsSetup(opts.tls) : null;
    if (!['off', 'disabled', 'false'].includes(opts.compression)) {
      server.log.warn(`Route compression "${opts.compression}" is not supported by this server: routes run uncompressed (compression "off" is announced)`);
    }
    this.perms = routePerms(opts);
    this.pool = this.newPool(opts);
  }

  /** Go initRouteStructures; with pooling on, Go also pins the system account. */
  newPool(opts: ClusterOptions): RoutePool {
    const pinned = [...opts.pinned_accounts];
    const sys = this.server.systemAccount?.name;
    if (opts.pool_size > 0 && !this.server.opts.no_system_account && sys && !pinned.includes(sys)) pinned.push(sys);
    return new RoutePool(opts.pool_size > 0 ? opts.pool_size : 1, pinned);
  }

  /** ClusterHooks: Go diffOptions for `cluster` / `routes` (throws Go's text). */
  checkReload(next: Options): void {
    checkClusterReload(this, next);
  }

  /** ClusterHooks: apply the new `cluster {}` block (Go clusterOption / routesOption Apply). */
  applyReload(next: Options): void {
    applyClusterReload(this, next);
  }

  /** Go canImport: is our interest in `subject` sent to routes? */
  canImport(subject: string): boolean {
    return this.perms === null || this.perms.canPublish(subject);
  }

  /** Go canExport: is a route's interest in `subject` accepted (and so messages sent to it)? */
  canExport(subject: string): boolean {
    return this.perms === null || this.perms.canSubscribe(subject, null);
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    const o = this.opts;
    const srv = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    this.listener = srv;
    this.port = await listenOn(srv, o.port, o.host, (e) => this.server.log.error(`Route listener error: ${e.message}`));
    this.server.log.info(`Cluster name is ${this.clusterName}`);
    if (this.dynamicName) this.server.log.warn('Cluster name was dynamically generated, consider setting one');
    this.server.log.info(`Listening for route connections on ${hostPort(o.host, this.port)}`);
    // Interest that already exists (internal subscriptions) and every change from now on.
    for (const acc of this.server.accounts.values()) {
      for (const sub of acc.sl.all()) if (sub.link === null && !sub.local && this.canImport(sub.subject)) this.interest.change(acc.name, sub.subject, sub.queue, sub.queue !== null ? sub.qw : 1);
    }
    this.server.interest.addSink(this);
    this.server.cluster = this;
    this.server.onShutdown(() => this.shutdown());
    // Go solicitRoutes; the pinned-account routes follow once the remote shows it has pooling (dialPinned).
    for (const u of o.routes) this.connect(u, true, new DialRun(true), '');
  }

  shutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.server.interest.removeSink(this);
    for (const t of this.timers) clearTimeout(t);
    this.pendingDials -= this.timers.size;
    this.timers.clear();
    this.listener?.close();
    this.listener = null;
    for (const sock of this.handshaking) sock.destroy();
    this.handshaking.clear();
    for (const rc of [...this.conns]) rc.closeConnection(ClosedReason.ServerShutdown);
  }

  authTimeoutMs(): number {
    const t = this.opts.auth_timeout > 0 ? this.opts.auth_timeout * 1000 : this.server.opts.auth_timeout;
    return t > 0 ? t : 2000;
  }

  // ------------------------------------------------------------------ connections

  private accept(sock: net.Socket): void {
    if (this.stopping) {
      sock.destroy();
      return;
    }
    sock.on('error', () => {
      /* handled by the route once it exists */
    });
    const cid = this.server.nextClientId();
    if (this.tls !== null) {
      // Go createRoute: with cluster TLS the handshake comes first, and the peer must present a trusted certificate.
      this.handshake(sock, cid, null, false, (t) => this.accepted(t, cid));
      return;
    }
    this.accepted(sock, cid);
  }

  private accepted(sock: net.Socket, cid: number): void {
    const rc = new RouteConn(this, sock, cid, false, null, false);
    this.conns.add(rc);
    countLinks(1);
    if (this.server.log.debugEnabled) this.server.log.debug(`${rc.label()} - Route connection created`);
    rc.enqueue(Buffer.from(`INFO ${routeInfoJSON(this.info(true))}\r\n`));
    rc.startReading(this.opts.username !== '');
  }

  /** Dial a route (Go connectToRoute); configured routes are retried forever, gossiped ones connect_retries times. */
  connect(url: URL, configured: boolean, run: DialRun, accName = ''): void {
    if (this.stopping) return;
    if (configured && !this.isConfigured(url)) {
      // Go routeStillValid: a route removed from the configuration is not dialed any more.
      if (this.server.log.debugEnabled) this.server.log.debug(`Not attempting to connect to explicit route "${url.host}", no longer part of configured routes`);
      return;
    }
    const sock = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) });
    sock.setNoDelay(true);
    this.pendingDials++;
    const onError = (err: Error): void => {
      this.pendingDials--;
      sock.destroy();
      this.dialFailed(url, configured, run, err, accName);
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      this.pendingDials--;
      sock.removeListener('error', onError);
      sock.on('error', () => {
        /* the route handles it */
      });
      if (this.stopping) {
        sock.destroy();
        return;
      }
      const cid = this.server.nextClientId();
      if (this.tls !== null) this.handshake(sock, cid, url, configured, (t) => this.solicited(t, cid, url, configured, accName), accName);
      else this.solicited(sock, cid, url, configured, accName);
    });
  }

  /** TLS first on a route (Go doTLSHandshake "route"); a failure closes it, and a dialed route is retried. */
  private handshake(sock: net.Socket, cid: number, url: URL | null, configured: boolean, done: (t: tls.TLSSocket) => void, accName = ''): void {
    const label = `${sock.remoteAddress}:${sock.remotePort} - rid:${cid}`;
    const failed = (err: string): void => {
      this.handshaking.delete(sock);
      if (this.stopping) return;
      this.server.log.error(`${label} - TLS route handshake error: ${err}`);
      if (url !== null) this.reconnect(url, configured, accName); // Go: the failed route closes, then reconnects as a closed one
    };
    this.handshaking.add(sock);
    const ok = (t: tls.TLSSocket | null, err: string): void => {
      if (t === null) return failed(err);
      this.handshaking.delete(sock);
      if (this.stopping) {
        t.destroy();
        return;
      }
      if (this.server.log.debugEnabled) this.server.log.debug(`${label} - TLS handshake complete, TLS version ${tlsVersion(t.getProtocol())}, cipher suite ${t.getCipher()?.standardName ?? ''}`);
      done(t);
    };
    if (url === null) this.tls!.acceptFirst(sock, true, ok);
    else dialTls(sock, url.hostname, this.opts.tls!, ok);
  }

  /** Go createRoute for a dialed route: CONNECT, then our INFO (held back until the remote's INFO with pooling, to name our pool slot). */
  private solicited(sock: net.Socket, cid: number, url: URL, configured: boolean, accName: string): void {
    const rc = new RouteConn(this, sock, cid, true, url, configured);
    rc.accName = accName;
    this.conns.add(rc);
    countLinks(1);
    this.server.log.info(`${rc.label()} - Route connection created`);
    const user = decodeURIComponent(url.username) || '';
    const pass = decodeURIComponent(url.password) || '';
    const connect = routeConnectJSON({
      user, pass, tls: this.tls !== null, id: this.server.id, headers: !this.server.opts.no_header_support,
      cluster: this.clusterName, dynamic: this.dynamicName,
    });
    rc.enqueue(Buffer.from(`CONNECT ${connect}\r\n`));
    if (!this.delaysInfo(rc)) rc.enqueue(Buffer.from(`INFO ${routeInfoJSON(this.info(true, 0, accName))}\r\n`));
    rc.startReading(false);
  }

  /** Go routeShouldDelayInfo. */
  private delaysInfo(rc: RouteConn): boolean {
    return rc.didSolicit && rc.accName === '' && this.opts.pool_size >= 1;
  }

  /** Go connectToRoute after a failed dial: log it (Go shouldReportConnectErr), then wait and dial again, or give up. */
  private dialFailed(url: URL, configured: boolean, run: DialRun, err: Error, accName: string): void {
    if (this.stopping) return;
    const so = this.server.opts;
    const wait = run.failed(configured, this.opts.connect_retries, this.opts.connect_backoff);
    const text = `Error trying to connect to route (attempt ${run.failures}): ${err.message}`;
    if (reportConnectError(run.first, run.failures, so.connect_error_reports, so.reconnect_error_reports)) this.server.log.error(text);
    else if (this.server.log.debugEnabled) this.server.log.debug(text);
    if (wait < 0) {
      this.dialing.delete(dialKey(url, accName));
      return;
    }
    this.later(wait, () => this.connect(url, configured, run, accName));
  }

  /** Go reConnectToRoute: a solicited route that closed is dialed again in a new run. */
  private reconnect(url: URL, configured: boolean, accName: string): void {
    if (this.stopping) return;
    this.later(reconnectDelay(configured), () => this.connect(url, configured, new DialRun(false), accName));
  }

  private later(ms: number, fn: () => void): void {
    this.pendingDials++;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.pendingDials--;
      fn();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  private isConfigured(url: URL): boolean {
    return this.opts.routes.some((r) => r.host === url.host);
  }

  // ------------------------------------------------------------------ INFO and CONNECT

  /** This server's route INFO. */
  info(withNonce: boolean, poolIdx = 0, account = ''): RouteInfo {
    const o = this.opts;
    const s = this.server;
    let host = o.host;
    let port = this.port;
    if (o.advertise) {
      const i = o.advertise.lastIndexOf(':');
      if (i > 0) {
        host = o.advertise.slice(0, i);
        port = Number(o.advertise.slice(i + 1)) || port;
      } else host = o.advertise;
    }
    const authRequired = o.username !== '';
    return {
      ...infoIdentity(s, host, port),
      auth_required: authRequired,
      tls_required: this.tls !== null,
      tls_verify: this.tls !== null,
      max_payload: s.opts.max_payload,
      import: o.permissions?.import,
      export: o.permissions?.export,
      jetstream: s.opts.jetstream,
      nonce: withNonce ? generateNonce() : undefined,
      cluster: this.clusterName,
      cluster_dynamic: this.dynamicName,
      connect_urls: o.no_advertise ? undefined : this.ownClientURLs(),
      // Go routeInfo: the websocket listener's URLs too, unless no_advertise
      ws_connect_urls: o.no_advertise ? undefined : s.websocket?.connectURLs(),
      // Go selectCompressionMode: a peer that says "off" gets no compression, whatever its own mode.
      compression: 'off',
      lnoc: true,
      info_on_connect: true,
      route_pool_size: o.pool_size > 0 ? o.pool_size : undefined,
      route_pool_idx: poolIdx,
      route_account: account || undefined,
      gateway_url: this.gateway()?.url,
    };
  }

  /** Go processRouteConnect (accepting side): credentials and cluster name. */
  processConnect(rc: RouteConn, c: Record<string, unknown>): boolean {
    const o = this.opts;
    // kept so that a reload of the cluster credentials can judge this route again (Go isRouterAuthorized)
    rc.connectUser = typeof c.user === 'string' ? c.user : '';
    rc.connectPass = typeof c.pass === 'string' ? c.pass : '';
    if (o.username !== '' && (c.user !== o.username || c.pass !== o.password)) {
      rc.authViolation();
      return false;
    }
    const name = typeof c.cluster === 'string' ? c.cluster : '';
    if (name !== this.clusterName && !this.adoptClusterName(name, c.dynamic === true)) {
      const text = `Rejecting connection, cluster name "${name}" does not match "${this.clusterName}"`;
      this.server.log.error(`${rc.label()} - ${text}`);
      rc.sendErr(text);
      rc.closeConnection(ClosedReason.ClusterNameConflict);
      return false;
    }
    return true;
  }

  /** A dynamic (generated) cluster name gives way to a configured one, or to the smaller dynamic one. */
  private adoptClusterName(name: string, remoteDynamic: boolean): boolean {
    if (!this.dynamicName || name === '') return false;
    if (remoteDynamic && this.clusterName.localeCompare(name) <= 0) return false;
    this.clusterName = name;
    if (!remoteDynamic) this.dynamicName = false;
    return true;
  }

  private gateway(): GatewayManager | null {
    return this.server.gateway as GatewayManager | null;
  }

  /** Go processRouteInfo. */
  processInfo(rc: RouteConn, info: RouteInfo): void {
    const srv = this.server;
    if (typeof info.server_id !== 'string' || info.server_id === '') return;
    // Gateway gossip and gateway URLs ride on route INFOs (Go processRouteInfo -> processGatewayInfoFromRoute).
    if (typeof info.gateway === 'string' && info.gateway !== '') {
      const gw = this.gateway();
      if (gw === null) srv.log.error(`Received information about gateway "${info.gateway}" from ${rc.remoteId}, but gateway is not configured`);
      else gw.routeInfo(info);
      return;
    }
    if (info.server_id === srv.id) {
      // A route to ourselves (our own address in `routes`): drop it for good.
      if (srv.log.debugEnabled) srv.log.debug(`${rc.label()} - Detected route to self, ignoring`);
      rc.noReconnect = true;
      rc.closeConnection(ClosedReason.DuplicateRoute);
      return;
    }
    if (rc.infoReceived) {
      if (info.server_id !== rc.remoteId) return this.processImplicitRoute(info);
      // Go processRouteInfo: an INFO update may carry the remote's new cluster permissions
      if (rc.remoteInfo !== null && (!samePerm(rc.remoteInfo.import, info.import) || !samePerm(rc.remoteInfo.export, info.export))) {
        updateRemoteRoutePerms(this, rc, info);
      }
      this.setRemoteURLs(info.server_id, info);
      return;
    }
    if (info.cluster && info.cluster !== this.clusterName && !this.adoptClusterName(info.cluster, info.cluster_dynamic === true)) {
      srv.log.error(`${rc.label()} - Rejecting connection, cluster name "${info.cluster}" does not match "${this.clusterName}"`);
      rc.closeConnection(ClosedReason.ClusterNameConflict);
      return;
    }
    if (!rc.didSolicit && info.server_name === srv.name && srv.name !== '') {
      srv.log.error(`${rc.label()} - Remote server has a duplicate name: "${info.server_name}"`);
      rc.closeConnection(ClosedReason.DuplicateServerName);
      return;
    }
    rc.infoReceived = true;
    rc.remoteId = info.server_id;
    rc.remoteName = info.server_name ?? '';
    rc.remoteInfo = info;
    rc.headers = !srv.opts.no_header_support && info.headers === true;
    const port = info.port ?? 0;
    if (rc.url === null) rc.url = new URL(`nats-route://${hostPort(info.host ?? rc.host, port)}/`);
    if (!info.ip) info.ip = `nats-route://${hostPort(rc.host, port)}/`;
    // the accepting side learns from the INFO which pinned account a route is for
    if (!rc.didSolicit && typeof info.route_account === 'string') rc.accName = info.route_account;
    else if (rc.didSolicit && rc.accName !== '') info.route_account = rc.accName;
    this.addRoute(rc, info, this.delaysInfo(rc));
  }

  /**
   * Go addRoute: place the connection in the remote's pool (or its single
   * slot when the remote has no pool), or as a pinned account's route; or
   * resolve a duplicate so both servers keep the same connections.
   */
  private addRoute(rc: RouteConn, info: RouteInfo, sendDelayedInfo: boolean): void {
    if (rc.accName !== '') return this.addPinnedRoute(rc, info);
    const id = rc.remoteId;
    const p = this.pool.place(rc, info, this.opts.pool_size);
    switch (p.kind) {
      case 'refuse': return this.refuse(rc, p.err);
      case 'duplicate': return this.duplicate(p.keep, rc, p.noReconnect);
      case 'full':
        if (this.server.log.debugEnabled) this.server.log.debug(`${rc.label()} - Route pool size reached, closing extra connection to "${id}"`);
        rc.noReconnect = true;
        rc.closeConnection(ClosedReason.DuplicateRoute);
        return;
    }
    // Go: a dialing server with pooling sends its INFO once it knows its slot.
    if (sendDelayedInfo) rc.enqueue(Buffer.from(`INFO ${routeInfoJSON(this.info(true, p.idx))}\r\n`));
    rc.registered = true;
    this.routes.set(id, this.pool.remotes.get(id)!.first()!);
    if (rc.url !== null) this.dialing.delete(dialKey(rc.url, ''));
    this.server.log.info(`${rc.label()} - Route connection registered for "${rc.remoteName || id}"${p.pool ? ` (pool index ${p.idx})` : ''}`);
    this.sendSubsToRoute(rc);
    if (p.first) {
      this.setRemoteURLs(id, info);
      // Go forwardNewRouteInfoToKnownServers: the accepting side tells the others about the newcomer.
      this.gateway()?.routeRegistered(rc);
      if (!rc.didSolicit) this.forwardNewRouteInfo(rc, info);
      else if (p.pool && rc.url !== null) this.dialPinned(rc.url, rc.isConfigured, id);
    }
    // the next pool connection is dialed after this one's first PONG (Go startNewRoute)
    if (p.fillPool) {
      rc.startNewRoute = true;
      rc.sendPing();
    }
  }

  /** Go addRoute for a route dedicated to a pinned account (route_account). */
  private addPinnedRoute(rc: RouteConn, info: RouteInfo): void {
    const an = rc.accName;
    if (!((info.route_pool_size ?? 0) > 0) || this.opts.pool_size < 0) {
      rc.noReconnect = true;
      return this.refuse(rc, `Not possible to have a dedicated route for account "${an}" between those servers`);
    }
    if (this.server.lookupAccount(an) === null) {
      rc.sendErr(`Unable to lookup account "${an}": account not found`);
      this.server.log.error(`${rc.label()} - Unable to lookup account "${an}": account not found`);
      rc.closeConnection(ClosedReason.MissingAccount);
      return;
    }
    const conns = this.pool.accRoutes.get(an);
    if (conns === undefined) return this.refuse(rc, `No route for account "${an}"`);
    const existing = conns.get(rc.remoteId);
    if (existing !== undefined) return this.duplicate(existing, rc, true);
    conns.set(rc.remoteId, rc);
    rc.registered = true;
    if (rc.url !== null) this.dialing.delete(dialKey(rc.url, an));
    this.server.log.info(`${rc.label()} - Route connection registered for "${rc.remoteName || rc.remoteId}" (account "${an}")`);
    this.sendSubsToRoute(rc);
    if (conns.size > 1 && !rc.didSolicit) this.forwardNewRouteInfo(rc, info);
  }

  private refuse(rc: RouteConn, err: string): void {
    this.server.log.error(`${rc.label()} - ${err}`);
    rc.sendErr(err);
    rc.closeConnection(ClosedReason.ProtocolViolation);
  }

  /** Go handleDuplicateRoute: close `rc`; the connection kept takes over its dialed URL for reconnects. */
  private duplicate(keep: RouteConn, rc: RouteConn, noReconnect: boolean): void {
    if (noReconnect) rc.noReconnect = true;
    if (rc.didSolicit && !keep.didSolicit) {
      keep.didSolicit = true;
      keep.url = rc.url;
    }
    if (rc.isConfigured) keep.isConfigured = true;
    if (this.server.log.debugEnabled) this.server.log.debug(`${rc.label()} - Detected duplicate remote route "${rc.remoteId}"`);
    rc.closeConnection(ClosedReason.DuplicateRoute);
  }

  /** Go sendSubsToRoute: the local interest of the accounts this connection carries. */
  private sendSubsToRoute(rc: RouteConn): void {
    const lines = this.interest.linesFor((acc) => this.pool.carries(rc, acc), rc.accName === '');
    if (lines.length > 0) rc.enqueue(Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'));
  }

  /** RouteHost: the first PONG on a pooled route that asked for it: dial the next pool connection. */
  startNextPooled(rc: RouteConn): void {
    if (this.stopping || rc.closed || rc.url === null) return;
    this.connect(rc.url, rc.isConfigured, new DialRun(true), '');
  }

  private forwardNewRouteInfo(rc: RouteConn, info: RouteInfo): void {
    const fwd: RouteInfo = { ...info, nonce: undefined };
    const frame = Buffer.from(`INFO ${routeInfoJSON(fwd)}\r\n`);
    const pinned = (info.route_account ?? '') !== '';
    // Go: a pinned-account route is not announced to servers without pooling.
    for (const r of this.routes.values()) if (r !== rc && r.remoteId !== info.server_id && !(pinned && r.noPool)) r.enqueue(frame);
  }

  /** Go processImplicitRoute: dial a server another route told us about, unless known or configured. */
  private processImplicitRoute(info: RouteInfo): void {
    if (this.stopping || info.server_id === this.server.id || !info.ip) return;
    const an = info.route_account ?? '';
    if (an !== '') {
      // a route for an account we do not pin would only be refused
      if (this.opts.pool_size <= 0 || !this.pool.isPinned(an) || this.pool.accRoutes.get(an)!.has(info.server_id)) return;
    } else if (this.pool.remotes.has(info.server_id)) return;
    for (const rc of this.conns) if (rc.remoteId === info.server_id && rc.accName === an) return;
    let url: URL;
    try {
      url = new URL(info.ip);
    } catch {
      this.server.log.error(`Error parsing URL from INFO: ${info.ip}`);
      return;
    }
    const port = String(info.port ?? url.port);
    if (this.opts.routes.some((r) => r.port === port && (r.hostname === info.host || r.hostname === url.hostname))) return;
    if (this.dialing.has(dialKey(url, an))) return;
    if (info.auth_required) {
      url.username = encodeURIComponent(this.opts.username);
      url.password = encodeURIComponent(this.opts.password);
    }
    this.dialing.add(dialKey(url, an));
    this.connect(url, false, new DialRun(true), an);
  }

  /**
   * Dial the pinned-account routes to a remote whose first pooled connection
   * we dialed. Go dials them together with the first one; waiting until the
   * remote has shown it supports pooling spares a server without it (Go 2.9)
   * a connection it would register as the route and that we would refuse.
   */
  private dialPinned(url: URL, configured: boolean, remoteId: string): void {
    for (const [an, conns] of this.pool.accRoutes) {
      const key = dialKey(url, an);
      if (conns.has(remoteId) || this.dialing.has(key)) continue;
      let pending = false;
      for (const c of this.conns) if (c.remoteId === remoteId && c.accName === an) pending = true;
      if (pending) continue;
      this.dialing.add(key);
      this.connect(url, configured, new DialRun(true), an);
    }
  }

  /** Take a registered connection out of the pool / pinned maps (Go removeRoute). */
  private unregister(rc: RouteConn): void {
    if (!rc.registered) return;
    rc.registered = false;
    const gone = this.pool.remove(rc);
    if (rc.accName !== '') return;
    const first = this.pool.remotes.get(rc.remoteId)?.first() ?? null;
    if (first !== null) this.routes.set(rc.remoteId, first);
    else this.routes.delete(rc.remoteId);
    if (gone) this.setRemoteURLs(rc.remoteId, null);
  }

  routeClosed(rc: RouteConn, reason: ClosedReason): void {
    if (this.conns.delete(rc)) countLinks(-1);
    if (rc.registered) {
      this.unregister(rc);
      this.server.log.info(`${rc.label()} - Router connection closed: ${reason}`);
      this.gateway()?.refreshClusterURLs();
    }
    if (this.stopping || !rc.didSolicit || rc.noReconnect || rc.url === null) {
      if (rc.url !== null) this.dialing.delete(dialKey(rc.url, rc.accName));
      return;
    }
    const url = rc.url;
    if (rc.isConfigured && !this.isConfigured(url)) return; // Go routeStillValid
    this.reconnect(url, rc.isConfigured, rc.accName);
  }

  // ------------------------------------------------------------------ interest

  subChanged(acc: Account, sub: Subscription, added: boolean): void {
    // Go processLeafSub/processLeafUnsub: a leaf's queue subscription counts as the members it stands for (its qw).
    const w = sub.queue !== null ? sub.qw : 1;
    this.interestDelta(acc, sub, added ? w : -w);
  }

  /** InterestSink: a leaf queue subscription now stands for `delta` more (or fewer) members; re-announce the group's weight. */
  weightChanged(acc: Account, sub: Subscription, delta: number): void {
    this.interestDelta(acc, sub, delta);
  }

  /** Go updateRouteSubscriptionMap: count the change and send RS+/RS- to each remote when it shows. */
  private interestDelta(acc: Account, sub: Subscription, delta: number): void {
    if (sub.link !== null || sub.local || this.stopping) return;
    // Go processLeafSub: interest a hub sent us (we are its spoke) is not announced to our routes
    if (sub.client.kind === LEAF && (sub.client as unknown as { isSpoke: boolean }).isSpoke) return;
    if (this.perms !== null && !this.canImport(sub.subject)) return; // Go importFilter
    const line = this.interest.change(acc.name, sub.subject, sub.queue, delta);
    if (line === null || this.conns.size === 0) return;
    this.sendInterest(acc.name, line);
  }

  /** Go updateRouteSubscriptionMap: an RS+/RS- line to, per remote, the connection that carries this account. */
  sendInterest(accName: string, line: string): void {
    const full = Buffer.from(`${line}\r\n`, 'latin1');
    const idx = this.pool.accountIdx(accName);
    if (idx < 0) {
      const short = Buffer.from(`${line.slice(0, 4)}${line.slice(5 + accName.length)}\r\n`, 'latin1');
      for (const r of this.pool.accRoutes.get(accName)!.values()) r.enqueue(short);
    }
    for (const remote of this.pool.remotes.values()) {
      const r = idx >= 0 && idx < remote.conns.length ? remote.conns[idx] : null;
      if (r !== null) r.enqueue(full);
      else if (remote.noPool && remote.conns[0] !== null) remote.conns[0].enqueue(full);
    }
  }

  /** Every registered route connection (pooled and pinned), as /routez lists them. */
  allRoutes(): IterableIterator<RouteConn> {
    return this.pool.all();
  }

  // ------------------------------------------------------------------ client connect_urls

  /** This server's client URLs as routes advertise them (`host:port`). */
  ownClientURLs(): string[] {
    const s = this.server;
    let h = s.opts.client_advertise || s.opts.host;
    if (!s.opts.client_advertise) {
      if (h === '0.0.0.0' || h === '::' || h === '') h = '127.0.0.1';
      return [hostPort(h, s.port)];
    }
    return [h.includes(':') ? h : `${h}:${s.port}`];
  }

  /**
   * ClusterHooks: URLs clients get in INFO connect_urls: ours and every
   * route's once a route brought some, none with no_advertise. With `ws`, the
   * websocket URLs (Go updateServerINFOAndSendINFOToClients keeps the two
   * lists apart: a websocket client's connect_urls are the ws ones).
   */
  clientConnectURLs(ws = false): string[] {
    const remote = ws ? this.remoteWsURLs : this.remoteURLs;
    if (this.opts.no_advertise || remote.size === 0) return [];
    const out = ws ? (this.server.websocket?.connectURLs() ?? []) : this.ownClientURLs();
    for (const l of remote.values()) for (const u of l) if (!out.includes(u)) out.push(u);
    return out;
  }

  /** ClusterHooks (Go numRoutes): registered route connections, pooled and pinned. */
  numRoutes(): number {
    return this.pool.count();
  }

  /** Go numRemotes: servers this one has routes to. */
  numRemotes(): number {
    return this.pool.remotes.size;
  }

  /**
   * A remote's client and websocket URLs from its INFO (null: its last route
   * is gone). Go updateServerINFOAndSendINFOToClients: TCP clients hear of a
   * change in the client list, websocket clients of one in the ws list.
   */
  private setRemoteURLs(id: string, info: RouteInfo | null): void {
    const cli = this.updateURLs(this.remoteURLs, id, info === null ? [] : info.connect_urls);
    const ws = this.updateURLs(this.remoteWsURLs, id, info === null ? [] : info.ws_connect_urls);
    if ((cli || ws) && !this.opts.no_advertise) this.sendAsyncInfoToClients(cli, ws);
  }

  /** Set (or, when empty, drop) one remote's list; true when the cluster-wide list changed. A missing field keeps what we had. */
  private updateURLs(m: Map<string, string[]>, id: string, urls: string[] | undefined): boolean {
    if (!Array.isArray(urls)) return false;
    const before = union(m);
    if (urls.length === 0) m.delete(id);
    else m.set(id, urls);
    const after = union(m);
    return before.size !== after.size || [...after].some((u) => !before.has(u));
  }

  /** Go sendAsyncInfoToClients: clients that speak protocol 1 hear of cluster changes (TCP and websocket apart). */
  private sendAsyncInfoToClients(regCli: boolean, wsCli: boolean): void {
    const s = this.server;
    for (const c of s.clients.values()) {
      if (!c.connectReceived || c.opts.protocol < 1 || c.closed) continue;
      if (!(c.connectionType === 'WEBSOCKET' ? wsCli : regCli)) continue;
      c.enqueue(Buffer.from(`INFO ${s.infoJSON(c, false)}\r\n`));
    }
  }
}

/** Key of a route being dialed: its URL and, for a pinned-account route, the account. */
function dialKey(url: URL, accName: string): string {
  return accName === '' ? url.href : `${url.href}#${accName}`;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function randomName(): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (let k = 0; k < 22; k++) s += abc[Math.floor(Math.random() * abc.length)];
  return s;
}

function union(m: Map<string, string[]>): Set<string> {
  const out = new Set<string>();
  for (const l of m.values()) for (const u of l) out.add(u);
  return out;
}
