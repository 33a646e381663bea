/**
 * Configuration file -> Options (Go opts.go processConfigFileLine and the
 * block parsers it calls). Keys are case-insensitive. Keys Go knows but this
 * build does not act on are accepted (top-level ones kept in `opts.extra`)
 * and listed in `opts.unsupported` from the table in unsupported.ts; unknown
 * keys are errors reported as `file:line:col: unknown field "key"`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfMap, parseConfig, type ConfValue, type Pos } from './parser.js';
import { parseGoDuration } from './durations.js';
import { defaultTlsOptions, type Options, type TlsOptions } from './options.js';
import { ConfigError } from '../util/errors.js';
import { Ctx, bool, describe, duration, forEachKey, hostPort, int, limit32, str, strList } from './values.js';
import { parsePermissions, parseUser } from './users.js';
import { checkAccountReferences, parseAccountsBlock, parseMappings } from './accounts.js';
import { checkAuthCalloutAccounts, parseAuthCallout } from './auth-callout.js';
import { parseLeafNodes } from './leafnodes.js';
import { parseWebsocket } from './websocket.js';
import { parseMqtt } from './mqtt.js';
import { findUnsupported } from './unsupported.js';
import { parseOperatorKey, parseResolver, parseResolverPreload, parseTrustedKeys } from './operator.js';

/** Top-level keys Go accepts that are kept as-is: `cluster` and `gateway` for their layers, the rest unsupported (unsupported.ts). */
const PASSTHROUGH = new Set([
  'trace_headers', 'default_sentinel', 'cluster', 'gateway',
  'syslog', 'remote_syslog', 'prof_port', 'prof_block_rate', 'proxy_protocol', 'ocsp', 'resolver_tls',
  'resolver_pinned_accounts', 'feature_flags', 'default_js_domain',
  'ocsp_cache', 'proxies', 'https',
]);

/** Read, parse and apply a config file on top of `base`. */
export function loadConfigFile(path: string, base: Options): Options {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`error opening config file: ${(e as Error).message}`);
  }
  const tree = parseConfig(text, { file: path });
  const opts: Options = { ...base, extra: { ...base.extra } };
  applyConfig(tree, opts, path);
  opts.unsupported = [...(base.unsupported ?? []), ...findUnsupported(tree).map((name) => ({ kind: 'config' as const, name }))];
  opts.config_file = resolve(path);
  opts.config_digest = 'sha256:' + createHash('sha256').update(JSON.stringify(toPlain(tree))).digest('hex');
  return opts;
}

/** Plain JS value of a parsed config value (for extra, digest). */
export function toPlain(v: ConfValue): unknown {
  if (v instanceof ConfMap) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v.values) if (!v.usedVars.has(k)) o[k] = toPlain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Date) return v.toISOString();
  return v;
}

