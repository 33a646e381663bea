/**
 * The server: lifecycle, client listener, the registry of connections and
 * accounts, per-read-cycle output flushing (Go flushClients), INFO, and the
 * hooks that monitoring reads.
 */
import net from 'node:net';
import { createServer as createServerKey } from '@nats-io/nkeys';
import { defaultOptions, type Options } from '../config/options.js';
import { Logger } from '../log/logger.js';
import { Client, LEAF } from '../conn/client.js';
import { ClosedReason } from '../conn/closed-reason.js';
import { ServerStats, type ClientHost } from '../conn/host.js';
import { Account, GLOBAL_ACCOUNT } from '../accounts/account.js';
import { AccountImports } from './imports.js';
import { applyReload, reloadBase, validateReload } from './reload.js';
import { loadConfigFile } from '../config/from-file.js';
import { unsupportedWarning } from '../config/unsupported.js';
import { hasPlaintextPasswords, PLAINTEXT_PASSWORDS_WARNING } from '../auth/auth-warnings.js';
import { InternalClient } from './internal-client.js';
import { routeMessage, type GatewayRouter } from './router.js';
import { infoToJSON, infoIdentity, ClientInfoTemplate, RUNTIME_VERSION, type ServerInfo } from './info.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { isOperatorMode } from '../auth/jwt-auth.js';
import { OperatorMode } from './jwt-accounts.js';
import { generateNonce } from '../auth/nkeys.js';
import type { Authenticator, ConnectionType } from '../auth/types.js';
import type { PubArg } from '../protocol/parser.js';
import { errFrame, ERR_MAX_CONNECTIONS } from '../protocol/errors.js';
import { VERSION, GO_COMPAT_VERSION } from '../util/version.js';
import { listenOn } from '../util/listen.js';
import { ClosedClients, type ClosedClientInfo } from './closed-clients.js';
import { TlsSetup } from './tls.js';
import { InterestFanout } from './interest.js';
import { createAuthCallout } from './callout-host.js';
import type { AuthCallout } from '../auth/callout.js';
import type { LeafNodes } from '../cluster/leaf/leafnodes.js';

export const SYSTEM_ACCOUNT = '$SYS';

/** What the cluster layer (routes) offers the core: client INFO fields and counts. */
export interface ClusterHooks {
  readonly clusterName: string;
  /** URLs for INFO connect_urls (empty with no_advertise); `ws` = the websocket URLs (Go WSConnectURLs) */
  clientConnectURLs(ws?: boolean): string[];
  numRoutes(): number;
  /** config reload: throw Go's text when `next` changes the cluster in a way that cannot be applied */
  checkReload(next: Options): void;
  /** config reload: apply `next` (after every check passed) */
  applyReload(next: Options): void;
}

/** What the gateway layer offers the core (the cluster layer reads the rest through its own type). */
export interface GatewayHooks extends GatewayRouter {
  /** gateway (cluster) name */
  readonly name: string;
  /** Does any remote cluster have interest in `subject` of account `acc` (Go hasGatewayInterest)? */
  hasInterest(acc: string, subject: string): boolean;
}

/** A connection whose queued output the per-read-cycle flush writes out (clients, routes). */
export interface Flushable {
  dirty: boolean;
  flush(): void;
}

/**
 * A client transport besides the client listener (the websocket listener):
 * what its clients' INFO says differently, and its own authentication.
 */
export interface ClientTransport {
  readonly connectionType: ConnectionType;
  /** INFO fields that differ for this transport (Go generateClientInfoJSON for websocket clients) */
  info(): Partial<ServerInfo>;
  /** this server's own URLs for the transport (Go websocket connectURLs: `advertise` or host:port) */
  connectURLs(): string[];
  /** the transport's authorization override (null = the server's users) */
  readonly auth: Authenticator | null;
  /** ms; 0 = the server's auth timeout */
  readonly authTimeoutMs: number;
}

/** What the MQTT layer offers the core (set by src/mqtt when `mqtt {}` configures a port). */
export interface MqttHooks {
  /** bound MQTT port */
  readonly port: number;
  /** an MQTT connection that came over the websocket listener's `/mqtt` path (Go createMQTTClient with ws) */
  acceptWebSocket(sock: net.Socket): void;
  /** the /varz `mqtt` block (Go MQTTOptsVarz) */
  varz(): Record<string, unknown>;
}

