/**
 * JetStream inside one account (Go jsAccount): its streams and consumers,
 * their storage directories, usage against limits, API counters, and the
 * glue that lets streams and consumers subscribe and publish in the account.
 */
import type { AccountJetStreamSpec } from '../config/options.js';
import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';
import { join } from 'node:path';
import type { Account } from '../accounts/account.js';
import type { Subscription } from '../conn/subscription.js';
import type { Client } from '../conn/client.js';
import type { Logger } from '../log/logger.js';
import type { InternalClient } from '../server/internal-client.js';
import { subjectsCollide } from '../sublist/subject.js';
import { jsError, ApiError } from './api/errors.js';
import { MemStore } from './store/memstore.js';
import { openFileStore } from './store/factory.js';
import { nowNs, type ConsumerState, type StreamStore } from './store/store.js';
import { Stream, storeConfigOf, type StreamHost } from './stream/stream.js';
import { checkStreamConfig, checkStreamUpdate, isValidAssetName, sameStreamConfig, setStaticMetadata, type StreamConfig } from './stream/config.js';
import { Consumer, type ConsumerHost } from './consumer/consumer.js';
import {
  checkConsumerConfig,
  checkConsumerUpdate,
  setConsumerDefaults,
  setConsumerStaticMetadata,
  filtersOf,
  type ConsumerConfig,
} from './consumer/config.js';
import { rfc3339, parseRfc3339 } from './time.js';
import { directGet, directGetLastBySubject } from './api/direct-get.js';
import { randomId } from './ids.js';

/** Account limits (Go JetStreamAccountLimits); -1 = unlimited. The config's account `jetstream` entry has this shape. */
export type JsAccountLimits = AccountJetStreamSpec;

/** What the account needs from the server-wide JetStream. */
export interface JsContext {
  readonly ic: InternalClient;
  readonly log: Logger;
  readonly serverName: string;
  readonly clusterName?: string;
  readonly serverVersion: string;
  readonly domain: string;
  readonly storeDir: string;
  readonly syncInterval: number | 'always';
  readonly maxRequestBatch: number;
  readonly maxAckPending: number;
  /** ns, 0 = none */
  readonly duplicateWindowLimit: number;
  /** server-wide resource check: null when `bytes` more of `storage` fit */
  serverWouldExceed(storage: 'file' | 'memory', bytes: number): boolean;
  /** Would reserving `bytes` more (max_bytes of streams) go past the server's JetStream limit? */
  serverReservationExceeded(storage: 'file' | 'memory', bytes: number): boolean;
  apiPrefixes(): string[];
  /** Go consumer nextWaiting: is a pull request's reply (not wanted here) perhaps wanted across a gateway or leaf link? */
  linkedReplyInterest(acc: string, reply: string, receivedMs: number): boolean;
  /** Go hasGatewayInterest */
  gatewayInterest(acc: string, subject: string): boolean;
}

interface MetaFile {
  config: StreamConfig;
  created: string;
}

export class JsAccount implements StreamHost {
  readonly streams = new Map<string, Stream>();
  private readonly directSubs = new Map<string, Subscription[]>();
  apiTotal = 0;
  apiErrors = 0;
  /** bytes held by memory / file streams, kept current by the stores' update callbacks */
  memUsed = 0;
  storeUsed = 0;
  readonly dir: string;

  constructor(
    readonly ctx: JsContext,
    readonly acc: Account,
    public limits: JsAccountLimits,
  ) {
    this.dir = join(ctx.storeDir, acc.name, 'streams');
  }

  // ------------------------------------------------------------------ StreamHost / ConsumerHost glue

  get domain(): string {
    return this.ctx.domain;
  }
  get serverName(): string {
    return this.ctx.serverName;
  }
  get clusterName(): string {
    return this.ctx.clusterName ?? '';
  }
  get serverVersion(): string {
    return this.ctx.serverVersion;
  }
  get log(): Logger {
    return this.ctx.log;
  }

  /** `cb` also gets the publishing client (null for internal publishers), as the API needs for advisories. */
  subscribe(subject: string, queue: string | null, cb: (subject: string, reply: string, hdr: Buffer | null, payload: Buffer, from: Client | null) => void, local = false): Subscription {
    return this.ctx.ic.subscribe(this.acc, subject, queue, (_sub, subj, reply, hdr, payload, from) => cb(subj, reply, hdr, payload, from), local);
  }

