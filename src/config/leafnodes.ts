/**
 * The `leafnodes {}` block (alias `leaf`), as Go's opts.go parseLeafNodes,
 * parseLeafAuthorization, parseLeafUsers and parseRemoteLeafNodes read it,
 * with Go's error texts for bad values.
 */
import { ConfMap, type ConfValue, type Pos } from './parser.js';
import { defaultLeafNodeOptions, type LeafNodeOptions, type LeafUserSpec, type RemoteLeafOptions, type TlsOptions } from './options.js';
import { ConfigError } from '../util/errors.js';
import { Ctx, bool, describe, duration, forEachKey, hostPort, int, str, strList } from './values.js';

/** from-file's tls {} parser; `client` allows a block without cert_file/key_file (a remote's TLS, Go parseTLS(tk, true)) */
type TlsParser = (ctx: Ctx, p: Pos | undefined, v: ConfValue, client?: boolean) => TlsOptions;

export function parseLeafNodes(ctx: Ctx, p: Pos | undefined, v: ConfValue, parseTls: TlsParser): LeafNodeOptions {
  if (!(v instanceof ConfMap)) ctx.err(p, `Expected map to define a leafnode, got ${goType(v)}`);
  const o = defaultLeafNodeOptions();
  forEachKey(ctx, p, v, 'leafnodes', (key, val, kp, raw) => {
    switch (key) {
      case 'listen': {
        const hp = hostPort(ctx, kp, val);
        if (hp.host) o.host = hp.host;
        o.port = hp.port;
        break;
      }
      case 'port': o.port = int(ctx, kp, val); break;
      case 'host': case 'net': o.host = str(ctx, kp, val); break;
      case 'authorization': parseLeafAuthorization(ctx, kp, val, o); break;
      case 'remotes': o.remotes = parseRemotes(ctx, kp, val, parseTls); break;
      case 'reconnect': case 'reconnect_delay': case 'reconnect_interval': o.reconnect = duration(ctx, kp, val, 'reconnect'); break;
      case 'dial_timeout': duration(ctx, kp, val, 'dial_timeout'); break;
      case 'tls': o.tls = parseTls(ctx, kp, val); break;
      case 'leafnode_advertise': case 'advertise': o.advertise = str(ctx, kp, val); break;
      case 'no_advertise': o.no_advertise = bool(ctx, kp, val); break;
      case 'min_version': case 'minimum_version': {
        const mv = str(ctx, kp, val);
        if (!/^v?\d+\.\d+\.\d+/.test(mv)) ctx.err(kp, `invalid leafnode's minimum version: ${mv}`);
        if (!versionAtLeast(mv, 2, 8, 0)) ctx.err(kp, 'the minimum version should be at least 2.8.0');
        o.min_version = mv;
        break;
      }
      case 'compression': break; // accepted; this server never compresses leaf links (an old server to its peers)
      case 'isolate_leafnode_interest': case 'isolate': o.isolate = bool(ctx, kp, val); break;
      case 'write_deadline': duration(ctx, kp, val, 'write_deadline'); break;
      case 'write_timeout': str(ctx, kp, val); break;
      default: ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  return o;
}

function parseLeafAuthorization(ctx: Ctx, p: Pos | undefined, v: ConfValue, o: LeafNodeOptions): void {
  forEachKey(ctx, p, v, 'authorization', (key, val, kp, raw) => {
    switch (key) {
      case 'user': case 'username': o.username = str(ctx, kp, val); break;
      case 'pass': case 'password': o.password = str(ctx, kp, val); break;
      case 'timeout': {
        let secs = 0;
        if (typeof val === 'number') secs = val;
        else if (typeof val === 'string') {
          const d = duration(ctx, kp, val, 'timeout');
          secs = d / 1000;
        } else ctx.err(kp, "error parsing leafnode authorization config, 'timeout' wrong type");
        if (secs > 60) ctx.warnings.push(`timeout of ${String(val)} (${secs.toFixed(6)} seconds) is high, consider keeping it under 60 seconds`);
        o.auth_timeout = secs * 1000;
        break;
      }
      case 'users': o.users = parseLeafUsers(ctx, kp, val); break;
      case 'account': o.account = str(ctx, kp, val); break;
      case 'nkey': case 'proxy_required': break;
      default: ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  if (o.users.length === 0) return;
  if (o.username !== '') ctx.err(p, 'can not have a single user/pass and a users array');
  const seen = new Set<string>();
  for (const u of o.users) {
    if (seen.has(u.user)) ctx.err(p, `duplicate user "${u.user}" detected in leafnode authorization`);
    seen.add(u.user);
  }
}

function parseLeafUsers(ctx: Ctx, p: Pos | undefined, v: ConfValue): LeafUserSpec[] {
  if (!Array.isArray(v)) ctx.err(p, `Expected users field to be an array, got ${describe(v)}`);
  return v.map((u) => {
    if (!(u instanceof ConfMap)) ctx.err(p, `Expected user entry to be a map/struct, got ${goValue(u)}`);
    const user: LeafUserSpec = { user: '', password: '', account: '' };
    forEachKey(ctx, p, u, 'user', (key, val, kp, raw) => {
      switch (key) {
        case 'user': case 'username': user.user = str(ctx, kp, val); break;
        case 'pass': case 'password': user.password = str(ctx, kp, val); break;
        case 'account': user.account = str(ctx, kp, val); break;
        case 'proxy_required': break;
        default: ctx.err(kp, `unknown field "${raw}"`);
      }
    });
    return user;
  });
}

function parseRemotes(ctx: Ctx, p: Pos | undefined, v: ConfValue, parseTls: TlsParser): RemoteLeafOptions[] {
  if (!Array.isArray(v)) ctx.err(p, `Expected remotes field to be an array, got ${goType(v)}`);
  return v.map((r) => {
    if (!(r instanceof ConfMap)) ctx.err(p, `Expected remote leafnode entry to be a map/struct, got ${goValue(r)}`);
    const rem: RemoteLeafOptions = {
      urls: [], account: '', credentials: '', deny_imports: [], deny_exports: [], hub: false, first_info_timeout: 1000, disabled: false,
    };
    forEachKey(ctx, p, r, 'remote', (key, val, kp, raw) => {
      switch (key) {
        case 'url': case 'urls': {
          if (typeof val !== 'string' && !Array.isArray(val)) ctx.err(kp, `Expected remote leafnode url to be an array or string, got ${describe(val)}`);
          for (const u of strList(ctx, kp, val)) rem.urls.push(parseLeafURL(ctx, kp, u));
          break;
        }
        case 'account': case 'local': rem.account = str(ctx, kp, val); break;
        case 'creds': case 'credentials': rem.credentials = str(ctx, kp, val); break;
        case 'hub': rem.hub = bool(ctx, kp, val); break;
        case 'deny_imports': case 'deny_import': rem.deny_imports = strList(ctx, kp, val); break;
        case 'deny_exports': case 'deny_export': rem.deny_exports = strList(ctx, kp, val); break;
        case 'first_info_timeout': rem.first_info_timeout = duration(ctx, kp, val, raw); break;
        case 'dial_timeout': duration(ctx, kp, val, raw); break;
        case 'disabled': rem.disabled = bool(ctx, kp, val); break;
        case 'tls': rem.tls = parseTls(ctx, kp, val, true); break;
        case 'ws_compress': case 'ws_compression': case 'websocket_compress': case 'websocket_compression':
          rem.ws_compression = bool(ctx, kp, val);
          break;
        case 'no_randomize': case 'dont_randomize': case 'ws_no_masking': case 'websocket_no_masking': case 'isolate_leafnode_interest':
        case 'isolate': case 'request_isolation': case 'ignore_discovered_servers':
          bool(ctx, kp, val);
          break;
        case 'compression': case 'nkey': case 'seed': case 'proxy': case 'jetstream_cluster_migrate': case 'js_cluster_migrate': break;
        default: ctx.err(kp, `unknown field "${raw}"`);
      }
    });
    // Go validateLeafNode: a remote's URLs are all websocket or none.
    const ws = rem.urls.map((u) => /^wss?:/i.test(u));
    if (ws.some((w) => w !== ws[0])) {
      throw new ConfigError(`remote leaf node configuration cannot have a mix of websocket and non-websocket urls: [${rem.urls.map((u) => JSON.stringify(redactURL(u))).join(' ')}]`);
    }
    return rem;
  });
}

function redactURL(u: string): string {
  try {
    const url = new URL(u);
    if (url.password !== '') url.password = 'xxxxx';
    return url.toString().replace(/\/$/, '');
  } catch {
    return u;
  }
}

/** Go parseURL(v, "leafnode"): the URL must parse. */
function parseLeafURL(ctx: Ctx, p: Pos | undefined, u: string): string {
  const s = u.trim();
  try {
    const url = new URL(s);
    if (!url.host) throw new Error('missing host');
  } catch {
    ctx.err(p, `error parsing leafnode url [${JSON.stringify(s)}]`);
  }
  return s;
}

function goType(v: ConfValue): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

function versionAtLeast(v: string, maj: number, min: number, upd: number): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) return false;
  const a = [Number(m[1]), Number(m[2]), Number(m[3])];
  const b = [maj, min, upd];
  for (let k = 0; k < 3; k++) if (a[k] !== b[k]) return a[k] > b[k];
  return true;
}

/** A value as Go's %v prints it (for the 'got ...' of entry errors). */
function goValue(v: ConfValue): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v instanceof ConfMap) return 'map[...]';
  return String(v);
}
