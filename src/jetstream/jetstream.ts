/**
 * JetStream for the server (Go jetstream.go): resolves the configuration
 * (store dir, memory/storage limits, domain, sync interval), enables accounts,
 * recovers stored streams, and reports usage for /varz and /jsz.
 */
import os from 'node:os';
import { mkdirSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Server } from '../server/server.js';
import type { Account } from '../accounts/account.js';
import type { Subscription } from '../conn/subscription.js';
import { InternalClient } from '../server/internal-client.js';
import { GO_COMPAT_VERSION as VERSION } from '../util/version.js';
import { JsAccount, type JsAccountLimits, type JsContext } from './account.js';
import { unlimitedJetStream } from '../config/options.js';
import { jsError } from './api/errors.js';
import { ApiDispatcher, DEFAULT_REQUEST_QUEUE_LIMIT, ROUTES } from './api/dispatch.js';
import { randomId } from './ids.js';
import { rfc3339 } from './time.js';
import { responseBody } from './api/request.js';
import { API_LEVEL } from './stream/config.js';
import { getHeader } from '../protocol/headers.js';
import { REQUEST_INFO_HEADER } from '../server/imports.js';
import { MetaGroup } from './cluster/meta.js';
import { ClusteredApi } from './cluster/clustered-api.js';
import { clusterOptions } from '../config/cluster.js';
import type { RouteManager } from '../cluster/route/routes.js';

/** Go JetStreamMaxStoreDefault (1 TB) and the default sync interval (2 min). */
const MAX_STORE_DEFAULT = 1024 ** 4;
const SYNC_INTERVAL_DEFAULT = 120_000;
export const JETSTREAM_STORE_DIR = 'jetstream';

export interface JetStreamConfigView {
  max_memory: number;
  max_storage: number;
  store_dir: string;
  sync_interval?: number;
  sync_always?: boolean;
  domain?: string;
  compress_ok?: boolean;
  unique_tag?: string;
  strict?: boolean;
}

/** Go jsAllAPI */
const FORWARDED_API = '$JS.API.>';

/** Go defaultGatewayRecentSubExpiration */
const GATEWAY_RECENT_MS = 2000;

export class JetStream implements JsContext {
  readonly accounts = new Map<string, JsAccount>();
  /** accounts without JetStream and the subscriptions answering their API requests */
  private readonly notEnabled = new Map<Account, Subscription[]>();
  private readonly dispatchers = new Map<string, ApiDispatcher>();
  readonly ic: InternalClient;
  readonly storeDir: string;
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly domain: string;
  readonly syncInterval: number | 'always';
  readonly maxRequestBatch: number;
  readonly maxAckPending: number;
  readonly duplicateWindowLimit: number;
  readonly strict: boolean;
  /** The meta group when this server runs clustered JetStream (routes configured), else null. */
  meta: MetaGroup | null = null;
  private clusteredApi: ClusteredApi | null = null;

  /**
   * Part of a cluster or super-cluster (Go !standAloneMode): the accounts'
   * API subscriptions stay off routes and gateways, and the system account
   * answers API requests other servers forward there.
   */
  constructor(readonly server: Server, readonly clustered = false) {
    const o = server.opts;
    const js = o.jetstream_opts ?? {};
    const base = o.store_dir ? resolve(o.store_dir) : join(os.tmpdir(), 'nats');
    this.storeDir = join(base, JETSTREAM_STORE_DIR);
    this.maxMemory = js.max_memory_store && js.max_memory_store > 0 ? js.max_memory_store : Math.floor(os.totalmem() * 0.75);
    this.maxStore = js.max_file_store && js.max_file_store > 0 ? js.max_file_store : defaultMaxStore(base);
    this.domain = js.domain ?? '';
    this.syncInterval = js.sync_interval ?? SYNC_INTERVAL_DEFAULT;
    this.maxRequestBatch = js.max_request_batch ?? 0;
    this.maxAckPending = js.max_ack_pending ?? 0;
    this.duplicateWindowLimit = (js.duplicate_window ?? 0) * 1e6;
    this.strict = js.strict ?? true;
    this.ic = new InternalClient(server, server.nextClientId(), server.globalAccount);
  }

