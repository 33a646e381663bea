/**
 * One stream (Go stream.go): subscribes to its subjects, runs every publish
 * through the checks Go applies (size, seal, expectations, dedupe, rollup,
 * TTL, discard new, interest retention), stores it, answers the PubAck and
 * signals consumers. Purge, delete and info live here too.
 */
import { writeUint } from '../../util/bytes.js';
import type { Subscription } from '../../conn/subscription.js';
import type { Account } from '../../accounts/account.js';
import type { Logger } from '../../log/logger.js';
import { buildHeaders, getHeader, headerValue, removeHeaders, setHeaders } from '../../protocol/headers.js';
import { goDuration } from '../consumer/config.js';
import { subjectIsSubsetMatch } from '../../sublist/subject.js';
import { ApiError, jsError } from '../api/errors.js';
import { rfc3339 } from '../time.js';
import { nowNs, type StoredMsg, type StreamStore, type StoreConfig } from '../store/store.js';
import { subjectMatches } from '../store/subject-index.js';
import { DedupeWindow } from './dedupe.js';
import { DEFAULT_DUPLICATE_WINDOW, streamConfigJSON, type StreamConfig } from './config.js';
import * as H from './msg-headers.js';
import { SourceReader } from './sources.js';
import { checkScheduleHeaders, StreamSchedules } from './schedules.js';
import { applyCounter } from './counter-sources.js';
import { FAST_BATCH_SUFFIX, FastBatches, type FastStoreResult } from './fast-batch.js';

/** What a stream needs from its account's JetStream context. */
export interface StreamHost {
  readonly acc: Account;
  readonly domain: string;
  readonly serverName: string;
  /** the cluster's name when this server runs clustered JetStream (Go ClusterInfo.Name), else '' */
  readonly clusterName?: string;
  readonly serverVersion: string;
  readonly log: Logger;
  subscribe(subject: string, queue: string | null, cb: (subject: string, reply: string, hdr: Buffer | null, payload: Buffer) => void): Subscription;
  unsubscribe(sub: Subscription): void;
  publish(subject: string, reply: string, hdr: Buffer | null, payload: Buffer): boolean;
  /** account storage limits check for one more message (null = fits) */
  wouldExceed(storage: 'file' | 'memory', bytes: number): ApiError | null;
  /** publish a JetStream advisory in the account (only when someone listens) */
  advisory(subject: string, body: Record<string, unknown>): void;
}

/** The consumer surface the stream drives. */
export interface StreamConsumer {
  readonly name: string;
  readonly filters: readonly string[];
  readonly ackPolicy: 'none' | 'all' | 'explicit' | 'flow_control';
  readonly limitable: boolean;
  /** a new message was stored (or, without arguments, something changed) */
  kick(subject?: string, seq?: number): void;
  /** the stream's first sequence moved to `first` (purge / compact) */
  purged(first: number): void;
  /** true while this consumer still needs `seq` (interest retention) */
  needsAck(seq: number, subj: string): boolean;
  stop(): void;
  delete(): void;
}

/** Go streamMaxAtomicBatchSize, streamMaxAtomicBatchInflightPerStream, batch timeout */
const MAX_BATCH = 1000;
const MAX_BATCHES_INFLIGHT = 50;
const BATCH_TIMEOUT_MS = 10_000;
const BATCH_HEADERS = [H.HDR_BATCH_ID, H.HDR_BATCH_SEQ, H.HDR_BATCH_COMMIT];

export function storeConfigOf(cfg: StreamConfig): StoreConfig {
  return {
    name: cfg.name,
    storage: cfg.storage,
    max_msgs: cfg.max_msgs,
    max_bytes: cfg.max_bytes,
    max_age: cfg.max_age,
    max_msgs_per_subject: cfg.max_msgs_per_subject,
    discard: cfg.discard,
    compression: cfg.compression,
    first_seq: cfg.first_seq,
    allow_msg_ttl: cfg.allow_msg_ttl,
  };
}

export interface PurgeRequest {
  filter?: string;
  seq?: number;
  keep?: number;
}

export class Stream {
  readonly consumers = new Map<string, StreamConsumer>();
  private subs: Subscription[] = [];
  private dedupe: DedupeWindow;
  private lmsgId = '';
  pubAckPrefix = '';
  /** the PubAck prefix as bytes, and a scratch buffer the plain PubAck is written into (delivery copies it) */
  private pubAckPrefixBytes = Buffer.alloc(0);
  private ackScratch = Buffer.alloc(0);
  private readers: SourceReader[] = [];
  private readonly batches = new Map<string, { msgs: { subject: string; hdr: Buffer; msg: Buffer }[]; timer: NodeJS.Timeout }>();
  private committing = false;
  /** fast (flow-controlled) batch publishes in flight */
  private readonly fast = new FastBatches(this);
  /** set while a fast batch message is stored: PubAcks and errors land here instead of the reply */
  private capture: FastStoreResult | null = null;
  private mirrorReader: SourceReader | null = null;
  /** message schedules (allow_msg_schedules), else null */
  private schedules: StreamSchedules | null = null;
  closed = false;