  unsubscribe(sub: Subscription): void {
    this.ctx.ic.unsubscribe(this.acc, sub);
  }

  publish(subject: string, reply: string, hdr: Buffer | null, payload: Buffer, shown?: string): boolean {
    return this.ctx.ic.publish(this.acc, subject, reply, hdr, payload, shown);
  }

  /** Interest in a deliver subject: here, or (plain) in a remote cluster (Go consumer updateDeliveryInterest). */
  hasInterest(subject: string, queue?: string): boolean {
    if (queue === undefined) return this.acc.sl.hasInterest(subject) || this.ctx.gatewayInterest(this.acc.name, subject);
    const r = this.acc.sl.match(subject);
    for (const g of r.qsubs) if (g.length > 0 && g[0].queue === queue) return true;
    return false;
  }

  advisory(subject: string, body: Record<string, unknown>): void {
    if (!this.acc.sl.hasInterest(subject)) return;
    const full = { type: body.type, id: randomId(), timestamp: rfc3339(Date.now() * 1e6), ...body };
    if (this.ctx.domain) (full as Record<string, unknown>).domain = this.ctx.domain;
    this.publish(subject, '', null, Buffer.from(JSON.stringify(full)));
  }

  wouldExceed(storage: 'file' | 'memory', bytes: number): ApiError | null {
    const lim = storage === 'memory' ? this.limits.max_memory : this.limits.max_storage;
    const used = storage === 'memory' ? this.memUsed : this.storeUsed;
    if (lim >= 0 && used + bytes > lim) return jsError('JSAccountResourcesExceededErr');
    if (this.ctx.serverWouldExceed(storage, bytes)) return jsError('JSInsufficientResourcesErr');
    return null;
  }

  private consumerHost(stream: Stream): ConsumerHost {
    return {
      serverVersion: this.ctx.serverVersion,
      apiPrefixes: this.ctx.apiPrefixes(),
      log: this.ctx.log,
      account: this.acc.name,
      subscribe: (s, q, cb) => this.subscribe(s, q, cb),
      unsubscribe: (s) => this.unsubscribe(s),
      publish: (s, r, h, p, shown) => this.publish(s, r, h, p, shown),
      publishRegion: (s, shown, r, rl, buf, st, hl, e) => this.ctx.ic.publishRegion(this.acc, s, shown, r, rl, buf, st, hl, e),
      hasInterest: (s, q) => this.hasInterest(s, q),
      replyInterest: (r, received) => this.acc.sl.hasInterest(r) || this.ctx.linkedReplyInterest(this.acc.name, r, received),
      advisory: (s, b) => this.advisory(s, b),
      removed: (c) => {
        if (stream.consumers.get(c.name) !== c) return;
        this.deleteConsumer(stream, c, false);
      },
    };
  }

  // ------------------------------------------------------------------ usage

  /** Count a stream's bytes in the account totals from now on. */
  private track(s: Stream): void {
    const mem = s.cfg.storage === 'memory';
    const b = s.store.state().bytes;
    if (mem) this.memUsed += b;
    else this.storeUsed += b;
    s.store.registerStorageUpdates((_md, bd) => {
      if (mem) this.memUsed += bd;
      else this.storeUsed += bd;
    });
  }

  private untrack(s: Stream): void {
    const b = s.store.state().bytes;
    s.store.registerStorageUpdates(() => {});
    if (s.cfg.storage === 'memory') this.memUsed -= b;
    else this.storeUsed -= b;
  }

  usage(): { memory: number; storage: number; streams: number; consumers: number; messages: number } {
    let memory = 0;
    let storage = 0;
    let consumers = 0;
    let messages = 0;
    for (const s of this.streams.values()) {
      const st = s.store.state();
      if (s.cfg.storage === 'memory') memory += st.bytes;
      else storage += st.bytes;
      messages += st.msgs;
      consumers += s.consumers.size;
    }
    return { memory, storage, streams: this.streams.size, consumers, messages };
  }

  /** Memory and storage reserved by streams with max_bytes set (Go reserved_*). */
  /** Go tieredReservation: max_bytes of the account's other streams on the same storage. */
  private reservedByOthers(cfg: StreamConfig): number {
    let n = 0;
    for (const o of this.streams.values()) if (o.cfg.name !== cfg.name && o.cfg.storage === cfg.storage && o.cfg.max_bytes > 0) n += o.cfg.max_bytes;
    return n;
  }