  get log() {
    return this.server.log;
  }
  get serverName(): string {
    return this.server.name;
  }
  get clusterName(): string {
    return this.meta === null ? '' : this.meta.clusterName();
  }
  get serverVersion(): string {
    return VERSION;
  }

  /** Go hasGatewayInterest: a remote cluster wants `subject` of account `acc`. */
  gatewayInterest(acc: string, subject: string): boolean {
    const g = this.server.gateway;
    return g !== null && g.nOut > 0 && g.hasInterest(acc, subject);
  }

  /**
   * Go consumer nextWaiting: with gateways or leaf nodes, a pull request's
   * reply without local interest is served for a while after the request
   * came (its interest may still be on the way), then as long as a remote
   * cluster wants it.
   */
  linkedReplyInterest(acc: string, reply: string, receivedMs: number): boolean {
    const s = this.server;
    if (s.gateway === null && s.leafnodes === null) return false;
    if (Date.now() - receivedMs < GATEWAY_RECENT_MS) return true;
    return this.gatewayInterest(acc, reply);
  }

  apiPrefixes(): string[] {
    return this.domain ? ['$JS.API', `$JS.${this.domain}.API`] : ['$JS.API'];
  }

  /** Create the store directory, enable the global account and recover its streams. */
  start(): void {
    const log = this.log;
    mkdirSync(this.storeDir, { recursive: true });
    log.info('Starting JetStream');
    log.info('---------------- JETSTREAM ----------------');
    log.info(`  Max Memory:      ${friendlyBytes(this.maxMemory)}`);
    log.info(`  Max Storage:     ${friendlyBytes(this.maxStore)}`);
    log.info(`  Store Directory: "${this.storeDir}"`);
    if (this.domain) log.info(`  Domain:          ${this.domain}`);
    log.info(`  API Level:       ${API_LEVEL}`);
    log.info('-------------------------------------------');
    // Go enableJetStreamAccounts: with no accounts of its own the global
    // account gets JetStream; otherwise each account whose config enables it,
    // and the others only answer $JS.API.INFO with "not enabled".
    const srv = this.server;
    if (this.clustered) this.answerForwarded();
    this.startMetaGroup();
    const others = [...srv.accounts.values()].filter((a) => a !== srv.globalAccount && a !== srv.systemAccount);
    if (others.length === 0) {
      this.enableAccount(srv.globalAccount);
      return;
    }
    this.configureAccounts();
    srv.onReload(() => this.configureAccounts());
  }

  /**
   * Go enableJetStreamClustering: a server with a cluster listener and a
   * cluster name joins the meta group (Go refuses clustered JetStream with a
   * dynamic cluster name or without a server name; we only skip the group).
   */
  private startMetaGroup(): void {
    const srv = this.server;
    const co = clusterOptions(srv.opts);
    if (co === null || co.name === '' || srv.opts.no_system_account) return;
    const rm = () => srv.cluster as RouteManager | null;
    this.log.info('Creating JetStream metadata controller');
    this.meta = new MetaGroup(srv, this.ic, this.storeDir, this.apiPrefixes(), {
      configuredRoutes: co.routes.length,
      clusterName: () => rm()?.clusterName ?? co.name,
      routedNames: () => {
        const r = rm();
        return r === null ? [] : [...r.allRoutes()].map((c) => c.remoteName).filter((n) => n !== '');
      },
      timing: srv.opts.jetstream_opts?.raft_timing,
    });
    this.clusteredApi = new ClusteredApi(this, this.meta);
  }

  dispatcherFor(account: string): ApiDispatcher | undefined {
    return this.dispatchers.get(account);
  }

  /** Enable accounts whose config asks for JetStream (or update their limits); the others answer "not enabled". */
  private configureAccounts(): void {
    const srv = this.server;
    for (const a of srv.accounts.values()) {
      const spec = a.spec?.jetstream;
      const jsa = this.accounts.get(a.name);
      if (spec) {
        if (jsa) jsa.limits = { ...spec };
        else {
          this.notEnabled.get(a)?.forEach((s) => this.ic.unsubscribe(a, s));
          this.notEnabled.delete(a);
          this.enableAccount(a, { ...spec });
        }
      } else if (a !== srv.systemAccount && !jsa && !this.notEnabled.has(a)) this.answerNotEnabled(a);
    }
  }

