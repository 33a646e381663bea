/**
 * System account request services (Go events.go initEventTracking):
 *
 *   $SYS.REQ.SERVER.PING[.<KIND>] and $SYS.REQ.SERVER.<id>.<KIND>
 *     KIND = STATSZ IDZ VARZ CONNZ SUBSZ ROUTEZ GATEWAYZ LEAFZ ACCOUNTZ JSZ HEALTHZ EXPVARZ IPQUEUESZ RAFTZ
 *   $SYS.REQ.ACCOUNT.<acc>.<KIND>   KIND = SUBSZ CONNZ LEAFZ JSZ INFO STATZ CONNS
 *   $SYS.REQ.ACCOUNT.PING.STATZ
 *   $SYS.REQ.SERVER.<id>.KICK / .LDM   {"cid": n}
 *   $SYS.REQ.USER.INFO              answered in every account for the requesting user
 *
 * Responses use Go's envelope `{"server": {...}, "data": ...}` or
 * `{"server": {...}, "error": {"code": n, "description": "..."}}`; a request
 * body may carry Go's filter options (server_name, host, cluster, tags,
 * domain, exact_match) and the endpoint's own options.
 */
import type { Account } from '../accounts/account.js';
import type { Client } from '../conn/client.js';
import { ClosedReason } from '../conn/closed-reason.js';
import type { UserPermissionsSpec } from '../config/options.js';
import { connz, HttpError } from '../monitor/connz.js';
import { subsz } from '../monitor/subsz.js';
import { jsz } from '../monitor/jsz.js';
import { VarzBuilder } from '../monitor/varz.js';
import { accountInfo, accountzFor } from '../monitor/accountz.js';
import { accstatzFor } from '../monitor/accstatz.js';
import { gatewayz } from '../monitor/gatewayz.js';
import { healthz, healthzOptions } from '../monitor/healthz.js';
import { leafz } from '../monitor/leafz.js';
import { routez } from '../monitor/routez.js';
import { expvarBody, GcStats, ipqueuesz } from '../monitor/runtime.js';
import { nowTime, type SystemEvents } from './events.js';

type Handler = (body: Record<string, unknown>, subject: string, from: Client | null) => unknown;

/** Thrown by a handler to send nothing (Go errSkipZreq). */
const SKIP = Symbol('skip');

class RequestError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Go's `json` option names to the monitoring endpoints' query parameters. */
function query(body: Record<string, unknown>, names: Record<string, string>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, p] of Object.entries(names)) {
    const v = body[k];
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (Array.isArray(v)) q.set(p, v.join(','));
    else q.set(p, String(v));
  }
  return q;
}

const CONNZ_OPTS = { sort: 'sort', auth: 'auth', offset: 'offset', limit: 'limit', cid: 'cid', user: 'user', acc: 'acc', filter_subject: 'filter_subject', mqtt_client: 'mqtt_client' };
const SUBSZ_OPTS = { offset: 'offset', limit: 'limit', subscriptions: 'subs', account: 'acc', test: 'test' };
const HEALTHZ_OPTS = { 'js-enabled-only': 'js-enabled-only', 'js-server-only': 'js-server-only', 'js-meta-only': 'js-meta-only', account: 'account', stream: 'stream', consumer: 'consumer', details: 'details' };
const JSZ_OPTS = { account: 'acc', accounts: 'accounts', streams: 'streams', consumer: 'consumers', config: 'config', leader_only: 'leader-only', offset: 'offset', limit: 'limit', raft: 'raft' };

function connzQuery(body: Record<string, unknown>): URLSearchParams {
  const q = query(body, CONNZ_OPTS);
  if (body.subscriptions_detail) q.set('subs', 'detail');
  else if (body.subscriptions) q.set('subs', '1');
  // Go ConnState: 0 open, 1 closed, 2 all
  const st = body.state;
  if (st === 1) q.set('state', 'closed');
  else if (st === 2) q.set('state', 'all');
  return q;
}

/** Go Permissions JSON for a user (publicPermissions). */
function publicPermissions(spec: UserPermissionsSpec | undefined): Record<string, unknown> | undefined {
  if (!spec) return undefined;
  const side = (p: { allow?: string[]; deny?: string[] } | undefined) =>
    p && ((p.allow?.length ?? 0) > 0 || (p.deny?.length ?? 0) > 0) ? { allow: p.allow?.length ? p.allow : undefined, deny: p.deny?.length ? p.deny : undefined } : undefined;
  const out: Record<string, unknown> = { publish: side(spec.publish), subscribe: side(spec.subscribe) };
  if (spec.allow_responses) out.responses = { max: spec.allow_responses.max, ttl: spec.allow_responses.expires * 1e6 };
  return out;
}

export class SystemRequests {
  private readonly varz: VarzBuilder;
  private readonly gc = new GcStats();

  constructor(private readonly ev: SystemEvents) {
    this.varz = new VarzBuilder(ev.srv, new Map(), () => ev.srv.monitorPort);
  }

