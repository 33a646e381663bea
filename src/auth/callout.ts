/**
 * Authorization callout in server-config mode (Go auth_callout.go
 * processClientOrLeafCallout and the delegation rules at the end of auth.go
 * processClientOrLeafAuthentication; ADR-26). A client that is not one of
 * `auth_users` is authenticated by a service: the server sends an
 * `authorization_request` JWT, signed with its own server key, to
 * `$SYS.REQ.USER.AUTH` in the callout account, and waits (up to the auth
 * timeout) for an `authorization_response` JWT carrying either an error or a
 * user JWT for the one-time user nkey it generated. The user JWT must be
 * issued by the configured issuer; its audience names the account the client
 * is placed in, and its permissions and expiry apply to the connection.
 *
 * Nothing here touches sockets: the server supplies a `CalloutHost` that
 * subscribes and publishes through an internal client.
 */
import { randomBytes } from 'node:crypto';
import { createCurve, createUser, type KeyPair } from '@nats-io/nkeys';
import type { AuthCalloutSpec, UserPermissionsSpec } from '../config/options.js';
import type { Logger } from '../log/logger.js';
import { Permissions } from './permissions.js';
import {
  claimTimeError, decodeJwt, encodeJwt, isPublicKey, permissionsFromJwt, validateTimes,
  type Claims, type UserNats,
} from './jwt.js';
import type { AuthResult, ConnectOptions } from './types.js';

export const AUTH_CALLOUT_SUBJECT = '$SYS.REQ.USER.AUTH';
/** audience of every request JWT */
const AUTH_REQUEST_AUDIENCE = 'nats-authorization-request';
export const AUTH_REQUEST_XKEY_HEADER = 'Nats-Server-Xkey';
const KNOWN_CONNECTION_TYPES = new Set(['STANDARD', 'WEBSOCKET', 'LEAFNODE', 'LEAFNODE_WS', 'MQTT', 'MQTT_WS', 'IN_PROCESS']);

/** What the callout needs of the server. */
export interface CalloutHost {
  readonly log: Logger;
  /** the server's public id (an `N...` nkey): audience of every response */
  readonly id: string;
  /** `server_id` of the request: name, host, id, version, cluster, tags */
  serverIdentity(): { name: string; host: string; id: string; version: string; cluster?: string; tags?: string[] };
  /** sign with the server's own nkey */
  sign(data: Uint8Array): Uint8Array;
  authTimeoutMs(): number;
  hasAccount(name: string): boolean;
  /** the account's `default_permissions`, for users issued without permissions */
  accountDefaultPermissions(name: string): UserPermissionsSpec | undefined;
  /** Subscribe in an account; returns the unsubscribe function. `payload` may be a view: copy to keep. */
  subscribe(account: string, subject: string, cb: (payload: Buffer) => void): () => void;
  publish(account: string, subject: string, reply: string, hdr: Buffer | null, payload: Buffer): void;
}

/** What the server knows of the connection asking to be authorized (jwt ClientInformation, ConnectOptions, ClientTLS). */
export interface CalloutClient {
  cid: number;
  host: string;
  /** Go getRawAuthUser: nkey, user name, or "[REDACTED]" for a token */
  rawUser: string;
  opts: ConnectOptions;
  nonce: string | null;
  /** "Client" */
  kind: string;
  /** "nats" */
  type: string;
  tls: { version: string; cipher: string; certs: string[] } | null;
}

/** Result of one callout: the login, or null with the reason (empty on timeout). */
export type CalloutOutcome = { result: AuthResult; reason: '' } | { result: null; reason: string };

/** Go titleCase: the reason's first letter upper-cased. */
function titleCase(s: string): string {
  return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1);
}

interface ResponseNats {
  jwt?: string;
  error?: string;
  issuer_account?: string;
  type?: string;
  version?: number;
}

export class AuthCallout {
  /** server curve key pair when requests are encrypted (spec.xkey set) */
  private readonly xkp: KeyPair | null;
  readonly xkeyPublic: string;
  private readonly authUsers: Set<string>;
  private readonly allowed: Set<string>;

  constructor(readonly spec: AuthCalloutSpec, private readonly host: CalloutHost) {
    this.xkp = spec.xkey ? createCurve() : null;
    this.xkeyPublic = this.xkp ? this.xkp.getPublicKey() : '';
    this.authUsers = new Set(spec.auth_users);
    this.allowed = new Set(spec.allowed_accounts);
  }

  /**
   * Go's delegation rule, applied after the configured users were checked:
   * `account` is where the normal login put the client ($G when it failed).
   * 'none': the normal result stands (account not delegated); 'skip': an
   * auth user, the normal result stands; 'callout': ask the service.
   */
  decide(account: string, rawUser: string): 'none' | 'skip' | 'callout' {
    if (account !== '$G' && this.allowed.size > 0 && !this.allowed.has(account)) return 'none';
    if (rawUser !== '' && this.authUsers.has(rawUser)) return 'skip';
    return 'callout';
  }

