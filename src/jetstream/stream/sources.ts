/**
 * Mirrors and sources (Go stream.go setupMirrorConsumer/setupSourceConsumer):
 * each origin is read through a direct, flow-controlled push consumer created
 * with an internal API request (`$JS.API` or the source's `external.api`
 * prefix). A mirror stores messages under the origin's sequence numbers; a
 * source re-publishes them into this stream (filter / subject transforms
 * applied) with a `Nats-Stream-Source` header recording where each came from.
 *
 * Health (Go processMirrorMsgs / processAllSourceMsgs and
 * retrySourceConsumerAtSeq): the consumer sends idle heartbeats every second
 * and goes away by itself after the health interval without us; a reader
 * that heard nothing for the health interval (origin deleted or recreated,
 * consumer lost), that sees a gap in delivery sequences, or whose heartbeat
 * reports a different last delivered sequence, recreates its consumer from
 * the origin sequence after the last one it got. Setups are spaced by Go's
 * retry threshold plus a back-off growing with consecutive failures.
 */
import { randomBytes } from 'node:crypto';
import type { Subscription } from '../../conn/subscription.js';
import { getHeader, headerStatus, removeHeaders, setHeaders } from '../../protocol/headers.js';
import { subjectMatches } from '../store/subject-index.js';
import type { StreamSource } from './config.js';
import { mapSubject, type Stream } from './stream.js';
import * as H from './msg-headers.js';

const EMPTY = Buffer.alloc(0);
const HEARTBEAT_NS = 1e9;

/**
 * Go sourceHealthCheckInterval, sourceConsumerRetryThreshold, retryBackOff,
 * retryMaximum and srcConsumerWaitTime, in ms. Mutable only so tests can
 * shorten them.
 */
export const SOURCE_TIMING = {
  healthCheckMs: 10_000,
  retryThresholdMs: 2_000,
  retryBackoffMs: 5_000,
  retryMaxMs: 120_000,
  createWaitMs: 30_000,
};
const EXPECTATIONS = [
  H.HDR_EXPECTED_STREAM,
  H.HDR_EXPECTED_LAST_SEQ,
  H.HDR_EXPECTED_LAST_SUBJ_SEQ,
  H.HDR_EXPECTED_LAST_SUBJ_SEQ_SUBJ,
  H.HDR_EXPECTED_LAST_MSG_ID,
];

export class SourceReader {
  private deliverSub: Subscription | null = null;
  private replySub: Subscription | null = null;
  private consumerName = '';
  /** the one pending (re)setup or create-response timeout */
  private retry: NodeJS.Timeout | null = null;
  private health: NodeJS.Timeout | null = null;
  private stopped = false;
  /** last origin sequence received */
  private lastSeq = 0;
  /** last delivery sequence of the current consumer */
  private dseq = 0;
  private lag = 0;
  /** ms of the last message or heartbeat (0 = never) */
  private lastContact = 0;
  /** ms of the last consumer create request, and consecutive failed setups */
  private lastReq = 0;
  private fails = 0;
  private error: { code: number; err_code: number; description: string } | null = null;
  private readonly apiPrefix: string;

  constructor(
    private readonly stream: Stream,
    readonly src: StreamSource,
    private readonly isMirror: boolean,
  ) {
    this.apiPrefix = src.external?.api ? src.external.api : '$JS.API';
  }

  start(): void {
    this.stopped = false;
    this.lastSeq = this.isMirror ? this.stream.store.state().last_seq : this.recoverSourceSeq();
    this.connect();
    this.health = setInterval(() => this.checkHealth(), SOURCE_TIMING.healthCheckMs);
    this.health.unref?.();
  }

  /** Stalled: nothing heard for the health interval since the consumer was requested. */
  private checkHealth(): void {
    if (this.stopped) return;
    const since = Date.now() - Math.max(this.lastContact, this.lastReq);
    if (since > SOURCE_TIMING.healthCheckMs) {
      const log = this.stream.host.log;
      if (log.debugEnabled) log.debug(`JetStream stream '${this.stream.host.acc.name} > ${this.stream.name}' ${this.isMirror ? 'mirror' : 'source'} '${this.src.name}' stalled, recreating its consumer`);
      this.restart();
    }
  }

