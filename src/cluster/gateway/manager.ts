/**
 * Gateways (Go gateway.go): the gateway listener, one outbound connection per
 * remote cluster (configured, or implicit: learned from an inbound connection
 * or from gossip), the inbound connections, the cluster's gateway URLs (ours
 * plus what routes tell us), gossip, and the glue to the router (sending to
 * gateways) and to interest changes (RS+/RS- towards inbound connections).
 *
 * Like Go >= 2.9 every account is switched to interest-only mode as soon as
 * an inbound connection registers (INFO gateway_iom), so this server never
 * sends the optimistic-mode A-/RS- no-interest replies; it still understands
 * them from a remote that does.
 */
import net from 'node:net';
import type { Server, GatewayHooks } from '../../server/server.js';
import type { Account } from '../../accounts/account.js';
import type { Subscription } from '../../conn/subscription.js';
import type { Client } from '../../conn/client.js';
import type { PubArg } from '../../protocol/parser.js';
import type { InterestSink } from '../../server/interest.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { infoIdentity } from '../../server/info.js';
import { listenOn } from '../../util/listen.js';
import * as E from '../../protocol/errors.js';
import { countLinks } from '../../server/router.js';
import {
  GATEWAY_CONNECT_DELAY_MS, GATEWAY_CONNECT_MAX_DELAY_MS, GATEWAY_MAX_PING_MS, GATEWAY_RECENT_SUB_MS,
  GATEWAY_SOLICIT_DELAY_MS, type GatewayOptions,
} from '../../config/gateway.js';
import { GatewayConn } from './connection.js';
import { GwInterest, LocalTally } from './interest.js';
import { withdrawRemoteInterest } from './leaf-bridge.js';
import { GatewayRouting } from './routing.js';
import {
  GW_CMD_ALL_SUBS_COMPLETE, GW_CMD_ALL_SUBS_START, GW_CMD_GOSSIP, cmdPayloadAccount, gatewayCmdProto,
  gatewayConnectProto, gatewayInfoProto, type GatewayInfo,
} from './info.js';
import { gwHash, oldGwHash } from './reply.js';
import { RecentSubs } from './recent.js';
import { RemoteGateway, dial, shuffle } from './remote.js';
import { acceptTls, dialTls, gatewayTls } from './tls.js';
import type { RouteManager } from '../route/routes.js';
import type { RouteConn } from '../route/route-conn.js';
import type { RouteInfo } from '../route/route-info.js';

/** Test hook, like Go SetGatewaysSolicitDelay: delay before configured gateways are dialed, and between attempts. */
export const gatewayDelays = { solicit: GATEWAY_SOLICIT_DELAY_MS, connect: GATEWAY_CONNECT_DELAY_MS, reconnect: GATEWAY_CONNECT_DELAY_MS };

export { RemoteGateway };

export class GatewayManager implements GatewayHooks, InterestSink {
  readonly name: string;
  readonly hash: string;
  readonly oldHash: string;
  readonly serverHash: string;
  /** `_GR_.<cluster hash>.<server hash>.` and `$GR.<hash>.` */
  readonly replyPrefix: string;
  readonly oldReplyPrefix: string;
  port = 0;
  /** this server's gateway URL (`host:port`) */
  url = '';
  /** gateway URLs of the servers of our cluster, reference counted (Go srvGateway.URLs) */
  private readonly clusterURLs = new Map<string, number>();
  readonly remotes = new Map<string, RemoteGateway>();
  /** registered outbound connections by remote gateway name, and in sending order */
  readonly out = new Map<string, GatewayConn>();
  readonly outo: GatewayConn[] = [];
  /** registered inbound connections */
  readonly inbound = new Map<number, GatewayConn>();
  readonly conns = new Set<GatewayConn>();
  private readonly tally = new LocalTally();
  private readonly gi = new GwInterest();
  /** recent subscriptions: replies matching them get mapped (Go srvGateway.rsubs) */
  readonly recent = new RecentSubs(GATEWAY_RECENT_SUB_MS);
  private readonly timers = new Set<NodeJS.Timeout>();
  private listener: net.Server | null = null;
  private stopping = false;
  private readonly routing = new GatewayRouting(this);
  nOut = 0;

