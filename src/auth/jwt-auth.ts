/**
 * Operator mode (decentralized auth, Go auth.go processClientOrLeafAuthentication
 * with trusted keys, jwt.go validateTrustedOperators, accounts.go
 * updateAccountClaims). Clients log in with a user JWT plus the INFO nonce
 * signed by the user's nkey; the user's account JWT comes from the account
 * resolver and must be signed by a trusted operator key. Accounts are named
 * by their public key and created on first use.
 */
import type { Options } from '../config/options.js';
import type { Logger } from '../log/logger.js';
import type { Account } from '../accounts/account.js';
import { ConfigError } from '../util/errors.js';
import { verifyNonceSignature } from './nkeys.js';
import { Permissions } from './permissions.js';
import {
  claimTimeError, decodeJwt, expandTemplate, hasEmptyPermissions, isPublicKey, isRevoked, JwtError, permissionsFromJwt,
  validateSrc, validateTimes,
  type AccountNats, type Claims, type OperatorNats, type SigningKeyScope, type UserNats, type UserPermissionLimits,
} from './jwt.js';
import { DirAccResolver, MemAccResolver, type AccountResolver } from './resolver.js';
import type { AuthRequest, AuthResult, Authenticator, ClientPermissions } from './types.js';

const CONNECTION_TYPES = new Set(['STANDARD', 'WEBSOCKET', 'LEAFNODE', 'LEAFNODE_WS', 'MQTT', 'MQTT_WS', 'IN_PROCESS']);

/** What the authenticator needs of the server: live accounts, created on demand. */
export interface JwtAccountHost {
  readonly log: Logger;
  /** the server's account with this name, created when missing */
  ensureAccount(name: string): Account;
  /** an account JWT's expiry passed: disconnect its clients */
  accountExpired(name: string): void;
}

/** Live claims state of one JWT account (Go Account fields set by updateAccountClaims). */
export class JwtAccount {
  jwt = '';
  claims!: Claims<AccountNats>;
  /** signing keys of the account (its own key included, with no scope) */
  signingKeys = new Map<string, SigningKeyScope | null>();
  revocations: Record<string, number> | undefined = undefined;
  disallowBearer = false;
  expired = false;
  private expTimer: NodeJS.Timeout | null = null;

  constructor(readonly name: string, readonly account: Account) {}

  /** Go updateAccountClaims for the fields this server acts on; returns the signing keys that went away or changed scope. */
  apply(jwt: string, c: Claims<AccountNats>, onExpire: () => void): Set<string> {
    const old = this.signingKeys;
    this.jwt = jwt;
    this.claims = c;
    const keys = new Map<string, SigningKeyScope | null>();
    for (const k of c.nats.signing_keys ?? []) {
      if (typeof k === 'string') keys.set(k, null);
      else if (k && typeof k.key === 'string') keys.set(k.key, k.kind === 'user_scope' ? k : null);
    }
    keys.set(this.name, null);
    this.signingKeys = keys;
    const altered = new Set<string>();
    for (const [k, scope] of old) {
      const now = keys.get(k);
      if (now === undefined || JSON.stringify(now) !== JSON.stringify(scope)) altered.add(k);
    }
    const l = c.nats.limits ?? {};
    // Go keeps the JSON zero value of an absent limit: 0 is a real limit there.
    this.account.maxConnections = l.conn ?? 0;
    this.account.maxSubscriptions = l.subs ?? 0;
    this.account.maxPayload = l.payload ?? 0;
    this.disallowBearer = !!l.disallow_bearer;
    const revs = c.nats.revocations;
    this.revocations = revs && Object.keys(revs).length > 0 ? { ...revs } : undefined;
    this.setExpiration(c.exp ?? 0, onExpire);
    return altered;
  }

  private setExpiration(exp: number, onExpire: () => void): void {
    if (this.expTimer !== null) clearTimeout(this.expTimer);
    this.expTimer = null;
    if (exp === 0) {
      this.expired = false;
      return;
    }
    const left = exp * 1000 - Date.now();
    if (left <= 0) {
      this.expired = true;
      return;
    }
    this.expired = false;
    this.expTimer = setTimeout(() => {
      this.expTimer = null;
      this.expired = true;
      onExpire();
    }, Math.min(left, 2 ** 31 - 1));
    this.expTimer.unref?.();
  }

  stop(): void {
    if (this.expTimer !== null) clearTimeout(this.expTimer);
    this.expTimer = null;
  }
}

export class OperatorAuth implements Authenticator {
  readonly authRequired = true;
  readonly nonceRequired = true;
  /** decoded trusted operator JWTs */
  readonly operators: Claims<OperatorNats>[] = [];
  /** every key whose signature makes an account JWT trusted */
  readonly trustedKeys = new Set<string>();
  readonly resolver: AccountResolver;
  /** the system account public key ('' when none) */
  readonly systemAccount: string;
  private readonly jwtAccounts = new Map<string, JwtAccount>();
  private host: JwtAccountHost | null = null;

