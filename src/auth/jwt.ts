/**
 * NATS JWTs (the nats-io/jwt v2 format used by operator mode): decoding with
 * signature verification over nkeys, the claim shapes the server reads (wire
 * snake_case, as nsc and @nats-io/jwt write them), time validity, revocation
 * and the user restrictions Go checks at connect (jwt.go validateSrc,
 * validateTimes). Decoded claims keep Go's zero values: a field absent from
 * the JSON reads as 0, exactly as the Go server's json.Unmarshal leaves it.
 */
import { createHash } from 'node:crypto';
import { isIP, BlockList } from 'node:net';
import { fromPublic } from '@nats-io/nkeys';
import type { UserPermissionsSpec } from '../config/options.js';

/** Go jwt.All: the revocation key that revokes every user issued before its time. */
export const REVOKE_ALL = '*';

export interface JwtPermission {
  allow?: string[];
  deny?: string[];
}

export interface JwtPermissions {
  pub?: JwtPermission;
  sub?: JwtPermission;
  resp?: { max?: number; ttl?: number };
}

export interface JwtTimeRange {
  start?: string;
  end?: string;
}

/** User permissions and limits (jwt.UserPermissionLimits). */
export interface UserPermissionLimits extends JwtPermissions {
  subs?: number;
  data?: number;
  payload?: number;
  src?: string[] | string;
  times?: JwtTimeRange[];
  locale?: string;
  bearer_token?: boolean;
  allowed_connection_types?: string[];
}

export interface UserNats extends UserPermissionLimits {
  type?: string;
  version?: number;
  issuer_account?: string;
  tags?: string[];
}

export interface SigningKeyScope {
  kind: string;
  key: string;
  role?: string;
  template?: UserPermissionLimits;
}

export interface AccountNats {
  type?: string;
  version?: number;
  limits?: {
    subs?: number;
    data?: number;
    payload?: number;
    conn?: number;
    leaf?: number;
    imports?: number;
    exports?: number;
    wildcards?: boolean;
    disallow_bearer?: boolean;
  };
  signing_keys?: (string | SigningKeyScope)[];
  revocations?: Record<string, number>;
  default_permissions?: JwtPermissions;
  tags?: string[];
}

export interface OperatorNats {
  type?: string;
  version?: number;
  signing_keys?: string[];
  system_account?: string;
  account_server_url?: string;
  strict_signing_key_usage?: boolean;
}

export interface Claims<T> {
  jti?: string;
  iat: number;
  iss: string;
  sub: string;
  name?: string;
  aud?: string;
  exp?: number;
  nbf?: number;
  nats: T;
}

export type ClaimType = 'operator' | 'account' | 'user' | 'authorization_response';

/** Public-key prefix letters of subject and issuer for each claim type (jwt v2 ExpectedPrefixes). */
const SUBJECT_PREFIX: Record<ClaimType, string> = { operator: 'O', account: 'A', user: 'U', authorization_response: 'U' };
const ISSUER_PREFIX: Record<ClaimType, string> = { operator: 'O', account: 'O', user: 'A', authorization_response: 'A' };

export class JwtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtError';
  }
}