  /**
   * Go checkLimits for a stream create or update: its max_consumers against
   * the account's, then `add` more reserved bytes (at least 1 when the stream
   * has no max_bytes) against the account's and the server's limits.
   */
  private checkStreamLimits(cfg: StreamConfig, current: number, add: number): ApiError | null {
    if (cfg.max_consumers > 0 && this.limits.max_consumers > 0 && cfg.max_consumers > this.limits.max_consumers) return jsError('JSMaximumConsumersLimitErr');
    const bytes = add < 0 ? 1 : add;
    const mem = cfg.storage === 'memory';
    const lim = mem ? this.limits.max_memory : this.limits.max_storage;
    const exceeded = (lim >= 0 && (current > lim || bytes > lim - current)) || this.ctx.serverReservationExceeded(cfg.storage, bytes);
    return exceeded ? jsError(mem ? 'JSMemoryResourcesExceededErr' : 'JSStorageResourcesExceededErr') : null;
  }

  reserved(): { memory: number; storage: number } {
    let memory = 0;
    let storage = 0;
    for (const s of this.streams.values()) {
      if (s.cfg.max_bytes > 0) {
        if (s.cfg.storage === 'memory') memory += s.cfg.max_bytes;
        else storage += s.cfg.max_bytes;
      }
    }
    return { memory, storage };
  }

  // ------------------------------------------------------------------ streams

  private checkCtx() {
    return {
      lookup: (n: string) => this.streams.get(n)?.cfg ?? null,
      maxDuplicateWindow: this.ctx.duplicateWindowLimit,
      maxBytesRequired: this.limits.max_bytes_required,
    };
  }

  private checkOverlap(cfg: StreamConfig): ApiError | null {
    for (const s of this.streams.values()) {
      if (s.name === cfg.name) continue;
      for (const a of cfg.subjects ?? []) for (const b of s.cfg.subjects ?? []) if (subjectsCollide(a, b)) return jsError('JSStreamSubjectOverlapErr');
    }
    return null;
  }

  /** Create (or idempotently re-create) a stream. */
  createStream(input: Partial<StreamConfig>, pedantic: boolean): Stream | ApiError {
    const checked = checkStreamConfig(input, pedantic, this.checkCtx());
    if (checked instanceof ApiError) return checked;
    const cfg = checked;
    // Go addStreamWithAssignment: a server that does not run clustered JetStream (every server of
    // ours, until stream groups replicate) refuses replicas rather than keeping one copy silently.
    if (cfg.num_replicas > 1) return jsError('JSStreamReplicasNotSupportedErr');
    setStaticMetadata(cfg);
    const existing = this.streams.get(cfg.name);
    if (existing) {
      if (sameStreamConfig(existing.cfg, cfg)) return existing;
      return jsError('JSStreamNameExistErr');
    }
    const ov = this.checkOverlap(cfg);
    if (ov) return ov;
    if (this.limits.max_streams >= 0 && this.streams.size >= this.limits.max_streams) return jsError('JSMaximumStreamsLimitErr');
    const maxStreamBytes = cfg.storage === 'memory' ? this.limits.memory_max_stream_bytes : this.limits.storage_max_stream_bytes;
    if (maxStreamBytes > 0 && cfg.max_bytes > maxStreamBytes) return jsError('JSStreamMaxStreamBytesExceeded');
    const lim = this.checkStreamLimits(cfg, this.reservedByOthers(cfg), cfg.max_bytes);
    if (lim) return lim;
    const created = nowNs();
    let store: StreamStore;
    try {
      store = this.openStore(cfg);
    } catch (e) {
      return jsError('JSStreamCreateErrF', { err: (e as Error).message });
    }
    const s = new Stream(this, cfg, store, created);
    this.writeMeta(s);
    this.streams.set(cfg.name, s);
    this.track(s);
    s.start();
    this.syncDirectGet(s);
    this.advisory(`$JS.EVENT.ADVISORY.STREAM.CREATED.${cfg.name}`, { type: 'io.nats.jetstream.advisory.v1.stream_action', stream: cfg.name, action: 'create' });
    return s;
  }

  private streamDir(name: string): string {
    return join(this.dir, name);
  }

