/**
 * /accountz (Go monitor.go Accountz, accountInfo): the account names, or with
 * `acc=<name>` one account's detail: connection and subscription counts,
 * JetStream flag, subject mappings, exports, imports (the configured ones and
 * the system service imports Go gives every account when the system account
 * runs) and sublist statistics. Field names and omissions follow Go's
 * AccountInfo / ExtImport / ExtExport JSON.
 */
import type { Server } from '../server/server.js';
import type { Account } from '../accounts/account.js';
import type { ExportSpec, ImportSpec } from '../config/options.js';
import { goTime } from './format.js';
import { jetStreamOf } from './jsz.js';
import { HttpError } from './query.js';

export function accountz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  return accountzFor(srv, q.get('acc') ?? '');
}

export function accountzFor(srv: Server, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = { server_id: srv.id, now: goTime(new Date()), system_account: srv.systemAccount.name };
  if (name === '') {
    out.accounts = [...srv.accounts.keys()];
    return out;
  }
  out.account_detail = accountInfo(srv, name);
  return out;
}

/** Go Server.accountInfo: 400 "Account X does not exist" for an unknown name. */
export function accountInfo(srv: Server, name: string): Record<string, unknown> {
  const a = srv.accounts.get(name);
  if (a === undefined) throw new HttpError(400, `Account ${name} does not exist`);
  const spec = a.spec;
  const isSys = a === srv.systemAccount;
  const o: Record<string, unknown> = { account_name: a.name, update_time: goTime(srv.configLoadTime) };
  if (isSys) o.is_system = true;
  o.expired = false;
  o.complete = true;
  o.jetstream_enabled = jetStreamOf(srv)?.accounts.has(a.name) ?? false;
  o.leafnode_connections = 0;
  o.client_connections = a.numClients;
  o.subscriptions = a.sl.count();
  const mappings = a === srv.globalAccount ? (srv.opts.mappings ?? []) : (spec?.mappings ?? []);
  if (mappings.length > 0) {
    o.mappings = Object.fromEntries(mappings.map((m) => [m.source, m.dests.map((d) => (d.cluster ? { subject: d.subject, weight: d.weight, cluster: d.cluster } : { subject: d.subject, weight: d.weight }))]));
  }
  const events = srv.events !== null;
  const exports = (spec?.exports ?? []).filter((e) => e.kind === 'service').map(extExport);
  exports.push(...(spec?.exports ?? []).filter((e) => e.kind === 'stream').map(extExport));
  if (isSys && events) exports.push(...systemExports());
  if (exports.length > 0) o.exports = exports;
  const imports = (spec?.imports ?? []).filter((i) => i.kind === 'stream').map((i) => extImport(srv, i));
  imports.push(...(spec?.imports ?? []).filter((i) => i.kind === 'service').map((i) => extImport(srv, i)));
  if (events) imports.push(...systemImports(a, isSys, srv.systemAccount.name));
  if (imports.length > 0) o.imports = imports;
  o.name_tag = a.name;
  o.sublist_stats = a.sl.stats();
  return o;
}

/** Go jwt.ServiceLatency JSON: sampling percent, or "headers" for header-triggered tracing. */
function latencyJSON(l: { sampling: number; subject: string }): Record<string, unknown> {
  return { sampling: l.sampling === 0 ? 'headers' : l.sampling, results: l.subject };
}

function extExport(e: ExportSpec): Record<string, unknown> {
  const o: Record<string, unknown> = { subject: e.subject, type: e.kind };
  if (e.kind === 'service') {
    o.response_type = e.response_type;
    if (e.latency) o.service_latency = latencyJSON(e.latency);
  }
  if (e.accounts.length > 0) o.approved_accounts = [...e.accounts];
  return o;
}

function extImport(srv: Server, i: ImportSpec): Record<string, unknown> {
  const exporter = srv.accounts.get(i.account);
  const exp = exporter?.spec?.exports.find((e) => e.kind === i.kind && subjectCovers(e.subject, i.subject));
  if (i.kind === 'stream') {
    const local = i.to ?? (i.prefix ? `${i.prefix}.${i.subject}` : i.subject);
    const o: Record<string, unknown> = { subject: i.subject, account: i.account, local_subject: local, type: 'stream' };
    o.invalid = exp === undefined;
    o.share = false;
    o.tracking = false;
    return o;
  }
  // Go newExtImport: subject is the exporter's subject, to/local_subject what importers publish to.
  const local = i.to ?? i.subject;
  const o: Record<string, unknown> = { subject: i.subject, account: i.account, to: local, local_subject: local, type: 'service' };
  o.invalid = exp === undefined;
  o.share = i.share;
  o.tracking = exp?.latency !== undefined;
  if (exp?.latency) o.latency = latencyJSON(exp.latency);
  return o;
}

/** Literal-or-wildcard coverage for matching an import to its export (a `>`/`*` export covers narrower imports). */
function subjectCovers(exp: string, imp: string): boolean {
  const e = exp.split('.');
  const s = imp.split('.');
  for (let k = 0; k < e.length; k++) {
    if (e[k] === '>') return s.length > k;
    if (k >= s.length) return false;
    if (e[k] !== '*' && e[k] !== s[k]) return false;
  }
  return e.length === s.length;
}

/** Go registerSystemImports: what every account imports from the system account. */
function systemImports(a: Account, isSys: boolean, sys: string): Record<string, unknown>[] {
  const imp = (to: string, local: string, share = false) => ({ subject: to, account: sys, to: local, local_subject: local, type: 'service', invalid: false, share, tracking: false });
  if (isSys) return [imp(`$SYS.REQ.USER.${a.name}.INFO`, '$SYS.REQ.USER.INFO', true)];
  return [
    imp(`$SYS.REQ.ACCOUNT.${a.name}.CONNZ`, '$SYS.REQ.ACCOUNT.PING.CONNZ'),
    imp(`$SYS.REQ.ACCOUNT.${a.name}.CONNZ`, '$SYS.REQ.SERVER.PING.CONNZ'),
    imp(`$SYS.REQ.ACCOUNT.${a.name}.STATZ`, '$SYS.REQ.ACCOUNT.PING.STATZ'),
    imp(`$SYS.REQ.USER.${a.name}.INFO`, '$SYS.REQ.USER.INFO', true),
  ];
}

/** Go addSystemAccountExports: the services the system account offers every account. */
function systemExports(): Record<string, unknown>[] {
  return [
    { subject: '$SYS.REQ.ACCOUNT.*.CONNZ', type: 'service', response_type: 'Stream' },
    { subject: '$SYS.REQ.ACCOUNT.*.STATZ', type: 'service', response_type: 'Stream' },
    { subject: '$SYS.DEBUG.SUBSCRIBERS', type: 'service', response_type: 'Singleton' },
    { subject: '$SYS.REQ.USER.*.INFO', type: 'service', response_type: 'Singleton' },
  ];
}
