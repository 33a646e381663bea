/**
 * Clustered JetStream API for R1 streams (Go jsClusteredStreamRequest,
 * processStreamAssignment, jsClusteredStreamDeleteRequest): once the meta
 * group has a leader,
 * - STREAM.CREATE goes to the meta leader, which places the stream on the
 *   least-loaded current peer (placement.ts), and proposes Go's stream
 *   assignment entry carrying the request's reply; every server applies it
 *   and the assigned one creates the stream and answers the client (a
 *   refused config is answered with the error and the assignment removed);
 * - requests about one stream (info, update, delete, purge, messages,
 *   consumers) that reach a server not holding it are forwarded to the one
 *   that does, which answers the client in the account; a delete removes the
 *   assignment once done.
 * Go's servers all receive each request and the responsible one answers; we
 * forward on `$JSC.API.<node id>` in the system account instead (our own
 * subject, a JSON envelope), so the single-server paths stay as they are.
 * Before the meta group ever had a leader, requests are served locally as
 * before; num_replicas > 1 is still refused by the local handlers (10074).
 */
import { randomBytes } from 'node:crypto';
import type { JetStream } from '../jetstream.js';
import type { ApiRequest, ApiRoute } from '../api/request.js';
import { respond } from '../api/request.js';
import { ApiError, jsError } from '../api/errors.js';
import type { Subscription } from '../../conn/subscription.js';
import { EntryOp, encodeDeleteStreamAssignment, encodeUpdateStreamAssignment, type StreamAssignment } from './assignments.js';
import { selectPeer } from './placement.js';
import type { MetaGroup } from './meta.js';
import { subjectsCollide } from '../../sublist/subject.js';
import { page } from '../api/request.js';

const FORWARD_PREFIX = '$JSC.API.';
/** Go JSApiNamesLimit */
const NAMES_LIMIT = 1024;

/** Replies to requests this server gathers from others (STREAM.LIST), in the system account. */
const GATHER_PREFIX = '$JSC.R.';
/** How long STREAM.LIST waits for the servers holding streams (then lists them as `missing`, as Go). */
const GATHER_TIMEOUT_MS = 2000;
/** Go JSApiListLimit */
const LIST_LIMIT = 256;

interface Envelope {
  acc: string;
  subject: string;
  reply: string;
  hdr: string | null;
  body: string;
  /** answer in the system account (a gather reply), not in the request's account */
  sys?: boolean;
}

interface Gather {
  got: Map<number, Record<string, unknown>>;
  want: number;
  finish: () => void;
}

/** Which token of the request names the stream (tokens start after `$JS.API`), or -1. */
function streamToken(pattern: string): number {
  if (pattern.startsWith('STREAM.MSG.')) return 3;
  if (pattern.startsWith('CONSUMER.DURABLE.CREATE.')) return 3;
  if (pattern.startsWith('CONSUMER.LEADER.STEPDOWN.')) return 3;
  if (/^STREAM\.(INFO|UPDATE|DELETE|PURGE|CREATE)\.\*$/.test(pattern)) return 2;
  if (pattern.startsWith('CONSUMER.')) return 2;
  return -1;
}

const GROUP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Go groupNameForStream: `S-R<n><F|M>-<8 random>`. */
function groupName(replicas: number, storage: string): string {
  const b = randomBytes(8);
  let s = '';
  for (let i = 0; i < 8; i++) s += GROUP_CHARS[b[i] % GROUP_CHARS.length];
  return `S-R${replicas}${storage === 'memory' ? 'M' : 'F'}-${s}`;
}

