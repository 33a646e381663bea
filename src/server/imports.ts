/**
 * Service and stream imports between accounts (Go accounts.go exports and
 * imports, client.go processServiceImport), built from the `accounts {}`
 * block once every account exists.
 *
 * Stream import: an internal subscription in the exporting account on the
 * imported subject re-routes each message into the importing account, under
 * the prefixed or `to` subject.
 *
 * Service import: an internal subscription in the importing account on the
 * local subject forwards requests into the exporting account with a fresh
 * `_R_.<prefix>.<id>` reply and a `Nats-Request-Info` header; the exporter's
 * subscription on `_R_.<prefix>.>` routes responses back to the requester's
 * reply. Singleton responses end the mapping; stream and chunked ones keep it
 * until the export's response threshold passes without a response.
 */
import { randomInt } from 'node:crypto';
import type { Account } from '../accounts/account.js';
import type { Client } from '../conn/client.js';
import type { InternalMsgHandler, Subscription } from '../conn/subscription.js';
import type { ExportSpec, ImportSpec, ResponseType } from '../config/options.js';
import { setHeaders } from '../protocol/headers.js';
import { subjectHasWildcard, subjectIsLiteral, subjectIsSubsetMatch, subjectsCollide } from '../sublist/subject.js';
import { ConfigError } from '../util/errors.js';
import { nowNs, rfc3339 } from '../util/time.js';
import type { InternalClient } from './internal-client.js';
import { clientInfo } from './event-info.js';

/** Go DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD */
export const DEFAULT_RESPONSE_THRESHOLD_MS = 2 * 60 * 1000;
export const REQUEST_INFO_HEADER = 'Nats-Request-Info';
const REPLY_PREFIX = '_R_.';
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** how often expired response mappings are swept */
const SWEEP_MS = 1000;

interface ServiceExport {
  acc: Account;
  subject: string;
  rt: ResponseType;
  thresholdMs: number;
  /** `latency`: sampling percent (0 = only requests carrying a trace header) and the subject metrics go to */
  latency?: { sampling: number; subject: string };
}

interface ServiceImport {
  importer: Account;
  exporter: Account;
  /** subject requesters publish to, in the importing account */
  local: string;
  /** subject the request is delivered on, in the exporting account */
  remote: string;
  export: ServiceExport;
  share: boolean;
}

interface PendingResponse {
  requester: Account;
  reply: string;
  rt: ResponseType;
  /** ms of the last response (or the request) */
  ts: number;
  thresholdMs: number;
  /** latency tracking of this request (singleton responses only, as Go) */
  track?: { exp: ServiceExport; from: Client | null; share: boolean; startNs: number; header?: Record<string, string[]> };
}

/** Per exporting account: its reply prefix and the responses it routes back. */
interface ResponseSpace {
  prefix: string;
  pending: Map<string, PendingResponse>;
}

function randomToken(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += DIGITS[randomInt(62)];
  return s;
}

/**
 * Map `subject` (matched by `from`) onto `to`: the wildcard tokens of the
 * subject fill `to`'s `*` tokens in order, and a trailing `>` takes the rest.
 * A literal `to` is returned as is.
 */
export function mapWildcards(from: string, to: string, subject: string): string {
  if (!subjectHasWildcard(to)) return to;
  const f = from.split('.');
  const s = subject.split('.');
  const wild: string[] = [];
  let rest = '';
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '*') wild.push(s[i]);
    else if (f[i] === '>') rest = s.slice(i).join('.');
  }
  let w = 0;
  return to
    .split('.')
    .map((t) => (t === '*' ? (wild[w++] ?? '*') : t === '>' ? rest : t))
    .join('.');
}

export class AccountImports {
  private readonly spaces = new Map<Account, ResponseSpace>();
  /** service exports (and stream imports) being routed right now: a re-entry is a cycle and is dropped */
  private readonly active = new Set<unknown>();
  private sweeper: NodeJS.Timeout | null = null;
  /** every internal subscription made, for teardown on config reload */
  private readonly subs: [Account, Subscription][] = [];