  constructor(
    readonly server: Server,
    readonly opts: GatewayOptions,
  ) {
    this.name = opts.name;
    this.hash = gwHash(opts.name);
    this.oldHash = oldGwHash(opts.name);
    this.serverHash = gwHash(server.id);
    this.replyPrefix = `_GR_.${this.hash}.${this.serverHash}.`;
    this.oldReplyPrefix = `$GR.${this.oldHash}.`;
    for (const r of opts.gateways) {
      if (r.name === this.name) continue; // Go: our own entry only lists our URLs
      const cfg = new RemoteGateway(r.name, r.urls, false);
      cfg.tls = r.tls;
      this.remotes.set(r.name, cfg);
    }
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    const o = this.opts;
    const log = this.server.log;
    const srv = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    this.listener = srv;
    this.port = await listenOn(srv, o.port, o.host, (e) => log.error(`Gateway listener error: ${e.message}`));
    log.info(`Gateway name is ${this.name}`);
    log.info(`Listening for gateways connections on ${hostPort(o.host, this.port)}`);
    // Go setGatewayInfoHostPort
    let host = o.host;
    let port = this.port;
    if (o.advertise) {
      const i = o.advertise.lastIndexOf(':');
      if (i > 0) {
        host = o.advertise.slice(0, i).replace(/^\[|\]$/g, '');
        port = Number(o.advertise.slice(i + 1)) || port;
      } else host = o.advertise;
    } else if (host === '0.0.0.0' || host === '::' || host === '') host = '127.0.0.1';
    this.url = hostPort(host, port);
    log.info(o.advertise ? `Advertise address for gateway "${this.name}" is set to ${this.url}` : `Address for gateway "${this.name}" is ${this.url}`);
    this.clusterURLs.set(this.url, 1);
    for (const acc of this.server.accounts.values()) {
      for (const sub of acc.sl.all()) if (!sub.local) this.tally.change(acc.name, sub.subject, sub.queue, 1);
    }
    this.server.interest.addSink(this);
    this.server.gateway = this;
    this.server.onShutdown(() => this.shutdown());
    // Go solicitGateways runs after gatewaySolicitDelay.
    this.later(gatewayDelays.solicit, () => {
      for (const cfg of this.remotes.values()) if (!cfg.implicit) void this.solicit(cfg, true);
    });
  }

  shutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.server.interest.removeSink(this);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.recent.stop();
    this.listener?.close();
    this.listener = null;
    for (const c of [...this.conns]) c.closeConnection(ClosedReason.ServerShutdown);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopping) fn();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  authTimeoutMs(): number {
    const t = this.opts.auth_timeout > 0 ? this.opts.auth_timeout * 1000 : this.server.opts.auth_timeout;
    return t > 0 ? t : 2000;
  }

  /** Go adjustPingInterval for gateways: at most 15s. */
  pingIntervalMs(): number {
    return Math.min(this.server.opts.ping_interval, GATEWAY_MAX_PING_MS);
  }

  // ------------------------------------------------------------------ connections

  private accept(sock: net.Socket): void {
    if (this.stopping) {
      sock.destroy();
      return;
    }
    sock.on('error', () => {
      /* handled by the connection */
    });
    const tlsOpts = gatewayTls(this.opts.tls);
    if (tlsOpts === null) return this.createInbound(sock);
    acceptTls(tlsOpts, sock, (t, err) => {
      if (t === null) this.server.log.error(`${sock.remoteAddress}:${sock.remotePort} - TLS gateway handshake error: ${err}`);
      else if (this.stopping) t.destroy();
      else this.createInbound(t);
    });
  }

  private createInbound(sock: net.Socket): void {
    const c = new GatewayConn(this, sock, this.server.nextClientId(), false, null, null);
    this.conns.add(c);
    this.server.log.info(`${c.label()} - Processing inbound gateway connection`);
    c.enqueueString(gatewayInfoProto(this.info()));
    c.startReading();
  }

  /** Go solicitGateway: try every URL of the remote until one connects; retried with Go's delays. */
  private async solicit(cfg: RemoteGateway, first: boolean): Promise<void> {
    let delay = gatewayDelays.connect;
    let attempts = 0;
    const type = cfg.implicit ? 'implicit' : 'explicit';
    while (!this.stopping && this.remotes.get(cfg.name) === cfg && !this.out.has(cfg.name)) {
      const urls = shuffle([...cfg.urls.values()]);
      if (urls.length === 0) return;
      attempts++;
      for (const u of urls) {
        const log = `${type} gateway "${cfg.name}" (${u.host}) at ${u.host} (attempt ${attempts})`;
        if (first && attempts === 1) this.server.log.info(`Connecting to ${log}`);
        else if (this.server.log.debugEnabled) this.server.log.debug(`Connecting to ${log}`);
        const sock = await this.dialGateway(cfg, u);
        if (this.stopping) {
          sock?.destroy();
          return;
        }
        if (sock !== null) {
          this.createOutbound(cfg, u, sock);
          return;
        }
        if (first && attempts === 1) this.server.log.error(`Error connecting to ${log}: connection refused`);
      }
      if (cfg.implicit && (this.opts.connect_retries === 0 || attempts > this.opts.connect_retries)) {
        if (this.hasInbound(cfg.name)) continue;
        this.remotes.delete(cfg.name);
        return;
      }
      await new Promise<void>((r) => this.later(delay, r));
      if (this.opts.connect_backoff) delay = Math.min(delay * 2, GATEWAY_CONNECT_MAX_DELAY_MS);
    }
  }

  /** TCP connect, then the TLS handshake when the remote (or the gateway block) has TLS. */
  private async dialGateway(cfg: RemoteGateway, u: URL): Promise<net.Socket | null> {
    const sock = await dial(u);
    const o = gatewayTls(cfg.tls ?? this.opts.tls);
    if (sock === null || o === null) return sock;
    return new Promise((resolve) => {
      dialTls(o, u.hostname.replace(/^\[|\]$/g, ''), sock, (t, err) => {
        if (t === null) this.server.log.error(`TLS gateway handshake error with "${cfg.name}" at ${u.host}: ${err}`);
        resolve(t);
      });
    });
  }

  private createOutbound(cfg: RemoteGateway, url: URL, sock: net.Socket): void {
    sock.on('error', () => {
      /* handled by the connection */
    });
    cfg.connAttempts++;
    const c = new GatewayConn(this, sock, this.server.nextClientId(), true, cfg, url);
    this.conns.add(c);
    this.server.log.info(`${c.label()} - Creating outbound gateway connection to "${cfg.name}"`);
    c.startReading();
  }

  private hasInbound(name: string): boolean {
    for (const c of this.inbound.values()) if (c.name === name) return true;
    return false;
  }

  /** Our gateway INFO (Go srvGateway.info). */
  info(): GatewayInfo {
    const s = this.server;
    const o = this.opts;
    const i = this.url.lastIndexOf(':');
    return {
      ...infoIdentity(s, this.url.slice(0, i).replace(/^\[|\]$/g, ''), Number(this.url.slice(i + 1))),
      auth_required: o.username !== '' || undefined,
      tls_required: o.tls !== null || undefined,
      tls_verify: o.tls !== null || undefined,
      max_payload: s.opts.max_payload,
      gateway: this.name,
      gateway_urls: [...this.clusterURLs.keys()],
      gateway_url: this.url,
      gateway_nrp: true,
      gateway_iom: true,
    };
  }

  /** Go processGatewayConnect (inbound side): false when the connection was refused and closed. */
  processConnect(c: GatewayConn, co: Record<string, unknown>): boolean {
    const gw = typeof co.gateway === 'string' ? co.gateway : '';
    if (gw === '') {
      this.server.log.error(`${c.label()} - ${E.ERR_CLIENT_CONNECTED_TO_GATEWAY_PORT}`);
      c.sendErr(E.ERR_CLIENT_CONNECTED_TO_GATEWAY_PORT);
      c.closeConnection(ClosedReason.WrongPort);
      return false;
    }
    const o = this.opts;
    if (o.username !== '' && (co.user !== o.username || co.pass !== o.password)) {
      c.authViolation();
      return false;
    }
    if (o.reject_unknown && !this.remotes.has(gw)) {
      this.server.log.error(`${c.label()} - Rejecting connection from gateway "${gw}"`);
      c.sendErr(`Connection to gateway "${this.name}" rejected`);
      c.closeConnection(ClosedReason.WrongGateway);
      return false;
    }
    if (typeof co.name === 'string') c.remoteId = co.name;
    return true;
  }

  /** Go processGatewayInfo, both directions. */
  processInfo(c: GatewayConn, info: GatewayInfo): void {
    const first = !c.infoReceived;
    c.infoReceived = true;
    if (first) {
      if (typeof info.server_id === 'string') c.remoteId = info.server_id;
      c.remoteName = info.server_name ?? '';
    }
    if (c.outbound) return this.processOutboundInfo(c, info, first);
    if (!first) return;
    // First INFO of an inbound connection: register it and send it our interest.
    c.name = typeof info.gateway === 'string' ? info.gateway : '';
    c.registered = true;
    this.inbound.set(c.cid, c);
    this.server.log.info(`${c.label()} - Inbound gateway connection from "${c.name}" (${c.remoteId}) registered`);
    c.enqueueString(this.tally.lines(null, true));
    if (!this.opts.reject_unknown || this.remotes.has(c.name)) this.processImplicitGateway(info);
    this.gossipGatewaysTo(c);
    for (const acc of this.server.accounts.values()) this.switchToInterestOnly(c, acc.name);
  }

  private processOutboundInfo(c: GatewayConn, info: GatewayInfo, first: boolean): void {
    const cfg = c.cfg!;
    const gw = typeof info.gateway === 'string' ? info.gateway : '';
    if (gw === '') {
      const text = `Attempt to connect to gateway "${c.name}" using wrong port`;
      this.server.log.error(`${c.label()} - ${text}`);
      c.sendErr(text);
      c.closeConnection(ClosedReason.WrongPort);
      return;
    }
    if (gw !== c.name) {
      if (!first && info.gateway_cmd === GW_CMD_GOSSIP) {
        if (this.opts.reject_unknown && !this.remotes.has(gw)) return;
        this.processImplicitGateway(info);
        return;
      }
      this.server.log.error(`${c.label()} - Failing connection to gateway "${c.name}", remote gateway name is "${gw}"`);
      c.sendErr(`Connection from "${this.name}" rejected, wanted to connect to "${c.name}", this is "${gw}"`);
      c.closeConnection(ClosedReason.WrongGateway);
      return;
    }
    if (Array.isArray(info.gateway_urls) && info.gateway_urls.length > 0) cfg.updateURLs(info.gateway_urls);
    if (first) {
      c.interest!.interestOnly = info.gateway_iom === true;
      c.useOldPrefix = info.gateway_nrp !== true;
      c.headers = !this.server.opts.no_header_support && info.headers === true;
      const url = c.url!;
      const user = decodeURIComponent(url.username) || this.opts.username;
      const pass = decodeURIComponent(url.password) || this.opts.password;
      c.enqueueString(gatewayConnectProto({ user, pass, tls: (c.cfg!.tls ?? this.opts.tls) !== null, id: this.server.id, gateway: this.name }) + gatewayInfoProto(this.info()));
      if (this.out.has(c.name)) {
        c.noReconnect = true;
        c.closeConnection(ClosedReason.WrongGateway);
        return;
      }
      c.registered = true;
      this.out.set(c.name, c);
      this.outo.push(c);
      this.nOut = this.outo.length;
      countLinks(1);
      this.server.log.info(`${c.label()} - Outbound gateway connection to "${c.name}" (${c.remoteId}) registered`);
      c.handshakeDone();
    } else if ((info.gateway_cmd ?? 0) > 0) {
      const acc = cmdPayloadAccount(info.gateway_cmd_payload);
      const im = c.interest!;
      if (info.gateway_cmd === GW_CMD_ALL_SUBS_START || info.gateway_cmd === GW_CMD_ALL_SUBS_COMPLETE) {
        if (acc === '') {
          const which = info.gateway_cmd === GW_CMD_ALL_SUBS_START ? 'start' : 'complete';
          c.sendErr(`Account absent from receive-all-subscriptions-${which} command`);
          c.closeConnection(ClosedReason.ProtocolViolation);
          return;
        }
        if (info.gateway_cmd === GW_CMD_ALL_SUBS_START) im.allSubsStart(acc);
        else im.allSubsComplete(acc);
      } else this.server.log.warn(`Received unknown command ${info.gateway_cmd} from gateway "${c.name}"`);
      return;
    }
    this.forwardNewGatewayToCluster(info);
  }

  /** Go processImplicitGateway: connect to a remote cluster we learned about, unless known. */
  processImplicitGateway(info: GatewayInfo): void {
    const name = typeof info.gateway === 'string' ? info.gateway : '';
    if (name === '' || name === this.name || this.stopping) return;
    const known = this.remotes.get(name);
    if (known !== undefined) {
      known.addURLs(info.gateway_urls);
      return;
    }
    const cfg = new RemoteGateway(name, [], true);
    cfg.addURLs(info.gateway_urls);
    if (cfg.urls.size === 0) return;
    this.remotes.set(name, cfg);
    void this.solicit(cfg, true);
  }

  /** Go gossipGatewaysToInboundGateway: tell the remote of every other gateway we know. */
  private gossipGatewaysTo(c: GatewayConn): void {
    for (const cfg of this.remotes.values()) {
      if (cfg.name === c.name) continue;
      const urls = cfg.urlStrings();
      if (urls.length === 0) continue;
      c.enqueueString(gatewayInfoProto({ server_id: this.server.id, gateway: cfg.name, gateway_urls: urls, gateway_cmd: GW_CMD_GOSSIP }));
    }
  }

  routes(): RouteManager | null {
    return this.server.cluster as RouteManager | null;
  }

  /** Go forwardNewGatewayToLocalCluster: our cluster peers make sure they connect to it too. */
  private forwardNewGatewayToCluster(info: GatewayInfo): void {
    const rm = this.routes();
    if (rm === null || rm.routes.size === 0) return;
    const frame = Buffer.from(`INFO ${JSON.stringify({
      server_id: `GW${this.server.id}`, server_name: this.server.name, gateway: info.gateway,
      gateway_urls: info.gateway_urls, gateway_cmd: GW_CMD_GOSSIP,
    })}\r\n`);
    for (const r of rm.routes.values()) r.enqueue(frame);
  }

  /** Go sendGatewayConfigsToRoute: a new route learns of the gateways we have an outbound to. */
  routeRegistered(rc: RouteConn): void {
    this.refreshClusterURLs();
    for (const c of this.outo) {
      const urls = c.cfg!.urlStrings();
      if (urls.length === 0) continue;
      rc.enqueue(Buffer.from(`INFO ${JSON.stringify({ server_id: `GW${this.server.id}`, gateway: c.name, gateway_urls: urls, gateway_cmd: GW_CMD_GOSSIP })}\r\n`));
    }
  }

  /** Gateway gossip forwarded over a route (Go processGatewayInfoFromRoute). */
  routeInfo(info: RouteInfo): void {
    if (info.gateway_cmd === GW_CMD_GOSSIP) this.processImplicitGateway(info as GatewayInfo);
    else this.server.log.error(`Unknown command ${info.gateway_cmd} from server ${info.server_id}`);
  }

  /**
   * Our cluster's gateway URLs: ours plus the `gateway_url` of every
   * registered route (Go addGatewayURL / removeGatewayURL); inbound
   * connections hear of a change.
   */
  refreshClusterURLs(): void {
    if (this.stopping) return;
    const next = new Set<string>([this.url]);
    const rm = this.routes();
    if (rm !== null) for (const rc of rm.routes.values()) {
      const u = rc.remoteInfo?.gateway_url;
      if (typeof u === 'string' && u !== '') next.add(u);
    }
    const same = next.size === this.clusterURLs.size && [...next].every((u) => this.clusterURLs.has(u));
    if (same) return;
    this.clusterURLs.clear();
    for (const u of next) this.clusterURLs.set(u, 1);
    this.sendAsyncInfo();
  }

  /** Go sendAsyncGatewayInfo: inbound connections hear of our cluster's gateway URLs. */
  private sendAsyncInfo(): void {
    if (this.inbound.size === 0) return;
    const frame = gatewayInfoProto(this.info());
    for (const c of this.inbound.values()) c.enqueueString(frame);
  }

  gatewayClosed(c: GatewayConn, reason: ClosedReason): void {
    this.conns.delete(c);
    if (!c.registered) this.server.log.info(`${c.label()} - Gateway connection closed: ${reason}`);
    else {
      c.registered = false;
      if (c.outbound) {
        withdrawRemoteInterest(this.server, c);
        if (this.out.get(c.name) === c) this.out.delete(c.name);
        const i = this.outo.indexOf(c);
        if (i >= 0) {
          this.outo.splice(i, 1);
          this.nOut = this.outo.length;
          countLinks(-1);
        }
        this.server.log.info(`${c.label()} - Outbound gateway connection closed: ${reason}`);
      } else {
        this.inbound.delete(c.cid);
        this.server.log.info(`${c.label()} - Inbound gateway connection closed: ${reason}`);
      }
    }
    if (!c.outbound || this.stopping || c.noReconnect) return;
    const cfg = this.remotes.get(c.name);
    if (cfg === undefined || cfg !== c.cfg) return;
    // Go reconnectGateway: a little random wait, plus the reconnect delay for explicit gateways.
    const delay = Math.floor(Math.random() * 100) + (cfg.implicit ? 0 : gatewayDelays.reconnect);
    this.later(delay, () => void this.solicit(cfg, false));
  }

  // ------------------------------------------------------------------ interest towards inbound connections

  /** Go gatewaySwitchAccountToSendAllSubs / switchAccountToInterestMode. */
  private switchToInterestOnly(c: GatewayConn, acc: string): void {
    if (c.interestOnlyAccounts.has(acc)) return;
    c.interestOnlyAccounts.add(acc);
    c.sentAccountUnsub.delete(acc);
    c.enqueueString(gatewayCmdProto(this.name, GW_CMD_ALL_SUBS_START, acc) + this.tally.lines(acc, false) + gatewayCmdProto(this.name, GW_CMD_ALL_SUBS_COMPLETE, acc));
  }

  /** InterestSink (Go gatewayUpdateSubInterest): local, route and leaf interest, first and last per subject/queue. */
  subChanged(acc: Account, sub: Subscription, added: boolean): void {
    if (sub.local || this.stopping) return;
    if (sub.queue === null) this.recent.change(acc.name, sub, added);
    const r = this.tally.change(acc.name, sub.subject, sub.queue, added ? 1 : -1);
    if (r === 0 || this.inbound.size === 0) return;
    const line = sub.queue !== null
      ? (r > 0 ? `RS+ ${acc.name} ${sub.subject} ${sub.queue} 1\r\n` : `RS- ${acc.name} ${sub.subject} ${sub.queue}\r\n`)
      : (r > 0 ? `RS+ ${acc.name} ${sub.subject}\r\n` : `RS- ${acc.name} ${sub.subject}\r\n`);
    for (const c of this.inbound.values()) {
      if (sub.queue !== null || c.interestOnlyAccounts.has(acc.name)) c.enqueueString(line);
      else this.switchToInterestOnly(c, acc.name);
    }
  }

  // ------------------------------------------------------------------ messages (see routing.ts)

  /** Go hasGatewayInterest: a remote cluster, by what its connection told us, wants `subject` of `acc`. */
  hasInterest(acc: string, subject: string): boolean {
    const gi = this.gi;
    for (let k = 0; k < this.outo.length; k++) {
      this.outo[k].interest!.check(acc, subject, gi);
      if (gi.psi || gi.qr !== null) return true;
    }
    return false;
  }

  sendToGateways(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, handled: string[], nh: number, leafQueues: boolean): boolean {
    return this.routing.send(from, acc, pa, buf, s, e, handled, nh, leafQueues);
  }

  processInboundMsg(c: GatewayConn, accName: string, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): void {
    this.routing.inbound(c, accName, pa, buf, s, e, queues, nq);
  }

  handleReplyFromRoute(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): boolean {
    return this.routing.replyFromRoute(acc, pa, buf, s, e, queues, nq);
  }
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Turn on gateways when a `gateway {}` block is configured. */
export async function startGateways(server: Server, opts: GatewayOptions | null): Promise<GatewayManager | null> {
  if (opts === null) return null;
  const gm = new GatewayManager(server, opts);
  await gm.start();
  return gm;
}