  constructor(
    readonly host: StreamHost,
    public cfg: StreamConfig,
    readonly store: StreamStore,
    /** ns */
    readonly created: number,
  ) {
    this.dedupe = new DedupeWindow(cfg.duplicate_window ?? DEFAULT_DUPLICATE_WINDOW);
    this.setPubAckPrefix();
    store.registerExpiryHandler((seq, subj) => this.onExpire(seq, subj));
  }

  /**
   * Subject delete markers (Go SDM): when max_age or a TTL removes the last
   * message of a subject, a marker (`Nats-Marker-Reason: MaxAge`, its own
   * `Nats-TTL`) takes its place so watchers see the key go away.
   */
  private onExpire(seq: number, subj: string): boolean {
    const ttlNs = this.cfg.subject_delete_marker_ttl ?? 0;
    if (ttlNs <= 0 || this.closed) return false;
    const m = this.store.loadMsg(seq);
    if (m === null || isDeleteMarker(m.hdr)) return false;
    if (this.store.filteredState(0, subj).msgs !== 1) return false;
    const sec = Math.max(1, Math.round(ttlNs / 1e9));
    const hdr = buildHeaders([
      [H.HDR_MARKER_REASON, 'MaxAge'],
      [H.HDR_TTL, goDuration(sec * 1e9)],
      [H.HDR_ROLLUP, H.ROLLUP_SUBJECT],
    ]);
    const [mseq] = this.store.storeMsg(subj, hdr, Buffer.alloc(0), sec);
    this.store.removeMsg(seq);
    for (const c of this.consumers.values()) c.kick(subj, mseq);
    return true;
  }

  get name(): string {
    return this.cfg.name;
  }

  private setPubAckPrefix(): void {
    const d = this.host.domain;
    this.pubAckPrefix = d ? `{"stream":${JSON.stringify(this.cfg.name)},"domain":${JSON.stringify(d)},"seq":` : `{"stream":${JSON.stringify(this.cfg.name)},"seq":`;
    this.pubAckPrefixBytes = Buffer.from(this.pubAckPrefix, 'utf8');
    this.ackScratch = Buffer.allocUnsafe(this.pubAckPrefixBytes.length + 24);
  }

  /** Subscribe to the stream's subjects. */
  start(): void {
    for (const s of this.cfg.mirror ? [] : (this.cfg.subjects ?? [])) {
      this.subs.push(this.host.subscribe(s, null, (subj, reply, hdr, payload) => this.processInbound(subj, reply, hdr, payload)));
    }
    this.startReaders();
    this.startScheduler();
  }

  // ------------------------------------------------------------------ message schedules

  /** allow_msg_schedules: the schedules, rebuilt from the stored messages. */
  private startScheduler(): void {
    if (!this.cfg.allow_msg_schedules || this.schedules !== null) return;
    this.schedules = new StreamSchedules({
      store: this.store,
      isClosed: () => this.closed,
      purgeSubject: (subject) => void this.purge({ filter: subject }),
      storeScheduled: (m) => {
        try {
          this.processMsg(m.subject, '', m.hdr, m.msg, true);
        } catch (e) {
          this.host.log.error(`JetStream failed to store a scheduled msg on stream '${this.host.acc.name} > ${this.cfg.name}': ${(e as Error).message}`);
        }
      },
    });
  }

  private startReaders(): void {
    if (this.cfg.mirror) {
      this.mirrorReader = new SourceReader(this, this.cfg.mirror, true);
      this.mirrorReader.start();
    }
    for (const src of this.cfg.sources ?? []) {
      const r = new SourceReader(this, src, false);
      this.readers.push(r);
      r.start();
    }
  }

  private stopReaders(): void {
    this.mirrorReader?.stop();
    this.mirrorReader = null;
    for (const r of this.readers) r.stop();
    this.readers = [];
  }

  /** A mirror stored a message directly in the store: let consumers know. */
  afterExternalStore(subject: string, seq: number): void {
    for (const c of this.consumers.values()) c.kick(subject, seq);
  }

  private stopSubs(): void {
    for (const s of this.subs) this.host.unsubscribe(s);
    this.subs = [];
  }

