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
import type { Server, ClusterHooks } from '../../server/server.js';
import type { Account } from '../../accounts/account.js';
import type { Subscription } from '../../conn/subscription.js';
import type { InterestSink } from '../../server/interest.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { RUNTIME_VERSION } from '../../server/info.js';
import { GO_COMPAT_VERSION } from '../../util/version.js';
import { generateNonce } from '../../auth/nkeys.js';
import { ROUTE_CONNECT_MS, type ClusterOptions } from '../../config/cluster.js';
import { RouteConn, type RouteHost } from './route-conn.js';
import { routeConnectJSON, routeInfoJSON, type RouteInfo } from './route-info.js';
import { InterestMap } from './interest-map.js';
import { countLinks } from '../../server/router.js';
import type { GatewayManager } from '../gateway/manager.js';

export class RouteManager implements RouteHost, InterestSink, ClusterHooks {
  clusterName: string;
  dynamicName: boolean;
  /** bound route port */
  port = 0;
  /** registered routes by remote server id */
  readonly routes = new Map<string, RouteConn>();
  /** every open route connection, registered or still in the handshake */
  readonly conns = new Set<RouteConn>();
  private readonly interest = new InterestMap();
  /** client URLs each remote server advertised, by server id */
  private readonly remoteURLs = new Map<string, string[]>();
  /** route URLs being dialed for gossip (implicit), to dial each once */
  private readonly dialing = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private listener: net.Server | null = null;
  private stopping = false;
  /** dials in progress plus redials scheduled (0 once every retry has ended or given up) */
  pendingDials = 0;

