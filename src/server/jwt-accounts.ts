/**
 * Operator mode in the server: JWT accounts created on demand in the
 * server's account map, the system account's claim requests for the full
 * nats resolver (Go accounts.go DirAccResolver.Start: `$SYS.REQ.CLAIMS.UPDATE`,
 * `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE`, `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE`,
 * `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.LOOKUP`), and what a claims update does to
 * connected clients (Go updateAccountClaimsWithRefresh: connection limit,
 * revocations, bearer tokens, removed signing keys, new limits).
 */
import { Account } from '../accounts/account.js';
import { OperatorAuth, type JwtAccount, type JwtAccountHost } from '../auth/jwt-auth.js';
import { decodeJwt, type AccountNats } from '../auth/jwt.js';
import type { Client } from '../conn/client.js';
import { ClosedReason } from '../conn/closed-reason.js';
import * as E from '../protocol/errors.js';
import { InternalClient } from './internal-client.js';
import { serverInfo } from './event-info.js';
import type { Server } from './server.js';

const CLAIMS_UPDATE = '$SYS.REQ.CLAIMS.UPDATE';
const ACC_UPDATE_NEW = '$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE';
const ACC_UPDATE_OLD = '$SYS.ACCOUNT.*.CLAIMS.UPDATE';
const ACC_LOOKUP = '$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP';

export class OperatorMode implements JwtAccountHost {
  readonly auth: OperatorAuth;
  private ic: InternalClient | null = null;

  constructor(private readonly srv: Server) {
    this.auth = new OperatorAuth(srv.opts);
    this.auth.attach(this);
  }

  get log() {
    return this.srv.log;
  }

  ensureAccount(name: string): Account {
    let a = this.srv.accounts.get(name);
    if (a === undefined) {
      a = new Account(name, !this.srv.opts.disable_sublist_cache);
      this.srv.addAccount(a);
    }
    return a;
  }

  /** Once the server's accounts exist: load the system account's claims and serve claim requests. */
  start(): void {
    const sysName = this.auth.systemAccount;
    if (sysName) this.auth.lookupAccount(sysName);
    if (this.auth.resolver.type === 'full' && sysName) {
      const sys = this.srv.systemAccount;
      const ic = new InternalClient(this.srv, this.srv.nextClientId(), sys);
      this.ic = ic;
      for (const subj of [CLAIMS_UPDATE, ACC_UPDATE_NEW, ACC_UPDATE_OLD]) {
        ic.subscribe(sys, subj, null, (_s, subject, reply, _h, payload) => {
          const body = payload.toString('utf8');
          setImmediate(() => this.onUpdate(subject, reply, body));
        });
      }
      ic.subscribe(sys, ACC_LOOKUP, null, (_s, subject, reply) => {
        if (reply === '') return;
        setImmediate(() => this.onLookup(subject, reply));
      });
      this.log.info(`Managing all jwt in exclusive directory ${(this.auth.resolver as { dir?: string }).dir ?? ''}`);
    }
    this.srv.onShutdown(() => this.auth.stop());
  }

  private respond(reply: string, account: string, message: string, err: string | null): void {
    if (err === null) this.log.debug(account ? `${message} - ${account}` : message);
    else this.log.error(account ? `${message} - ${account} - ${err}` : `${message} - ${err}`);
    if (reply === '' || this.ic === null) return;
    const body: Record<string, unknown> = { server: serverInfo(this.srv) };
    if (err === null) body.data = { account: account || undefined, code: 200, message };
    else body.error = { account: account || undefined, code: 500, description: `${message} - ${err}` };
    this.ic.publish(this.srv.systemAccount, reply, '', null, Buffer.from(JSON.stringify(body)));
  }