/** Is `key` a valid public nkey with this prefix letter (O, A, U, ...)? */
export function isPublicKey(key: unknown, prefix: string): key is string {
  if (typeof key !== 'string' || key.length !== 56 || key[0] !== prefix) return false;
  try {
    fromPublic(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decode a JWT and verify its signature against its issuer. Accepts v2
 * (`ed25519-nkey`: signature over header.payload) and v1 (`ed25519`:
 * signature over the payload). Throws JwtError.
 */
export function decodeJwt<T>(token: string, type: ClaimType): Claims<T> {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new JwtError('expected 3 chunks');
  let header: { typ?: string; alg?: string };
  let claims: Claims<T> & { type?: string };
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw new JwtError('invalid JWT encoding');
  }
  if (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT') throw new JwtError(`not supported type "${String(header.typ)}"`);
  const v2 = header.alg === 'ed25519-nkey';
  if (!v2 && header.alg?.toLowerCase() !== 'ed25519') throw new JwtError(`unexpected "${String(header.alg)}" algorithm`);
  if (claims === null || typeof claims !== 'object' || typeof claims.nats !== 'object' || claims.nats === null) {
    if (claims && typeof claims === 'object') claims.nats = {} as T;
    else throw new JwtError('invalid JWT claims');
  }
  const ctype = (claims.nats as { type?: string }).type ?? claims.type;
  if (ctype !== type) throw new JwtError(`not ${type} claim`);
  if (!isPublicKey(claims.iss, ISSUER_PREFIX[type])) throw new JwtError(`invalid issuer`);
  if (!isPublicKey(claims.sub, SUBJECT_PREFIX[type])) throw new JwtError(`invalid subject`);
  const signed = Buffer.from(v2 ? `${parts[0]}.${parts[1]}` : parts[1], 'latin1');
  const sig = Buffer.from(parts[2], 'base64url');
  let ok = false;
  try {
    ok = fromPublic(claims.iss).verify(signed, sig);
  } catch {
    ok = false;
  }
  if (!ok) throw new JwtError('claim failed V2 signature verification');
  if (typeof claims.iat !== 'number') claims.iat = 0;
  return claims;
}

/** A blocking time problem of a claim (jwt ClaimsData.Validate time checks), or null. */
export function claimTimeError(c: { exp?: number; nbf?: number }, nowSec = Math.floor(Date.now() / 1000)): string | null {
  if (c.exp !== undefined && c.exp > 0 && nowSec > c.exp) return 'claim is expired';
  if (c.nbf !== undefined && c.nbf > 0 && c.nbf > nowSec) return 'claim is not yet valid';
  return null;
}

/** Go isRevoked: revoked when the user's (or the wildcard's) revocation time is at or after its issue time. */
export function isRevoked(revocations: Record<string, number> | undefined, subject: string, issuedAt: number): boolean {
  if (!revocations) return false;
  const t = revocations[subject];
  if (t !== undefined && t >= issuedAt) return true;
  const all = revocations[REVOKE_ALL];
  return all !== undefined && all >= issuedAt;
}

function srcList(src: string[] | string | undefined): string[] {
  if (src === undefined) return [];
  if (typeof src === 'string') return src.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return src;
}

/** Go validateSrc: the client's address must fall in one of the user's CIDRs (when any are listed). */
export function validateSrc(u: UserPermissionLimits, host: string): boolean {
  const list = srcList(u.src);
  if (list.length === 0) return true;
  let ip = host;
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
  const fam = isIP(ip);
  if (fam === 0) return false;
  for (const cidr of list) {
    const [net, bitsStr] = cidr.split('/');
    const nfam = isIP(net);
    if (nfam === 0) return false;
    const bits = bitsStr === undefined ? (nfam === 4 ? 32 : 128) : Number(bitsStr);
    const bl = new BlockList();
    bl.addSubnet(net, bits, nfam === 4 ? 'ipv4' : 'ipv6');
    if (bl.check(ip, fam === 4 ? 'ipv4' : 'ipv6')) return true;
  }
  return false;
}

function parseClock(s: string | undefined): number | null {
  const m = /^(\d{2}):(\d{2}):(\d{2})$/.exec(s ?? '');
  if (!m) return null;
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000;
}

/**
 * Go validateTimes: with `times` ranges, is now inside one, and for how many
 * ms more (0 = no restriction). Ranges are read in server local time; a
 * `locale` other than the server's is not supported and refuses the login.
 */
export function validateTimes(u: UserPermissionLimits, now = new Date()): { ok: boolean; validForMs: number } {
  const times = u.times ?? [];
  if (times.length === 0) return { ok: true, validForMs: 0 };
  if (u.locale && u.locale !== Intl.DateTimeFormat().resolvedOptions().timeZone && u.locale !== 'Local') return { ok: false, validForMs: 0 };
  const day = (now.getHours() * 3600 + now.getMinutes() * 60 + now.getSeconds()) * 1000 + now.getMilliseconds();
  let ok = false;
  let validFor = 0;
  for (const r of times) {
    const start = parseClock(r.start);
    const end = parseClock(r.end);
    if (start === null || end === null) return { ok: false, validForMs: 0 };
    let left = -1;
    if (start <= end) {
      if (day >= start && day < end) left = end - day;
    } else if (day >= start) {
      left = 86400000 - day + end; // range crosses midnight
    } else if (day < end) {
      left = end - day;
    }
    if (left >= 0 && (!ok || left > validFor)) {
      ok = true;
      validFor = left;
    }
  }
  return { ok, validForMs: validFor };
}

/** jwt.Permissions -> the config permission shape (Go buildPermissionsFromJwt). null when nothing is restricted. */
export function permissionsFromJwt(p: JwtPermissions | undefined): UserPermissionsSpec | null {
  if (!p) return null;
  const spec: UserPermissionsSpec = {};
  let any = false;
  const side = (x: JwtPermission | undefined) => {
    if (!x) return undefined;
    const allow = x.allow && x.allow.length > 0 ? [...x.allow] : undefined;
    const deny = x.deny && x.deny.length > 0 ? [...x.deny] : undefined;
    if (!allow && !deny) return undefined;
    any = true;
    return { allow, deny };
  };
  spec.publish = side(p.pub);
  spec.subscribe = side(p.sub);
  if (p.resp && typeof p.resp === 'object') {
    // Go: any `resp` object turns response permissions on (zero values take the defaults).
    any = true;
    // jwt resp.ttl is a Go duration in nanoseconds.
    spec.allow_responses = { max: p.resp.max ?? 0, expires: Math.round((p.resp.ttl ?? 0) / 1e6) };
  }
  if (!spec.publish) delete spec.publish;
  if (!spec.subscribe) delete spec.subscribe;
  return any ? spec : null;
}

/** Are a scoped user's own permissions and limits empty (jwt UserClaims.HasEmptyPermissions)? */
export function hasEmptyPermissions(u: UserNats): boolean {
  const emptyList = (l: string[] | undefined) => l === undefined || l === null || l.length === 0;
  const emptySide = (x: JwtPermission | undefined) => !x || (emptyList(x.allow) && emptyList(x.deny));
  return (
    emptySide(u.pub) &&
    emptySide(u.sub) &&
    (!u.resp || ((u.resp.max ?? 0) === 0 && (u.resp.ttl ?? 0) === 0)) &&
    (u.subs ?? 0) === 0 &&
    (u.data ?? 0) === 0 &&
    (u.payload ?? 0) === 0 &&
    srcList(u.src).length === 0 &&
    (u.times ?? []).length === 0 &&
    !u.locale &&
    !u.bearer_token &&
    (u.allowed_connection_types ?? []).length === 0
  );
}

/**
 * Expand a scope template's subjects for one user (Go processUserPermissionsTemplate):
 * {{name()}}, {{subject()}}, {{account-name()}}, {{account-subject()}},
 * {{tag(x)}} and {{account-tag(x)}} (every matching tag value, cartesian). Throws JwtError.
 */
export function expandTemplate(
  tpl: UserPermissionLimits,
  user: Claims<UserNats>,
  account: { name: string; subject: string; tags: string[] },
): UserPermissionLimits {
  const userTags = user.nats.tags ?? [];
  const values = (fn: string, arg: string): string[] => {
    switch (fn) {
      case 'name': return [user.name ?? ''];
      case 'subject': return [user.sub];
      case 'account-name': return [account.name];
      case 'account-subject': return [account.subject];
      case 'tag': case 'account-tag': {
        const tags = fn === 'tag' ? userTags : account.tags;
        const pre = `${arg.toLowerCase()}:`;
        const out = tags.filter((t) => t.toLowerCase().startsWith(pre)).map((t) => t.slice(pre.length));
        if (out.length === 0) throw new JwtError(`generated invalid subject`);
        return out;
      }
      default: throw new JwtError(`template operation in "${fn}" is not supported`);
    }
  };
  const expandOne = (s: string): string[] => {
    const m = /\{\{\s*([a-z-]+)\(([^)]*)\)\s*\}\}/.exec(s);
    if (!m) return [s];
    const out: string[] = [];
    for (const v of values(m[1], m[2].trim())) out.push(...expandOne(s.slice(0, m.index) + v + s.slice(m.index + m[0].length)));
    return out;
  };
  const list = (l: string[] | undefined) => (l ? l.flatMap(expandOne) : l);
  const side = (x: JwtPermission | undefined) => (x ? { allow: list(x.allow), deny: list(x.deny) } : x);
  return { ...tpl, pub: side(tpl.pub), sub: side(tpl.sub) };
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (the JWT id encoding of nats-io/jwt). */
function base32NoPad(b: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Encode and sign a v2 JWT (`ed25519-nkey`: signature over header.payload).
 * `iat` and `jti` are filled in when absent; the id is the SHA-512/256 of the
 * claims without it, base32 encoded, as nats-io/jwt computes it.
 */
export function encodeJwt(claims: Record<string, unknown>, sign: (data: Uint8Array) => Uint8Array): string {
  if (claims.iat === undefined) claims.iat = Math.floor(Date.now() / 1000);
  if (claims.jti === undefined) {
    claims.jti = '';
    claims.jti = base32NoPad(createHash('sha512-256').update(JSON.stringify(claims)).digest());
  }
  const head = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signed = `${head}.${body}`;
  return `${signed}.${Buffer.from(sign(Buffer.from(signed, 'latin1'))).toString('base64url')}`;
}
