/**
 * The `websocket {}` block (alias `ws`), as Go's opts.go parseWebsocket reads
 * it, and the checks of Go's websocket.go validateWebsocketOptions.
 */
import { ConfMap, type ConfValue, type Pos } from './parser.js';
import { defaultWebsocketOptions, type Options, type TlsOptions, type WebsocketOptions } from './options.js';
import { parseGoDuration } from './durations.js';
import { ConfigError } from '../util/errors.js';
import { Ctx, bool, describe, duration, forEachKey, hostPort, int, str, strList } from './values.js';

type TlsParser = (ctx: Ctx, p: Pos | undefined, v: ConfValue, client?: boolean) => TlsOptions;

export function parseWebsocket(ctx: Ctx, p: Pos | undefined, v: ConfValue, parseTls: TlsParser): WebsocketOptions {
  if (!(v instanceof ConfMap)) ctx.err(p, `Expected websocket to be a map, got ${describe(v)}`);
  const o = defaultWebsocketOptions();
  forEachKey(ctx, p, v, 'websocket', (key, val, kp, raw) => {
    switch (key) {
      case 'listen': {
        const hp = hostPort(ctx, kp, val);
        o.host = hp.host;
        o.port = hp.port;
        break;
      }
      case 'port': o.port = int(ctx, kp, val); break;
      case 'host': case 'net': o.host = str(ctx, kp, val); break;
      case 'advertise': o.advertise = str(ctx, kp, val); break;
      case 'no_tls': o.no_tls = bool(ctx, kp, val); break;
      case 'tls': o.tls = parseTls(ctx, kp, val, true); break;
      case 'same_origin': o.same_origin = bool(ctx, kp, val); break;
      case 'allowed_origins': case 'allowed_origin': case 'allow_origins': case 'allow_origin': case 'origins': case 'origin':
        o.allowed_origins = strList(ctx, kp, val);
        break;
      case 'handshake_timeout': {
        // Go: an integer is seconds, a string a Go duration.
        if (typeof val === 'number') o.handshake_timeout = Math.trunc(val) * 1000;
        else if (typeof val === 'string') {
          const d = parseGoDuration(val);
          if (d === null) ctx.err(kp, `time: invalid duration "${val}"`);
          o.handshake_timeout = d;
        } else ctx.err(kp, `error parsing handshake timeout: unsupported type ${describe(val)}`);
        break;
      }
      case 'compress': case 'compression': o.compression = bool(ctx, kp, val); break;
      case 'authorization': case 'authentication': parseSimpleAuth(ctx, kp, val, o); break;
      case 'jwt_cookie': o.jwt_cookie = str(ctx, kp, val); break;
      case 'user_cookie': o.user_cookie = str(ctx, kp, val); break;
      case 'pass_cookie': o.pass_cookie = str(ctx, kp, val); break;
      case 'token_cookie': o.token_cookie = str(ctx, kp, val); break;
      case 'no_auth_user': o.no_auth_user = str(ctx, kp, val); break;
      case 'headers': {
        if (!(val instanceof ConfMap)) ctx.err(kp, `error parsing headers: unsupported type ${describe(val)}`);
        for (const [hk, hv] of val.values) {
          if (typeof hv !== 'string') ctx.err(val.keyPos.get(hk), `error parsing header key ${hk}: unsupported type ${describe(hv)}`);
          o.headers[hk] = hv;
        }
        break;
      }
      case 'ping_interval': duration(ctx, kp, val, 'ping_interval'); break;
      default: ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  return o;
}

/** The fields a listener's own `authorization {}` sets (websocket, mqtt). */
export interface SimpleAuthOptions {
  username: string;
  password: string;
  token: string;
  auth_timeout: number;
}

/** Go parseSimpleAuth: user, password, token and timeout of a listener's own `authorization {}`. */
export function parseSimpleAuth(ctx: Ctx, p: Pos | undefined, v: ConfValue, o: SimpleAuthOptions): void {
  forEachKey(ctx, p, v, 'authorization', (key, val, kp, raw) => {
    switch (key) {
      case 'user': case 'username': o.username = str(ctx, kp, val); break;
      case 'pass': case 'password': o.password = str(ctx, kp, val); break;
      case 'token': o.token = str(ctx, kp, val); break;
      case 'timeout': {
        if (typeof val === 'number') o.auth_timeout = val * 1000;
        else {
          const d = parseGoDuration(str(ctx, kp, val));
          if (d === null) ctx.err(kp, `error parsing authorization timeout: invalid duration "${String(val)}"`);
          o.auth_timeout = d;
        }
        break;
      }
      default: ctx.err(kp, `unknown field "${raw}"`);
    }
  });
}

/** Go validateWebsocketOptions: the errors a server refuses to start with. */
export function validateWebsocketOptions(o: Options): void {
  const wo = o.websocket;
  if (wo === undefined || wo.port === 0) return;
  if (wo.tls === undefined && !wo.no_tls) throw new ConfigError('websocket requires TLS configuration');
  for (const ao of wo.allowed_origins) {
    let u: URL;
    try {
      u = new URL(ao);
    } catch {
      throw new ConfigError(`unable to parse allowed origin: parse "${ao}": invalid URI for request`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new ConfigError(`unable to parse allowed origin "${ao}": allowed origins must be absolute URLs with http or https scheme`);
    }
    if (u.host === '') throw new ConfigError(`unable to parse allowed origin "${ao}": host is required`);
  }
  if (wo.no_auth_user) {
    // Go validateNoAuthUser
    if (o.operator_mode !== undefined && o.operator_mode.operator_jwts.length > 0) throw new ConfigError('no_auth_user not compatible with Trusted Operator');
    if (o.users.length === 0 && o.nkeys.length === 0) throw new ConfigError(`no_auth_user: "${wo.no_auth_user}" present, but users/nkeys are not defined`);
    const known = o.users.some((u) => u.user === wo.no_auth_user) || o.nkeys.some((u) => u.nkey === wo.no_auth_user);
    if (!known) {
      throw new ConfigError(`no_auth_user: "${wo.no_auth_user}" not present as user or nkey in authorization block or account configuration`);
    }
  }
  if (o.users.length > 0 || o.nkeys.length > 0) {
    if (wo.username) throw new ConfigError('websocket authentication username not compatible with presence of users/nkeys');
    if (wo.token) throw new ConfigError('websocket authentication token not compatible with presence of users/nkeys');
  }
  if (wo.jwt_cookie && (o.operator_mode === undefined || (o.operator_mode.operator_jwts.length === 0 && o.operator_mode.trusted_keys.length === 0))) {
    throw new ConfigError(`trusted operators or trusted keys configuration is required for JWT authentication via cookie "${wo.jwt_cookie}"`);
  }
  for (const key of Object.keys(wo.headers)) {
    const k = key.toLowerCase();
    if (k === 'host' || k === 'content-length' || k === 'connection' || k === 'upgrade' || k === 'nats-no-masking') {
      throw new ConfigError(`websocket: invalid header "${key}" not allowed`);
    }
    if (k.startsWith('sec-websocket-')) throw new ConfigError(`websocket: invalid header "${key}", "Sec-WebSocket-" prefix not allowed`);
  }
}