  private openStore(cfg: StreamConfig): StreamStore {
    if (cfg.storage === 'memory') return new MemStore(storeConfigOf(cfg));
    const dir = this.streamDir(cfg.name);
    mkdirSync(dir, { recursive: true });
    return openFileStore(dir, storeConfigOf(cfg), this.ctx.syncInterval, this.ctx.log);
  }

  private writeMeta(s: Stream): void {
    if (s.cfg.storage !== 'file') return;
    const dir = this.streamDir(s.name);
    mkdirSync(dir, { recursive: true });
    const meta: MetaFile = { config: s.cfg, created: rfc3339(s.created) };
    writeFileAtomic(join(dir, 'meta.inf'), Buffer.from(JSON.stringify(meta)), { fsync: this.ctx.syncInterval === 'always' });
  }

  updateStream(input: Partial<StreamConfig>, pedantic: boolean): Stream | ApiError {
    const name = input?.name;
    const s = typeof name === 'string' ? this.streams.get(name) : undefined;
    if (!s) return jsError('JSStreamNotFoundErr');
    const checked = checkStreamConfig(input, pedantic, this.checkCtx());
    if (checked instanceof ApiError) return checked;
    const cfg = checked;
    setStaticMetadata(cfg);
    const bad = checkStreamUpdate(s.cfg, cfg);
    if (bad) return bad;
    const ov = this.checkOverlap(cfg);
    if (ov) return ov;
    // Only a larger max_bytes reserves more; the rest of this stream's reservation counts as in use.
    const grow = Math.max(0, cfg.max_bytes - s.cfg.max_bytes);
    const lim = this.checkStreamLimits(cfg, this.reservedByOthers(cfg) + Math.max(0, cfg.max_bytes - grow), grow);
    if (lim) return lim;
    if (cfg.sealed && !s.cfg.sealed) {
      cfg.max_age = 0;
      cfg.discard = 'new';
      cfg.deny_delete = true;
      cfg.deny_purge = true;
      cfg.allow_rollup_hdrs = false;
    }
    s.update(cfg);
    this.writeMeta(s);
    this.syncDirectGet(s);
    this.advisory(`$JS.EVENT.ADVISORY.STREAM.UPDATED.${cfg.name}`, { type: 'io.nats.jetstream.advisory.v1.stream_action', stream: cfg.name, action: 'modify' });
    return s;
  }

  deleteStream(name: string): boolean {
    const s = this.streams.get(name);
    if (!s) return false;
    this.streams.delete(name);
    this.stopDirectGet(name);
    this.untrack(s);
    s.delete();
    this.advisory(`$JS.EVENT.ADVISORY.STREAM.DELETED.${name}`, { type: 'io.nats.jetstream.advisory.v1.stream_action', stream: name, action: 'delete' });
    return true;
  }

  // ------------------------------------------------------------------ direct get

  /** Subscribe (or drop) `$JS.API.DIRECT.GET.<stream>[.>]` to match allow_direct. */
  private syncDirectGet(s: Stream): void {
    const want = s.cfg.allow_direct || (s.cfg.mirror_direct && !!s.cfg.mirror);
    const have = this.directSubs.has(s.name);
    if (want === have) return;
    if (!want) return this.stopDirectGet(s.name);
    const subs: Subscription[] = [];
    for (const pre of this.ctx.apiPrefixes()) {
      const base = `${pre}.DIRECT.GET.${s.name}`;
      subs.push(
        this.subscribe(base, '_sys_', (_subj, reply, hdr, payload) => {
          if (reply === '') return;
          directGet(s, hdr, payload, (h, p) => this.publish(reply, '', h, p));
        }),
      );
      subs.push(
        this.subscribe(`${base}.>`, '_sys_', (subj, reply, hdr, payload) => {
          if (reply === '') return;
          const key = subj.length > base.length + 1 ? subj.slice(base.length + 1) : '';
          directGetLastBySubject(s, key, hdr, payload, (h, p) => this.publish(reply, '', h, p));
        }),
      );
    }
    this.directSubs.set(s.name, subs);
  }

  private stopDirectGet(name: string): void {
    const subs = this.directSubs.get(name);
    if (!subs) return;
    for (const x of subs) this.unsubscribe(x);
    this.directSubs.delete(name);
  }

  // ------------------------------------------------------------------ consumers