  start(): void {
    const srv = this.ev.srv;
    const server: Record<string, Handler> = {
      STATSZ: () => SKIP, // handled specially: the reply is a statsz message, not an envelope
      IDZ: () => ({ name: srv.name, host: srv.opts.host, id: srv.id }),
      VARZ: () => this.varz.build(),
      CONNZ: (b) => connz(srv, connzQuery(b)),
      SUBSZ: (b) => subsz(srv, query(b, SUBSZ_OPTS)),
      JSZ: (b) => jsz(srv, query(b, JSZ_OPTS)),
      ROUTEZ: () => routez(srv, new URLSearchParams()),
      GATEWAYZ: () => gatewayz(srv, new URLSearchParams()),
      LEAFZ: () => leafz(srv, new URLSearchParams()),
      ACCOUNTZ: (b) => accountzFor(srv, typeof b.account === 'string' ? b.account : ''),
      HEALTHZ: (b) => healthz(srv, healthzOptions(query(b, HEALTHZ_OPTS))),
      EXPVARZ: () => {
        const v = JSON.parse(expvarBody(this.gc)) as Record<string, unknown>;
        return { memstats: v.memstats, cmdline: v.cmdline };
      },
      IPQUEUESZ: () => ipqueuesz(new URLSearchParams()),
      // a server without Raft groups answers with no data
      RAFTZ: () => undefined,
    };
    for (const [kind, h] of Object.entries(server)) {
      const handler = kind === 'STATSZ' ? this.statszHandler() : this.envelope(h);
      this.sub(`$SYS.REQ.SERVER.PING.${kind}`, handler);
      this.sub(`$SYS.REQ.SERVER.${srv.id}.${kind}`, handler);
    }
    this.sub('$SYS.REQ.SERVER.PING', this.statszHandler());
    this.sub(`$SYS.REQ.SERVER.${srv.id}.KICK`, this.envelope((b) => this.kick(b)));
    this.sub(`$SYS.REQ.SERVER.${srv.id}.LDM`, this.envelope((b) => this.ldm(b)));
    this.sub(
      `$SYS.REQ.SERVER.${srv.id}.RELOAD`,
      this.envelope(() => {
        try {
          srv.reload();
        } catch (e) {
          srv.log.error(`Failed to reload server configuration: ${(e as Error).message}`);
          throw e;
        }
        return undefined;
      }),
    );

    const account: Record<string, Handler> = {
      SUBSZ: (b, s) => subsz(srv, query({ ...b, subscriptions: true, account: this.accountOf(s) }, SUBSZ_OPTS)),
      CONNZ: (b, s) => connz(srv, connzQuery({ ...b, acc: this.accountOf(s) })),
      LEAFZ: (_b, s) => ({ ...leafz(srv, new URLSearchParams()), account: this.accountOf(s) }),
      JSZ: (b, s) => jsz(srv, query({ ...b, account: this.accountOf(s), accounts: true }, JSZ_OPTS)),
      INFO: (_b, s) => accountInfo(srv, this.accountOf(s)),
      STATZ: (b, s) => {
        const name = this.accountOf(s);
        if (name === 'PING') throw SKIP;
        return this.accountStatz([name], b.include_unused === true);
      },
    };
    for (const [kind, h] of Object.entries(account)) this.sub(`$SYS.REQ.ACCOUNT.*.${kind}`, this.envelope(h));
    this.sub('$SYS.REQ.ACCOUNT.*.CONNS', (subject, reply) => {
      const acc = srv.lookupAccount(this.accountOf(subject));
      if (acc !== null && acc.numClients > 0 && reply !== '') this.ev.accountConns(acc, reply);
    });
    this.sub(
      '$SYS.REQ.ACCOUNT.PING.STATZ',
      this.envelope((b) => {
        const accs = Array.isArray(b.accounts) ? (b.accounts as string[]) : [];
        return this.accountStatz(accs, b.include_unused === true);
      }),
    );
    // what every other account may ask of the system account about itself (accounts added by a reload too)
    const served = new Set<Account>();
    const serveAll = () => {
      for (const acc of srv.accounts.values()) {
        if (acc === srv.systemAccount || served.has(acc)) continue;
        served.add(acc);
        this.accountServices(acc);
      }
    };
    serveAll();
    srv.onReload(serveAll);
  }

  private sub(subject: string, fn: (subject: string, reply: string, body: Buffer, from: Client | null) => void): void {
    this.ev.ic.subscribe(this.ev.sys, subject, null, (_sub, subj, reply, _hdr, payload, from) => fn(subj, reply, Buffer.from(payload), from));
  }

  private accountOf(subject: string): string {
    const t = subject.split('.');
    if (t.length !== 5) throw new RequestError(500, `subject "${subject}" is malformed`);
    return t[3];
  }

