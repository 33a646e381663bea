/**
 * Operator-mode config keys (Go opts.go processConfigFileLine cases
 * `operator`, `trusted_keys`, `resolver`, `resolver_preload`). Only shapes
 * and files are handled here; the JWTs themselves are verified when the
 * server builds its authenticator (auth/jwt-auth.ts), where the other
 * operator-mode rules of Go's validateTrustedOperators are checked too.
 */
import { readFileSync } from 'node:fs';
import { ConfMap, type ConfValue, type Pos } from './parser.js';
import { parseGoDuration } from './durations.js';
import type { OperatorModeOptions, Options, ResolverOptions } from './options.js';
import { type Ctx, bool, describe, int, str } from './values.js';

/** All encoded JWTs start with this (base64 of `{"`). */
const JWT_PREFIX = 'eyJ';

function mode(o: Options): OperatorModeOptions {
  if (!o.operator_mode) o.operator_mode = { operator_jwts: [], trusted_keys: [], resolver_preload: {} };
  return o.operator_mode;
}

/**
 * A decorated JWT (creds-style `-----BEGIN ... JWT-----` block) or a bare one
 * (Go jwt.ParseDecoratedJWT).
 */
export function parseDecoratedJwt(text: string): string {
  const m = /-{3,}[^\n]*JWT[^\n]*-{3,}\r?\n([\s\S]*?)\r?\n\s*-{3,}/.exec(text);
  return (m ? m[1] : text).trim();
}

/** Read an operator JWT: a file path, or the JWT itself inline (Go readOperatorJWT). */
export function readOperatorJwt(ctx: Ctx, p: Pos | undefined, ref: string): string {
  let text: string;
  try {
    text = readFileSync(ref, 'utf8');
  } catch (e) {
    if (!ref.startsWith(JWT_PREFIX)) return ctx.err(p, `error parsing operator JWT: ${(e as Error).message}`);
    text = ref;
  }
  return parseDecoratedJwt(text);
}

export function parseOperatorKey(ctx: Ctx, p: Pos | undefined, v: ConfValue, o: Options): void {
  let refs: string[];
  if (typeof v === 'string') refs = [v];
  else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) refs = v as string[];
  else return ctx.err(p, `error parsing operators: unsupported type ${describe(v)}`);
  mode(o).operator_jwts = refs.map((r) => readOperatorJwt(ctx, p, r));
}

export function parseTrustedKeys(ctx: Ctx, p: Pos | undefined, v: ConfValue, o: Options): void {
  let keys: string[];
  if (typeof v === 'string') keys = [v];
  else if (Array.isArray(v)) keys = v.map((x) => (typeof x === 'string' ? x : ctx.err(p, `error parsing trusted: unsupported type in array ${describe(x)}`)));
  else return ctx.err(p, `error parsing trusted: unsupported type ${describe(v)}`);
  for (const k of keys) {
    if (!/^O[A-Z2-7]{55}$/.test(k)) ctx.err(p, `trust key "${k}" required to be a valid public operator nkey`);
  }
  mode(o).trusted_keys = keys;
}

const RESOLVER_ERR = 'error parsing account resolver, should be MEM or  URL("url") or a map containing dir and type state=[FULL|CACHE])';

export function parseResolver(ctx: Ctx, p: Pos | undefined, v: ConfValue, o: Options): void {
  let r: ResolverOptions | undefined;
  if (typeof v === 'string') {
    if (/(MEM|MEMORY)\s*/i.test(v)) r = { type: 'memory' };
    else {
      const m = /URL\(\s*"?([^\s"]*)"?\s*\)/i.exec(v);
      if (m) r = { type: 'url', url: m[1] };
    }
  } else if (v instanceof ConfMap) {
    const get = (k: string): [ConfValue | undefined, Pos | undefined] => {
      for (const [key, val] of v.values) if (key.toLowerCase() === k) return [val, v.keyPos.get(key)];
      return [undefined, undefined];
    };
    const dur = (k: string): number => {
      const [x, kp] = get(k);
      if (x === undefined) return 0;
      const d = parseGoDuration(str(ctx, kp, x));
      if (d === null) ctx.err(kp ?? p, `time: invalid duration "${String(x)}"`);
      return d;
    };
    const [dirV, dirP] = get('dir');
    const [typeV, typeP] = get('type');
    const [delV, delP] = get('allow_delete');
    const [limV, limP] = get('limit');
    const dir = dirV === undefined ? '' : str(ctx, dirP, dirV);
    const type = typeV === undefined ? '' : str(ctx, typeP, typeV).toUpperCase();
    const allowDelete = delV === undefined ? false : bool(ctx, delP, delV);
    const limit = limV === undefined ? 0 : int(ctx, limP, limV);
    const ttl = dur('ttl');
    const interval = dur('interval');
    const timeout = dur('timeout');
    if (dir === '') ctx.err(p, 'dir has no value and needs to point to a directory');
    if (type === 'CACHE') {
      if (interval !== 0) ctx.err(p, 'CACHE does not accept sync');
      if (allowDelete) ctx.err(p, 'CACHE does not accept allow_delete');
      r = { type: 'cache', dir, allow_delete: false, interval: 0, limit, timeout, ttl };
    } else if (type === 'FULL') {
      if (ttl !== 0) ctx.err(p, 'FULL does not accept ttl');
      r = { type: 'full', dir, allow_delete: allowDelete, interval, limit, timeout, ttl: 0 };
    }
  } else {
    return ctx.err(p, `error parsing operator resolver, wrong type ${describe(v)}`);
  }
  if (r === undefined) ctx.err(p, RESOLVER_ERR);
  mode(o).resolver = r;
}

export function parseResolverPreload(ctx: Ctx, p: Pos | undefined, v: ConfValue, o: Options): void {
  if (!(v instanceof ConfMap)) return ctx.err(p, 'preload should be a map of account_public_key:account_jwt');
  const out: Record<string, string> = {};
  for (const [k, x] of v.values) {
    if (v.usedVars.has(k)) continue;
    const kp = v.keyPos.get(k) ?? p;
    if (typeof x !== 'string') ctx.err(kp, 'preload map value should be a string JWT');
    if (!x.startsWith(JWT_PREFIX) || x.split('.').length !== 3) ctx.err(kp, 'invalid account JWT');
    out[k] = x;
  }
  mode(o).resolver_preload = out;
}