  /**
   * Go addConsumerWithAssignment for one server. `action` is '', 'create' or 'update'.
   */
  addConsumer(s: Stream, input: ConsumerConfig, action: string, pedantic: boolean): Consumer | ApiError {
    const cfg = { ...input };
    const lim = { maxAckPending: this.ctx.maxAckPending, maxRequestBatch: this.ctx.maxRequestBatch };
    if (this.limits.max_ack_pending > 0 && (lim.maxAckPending <= 0 || this.limits.max_ack_pending < lim.maxAckPending)) lim.maxAckPending = this.limits.max_ack_pending;
    const def = setConsumerDefaults(cfg, s.cfg, lim, pedantic);
    if (def) return def;
    const bad = checkConsumerConfig(cfg, s.cfg, lim);
    if (bad) return bad;
    setConsumerStaticMetadata(cfg);
    const cname = cfg.durable_name || cfg.name || '';
    if (cname !== '') {
      const eo = s.consumers.get(cname) as Consumer | undefined;
      if (eo) {
        if (action === 'create' && JSON.stringify(normalizeForCompare(eo.cfg)) !== JSON.stringify(normalizeForCompare(cfg))) {
          return jsError('JSConsumerAlreadyExists');
        }
        if (s.cfg.retention === 'workqueue' && !s.partitionUnique(cname, filtersOf(cfg))) return jsError('JSConsumerWQConsumerNotUniqueErr');
        const upd = checkConsumerUpdate(eo.cfg, cfg, !!eo.cfg.deliver_subject && this.acc.sl.hasInterest(eo.cfg.deliver_subject));
        if (upd instanceof ApiError) return upd;
        if (typeof upd === 'string') return jsError('JSConsumerCreateErrF', { err: upd });
        // Go: a create or update never changes the pause deadline (that is the PAUSE API's job)
        if (eo.cfg.pause_until) cfg.pause_until = eo.cfg.pause_until;
        else delete cfg.pause_until;
        eo.updateConfig(cfg);
        return eo;
      }
    }
    if (action === 'update') return jsError('JSConsumerDoesNotExist');
    let maxc = s.cfg.max_consumers;
    if (maxc <= 0 || (this.limits.max_consumers > 0 && this.limits.max_consumers < maxc)) maxc = this.limits.max_consumers;
    if (maxc > 0 && s.numLimitableConsumers() >= maxc) return jsError('JSMaximumConsumersLimitErr');
    if (s.cfg.retention === 'workqueue' && !cfg.direct) {
      if (cfg.ack_policy !== 'explicit' && cfg.ack_policy !== 'flow_control') return jsError('JSConsumerWQRequiresExplicitAckErr');
      if (cfg.deliver_policy !== 'all') return jsError('JSConsumerWQConsumerNotDeliverAllErr');
      if (s.numLimitableConsumers() > 0) {
        const f = filtersOf(cfg);
        if (f.length === 0) return jsError('JSConsumerWQMultipleUnfilteredErr');
        if (!s.partitionUnique(cname, f)) return jsError('JSConsumerWQConsumerNotUniqueErr');
      }
    }
    let name = cname;
    if (name === '') {
      do name = randomId(8); while (s.consumers.has(name));
      cfg.name = name;
    }
    if (cfg.durable_name && cfg.durable_name.length > 255) return jsError('JSConsumerNameTooLongErrF', { max: 255 });
    if (!isValidAssetName(name)) return jsError('JSConsumerBadDurableNameErr');
    const created = nowNs();
    const useStore = !cfg.direct;
    let cstore = null;
    if (useStore) {
      try {
        cstore = cfg.mem_storage && s.store.type === 'file' ? new MemStore(storeConfigOf(s.cfg)).consumerStore(name, cfg) : s.store.consumerStore(name, cfg);
        cstore.setConfig(cfg, created);
      } catch (e) {
        return jsError('JSConsumerStoreFailedErrF', { err: (e as Error).message });
      }
    }
    const ephemeral = !cfg.durable_name;
    const c = new Consumer(this.consumerHost(s), s, cfg, cstore, created, ephemeral);
    c.init(null);
    s.addConsumer(c);
    c.start();
    this.advisory(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.${s.name}.${name}`, {
      type: 'io.nats.jetstream.advisory.v1.consumer_action',
      stream: s.name,
      consumer: name,
      action: 'create',
    });
    return c;
  }

  deleteConsumer(s: Stream, c: Consumer, _byApi: boolean): void {
    s.removeConsumer(c);
    c.delete();
    this.advisory(`$JS.EVENT.ADVISORY.CONSUMER.DELETED.${s.name}.${c.name}`, {
      type: 'io.nats.jetstream.advisory.v1.consumer_action',
      stream: s.name,
      consumer: c.name,
      action: 'delete',
    });
  }

  // ------------------------------------------------------------------ restore

  /** Re-create a stream from a snapshot: its messages keep their sequences and times. */
  restoreStream(
    cfg: StreamConfig,
    firstSeq: number,
    lastSeq: number,
    msgs: { seq: number; ts: number; subj: string; hdr: Buffer | null; msg: Buffer }[],
    consumers: { name: string; config: unknown; created: number; state: unknown }[],
  ): Stream | ApiError {
    const r = this.createStream({ ...cfg, sealed: false }, false);
    if (r instanceof ApiError) return r;
    const s = r;
    const store = s.store;
    for (const m of msgs) store.storeRawMsg(m.subj, m.hdr, m.msg, m.seq, m.ts);
    const st = store.state();
    if (st.msgs === 0 && lastSeq > 0) store.compact(lastSeq + 1);
    else if (firstSeq > st.first_seq) store.compact(firstSeq);
    while (store.state().last_seq < lastSeq) store.skipMsg();
    if (cfg.sealed) {
      s.update({ ...s.cfg, sealed: true });
      this.writeMeta(s);
    }
    for (const c of consumers) {
      const ccfg = c.config as ConsumerConfig;
      const raw = c.state as { delivered: ConsumerState['delivered']; ack_floor: ConsumerState['ack_floor']; pending: [number, { sequence: number; timestamp: number }][]; redelivered: [number, number][] };
      const state: ConsumerState = { delivered: raw.delivered, ack_floor: raw.ack_floor, pending: new Map(raw.pending), redelivered: new Map(raw.redelivered) };
      const cs = s.store.consumerStore(c.name, ccfg);
      cs.setConfig(ccfg, c.created);
      const con = new Consumer(this.consumerHost(s), s, ccfg, cs, c.created, !ccfg.durable_name);
      con.init(state);
      s.addConsumer(con);
      con.start();
    }
    return s;
  }

  // ------------------------------------------------------------------ recovery

  /** Re-open file streams and their consumers from the account's directory. */
  recover(): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir).sort()) {
      const dir = this.streamDir(name);
      const metaPath = join(dir, 'meta.inf');
      if (!existsSync(metaPath)) continue;
      try {
        const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as MetaFile;
        const cfg = meta.config;
        if (cfg.name !== name) {
          this.log.warn(`JetStream stream directory ${name} holds a config for ${cfg.name}, skipping`);
          continue;
        }
        const store = openFileStore(dir, storeConfigOf(cfg), this.ctx.syncInterval, this.ctx.log);
        const created = parseRfc3339(meta.created) || nowNs();
        const s = new Stream(this, cfg, store, created);
        this.streams.set(name, s);
        this.track(s);
        s.start();
        this.syncDirectGet(s);
        for (const cname of store.consumerNames()) {
          try {
            const cs = store.consumerStore(cname, null);
            const loaded = cs.load();
            if (loaded === null) continue;
            const ccfg = loaded.config as ConsumerConfig;
            const c = new Consumer(this.consumerHost(s), s, ccfg, cs, loaded.created, !ccfg.durable_name);
            c.init(loaded.state);
            s.addConsumer(c);
            c.start();
          } catch (e) {
            this.log.error(`JetStream failed to restore consumer '${this.acc.name} > ${name} > ${cname}': ${(e as Error).message}`);
          }
        }
        const st = store.state();
        this.log.info(`  Restored ${st.msgs.toLocaleString('en-US')} messages for stream '${this.acc.name} > ${name}'`);
      } catch (e) {
        this.log.error(`JetStream failed to restore stream '${this.acc.name} > ${name}': ${(e as Error).message}`);
      }
    }
  }

  stop(): void {
    for (const name of [...this.directSubs.keys()]) this.stopDirectGet(name);
    for (const s of this.streams.values()) {
      this.untrack(s);
      s.stop();
    }
    this.streams.clear();
  }

  /** Remove every stream (ACCOUNT.PURGE). */
  purgeAll(): void {
    for (const name of [...this.streams.keys()]) this.deleteStream(name);
  }
}

function normalizeForCompare(c: ConsumerConfig): ConsumerConfig {
  const o = { ...c };
  delete o.metadata;
  return o;
}
