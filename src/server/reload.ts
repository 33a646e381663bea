/**
 * Configuration reload (Go reload.go): on SIGHUP or a
 * `$SYS.REQ.SERVER.<id>.RELOAD` request the config file is read again and
 * the options Go can change at runtime are applied: logging, auth (users,
 * nkeys, token, permissions, no_auth_user), accounts (limits, exports,
 * imports, mappings, JetStream limits), client limits, TLS certificates, tags and
 * metadata; the `cluster {}` block through the route layer (routes added
 * and removed, permissions, authorization, pool size, pinned accounts, TLS,
 * name), and the `leafnodes {}` block through the leaf layer (remotes
 * added, removed, disabled, TLS). Changing anything else fails the whole reload with Go's
 * "config reload not supported for <Field>" error, and a file that does not
 * parse leaves the running configuration as it was.
 */
import { Account } from '../accounts/account.js';
import { createAuthenticator } from '../auth/authenticator.js';
import type { Options } from '../config/options.js';
import { clusterOptions } from '../config/cluster.js';
import { diffCluster } from '../config/cluster-diff.js';
import { AccountImports } from './imports.js';
import { InternalClient } from './internal-client.js';
import type { Server } from './server.js';
import { TlsSetup } from './tls.js';

/** Options Go reloads, by our option name. */
const RELOADABLE = new Set<keyof Options>([
  'debug', 'trace', 'trace_verbose', 'logtime', 'logtime_utc', 'logfile', 'syslog', 'remote_syslog', 'no_log',
  'tls', 'username', 'password', 'authorization', 'auth_timeout', 'auth_timeout_set', 'users', 'nkeys',
  'default_permissions', 'no_auth_user', 'accounts', 'mappings', 'tags', 'metadata',
  'max_connections', 'max_control_line', 'max_payload', 'ping_interval', 'ping_max', 'write_deadline',
  'client_advertise', 'pidfile', 'ports_file_dir', 'max_traced_msg_len', 'connect_error_reports',
  'reconnect_error_reports', 'no_fast_producer_stall', 'config_digest', 'config_file', 'extra', 'system_account', 'unsupported',
  // judged by the route and leaf layers (validateReload), as Go's diffOptions does for Cluster and LeafNode
  'leafnodes',
]);

/** Go's Options field names, for the "not supported" error. */
const GO_NAMES: Partial<Record<keyof Options, string>> = {
  host: 'Host', port: 'Port', server_name: 'ServerName', dont_listen: 'DontListen', http_host: 'HTTPHost', http_port: 'HTTPPort',
  https_port: 'HTTPSPort', http_base_path: 'HTTPBasePath', max_pending: 'MaxPending', max_subscriptions: 'MaxSubs',
  max_sub_tokens: 'MaxSubTokens', max_closed_clients: 'MaxClosedClients', lame_duck_duration: 'LameDuckDuration',
  lame_duck_grace_period: 'LameDuckGracePeriod', write_timeout: 'WriteTimeout', disable_sublist_cache: 'NoSublistCache',
  no_header_support: 'NoHeaderSupport', allow_non_tls: 'AllowNonTLS', log_size_limit: 'LogSizeLimit', log_max_num: 'LogMaxFiles',
  no_system_account: 'NoSystemAccount', jetstream: 'JetStream', store_dir: 'StoreDir', jetstream_opts: 'JetStream',
  operator: 'TrustedOperators', websocket: 'Websocket', mqtt: 'MQTT',
} as Partial<Record<keyof Options, string>>;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * The options a re-read config file is laid over: defaults, plus the running
 * values of everything a reload cannot change, so options that came from
 * outside the file (flags, embedding code) stay as they are unless the file
 * itself now says otherwise.
 */
export function reloadBase(cur: Options, defaults: Options): Options {
  const base = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(cur)) if (!RELOADABLE.has(k as keyof Options)) base[k] = v;
  return base as unknown as Options;
}

