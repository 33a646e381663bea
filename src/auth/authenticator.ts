/**
 * Single-account authentication (Go auth.go processClientOrLeafAuthentication
 * for configured users): nkey users, then users with passwords, then the
 * single token or user/password. `no_auth_user` logs in connections that give
 * no credentials as the named user.
 */
import type { Options, UserSpec, UserPermissionsSpec } from '../config/options.js';
import { GLOBAL_ACCOUNT } from '../accounts/account.js';
import { ConfigError } from '../util/errors.js';
import { comparePasswords } from './password.js';
import { verifyNonceSignature } from './nkeys.js';
import { Permissions } from './permissions.js';
import type { AuthRequest, AuthResult, Authenticator, ClientPermissions, ConnectionType } from './types.js';

const CONNECTION_TYPES = new Set<string>(['STANDARD', 'WEBSOCKET', 'LEAFNODE', 'LEAFNODE_WS', 'MQTT', 'MQTT_WS', 'IN_PROCESS']);

interface UserEntry {
  spec: UserSpec;
  perms: UserPermissionsSpec | undefined;
  types: Set<string> | null;
}

export class ConfiguredAuth implements Authenticator {
  readonly authRequired: boolean;
  readonly nonceRequired: boolean;
  private readonly users = new Map<string, UserEntry>();
  private readonly nkeys = new Map<string, UserEntry>();

  constructor(private readonly opts: Options) {
    const all = [...opts.users, ...opts.nkeys];
    for (const u of all) {
      const types = u.allowed_connection_types && u.allowed_connection_types.length > 0 ? new Set(u.allowed_connection_types.map((t) => t.toUpperCase())) : null;
      if (types) for (const t of types) if (!CONNECTION_TYPES.has(t)) throw new ConfigError(`invalid connection types [${t}]`);
      const entry: UserEntry = { spec: u, perms: u.permissions ?? opts.default_permissions, types };
      if (u.nkey) {
        if (this.nkeys.has(u.nkey)) throw new ConfigError(`duplicate nkey "${u.nkey}" detected`);
        this.nkeys.set(u.nkey, entry);
      } else if (u.user !== undefined) {
        if (this.users.has(u.user)) throw new ConfigError(`duplicate user "${u.user}" detected`);
        this.users.set(u.user, entry);
      }
    }
    if (opts.authorization && (opts.username || this.users.size > 0)) {
      throw new ConfigError('can not have a token and a users array');
    }
    if (opts.no_auth_user && !this.users.has(opts.no_auth_user) && !this.nkeys.has(opts.no_auth_user)) {
      throw new ConfigError(`no_auth_user: "${opts.no_auth_user}" not present as user or nkey in authorization block or account configuration`);
    }
    this.authRequired = !!opts.authorization || !!opts.username || this.users.size > 0 || this.nkeys.size > 0;
    this.nonceRequired = this.nkeys.size > 0;
  }

  private result(label: string, e: UserEntry | null): AuthResult {
    const perms: ClientPermissions | null = e && e.perms ? new Permissions(e.perms) : null;
    return { user: label, permissions: perms, account: e?.spec.account ?? GLOBAL_ACCOUNT };
  }

  private typeAllowed(e: UserEntry, t: ConnectionType): boolean {
    return e.types === null || e.types.has(t);
  }

  authenticate(req: AuthRequest): AuthResult | null {
    if (!this.authRequired) return { user: '', permissions: null, account: GLOBAL_ACCOUNT };
    const o = req.opts;
    if (this.nkeys.size > 0 && o.nkey) {
      const e = this.nkeys.get(o.nkey);
      if (!e || !this.typeAllowed(e, req.connectionType)) return null;
      if (req.nonce === null || !verifyNonceSignature(o.nkey, req.nonce, o.sig)) return null;
      return this.result(o.nkey, e);
    }
    if (this.users.size > 0 && o.user) {
      const e = this.users.get(o.user);
      if (!e || !this.typeAllowed(e, req.connectionType)) return null;
      if (!comparePasswords(e.spec.password ?? '', o.pass)) return null;
      return this.result(o.user, e);
    }
    if (this.opts.authorization) {
      return comparePasswords(this.opts.authorization, o.auth_token) ? this.result('', null) : null;
    }
    if (this.opts.username) {
      if (o.user !== this.opts.username) return null;
      if (!comparePasswords(this.opts.password ?? '', o.pass)) return null;
      return this.result(o.user, this.opts.default_permissions ? { spec: { user: o.user }, perms: this.opts.default_permissions, types: null } : null);
    }
    return null;
  }

  /**
   * The configured user (or nkey) of this name, without a password check:
   * for a name taken from a verified TLS client certificate (Go verify_and_map).
   */
  userByName(name: string, connectionType: ConnectionType): AuthResult | null {
    const e = this.users.get(name) ?? this.nkeys.get(name);
    if (e === undefined || !this.typeAllowed(e, connectionType)) return null;
    return this.result(name, e);
  }

  noAuthUser(req: AuthRequest): AuthResult | null {
    const name = this.opts.no_auth_user;
    if (!name) return null;
    const o = req.opts;
    if (o.user || o.pass || o.auth_token || o.nkey) return null;
    const n = this.nkeys.get(name);
    if (n) return this.typeAllowed(n, req.connectionType) ? this.result(name, n) : null;
    const u = this.users.get(name);
    if (u) return this.typeAllowed(u, req.connectionType) ? this.result(name, u) : null;
    return null;
  }
}

export function createAuthenticator(opts: Options): Authenticator {
  return new ConfiguredAuth(opts);
}