/** Receives client lifecycle events for the system account's advisories. */
export interface ServerEventSink {
  connected(c: Client): void;
  disconnected(c: Client, reason: ClosedReason): void;
}

export class Server implements ClientHost {
  /** the running options (replaced as a whole by a config reload) */
  opts: Options;
  readonly log: Logger;
  auth: Authenticator;
  readonly stats = new ServerStats();
  readonly id: string;
  readonly name: string;
  readonly start = new Date();
  readonly clients = new Map<number, Client>();
  readonly accounts = new Map<string, Account>();
  /** subscription changes of every account, for the links that propagate interest */
  readonly interest = new InterestFanout();
  readonly globalAccount: Account;
  readonly systemAccount: Account;
  /** operator mode (JWT accounts and their resolver), when configured */
  readonly operator: OperatorMode | null;
  /** sequence of the server's system messages (ServerInfo.seq) */
  sysSeq = 0;
  /** bound monitoring port (0 when monitoring is off), for /varz and $SYS VARZ */
  monitorPort = 0;
  /** system account events (connect/disconnect advisories), set when the system account is enabled */
  events: ServerEventSink | null = null;
  /** cross-account service and stream imports (null when no account imports anything) */
  imports: AccountImports | null = null;
  readonly closedClients: ClosedClients;
  totalConnections = 0;
  configLoadTime = new Date();
  ldm = false;
  /** JetStream, when enabled (set by the jetstream layer; monitoring reads it). */
  jetstream: unknown = null;
  /** cluster routes, when a cluster listener is configured (set by the cluster layer) */
  cluster: ClusterHooks | null = null;
  /** gateways, when a `gateway {}` block is configured (set by cluster/gateway) */
  gateway: GatewayHooks | null = null;
  /** the leaf node layer, when `leafnodes {}` is configured (set by cluster/leaf) */
  leafnodes: LeafNodes | null = null;
  /** the websocket listener's client transport, when `websocket {}` is configured (set by src/websocket) */
  websocket: ClientTransport | null = null;
  /** `authorization { auth_callout {} }`: clients authenticated by an external service */
  readonly callout: AuthCallout | null;
  /** the MQTT listener, when `mqtt {}` is configured (set by src/mqtt) */
  mqtt: MqttHooks | null = null;

  private listener: net.Server | null = null;
  /** the accept-time INFO line of client-port connections, and what it was built from */
  private acceptTemplate: ClientInfoTemplate | null = null;
  private acceptKey = { opts: null as Options | null, auth: null as Authenticator | null, authRequired: false, port: 0, mpay: 0, cluster: '', urls: '' };
  private tls: TlsSetup | null = null;
  private cidSeq = 0;
  private readDepth = 0;
  private producer: Client | null = null;
  private readonly dirty: Flushable[] = [];
  private flushScheduled = false;
  private running = false;
  private shutdownPromise: Promise<void> | null = null;
  private boundPort = 0;
  private readonly shutdownHooks: (() => Promise<void> | void)[] = [];
  private readonly startHooks: (() => void)[] = [];
  private readonly reloadHooks: (() => void)[] = [];
  /** how `reload()` gets fresh options (the CLI: file plus flags) */
  reloadLoader: (() => Options) | null = null;
  /** starts the leaf node layer when a reload adds leaf remotes to a server that had none (set at launch) */
  leafLauncher: (() => void) | null = null;