function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export class ClusteredApi {
  private readonly sub: Subscription;
  private readonly gatherSub: Subscription;
  private readonly gathers = new Map<string, Gather>();
  private gatherSeq = 0;

  constructor(private readonly js: JetStream, private readonly meta: MetaGroup) {
    const sys = js.server.systemAccount;
    this.sub = js.ic.subscribe(sys, FORWARD_PREFIX + meta.id, null, (_s, _subj, _reply, _hdr, payload) => this.onForwarded(Buffer.from(payload)));
    this.gatherSub = js.ic.subscribe(sys, `${GATHER_PREFIX}${meta.id}.*.*`, null, (_s, subj, _reply, _hdr, payload) => this.onGathered(subj, Buffer.from(payload)));
    meta.on('stream', (op: number, acc: string, sa: StreamAssignment) => {
      if (!meta.recovering) this.onStreamAssignment(op, acc, sa);
    });
    meta.on('recovered', () => this.reconcile());
  }

  stop(): void {
    this.js.ic.unsubscribe(this.js.server.systemAccount, this.sub);
    this.js.ic.unsubscribe(this.js.server.systemAccount, this.gatherSub);
    for (const g of this.gathers.values()) g.finish();
  }

  private active(): boolean {
    const n = this.meta.node;
    return n.leaderId !== '' || n.hadPreviousLeader;
  }

  /** The dispatcher's interceptor: true when the request was taken over. */
  intercept(r: ApiRoute, req: ApiRequest): boolean {
    if (!this.active()) return false;
    if (r.pattern === 'STREAM.NAMES') return this.names(r, req);
    if (r.pattern === 'STREAM.LIST') return this.list(r, req);
    if (r.pattern === 'INFO') return this.accountInfo(r, req);
    const ti = streamToken(r.pattern);
    if (ti < 0) return false;
    const stream = req.tokens[ti];
    if (stream === undefined) return false;
    const acc = req.jsa.acc.name;
    const sa = this.meta.streamAssignment(acc, stream);
    if (r.pattern === 'STREAM.CREATE.*' && sa === undefined) return this.create(r, req, stream);
    if (sa === undefined || sa.group.peers.length !== 1) return false;
    const owner = sa.group.peers[0] ?? '';
    if (owner === this.meta.id || owner === '') return false;
    this.forward(owner, req);
    return true;
  }

  /**
   * Go jsStreamNamesRequest in clustered mode: the names come from the meta
   * assignments (plus streams of this server that predate the meta group).
   */
  private names(r: ApiRoute, req: ApiRequest): boolean {
    const sel = this.select(req, NAMES_LIMIT);
    if (sel === null) return false;
    this.answer(req, r.type, { total: sel.total, offset: sel.offset, limit: sel.limit, streams: sel.items });
    return true;
  }

  /**
   * Go jsStreamListRequest in clustered mode: the infos of the assigned
   * streams, from this server for its own and from their holders for the
   * others; streams whose holder does not answer in time are `missing`.
   */
  private list(r: ApiRoute, req: ApiRequest): boolean {
    const sel = this.select(req, LIST_LIMIT);
    if (sel === null) return false;
    const acc = req.jsa.acc.name;
    const token = `${++this.gatherSeq}`;
    const got = new Map<number, Record<string, unknown>>();
    const remote: number[] = [];
    sel.items.forEach((name, i) => {
      const st = req.jsa.streams.get(name);
      const sa = this.meta.streamAssignment(acc, name);
      const owner = sa?.group.peers[0] ?? this.meta.id;
      if (owner === this.meta.id || st !== undefined) {
        if (st !== undefined) got.set(i, st.infoJSON());
      } else remote.push(i);
    });
    let timer: NodeJS.Timeout | null = null;
    const finish = () => {
      if (!this.gathers.delete(token)) return;
      if (timer !== null) clearTimeout(timer);
      const streams: Record<string, unknown>[] = [];
      const missing: string[] = [];
      sel.items.forEach((name, i) => {
        const info = got.get(i);
        if (info !== undefined) streams.push(info);
        else missing.push(name);
      });
      const out: Record<string, unknown> = { total: sel.total, offset: sel.offset, limit: sel.limit, streams };
      if (missing.length > 0) out.missing = missing;
      this.answer(req, r.type, out);
    };
    this.gathers.set(token, { got, want: sel.items.length, finish });
    if (got.size === sel.items.length || remote.length === 0) {
      finish();
      return true;
    }
    timer = setTimeout(finish, GATHER_TIMEOUT_MS);
    for (const i of remote) {
      const name = sel.items[i];
      const owner = this.meta.streamAssignment(acc, name)!.group.peers[0];
      const env: Envelope = { acc, subject: `$JS.API.STREAM.INFO.${name}`, reply: `${GATHER_PREFIX}${this.meta.id}.${token}.${i}`, hdr: null, body: '', sys: true };
      this.js.ic.publish(this.js.server.systemAccount, FORWARD_PREFIX + owner, '', null, Buffer.from(JSON.stringify(env)));
    }
    return true;
  }

  /**
   * Go jsAccountInfoRequest in clustered mode reports the account's usage
   * across the cluster: this server's answer plus every routed meta peer's,
   * summed (streams, consumers, memory, storage, reservations).
   */
  private accountInfo(r: ApiRoute, req: ApiRequest): boolean {
    const peers = this.meta.routedPeers().filter((p) => p !== this.meta.id);
    if (peers.length === 0 || req.body.length > 0 && req.body.toString().trim() !== '' && req.body.toString().trim() !== '{}') return false;
    const d = this.js.dispatcherFor(req.jsa.acc.name);
    if (d === undefined) return false;
    const token = `${++this.gatherSeq}`;
    const got = new Map<number, Record<string, unknown>>();
    let timer: NodeJS.Timeout | null = null;
    const finish = () => {
      if (!this.gathers.delete(token)) return;
      if (timer !== null) clearTimeout(timer);
      const mine = got.get(0);
      if (mine === undefined) return;
      for (const [i, o] of got) {
        if (i === 0) continue;
        for (const k of ['memory', 'storage', 'reserved_memory', 'reserved_storage', 'streams', 'consumers']) {
          if (typeof o[k] === 'number' && typeof mine[k] === 'number') mine[k] = (mine[k] as number) + (o[k] as number);
        }
      }
      for (const k of ['type', 'total', 'offset', 'limit']) delete mine[k];
      this.answer(req, r.type, mine);
    };
    this.gathers.set(token, { got, want: peers.length + 1, finish });
    timer = setTimeout(finish, GATHER_TIMEOUT_MS);
    // this server's own answer, past the interceptor, into the same gather
    const sys = this.js.server.systemAccount;
    const via = (rep: string, b: Buffer) => { this.onGathered(rep, b); };
    d.runLocal('$JS.API.INFO', `${GATHER_PREFIX}${this.meta.id}.${token}.0`, null, Buffer.alloc(0), undefined, false, via);
    peers.forEach((p, k) => {
      const env: Envelope = { acc: req.jsa.acc.name, subject: '$JS.API.INFO', reply: `${GATHER_PREFIX}${this.meta.id}.${token}.${k + 1}`, hdr: null, body: '', sys: true };
      this.js.ic.publish(sys, FORWARD_PREFIX + p, '', null, Buffer.from(JSON.stringify(env)));
    });
    return true;
  }

  private onGathered(subject: string, payload: Buffer): void {
    const parts = subject.split('.');
    const g = this.gathers.get(parts[3]);
    if (g === undefined) return;
    try {
      const o = JSON.parse(payload.toString()) as Record<string, unknown>;
      if (o.error === undefined) {
        for (const k of ['type', 'total', 'offset', 'limit']) delete o[k];
        g.got.set(Number(parts[4]), o);
      }
    } catch {
      return;
    }
    if (g.got.size >= g.want) g.finish();
  }

  /** The account's streams (assigned, plus this server's own that predate the meta group), filtered and paged. */
  private select(req: ApiRequest, limit: number): { total: number; offset: number; limit: number; items: string[] } | null {
    let body: { subject?: string; offset?: number } = {};
    if (req.body.length > 0) {
      try {
        body = JSON.parse(req.body.toString('utf8')) as typeof body;
      } catch {
        return null;
      }
      if (body === null || typeof body !== 'object') return null;
    }
    const acc = req.jsa.acc.name;
    const subjects = new Map<string, string[]>();
    for (const [name, sa] of this.meta.streams.get(acc) ?? []) subjects.set(name, Array.isArray(sa.stream.subjects) ? (sa.stream.subjects as string[]) : []);
    for (const [name, st] of req.jsa.streams) if (!subjects.has(name)) subjects.set(name, st.cfg.subjects ?? []);
    let all = [...subjects.keys()].sort();
    const f = body.subject;
    if (f) all = all.filter((n) => subjects.get(n)!.some((x) => subjectsCollide(f, x)));
    return page(all, typeof body.offset === 'number' ? body.offset : 0, limit);
  }

  private create(r: ApiRoute, req: ApiRequest, name: string): boolean {
    let cfg: Record<string, unknown>;
    try {
      cfg = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
      if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) return false;
    } catch {
      return false; // the local handler answers with Go's JSON error
    }
    const replicas = typeof cfg.num_replicas === 'number' && cfg.num_replicas > 0 ? cfg.num_replicas : 1;
    if (replicas > 1 || (cfg.name !== undefined && cfg.name !== name)) return false; // refused locally (10074 / name mismatch)
    const leader = this.meta.node.leaderId;
    if (leader === '') {
      this.answer(req, r.type, jsError('JSClusterNotAvailErr'));
      return true;
    }
    if (leader !== this.meta.id) {
      this.forward(leader, req);
      return true;
    }
    const peer = selectPeer(this.meta, cfg);
    if (peer === '') {
      this.answer(req, r.type, jsError('JSInsufficientResourcesErr'));
      return true;
    }
    const storage = cfg.storage === 'memory' ? 'memory' : 'file';
    const sa: StreamAssignment = {
      client: { acc: req.jsa.acc.name, server: this.js.server.name },
      created: rfc3339Nano(Date.now()),
      stream: { ...cfg, name },
      group: { name: groupName(1, storage), peers: [peer], store: storage, cluster: this.meta.clusterName() },
      sync: `$JSC.SYNC.${randomBytes(6).toString('hex')}`,
      reply: req.reply,
    };
    this.meta.proposeStream(sa);
    return true;
  }

  private answer(req: ApiRequest, type: string, out: Record<string, unknown> | ApiError): void {
    if (req.reply !== '') respond(req, type, out);
  }

  private forward(node: string, req: ApiRequest): void {
    const env: Envelope = {
      acc: req.jsa.acc.name,
      subject: `$JS.API.${req.tokens.join('.')}`,
      reply: req.reply,
      hdr: req.hdr === null ? null : req.hdr.toString('base64'),
      body: req.body.toString('base64'),
    };
    this.js.ic.publish(this.js.server.systemAccount, FORWARD_PREFIX + node, '', null, Buffer.from(JSON.stringify(env)));
  }

  private onForwarded(payload: Buffer): void {
    let env: Envelope;
    try {
      env = JSON.parse(payload.toString()) as Envelope;
    } catch {
      return;
    }
    const d = this.js.dispatcherFor(env.acc);
    if (d === undefined) return;
    const hdr = env.hdr === null ? null : Buffer.from(env.hdr, 'base64');
    const body = Buffer.from(env.body, 'base64');
    // A create goes through the interceptor again: the meta leader places it, a server that
    // learnt of the assignment meanwhile passes it to the holder, the holder serves it.
    if (env.subject.startsWith('$JS.API.STREAM.CREATE.')) {
      d.runLocal(env.subject, env.reply, hdr, body, undefined, true);
      return;
    }
    const sys = this.js.server.systemAccount;
    const via = env.sys === true ? (r: string, b: Buffer) => { this.js.ic.publish(sys, r, '', null, b); } : null;
    d.runLocal(env.subject, env.reply, hdr, body, undefined, false, via);
  }

  /**
   * The dispatcher's observer: the holder of an assigned stream keeps the
   * meta group in step with what it served (Go proposes the update or the
   * removal to the meta leader): a successful update replaces the
   * assignment's config, a successful delete removes the assignment.
   */
  observe(r: ApiRoute, req: ApiRequest, out: Record<string, unknown> | ApiError | null): void {
    if (out === null || out instanceof ApiError) return;
    if (r.pattern !== 'STREAM.UPDATE.*' && r.pattern !== 'STREAM.DELETE.*') return;
    const acc = req.jsa.acc.name;
    const name = req.tokens[2] ?? '';
    const sa = this.meta.streamAssignment(acc, name);
    if (sa === undefined || sa.group.peers.length !== 1 || sa.group.peers[0] !== this.meta.id) return;
    if (r.pattern === 'STREAM.DELETE.*') {
      this.meta.propose(encodeDeleteStreamAssignment(sa));
      return;
    }
    const cfg = out.config;
    if (cfg !== null && typeof cfg === 'object') {
      const { reply: _reply, ...rest } = sa;
      this.meta.propose(encodeUpdateStreamAssignment({ ...rest, stream: cfg as Record<string, unknown> }));
    }
  }


  /** After the meta replay at start-up (Go processMetaRecovery): create the R1 streams assigned here that are missing. */
  private reconcile(): void {
    for (const [acc, m] of this.meta.streams) {
      for (const sa of m.values()) this.onStreamAssignment(EntryOp.assignStream, acc, { ...sa, reply: undefined });
    }
  }

  /** Go processStreamAssignment / processStreamRemoval on the server the group names. */
  private onStreamAssignment(op: number, acc: string, sa: StreamAssignment): void {
    if (!sa.group.peers.includes(this.meta.id)) return;
    // A replicated group (a Go meta leader may place one on us): we cannot run stream groups yet,
    // and must not remove an assignment that the other peers can serve.
    if (sa.group.peers.length !== 1) {
      this.js.log.warn(`JetStream cluster: stream '${acc} > ${String(sa.stream.name ?? '')}' is assigned to this server in replicated group ${sa.group.name}, which is not supported yet`);
      return;
    }
    const d = this.js.dispatcherFor(acc);
    const jsa = this.js.accounts.get(acc);
    if (d === undefined || jsa === undefined) return;
    const name = String(sa.stream.name ?? '');
    if (op === EntryOp.assignStream) {
      if (jsa.streams.has(name)) return; // recovered from disk, or created before
      d.runLocal(`$JS.API.STREAM.CREATE.${name}`, sa.reply ?? '', null, Buffer.from(JSON.stringify(sa.stream)), (out) => {
        if (out instanceof ApiError) this.meta.propose(encodeDeleteStreamAssignment(sa));
      });
    } else if (op === EntryOp.removeStream && jsa.streams.has(name)) {
      d.runLocal(`$JS.API.STREAM.DELETE.${name}`, '', null, Buffer.alloc(0));
    }
  }
}

