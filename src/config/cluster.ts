/**
 * The `cluster {}` block and the cluster flags (Go opts.go parseCluster and
 * overrideCluster). The config file keeps the block raw in `extra.cluster`;
 * flags put their values in `extra.cluster_*` / `extra.routes` and win over
 * the file, as Go applies flags after the file.
 */
import type { Options, SubjectPermission, TlsOptions } from './options.js';
import { isValidSubject } from '../sublist/subject.js';
import { tlsFromMap } from './tls-map.js';
import { fail, num, parseLinkURL, parseListen, seconds, str } from './link-values.js';

/** Go DEFAULT_ROUTE_CONNECT / DEFAULT_ROUTE_RECONNECT / DEFAULT_ROUTE_DIAL */
export const ROUTE_CONNECT_MS = 1000;
/** Go DEFAULT_ROUTE_POOL_SIZE */
export const DEFAULT_POOL_SIZE = 3;
/** Go DEFAULT_ROUTE_CONNECT_MAX: ceiling of the connect backoff */
export const ROUTE_CONNECT_MAX_MS = 30000;

export interface ClusterOptions {
  name: string;
  host: string;
  /** -1 = random */
  port: number;
  advertise: string;
  no_advertise: boolean;
  /** route URLs to solicit (configured routes) */
  routes: URL[];
  username: string;
  password: string;
  /** seconds */
  auth_timeout: number;
  connect_retries: number;
  /** Go connect_backoff: exponential waits between route dials (1s doubling up to 30s) */
  connect_backoff: boolean;
  pool_size: number;
  pinned_accounts: string[];
  compression: string;
  /** route TLS (Go getTLSConfig for clusters: the peer's certificate is always required and verified) */
  tls: TlsOptions | null;
  /** seconds, as /varz shows it */
  tls_timeout: number;
  /** route permissions (Go RoutePermissions): import = interest we send, export = remote interest we accept */
  permissions: RoutePermissions | null;
}

export interface RoutePermissions {
  import?: SubjectPermission;
  export?: SubjectPermission;
}

/** `nats-route://user:pass@host:port` (Go parseURLs): each route must be a URL. */
export function parseRouteURL(raw: string): URL {
  return parseLinkURL(raw, 'nats-route', 'route');
}

/** The effective cluster options, or null when no cluster listener is configured. */
export function clusterOptions(opts: Options): ClusterOptions | null {
  const x = opts.extra;
  const c: ClusterOptions = {
    name: '', host: '0.0.0.0', port: 0, advertise: '', no_advertise: false, routes: [],
    username: '', password: '', auth_timeout: 0, connect_retries: 0, connect_backoff: false, pool_size: DEFAULT_POOL_SIZE,
    pinned_accounts: [], compression: 'off', tls: null, tls_timeout: 2, permissions: null,
  };
  const raw = x.cluster;
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) fail('cluster should be a map');
    for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
      switch (key.toLowerCase()) {
        case 'name': c.name = str(key, v); break;
        case 'listen': { const hp = parseListen(key, v); if (hp.host) c.host = hp.host; c.port = hp.port; break; }
        case 'host': case 'net': c.host = str(key, v); break;
        case 'port': c.port = num(key, v); break;
        case 'advertise': case 'cluster_advertise': c.advertise = str(key, v); break;
        case 'no_advertise': c.no_advertise = Boolean(v); break;
        case 'connect_retries': c.connect_retries = num(key, v); break;
        case 'connect_backoff': c.connect_backoff = v === true; break;
        case 'pool_size': c.pool_size = num(key, v); break;
        case 'pinned_accounts': c.pinned_accounts = (Array.isArray(v) ? v : [v]).map((a) => str(key, a)); break;
        case 'accounts': c.pinned_accounts = (Array.isArray(v) ? v : [v]).map((a) => str(key, a)); break;
        case 'routes': c.routes = (Array.isArray(v) ? v : [v]).map((r) => parseRouteURL(str(key, r))); break;
        case 'authorization': parseAuth(c, v); break;
        case 'compression': c.compression = parseCompression(v); break;
        case 'tls': c.tls = tlsFromMap(v); c.tls_timeout = c.tls.timeout / 1000; break;
        case 'permissions': c.permissions = parseRoutePermissions(v); break;
        case 'lnoc': case 'ping_interval': case 'ping_max': case 'write_deadline': case 'write_timeout': break;
        default: fail(`unknown field "${key}"`);
      }
    }
  }
  // Flags override the file.
  if (typeof x.cluster_host === 'string' && x.cluster_host) c.host = x.cluster_host;
  if (typeof x.cluster_port === 'number') c.port = x.cluster_port;
  if (typeof x.cluster_username === 'string') c.username = x.cluster_username;
  if (typeof x.cluster_password === 'string') c.password = x.cluster_password;
  if (typeof x.cluster_name === 'string' && x.cluster_name) c.name = x.cluster_name;
  if (typeof x.cluster_advertise === 'string') c.advertise = x.cluster_advertise;
  if (typeof x.cluster_no_advertise === 'boolean') c.no_advertise = x.cluster_no_advertise;
  if (typeof x.cluster_connect_retries === 'number') c.connect_retries = x.cluster_connect_retries;
  if (Array.isArray(x.routes)) c.routes = (x.routes as string[]).map(parseRouteURL);
  if (c.port === 0) return null;
  // Go: with a gateway and no cluster name, the cluster takes the gateway's name.
  const gw = x.gateway;
  if (c.name === '' && gw !== null && typeof gw === 'object' && typeof (gw as Record<string, unknown>).name === 'string') c.name = (gw as Record<string, unknown>).name as string;
  if (c.pool_size === 0) c.pool_size = DEFAULT_POOL_SIZE; // Go setBaselineOptions
  if (c.pinned_accounts.length > 0) {
    // Go validateCluster
    if (c.pool_size < 0) fail('pool_size cannot be negative if pinned accounts are specified');
    const seen = new Set<string>();
    for (const a of c.pinned_accounts) {
      if (seen.has(a)) fail(`found duplicate account name "${a}" in pinned accounts list ${JSON.stringify(c.pinned_accounts)}`);
      seen.add(a);
    }
  }
  if (c.name.includes(' ')) fail('cluster name cannot contain spaces or new lines');
  return c;
}