  /**
   * Go: a client authorized into the callout account may not publish to the
   * callout subject (it could impersonate the server).
   */
  withCalloutDeny(r: AuthResult): AuthResult {
    if (r.account !== this.spec.account) return r;
    const spec: UserPermissionsSpec = r.permissions?.spec ? { ...r.permissions.spec } : {};
    const pub = { ...(spec.publish ?? {}) };
    const deny = [...(pub.deny ?? [])];
    if (!deny.includes(AUTH_CALLOUT_SUBJECT)) deny.push(AUTH_CALLOUT_SUBJECT);
    pub.deny = deny;
    spec.publish = pub;
    return { ...r, permissions: new Permissions(spec) };
  }

  /**
   * Send the request and call `done` once (asynchronously) with the outcome.
   * Returns a cancel function for a connection that goes away first.
   */
  authorize(c: CalloutClient, done: (o: CalloutOutcome) => void): () => void {
    const h = this.host;
    const account = this.spec.account;
    if (!h.hasAccount(account)) {
      const reason = `No valid account "${account}" for auth callout request`;
      h.log.warn(reason);
      setImmediate(done, { result: null, reason });
      return () => {};
    }
    // A fresh user key per request: the response must name it, so it cannot be replayed.
    const ukp = createUser();
    const userNkey = ukp.getPublicKey();
    const timeoutMs = h.authTimeoutMs();
    const reply = `$SYS._INBOX.${h.id.slice(-8)}.${randomBytes(8).toString('hex')}`;
    let finished = false;
    let unsub: () => void = () => {};
    const finish = (o: CalloutOutcome) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unsub();
      if (o.result === null && o.reason !== '') h.log.warn(o.reason);
      // Off the replier's read cycle: the client resumes parsing its own input then.
      setImmediate(done, o);
    };
    const timer = setTimeout(() => {
      h.log.debug(`Authorization callout response not received in time on account "${account}"`);
      finish({ result: null, reason: '' });
    }, timeoutMs);
    timer.unref?.();
    unsub = h.subscribe(account, reply, (payload) => {
      if (finished) return;
      finish(this.processResponse(Buffer.from(payload), userNkey, c));
    });
    let req: Buffer;
    let hdr: Buffer | null = null;
    try {
      const jwt = this.requestJwt(c, userNkey, timeoutMs);
      req = Buffer.from(jwt);
      if (this.xkp !== null) {
        req = Buffer.from(this.xkp.seal(req, this.spec.xkey));
        hdr = Buffer.from(`NATS/1.0\r\n${AUTH_REQUEST_XKEY_HEADER}: ${this.xkeyPublic}\r\n\r\n`);
      }
    } catch (e) {
      finish({ result: null, reason: `Error encoding auth request claim on account "${account}": ${(e as Error).message}` });
      return () => {};
    }
    h.publish(account, AUTH_CALLOUT_SUBJECT, reply, hdr, req);
    return () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unsub();
    };
  }

  /** The `authorization_request` claims (jwt AuthorizationRequestClaims), signed by the server. */
  private requestJwt(c: CalloutClient, userNkey: string, timeoutMs: number): string {
    const h = this.host;
    const server: Record<string, unknown> = { ...h.serverIdentity() };
    if (this.xkp !== null) server.xkey = this.xkeyPublic;
    const o = c.opts;
    const clientInfo: Record<string, unknown> = omitEmpty({
      host: c.host, id: c.cid, user: c.rawUser, name: o.name, kind: c.kind, type: c.type,
      // the nonce the client signed, so the service can check `sig`
      nonce: o.sig ? (c.nonce ?? '') : '',
    });
    const connectOpts: Record<string, unknown> = {
      ...omitEmpty({ jwt: o.jwt, nkey: o.nkey, sig: o.sig, auth_token: o.auth_token, user: o.user, pass: o.pass, name: o.name, lang: o.lang, version: o.version }),
      protocol: o.protocol,
    };
    const nats: Record<string, unknown> = {
      server_id: server,
      user_nkey: userNkey,
      client_info: clientInfo,
      connect_opts: connectOpts,
    };
    if (c.tls !== null) nats.client_tls = omitEmpty({ version: c.tls.version, cipher: c.tls.cipher, certs: c.tls.certs.length > 0 ? c.tls.certs : undefined });
    nats.type = 'authorization_request';
    nats.version = 2;
    const claims: Record<string, unknown> = {
      aud: AUTH_REQUEST_AUDIENCE,
      exp: Math.floor((Date.now() + timeoutMs) / 1000),
      iat: Math.floor(Date.now() / 1000),
      iss: h.id,
      sub: this.spec.issuer,
      nats,
    };
    return encodeJwt(claims, (d) => h.sign(d));
  }

  /** Check the service's answer (Go decodeResponse and processReply for server-config mode). */
  private processResponse(raw: Buffer, userNkey: string, c: CalloutClient): CalloutOutcome {
    const account = this.spec.account;
    const fail = (reason: string): CalloutOutcome => ({ result: null, reason });
    let msg = raw;
    if (msg.length === 0) return fail(titleCase(`auth callout violation: "no reason supplied" on account "${account}"`));
    if (this.xkp !== null && !msg.subarray(0, 3).equals(Buffer.from('eyJ'))) {
      let opened: Uint8Array | null = null;
      try {
        opened = this.xkp.open(msg, this.spec.xkey);
      } catch {
        opened = null;
      }
      if (opened === null) return fail(titleCase(`error decrypting auth callout response on account "${account}": could not decrypt message`));
      msg = Buffer.from(opened);
    }
    let cr: Claims<ResponseNats>;
    try {
      cr = decodeJwt<ResponseNats>(msg.toString('utf8'), 'authorization_response');
    } catch (e) {
      return fail(titleCase((e as Error).message));
    }
    const issue = responseIssue(cr);
    if (issue !== null) return fail(`Authorization response had validation errors: ${issue}`);
    if (cr.sub !== userNkey) return fail('Auth callout violation: auth callout response is not for expected user');
    if (cr.aud !== this.host.id) return fail('Auth callout violation: auth callout response is not for server');
    if (cr.nats.error) return fail(`Auth callout service returned an error: ${cr.nats.error}`);
    let uc: Claims<UserNats>;
    try {
      uc = decodeJwt<UserNats>(cr.nats.jwt ?? '', 'user');
    } catch (e) {
      return fail(titleCase((e as Error).message));
    }
    const te = claimTimeError(uc);
    if (te !== null) return fail(`Error validating user JWT: ${te}`);
    if (uc.sub !== userNkey) return fail(`Expected authorized user of "${userNkey}" but got "${uc.sub}" on account "${account}"`);
    const times = validateTimes(uc.nats);
    if (!times.ok) return fail(`Authorized user on account "${account}" outside of valid connect times`);
    const types = (uc.nats.allowed_connection_types ?? []).map((t) => t.toUpperCase());
    if (types.length > 0 && !types.some((t) => KNOWN_CONNECTION_TYPES.has(t))) {
      return fail(`Authorized user on account "${account}" using invalid connection type`);
    }
    // Server-config mode: only the configured issuer may issue, never through a signing key.
    if (uc.nats.issuer_account) return fail(`Error non operator mode account "${account}": attempted to use issuer_account`);
    if (uc.iss !== this.spec.issuer) {
      return fail(`Wrong issuer for auth callout response on account "${account}", expected "${this.spec.issuer}" got "${uc.iss}"`);
    }
    // The audience places the user (Go: only outside operator mode).
    const target = uc.aud ?? '';
    if (!this.host.hasAccount(target)) return fail(`No valid account "${target}" for auth callout response on account "${account}": account not found`);
    let spec = permissionsFromJwt(uc.nats);
    if (spec === null) spec = this.host.accountDefaultPermissions(target) ?? null;
    let expiresAt = uc.exp && uc.exp > 0 ? uc.exp * 1000 : 0;
    if (times.validForMs > 0) {
      const end = Date.now() + times.validForMs;
      if (expiresAt === 0 || end < expiresAt) expiresAt = end;
    }
    const result: AuthResult = {
      // Go: a user name in the user JWT replaces the one the client gave
      user: uc.name ? uc.name : c.rawUser,
      permissions: spec ? new Permissions(spec) : null,
      account: target,
      // Limits stay the account's and server's: Go clears the connection's JWT before applying limits.
      jwt: { pub: uc.sub, issuedAt: uc.iat, signingKey: '', bearer: !!uc.nats.bearer_token, subs: -1, payload: -1, expiresAt },
    };
    return { result: this.withCalloutDeny(result), reason: '' };
  }
}

/** jwt AuthorizationResponseClaims.Validate: the first problem, or null. */
function responseIssue(cr: Claims<ResponseNats>): string | null {
  if (!isPublicKey(cr.aud, 'N')) return 'Audience must be a server public key';
  const err = cr.nats.error ?? '';
  const jwt = cr.nats.jwt ?? '';
  if (err === '' && jwt === '') return 'Error or Jwt is required';
  if (err !== '' && jwt !== '') return 'Only Error or Jwt can be set';
  if (cr.nats.issuer_account && !isPublicKey(cr.nats.issuer_account, 'A')) return 'issuer_account is not an account public key';
  return claimTimeError(cr);
}

/** Drop '', undefined and null fields (Go `omitempty`). */
function omitEmpty(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '' && v !== 0) out[k] = v;
  return out;
}