export function applyConfig(tree: ConfMap, o: Options, file = '<config>'): { warnings: string[] } {
  const ctx: Ctx = new Ctx(file);
  for (const [rawKey, v] of tree.values) {
    const p = tree.keyPos.get(rawKey);
    if (tree.usedVars.has(rawKey)) continue;
    const key = rawKey.toLowerCase();
    switch (key) {
      case 'listen': {
        const { host, port } = hostPort(ctx, p, v);
        if (host) o.host = host;
        o.port = port;
        break;
      }
      case 'port': o.port = int(ctx, p, v); break;
      case 'host': case 'net': o.host = str(ctx, p, v); break;
      case 'client_advertise': o.client_advertise = str(ctx, p, v); break;
      case 'server_name': {
        const n = str(ctx, p, v);
        if (/\s/.test(n)) ctx.err(p, 'server name cannot contain spaces');
        o.server_name = n;
        break;
      }
      case 'debug': o.debug = bool(ctx, p, v); break;
      case 'trace': o.trace = bool(ctx, p, v); break;
      case 'trace_verbose': o.trace_verbose = bool(ctx, p, v); o.trace = o.trace || o.trace_verbose; break;
      case 'logtime': o.logtime = bool(ctx, p, v); break;
      case 'logtime_utc': o.logtime_utc = bool(ctx, p, v); break;
      case 'logfile': case 'log_file': o.logfile = str(ctx, p, v); break;
      case 'logfile_size_limit': case 'log_size_limit': o.log_size_limit = int(ctx, p, v); break;
      case 'logfile_max_num': case 'log_max_num': o.log_max_num = int(ctx, p, v); break;
      case 'pidfile': case 'pid_file': o.pidfile = str(ctx, p, v); break;
      case 'ports_file_dir': o.ports_file_dir = str(ctx, p, v); break;
      case 'http': {
        const { host, port } = hostPort(ctx, p, v);
        if (host) o.http_host = host;
        o.http_port = port;
        break;
      }
      case 'http_port': case 'monitor_port': o.http_port = int(ctx, p, v); break;
      case 'https_port': o.https_port = int(ctx, p, v); break;
      case 'http_base_path': o.http_base_path = str(ctx, p, v); break;
      case 'max_control_line': o.max_control_line = limit32(ctx, p, v, key); break;
      case 'max_payload': o.max_payload = limit32(ctx, p, v, key); break;
      case 'max_pending': o.max_pending = int(ctx, p, v); break;
      case 'max_connections': case 'max_conn': {
        const n = int(ctx, p, v);
        o.max_connections = n === 0 ? -1 : n; // Go stores 0 as -1: reject everyone
        break;
      }
      case 'max_traced_msg_len': o.max_traced_msg_len = int(ctx, p, v); break;
      case 'max_subscriptions': case 'max_subs': o.max_subscriptions = int(ctx, p, v); break;
      case 'max_sub_tokens': case 'max_subscription_tokens': {
        const n = int(ctx, p, v);
        if (n > 255) ctx.err(p, `error parsing max_sub_tokens: value too big`);
        o.max_sub_tokens = n;
        break;
      }
      case 'max_closed_clients': o.max_closed_clients = int(ctx, p, v); break;
      case 'ping_interval': o.ping_interval = duration(ctx, p, v, key); break;
      case 'ping_max': o.ping_max = int(ctx, p, v); break;
      case 'write_deadline': o.write_deadline = duration(ctx, p, v, key); break;
      case 'write_timeout': {
        const w = str(ctx, p, v);
        if (w !== 'default' && w !== 'close' && w !== 'retry') ctx.err(p, `write_timeout: unknown value "${w}"`);
        o.write_timeout = w as Options['write_timeout'];
        break;
      }
      case 'lame_duck_duration': {
        const d = parseGoDuration(str(ctx, p, v));
        if (d === null) ctx.err(p, `error parsing lame_duck_duration: time: invalid duration "${String(v)}"`);
        if (d < 30000) ctx.err(p, `invalid lame_duck_duration of ${String(v)}, minimum is 30 seconds`);
        o.lame_duck_duration = d;
        break;
      }
      case 'lame_duck_grace_period': {
        const d = parseGoDuration(str(ctx, p, v));
        if (d === null) ctx.err(p, `error parsing lame_duck_grace_period: time: invalid duration "${String(v)}"`);
        if (d < 0) ctx.err(p, 'invalid lame_duck_grace_period, needs to be positive');
        o.lame_duck_grace_period = d;
        break;
      }
      case 'no_fast_producer_stall': o.no_fast_producer_stall = bool(ctx, p, v); break;
      case 'disable_sublist_cache': case 'no_sublist_cache': o.disable_sublist_cache = bool(ctx, p, v); break;
      case 'no_header_support': o.no_header_support = bool(ctx, p, v); break;
      case 'authorization': applyAuthorization(ctx, p, v, o); break;
      case 'no_auth_user': o.no_auth_user = str(ctx, p, v); break;
      case 'tls': o.tls = parseTls(ctx, p, v); break;
      case 'leafnodes': case 'leaf': o.leafnodes = parseLeafNodes(ctx, p, v, parseTls); break;
      case 'websocket': case 'ws': o.websocket = parseWebsocket(ctx, p, v, parseTls); break;
      case 'mqtt': o.mqtt = parseMqtt(ctx, p, v, parseTls); break;
      case 'allow_non_tls': o.allow_non_tls = bool(ctx, p, v); break;
      case 'jetstream': {
        if (typeof v === 'boolean') o.jetstream = v;
        else if (typeof v === 'string') {
          const s = v.toLowerCase();
          if (s !== 'enabled' && s !== 'disabled') ctx.err(p, `Expected 'enabled' or 'disabled' for string value, got '${v}'`);
          o.jetstream = s === 'enabled';
        } else if (v instanceof ConfMap) {
          o.jetstream = v.values.get('enabled') !== false && v.values.get('enable') !== false;
          const sd = v.values.get('store_dir') ?? v.values.get('storedir');
          if (typeof sd === 'string') {
            if (o.store_dir) ctx.err(p, '"store_dir" has been set both at the top level and in the jetstream block');
            o.store_dir = sd;
          }
          parseJetStreamBlock(ctx, v, o);
        } else ctx.err(p, `Expected map, bool or string to define JetStream, got ${typeof v}`);
        break;
      }
      case 'store_dir': case 'storedir': o.store_dir = str(ctx, p, v); break;
      case 'accounts': parseAccountsBlock(ctx, p, v, o); break;
      case 'mappings': case 'maps': o.mappings.push(...parseMappings(ctx, p, v)); break;
      case 'system_account': case 'system': o.system_account = str(ctx, p, v); break;
      case 'no_system_account': case 'no_system': case 'no_sys_acc': o.no_system_account = bool(ctx, p, v); break;
      case 'operator': case 'operators': case 'roots': case 'root': case 'root_operators': case 'root_operator':
        parseOperatorKey(ctx, p, v, o);
        break;
      case 'trusted': case 'trusted_keys': parseTrustedKeys(ctx, p, v, o); break;
      case 'resolver': case 'account_resolver': case 'accounts_resolver': parseResolver(ctx, p, v, o); break;
      case 'resolver_preload': parseResolverPreload(ctx, p, v, o); break;
      case 'server_tags': o.tags = typeof v === 'string' ? [v] : strList(ctx, p, v); break;
      case 'server_metadata': {
        if (!(v instanceof ConfMap)) ctx.err(p, 'server_metadata should be a map');
        for (const [k, x] of v.values) o.metadata[k] = String(toPlain(x));
        break;
      }
      case 'connect_error_reports': o.connect_error_reports = int(ctx, p, v); break;
      case 'reconnect_error_reports': o.reconnect_error_reports = int(ctx, p, v); break;
      default:
        if (PASSTHROUGH.has(key)) o.extra[key] = toPlain(v);
        else ctx.err(p, `unknown field "${rawKey}"`);
    }
  }
  checkAccountReferences(ctx, o);
  checkAuthCalloutAccounts(ctx, o);
  if (o.max_payload > o.max_pending) {
    throw new ConfigError(`${file}: max_payload (${o.max_payload}) cannot be higher than max_pending (${o.max_pending})`);
  }
  if (o.lame_duck_grace_period >= o.lame_duck_duration) {
    throw new ConfigError(`${file}: invalid lame_duck_grace_period, needs to be less than lame_duck_duration`);
  }
  return { warnings: ctx.warnings };
}