  /** Go DirAccResolver update handlers: decode, validate, check the subject, store, then update the live account. */
  private onUpdate(subject: string, reply: string, body: string): void {
    const tk = subject.split('.');
    let pubKey = '';
    if (tk.length === 6) pubKey = tk[3];
    else if (tk.length === 5 && tk[1] === 'ACCOUNT') pubKey = tk[2];
    let claimSub: string;
    try {
      const c = decodeJwt<AccountNats>(body, 'account');
      claimSub = c.sub;
      if (c.exp !== undefined && c.exp > 0 && Math.floor(Date.now() / 1000) > c.exp) {
        this.respond(reply, c.sub, 'jwt validation failed', 'validation errors: [claim is expired]');
        return;
      }
    } catch (e) {
      this.respond(reply, 'n/a', 'jwt update resulted in error', (e as Error).message);
      return;
    }
    if (subject !== CLAIMS_UPDATE && claimSub !== pubKey) {
      this.respond(reply, pubKey, 'jwt update resulted in error', 'subject does not match jwt content');
      return;
    }
    let changed: boolean;
    try {
      changed = this.auth.resolver.save(claimSub, body);
    } catch (e) {
      this.respond(reply, claimSub, 'jwt update resulted in error', (e as Error).message);
      return;
    }
    if (changed) this.applyUpdate(claimSub, body);
    this.respond(reply, claimSub, 'jwt updated', null);
  }

  private onLookup(subject: string, reply: string): void {
    const tk = subject.split('.');
    if (tk.length !== 6 || this.ic === null) return;
    const jwt = this.auth.resolver.fetch(tk[3]);
    // Go answers an unknown account with an empty message.
    this.ic.publish(this.srv.systemAccount, reply, '', null, Buffer.from(jwt ?? '', 'utf8'));
  }

  /** The stored JWT changed: apply it to the live account and its clients. */
  private applyUpdate(name: string, jwt: string): void {
    let r: ReturnType<OperatorAuth['updateAccount']>;
    try {
      r = this.auth.updateAccount(name, jwt);
    } catch (e) {
      this.log.error(`DirResolver - Update for account "${name}" resulted in error ${(e as Error).message}`);
      return;
    }
    if (r === null) return;
    this.refreshClients(r.ja, r.altered);
  }

  private accountClients(acc: Account): Client[] {
    const out: Client[] = [];
    for (const c of this.srv.clients.values()) if (c.acc === acc && !c.closed) out.push(c);
    return out.sort((a, b) => a.start.getTime() - b.start.getTime() || a.cid - b.cid);
  }

  /** Go updateAccountClaimsWithRefresh's walk over the account's clients. */
  refreshClients(ja: JwtAccount, altered: Set<string>): void {
    const acc = ja.account;
    let count = 0;
    for (const c of this.accountClients(acc)) {
      if (acc.maxConnections >= 0 && count >= acc.maxConnections) {
        this.log.error(`${c.label()} - ${E.ERR_MAX_ACCOUNT_CONNECTIONS}`);
        c.sendErr(E.ERR_MAX_ACCOUNT_CONNECTIONS);
        c.closeConnection(ClosedReason.MaxAccountConnectionsExceeded);
        continue;
      }
      count++;
      c.applyLimits();
      const u = c.jwtUser;
      if (u === null) continue;
      const st = this.auth.checkUser(ja, u);
      if (st === 'bearer') {
        c.sendErr(E.ERR_AUTH_VIOLATION);
        c.closeConnection(ClosedReason.AuthenticationViolation);
        continue;
      }
      if (st === 'revoked') {
        this.log.debug(`${c.label()} - User Authentication Revoked`);
        c.sendErr('User Authentication Revoked');
        c.closeConnection(ClosedReason.Revocation);
        continue;
      }
      if (u.signingKey !== '' && (altered.has(u.signingKey) || !ja.signingKeys.has(u.signingKey))) {
        c.closeConnection(ClosedReason.AuthenticationViolation);
      }
    }
  }

  accountExpired(name: string): void {
    const acc = this.srv.accounts.get(name);
    if (acc === undefined) return;
    for (const c of this.accountClients(acc)) {
      c.sendErr('Account Authentication Expired');
      c.closeConnection(ClosedReason.AuthenticationExpired);
    }
  }
}