  /** Apply an update already validated against the old config. */
  update(cfg: StreamConfig): void {
    const subjectsChanged = JSON.stringify(cfg.subjects ?? []) !== JSON.stringify(this.cfg.subjects ?? []);
    const sourcesChanged = JSON.stringify(cfg.sources ?? []) !== JSON.stringify(this.cfg.sources ?? []) || JSON.stringify(cfg.mirror ?? null) !== JSON.stringify(this.cfg.mirror ?? null);
    if (sourcesChanged) this.stopReaders();
    this.cfg = cfg;
    if (!cfg.allow_batched) this.fast.clear();
    this.dedupe.setWindow(cfg.duplicate_window ?? DEFAULT_DUPLICATE_WINDOW);
    this.store.updateConfig(storeConfigOf(cfg));
    if (subjectsChanged) {
      this.stopSubs();
      for (const s of this.cfg.mirror ? [] : (this.cfg.subjects ?? [])) {
        this.subs.push(this.host.subscribe(s, null, (subj, reply, hdr, payload) => this.processInbound(subj, reply, hdr, payload)));
      }
    }
    if (sourcesChanged) this.startReaders();
    this.startScheduler();
  }

  // ------------------------------------------------------------------ ingest

  private processInbound(subject: string, reply: string, hdr: Buffer | null, payload: Buffer): void {
    if (this.closed) return;
    const tr = this.cfg.subject_transform;
    if (tr && tr.dest) {
      const src = tr.src || '>';
      if (subjectMatches(subject, src)) subject = mapSubject(subject, src, tr.dest) ?? subject;
    }
    try {
      if (reply.length > 4 && reply.endsWith(FAST_BATCH_SUFFIX)) this.fast.process(subject, reply, hdr, payload);
      else this.processMsg(subject, reply, hdr, payload);
    } catch (e) {
      this.host.log.error(`JetStream failed to store a msg on stream '${this.host.acc.name} > ${this.cfg.name}': ${(e as Error).message}`);
      this.respondErr(reply, jsError('JSStreamStoreFailedF', { err: (e as Error).message }));
    }
  }

  respondErr(reply: string, err: ApiError): void {
    if (this.capture !== null) {
      this.capture.err = err;
      return;
    }
    if (reply === '' || this.cfg.no_ack) return;
    const body = `{"error":${JSON.stringify(err)},"stream":${JSON.stringify(this.cfg.name)},"seq":0}`;
    this.host.publish(reply, '', null, Buffer.from(body));
  }

  private respondAck(reply: string, seq: number, duplicate = false, val: string | null = null): void {
    if (this.capture !== null) {
      this.capture.seq = seq;
      this.capture.dup = duplicate;
      return;
    }
    if (reply === '' || this.cfg.no_ack) return;
    if (!duplicate && val === null) {
      // the common PubAck, written without building a string
      const b = this.ackScratch;
      let p = this.pubAckPrefixBytes.copy(b, 0);
      p = writeUint(b, seq, p);
      b[p++] = 0x7d; // }
      this.host.publish(reply, '', null, b.subarray(0, p));
      return;
    }
    const body = this.pubAckPrefix + seq + (duplicate ? ',"duplicate": true}' : val !== null ? `,"val":${JSON.stringify(val)}}` : '}');
    this.host.publish(reply, '', null, Buffer.from(body, 'latin1'));
  }

