/**
 * The leaf node layer of a server (Go leafnode.go): the leafnode listener
 * and its INFO, the remotes this server solicits (dial, reconnect with the
 * configured interval, bind to the local account), the registry of links per
 * account, and interest propagation: every subscription change of an account
 * (through `server.interest`) is counted into each link's interest map and
 * sent as LS+/LS- when it changes what the other side must know.
 */
import net from 'node:net';
import type { Server } from '../../server/server.js';
import type { InterestSink } from '../../server/interest.js';
import type { Account } from '../../accounts/account.js';
import type { Subscription } from '../../conn/subscription.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { LEAF } from '../../conn/client.js';
import { generateNonce } from '../../auth/nkeys.js';
import { GLOBAL_ACCOUNT } from '../../accounts/account.js';
import { hostPort } from '../../server/server.js';
import type { LeafNodeOptions, Options, RemoteLeafOptions } from '../../config/options.js';
import { applyLeafReload, checkLeafReload } from './leaf-reload.js';
import { GO_COMPAT_VERSION } from '../../util/version.js';
import { listenOn } from '../../util/listen.js';
import { randomBytes } from 'node:crypto';
import { TlsSetup, dialTls, tlsVersion } from '../../server/tls.js';
import { countLinks } from '../../server/router.js';
import type { GatewayManager } from '../gateway/manager.js';
import { remoteInterestOf } from '../gateway/leaf-bridge.js';
import { LeafConn, LDS_PREFIX, leafSubLine, type LeafHost } from './connection.js';
import { leafConnectJSON, leafInfoJSON, type LeafConnectInfo, type RemoteLeafInfo } from './info.js';
import { authenticateLeaf } from './auth.js';
import { signWithCreds } from './creds.js';
import { dialWebSocket, isWebSocketURL } from '../../websocket/dial.js';

/** Go denyAllClientJs / denyAllJs */
const DENY_ALL_CLIENT_JS = ['$JS.API.>', '$KV.>', '$OBJ.>'];
const DENY_ALL_JS = ['$JSC.>', '$NRG.>', '$JS.API.>', '$KV.>', '$OBJ.>'];

/** State of one configured remote (Go leafNodeCfg). */
export class RemoteState {
  urlIndex = 0;
  /** taken out of the configuration by a reload: never dialed again */
  removed = false;
  conn: LeafConn | null = null;
  timer: NodeJS.Timeout | null = null;
  /** a one-time longer wait before the next attempt (loop detected) */
  nextDelay = 0;
  /** URL of the current attempt */
  url: URL | null = null;
  /** replaced by a reload (TLS, `disabled`) */
  constructor(public opts: RemoteLeafOptions) {}
}

export class LeafNodes implements LeafHost, InterestSink {
  /** the running `leafnodes {}` options (replaced by a config reload) */
  opts: LeafNodeOptions;
  /** connected links by account (handshake done) */
  private readonly byAccount = new Map<Account, LeafConn[]>();
  /** every link, including those still in the handshake */
  readonly conns = new Set<LeafConn>();
  private readonly lds = new Map<Account, string>();
  /** every configured remote, disabled ones too; a reload appends and marks removed ones (links keep their index) */
  readonly remotes: RemoteState[];
  private listener: net.Server | null = null;
  private boundPort = 0;
  private stopped = false;
  /** TLS of the leafnode listener (`leafnodes { tls {} }`) */
  tls: TlsSetup | null = null;

  constructor(readonly srv: Server) {
    this.opts = srv.opts.leafnodes!;
    this.remotes = this.opts.remotes.map((r) => new RemoteState(r));
  }

  get port(): number {
    return this.boundPort;
  }

  /** Number of leaf links connected (handshake done). */
  count(): number {
    let n = 0;
    for (const l of this.byAccount.values()) n += l.length;
    return n;
  }

  /** Connected links, in connection order. */
  list(): LeafConn[] {
    return [...this.conns].filter((c) => c.ready && !c.closed);
  }

  async start(): Promise<void> {
    if (this.opts.tls && this.opts.port !== 0) this.tls = new TlsSetup(this.opts.tls);
    this.srv.interest.addSink(this);
    const o = this.opts;
    if (o.port !== 0) await this.listen();
    for (const r of this.remotes) if (!r.opts.disabled) this.connectRemote(r);
  }

  /** Config reload (Go getLeafNodeOptionsChanges): throws Go's text for a change that cannot be applied. */
  checkReload(next: Options): void {
    checkLeafReload(this, next);
  }