  constructor(
    readonly server: Server,
    readonly opts: ClusterOptions,
  ) {
    this.dynamicName = opts.name === '';
    this.clusterName = opts.name || randomName();
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    const o = this.opts;
    const srv = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    this.listener = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ port: o.port < 0 ? 0 : o.port, host: o.host }, () => {
        srv.removeListener('error', reject);
        resolve();
      });
    });
    srv.on('error', (e) => this.server.log.error(`Route listener error: ${e.message}`));
    this.port = (srv.address() as net.AddressInfo).port;
    this.server.log.info(`Cluster name is ${this.clusterName}`);
    if (this.dynamicName) this.server.log.warn('Cluster name was dynamically generated, consider setting one');
    this.server.log.info(`Listening for route connections on ${hostPort(o.host, this.port)}`);
    // Interest that already exists (internal subscriptions) and every change from now on.
    for (const acc of this.server.accounts.values()) {
      for (const sub of acc.sl.all()) if (sub.link === null && !sub.local) this.interest.change(acc.name, sub.subject, sub.queue, 1);
    }
    this.server.interest.addSink(this);
    this.server.cluster = this;
    this.server.onShutdown(() => this.shutdown());
    for (const u of o.routes) this.connect(u, true, 0);
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
    const rc = new RouteConn(this, sock, this.server.nextClientId(), false, null, false);
    this.conns.add(rc);
    countLinks(1);
    if (this.server.log.debugEnabled) this.server.log.debug(`${rc.label()} - Route connection created`);
    rc.enqueue(Buffer.from(`INFO ${routeInfoJSON(this.info(true))}\r\n`));
    rc.startReading(this.opts.username !== '');
  }

  /** Dial a route (Go connectToRoute); configured routes are retried forever, gossiped ones connect_retries times. */
  connect(url: URL, configured: boolean, attempt: number): void {
    if (this.stopping) return;
    const sock = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) });
    sock.setNoDelay(true);
    this.pendingDials++;
    const onError = (): void => {
      this.pendingDials--;
      sock.destroy();
      this.retry(url, configured, attempt + 1);
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
      const rc = new RouteConn(this, sock, this.server.nextClientId(), true, url, configured);
      this.conns.add(rc);
      countLinks(1);
      this.server.log.info(`${rc.label()} - Route connection created`);
      const user = decodeURIComponent(url.username) || '';
      const pass = decodeURIComponent(url.password) || '';
      const connect = routeConnectJSON({
        user, pass, tls: false, id: this.server.id, headers: !this.server.opts.no_header_support,
        cluster: this.clusterName, dynamic: this.dynamicName,
      });
      rc.enqueue(Buffer.from(`CONNECT ${connect}\r\nINFO ${routeInfoJSON(this.info(false))}\r\n`));
      rc.startReading(false);
    });
  }

  private retry(url: URL, configured: boolean, attempt: number): void {
    if (this.stopping) return;
    if (!configured && attempt > this.opts.connect_retries) {
      this.dialing.delete(url.href);
      return;
    }
    if (configured && this.opts.connect_retries > 0 && attempt > this.opts.connect_retries && !this.isConfigured(url)) return;
    this.pendingDials++;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.pendingDials--;
      this.connect(url, configured, attempt);
    }, ROUTE_CONNECT_MS);
    t.unref?.();
    this.timers.add(t);
  }

  private isConfigured(url: URL): boolean {
    return this.opts.routes.some((r) => r.host === url.host);
  }

  // ------------------------------------------------------------------ INFO and CONNECT

  /** This server's route INFO. */
  info(withNonce: boolean): RouteInfo {
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
      server_id: s.id,
      server_name: s.name,
      version: GO_COMPAT_VERSION,
      proto: 1,
      go: RUNTIME_VERSION,
      host,
      port,
      headers: !s.opts.no_header_support,
      auth_required: authRequired,
      max_payload: s.opts.max_payload,
      jetstream: s.opts.jetstream,
      nonce: withNonce ? generateNonce() : undefined,
      cluster: this.clusterName,
      cluster_dynamic: this.dynamicName,
      connect_urls: o.no_advertise ? undefined : this.ownClientURLs(),
      lnoc: true,
      info_on_connect: true,
      gateway_url: this.gateway()?.url,
    };
  }

  /** Go processRouteConnect (accepting side): credentials and cluster name. */
  processConnect(rc: RouteConn, c: Record<string, unknown>): boolean {
    const o = this.opts;
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
      if (info.server_id !== rc.remoteId) this.processImplicitRoute(info);
      else if (Array.isArray(info.connect_urls)) this.setRemoteURLs(info.server_id, info.connect_urls);
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
    this.addRoute(rc, info);
  }

  /** Go addRoute: register, or resolve a duplicate so both servers keep the same connection. */
  private addRoute(rc: RouteConn, info: RouteInfo): void {
    const existing = this.routes.get(rc.remoteId);
    if (existing !== undefined && existing !== rc) {
      let keepNew = false;
      if (existing.didSolicit !== rc.didSolicit) {
        // Both servers dialed: keep the connection dialed by the server with the smaller id.
        const weDialedKept = this.server.id < rc.remoteId;
        keepNew = rc.didSolicit === weDialedKept;
      }
      const drop = keepNew ? existing : rc;
      const keep = keepNew ? rc : existing;
      if (drop.didSolicit && drop.url !== null) {
        // Go handleDuplicateRoute: the kept connection takes over the dialed URL for reconnects.
        keep.didSolicit = true;
        keep.url = drop.url;
        keep.isConfigured ||= drop.isConfigured;
      }
      drop.noReconnect = true;
      if (this.server.log.debugEnabled) this.server.log.debug(`${drop.label()} - Detected duplicate remote route "${rc.remoteId}"`);
      if (!keepNew) {
        drop.closeConnection(ClosedReason.DuplicateRoute);
        return;
      }
      this.routes.delete(existing.remoteId);
      existing.registered = false;
      existing.closeConnection(ClosedReason.DuplicateRoute);
    }
    this.routes.set(rc.remoteId, rc);
    rc.registered = true;
    if (rc.url !== null) this.dialing.delete(rc.url.href);
    this.server.log.info(`${rc.label()} - Route connection registered for "${rc.remoteName || rc.remoteId}"`);
    // Go sendSubsToRoute: the whole local interest, then changes as they happen.
    const lines = this.interest.allSubLines();
    if (lines.length > 0) rc.enqueue(Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'));
    if (Array.isArray(info.connect_urls)) this.setRemoteURLs(rc.remoteId, info.connect_urls);
    this.gateway()?.routeRegistered(rc);
    // Go forwardNewRouteInfoToKnownServers: the accepting side tells the others about the newcomer.
    if (!rc.didSolicit) this.forwardNewRouteInfo(rc, info);
  }

  private forwardNewRouteInfo(rc: RouteConn, info: RouteInfo): void {
    const fwd: RouteInfo = { ...info, nonce: undefined };
    const frame = Buffer.from(`INFO ${routeInfoJSON(fwd)}\r\n`);
    for (const r of this.routes.values()) if (r !== rc && r.remoteId !== info.server_id) r.enqueue(frame);
  }

  /** Go processImplicitRoute: dial a server another route told us about, unless known or configured. */
  private processImplicitRoute(info: RouteInfo): void {
    if (this.stopping || info.server_id === this.server.id || this.routes.has(info.server_id) || !info.ip) return;
    for (const rc of this.conns) if (rc.remoteId === info.server_id) return;
    let url: URL;
    try {
      url = new URL(info.ip);
    } catch {
      this.server.log.error(`Error parsing URL from INFO: ${info.ip}`);
      return;
    }
    const port = String(info.port ?? url.port);
    if (this.opts.routes.some((r) => r.port === port && (r.hostname === info.host || r.hostname === url.hostname))) return;
    if (this.dialing.has(url.href)) return;
    if (info.auth_required) {
      url.username = encodeURIComponent(this.opts.username);
      url.password = encodeURIComponent(this.opts.password);
    }
    this.dialing.add(url.href);
    this.connect(url, false, 0);
  }

  routeClosed(rc: RouteConn, reason: ClosedReason): void {
    if (this.conns.delete(rc)) countLinks(-1);
    if (rc.registered && this.routes.get(rc.remoteId) === rc) {
      this.routes.delete(rc.remoteId);
      rc.registered = false;
      this.server.log.info(`${rc.label()} - Router connection closed: ${reason}`);
      this.setRemoteURLs(rc.remoteId, null);
      this.gateway()?.refreshClusterURLs();
    }
    if (this.stopping || !rc.didSolicit || rc.noReconnect || rc.url === null) {
      if (rc.url !== null && !rc.registered) this.dialing.delete(rc.url.href);
      return;
    }
    const url = rc.url;
    if (rc.isConfigured && !this.isConfigured(url)) return; // Go routeStillValid
    this.retry(url, rc.isConfigured, rc.isConfigured ? 1 : 0);
  }

  // ------------------------------------------------------------------ interest

  subChanged(acc: Account, sub: Subscription, added: boolean): void {
    if (sub.link !== null || sub.local || this.stopping) return;
    const line = this.interest.change(acc.name, sub.subject, sub.queue, added ? 1 : -1);
    if (line === null || this.routes.size === 0) return;
    const frame = Buffer.from(`${line}\r\n`, 'latin1');
    for (const rc of this.routes.values()) rc.enqueue(frame);
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

  /** ClusterHooks: URLs clients get in INFO connect_urls: ours and every route's once there is one, none with no_advertise. */
  clientConnectURLs(): string[] {
    if (this.opts.no_advertise || this.remoteURLs.size === 0) return [];
    const out = this.ownClientURLs();
    for (const l of this.remoteURLs.values()) for (const u of l) if (!out.includes(u)) out.push(u);
    return out;
  }

  numRoutes(): number {
    return this.routes.size;
  }

  private setRemoteURLs(id: string, urls: string[] | null): void {
    const before = JSON.stringify(this.remoteURLs.get(id) ?? []);
    if (urls === null || urls.length === 0) this.remoteURLs.delete(id);
    else this.remoteURLs.set(id, urls);
    if (JSON.stringify(urls ?? []) !== before && !this.opts.no_advertise) this.sendAsyncInfoToClients();
  }

  /** Go sendAsyncInfoToClients: clients that speak protocol 1 hear of cluster changes. */
  private sendAsyncInfoToClients(): void {
    const s = this.server;
    for (const c of s.clients.values()) {
      if (!c.connectReceived || c.opts.protocol < 1 || c.closed) continue;
      c.enqueue(Buffer.from(`INFO ${s.infoJSON(c, false)}\r\n`));
    }
  }
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