  /**
   * Returns the stored sequence, or 0 when rejected / deduplicated / staged in a batch.
   * `sourced` marks messages from a source or the stream's own scheduler (Go's
   * `sourced` flag): their counter, TTL, rollup and schedule headers were
   * checked where they were first published and are stored as they are.
   */
  processMsg(subject: string, reply: string, hdr: Buffer | null, msg: Buffer, sourced = false): number {
    const cfg = this.cfg;
    if (cfg.sealed) {
      this.respondErr(reply, jsError('JSStreamSealedErr'));
      return 0;
    }
    // The header block is decoded once; every header check below reads this text.
    let ht = hdr !== null && hdr.length > 0 ? hdr.latin1Slice(0, hdr.length) : '';
    const hv = (name: string): string | null => (ht === '' ? null : headerValue(ht, name));
    if (hdr !== null && !this.committing) {
      const bid = hv(H.HDR_BATCH_ID);
      if (bid !== null) return this.processBatchMsg(bid, subject, reply, hdr, msg);
    }
    let msgId = '';
    let rollup = '';
    let ttl = 0;
    let incr: bigint | null = null;
    if (hdr !== null && hdr.length > 0) {
      const incrHdr = hv(H.HDR_INCR);
      if (incrHdr !== null && incrHdr !== '') {
        if (!/^[+-]?[0-9]+$/.test(incrHdr)) {
          this.respondErr(reply, jsError('JSMessageIncrInvalidErr'));
          return 0;
        }
        if (!sourced) {
          if (!cfg.allow_msg_counter) {
            this.respondErr(reply, jsError('JSMessageIncrDisabledErr'));
            return 0;
          }
          if (msg.length > 0) {
            this.respondErr(reply, jsError('JSMessageIncrPayloadErr'));
            return 0;
          }
          const conflicting = [H.HDR_ROLLUP, H.HDR_EXPECTED_STREAM, H.HDR_EXPECTED_LAST_MSG_ID, H.HDR_EXPECTED_LAST_SUBJ_SEQ_SUBJ, H.HDR_EXPECTED_LAST_SEQ, H.HDR_EXPECTED_LAST_SUBJ_SEQ];
          if (conflicting.some((k) => hv(k) !== null)) {
            this.respondErr(reply, jsError('JSMessageIncrInvalidErr'));
            return 0;
          }
        }
        incr = BigInt(incrHdr);
      }
      const es = hv(H.HDR_EXPECTED_STREAM);
      if (es !== null && es !== '' && es !== cfg.name) {
        this.respondErr(reply, jsError('JSStreamNotMatchErr'));
        return 0;
      }
      const ttlHdr = hv(H.HDR_TTL);
      const parsedTtl = H.parseMsgTTL(ttlHdr);
      if (!sourced && ttlHdr !== null && parsedTtl !== 0 && !cfg.allow_msg_ttl) {
        this.respondErr(reply, jsError('JSMessageTTLDisabledErr'));
        return 0;
      }
      const elss = hv(H.HDR_EXPECTED_LAST_SUBJ_SEQ);
      const elssSubj = hv(H.HDR_EXPECTED_LAST_SUBJ_SEQ_SUBJ);
      if (elss !== null && elss !== '') {
        const want = Number(elss);
        const last = this.store.loadLastMsg(elssSubj || subject);
        const have = last ? last.seq : 0;
        if (!Number.isInteger(want) || have !== want) {
          this.respondErr(reply, jsError('JSStreamWrongLastSequenceErrF', { seq: have }));
          return 0;
        }
      } else if (elssSubj !== null && elssSubj !== '') {
        this.respondErr(reply, jsError('JSStreamExpectedLastSeqPerSubjectInvalid'));
        return 0;
      }
      const els = hv(H.HDR_EXPECTED_LAST_SEQ);
      if (els !== null && els !== '') {
        const last = this.store.state().last_seq;
        if (Number(els) !== last) {
          this.respondErr(reply, jsError('JSStreamWrongLastSequenceErrF', { seq: last }));
          return 0;
        }
      }
      if (!sourced && ht.includes('\r\nNats-Schedule')) {
        const se = checkScheduleHeaders(hv, subject, cfg, this.store);
        if (se instanceof ApiError) {
          this.respondErr(reply, se);
          return 0;
        }
        if (se === 'rollup') {
          // a schedule replaces the previous schedule on its subject
          hdr = setHeaders(hdr, [[H.HDR_ROLLUP, H.ROLLUP_SUBJECT]]);
          ht = hdr.latin1Slice(0, hdr.length);
        }
      }
      msgId = hv(H.HDR_MSG_ID) ?? '';
      if (msgId !== '' && !cfg.mirror) {
        const dde = this.dedupe.check(msgId, nowNs());
        if (dde !== null) {
          this.respondAck(reply, dde.seq, true);
          return 0;
        }
      }
      const elmi = hv(H.HDR_EXPECTED_LAST_MSG_ID);
      if (elmi !== null && elmi !== '' && elmi !== this.lmsgId) {
        this.respondErr(reply, jsError('JSStreamWrongLastMsgIDErrF', { id: this.lmsgId }));
        return 0;
      }
      rollup = hv(H.HDR_ROLLUP) ?? '';
      if (rollup !== '') {
        if (!sourced && (!cfg.allow_rollup_hdrs || cfg.deny_purge)) {
          this.respondErr(reply, jsError('JSStreamRollupFailedF', { err: 'rollup not permitted' }));
          return 0;
        }
        if (rollup !== H.ROLLUP_SUBJECT && rollup !== H.ROLLUP_ALL) {
          this.respondErr(reply, jsError('JSStreamRollupFailedF', { err: `rollup value invalid: ${JSON.stringify(rollup)}` }));
          return 0;
        }
      }
      if (parsedTtl === null) {
        if (cfg.allow_msg_ttl) {
          this.respondErr(reply, jsError('JSMessageTTLInvalidErr'));
          return 0;
        }
      } else {
        ttl = parsedTtl;
      }
    }
    let counterVal: string | null = null;
    if (cfg.allow_msg_counter) {
      if (incr === null) {
        this.respondErr(reply, jsError('JSMessageIncrMissingErr'));
        return 0;
      }
      // Counter streams: the new total replaces the (empty) payload.
      const cu = applyCounter(this.store.loadLastMsg(subject), subject, hdr, msg, incr);
      if (cu instanceof ApiError) {
        this.respondErr(reply, cu);
        return 0;
      }
      counterVal = cu.val;
      msg = cu.msg;
      hdr = cu.hdr;
    }

    const hl = hdr === null ? 0 : hdr.length;
    const maxMsgSize = cfg.max_msg_size ?? -1;
    if (maxMsgSize >= 0 && maxMsgSize > 0 && hl + msg.length > maxMsgSize) {
      this.respondErr(reply, jsError('JSStreamMessageExceedsMaximumErr'));
      return 0;
    }
    if (hl > 65535) {
      this.respondErr(reply, jsError('JSStreamHeaderExceedsMaximumErr'));
      return 0;
    }
    const limitErr = this.host.wouldExceed(cfg.storage, subject.length + hl + msg.length + 16);
    if (limitErr !== null) {
      this.respondErr(reply, limitErr);
      return 0;
    }

    if (cfg.retention === 'interest' && !this.hasInterest(subject)) {
      const seq = this.store.skipMsg();
      this.lmsgId = msgId;
      if (msgId !== '') this.dedupe.add(msgId, seq, nowNs());
      if (this.schedules !== null) this.schedules.purgeFired(hdr);
      this.respondAck(reply, seq);
      return seq;
    }

    const discardErr = this.checkDiscardNew(subject, hl + msg.length);
    if (discardErr !== null) {
      this.respondErr(reply, jsError('JSStreamStoreFailedF', { err: discardErr }));
      return 0;
    }

    let storeHdr = hdr;
    if (ttl > 0 && (cfg.subject_delete_marker_ttl ?? 0) > 0 && cfg.max_msgs_per_subject !== 1) {
      const minTtl = Math.floor((cfg.subject_delete_marker_ttl ?? 0) / 1e9);
      if (ttl < minTtl) {
        ttl = minTtl;
        storeHdr = setHeaders(hdr, [[H.HDR_TTL, String(ttl)]]);
      }
    }
    const [seq, ts] = this.store.storeMsg(subject, storeHdr, msg, ttl > 0 ? ttl : 0);
    this.lmsgId = msgId;
    if (msgId !== '') this.dedupe.add(msgId, seq, ts);
    if (rollup === H.ROLLUP_SUBJECT) this.purge({ filter: subject, keep: 1 });
    else if (rollup === H.ROLLUP_ALL) this.purge({ keep: 1 });
    if (this.schedules !== null) this.schedules.stored(seq, subject, storeHdr, ts);
    if (cfg.republish) this.republish(subject, storeHdr, msg, seq, ts);
    this.respondAck(reply, seq, false, counterVal);
    if (this.consumers.size > 0) for (const c of this.consumers.values()) c.kick(subject, seq);
    return seq;
  }