  /** Go zReq: parse options, apply the server filter, answer with the envelope. */
  private envelope(h: Handler): (subject: string, reply: string, body: Buffer, from: Client | null, acc?: Account) => void {
    return (subject, reply, payload, from, acc) => {
      if (reply === '') return;
      let body: Record<string, unknown> = {};
      const out: Record<string, unknown> = { server: {} };
      try {
        if (payload.length > 0) {
          try {
            body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
          } catch (e) {
            throw new RequestError(400, (e as Error).message);
          }
          if (this.filtered(body)) return;
        }
        const data = h(body, subject, from);
        if (data === SKIP) return;
        if (data !== undefined && data !== null) out.data = data;
      } catch (e) {
        if (e === SKIP) return;
        const code = e instanceof RequestError ? e.code : e instanceof HttpError ? 400 : 500;
        out.error = { code, description: (e as Error).message };
      }
      out.server = this.ev.serverInfo();
      if (acc === undefined) this.ev.send(reply, out, true);
      else this.ev.ic.publish(acc, reply, '', null, Buffer.from(JSON.stringify(out)));
    };
  }

  private statszHandler(): (subject: string, reply: string, body: Buffer) => void {
    return (_subject, reply, payload) => {
      if (payload.length > 0) {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
        } catch (e) {
          if (reply !== '') this.ev.send(reply, { server: this.ev.serverInfo(), error: { code: 400, description: (e as Error).message } }, true);
          return;
        }
        if (this.filtered(body)) return;
      }
      this.ev.sendStatsz(reply !== '' ? reply : `$SYS.SERVER.${this.ev.srv.id}.STATSZ`, reply !== '');
    };
  }

  /** Go filterRequest: true when the request names another server. */
  private filtered(b: Record<string, unknown>): boolean {
    const srv = this.ev.srv;
    const name = typeof b.server_name === 'string' ? b.server_name : '';
    const host = typeof b.host === 'string' ? b.host : '';
    const cluster = typeof b.cluster === 'string' ? b.cluster : '';
    const has = (v: string, want: string) => (b.exact_match === true ? v === want : v.includes(want));
    if (name !== '' && !has(srv.name, name)) return true;
    if (host !== '' && !has(srv.opts.host, host)) return true;
    if (cluster !== '' && !has('', cluster)) return true;
    if (Array.isArray(b.tags)) for (const t of b.tags) if (!srv.opts.tags.includes(String(t))) return true;
    if (typeof b.domain === 'string' && b.domain !== '' && (srv.opts.jetstream_opts.domain ?? '') !== b.domain) return true;
    return false;
  }

  private kick(b: Record<string, unknown>): undefined {
    const c = this.ev.srv.clients.get(Number(b.cid));
    if (c === undefined) throw new RequestError(500, 'no such client or leafnode id');
    c.closeConnection(ClosedReason.Kicked);
    return undefined;
  }

  private ldm(b: Record<string, unknown>): undefined {
    const c = this.ev.srv.clients.get(Number(b.cid));
    if (c === undefined) throw new RequestError(500, 'no such client id');
    if (c.opts.protocol < 1) throw new RequestError(500, 'client does not support Lame Duck Mode or is not ready to receive the notification');
    this.ev.srv.sendLameDuckInfo(c);
    return undefined;
  }

  private accountStatz(names: string[], includeUnused: boolean): unknown {
    const out = accstatzFor(this.ev.srv, names, includeUnused);
    if ((out.account_statz as unknown[]).length === 0 && !includeUnused) throw SKIP;
    return out;
  }

  /**
   * Go's system imports in every account: `$SYS.REQ.USER.INFO` (who the
   * requesting connection is), and the account's own CONNZ and STATZ through
   * `$SYS.REQ.ACCOUNT.PING.CONNZ`, `$SYS.REQ.SERVER.PING.CONNZ` and
   * `$SYS.REQ.ACCOUNT.PING.STATZ`.
   */
  private accountServices(acc: Account): void {
    const ev = this.ev;
    const srv = ev.srv;
    const answer = (subject: string, h: Handler) => {
      const run = this.envelope(h);
      ev.ic.subscribe(acc, subject, null, (_sub, subj, reply, _hdr, payload, from) => {
        if (reply === '') return;
        // the envelope replies in the system account: answer in this account instead
        run(subj, reply, Buffer.from(payload), from, acc);
      });
    };
    answer('$SYS.REQ.USER.INFO', (_b, _s, from) => {
      if (from === null) throw SKIP;
      return { user: from.authorizedUser, account: from.acc.name, permissions: publicPermissions(from.perms?.spec) };
    });
    const connzOfAcc: Handler = (b) => connz(srv, connzQuery({ ...b, acc: acc.name }));
    answer('$SYS.REQ.ACCOUNT.PING.CONNZ', connzOfAcc);
    answer('$SYS.REQ.SERVER.PING.CONNZ', connzOfAcc);
    answer('$SYS.REQ.ACCOUNT.PING.STATZ', (b) => this.accountStatz([acc.name], b.include_unused === true));
  }
}