// ---------------------------------------------------------------- value helpers

/** Go parseJetStream: the keys of a `jetstream {}` block. */
function parseJetStreamBlock(ctx: Ctx, m: ConfMap, o: Options): void {
  const js: Options['jetstream_opts'] = { ...o.jetstream_opts };
  for (const [k, v] of m.values) {
    if (m.usedVars.has(k)) continue;
    const p = m.keyPos.get(k);
    switch (k.toLowerCase()) {
      case 'enabled': case 'enable': case 'store_dir': case 'storedir': case 'store': break;
      case 'max_memory_store': case 'max_mem_store': case 'max_mem': js.max_memory_store = int(ctx, p, v); break;
      case 'max_file_store': case 'max_file': js.max_file_store = int(ctx, p, v); break;
      case 'domain': js.domain = str(ctx, p, v); break;
      case 'sync_interval': case 'sync':
        if (typeof v === 'string' && v.toLowerCase() === 'always') js.sync_interval = 'always';
        else js.sync_interval = duration(ctx, p, v, 'sync_interval');
        break;
      case 'strict': js.strict = bool(ctx, p, v); break;
      case 'unique_tag': js.unique_tag = str(ctx, p, v); break;
      case 'request_queue_limit': js.request_queue_limit = int(ctx, p, v); break;
      // accepted and ignored (named at start-up, see unsupported.ts)
      case 'cipher': case 'key': case 'ek': case 'encryption_key': case 'prev_key': case 'prev_ek': case 'prev_encryption_key':
      case 'tpm': case 'extension_hint': case 'max_outstanding_catchup': case 'max_buffered_msgs': case 'max_buffered_size':
      case 'info_queue_limit': case 'meta_compact': case 'meta_compact_size': case 'meta_compact_sync': case 'max_concurrent_io':
        break;
      case 'limits': {
        if (!(v instanceof ConfMap)) ctx.err(p, 'Expected a map for limits');
        for (const [lk, lv] of v.values) {
          const lp = v.keyPos.get(lk);
          switch (lk.toLowerCase()) {
            case 'max_ack_pending': js.max_ack_pending = int(ctx, lp, lv); break;
            case 'max_request_batch': js.max_request_batch = int(ctx, lp, lv); break;
            case 'duplicate_window': js.duplicate_window = duration(ctx, lp, lv, 'duplicate_window'); break;
            case 'max_ha_assets': case 'batch': break; // accepted and ignored (unsupported.ts)
            default: ctx.err(lp, `unknown field "${lk}"`);
          }
        }
        break;
      }
      default: ctx.err(p, `unknown field "${k}"`);
    }
  }
  o.jetstream_opts = js;
}