  constructor(opts: Partial<Options> = {}, log?: Logger) {
    this.opts = { ...defaultOptions(), ...opts };
    this.log =
      log ??
      new Logger({
        debug: this.opts.debug,
        trace: this.opts.trace,
        logtime: this.opts.logtime,
        logtime_utc: this.opts.logtime_utc,
        logfile: this.opts.logfile,
        enabled: !this.opts.no_log,
      });
    // The server's own nkey: its public key is the id, and it signs auth callout requests.
    const serverKey = createServerKey();
    this.id = serverKey.getPublicKey();
    this.name = this.opts.server_name || this.id;
    this.operator = isOperatorMode(this.opts) ? new OperatorMode(this) : null;
    this.auth = this.operator ? this.operator.auth : createAuthenticator(this.opts);
    const cache = !this.opts.disable_sublist_cache;
    this.globalAccount = new Account(GLOBAL_ACCOUNT, cache);
    // top-level `mappings` belong to the global account (Go parses them into $G)
    this.globalAccount.setMappings(this.opts.mappings ?? []);
    this.addAccount(this.globalAccount);
    for (const spec of this.opts.accounts) {
      const a = new Account(spec.name, cache);
      a.configure(spec);
      this.addAccount(a);
    }
    const sysName = this.operator?.auth.systemAccount || this.opts.system_account || SYSTEM_ACCOUNT;
    let sys = this.accounts.get(sysName);
    if (sys === undefined) {
      sys = new Account(sysName, cache);
      this.addAccount(sys);
    }
    this.systemAccount = sys;
    this.operator?.start();
    if (this.opts.accounts.some((a) => a.imports.length > 0)) {
      this.imports = new AccountImports(new InternalClient(this, this.nextClientId(), this.globalAccount), this.accounts);
      this.imports.setup();
      const imp = this.imports;
      this.onShutdown(() => imp.stop());
    }
    this.closedClients = new ClosedClients(this.opts.max_closed_clients);
    this.callout = createAuthCallout(this, serverKey);
    if (this.opts.tls) this.tls = new TlsSetup(this.opts.tls);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Open the client listener. Resolves when the server accepts connections. */
  async startListening(): Promise<void> {
    this.running = true;
    this.log.info(`Starting nats-server`);
    this.log.info(`  Version:  ${GO_COMPAT_VERSION} (nats-server-ts ${VERSION})`);
    this.log.info(`  Runtime:  ${RUNTIME_VERSION}`);
    this.log.info(`  Name:     ${this.name}`);
    this.log.info(`  ID:       ${this.id}`);
    // Go Start: insecure settings are reported right after the banner (checkAuthforWarnings)
    if (hasPlaintextPasswords(this.opts)) this.log.warn(PLAINTEXT_PASSWORDS_WARNING);
    if (this.opts.config_file) this.log.info(`Using configuration file: ${this.opts.config_file}`);
    for (const u of this.opts.unsupported ?? []) this.log.warn(unsupportedWarning(u));
    for (const fn of this.startHooks.splice(0)) fn();
    if (this.opts.dont_listen) return;
    const srv = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    srv.maxConnections = Number.MAX_SAFE_INTEGER;
    this.listener = srv;
    this.boundPort = await listenOn(srv, this.opts.port, this.opts.host, (e) => this.log.error(`Client listener error: ${e.message}`));
    this.log.info(`Listening for client connections on ${hostPort(this.opts.host, this.boundPort)}`);
    if (this.tls) this.log.info(this.opts.allow_non_tls ? 'TLS available for client connections' : 'TLS required for client connections');
    this.log.info('Server is ready');
  }

  /** Work to redo after a config reload (JetStream account limits, system services for new accounts). */
  onReload(fn: () => void): void {
    this.reloadHooks.push(fn);
  }

  runReloadHooks(): void {
    for (const fn of this.reloadHooks) fn();
  }

  setTls(t: TlsSetup | null): void {
    this.tls = t;
  }

  /**
   * Reload the configuration (Go Server.Reload / ReloadOptions): from
   * `next`, or else from `reloadLoader` (the CLI re-reads the file and lays
   * its flags over it), or else by re-reading `opts.config_file`. Throws with
   * Go's message when the file is bad or a change cannot be applied; the
   * running configuration is then unchanged.
   */
  reload(next?: Options): void {
    let o = next;
    if (o === undefined) {
      if (this.reloadLoader) o = this.reloadLoader();
      else if (this.opts.config_file) o = loadConfigFile(this.opts.config_file, reloadBase(this.opts, defaultOptions()));
      else throw new Error('can only reload config when a file is provided using -c or --config');
    }
    validateReload(this, o);
    applyReload(this, o);
    this.log.info('Reloaded server configuration');
  }

  /** Register work to run once the banner is logged, before clients are accepted (JetStream). */
  onStart(fn: () => void): void {
    this.startHooks.push(fn);
  }

  /** A client id for an internal (never connected) client. */
  nextClientId(): number {
    return ++this.cidSeq;
  }

  /** Register work to run at shutdown (monitoring, subsystems). */
  onShutdown(fn: () => Promise<void> | void): void {
    this.shutdownHooks.push(fn);
  }

  get port(): number {
    return this.boundPort;
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Stop accepting, close every connection, run shutdown hooks. Idempotent. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    this.shutdownPromise = (async () => {
      this.running = false;
      const l = this.listener;
      this.listener = null;
      const closed = l ? new Promise<void>((r) => l.close(() => r())) : Promise.resolve();
      for (const c of [...this.clients.values()]) c.closeConnection(ClosedReason.ServerShutdown);
      for (const fn of this.shutdownHooks.splice(0).reverse()) {
        try {
          await fn();
        } catch (e) {
          this.log.error(`shutdown hook failed: ${(e as Error).message}`);
        }
      }
      await closed;
      this.log.info('Server Exiting..');
    })();
    return this.shutdownPromise;
  }

  /**
   * Lame duck mode (Go lameDuckMode): stop accepting, tell proto-1 clients,
   * then close clients spread over the duration, then shut down.
   */
  async lameDuckMode(): Promise<void> {
    if (this.ldm || !this.running) return;
    this.ldm = true;
    this.log.info('Entering lame duck mode, stop accepting new clients');
    const l = this.listener;
    this.listener = null;
    if (l) l.close();
    for (const c of this.clients.values()) {
      if (c.opts.protocol >= 1 && c.connectReceived) c.enqueue(Buffer.from(`INFO ${infoToJSON({ ...this.clientInfo(c, false), ldm: true })}\r\n`));
    }
    const grace = this.opts.lame_duck_grace_period;
    await delay(grace);
    const clients = [...this.clients.values()];
    const span = Math.max(0, this.opts.lame_duck_duration - grace);
    const step = clients.length > 0 ? span / clients.length : 0;
    for (const c of clients) {
      if (!this.running) break;
      c.closeConnection(ClosedReason.ServerShutdown);
      if (step > 0) await delay(Math.min(step, 1000));
    }
    await this.shutdown();
  }

  // ------------------------------------------------------------------ connections

  private accept(sock: net.Socket): void {
    if (!this.running || this.ldm) {
      sock.destroy();
      return;
    }
    sock.on('error', () => {
      /* handled by the client once it exists */
    });
    if (this.tls && this.opts.tls!.handshake_first) {
      this.tls.handshakeFirst(sock, this, (tsock) => this.createClient(tsock, true));
      return;
    }
    this.createClient(sock, false);
  }

  /**
   * Create the client for an accepted socket, send INFO and start reading.
   * `transport` is set for clients of another listener (websocket), whose
   * socket is already secured and whose INFO and auth may differ.
   */
  createClient(sock: net.Socket, tlsDone: boolean, transport: ClientTransport | null = null): Client | null {
    const cid = ++this.cidSeq;
    this.totalConnections++;
    const c = new Client(this, sock, cid, this.globalAccount);
    if (transport !== null) {
      c.connectionType = transport.connectionType;
      c.authSource = transport;
    }
    const authn = c.authn;
    if (authn.nonceRequired) c.nonce = generateNonce();
    sock.write(this.acceptInfoLine(c, tlsDone, transport));
    const max = this.opts.max_connections;
    if (max < 0 || (max > 0 && this.clients.size >= max)) {
      this.log.error(`${c.label()} - ${ERR_MAX_CONNECTIONS}`);
      sock.end(errFrame(ERR_MAX_CONNECTIONS));
      this.closedClients.add(closedInfo(c, ClosedReason.MaxConnectionsExceeded));
      setTimeout(() => sock.destroy(), 100).unref();
      return null;
    }
    this.clients.set(cid, c);
    this.globalAccount.numClients++;
    if (this.log.debugEnabled) this.log.debug(`${c.label()} - Client connection created`);
    if (transport !== null) {
      c.startReading(authn.authRequired, transport.authTimeoutMs > 0 ? transport.authTimeoutMs : this.authTimeoutMs());
      return c;
    }
    if (this.tls && !tlsDone) {
      this.tls.upgradeAfterInfo(c, sock, this, (tsock) => this.attachSocket(c, tsock));
      return c;
    }
    c.startReading(this.auth.authRequired);
    return c;
  }

  /**
   * Register a connection made by another protocol layer (MQTT, Go
   * createMQTTClient): a client id, the connection counts and max_connections
   * (false: over the limit, the caller closes it).
   */
  nextConnectionId(): number {
    this.totalConnections++;
    return ++this.cidSeq;
  }

  registerClient(c: Client): boolean {
    const max = this.opts.max_connections;
    if (max < 0 || (max > 0 && this.clients.size >= max)) {
      this.log.error(`${c.label()} - ${ERR_MAX_CONNECTIONS}`);
      this.closedClients.add(closedInfo(c, ClosedReason.MaxConnectionsExceeded));
      return false;
    }
    this.clients.set(c.cid, c);
    c.acc.numClients++;
    if (this.log.debugEnabled) this.log.debug(`${c.label()} - Client connection created`);
    return true;
  }

  /** Swap a client's socket for its TLS socket once the handshake is done. */
  private attachSocket(c: Client, tsock: net.Socket): void {
    (c as { socket: net.Socket }).socket = tsock;
    c.startReading(this.auth.authRequired);
  }

  /** Go LDMClientByID: tell one client the server is going away (INFO with ldm). */
  sendLameDuckInfo(c: Client): void {
    c.enqueue(Buffer.from(`INFO ${infoToJSON({ ...this.baseInfo(), ldm: true })}\r\n`));
  }

  clientConnected(c: Client): void {
    this.events?.connected(c);
  }

  removeClient(c: Client, reason: ClosedReason): void {
    if (!this.clients.delete(c.cid)) return;
    c.acc.numClients--;
    const cs = c.acc.closedStats;
    cs.inMsgs += c.inMsgs;
    cs.inBytes += c.inBytes;
    cs.outMsgs += c.outMsgs;
    cs.outBytes += c.outBytes;
    if (c.connectReceived) this.events?.disconnected(c, reason);
    this.closedClients.add(closedInfo(c, reason));
    if (this.log.debugEnabled) this.log.debug(`${c.label()} - Client connection closed: ${reason}`);
  }

  authTimeoutMs(): number {
    if (this.opts.auth_timeout_set || !this.opts.tls) return this.opts.auth_timeout;
    // Go: with TLS the default auth timeout becomes the TLS timeout plus one second.
    return Math.max(this.opts.auth_timeout, this.opts.tls.timeout + 1000);
  }

  // ------------------------------------------------------------------ INFO

  baseInfo(): ServerInfo {
    const o = this.opts;
    const tls = o.tls;
    return {
      ...infoIdentity(this, o.host, this.boundPort),
      auth_required: this.auth.authRequired,
      tls_required: !!tls && !o.allow_non_tls,
      tls_verify: !!tls && tls.verify,
      tls_available: !!tls && o.allow_non_tls,
      max_payload: o.max_payload,
      jetstream: o.jetstream,
      cluster: this.cluster?.clusterName,
      connect_urls: this.cluster?.clientConnectURLs(),
    };
  }

  /**
   * The INFO line a client gets at accept (Go createClient: generateClientInfoJSON).
   * Plain client-port connections share one template, rebuilt when anything
   * it was made from changed (a reload's options, the auth, cluster name or
   * URLs, the connection's payload limit); the rest are built in full.
   */
  private acceptInfoLine(c: Client, tlsDone: boolean, transport: ClientTransport | null): string {
    if (tlsDone || transport !== null) {
      const info = this.clientInfo(c, false);
      if (tlsDone) info.tls_required = true;
      return `INFO ${infoToJSON(info)}\r\n`;
    }
    const cl = this.cluster;
    const urls = cl === null ? '' : cl.clientConnectURLs().join(',');
    const clusterName = cl === null ? '' : cl.clusterName;
    const k = this.acceptKey;
    if (this.acceptTemplate === null || k.opts !== this.opts || k.auth !== this.auth || k.authRequired !== this.auth.authRequired
      || k.port !== this.boundPort || k.mpay !== c.mpay || k.cluster !== clusterName || k.urls !== urls) {
      this.acceptTemplate = new ClientInfoTemplate(this.clientInfo(c, false));
      this.acceptKey = { opts: this.opts, auth: this.auth, authRequired: this.auth.authRequired, port: this.boundPort, mpay: c.mpay, cluster: clusterName, urls };
    }
    return this.acceptTemplate.line(c.cid, c.host, c.nonce);
  }

  private clientInfo(c: Client, connectInfo: boolean): ServerInfo {
    const info = this.baseInfo();
    const authn = c.authn;
    if (authn !== this.auth) info.auth_required = this.auth.authRequired || authn.authRequired;
    const noAuthUser = authn !== this.auth ? this.opts.websocket?.no_auth_user : this.opts.no_auth_user;
    if (info.auth_required && noAuthUser && !connectInfo) info.auth_required = false;
    if (c.connectionType === 'WEBSOCKET' && this.websocket !== null) {
      // Go generateClientInfoJSON: a websocket client's connect_urls are the cluster's websocket URLs.
      Object.assign(info, this.websocket.info());
      info.connect_urls = this.cluster?.clientConnectURLs(true);
    }
    info.client_id = c.cid;
    info.client_ip = c.host;
    // Go generateClientInfoJSON: the connection's own payload limit (a JWT user's may be lower).
    if (c.mpay >= 0) info.max_payload = c.mpay;
    if (c.nonce) info.nonce = c.nonce;
    if (connectInfo) {
      info.connect_info = true;
      info.remote_account = c.acc.name;
      info.acc_is_sys = c.acc === this.systemAccount;
    }
    return info;
  }

  infoJSON(c: Client, connectInfo: boolean): string {
    return infoToJSON(this.clientInfo(c, connectInfo));
  }

  // ------------------------------------------------------------------ accounts

  /** Register an account (every account the server serves goes through here). */
  addAccount(a: Account): void {
    this.accounts.set(a.name, a);
    this.interest.attach(a);
  }

  lookupAccount(name: string): Account | null {
    return this.accounts.get(name) ?? null;
  }

  moveToAccount(c: Client, acc: Account): void {
    c.acc.numClients--;
    c.acc = acc;
    acc.numClients++;
  }

  isSystemAccount(acc: Account): boolean {
    return acc === this.systemAccount;
  }

  // ------------------------------------------------------------------ routing and flushing

  route(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number): boolean {
    return routeMessage(from, acc, pa, buf, s, e, this.gateway);
  }

  currentProducer(): Client | null {
    return this.producer;
  }

  beginRead(c: Client): void {
    this.readDepth++;
    this.producer = c;
  }

  endRead(): void {
    if (--this.readDepth === 0) {
      const p = this.producer;
      this.producer = null;
      this.flushDirty();
      // Fast-producer stall: the read fed a consumer above its stall mark (conn/stall.ts).
      if (p !== null && p.stall.pending) p.stall.begin();
    }
  }

  markDirty(c: Flushable): void {
    if (c.dirty) return;
    c.dirty = true;
    this.dirty.push(c);
    if (this.readDepth === 0 && !this.flushScheduled) {
      // Output produced outside a read cycle (timers, internal senders): one flush per loop turn.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (this.readDepth === 0) this.flushDirty();
      });
    }
  }

  private flushDirty(): void {
    const d = this.dirty;
    for (let k = 0; k < d.length; k++) d[k].flush();
    d.length = 0;
  }

  noteSlowConsumer(c: Client): void {
    c.acc.slowConsumers++;
    this.stats.slowConsumers++;
    if (c.kind === LEAF) this.stats.slowConsumersLeafs++;
    else this.stats.slowConsumersClients++;
  }

  noteStaleConnection(_c: Client): void {
    this.stats.staleConnections++;
    this.stats.staleConnectionsClients++;
  }

  // ------------------------------------------------------------------ accessors

  /** `nats://host:port` for clients to connect to (loopback when bound to all interfaces). */
  clientURL(): string {
    const h = this.opts.host === '0.0.0.0' || this.opts.host === '::' || this.opts.host === '' ? '127.0.0.1' : this.opts.host;
    return `nats://${h.includes(':') ? `[${h}]` : h}:${this.boundPort}`;
  }

  numSubscriptions(): number {
    let n = 0;
    for (const a of this.accounts.values()) n += a.sl.count();
    return n;
  }
}

function closedInfo(c: Client, reason: ClosedReason): ClosedClientInfo {
  return { client: c, reason, stop: c.stop ?? new Date() };
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