  /** Go's `$JS.EVENT.ADVISORY.API.LIMIT_REACHED`, in the system account. */
  private apiLimitReached(dropped: number): void {
    const sys = this.server.systemAccount;
    const subject = '$JS.EVENT.ADVISORY.API.LIMIT_REACHED';
    if (!sys.sl.hasInterest(subject)) return;
    const body: Record<string, unknown> = {
      type: 'io.nats.jetstream.advisory.v1.api_limit_reached',
      id: randomId(),
      timestamp: rfc3339(Date.now() * 1e6),
      server: this.server.name,
      domain: this.domain || undefined,
      dropped,
    };
    this.ic.publish(sys, subject, '', null, Buffer.from(JSON.stringify(body)));
  }

  /**
   * Go setJetStreamExportSubs + apiDispatch: `$JS.API.>` in the system
   * account, where servers without JetStream forward their accounts'
   * requests with a `Nats-Request-Info` header naming the account (its `svc`
   * over its `acc`, Go getRequestInfo). The request is served for that
   * account and answered in the system account on the (import's) reply.
   * Requests without the header, for accounts without JetStream here, or on
   * subjects that are no API call (a pull's MSG.NEXT reaches the consumer in
   * its own account) are left alone.
   */
  private answerForwarded(): void {
    const sys = this.server.systemAccount;
    const sub = this.ic.subscribe(sys, FORWARDED_API, null, (_sub, subject, reply, hdr, payload, from) => {
      const raw = getHeader(hdr, REQUEST_INFO_HEADER);
      if (raw === null || raw === '') return;
      let name = '';
      try {
        const ci = JSON.parse(raw) as { acc?: string; svc?: string };
        name = ci.svc || ci.acc || '';
      } catch {
        return;
      }
      if (name === '' || name === sys.name) return;
      const d = this.dispatchers.get(name);
      if (d === undefined) return;
      d.forwarded(subject, reply, hdr, payload, from, (r, body) => this.ic.publish(sys, r, '', null, body));
    });
    this.server.onShutdown(() => this.ic.unsubscribe(sys, sub));
  }

  /** An account without JetStream: every API request gets Go's "not enabled for account" error in its response type. */
  private answerNotEnabled(acc: Account): void {
    const err = jsError('JSNotEnabledForAccountErr');
    const subs: Subscription[] = [];
    for (const prefix of this.apiPrefixes()) {
      for (const r of ROUTES) {
        const body = Buffer.from(responseBody(r.type, err));
        subs.push(
          this.ic.subscribe(acc, `${prefix}.${r.pattern}`, null, (_sub, _subject, reply) => {
            if (reply) this.ic.publish(acc, reply, '', null, body);
          }),
        );
      }
    }
    this.notEnabled.set(acc, subs);
  }

  enableAccount(acc: Account, limits: JsAccountLimits = unlimitedJetStream()): JsAccount {
    let jsa = this.accounts.get(acc.name);
    if (jsa) return jsa;
    jsa = new JsAccount(this, acc, limits);
    this.accounts.set(acc.name, jsa);
    const d = new ApiDispatcher(jsa, this.server.opts.jetstream_opts.request_queue_limit || DEFAULT_REQUEST_QUEUE_LIMIT, (dropped) => this.apiLimitReached(dropped));
    d.start(this.apiPrefixes(), this.clustered);
    const capi = this.clusteredApi;
    if (capi !== null) {
      d.interceptor = (r, req) => capi.intercept(r, req);
      d.observer = (r, req, out) => capi.observe(r, req, out);
    }
    this.dispatchers.set(acc.name, d);
    log(this, `  Enabled JetStream for account "${acc.name}"`);
    jsa.recover();
    return jsa;
  }

  serverReservationExceeded(storage: 'file' | 'memory', bytes: number): boolean {
    let reserved = 0;
    for (const a of this.accounts.values()) {
      const r = a.reserved();
      reserved += storage === 'memory' ? r.memory : r.storage;
    }
    const max = storage === 'memory' ? this.maxMemory : this.maxStore;
    return reserved > max || bytes > max - reserved;
  }