  // ------------------------------------------------------------------ fast batches (see fast-batch.ts)

  /** FastBatchStream: one batch message through every publish check and into the store. */
  storeBatchMsg(subject: string, reply: string, hdr: Buffer | null, msg: Buffer): FastStoreResult {
    const r: FastStoreResult = { seq: 0, err: null, dup: false };
    this.capture = r;
    try {
      this.processMsg(subject, reply, hdr, msg);
    } finally {
      this.capture = null;
    }
    return r;
  }

  /** FastBatchStream: a control message (flow ack, gap, error, PubAck) to the batch's reply. */
  send(reply: string, body: string): void {
    this.host.publish(reply, '', null, Buffer.from(body));
  }

  // ------------------------------------------------------------------ atomic batches

  private batchTimedOut(bid: string): void {
    if (!this.batches.delete(bid)) return;
    this.batchAbandoned(bid, 'timeout');
  }

  /** Go sendStreamBatchAbandonedAdvisory. */
  private batchAbandoned(bid: string, reason: 'timeout' | 'incomplete' | 'large'): void {
    this.host.advisory(`$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.${this.name}`, {
      type: 'io.nats.jetstream.advisory.v1.stream_batch_abandoned',
      account: this.host.acc.name,
      stream: this.name,
      batch: bid,
      reason,
    });
  }