// ---------------------------------------------------------------- blocks

function applyAuthorization(ctx: Ctx, p: Pos | undefined, v: ConfValue, o: Options): void {
  forEachKey(ctx, p, v, 'authorization', (k, val, kp, raw) => {
    switch (k) {
      case 'user': case 'username': o.username = str(ctx, kp, val); break;
      case 'pass': case 'password': o.password = str(ctx, kp, val); break;
      case 'token': o.authorization = str(ctx, kp, val); break;
      case 'timeout': {
        let secs: number;
        if (typeof val === 'number') secs = val;
        else {
          const d = parseGoDuration(str(ctx, kp, val));
          if (d === null) ctx.err(kp, `error parsing authorization timeout: invalid duration "${String(val)}"`);
          secs = d / 1000;
        }
        o.auth_timeout = Math.round(secs * 1000);
        o.auth_timeout_set = true;
        break;
      }
      case 'users': {
        if (!Array.isArray(val)) ctx.err(kp, `Expected users field to be an array, got ${describe(val)}`);
        for (const u of val) {
          const spec = parseUser(ctx, kp, u);
          if (spec.nkey) o.nkeys.push(spec);
          else o.users.push(spec);
        }
        break;
      }
      case 'default_permission': case 'default_permissions': case 'permissions':
        o.default_permissions = parsePermissions(ctx, kp, val);
        break;
      case 'auth_callout': case 'auth_hook':
        o.auth_callout = parseAuthCallout(ctx, kp, val);
        break;
      case 'proxy_required':
        o.extra[`authorization.${k}`] = toPlain(val);
        break;
      default:
        ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  if (o.authorization && (o.username || o.users.length > 0)) ctx.err(p, 'Cannot have a user/pass and token');
}

export function parseTls(ctx: Ctx, p: Pos | undefined, v: ConfValue, client = false): TlsOptions {
  const t = defaultTlsOptions();
  forEachKey(ctx, p, v, 'tls', (k, val, kp, raw) => {
    switch (k) {
      case 'cert_file': t.cert_file = str(ctx, kp, val); break;
      case 'key_file': t.key_file = str(ctx, kp, val); break;
      case 'ca_file': t.ca_file = str(ctx, kp, val); break;
      case 'verify': t.verify = bool(ctx, kp, val); break;
      case 'verify_and_map': t.verify_and_map = bool(ctx, kp, val); if (t.verify_and_map) t.verify = true; break;
      case 'insecure': t.insecure = bool(ctx, kp, val); break;
      case 'timeout': {
        if (typeof val === 'number') t.timeout = Math.round(val * 1000);
        else {
          const d = parseGoDuration(str(ctx, kp, val));
          if (d === null) ctx.err(kp, `error parsing tls timeout`);
          t.timeout = d;
        }
        break;
      }
      case 'handshake_first': case 'first': case 'immediate': {
        if (typeof val === 'boolean') t.handshake_first = val;
        else {
          const s = str(ctx, kp, val);
          if (s.toLowerCase() === 'auto') t.handshake_first = 50;
          else {
            const d = parseGoDuration(s);
            if (d === null) ctx.err(kp, `field "${raw}" value "${s}" is invalid`);
            t.handshake_first = d;
          }
        }
        break;
      }
      case 'min_version': {
        const s = str(ctx, kp, val);
        if (s !== '1.2' && s !== '1.3') ctx.err(kp, `unsupported TLS version "${s}"`);
        t.min_version = s;
        break;
      }
      case 'cipher_suites': t.cipher_suites = strList(ctx, kp, val); break;
      case 'curve_preferences': t.curve_preferences = strList(ctx, kp, val); break;
      case 'pinned_certs': t.pinned_certs = strList(ctx, kp, val); break;
      case 'connection_rate_limit': t.connection_rate_limit = int(ctx, kp, val); break;
      case 'verify_cert_and_check_known_urls': case 'certs': case 'certificates': case 'cert_store': case 'cert_match_by': case 'cert_match':
      case 'ca_certs_match': case 'cert_match_skip_invalid': case 'ocsp_peer': case 'allow_insecure_cipher_suites':
        break;
      default:
        ctx.err(kp, `error parsing tls config, unknown field "${raw}"`);
    }
  });
  if (!client && (!t.cert_file || !t.key_file)) {
    ctx.err(p, `error parsing tls config, missing 'cert_file' or 'key_file'`);
  }
  return t;
}