  /** Drop the current consumer and set up a new one from the sequence after the last received. */
  private restart(): void {
    this.dropConsumer();
    this.scheduleSetup();
  }

  private dropConsumer(): void {
    this.teardown();
    if (this.consumerName !== '') {
      this.stream.host.publish(`${this.apiPrefix}.CONSUMER.DELETE.${this.src.name}.${this.consumerName}`, '', null, EMPTY);
      this.consumerName = '';
    }
    this.dseq = 0;
  }

  /** Go setupSourceConsumer's delay: the retry threshold since the last request, the back-off, some jitter. */
  private scheduleSetup(): void {
    if (this.stopped) return;
    if (this.retry !== null) clearTimeout(this.retry);
    const t = SOURCE_TIMING;
    let delay = Math.max(0, t.retryThresholdMs - (Date.now() - this.lastReq));
    if (this.fails > 0) delay += Math.min(t.retryBackoffMs * this.fails * 2, t.retryMaxMs);
    delay += 100 + Math.floor(Math.random() * 100);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.teardown();
      this.connect();
    }, delay);
    this.retry.unref?.();
  }

  /** Sources: the last origin sequence recorded in our stream's Nats-Stream-Source headers. */
  private recoverSourceSeq(): number {
    const store = this.stream.store;
    let m = store.loadLastMsg('');
    let scanned = 0;
    while (m !== null && scanned < 100_000) {
      const h = getHeader(m.hdr, H.HDR_STREAM_SOURCE);
      if (h !== null) {
        const f = h.split(' ');
        if (f[0] === this.src.name) return Number(f[1]) || 0;
      }
      m = m.seq > 1 ? store.loadPrevMsg(m.seq - 1) : null;
      scanned++;
    }
    return 0;
  }

  private connect(): void {
    if (this.stopped) return;
    const host = this.stream.host;
    const id = randomBytes(6).toString('hex');
    const deliver = `$JS.S.${id}`;
    const inbox = `$JS.SRC.R.${id}`;
    this.deliverSub = host.subscribe(deliver, null, (subj, reply, hdr, payload) => this.onDeliver(subj, reply, hdr, payload));
    this.replySub = host.subscribe(inbox, null, (_s, _r, _h, payload) => this.onCreated(payload));
    const cfg: Record<string, unknown> = {
      deliver_subject: deliver,
      ack_policy: 'none',
      max_deliver: 1,
      idle_heartbeat: HEARTBEAT_NS,
      flow_control: true,
      direct: true,
      num_replicas: 1,
      mem_storage: true,
      // an orphaned consumer (we went away) cleans itself up
      inactive_threshold: SOURCE_TIMING.healthCheckMs * 1e6,
    };
    if (this.lastSeq > 0) {
      cfg.deliver_policy = 'by_start_sequence';
      cfg.opt_start_seq = this.lastSeq + 1;
    } else if (this.src.opt_start_seq) {
      cfg.deliver_policy = 'by_start_sequence';
      cfg.opt_start_seq = this.src.opt_start_seq;
    } else if (this.src.opt_start_time) {
      cfg.deliver_policy = 'by_start_time';
      cfg.opt_start_time = this.src.opt_start_time;
    } else cfg.deliver_policy = 'all';
    if (this.src.filter_subject) cfg.filter_subject = this.src.filter_subject;
    else if (this.src.subject_transforms && this.src.subject_transforms.length > 0) {
      const f = this.src.subject_transforms.map((t) => t.src || '>');
      if (f.length === 1) cfg.filter_subject = f[0];
      else cfg.filter_subjects = f;
    }
    const body = JSON.stringify({ stream_name: this.src.name, config: cfg });
    this.lastReq = Date.now();
    this.dseq = 0;
    host.publish(`${this.apiPrefix}.CONSUMER.CREATE.${this.src.name}`, inbox, null, Buffer.from(body));
    // No answer in time: try again (Go srcConsumerWaitTime).
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.stopped || this.consumerName !== '') return;
      this.fails++;
      this.teardown();
      this.scheduleSetup();
    }, SOURCE_TIMING.createWaitMs);
    this.retry.unref?.();
  }

  private onCreated(payload: Buffer): void {
    let r: { error?: { code: number; err_code: number; description: string }; name?: string };
    try {
      r = JSON.parse(payload.toString('utf8')) as typeof r;
    } catch {
      return;
    }
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    if (this.replySub) this.stream.host.unsubscribe(this.replySub);
    this.replySub = null;
    if (r.error) {
      // e.g. the origin stream does not exist (any more): shown in info, retried with back-off
      this.error = r.error;
      this.fails++;
      this.teardown();
      this.scheduleSetup();
      return;
    }
    this.error = null;
    this.fails = 0;
    this.consumerName = r.name ?? '';
  }

  private onDeliver(subject: string, reply: string, hdr: Buffer | null, payload: Buffer): void {
    if (this.stopped) return;
    this.lastContact = Date.now();
    const status = headerStatus(hdr);
    if (status === 100) {
      // flow control request (has a reply) or idle heartbeat
      if (reply !== '') {
        this.stream.host.publish(reply, '', null, EMPTY);
        return;
      }
      // A heartbeat telling of deliveries we did not get: start again after the last we have.
      const last = Number(getHeader(hdr, H.HDR_LAST_CONSUMER) ?? 0);
      if (last > 0 && last !== this.dseq) {
        this.restart();
        return;
      }
      const stalled = getHeader(hdr, H.HDR_CONSUMER_STALLED);
      if (stalled) this.stream.host.publish(stalled, '', null, EMPTY);
      return;
    }
    // $JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>
    const t = reply.split('.');
    if (t.length < 9) return;
    const dc = Number(t[t.length - 5]);
    const sseq = Number(t[t.length - 4]);
    const dseq = Number(t[t.length - 3]);
    const ts = Number(t[t.length - 2]);
    const pending = Number(t[t.length - 1]);
    if (dc > 1) return;
    if (sseq <= this.lastSeq) {
      if (dseq === this.dseq + 1) this.dseq++;
      return;
    }
    if (dseq === this.dseq + 1 || this.dseq === 0) this.dseq = dseq;
    else {
      // a delivery went missing
      this.restart();
      return;
    }
    this.lag = pending > 0 ? pending - 1 : 0;
    if (this.isMirror) {
      const store = this.stream.store;
      if (sseq <= store.state().last_seq) {
        this.lastSeq = sseq;
        return;
      }
      store.storeRawMsg(subject, hdr, payload, sseq, ts);
      this.lastSeq = sseq;
      this.stream.afterExternalStore(subject, sseq);
      return;
    }
    let subj = subject;
    let dest = '>';
    if (this.src.subject_transforms && this.src.subject_transforms.length > 0) {
      const tr = this.src.subject_transforms.find((x) => subjectMatches(subject, x.src || '>'));
      if (!tr) {
        this.lastSeq = sseq;
        return;
      }
      if (tr.dest) {
        subj = mapSubject(subject, tr.src || '>', tr.dest) ?? subject;
        dest = tr.dest;
      }
    }
    const src = `${this.src.name} ${sseq} ${this.src.filter_subject || '>'} ${dest} ${subject}`;
    // The origin already applied its publish expectations; they must not be re-checked here.
    const h = setHeaders(removeHeaders(hdr, EXPECTATIONS), [[H.HDR_STREAM_SOURCE, src]]);
    this.lastSeq = sseq;
    this.stream.processMsg(subj, '', h, payload, true);
  }

  private teardown(): void {
    const host = this.stream.host;
    if (this.deliverSub) host.unsubscribe(this.deliverSub);
    if (this.replySub) host.unsubscribe(this.replySub);
    this.deliverSub = this.replySub = null;
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    if (this.health !== null) clearInterval(this.health);
    this.health = null;
    this.dropConsumer();
  }

  /** Go StreamSourceInfo. */
  info(): Record<string, unknown> {
    const o: Record<string, unknown> = { name: this.src.name };
    if (this.src.external) o.external = this.src.external;
    o.lag = this.lag;
    o.active = this.lastContact > 0 ? (Date.now() - this.lastContact) * 1e6 : -1;
    if (this.error) o.error = this.error;
    if (this.src.filter_subject) o.filter_subject = this.src.filter_subject;
    if (this.src.subject_transforms && this.src.subject_transforms.length) o.subject_transforms = this.src.subject_transforms;
    return o;
  }
}