  /**
   * Atomic batch publish (Go processJetStreamAtomicBatchMsg): messages with
   * `Nats-Batch-Id` / `Nats-Batch-Sequence` are staged (each one with a reply
   * gets an empty answer) until `Nats-Batch-Commit: 1` (or `eob`, which is
   * not stored itself); the commit checks the whole batch first, then stores
   * it and answers with a PubAck carrying `batch` and `count`.
   */
  private processBatchMsg(bid: string, subject: string, reply: string, hdr: Buffer, msg: Buffer): number {
    const cfg = this.cfg;
    /** Refuse the message; a batch that was under way is abandoned (with Go's advisory when `reason` is given). */
    const fail = (err: ApiError, reason?: 'incomplete' | 'large'): number => {
      const b = this.batches.get(bid);
      if (b) {
        clearTimeout(b.timer);
        this.batches.delete(bid);
        if (reason) this.batchAbandoned(bid, reason);
      }
      this.respondErr(reply, err);
      return 0;
    };
    if (!cfg.allow_atomic) return fail(jsError('JSAtomicPublishDisabledErr'));
    if (bid === '' || bid.length > 64) return fail(jsError('JSAtomicPublishInvalidBatchIDErr'));
    const seqHdr = getHeader(hdr, H.HDR_BATCH_SEQ);
    const bseq = seqHdr === null ? NaN : Number(seqHdr);
    if (!Number.isInteger(bseq) || bseq < 1) return fail(jsError('JSAtomicPublishMissingSeqErr'));
    const commit = getHeader(hdr, H.HDR_BATCH_COMMIT);
    const eob = commit === 'eob';
    let b = this.batches.get(bid);
    if (b === undefined) {
      const size = eob ? bseq - 1 : bseq;
      if (bseq !== 1) return fail(size > MAX_BATCH ? jsError('JSAtomicPublishTooLargeBatchErrF', { size: MAX_BATCH }) : jsError('JSAtomicPublishIncompleteBatchErr'));
      if (this.batches.size >= MAX_BATCHES_INFLIGHT) return fail(jsError('JSAtomicPublishTooManyInflight'));
      const timer = setTimeout(() => this.batchTimedOut(bid), BATCH_TIMEOUT_MS);
      timer.unref?.();
      b = { msgs: [], timer };
      this.batches.set(bid, b);
    }
    if (commit !== null && commit !== '1' && !eob) return fail(jsError('JSAtomicPublishInvalidBatchCommitErr'));
    if (bseq !== b.msgs.length + 1 || (bseq === 1 && eob)) return fail(jsError('JSAtomicPublishIncompleteBatchErr'), 'incomplete');
    if ((eob ? bseq - 1 : bseq) > MAX_BATCH) return fail(jsError('JSAtomicPublishTooLargeBatchErrF', { size: MAX_BATCH }), 'large');
    if (getHeader(hdr, H.HDR_EXPECTED_LAST_MSG_ID) !== null) return fail(jsError('JSAtomicPublishUnsupportedHeaderBatchErr', { header: H.HDR_EXPECTED_LAST_MSG_ID }));
    clearTimeout(b.timer);
    b.timer = setTimeout(() => this.batchTimedOut(bid), BATCH_TIMEOUT_MS);
    b.timer.unref?.();
    if (!eob) b.msgs.push({ subject, hdr: Buffer.from(hdr), msg: Buffer.from(msg) });
    if (commit === null) {
      if (reply !== '') this.host.publish(reply, '', null, Buffer.alloc(0));
      return 0;
    }
    // Commit: check every message before storing any of them.
    clearTimeout(b.timer);
    this.batches.delete(bid);
    const ids = new Set<string>();
    for (const m of b.msgs) {
      const id = getHeader(m.hdr, H.HDR_MSG_ID);
      if (id !== null && id !== '') {
        if (ids.has(id) || this.dedupe.check(id, nowNs()) !== null) return fail(jsError('JSAtomicPublishContainsDuplicateMessageErr'));
        ids.add(id);
      }
      const max = cfg.max_msg_size ?? -1;
      if (max > 0 && m.hdr.length + m.msg.length > max) return fail(jsError('JSStreamMessageExceedsMaximumErr'));
    }
    if (cfg.discard === 'new' && cfg.max_msgs > 0 && this.store.state().msgs + b.msgs.length > cfg.max_msgs) {
      return fail(jsError('JSStreamStoreFailedF', { err: 'maximum messages exceeded' }));
    }
    const first = b.msgs[0];
    const els = getHeader(first.hdr, H.HDR_EXPECTED_LAST_SEQ);
    if (els !== null && els !== '' && Number(els) !== this.store.state().last_seq) {
      return fail(jsError('JSStreamWrongLastSequenceErrF', { seq: this.store.state().last_seq }));
    }
    let last = 0;
    this.committing = true;
    try {
      for (const m of b.msgs) {
        const seq = this.processMsg(m.subject, '', removeHeaders(m.hdr, BATCH_HEADERS), m.msg);
        if (seq > 0) last = seq;
      }
    } finally {
      this.committing = false;
    }
    if (reply !== '' && !cfg.no_ack) {
      const body = this.pubAckPrefix + last + `,"batch":${JSON.stringify(bid)},"count":${b.msgs.length}}`;
      this.host.publish(reply, '', null, Buffer.from(body));
    }
    return last;
  }