  serverWouldExceed(storage: 'file' | 'memory', bytes: number): boolean {
    let used = 0;
    for (const a of this.accounts.values()) used += storage === 'memory' ? a.memUsed : a.storeUsed;
    return used + bytes > (storage === 'memory' ? this.maxMemory : this.maxStore);
  }

  usage(): { memory: number; storage: number; reservedMemory: number; reservedStorage: number; streams: number; consumers: number; messages: number; bytes: number } {
    let memory = 0;
    let storage = 0;
    let reservedMemory = 0;
    let reservedStorage = 0;
    let streams = 0;
    let consumers = 0;
    let messages = 0;
    for (const a of this.accounts.values()) {
      const u = a.usage();
      memory += u.memory;
      storage += u.storage;
      streams += u.streams;
      consumers += u.consumers;
      messages += u.messages;
      const r = a.reserved();
      reservedMemory += r.memory;
      reservedStorage += r.storage;
    }
    return { memory, storage, reservedMemory, reservedStorage, streams, consumers, messages, bytes: memory + storage };
  }

  apiStats(): { level: number; total: number; errors: number; inflight?: number } {
    let total = 0;
    let errors = 0;
    let inflight = 0;
    for (const a of this.accounts.values()) {
      total += a.apiTotal;
      errors += a.apiErrors;
    }
    for (const d of this.dispatchers.values()) inflight += d.inflight;
    const o: { level: number; total: number; errors: number; inflight?: number } = { level: API_LEVEL, total, errors };
    if (inflight > 0) o.inflight = inflight;
    return o;
  }

  configView(): JetStreamConfigView {
    const c: JetStreamConfigView = { max_memory: this.maxMemory, max_storage: this.maxStore, store_dir: this.storeDir };
    if (this.syncInterval === 'always') c.sync_always = true;
    else c.sync_interval = this.syncInterval * 1e6;
    if (this.domain) c.domain = this.domain;
    c.compress_ok = true;
    if (this.server.opts.jetstream_opts?.unique_tag) c.unique_tag = this.server.opts.jetstream_opts.unique_tag;
    if (this.strict) c.strict = true;
    return c;
  }

  statsView(): Record<string, unknown> {
    const u = this.usage();
    return {
      memory: u.memory,
      storage: u.storage,
      reserved_memory: u.reservedMemory,
      reserved_storage: u.reservedStorage,
      accounts: this.accounts.size,
      ha_assets: this.meta === null ? 0 : 1,
      api: this.apiStats(),
    };
  }

  limitsView(): Record<string, unknown> | undefined {
    const js = this.server.opts.jetstream_opts ?? {};
    const o: Record<string, unknown> = {};
    if (js.max_request_batch) o.max_request_batch = js.max_request_batch;
    if (js.max_ack_pending) o.max_ack_pending = js.max_ack_pending;
    if (js.duplicate_window) o.duplicate_window = js.duplicate_window * 1e6;
    return Object.keys(o).length > 0 ? o : undefined;
  }

  /** Stop every stream and consumer (data stays). */
  shutdown(): void {
    this.clusteredApi?.stop();
    this.clusteredApi = null;
    this.meta?.stop();
    this.meta = null;
    for (const d of this.dispatchers.values()) d.stop();
    this.dispatchers.clear();
    for (const a of this.accounts.values()) a.stop();
    this.accounts.clear();
  }
}

function log(js: JetStream, m: string): void {
  js.log.info(m);
}

function defaultMaxStore(dir: string): number {
  try {
    mkdirSync(dir, { recursive: true });
    const st = statfsSync(dir);
    const avail = Math.floor(st.bavail * st.bsize * 0.75);
    return avail > 0 ? Math.min(avail, MAX_STORE_DEFAULT) : MAX_STORE_DEFAULT;
  } catch {
    return MAX_STORE_DEFAULT;
  }
}

/** Go friendlyBytes: "1.23 GB" style. */
export function friendlyBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(2)} ${units[i]}`;
}

/** Enable JetStream when the server starts (after its banner, before clients); registers shutdown. */
export function enableJetStream(server: Server, clustered = false): JetStream {
  const js = new JetStream(server, clustered);
  server.jetstream = js;
  server.onStart(() => js.start());
  server.onShutdown(() => js.shutdown());
  return js;
}