  /** Config reload (Go leafNodeOption.Apply): remotes added, removed, disabled or enabled; new TLS. */
  applyReload(next: Options): void {
    applyLeafReload(this, next);
  }

  private async listen(): Promise<void> {
    const o = this.opts;
    const l = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    const port = await listenOn(l, o.port, o.host, (e) => this.srv.log.error(`Leafnode listener error: ${e.message}`));
    this.listener = l;
    this.boundPort = port;
    this.srv.log.info(`Listening for leafnode connections on ${hostPort(o.host, this.boundPort)}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.srv.interest.removeSink(this);
    for (const r of this.remotes) if (r.timer !== null) clearTimeout(r.timer);
    const l = this.listener;
    this.listener = null;
    const closed = l ? new Promise<void>((r) => l.close(() => r())) : Promise.resolve();
    for (const c of [...this.conns]) c.closeConnection(ClosedReason.ServerShutdown);
    await closed;
  }

  // ------------------------------------------------------------------ accepting (hub side)

  private accept(sock: net.Socket): void {
    this.acceptSocket(sock, false);
  }

  /** Accept a leaf link on the leafnode listener, or (`ws`) on the websocket listener's `/leafnode` path. */
  acceptSocket(sock: net.Socket, ws: boolean): void {
    if (this.stopped || !this.srv.isRunning()) {
      sock.destroy();
      return;
    }
    sock.on('error', () => {
      /* handled by the connection */
    });
    const c = new LeafConn(this.srv, this, sock, this.srv.nextClientId(), this.srv.globalAccount, -1);
    c.nonce = generateNonce();
    c.isWebSocket = ws;
    this.conns.add(c);
    this.srv.log.info(`${c.label()} - Leafnode connection created`);
    sock.write(`INFO ${this.infoJSON(c, false)} \r\n`);
    if (this.tls !== null && !ws) {
      // Go: INFO in plain text, then the soliciting side starts the TLS handshake.
      this.tls.upgradeAfterInfo(c, sock, this.srv, (t) => c.useSocket(t, true));
      return;
    }
    c.startReading(true, c.authTimeoutMs);
  }

  private infoJSON(c: LeafConn, connectInfo: boolean): string {
    const o = this.srv.opts;
    const lo = this.opts;
    let host = lo.host;
    let port = this.boundPort;
    if (lo.advertise) {
      const i = lo.advertise.lastIndexOf(':');
      if (i > 0) {
        host = lo.advertise.slice(0, i);
        port = Number(lo.advertise.slice(i + 1)) || port;
      } else host = lo.advertise;
    } else if (host === '0.0.0.0' || host === '::' || host === '') host = '127.0.0.1';
    const ip = hostPort(host, port);
    return leafInfoJSON({
      id: this.srv.id,
      name: this.srv.name,
      host,
      port,
      headers: !o.no_header_support,
      tlsRequired: this.tls !== null,
      tlsVerify: this.tls !== null && this.tls.opts.verify,
      maxPayload: o.max_payload,
      jetstream: o.jetstream,
      domain: o.jetstream ? (o.jetstream_opts.domain ?? '') : '',
      ip,
      cid: c.cid,
      nonce: connectInfo ? '' : (c.nonce ?? ''),
      // Go leafnode INFO Cluster: a clustered hub names its cluster
      cluster: this.srv.cluster?.clusterName ?? '',
      connectInfo,
      remoteAccount: connectInfo ? c.acc.name : '',
      isSystemAccount: connectInfo && c.acc === this.srv.systemAccount,
      leafnodeURLs: [ip],
    });
  }

  leafConnect(c: LeafConn, info: Record<string, unknown>): boolean {
    const r = authenticateLeaf(this.opts, this.srv.auth, info, c.nonce ?? '', c.host);
    if (r === null) {
      c.leafAuthViolation();
      return false;
    }
    const acc = this.srv.lookupAccount(r.account);
    if (acc === null) {
      this.srv.log.error(`${c.label()} - no account "${r.account}" for leafnode`);
      c.leafAuthViolation();
      return false;
    }
    c.authorizedUser = r.user;
    c.acc = acc;
    c.applyLimits();
    c.enqueue(Buffer.from(`INFO ${this.infoJSON(c, true)} \r\n`));
    c.handshakeDone();
    return !c.closed;
  }

  // ------------------------------------------------------------------ soliciting (spoke side)

  connectRemote(r: RemoteState): void {
    r.timer = null;
    if (this.stopped || r.removed || r.opts.disabled) return;
    const urls = r.opts.urls;
    if (urls.length === 0) return;
    const url = new URL(urls[r.urlIndex % urls.length]);
    r.urlIndex++;
    r.url = url;
    const port = Number(url.port) || 7422;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const accName = r.opts.account || GLOBAL_ACCOUNT;
    const acc = this.srv.lookupAccount(accName);
    if (acc === null) {
      this.srv.log.error(`Unable to lookup account ${accName} for solicited leafnode connection`);
      this.scheduleReconnect(r);
      return;
    }
    this.srv.log.debug(`Trying to connect as leafnode to remote server on "${url.host}"`);
    const onError = (e: Error): void => {
      this.srv.log.error(`Error trying to connect as leafnode to remote server "${url.host}" (attempt ${r.urlIndex}): ${e.message}`);
      this.scheduleReconnect(r);
    };
    if (isWebSocketURL(url)) {
      // Go leafNodeSolicitWSConnection: TLS (wss) first, then the upgrade on the `/leafnode` path.
      dialWebSocket(url, { tls: r.opts.tls, compress: r.opts.ws_compression ?? false, timeout: r.opts.first_info_timeout }, (e, sock) => {
        if (e !== null || sock === null) {
          onError(e ?? new Error('websocket dial failed'));
          return;
        }
        if (this.stopped || r.removed || r.opts.disabled) {
          sock.destroy();
          return;
        }
        this.startSolicited(r, acc, sock, true);
      });
      return;
    }
    const sock = net.connect({ host, port });
    sock.setNoDelay(true);
    const onSockError = (e: Error): void => {
      sock.destroy();
      onError(e);
    };
    sock.once('error', onSockError);
    sock.once('connect', () => {
      sock.removeListener('error', onSockError);
      if (this.stopped || r.removed || r.opts.disabled) {
        sock.destroy();
        return;
      }
      this.startSolicited(r, acc, sock, false);
    });
  }

  /** The soliciting side once connected: wait for the hub's INFO (Go createLeafNode for a remote). */
  private startSolicited(r: RemoteState, acc: Account, sock: net.Socket, ws: boolean): void {
    const c = new LeafConn(this.srv, this, sock, this.srv.nextClientId(), acc, this.remotes.indexOf(r));
    c.isWebSocket = ws;
    c.isSpoke = !r.opts.hub;
    c.subDeny = r.opts.deny_imports;
    c.recvDeny = r.opts.deny_imports;
    c.sendDeny = r.opts.deny_exports;
    c.ignoreSubDeny = r.opts.deny_exports;
    r.conn = c;
    this.conns.add(c);
    this.srv.log.info(`${c.label()} - Leafnode connection created for account: ${acc.name}`);
    c.startReading(false);
    const t = setTimeout(() => {
      if (!c.infoReceived && !c.closed) {
        this.srv.log.error(`${c.label()} - Did not receive INFO from remote leafnode within ${r.opts.first_info_timeout}ms`);
        c.closeConnection(ClosedReason.ReadError);
      }
    }, r.opts.first_info_timeout);
    t.unref?.();
  }

  private scheduleReconnect(r: RemoteState): void {
    if (this.stopped || r.timer !== null || r.removed || r.opts.disabled) return;
    let d = this.opts.reconnect;
    if (r.nextDelay > 0) {
      d = r.nextDelay;
      r.nextDelay = 0;
    }
    r.timer = setTimeout(() => this.connectRemote(r), d);
    r.timer.unref?.();
  }

  delayReconnect(c: LeafConn, ms: number): void {
    const r = this.remotes[c.remoteIndex];
    if (r !== undefined) r.nextDelay = ms;
  }

  leafInfo(c: LeafConn, info: RemoteLeafInfo): boolean {
    const r = this.remotes[c.remoteIndex];
    const ci: LeafConnectInfo = {
      version: GO_COMPAT_VERSION,
      id: this.srv.id,
      name: this.srv.name,
      hub: r.opts.hub,
      headers: !this.srv.opts.no_header_support,
      jetstream: this.srv.opts.jetstream,
      domain: this.srv.opts.jetstream ? (this.srv.opts.jetstream_opts.domain ?? '') : '',
      deny_pub: r.opts.deny_imports,
      remote_account: c.acc.name,
      proto: 1,
    };
    // Go sendLeafConnect: a clustered leaf names its cluster, so that the hub's routes tag its messages (LMSG origin)
    const cluster = this.srv.cluster?.clusterName ?? '';
    if (cluster !== '') ci.cluster = cluster;
    if (r.opts.credentials) {
      try {
        const signed = signWithCreds(r.opts.credentials, info.nonce);
        ci.jwt = signed.jwt;
        ci.sig = signed.sig;
      } catch (e) {
        this.srv.log.error(`${c.label()} - ${(e as Error).message}`);
        c.closeConnection(ClosedReason.ProtocolViolation);
        return false;
      }
    }
    const u = r.url;
    if (u !== null && u.username !== '') {
      ci.user = decodeURIComponent(u.username);
      if (u.password !== '') ci.pass = decodeURIComponent(u.password);
      else ci.auth_token = ci.user;
    }
    const connect = Buffer.from(`CONNECT ${leafConnectJSON(ci)}\r\n`, 'utf8');
    // Over WebSocket, TLS (wss) was done before the upgrade (Go: no leaf TLS handshake on a websocket link).
    if (!c.isWebSocket && (r.opts.tls || info.tls_required)) {
      this.startClientTls(c, r, () => {
        c.enqueue(connect);
        c.connectSent(info);
      });
      return true;
    }
    c.enqueue(connect);
    c.connectSent(info);
    return true;
  }

  /** The soliciting side's TLS handshake after the hub's INFO (Go leafClientHandshakeIfNeeded). */
  private startClientTls(c: LeafConn, r: RemoteState, done: () => void): void {
    dialTls(c.socket, r.url?.hostname ?? '', r.opts.tls, (t, err) => {
      if (t === null) {
        this.srv.log.error(`${c.label()} - TLS handshake ${err === 'timeout' ? 'timeout' : `error: ${err}`}`);
        c.closeConnection(ClosedReason.TLSHandshakeError);
        return;
      }
      if (c.closed) {
        t.destroy();
        return;
      }
      c.tlsVersion = tlsVersion(t.getProtocol());
      c.tlsCipher = t.getCipher()?.standardName ?? '';
      c.useSocket(t, false);
      done();
    });
  }

  // ------------------------------------------------------------------ registry

  leafReady(c: LeafConn): void {
    const acc = c.acc;
    this.applyJetStreamDenies(c);
    let l = this.byAccount.get(acc);
    if (l === undefined) this.byAccount.set(acc, (l = []));
    l.push(c);
    countLinks(1);
    this.srv.log.info(`${c.label()} - Leafnode connection established to ${c.remoteServer || 'remote'} for account: ${acc.name}`);
    this.sendAllInterest(c);
  }

  /**
   * Go addLeafNodeConnection: JetStream traffic does not cross a leaf link
   * unless it names a domain. A non-system account denies its JetStream API,
   * KV and object store subjects both ways; the system account does so (with
   * the cluster and raft subjects) unless both sides share a domain; and when
   * the domains differ, requests for our own domain are not sent over.
   */
  private applyJetStreamDenies(c: LeafConn): void {
    const o = this.srv.opts;
    const local = o.jetstream ? (o.jetstream_opts.domain ?? '') : '';
    const sys = c.acc === this.srv.systemAccount;
    const differ = local !== c.remoteDomain || (!o.jetstream && local === '');
    let deny: string[] = [];
    if (!sys) deny = DENY_ALL_CLIENT_JS;
    else if (differ) deny = DENY_ALL_JS;
    if (deny.length > 0) {
      c.sendDeny = [...c.sendDeny, ...deny];
      c.subDeny = [...c.subDeny, ...deny];
    }
    if (local !== '' && differ && !sys) c.sendDeny = [...c.sendDeny, `$JS.${local}.API.>`];
  }

  leafClosed(c: LeafConn, reason: ClosedReason): void {
    this.conns.delete(c);
    const l = this.byAccount.get(c.acc);
    if (l !== undefined) {
      const i = l.indexOf(c);
      if (i >= 0) {
        l.splice(i, 1);
        countLinks(-1);
      }
      if (l.length === 0) this.byAccount.delete(c.acc);
    }
    this.srv.log.info(`${c.label()} - Leafnode connection closed: ${reason} account: ${c.acc.name}`);
    if (c.solicited) {
      const r = this.remotes[c.remoteIndex];
      if (r !== undefined && r.conn === c) {
        r.conn = null;
        this.scheduleReconnect(r);
      }
    }
  }

  ldsOf(acc: Account): string {
    let s = this.lds.get(acc);
    if (s === undefined) {
      s = LDS_PREFIX + randomBytes(16).toString('base64url').replace(/[-_]/g, 'x').slice(0, 22);
      this.lds.set(acc, s);
    }
    return s;
  }

  /** Go initLeafNodeSmapAndSendSubs: the account's whole interest, then our loop-detection subject. */
  private sendAllInterest(c: LeafConn): void {
    const acc = c.acc;
    const smap = c.smap;
    smap.clear();
    for (const sub of acc.sl.all()) {
      const sc = sub.client;
      if (sc === c) continue;
      if (c.isSpoke) {
        if (sc.kind === LEAF && (sc as LeafConn).isSpoke) continue;
        if (sc.kind !== LEAF && sc.kind !== 0) continue;
        if (sub.link !== null) continue; // a route's interest is not ours to announce to the hub
      }
      if (sc.kind === LEAF) {
        const rc = (sc as LeafConn).remoteCluster;
        if (rc !== '' && rc === c.remoteCluster) continue;
      }
      if (!c.canAdvertise(sub.subject)) continue;
      const key = sub.queue === null ? sub.subject : `${sub.subject} ${sub.queue}`;
      // a routed or leaf queue subscription stands for its remote members (Go sub.qw)
      const w = sub.queue !== null ? sub.qw : 1;
      smap.set(key, (smap.get(key) ?? 0) + w);
    }
    // Go initLeafNodeSmapAndSendSubs: a hub also advertises what remote gateways are interested in.
    const gw = this.srv.gateway as GatewayManager | null;
    if (gw !== null) {
      if (!c.isSpoke) {
        for (const [key, w] of remoteInterestOf(gw.outo, acc.name)) {
          const sp = key.indexOf(' ');
          if (c.canAdvertise(sp < 0 ? key : key.slice(0, sp))) smap.set(key, (smap.get(key) ?? 0) + w);
        }
      }
      // Answers to requests that crossed a gateway come back on routed reply subjects.
      for (const k of ['$GR.*.>', '_GR_.>']) smap.set(k, (smap.get(k) ?? 0) + 1);
    }
    const lds = this.ldsOf(acc);
    smap.set(lds, (smap.get(lds) ?? 0) + 1);
    let out = '';
    for (const [key, n] of smap) out += leafSubLine(key, n);
    if (out.length > 0) c.enqueue(Buffer.from(out, 'latin1'));
  }

  // ------------------------------------------------------------------ interest propagation

  subChanged(acc: Account, sub: Subscription, added: boolean): void {
    if (this.byAccount.size === 0) return;
    // Go processRemoteSub/processLeafSub: a routed or leaf queue subscription counts as its weight
    const w = sub.queue !== null ? sub.qw : 1;
    this.propagate(acc, sub, added ? w : -w);
  }

  /** LeafHost: a leaf queue subscription's weight changed; every interest sink (routes, leafs) hears of it. */
  queueWeightChanged(acc: Account, sub: Subscription, delta: number): void {
    this.srv.interest.weightChanged(acc, sub, delta);
  }

  /** InterestSink: the other leaf links hear of the new weight (Go updateLeafNodes with the difference). */
  weightChanged(acc: Account, sub: Subscription, delta: number): void {
    if (this.byAccount.size === 0) return;
    this.propagate(acc, sub, delta);
  }

  /**
   * Go updateInterestForAccountOnGateway: interest a remote gateway
   * announced (RS+/RS-) reaches the leaf nodes we are hub for; `sub` stands
   * for it (owned by the gateway connection).
   */
  gatewayInterest(acc: Account, sub: Subscription, delta: number): void {
    const l = this.byAccount.get(acc);
    if (l === undefined) return;
    for (let k = 0; k < l.length; k++) {
      const ln = l[k];
      if (ln.isSpoke || (delta > 0 && !ln.canAdvertise(sub.subject))) continue;
      ln.updateSmap(sub, delta, false);
    }
  }

  /** Go updateLeafNodesEx: tell every other link of the account about the change. */
  propagate(acc: Account, sub: Subscription, delta: number): void {
    const l = this.byAccount.get(acc);
    if (l === undefined) return;
    const subject = sub.subject;
    const isLDS = subject.startsWith(LDS_PREFIX);
    const sc = sub.client;
    const cluster = sc.kind === LEAF ? (sc as LeafConn).remoteCluster : '';
    for (let k = 0; k < l.length; k++) {
      const ln = l[k];
      if (ln === sc) continue;
      const clusterDifferent = cluster !== ln.remoteCluster;
      const update = (isLDS && clusterDifferent) || ((cluster === '' || clusterDifferent) && (delta <= 0 || ln.canAdvertise(subject)));
      if (update) ln.updateSmap(sub, delta, isLDS);
    }
  }
}

/** Start the leaf node layer when the options configure one (called once at launch). */
export function enableLeafNodes(srv: Server): LeafNodes | null {
  if (!srv.opts.leafnodes) return null;
  const ln = new LeafNodes(srv);
  srv.leafnodes = ln;
  srv.onShutdown(() => ln.stop());
  return ln;
}