function parseAuth(c: ClusterOptions, v: unknown): void {
  if (typeof v !== 'object' || v === null) fail('authorization should be a map');
  // Go parseCluster: permissions inside `authorization` still apply (deprecated); a `permissions` block wins.
  let perms: RoutePermissions | null = null;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    switch (k.toLowerCase()) {
      case 'user': case 'username': c.username = str(k, x); break;
      case 'pass': case 'password': c.password = String(x); break;
      case 'timeout': c.auth_timeout = seconds(k, x); break;
      case 'permissions': case 'default_permission': case 'default_permissions': perms = parseRoutePermissions(x); break;
      case 'users': fail('Cluster authorization does not allow multiple users');
      case 'token': fail('Cluster authorization does not support tokens');
      case 'auth_callout': case 'auth_hook': fail('Cluster authorization does not support callouts');
      case 'proxy_required': break; // Go parseCluster does not use it
      default: fail(`unknown field "${k}"`);
    }
  }
  if (perms !== null && c.permissions === null) c.permissions = perms;
}

/**
 * Go parseUserPermissions as parseCluster uses it: `import`/`export` (or
 * `publish`/`subscribe`), each a subject, a list or `{allow, deny}`, checked
 * by checkClusterPermissionSubjects; no `allow_responses`.
 */
export function parseRoutePermissions(v: unknown): RoutePermissions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('Expected permissions to be a map/struct');
  const p: RoutePermissions = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    switch (k.toLowerCase()) {
      case 'import': case 'pub': case 'publish': p.import = subjectPermission(x, 'import'); break;
      case 'export': case 'sub': case 'subscribe': p.export = subjectPermission(x, 'export'); break;
      case 'allow_responses': case 'publish_allow_responses': fail('Cluster permissions do not support dynamic responses');
      default: fail(`Unknown field "${k}" parsing permissions`);
    }
  }
  return p;
}

function subjectPermission(v: unknown, what: string): SubjectPermission {
  const list = (x: unknown, kind: string): string[] => {
    const l = (Array.isArray(x) ? x : [x]).map((s) => str(`${what} ${kind}`, s));
    for (const s of l) if (!isValidSubject(s)) fail(`cluster ${what} ${kind}: subject "${s}" is not a valid subject`);
    return l;
  };
  if (typeof v === 'string' || Array.isArray(v)) return { allow: list(v, 'allow') };
  if (typeof v !== 'object' || v === null) fail(`Expected ${what} permissions to be a subject, a list or a map`);
  const sp: SubjectPermission = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const kk = k.toLowerCase();
    if (kk === 'allow') sp.allow = list(x, 'allow');
    else if (kk === 'deny') sp.deny = list(x, 'deny');
    else fail(`Unknown field "${k}" parsing subject permissions`);
  }
  return sp;
}

/** Go parseCompression for routes: a mode string or a map with `mode`; only "off"/"disabled" are run here. */
function parseCompression(v: unknown): string {
  let mode: unknown = v;
  if (typeof v === 'boolean') return v ? 'accept' : 'off';
  if (typeof v === 'object' && v !== null) mode = (v as Record<string, unknown>).mode;
  if (typeof mode !== 'string') fail(`unable to parse compression: ${JSON.stringify(v)}`);
  const m = mode.toLowerCase();
  const known = ['off', 'disabled', 'false', 'accept', 'on', 'enabled', 'true', 's2_auto', 's2_uncompressed', 's2_fast', 's2_better', 's2_best'];
  if (!known.includes(m)) fail(`unknown compression mode "${mode}"`);
  return m;
}