  private dropBatches(): void {
    for (const b of this.batches.values()) clearTimeout(b.timer);
    this.batches.clear();
    this.fast.clear();
  }

  /** Go's discard-new checks done by the store: returns the store error text or null. */
  private checkDiscardNew(subject: string, size: number): string | null {
    const cfg = this.cfg;
    if (cfg.discard !== 'new') return null;
    const st = this.store.state();
    if (cfg.max_msgs > 0 && st.msgs >= cfg.max_msgs) return 'maximum messages exceeded';
    if (cfg.max_bytes > 0) {
      const sz = this.store.type === 'file' ? 22 + subject.length + size + 8 : subject.length + size + 16;
      if (st.bytes + sz > cfg.max_bytes) return 'maximum bytes exceeded';
    }
    if (cfg.discard_new_per_subject && cfg.max_msgs_per_subject > 0) {
      const ss = this.store.filteredState(0, subject);
      if (ss.msgs >= cfg.max_msgs_per_subject) return 'maximum messages per subject exceeded';
    }
    return null;
  }

  private republish(subject: string, hdr: Buffer | null, msg: Buffer, seq: number, ts: number): void {
    const rp = this.cfg.republish!;
    const src = rp.src || '>';
    if (!subjectMatches(subject, src)) return;
    const dest = mapSubject(subject, src, rp.dest);
    if (dest === null) return;
    const prevLast = this.store.filteredState(0, subject);
    const lastSeq = prevLast.msgs > 1 ? this.previousSeqOf(subject, seq) : 0;
    const pairs: [string, string][] = [
      [H.HDR_STREAM, this.cfg.name],
      [H.HDR_SUBJECT, subject],
      [H.HDR_SEQUENCE, String(seq)],
      [H.HDR_TIMESTAMP, rfc3339(ts)],
      [H.HDR_LAST_SEQUENCE, String(lastSeq)],
    ];
    if (rp.headers_only) pairs.push([H.HDR_MSG_SIZE, String(msg.length)]);
    const out = setHeaders(hdr, pairs);
    this.host.publish(dest, '', out, rp.headers_only ? Buffer.alloc(0) : msg);
  }

  private previousSeqOf(subject: string, seq: number): number {
    for (let s = seq - 1; s >= 1; s--) {
      const m = this.store.loadPrevMsg(s);
      if (m === null) return 0;
      if (m.subj === subject) return m.seq;
      s = m.seq;
    }
    return 0;
  }