  constructor(opts: Options) {
    const m = opts.operator_mode;
    if (!m) throw new ConfigError('operator mode not configured');
    for (const jwt of m.operator_jwts) {
      try {
        const c = decodeJwt<OperatorNats>(jwt, 'operator');
        this.operators.push(c);
      } catch (e) {
        throw new ConfigError(`error parsing operator JWT: ${(e as Error).message}`);
      }
    }
    let sys = opts.system_account ?? '';
    if (this.operators.length === 1 && !sys) sys = this.operators[0].nats.system_account ?? '';
    this.systemAccount = sys;
    this.resolver = this.validate(opts, sys);
    for (const op of this.operators) {
      if (!op.nats.strict_signing_key_usage) this.trustedKeys.add(op.sub);
      for (const k of op.nats.signing_keys ?? []) this.trustedKeys.add(k);
    }
    for (const k of m.trusted_keys) this.trustedKeys.add(k);
    for (const k of this.trustedKeys) {
      if (!isPublicKey(k, 'O')) throw new ConfigError(`trusted Keys "${k}" are required to be a valid public operator nkey`);
    }
    for (const [k, v] of Object.entries(m.resolver_preload)) {
      try {
        decodeJwt<AccountNats>(v, 'account');
      } catch (e) {
        throw new ConfigError(`preload account error for "${k}": ${(e as Error).message}`);
      }
      this.resolver.storeIfNewer(k, v);
    }
  }

  /** Go validateTrustedOperators (the rules this server has the options for) and the resolver. */
  private validate(opts: Options, sys: string): AccountResolver {
    const m = opts.operator_mode!;
    const r = m.resolver;
    if (this.operators.length > 0 || m.trusted_keys.length > 0) {
      if (r === undefined) throw new ConfigError('operators require an account resolver to be configured');
      if (opts.accounts.length > 0) throw new ConfigError('operators do not allow Accounts to be configured directly');
      if (opts.users.length > 0 || opts.nkeys.length > 0) throw new ConfigError('operators do not allow users to be configured directly');
      if (opts.auth_callout !== undefined) throw new ConfigError('operators do not allow authorization callouts to be configured directly');
      if (this.operators.length > 0 && m.trusted_keys.length > 0) throw new ConfigError("conflicting options for 'TrustedKeys' and 'TrustedOperators'");
      if (opts.system_account && this.operators.some((o) => o.nats.system_account) && !this.operators.some((o) => o.nats.system_account === opts.system_account)) {
        throw new ConfigError('system_account in config and operator JWT must be identical');
      }
      if (!sys && r.type === 'full') {
        throw new ConfigError('using nats based account resolver - the system account needs to be specified in configuration or the operator jwt');
      }
    }
    if (r === undefined) throw new ConfigError('operators require an account resolver to be configured');
    if (r.type === 'memory') return new MemAccResolver();
    if (r.type === 'full') return new DirAccResolver({ dir: r.dir, allow_delete: r.allow_delete, interval: r.interval || 60_000, limit: r.limit, timeout: r.timeout || 1900 });
    throw new ConfigError(`account resolver type "${r.type}" is not supported by this server (use MEMORY or a full nats resolver)`);
  }

  attach(host: JwtAccountHost): void {
    this.host = host;
  }

  isTrustedIssuer(key: string): boolean {
    return this.trustedKeys.has(key);
  }

  /** Decode and check an account JWT (Go verifyAccountClaims). Throws JwtError. */
  verifyAccountJwt(jwt: string): Claims<AccountNats> {
    const c = decodeJwt<AccountNats>(jwt, 'account');
    if (!this.isTrustedIssuer(c.iss)) throw new JwtError('account validation failed');
    if (claimTimeError(c) !== null) throw new JwtError('account validation failed');
    return c;
  }

  /** The live JWT account, loading it from the resolver on first use (Go LookupAccount/fetchAccount). */
  lookupAccount(name: string): JwtAccount | null {
    const have = this.jwtAccounts.get(name);
    if (have !== undefined) return have;
    const host = this.host;
    if (host === null || !isPublicKey(name, 'A')) return null;
    const jwt = this.resolver.fetch(name);
    if (jwt === null) {
      host.log.debug(`Account JWT lookup error: account "${name}" not found`);
      return null;
    }
    let c: Claims<AccountNats>;
    try {
      c = this.verifyAccountJwt(jwt);
    } catch (e) {
      host.log.debug(`Account JWT lookup error: ${(e as Error).message}`);
      return null;
    }
    if (c.sub !== name) return null;
    const ja = new JwtAccount(name, host.ensureAccount(name));
    ja.apply(jwt, c, () => host.accountExpired(name));
    this.jwtAccounts.set(name, ja);
    return ja;
  }

  /** A loaded account, without touching the resolver. */
  loadedAccount(name: string): JwtAccount | null {
    return this.jwtAccounts.get(name) ?? null;
  }

