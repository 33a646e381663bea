/**
 * The `gateway {}` block (Go opts.go parseGateway / parseGateways and
 * gateway.go validateGatewayOptions). The config file keeps the block raw in
 * `extra.gateway`; this turns it into typed options, with Go's error texts
 * where they are cheap to match.
 */
import type { Options } from './options.js';
import { fail, num, parseLinkURL, parseListen, seconds, str } from './link-values.js';
import { checkTlsKeys } from './tls-map.js';

/** Go defaultGatewayConnectDelay / defaultGatewayReconnectDelay */
export const GATEWAY_CONNECT_DELAY_MS = 1000;
/** Go defaultGatewayConnectMaxDelay (ceiling of the backoff) */
export const GATEWAY_CONNECT_MAX_DELAY_MS = 30000;
/** Go defaultSolicitGatewaysDelay: outbound connections start this long after the server */
export const GATEWAY_SOLICIT_DELAY_MS = 1000;
/** Go defaultGatewayRecentSubExpiration: how long a new subscription makes replies mapped */
export const GATEWAY_RECENT_SUB_MS = 2000;
/** Go gwMaxPingInterval */
export const GATEWAY_MAX_PING_MS = 15000;

export interface RemoteGatewayOptions {
  name: string;
  /** URLs as given (`nats://host:port`) */
  urls: URL[];
  tls: Record<string, unknown> | null;
}

export interface GatewayOptions {
  name: string;
  host: string;
  /** -1 = random */
  port: number;
  advertise: string;
  username: string;
  password: string;
  /** seconds */
  auth_timeout: number;
  connect_retries: number;
  connect_backoff: boolean;
  reject_unknown: boolean;
  gateways: RemoteGatewayOptions[];
  tls: Record<string, unknown> | null;
  tls_timeout: number;
}

/** Go GenTLSConfig: a certificate needs its key and the other way round. */
function tlsBlock(v: unknown): Record<string, unknown> {
  const t = map('tls', v);
  checkTlsKeys(t);
  const cert = typeof t.cert_file === 'string' && t.cert_file !== '';
  const key = typeof t.key_file === 'string' && t.key_file !== '';
  if (cert && !key) fail("missing 'key_file' in TLS configuration");
  if (!cert && key) fail("missing 'cert_file' in TLS configuration");
  return t;
}

function map(what: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} should be a map`);
  return v as Record<string, unknown>;
}

/** `nats://host:port` or `host:port` (Go parseURL). */
export function parseGatewayURL(raw: string): URL {
  return parseLinkURL(raw, 'nats', 'gateway');
}

/** Go parseGateways: the `gateways: [...]` list. */
function parseRemotes(v: unknown): RemoteGatewayOptions[] {
  if (!Array.isArray(v)) fail(`Expected gateways field to be an array, got ${typeof v}`);
  const out: RemoteGatewayOptions[] = [];
  for (const g of v) {
    const m = map('gateway entry', g);
    const r: RemoteGatewayOptions = { name: '', urls: [], tls: null };
    for (const [k, x] of Object.entries(m)) {
      switch (k.toLowerCase()) {
        case 'name': r.name = str(k, x); break;
        case 'url': r.urls.push(parseGatewayURL(str(k, x))); break;
        case 'urls': for (const u of Array.isArray(x) ? x : [x]) r.urls.push(parseGatewayURL(str(k, u))); break;
        case 'tls': r.tls = tlsBlock(x); break;
        default: fail(`unknown field "${k}"`);
      }
    }
    out.push(r);
  }
  return out;
}

function parseAuth(g: GatewayOptions, v: unknown): void {
  for (const [k, x] of Object.entries(map('authorization', v))) {
    switch (k.toLowerCase()) {
      case 'user': case 'username': g.username = str(k, x); break;
      case 'pass': case 'password': g.password = String(x); break;
      case 'timeout': g.auth_timeout = seconds(k, x); break;
      case 'users': fail('Gateway authorization does not allow multiple users');
      case 'token': fail('Gateway authorization does not support tokens');
      case 'auth_callout': case 'auth_hook': fail('Gateway authorization does not support callouts');
      // Go parseAuthorization reads these; parseGateway then does not use them
      case 'default_permission': case 'default_permissions': case 'permissions': case 'proxy_required': break;
      default: fail(`unknown field "${k}"`);
    }
  }
}

/** The effective gateway options, or null when no gateway is configured (Go: name and port both unset). */
export function gatewayOptions(opts: Options): GatewayOptions | null {
  const raw = opts.extra.gateway;
  if (raw === undefined || raw === null) return null;
  const g: GatewayOptions = {
    name: '', host: '0.0.0.0', port: 0, advertise: '', username: '', password: '', auth_timeout: 0,
    connect_retries: 0, connect_backoff: false, reject_unknown: false, gateways: [], tls: null, tls_timeout: 2,
  };
  for (const [key, v] of Object.entries(map('gateway', raw))) {
    switch (key.toLowerCase()) {
      case 'name':
        g.name = str(key, v);
        if (g.name.includes(' ')) fail('gateway name cannot contain spaces');
        break;
      case 'listen': {
        const hp = parseListen(key, v);
        if (hp.host) g.host = hp.host;
        g.port = hp.port;
        break;
      }
      case 'port': g.port = num(key, v); break;
      case 'host': case 'net': g.host = str(key, v); break;
      case 'advertise': g.advertise = str(key, v); break;
      case 'authorization': parseAuth(g, v); break;
      case 'connect_retries': g.connect_retries = num(key, v); break;
      case 'connect_backoff': g.connect_backoff = Boolean(v); break;
      case 'reject_unknown': case 'reject_unknown_cluster': g.reject_unknown = Boolean(v); break;
      case 'gateways': g.gateways = parseRemotes(v); break;
      case 'tls': {
        const t = tlsBlock(v);
        g.tls = t;
        g.tls_timeout = typeof t.timeout === 'number' ? t.timeout : 2;
        break;
      }
      case 'write_deadline': case 'write_timeout': break;
      default: fail(`unknown field "${key}"`);
    }
  }
  // Go validateGatewayOptions.
  if (g.name === '' && g.port === 0) return null;
  if (g.name === '') fail('gateway has no name');
  if (g.port === 0) fail(`gateway "${g.name}" has no port specified (select -1 for random port)`);
  g.gateways.forEach((r, i) => {
    if (r.name === '') fail(`gateway in the list ${i} has no name`);
    if (r.urls.length === 0) fail(`gateway "${r.name}" has no URL`);
  });
  // Go server.go validateOptions: a cluster name must match the gateway name.
  const c = opts.extra.cluster;
  const cname = typeof opts.extra.cluster_name === 'string' && opts.extra.cluster_name
    ? opts.extra.cluster_name
    : c !== null && typeof c === 'object' && typeof (c as Record<string, unknown>).name === 'string' ? (c as Record<string, unknown>).name as string : '';
  if (cname !== '' && cname !== g.name) fail('cluster name conflicts between cluster and gateway definitions');
  return g;
}