  private hasInterest(subject: string): boolean {
    for (const c of this.consumers.values()) {
      if (c.filters.length === 0) return true;
      for (const f of c.filters) if (subjectMatches(subject, f)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ retention

  /** A consumer acknowledged `seq` (interest / workqueue retention removes it when nobody needs it). */
  ackMsg(by: StreamConsumer, seq: number): void {
    const r = this.cfg.retention;
    if (r === 'limits') return;
    if (r === 'workqueue') {
      this.store.removeMsg(seq);
      return;
    }
    const m = this.store.loadMsg(seq);
    if (m === null) return;
    for (const c of this.consumers.values()) {
      if (c === by) continue;
      if (c.needsAck(seq, m.subj)) return;
    }
    if (!by.needsAck(seq, m.subj)) this.store.removeMsg(seq);
  }

  /** Interest retention: remove messages no remaining consumer needs (after a consumer is deleted). */
  checkInterestState(): void {
    if (this.cfg.retention === 'limits') return;
    const st = this.store.state();
    if (st.msgs === 0) return;
    let m = this.store.loadNextMsg('', st.first_seq);
    let n = 0;
    while (m !== null && n < 1_000_000) {
      let needed = false;
      for (const c of this.consumers.values()) {
        if (c.needsAck(m.seq, m.subj)) {
          needed = true;
          break;
        }
      }
      if (!needed && (this.cfg.retention === 'interest' || this.consumers.size > 0)) this.store.removeMsg(m.seq);
      m = this.store.loadNextMsg('', m.seq + 1);
      n++;
    }
  }

  // ------------------------------------------------------------------ purge / delete

  purge(req: PurgeRequest): number {
    let n: number;
    const filter = req.filter ?? '';
    const seq = req.seq ?? 0;
    const keep = req.keep ?? 0;
    if (filter === '' && seq === 0 && keep === 0) n = this.store.purge();
    else if (filter === '' && seq > 0 && keep === 0) n = this.store.compact(seq);
    else n = this.store.purgeEx(filter === '>' ? '' : filter, seq, keep);
    const first = this.store.state().first_seq;
    for (const c of this.consumers.values()) c.purged(first);
    return n;
  }

  deleteMsg(seq: number, erase: boolean): boolean {
    return erase ? this.store.eraseMsg(seq) : this.store.removeMsg(seq);
  }

  // ------------------------------------------------------------------ consumers

  addConsumer(c: StreamConsumer): void {
    this.consumers.set(c.name, c);
  }

  removeConsumer(c: StreamConsumer): void {
    if (this.consumers.get(c.name) === c) this.consumers.delete(c.name);
    if (this.cfg.retention === 'interest') this.checkInterestState();
  }

  numLimitableConsumers(): number {
    let n = 0;
    for (const c of this.consumers.values()) if (c.limitable) n++;
    return n;
  }

  /** Workqueue: are these filters disjoint from every other consumer's? */
  partitionUnique(name: string, filters: string[]): boolean {
    for (const c of this.consumers.values()) {
      if (c.name === name) continue;
      if (c.filters.length === 0) return false;
      for (const a of filters) for (const b of c.filters) if (subjectIsSubsetMatch(a, b) || subjectIsSubsetMatch(b, a)) return false;
    }
    return true;
  }

  // ------------------------------------------------------------------ info

  stateJSON(opts: { subjectsFilter?: string; deletedDetails?: boolean } = {}): Record<string, unknown> {
    const st = this.store.state();
    const o: Record<string, unknown> = {
      messages: st.msgs,
      bytes: st.bytes,
      first_seq: st.first_seq,
      first_ts: rfc3339(st.first_ts),
      last_seq: st.last_seq,
      last_ts: rfc3339(st.last_ts),
    };
    if (st.num_subjects > 0) o.num_subjects = st.num_subjects;
    if (opts.subjectsFilter) {
      const subs: Record<string, number> = {};
      let any = false;
      for (const [s, ss] of this.store.subjectsState(opts.subjectsFilter === '>' ? '' : opts.subjectsFilter)) {
        subs[s] = ss.msgs;
        any = true;
      }
      if (any) o.subjects = subs;
    }
    if (st.num_deleted > 0) o.num_deleted = st.num_deleted;
    if (opts.deletedDetails && st.num_deleted > 0) o.deleted = this.store.deletedSeqs();
    let n = 0;
    for (const c of this.consumers.values()) if (c.limitable) n++;
    o.consumer_count = n;
    return o;
  }

  infoJSON(opts: { subjectsFilter?: string; deletedDetails?: boolean } = {}): Record<string, unknown> {
    const o: Record<string, unknown> = {
      config: streamConfigJSON(this.cfg, this.host.serverVersion),
      created: rfc3339(this.created),
      state: this.stateJSON(opts),
    };
    if (this.host.domain) o.domain = this.host.domain;
    o.cluster = this.host.clusterName ? { name: this.host.clusterName, leader: this.host.serverName } : { leader: this.host.serverName };
    if (this.mirrorReader) o.mirror = this.mirrorReader.info();
    if (this.readers.length > 0) o.sources = this.readers.map((r) => r.info());
    o.ts = rfc3339(Date.now() * 1e6);
    return o;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Stop serving; keep data. */
  stop(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopSubs();
    this.stopReaders();
    this.dropBatches();
    this.schedules?.stop();
    for (const c of this.consumers.values()) c.stop();
    this.store.stop();
  }

  /** Stop and remove everything. */
  delete(): void {
    this.closed = true;
    this.stopSubs();
    this.stopReaders();
    this.dropBatches();
    this.schedules?.stop();
    for (const c of [...this.consumers.values()]) c.delete();
    this.consumers.clear();
    this.store.delete();
  }

  loadMsg(seq: number): StoredMsg | null {
    return this.store.loadMsg(seq);
  }
}

/** A server-placed delete marker, or a KV purge marker. */
export function isDeleteMarker(hdr: Buffer | null): boolean {
  return getHeader(hdr, H.HDR_MARKER_REASON) !== null || getHeader(hdr, 'KV-Operation') === 'PURGE';
}

/** Map `subject` matched by `src` onto `dest`, substituting `$n`/`{{wildcard(n)}}` and a trailing `>`. */
export function mapSubject(subject: string, src: string, dest: string): string | null {
  const st = subject.split('.');
  const pt = src.split('.');
  const wild: string[] = [];
  let rest = '';
  for (let i = 0; i < pt.length; i++) {
    if (pt[i] === '*') wild.push(st[i]);
    else if (pt[i] === '>') {
      rest = st.slice(i).join('.');
      break;
    }
  }
  let out = dest.replace(/\{\{\s*wildcard\s*\(\s*(\d+)\s*\)\s*\}\}|\$(\d+)/g, (_m, a: string, b: string) => wild[Number(a ?? b) - 1] ?? '');
  if (out.endsWith('.>') || out === '>') out = out.slice(0, out.length - 1) + rest;
  return out === '' ? null : out;
}