  /**
   * New claims for an account that is in use: verify and apply them. Returns
   * the account and the signing keys that were removed or re-scoped, or throws.
   * Accounts not loaded yet pick the JWT up from the resolver on first use.
   */
  updateAccount(name: string, jwt: string): { ja: JwtAccount; altered: Set<string> } | null {
    const ja = this.jwtAccounts.get(name);
    if (ja === undefined || this.host === null) return null;
    const c = this.verifyAccountJwt(jwt);
    if (c.sub !== name) throw new JwtError('subject does not match jwt content');
    const host = this.host;
    return { ja, altered: ja.apply(jwt, c, () => host.accountExpired(name)) };
  }

  stop(): void {
    for (const ja of this.jwtAccounts.values()) ja.stop();
  }

  authenticate(req: AuthRequest): AuthResult | null {
    const log = this.host?.log;
    const o = req.opts;
    const fail = (why: string): null => {
      if (log?.debugEnabled) log.debug(why);
      return null;
    };
    if (!o.jwt) return fail('Authentication requires a user JWT');
    let juc: Claims<UserNats>;
    try {
      juc = decodeJwt<UserNats>(o.jwt, 'user');
    } catch (e) {
      return fail(`User JWT not valid: ${(e as Error).message}`);
    }
    const te = claimTimeError(juc);
    if (te !== null) return fail(`User JWT no longer valid: ${te}`);
    const issuerAccount = juc.nats.issuer_account;
    if (issuerAccount !== undefined && issuerAccount !== '' && !isPublicKey(issuerAccount, 'A')) return fail('User JWT not valid: issuer_account is not an account');
    const accName = issuerAccount || juc.iss;
    const ja = this.lookupAccount(accName);
    if (ja === null) return fail('Account JWT lookup error');
    if (!this.isTrustedIssuer(ja.claims.iss)) return fail('Account JWT not signed by trusted operator');
    if (!ja.signingKeys.has(juc.iss)) return fail('User JWT issuer is not known');
    let ul: UserPermissionLimits = juc.nats;
    const scope = ja.signingKeys.get(juc.iss) ?? null;
    if (scope !== null) {
      if (!hasEmptyPermissions(juc.nats)) return fail('User JWT is not valid: scoped users require no permissions or limits set');
      try {
        ul = expandTemplate(scope.template ?? {}, juc, { name: ja.claims.name ?? '', subject: ja.name, tags: ja.claims.nats.tags ?? [] });
      } catch {
        return fail('User JWT generated invalid permissions');
      }
    }
    if (ja.expired) return fail('Account JWT has expired');
    if (ul.bearer_token && ja.disallowBearer) return fail('Account does not allow bearer tokens');
    const types = (ul.allowed_connection_types ?? []).map((t) => t.toUpperCase());
    if (types.length > 0) {
      const known = types.filter((t) => CONNECTION_TYPES.has(t));
      if (known.length === 0 || !known.includes(req.connectionType)) return fail('Connection type not allowed');
    }
    if (!ul.bearer_token) {
      if (!o.sig) return fail('Signature missing');
      if (req.nonce === null || !verifyNonceSignature(juc.sub, req.nonce, o.sig)) return fail('Signature not verified');
    }
    if (isRevoked(ja.revocations, juc.sub, juc.iat)) return fail('User authentication revoked');
    if (!validateSrc(ul, req.host ?? '')) {
      log?.error(`Bad src Ip ${req.host ?? ''}`);
      return null;
    }
    const times = validateTimes(ul);
    if (!times.ok) {
      log?.error('Outside connect times');
      return null;
    }
    let spec = permissionsFromJwt(ul);
    if (spec === null) spec = permissionsFromJwt(ja.claims.nats.default_permissions);
    const perms: ClientPermissions | null = spec ? new Permissions(spec) : null;
    let expiresAt = juc.exp && juc.exp > 0 ? juc.exp * 1000 : 0;
    if (times.validForMs > 0) {
      const end = Date.now() + times.validForMs;
      if (expiresAt === 0 || end < expiresAt) expiresAt = end;
    }
    return {
      user: juc.sub,
      permissions: perms,
      account: ja.name,
      jwt: {
        pub: juc.sub,
        issuedAt: juc.iat,
        signingKey: issuerAccount ? juc.iss : '',
        bearer: !!ul.bearer_token,
        subs: ul.subs ?? 0,
        payload: ul.payload ?? 0,
        expiresAt,
      },
    };
  }

  noAuthUser(_req: AuthRequest): AuthResult | null {
    return null;
  }

  /** Is a logged-in user revoked or otherwise no longer allowed by its account's current claims? */
  checkUser(ja: JwtAccount, u: { pub: string; issuedAt: number; bearer: boolean }): 'ok' | 'revoked' | 'bearer' {
    if (u.bearer && ja.disallowBearer) return 'bearer';
    if (isRevoked(ja.revocations, u.pub, u.issuedAt)) return 'revoked';
    return 'ok';
  }
}

/** Operator mode is on when operators or trusted keys are configured. */
export function isOperatorMode(opts: Options): boolean {
  const m = opts.operator_mode;
  return !!m && (m.operator_jwts.length > 0 || m.trusted_keys.length > 0);
}