/** Go diffOptions: throws on a change that cannot be applied at runtime. */
export function checkReloadable(cur: Options, next: Options): void {
  // Go keeps the bound port when the new config asks for a random one
  if (next.port === 0 || next.port === -1) next.port = cur.port;
  const keys = new Set([...Object.keys(cur), ...Object.keys(next)] as (keyof Options)[]);
  for (const k of keys) {
    if (RELOADABLE.has(k)) continue;
    if (same(cur[k], next[k])) continue;
    const name = GO_NAMES[k] ?? k;
    if (k === 'jetstream_opts' || k === 'store_dir') {
      const a = cur.jetstream_opts;
      const b = next.jetstream_opts;
      if (k === 'store_dir' || a.max_memory_store !== b.max_memory_store || a.max_file_store !== b.max_file_store) {
        if (k === 'store_dir') throw new Error('config reload not supported for jetstream storage dir');
        throw new Error('config reload not supported for jetstream max memory and max store');
      }
    }
    throw new Error(`config reload not supported for ${name}: old=${show(cur[k])}, new=${show(next[k])}`);
  }
  // Go diffOptions "gateway": any change of the block fails (compared raw here, TLS included)
  const gwOld = cur.extra.gateway;
  const gwNew = next.extra.gateway;
  if (!same(gwOld, gwNew)) throw new Error(`config reload not supported for Gateway: old=${show(gwOld)}, new=${show(gwNew)}`);
}

/** Apply `next` to the running server (after checkReloadable passed). */
export function applyReload(srv: Server, next: Options): void {
  const prev = srv.opts;
  srv.opts = next;
  srv.configLoadTime = new Date();
  srv.log.reconfigure({ debug: next.debug, trace: next.trace, logtime: next.logtime, logtime_utc: next.logtime_utc, logfile: next.logfile });
  if (!same(prev.tls, next.tls)) srv.setTls(next.tls ? new TlsSetup(next.tls) : null);

  // accounts: keep the ones that stay (their subscriptions live in them), add new ones
  const cache = !next.disable_sublist_cache;
  srv.globalAccount.setMappings(next.mappings ?? []);
  const names = new Set(next.accounts.map((a) => a.name));
  for (const spec of next.accounts) {
    let a = srv.accounts.get(spec.name);
    if (a === undefined) {
      a = new Account(spec.name, cache);
      srv.addAccount(a);
    }
    a.configure(spec);
  }
  for (const a of [...srv.accounts.values()]) {
    if (a.spec !== null && !names.has(a.name) && a !== srv.systemAccount) {
      // removed from the config: its users are gone, so its clients fail the re-check below
      a.spec = null;
      a.maxConnections = a.maxSubscriptions = a.maxPayload = -1;
      a.mappings = null;
    }
  }
  srv.imports?.teardown();
  srv.imports = null;
  if (next.accounts.some((a) => a.imports.length > 0)) {
    const imports = new AccountImports(new InternalClient(srv, srv.nextClientId(), srv.globalAccount), srv.accounts);
    imports.setup();
    srv.imports = imports;
  }

  srv.auth = createAuthenticator(next);
  for (const c of [...srv.clients.values()]) c.reloadAuthorization();
  srv.cluster?.applyReload(next);
  if (srv.leafnodes !== null) srv.leafnodes.applyReload(next);
  else if (next.leafnodes !== undefined && next.leafnodes.remotes.length > 0) srv.leafLauncher?.();
  srv.runReloadHooks();
}

/** Validate before touching anything: the authenticator and imports must build from `next`. */
export function validateReload(srv: Server, next: Options): void {
  checkReloadable(srv.opts, next);
  // the cluster block: the route layer judges it; a server without routes refuses one appearing
  if (srv.cluster !== null) srv.cluster.checkReload(next);
  else diffCluster(null, clusterOptions(next), 0);
  if (srv.leafnodes !== null) srv.leafnodes.checkReload(next);
  else if (next.leafnodes !== undefined && next.leafnodes.port !== 0) {
    // Go: a listener appearing differs from the zero block in its host first
    throw new Error(`config reload not supported for LeafNode: field "Host": old=, new=${next.leafnodes.host}`);
  }
  createAuthenticator(next);
  // imports (and mappings) are checked against accounts built from the new config, without subscribing anything
  new Account(srv.globalAccount.name, false).setMappings(next.mappings ?? []);
  const accounts = new Map<string, Account>();
  for (const spec of next.accounts) {
    const a = new Account(spec.name, false);
    a.configure(spec);
    accounts.set(spec.name, a);
  }
  new AccountImports(new InternalClient(srv, 0, srv.globalAccount), accounts).setup(true);
}