  constructor(
    private readonly ic: InternalClient,
    private readonly accounts: Map<string, Account>,
  ) {}

  /**
   * Check every import against the exporter's exports and subscribe; throws
   * Go's config errors. `dryRun` only checks (config reload validates first).
   */
  setup(dryRun = false): void {
    const exportsOf = (a: Account, kind: 'stream' | 'service'): ExportSpec[] => (a.spec?.exports ?? []).filter((e) => e.kind === kind);
    const serviceExports = new Map<string, ServiceExport>();
    for (const a of this.accounts.values()) {
      for (const imp of a.spec?.imports ?? []) {
        const exporter = this.accounts.get(imp.account);
        if (!exporter) throw new ConfigError(`"${imp.account}" account not defined for ${imp.kind} import`);
        const approved = exportsOf(exporter, imp.kind).find(
          (e) => subjectIsSubsetMatch(imp.subject, e.subject) && (e.accounts.length === 0 || e.accounts.includes(a.name)),
        );
        if (!approved) throw new ConfigError(`Error adding ${imp.kind} import "${imp.subject}": ${imp.kind} import not authorized`);
        if (imp.kind === 'stream' && imp.prefix && !subjectIsLiteral(imp.prefix)) {
          throw new ConfigError(`Error adding stream import "${imp.subject}": stream import prefix can not contain wildcard tokens`);
        }
        if (imp.kind === 'service') {
          const local = imp.to !== undefined && imp.to !== '' ? imp.to : imp.subject;
          if (this.formsCycle(a, exporter, local, new Set())) throw new ConfigError(`Error adding service import "${imp.subject}": import forms a cycle`);
        }
        if (dryRun) continue;
        if (imp.kind === 'stream') this.addStreamImport(a, exporter, imp);
        else {
          const key = `${exporter.name} ${approved.subject}`;
          let se = serviceExports.get(key);
          if (!se) {
            se = {
              acc: exporter,
              subject: approved.subject,
              rt: approved.response_type,
              thresholdMs: approved.response_threshold || DEFAULT_RESPONSE_THRESHOLD_MS,
              latency: approved.latency,
            };
            serviceExports.set(key, se);
          }
          this.addServiceImport(a, exporter, imp, se);
        }
      }
    }
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const s of this.spaces.values()) s.pending.clear();
  }

  /** Remove every subscription this made (config reload builds a new set). */
  teardown(): void {
    this.stop();
    for (const [acc, sub] of this.subs.splice(0)) this.ic.unsubscribe(acc, sub);
    this.spaces.clear();
  }

  private subscribe(acc: Account, subject: string, cb: InternalMsgHandler, local = false): Subscription {
    const sub = this.ic.subscribe(acc, subject, null, cb, local);
    this.subs.push([acc, sub]);
    return sub;
  }

  // ------------------------------------------------------------------ streams

  private addStreamImport(importer: Account, exporter: Account, imp: ImportSpec): void {
    let to = imp.subject;
    if (imp.prefix !== undefined && imp.prefix !== '') {
      to = (imp.prefix.endsWith('.') ? imp.prefix : imp.prefix + '.') + imp.subject;
    } else if (imp.to !== undefined && imp.to !== '') to = imp.to;
    const from = imp.subject;
    const same = to === from;
    const key = { stream: imp };
    this.subscribe(exporter, from, (_sub, subject, reply, hdr, payload) => {
      if (this.active.has(key)) return false;
      const target = same ? subject : mapWildcards(from, to, subject);
      this.active.add(key);
      try {
        return this.ic.publish(importer, target, reply, hdr, payload);
      } finally {
        this.active.delete(key);
      }
    });
  }

  // ------------------------------------------------------------------ services

  /**
   * A service import made by the server itself rather than the config:
   * requests on `subject` in `importer` go to `exporter` (Go
   * enableAllJetStreamServiceImportsAndMappings on a server without
   * JetStream: the account's `$JS.API.>` into the system account).
   */
  addServerServiceImport(importer: Account, exporter: Account, subject: string): void {
    const se: ServiceExport = { acc: exporter, subject, rt: 'Singleton', thresholdMs: DEFAULT_RESPONSE_THRESHOLD_MS };
    this.addServiceImport(importer, exporter, { kind: 'service', account: exporter.name, subject, share: false, allow_trace: false }, se);
  }

  private addServiceImport(importer: Account, exporter: Account, imp: ImportSpec, se: ServiceExport): void {
    const local = imp.to !== undefined && imp.to !== '' ? imp.to : imp.subject;
    const si: ServiceImport = { importer, exporter, local, remote: imp.subject, export: se, share: imp.share };
    // Go sub.si: a service import's subscription is not propagated to routes (every server applies its own imports)
    this.subscribe(importer, local, (_sub, subject, reply, hdr, payload, from) => this.request(si, subject, reply, hdr, payload, from), true);
  }

  /** Go serviceImportFormsCycle: does `exporter` (through its own service imports) lead back to `importer` on an overlapping subject? */
  private formsCycle(importer: Account, exporter: Account, subject: string, seen: Set<Account>): boolean {
    if (exporter === importer) return true;
    if (seen.has(exporter)) return false;
    seen.add(exporter);
    for (const imp of exporter.spec?.imports ?? []) {
      if (imp.kind !== 'service') continue;
      const local = imp.to || imp.subject;
      if (!subjectsCollide(local, subject) && !subjectsCollide(imp.subject, subject)) continue;
      const next = this.accounts.get(imp.account);
      if (next && this.formsCycle(importer, next, imp.subject, seen)) return true;
    }
    return false;
  }

  private request(si: ServiceImport, subject: string, reply: string, hdr: Buffer | null, payload: Buffer, from: Client | null): boolean {
    if (this.active.has(si.export)) return false;
    let target = si.remote === si.local ? subject : mapWildcards(si.local, si.remote, subject);
    // Go: the exporting account's own subject mappings apply to what it receives
    const mapped = si.exporter.mappings?.select(target) ?? null;
    if (mapped === '') return false;
    if (mapped !== null) target = mapped;
    let newReply = '';
    if (reply !== '') {
      // Go leaves $JS.ACK replies alone (pull consumers across accounts)
      newReply = reply.startsWith('$JS.ACK.') ? reply : this.mapReply(si, reply, this.sample(si, hdr, from));
    }
    const info = from !== null ? clientInfo(from, si.share, { acc: si.importer.name }) : { acc: si.importer.name };
    const h = setHeaders(hdr, [[REQUEST_INFO_HEADER, JSON.stringify(info)]]);
    this.active.add(si.export);
    let delivered: boolean;
    try {
      delivered = this.ic.publish(si.exporter, target, newReply, h, payload);
    } finally {
      this.active.delete(si.export);
    }
    if (!delivered && newReply !== reply) this.spaces.get(si.exporter)?.pending.delete(newReply);
    return delivered;
  }

  /** Go shouldSample: should this request's latency be measured? */
  private sample(si: ServiceImport, hdr: Buffer | null, from: Client | null): PendingResponse['track'] {
    const lat = si.export.latency;
    if (lat === undefined || si.export.rt !== 'Singleton') return undefined;
    let header: Record<string, string[]> | undefined;
    if (lat.sampling === 0) {
      // "headers": only requests that carry a tracing header are measured, and the header goes along
      const text = hdr === null ? '' : hdr.toString('latin1');
      const m = /^(traceparent|uber-trace-id|x-b3-sampled|x-b3-traceid|b3):\s*(.*)$/im.exec(text);
      if (m === null) return undefined;
      header = { [m[1]]: [m[2].trim()] };
    } else if (lat.sampling < 100 && Math.random() * 100 >= lat.sampling) return undefined;
    return { exp: si.export, from, share: si.share, startNs: nowNs(), header };
  }

  /** A fresh `_R_` reply in the exporting account that routes responses back to `reply`. */
  private mapReply(si: ServiceImport, reply: string, track?: PendingResponse['track']): string {
    const space = this.spaceOf(si.exporter);
    let r: string;
    do r = space.prefix + randomToken(6);
    while (space.pending.has(r));
    space.pending.set(r, { requester: si.importer, reply, rt: si.export.rt, ts: Date.now(), thresholdMs: si.export.thresholdMs, track });
    if (this.sweeper === null) {
      this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
      this.sweeper.unref();
    }
    return r;
  }

  private spaceOf(exporter: Account): ResponseSpace {
    let space = this.spaces.get(exporter);
    if (space) return space;
    const s: ResponseSpace = { prefix: `${REPLY_PREFIX}${randomToken(6)}.`, pending: new Map() };
    this.spaces.set(exporter, s);
    this.subscribe(exporter, `${s.prefix}>`, (_sub, subject, _reply, hdr, payload, from) => this.respond(s, subject, hdr, payload, from));
    return s;
  }

  private respond(space: ResponseSpace, subject: string, hdr: Buffer | null, payload: Buffer, from: Client | null): boolean {
    const p = space.pending.get(subject);
    if (p === undefined) return false;
    const delivered = this.ic.publish(p.requester, p.reply, '', hdr, payload);
    if (p.track !== undefined) {
      this.sendLatency(p.track, from);
      p.track = undefined;
    }
    // Go: a singleton answers once; an empty message ends a stream; nobody listening ends it too
    const eof = payload.length === 0 && (hdr === null || hdr.length === 0);
    if (!delivered || p.rt === 'Singleton' || eof) space.pending.delete(subject);
    else p.ts = Date.now();
    return delivered;
  }

  /** Go sendTrackingLatency: a service_latency metric in the exporting account. */
  private sendLatency(t: NonNullable<PendingResponse['track']>, responder: Client | null): void {
    const now = nowNs();
    const serviceRtt = now - t.startNs;
    const reqRtt = t.from !== null ? Math.round(t.from.rtt * 1e6) : 0;
    const respRtt = responder !== null ? Math.round(responder.rtt * 1e6) : 0;
    const info = (c: Client | null, detailed: boolean) => (c === null ? undefined : clientInfo(c, detailed));
    let total = reqRtt + serviceRtt;
    let system = 0;
    if (respRtt > 0) {
      system = Math.max(0, nowNs() - now);
      total += system;
    }
    const body = {
      type: 'io.nats.server.metric.v1.service_latency',
      id: randomToken(22),
      timestamp: rfc3339(Date.now() * 1e6),
      status: 200,
      requestor: info(t.from, t.share),
      responder: info(responder, true),
      header: t.header,
      start: rfc3339(t.startNs - reqRtt),
      service: Math.max(0, serviceRtt - respRtt),
      system,
      total,
    };
    const acc = t.exp.acc;
    if (acc.sl.hasInterest(t.exp.latency!.subject)) this.ic.publish(acc, t.exp.latency!.subject, '', null, Buffer.from(JSON.stringify(body)));
  }

  private sweep(): void {
    const now = Date.now();
    let left = 0;
    for (const s of this.spaces.values()) {
      for (const [k, p] of s.pending) if (now - p.ts > p.thresholdMs) s.pending.delete(k);
      left += s.pending.size;
    }
    if (left === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** Pending response mappings (monitoring and tests). */
  pendingResponses(): number {
    let n = 0;
    for (const s of this.spaces.values()) n += s.pending.size;
    return n;
  }
}
