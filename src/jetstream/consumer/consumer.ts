/**
 * One consumer (Go consumer.go): tracks the delivery cursor and ack state,
 * delivers to a push subject or to waiting pull requests, processes acks
 * (+ACK, -NAK, +WPI, +TERM, +NXT), redelivers after ack_wait/backoff, sends
 * idle heartbeats and flow control, and persists its state in a ConsumerStore.
 *
 * Delivery runs off the publish path: the stream `kick`s, one setImmediate
 * drains as much as the consumer may send, then yields.
 */
import type { Subscription } from '../../conn/subscription.js';
import type { Logger } from '../../log/logger.js';
import { buildHeaders, setHeaders } from '../../protocol/headers.js';
import { rfc3339, parseRfc3339, writeNsDigits, utcRfc3339, ZERO_TIME } from '../time.js';
import { writeUint } from '../../util/bytes.js';
import { newMsgView, nowNs, seqAtTime, viewOfStored, type ConsumerState, type ConsumerStore, type MsgView, type StoredMsg } from '../store/store.js';
import { subjectMatches } from '../store/subject-index.js';
import type { Stream, StreamConsumer } from '../stream/stream.js';
import { consumerConfigJSON, filtersOf, goDuration, setConsumerStaticMetadata, EPHEMERAL_INACTIVE_DEFAULT, type ConsumerConfig } from './config.js';
import { parseGoDuration } from '../../config/durations.js';
import { randomId } from '../ids.js';
import { parseNextRequest, statusHeader, type PullRequest } from './pull.js';
import { insertByPriority, requeueByPriority } from './priority.js';

export interface ConsumerHost {
  readonly serverVersion: string;
  /** `$JS.API` and, with a domain, `$JS.<domain>.API` */
  readonly apiPrefixes: string[];
  readonly log: Logger;
  /** the account's name (Go puts it in the pinned/unpinned advisories) */
  readonly account: string;
  subscribe(subject: string, queue: string | null, cb: (subject: string, reply: string, hdr: Buffer | null, payload: Buffer) => void): Subscription;
  unsubscribe(sub: Subscription): void;
  publish(subject: string, reply: string, hdr: Buffer | null, payload: Buffer, shown?: string): boolean;
  /**
   * `publish` with the reply given as the bytes reply[0, replyLen) (deliveries'
   * ack subjects) and the message as buf[s, e), its first hdrLen bytes the header block
   */
  publishRegion(subject: string, shown: string, reply: Buffer, replyLen: number, buf: Buffer, s: number, hdrLen: number, e: number): boolean;
  hasInterest(subject: string, queue?: string): boolean;
  /** interest in a pull request's reply, here or across links (`receivedMs`: when the request came) */
  replyInterest(reply: string, receivedMs: number): boolean;
  advisory(subject: string, body: Record<string, unknown>): void;
  /** the consumer removed itself (inactivity) */
  removed(c: Consumer): void;
}

const EMPTY = Buffer.alloc(0);
/** max messages delivered per event-loop turn before yielding */
const TURN_BUDGET = 4096;
/** flow control: request a response every this many bytes, stall at this many unanswered */
const FC_EVERY_BYTES = 1 << 20;
const FC_STALL_BYTES = 32 << 20;

export class Consumer implements StreamConsumer {
  cfg: ConsumerConfig;
  readonly name: string;
  filters: string[];
  /** next stream sequence to look at */
  sseq = 1;
  /** next delivery (consumer) sequence */
  dseq = 1;
  adflr = 0;
  asflr = 0;
  readonly pending = new Map<number, { sequence: number; timestamp: number }>();
  readonly rdc = new Map<number, number>();
  private rdq: number[] = [];
  private readonly rdqSet = new Set<number>();
  /** last-per-subject start list (deliver last_per_subject) */
  private lss: number[] | null = null;
  private waiting: PullRequest[] = [];
  private subs: Subscription[] = [];
  private scheduled = false;
  private ackTimer: NodeJS.Timeout | null = null;
  private hbTimer: NodeJS.Timeout | null = null;
  private activityTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private pauseTimer: NodeJS.Timeout | null = null;
  private delayTimer: NodeJS.Timeout | null = null;
  private lastDelivery = 0;
  private lastActive = Date.now();
  /** flow control */
  private fcBytes = 0;
  private fcId = '';
  private fcOutstanding = 0;
  private fcSeq = 0;
  /** replay original / rate limit pacing */
  private lastReplayTs = 0;
  private lastReplayAt = 0;
  private rateStart = 0;
  private rateBytes = 0;
  /** num pending (messages >= sseq matching the filters) */
  private npc = 0;
  private npcValid = false;
  /** the message nextMsg() returned last: read in place, good until the store is next called */
  private readonly view: MsgView = newMsgView();
  /** delivery count of the message nextMsg() returned last */
  private nextDc = 1;
  /** pending stream sequences in the order they entered `pending` (see updateAckFloor) */
  private readonly pendOrder: number[] = [];
  private pendHead = 0;
  /** set when a sequence entered `pending` below an earlier one: the floor is then found by a scan */
  private pendUnordered = false;
  /** `$JS.ACK.<stream>.<consumer>.` */
  private readonly ackPrefix: string;
  /** scratch for a delivery's ack subject: the prefix bytes, then the numbers written per delivery */
  private readonly ackReply: Buffer;
  private readonly ackPrefixLen: number;
  /** one clock reading per delivery turn: ms and ns since the epoch */
  private turnMs = 0;
  private turnNs = 0;
  private closed = false;
  private dirtyState = false;
  private lastAckedAt = 0;
  private lastDeliveredAt = 0;
  private pinId = '';
  private pinnedAt = 0;
  /** when the current pin was given (consumer info `pinned_ts`) */
  private pinnedSince = 0;
  /** the priority group the current pin belongs to, and Go's pinnedTtl timer */
  private pinGroup = '';
  private pinTimer: NodeJS.Timeout | null = null;
  /** delivery turn counter (per-turn checks on pull requests) */
  private turn = 0;
  /** the state object handed to the store on every persist (see persist) */
  private readonly persisted: ConsumerState;

  constructor(
    readonly host: ConsumerHost,
    readonly stream: Stream,
    cfg: ConsumerConfig,
    readonly store: ConsumerStore | null,
    /** ns */
    readonly created: number,
    readonly ephemeral: boolean,
  ) {
    this.cfg = cfg;
    this.name = cfg.durable_name || cfg.name!;
    this.filters = filtersOf(cfg);
    this.persisted = {
      delivered: { consumer_seq: 0, stream_seq: 0 },
      ack_floor: { consumer_seq: 0, stream_seq: 0 },
      pending: this.pending,
      redelivered: this.rdc,
    };
    this.ackPrefix = `$JS.ACK.${stream.name}.${this.name}.`;
    this.ackPrefixLen = Buffer.byteLength(this.ackPrefix, 'latin1');
    // five numbers (up to 21 digits each) and their dots
    this.ackReply = Buffer.allocUnsafe(this.ackPrefixLen + 5 * 22);
    this.ackReply.latin1Write(this.ackPrefix, 0, this.ackPrefixLen);
  }

  get ackPolicy(): ConsumerConfig['ack_policy'] {
    return this.cfg.ack_policy;
  }

  get limitable(): boolean {
    return !this.cfg.direct && !this.cfg.sourcing;
  }

  get isPush(): boolean {
    return !!this.cfg.deliver_subject;
  }

  // ------------------------------------------------------------------ start / state

  /** Set the starting position (new consumer) or restore it from the store. */
  init(restored: ConsumerState | null): void {
    if (restored) {
      this.dseq = restored.delivered.consumer_seq + 1;
      this.sseq = restored.delivered.stream_seq + 1;
      this.adflr = restored.ack_floor.consumer_seq;
      this.asflr = restored.ack_floor.stream_seq;
      for (const [s, p] of [...restored.pending].sort((a, b) => a[0] - b[0])) this.addPending(s, p.sequence, p.timestamp);
      for (const [s, n] of restored.redelivered) this.rdc.set(s, n);
      // Everything pending at shutdown is due for redelivery.
      for (const s of this.pendOrder) this.queueRedelivery(s);
    } else {
      this.selectStart();
    }
    const first = this.stream.store.state().first_seq;
    if (this.sseq < first) this.sseq = first;
    this.persist();
  }

  private selectStart(): void {
    const store = this.stream.store;
    const st = store.state();
    const c = this.cfg;
    switch (c.deliver_policy) {
      case 'all':
        this.sseq = st.first_seq || 1;
        break;
      case 'last': {
        if (this.filters.length === 0) this.sseq = st.last_seq > 0 ? st.last_seq : 1;
        else {
          let best = 0;
          for (const f of this.filters) {
            const m = store.loadLastMsg(f);
            if (m && m.seq > best) best = m.seq;
          }
          this.sseq = best > 0 ? best : st.last_seq + 1;
        }
        break;
      }
      case 'last_per_subject': {
        const seqs: number[] = [];
        for (const f of this.filters) for (const [, ss] of store.subjectsState(f)) seqs.push(ss.last);
        seqs.sort((a, b) => a - b);
        if (seqs.length > 0) {
          this.lss = seqs;
          this.sseq = seqs[0];
        } else this.sseq = st.last_seq + 1;
        break;
      }
      case 'new':
        this.sseq = st.last_seq + 1;
        break;
      case 'by_start_sequence':
        this.sseq = c.opt_start_seq ?? 1;
        break;
      case 'by_start_time':
        this.sseq = seqAtTime(store, parseRfc3339(c.opt_start_time ?? ''));
        break;
    }
    if (this.sseq < 1) this.sseq = 1;
    this.asflr = this.sseq - 1;
    this.dseq = 1;
    this.adflr = 0;
  }

  state(): ConsumerState {
    return {
      delivered: { consumer_seq: this.dseq - 1, stream_seq: this.sseq - 1 },
      ack_floor: { consumer_seq: this.adflr, stream_seq: this.asflr },
      pending: this.pending,
      redelivered: this.rdc,
    };
  }

  /**
   * The store keeps the last state it was given and writes it later
   * (coalesced). One object serves every persist: its numbers are refreshed
   * here, and pending/redelivered are the live maps in any case, so the store
   * sees the same state as with a fresh object per call, without allocating
   * three objects per ack.
   */
  /** `acknowledged`: a client is told the change was taken (an ack with a reply). */
  private persist(acknowledged = false): void {
    if (this.store === null || this.closed) return;
    const st = this.persisted;
    st.delivered.consumer_seq = this.dseq - 1;
    st.delivered.stream_seq = this.sseq - 1;
    st.ack_floor.consumer_seq = this.adflr;
    st.ack_floor.stream_seq = this.asflr;
    this.store.update(st, acknowledged);
  }

  /** Subscriptions: acks, flow control, pull requests. */
  start(): void {
    const s = this.stream.name;
    this.subs.push(this.host.subscribe(`$JS.ACK.${s}.${this.name}.>`, null, (subj, reply, _h, p) => this.processAck(subj, reply, p)));
    if (this.isPush) {
      if (this.cfg.flow_control) this.subs.push(this.host.subscribe(`$JS.FC.${s}.${this.name}.*`, null, (subj) => this.processFlowControl(subj)));
      if (this.cfg.idle_heartbeat) this.armHeartbeat();
    } else {
      for (const pre of this.host.apiPrefixes) {
        this.subs.push(this.host.subscribe(`${pre}.CONSUMER.MSG.NEXT.${s}.${this.name}`, null, (_s, reply, hdr, p) => this.processNextRequest(reply, hdr, p)));
      }
    }
    this.armActivityCheck();
    this.armPause();
    this.kick();
  }

  // ------------------------------------------------------------------ signals from the stream

  kick(subject?: string, seq?: number): void {
    if (subject !== undefined && seq !== undefined && this.npcValid && seq >= this.sseq && this.matches(subject)) this.npc++;
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliverLoop();
    });
  }

  purged(first: number): void {
    if (this.sseq < first) this.sseq = first;
    if (this.asflr < first - 1) this.asflr = first - 1;
    for (const s of [...this.pending.keys()]) {
      if (s < first) {
        this.pending.delete(s);
        this.rdc.delete(s);
      }
    }
    this.rdq = this.rdq.filter((s) => s >= first);
    for (const s of [...this.rdqSet]) if (s < first) this.rdqSet.delete(s);
    this.npcValid = false;
    this.updateAckFloor();
    this.persist();
  }

  needsAck(seq: number, subj: string): boolean {
    if (!this.matches(subj)) return false;
    if (this.cfg.ack_policy === 'none') return seq >= this.sseq;
    if (this.cfg.ack_policy === 'all') return seq > this.asflr;
    return seq >= this.sseq || this.pending.has(seq);
  }

  private matches(subj: string): boolean {
    const f = this.filters;
    if (f.length === 0) return true;
    for (let i = 0; i < f.length; i++) if (subjectMatches(subj, f[i])) return true;
    return false;
  }

  numPending(): number {
    if (!this.npcValid) {
      const store = this.stream.store;
      let n = 0;
      if (this.lss !== null) {
        n = this.lss.length;
        const lastLss = this.lss[this.lss.length - 1];
        if (this.filters.length === 0) n += store.numPending(lastLss + 1, '', false);
        else for (const f of this.filters) n += store.numPending(lastLss + 1, f, false);
      } else if (this.filters.length === 0) n = store.numPending(this.sseq, '', false);
      else for (const f of this.filters) n += store.numPending(this.sseq, f, false);
      this.npc = n;
      this.npcValid = true;
    }
    return Math.max(0, this.npc);
  }

  // ------------------------------------------------------------------ delivery

  private isActive(): boolean {
    if (!this.isPush) return true;
    return this.host.hasInterest(this.cfg.deliver_subject!, this.cfg.deliver_group || undefined);
  }

  private paused(): boolean {
    if (!this.cfg.pause_until) return false;
    return parseRfc3339(this.cfg.pause_until) > Date.now() * 1e6;
  }

  private deliverLoop(): void {
    if (this.closed || this.paused()) return;
    this.turn++;
    if (this.isPush && !this.isActive()) {
      this.armInterestPoll();
      return;
    }
    this.expireWaiting();
    let budget = TURN_BUDGET;
    this.turnMs = Date.now();
    this.turnNs = nowNs();
    const maxAck = this.cfg.ack_policy !== 'none' ? (this.cfg.max_ack_pending ?? 0) : 0;
    while (budget-- > 0) {
      let wr: PullRequest | null = null;
      if (!this.isPush) {
        wr = this.nextWaiting();
        if (wr === null) break;
      } else if (this.fcOutstanding >= FC_STALL_BYTES) break;
      if (maxAck > 0 && this.pending.size >= maxAck && this.rdq.length === 0) break;
      const m = this.nextMsg();
      if (m === null) {
        this.finishNoWait();
        break;
      }
      const dc = this.nextDc;
      if (this.pace(m)) {
        // put it back for when the pacing timer fires
        this.unget(m, dc);
        break;
      }
      this.deliver(m, dc, wr);
    }
    if (budget < 0) this.kick();
    if (this.dirtyState) {
      this.dirtyState = false;
      this.persist();
    }
  }

  /** Pacing for replay original and rate_limit_bps. True when the message must wait. */
  private pace(m: MsgView): boolean {
    const bps = this.cfg.rate_limit_bps ?? 0;
    if (bps === 0 && this.cfg.replay_policy !== 'original') return false;
    const now = Date.now();
    if (this.cfg.replay_policy === 'original' && this.lastReplayTs > 0) {
      const due = this.lastReplayAt + (m.ts - this.lastReplayTs) / 1e6;
      if (due > now + 1) {
        this.armDelay(due - now);
        return true;
      }
    }
    if (bps > 0) {
      if (now - this.rateStart >= 1000) {
        this.rateStart = now;
        this.rateBytes = 0;
      }
      const sz = (m.subj.length + m.end - m.start) * 8;
      if (this.rateBytes > 0 && this.rateBytes + sz > bps) {
        this.armDelay(this.rateStart + 1000 - now);
        return true;
      }
      this.rateBytes += sz;
    }
    return false;
  }

  private armDelay(ms: number): void {
    if (this.delayTimer !== null) return;
    this.delayTimer = setTimeout(() => {
      this.delayTimer = null;
      this.kick();
    }, Math.max(1, Math.ceil(ms)));
    this.delayTimer.unref?.();
  }

  private unget(m: MsgView, dc: number): void {
    if (dc > 1 || this.pending.has(m.seq)) {
      this.rdq.unshift(m.seq);
      this.rdqSet.add(m.seq);
      this.rdc.set(m.seq, dc - 1);
    } else if (this.lss !== null && this.lss[0] === undefined) {
      this.sseq = m.seq;
    } else {
      this.sseq = m.seq;
      this.npcValid = false;
    }
  }

  /**
   * Next message, redeliveries first, then new ones, as `this.view` (new
   * messages of one filter are read in place); its delivery count is left in `nextDc`.
   */
  private nextMsg(): MsgView | null {
    const store = this.stream.store;
    while (this.rdq.length > 0) {
      const seq = this.rdq.shift()!;
      this.rdqSet.delete(seq);
      if (!this.pending.has(seq)) continue;
      const m = store.loadMsg(seq);
      if (m === null) {
        this.pending.delete(seq);
        this.rdc.delete(seq);
        this.updateAckFloor();
        continue;
      }
      const dc = (this.rdc.get(seq) ?? 1) + 1;
      const maxd = this.cfg.max_deliver ?? -1;
      if (maxd > 0 && dc > maxd) {
        this.maxDeliveriesExceeded(seq, dc - 1);
        continue;
      }
      this.rdc.set(seq, dc);
      this.nextDc = dc;
      viewOfStored(m, this.view);
      return this.view;
    }
    const lss = this.lss;
    if (lss !== null) {
      while (lss.length > 0) {
        const seq = lss.shift()!;
        const m = store.loadMsg(seq);
        if (lss.length === 0) {
          this.sseq = Math.max(seq + 1, this.sseq);
          this.lss = null;
        } else this.sseq = lss[0];
        if (m !== null) {
          this.nextDc = 1;
          viewOfStored(m, this.view);
          return this.view;
        }
      }
      this.lss = null;
    }
    const v = this.view;
    let found: boolean;
    if (this.filters.length <= 1) found = store.peekNextMsg(this.filters[0] ?? '', this.sseq, v);
    else {
      let m: StoredMsg | null = null;
      for (const f of this.filters) {
        const c = store.loadNextMsg(f, this.sseq);
        if (c !== null && (m === null || c.seq < m.seq)) m = c;
      }
      found = m !== null;
      if (m !== null) viewOfStored(m, v);
    }
    if (!found) {
      const last = store.state().last_seq;
      if (last >= this.sseq) this.sseq = last + 1;
      return null;
    }
    this.sseq = v.seq + 1;
    this.nextDc = 1;
    return v;
  }

  private maxDeliveriesExceeded(seq: number, deliveries: number): void {
    this.pending.delete(seq);
    this.rdc.delete(seq);
    this.updateAckFloor();
    this.dirtyState = true;
    this.host.advisory(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.stream.name}.${this.name}`, {
      type: 'io.nats.jetstream.advisory.v1.max_deliver',
      stream: this.stream.name,
      consumer: this.name,
      stream_seq: seq,
      deliveries,
    });
  }

  private deliver(m: MsgView, dc: number, wr: PullRequest | null): void {
    const now = this.turnNs;
    const dseq = this.dseq++;
    if (dc === 1 && this.npcValid) this.npc--;
    if (this.cfg.ack_policy !== 'none') {
      const p = this.pending.get(m.seq);
      if (p === undefined) this.addPending(m.seq, dseq, now);
      else {
        p.sequence = dseq;
        p.timestamp = now;
      }
      this.armAckTimer();
    } else {
      this.adflr = dseq;
      this.asflr = m.seq;
    }
    this.dirtyState = true;
    const pendingAfter = this.numPending();
    // $JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>, written as bytes
    const r = this.ackReply;
    let rp = writeUint(r, dc, this.ackPrefixLen);
    r[rp++] = 0x2e;
    rp = writeUint(r, m.seq, rp);
    r[rp++] = 0x2e;
    rp = writeUint(r, dseq, rp);
    r[rp++] = 0x2e;
    rp = writeNsDigits(r, m.ts, rp);
    r[rp++] = 0x2e;
    rp = writeUint(r, pendingAfter, rp);
    const target = wr !== null ? wr.reply : this.cfg.deliver_subject!;
    // bytes sent: header block + payload (for the pull max_bytes and flow control counts)
    let size: number;
    if (this.cfg.headers_only || (this.pinId !== '' && wr !== null)) {
      let hdr = m.hdrLen > 0 ? m.buf.subarray(m.start, m.start + m.hdrLen) : null;
      let payload = m.buf.subarray(m.start + m.hdrLen, m.end);
      if (this.cfg.headers_only) {
        hdr = setHeaders(hdr, [['Nats-Msg-Size', String(payload.length)]]);
        payload = EMPTY;
      }
      if (this.pinId !== '' && wr !== null) hdr = setHeaders(hdr, [['Nats-Pin-Id', this.pinId]]);
      const hl = hdr === null ? 0 : hdr.length;
      const body = hl === 0 ? payload : Buffer.concat([hdr!, payload], hl + payload.length);
      size = body.length;
      this.host.publishRegion(target, m.subj, r, rp, body, 0, hl, body.length);
    } else {
      size = m.end - m.start;
      this.host.publishRegion(target, m.subj, r, rp, m.buf, m.start, m.hdrLen, m.end);
    }
    this.lastDelivery = this.turnMs;
    this.lastDeliveredAt = now;
    if (this.cfg.replay_policy === 'original') {
      this.lastReplayTs = m.ts;
      this.lastReplayAt = this.lastDelivery;
    }
    if (wr !== null) {
      wr.n--;
      wr.d++;
      wr.lastSent = this.lastDelivery;
      if (wr.b > 0) wr.b -= m.subj.length + size;
      if (wr.n <= 0) this.removeWaiting(wr);
      else if (this.cfg.priority_policy === 'prioritized') requeueByPriority(this.waiting, wr);
    } else if (this.cfg.flow_control) {
      this.fcBytes += m.subj.length + size;
      this.fcOutstanding += m.subj.length + size;
      if (this.fcBytes >= FC_EVERY_BYTES && this.fcId === '') this.sendFlowControl();
    }
  }

  // ------------------------------------------------------------------ push: flow control / heartbeats

  private sendFlowControl(): void {
    this.fcBytes = 0;
    this.fcId = `$JS.FC.${this.stream.name}.${this.name}.${++this.fcSeq}`;
    this.host.publish(this.cfg.deliver_subject!, this.fcId, buildHeaders([], 100, 'FlowControl Request'), EMPTY);
  }

  private processFlowControl(subj: string): void {
    if (subj === this.fcId) {
      this.fcId = '';
      this.fcOutstanding = 0;
      this.kick();
    }
  }

  private armHeartbeat(): void {
    const ms = Math.max(1, Math.floor((this.cfg.idle_heartbeat ?? 0) / 1e6));
    this.hbTimer = setInterval(() => {
      if (this.closed || !this.isActive()) return;
      if (Date.now() - this.lastDelivery < ms) return;
      const pairs: [string, string][] = [
        ['Nats-Last-Consumer', String(this.dseq - 1)],
        ['Nats-Last-Stream', String(this.sseq - 1)],
      ];
      if (this.fcId !== '') pairs.push(['Nats-Consumer-Stalled', this.fcId]);
      this.host.publish(this.cfg.deliver_subject!, '', buildHeaders(pairs, 100, 'Idle Heartbeat'), EMPTY);
      // An unanswered flow control request is re-sent with the heartbeat.
      if (this.fcId !== '') this.host.publish(this.cfg.deliver_subject!, this.fcId, buildHeaders([], 100, 'FlowControl Request'), EMPTY);
    }, ms);
    this.hbTimer.unref?.();
  }

  private armInterestPoll(): void {
    if (this.pollTimer !== null || this.closed) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      this.kick();
    }, 100);
    this.pollTimer.unref?.();
  }

  // ------------------------------------------------------------------ pull requests

  private processNextRequest(reply: string, _hdr: Buffer | null, body: Buffer): void {
    if (reply === '' || this.closed) return;
    const sendErr = (code: number, desc: string): void => {
      this.host.publish(reply, '', statusHeader(code, desc), EMPTY);
    };
    let req;
    try {
      req = parseNextRequest(body);
    } catch (e) {
      sendErr(400, `Bad Request - ${(e as Error).message}`);
      return;
    }
    this.lastActive = Date.now();
    const c = this.cfg;
    if ((c.max_batch ?? 0) > 0 && req.batch > c.max_batch!) return sendErr(409, `Exceeded MaxRequestBatch of ${c.max_batch}`);
    if (req.expires > 0 && (c.max_expires ?? 0) > 0 && req.expires > c.max_expires!) return sendErr(409, `Exceeded MaxRequestExpires of ${goDuration(c.max_expires!)}`);
    if (req.maxBytes > 0 && (c.max_bytes ?? 0) > 0 && req.maxBytes > c.max_bytes!) return sendErr(409, `Exceeded MaxRequestMaxBytes of ${c.max_bytes}`);
    const g = req.group;
    const pol = c.priority_policy ?? 'none';
    if (g !== null) {
      if (((g.min_pending ?? 0) !== 0 || (g.min_ack_pending ?? 0) !== 0) && pol !== 'overflow') return sendErr(400, 'Bad Request - Not a Overflow Priority consumer');
      if (g.id && pol !== 'pinned_client') return sendErr(400, 'Bad Request - Not a Pinned Client Priority consumer');
      if ((g.priority ?? 0) < 0 || (g.priority ?? 0) > 9) return sendErr(400, 'Bad Request - Priority must be between 0 and 9');
    }
    if (pol !== 'none') {
      if (g === null || !g.group) return sendErr(400, 'Bad Request - Priority Group missing');
      if (!(c.priority_groups ?? []).includes(g.group)) return sendErr(400, 'Bad Request - Invalid Priority Group');
      if (pol === 'pinned_client' && this.pinId !== '' && g.id && g.id !== this.pinId) return sendErr(423, 'Nats-Pin-Id mismatch');
    }
    if (req.noWait) {
      const pending = this.numPending() + this.rdq.length;
      if (pending === 0 && req.expires === 0) return sendErr(404, 'No Messages');
    }
    const maxWaiting = c.max_waiting ?? 0;
    if (maxWaiting > 0 && this.waiting.length >= maxWaiting) {
      this.expireWaiting();
      if (this.waiting.length >= maxWaiting) {
        if (req.hb === 0) sendErr(409, 'Exceeded MaxWaiting');
        return;
      }
    }
    const now = Date.now();
    const wr: PullRequest = {
      reply,
      n: req.batch,
      b: req.maxBytes,
      d: 0,
      noWait: req.noWait,
      expires: req.expires > 0 ? now + req.expires / 1e6 : 0,
      hb: req.hb > 0 ? req.hb / 1e6 : 0,
      hbTimer: null,
      lastSent: now,
      received: now,
      group: g,
      checkedTurn: -1,
      pinned: false,
    };
    if (pol === 'pinned_client' && this.pinId !== '' && g?.id === this.pinId) {
      this.pinnedAt = now;
      this.armPinTimer();
    }
    if (pol === 'prioritized') insertByPriority(this.waiting, wr);
    else this.waiting.push(wr);
    if (wr.expires > 0) {
      const t = setTimeout(() => this.expireWaiting(), wr.expires - now + 1);
      t.unref?.();
    }
    if (wr.hb > 0) {
      wr.hbTimer = setInterval(() => {
        if (Date.now() - wr.lastSent >= wr.hb) {
          wr.lastSent = Date.now();
          this.host.publish(wr.reply, '', buildHeaders([], 100, 'Idle Heartbeat'), EMPTY);
        }
      }, wr.hb);
      wr.hbTimer.unref?.();
    }
    this.kick();
  }

  /**
   * First waiting request with interest and room for the next message that
   * the priority policy lets through (overflow thresholds, pinned client).
   */
  private nextWaiting(): PullRequest | null {
    const pol = this.cfg.priority_policy ?? 'none';
    if (pol === 'pinned_client' && this.pinId !== '' && Date.now() - this.pinnedAt > (this.cfg.priority_timeout ?? 120e9) / 1e6) this.unpin(true);
    for (let i = 0; i < this.waiting.length; ) {
      const wr = this.waiting[i];
      // Expiry and interest are checked once per delivery turn, not per message.
      if (wr.checkedTurn !== this.turn) {
        wr.checkedTurn = this.turn;
        if (wr.expires > 0 && Date.now() >= wr.expires) {
          this.expireOne(wr);
          continue;
        }
        if (!this.host.replyInterest(wr.reply, wr.received)) {
          this.removeWaiting(wr);
          continue;
        }
      }
      if (pol !== 'none' && !this.eligible(wr, pol)) {
        i++;
        continue;
      }
      if (wr.b > 0) {
        const peek = this.peekSize();
        if (peek > 0 && peek > wr.b) {
          this.host.publish(wr.reply, '', statusHeader(409, 'Message Size Exceeds MaxBytes', { msgs: wr.n, bytes: wr.b }), EMPTY);
          this.removeWaiting(wr);
          continue;
        }
      }
      if (pol === 'pinned_client' && this.pinId === '') this.pin(wr);
      return wr;
    }
    return null;
  }

  private eligible(wr: PullRequest, pol: string): boolean {
    const g = wr.group;
    if (pol === 'overflow') {
      if (g === null) return true;
      const mp = g.min_pending ?? 0;
      const map = g.min_ack_pending ?? 0;
      if (mp <= 0 && map <= 0) return true;
      return (mp > 0 && this.numPending() >= mp) || (map > 0 && this.pending.size >= map);
    }
    if (pol === 'pinned_client') return this.pinId === '' || wr.pinned === true || (g !== null && g.id === this.pinId);
    return true;
  }

  private pin(wr: PullRequest): void {
    this.pinId = randomId();
    this.pinnedAt = Date.now();
    this.pinnedSince = this.pinnedAt;
    this.pinGroup = wr.group?.group ?? '';
    wr.pinned = true;
    this.armPinTimer();
    // Go sendPinnedAdvisoryLocked (JSConsumerGroupPinnedAdvisory)
    this.host.advisory(`$JS.EVENT.ADVISORY.CONSUMER.PINNED.${this.stream.name}.${this.name}`, {
      type: 'io.nats.jetstream.advisory.v1.consumer_group_pinned',
      account: this.host.account,
      stream: this.stream.name,
      consumer: this.name,
      group: this.pinGroup,
      pinned_id: this.pinId,
    });
  }

  /**
   * Go setPinnedTimer: the pin expires priority_timeout after it was given or
   * the pinned client last pulled, even when nothing else happens (the
   * UNPINNED advisory with reason "timeout" is sent from the timer).
   */
  private armPinTimer(): void {
    if (this.pinTimer !== null) clearTimeout(this.pinTimer);
    const ms = (this.cfg.priority_timeout ?? 120e9) / 1e6;
    this.pinTimer = setTimeout(() => {
      this.pinTimer = null;
      if (!this.closed) this.unpin(true);
    }, Math.min(Math.max(ms, 1), 2 ** 31 - 1));
    this.pinTimer.unref?.();
  }

  private peekSize(): number {
    const store = this.stream.store;
    let m: StoredMsg | null = null;
    if (this.rdq.length > 0) m = store.loadMsg(this.rdq[0]);
    else if (this.lss !== null && this.lss.length > 0) m = store.loadMsg(this.lss[0]);
    else m = store.loadNextMsg(this.filters.length === 1 ? this.filters[0] : '', this.sseq);
    if (m === null) return 0;
    return m.subj.length + (m.hdr?.length ?? 0) + (this.cfg.headers_only ? 0 : m.msg.length);
  }

  private removeWaiting(wr: PullRequest): void {
    const i = this.waiting.indexOf(wr);
    if (i >= 0) this.waiting.splice(i, 1);
    if (wr.hbTimer !== null) clearInterval(wr.hbTimer);
    wr.hbTimer = null;
  }

  private expireOne(wr: PullRequest): void {
    this.host.publish(wr.reply, '', statusHeader(408, 'Request Timeout', { msgs: wr.n, bytes: wr.b }), EMPTY);
    this.removeWaiting(wr);
  }

  private expireWaiting(): void {
    const now = Date.now();
    for (const wr of [...this.waiting]) if (wr.expires > 0 && now >= wr.expires) this.expireOne(wr);
  }

  /** No more messages: no_wait requests end now (404 when they got nothing or had no expiry). */
  private finishNoWait(): void {
    for (const wr of [...this.waiting]) {
      if (!wr.noWait) continue;
      if (wr.expires === 0 || wr.d > 0) {
        this.host.publish(wr.reply, '', statusHeader(404, 'No Messages'), EMPTY);
        this.removeWaiting(wr);
      }
    }
  }

  // ------------------------------------------------------------------ acks

  private processAck(subject: string, reply: string, body: Buffer): void {
    if (this.closed) return;
    // $JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>: the last five tokens
    let d4 = subject.length;
    for (let k = 0; k < 4; k++) d4 = subject.lastIndexOf('.', d4 - 1);
    const d5 = d4 < 0 ? -1 : subject.lastIndexOf('.', d4 - 1);
    if (d5 < this.ackPrefix.length - 1) return;
    const d3 = subject.indexOf('.', d4 + 1);
    const d2 = subject.indexOf('.', d3 + 1);
    const dc = digits(subject, d5 + 1, d4);
    const sseq = digits(subject, d4 + 1, d3);
    const dseq = digits(subject, d3 + 1, d2);
    this.lastActive = Date.now();
    const text = body.length === 0 ? '+ACK' : body.toString('utf8');
    let handled = true;
    if (text === '+ACK' || text === '+OK' || text === '') this.ackMsg(sseq, dseq, dc);
    else if (text.startsWith('+NXT')) {
      this.ackMsg(sseq, dseq, dc);
      if (reply !== '') {
        const rest = text.slice(4).trim();
        this.processNextRequest(reply, null, Buffer.from(rest));
      }
      return;
    } else if (text.startsWith('-NAK')) this.nak(sseq, dseq, dc, text.slice(4).trim());
    else if (text.startsWith('+WPI')) this.progress(sseq);
    else if (text.startsWith('+TERM')) this.term(sseq, dseq, dc, text.slice(5).trim());
    else handled = false;
    if (!handled) return;
    this.persist(reply !== '');
    if (reply !== '') this.host.publish(reply, '', null, EMPTY);
  }

  ackMsg(sseq: number, dseq: number, _dc: number): void {
    const pol = this.cfg.ack_policy;
    if (pol === 'none') return;
    if (pol === 'all') {
      if (sseq <= this.asflr) return;
      const acked: number[] = [];
      for (const s of this.pending.keys()) {
        if (s > sseq) break;
        acked.push(s);
      }
      for (const s of acked) {
        this.pending.delete(s);
        this.rdc.delete(s);
      }
      this.asflr = Math.max(this.asflr, sseq);
      this.adflr = Math.max(this.adflr, dseq);
      this.updateAckFloor();
      for (const s of acked) this.stream.ackMsg(this, s);
      this.lastAckedAt = nowNs();
    } else {
      const p = this.pending.get(sseq);
      if (p === undefined) return;
      this.sampleAck(sseq, p, _dc);
      this.pending.delete(sseq);
      this.rdc.delete(sseq);
      this.updateAckFloor();
      this.lastAckedAt = nowNs();
      this.stream.ackMsg(this, sseq);
    }
    if (this.cfg.max_ack_pending) this.kick();
  }

  /** Go sampled ack metric (`sample_freq`): `$JS.EVENT.METRIC.CONSUMER.ACK.<stream>.<consumer>`. */
  private sampleAck(sseq: number, p: { sequence: number; timestamp: number }, dc: number): void {
    const f = this.cfg.sample_freq;
    if (!f) return;
    const pct = Number(f.replace(/%$/, ''));
    if (!(pct > 0) || Math.random() * 100 >= pct) return;
    this.host.advisory(`$JS.EVENT.METRIC.CONSUMER.ACK.${this.stream.name}.${this.name}`, {
      type: 'io.nats.jetstream.metric.v1.consumer_ack',
      stream: this.stream.name,
      consumer: this.name,
      consumer_seq: p.sequence,
      stream_seq: sseq,
      ack_time: Math.max(0, nowNs() - p.timestamp),
      deliveries: dc,
    });
  }

  /** A first delivery (or a restored one) enters `pending` and the delivery-order queue. */
  private addPending(seq: number, dseq: number, ts: number): void {
    this.pending.set(seq, { sequence: dseq, timestamp: ts });
    const q = this.pendOrder;
    if (q.length > this.pendHead && q[q.length - 1] > seq) this.pendUnordered = true;
    q.push(seq);
  }

  /**
   * Ack floors from the lowest pending sequence. `pendOrder` holds pending
   * sequences in stream order (first deliveries come in stream order and a
   * redelivery keeps its place), so the lowest is found by moving the head
   * past acked entries: amortised O(1). (Asking a Map for its first key is
   * not: V8 walks over every deleted slot at the front of the table.)
   */
  private updateAckFloor(): void {
    const pending = this.pending;
    const q = this.pendOrder;
    if (pending.size === 0) {
      q.length = 0;
      this.pendHead = 0;
      this.pendUnordered = false;
      this.asflr = Math.max(this.asflr, this.sseq - 1);
      this.adflr = Math.max(this.adflr, this.dseq - 1);
      return;
    }
    let min: number;
    let h = this.pendHead;
    while (h < q.length && !pending.has(q[h])) h++;
    if (h > 1024 && h * 2 > q.length) {
      q.splice(0, h);
      h = 0;
    }
    this.pendHead = h;
    if (!this.pendUnordered && h < q.length) min = q[h];
    else {
      min = Infinity;
      for (const k of pending.keys()) if (k < min) min = k;
    }
    const p = pending.get(min)!;
    if (min - 1 > this.asflr) this.asflr = min - 1;
    if (p.sequence - 1 > this.adflr) this.adflr = p.sequence - 1;
  }


  private nak(sseq: number, dseq: number, dc: number, arg: string): void {
    if (!this.pending.has(sseq)) return;
    let delayMs = 0;
    if (arg !== '') {
      try {
        if (arg.startsWith('{')) {
          const j = JSON.parse(arg) as { delay?: number };
          delayMs = (j.delay ?? 0) / 1e6;
        } else delayMs = parseGoDuration(arg) ?? 0;
      } catch {
        delayMs = 0;
      }
    }
    this.host.advisory(`$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.${this.stream.name}.${this.name}`, {
      type: 'io.nats.jetstream.advisory.v1.nak',
      stream: this.stream.name,
      consumer: this.name,
      consumer_seq: dseq,
      stream_seq: sseq,
      deliveries: dc,
    });
    if (delayMs > 0) {
      // redeliver once the delay passes: move the ack deadline
      const p = this.pending.get(sseq)!;
      p.timestamp = nowNs() + delayMs * 1e6 - this.ackWaitNs(dc);
      this.armAckTimer(delayMs);
      return;
    }
    this.queueRedelivery(sseq);
    this.kick();
  }

  private progress(sseq: number): void {
    const p = this.pending.get(sseq);
    if (p === undefined) return;
    p.timestamp = nowNs();
    this.armAckTimer();
  }

  private term(sseq: number, dseq: number, dc: number, reason: string): void {
    if (!this.pending.has(sseq)) return;
    this.ackMsg(sseq, dseq, dc);
    const adv: Record<string, unknown> = {
      type: 'io.nats.jetstream.advisory.v1.terminated',
      stream: this.stream.name,
      consumer: this.name,
      consumer_seq: dseq,
      stream_seq: sseq,
      deliveries: dc,
    };
    if (reason) adv.reason = reason;
    this.host.advisory(`$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${this.stream.name}.${this.name}`, adv);
  }

  private queueRedelivery(seq: number): void {
    if (this.rdqSet.has(seq)) return;
    this.rdqSet.add(seq);
    let i = this.rdq.length;
    while (i > 0 && this.rdq[i - 1] > seq) i--;
    this.rdq.splice(i, 0, seq);
  }

  private ackWaitNs(dc: number): number {
    const bo = this.cfg.backoff;
    if (bo && bo.length > 0) return bo[Math.min(dc - 1, bo.length - 1)];
    return this.cfg.ack_wait ?? 30e9;
  }

  private armAckTimer(ms?: number): void {
    if (this.ackTimer !== null && ms === undefined) return;
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    const wait = ms ?? Math.max(1, this.ackWaitNs(1) / 1e6);
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      this.checkPending();
    }, Math.max(1, Math.ceil(wait)));
    this.ackTimer.unref?.();
  }

  /** Ack wait expiry: due deliveries go to the redelivery queue; re-arm for the next deadline. */
  private checkPending(): void {
    if (this.closed || this.pending.size === 0) return;
    const now = nowNs();
    let next = Infinity;
    let queued = false;
    for (const [seq, p] of this.pending) {
      if (this.rdqSet.has(seq)) continue;
      const dc = this.rdc.get(seq) ?? 1;
      const due = p.timestamp + this.ackWaitNs(dc);
      if (due <= now) {
        this.queueRedelivery(seq);
        queued = true;
      } else if (due < next) next = due;
    }
    if (next !== Infinity) this.armAckTimer((next - now) / 1e6);
    if (queued) this.kick();
  }

  // ------------------------------------------------------------------ inactivity / pause

  private inactiveThresholdMs(): number {
    const t = this.cfg.inactive_threshold ?? 0;
    if (t > 0) return t / 1e6;
    return this.ephemeral ? EPHEMERAL_INACTIVE_DEFAULT / 1e6 : 0;
  }

  private armActivityCheck(): void {
    const ms = this.inactiveThresholdMs();
    if (ms <= 0) return;
    const every = Math.max(10, Math.min(ms / 2, 1000));
    this.activityTimer = setInterval(() => {
      if (this.closed) return;
      const now = Date.now();
      if (this.isPush) {
        if (this.isActive()) {
          this.lastActive = now;
          return;
        }
      } else if (this.waiting.length > 0) {
        this.lastActive = now;
        return;
      }
      if (now - this.lastActive >= ms) {
        this.host.removed(this);
      }
    }, every);
    this.activityTimer.unref?.();
  }

  private armPause(): void {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    if (!this.cfg.pause_until) return;
    const until = parseRfc3339(this.cfg.pause_until) / 1e6;
    const ms = until - Date.now();
    if (ms <= 0) return;
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null;
      // Node timers may fire a millisecond early by the wall clock (and long
      // pauses exceed the timer range): wait again until the deadline has
      // really passed, or delivery would stay paused and the advisory say so.
      if (this.paused()) return this.armPause();
      // Go updatePauseState's timer: the advisory carries the passed deadline.
      this.sendPauseAdvisory();
      this.kick();
    }, Math.min(Math.ceil(ms), 2 ** 31 - 1));
    this.pauseTimer.unref?.();
  }

  /**
   * Go sendPauseAdvisoryLocked: `pause_until` is always present (the zero
   * time when unset, as Go marshals a zero time.Time) and `paused` says
   * whether that deadline is still ahead.
   */
  sendPauseAdvisory(): void {
    const until = this.cfg.pause_until;
    const t = until ? parseRfc3339(until) : 0;
    this.host.advisory(`$JS.EVENT.ADVISORY.CONSUMER.PAUSE.${this.stream.name}.${this.name}`, {
      type: 'io.nats.jetstream.advisory.v1.consumer_pause',
      stream: this.stream.name,
      consumer: this.name,
      paused: t > Date.now() * 1e6,
      pause_until: until || ZERO_TIME,
    });
  }

  /**
   * The PAUSE API (Go jsConsumerPauseRequest + updateConfig): pause until
   * `until` (RFC 3339, stored in UTC), or resume when it is empty or the zero
   * time. A changed deadline sends the PAUSE advisory.
   */
  setPause(until: string | undefined): void {
    const before = this.cfg.pause_until ?? '';
    const c = { ...this.cfg };
    if (until && parseRfc3339(until) > 0) c.pause_until = utcRfc3339(until);
    else delete c.pause_until;
    setConsumerStaticMetadata(c); // Go re-stamps the required API level on pause/resume
    this.cfg = c;
    this.store?.setConfig(this.cfg, this.created);
    this.armPause();
    if ((this.cfg.pause_until ?? '') !== before) this.sendPauseAdvisory();
    this.kick();
  }

  /**
   * Release the pinned client: its priority_timeout passed (Go's pinnedTtl
   * timer, reason "timeout", only when a pin is held) or the UNPIN API named
   * `group` (reason "admin", sent even when nothing was pinned, as Go does).
   */
  unpin(expired = false, group?: string): void {
    if (expired && this.pinId === '') return;
    const g = group ?? this.pinGroup;
    this.pinId = '';
    this.pinGroup = '';
    if (this.pinTimer !== null) clearTimeout(this.pinTimer);
    this.pinTimer = null;
    for (const wr of this.waiting) wr.pinned = false;
    this.host.advisory(`$JS.EVENT.ADVISORY.CONSUMER.UNPINNED.${this.stream.name}.${this.name}`, {
      type: 'io.nats.jetstream.advisory.v1.consumer_group_unpinned',
      account: this.host.account,
      stream: this.stream.name,
      consumer: this.name,
      group: g,
      reason: expired ? 'timeout' : 'admin',
    });
    this.kick();
  }

  /** Apply an allowed config update. */
  updateConfig(cfg: ConsumerConfig): void {
    this.cfg = cfg;
    this.filters = filtersOf(cfg);
    this.npcValid = false;
    this.store?.setConfig(cfg, this.created);
    if (this.activityTimer !== null) clearInterval(this.activityTimer);
    this.activityTimer = null;
    this.armActivityCheck();
    this.armPause();
    this.kick();
  }

  /** Go consumer reset: move the cursor to `seq` (0 = ack floor + 1). */
  reset(seq: number): number {
    const target = seq > 0 ? seq : this.asflr + 1;
    this.pending.clear();
    this.pendOrder.length = 0;
    this.pendHead = 0;
    this.pendUnordered = false;
    this.rdc.clear();
    this.rdq = [];
    this.rdqSet.clear();
    this.lss = null;
    this.sseq = target;
    this.asflr = target - 1;
    this.adflr = this.dseq - 1;
    this.npcValid = false;
    this.persist();
    this.kick();
    return target;
  }

  // ------------------------------------------------------------------ info

  infoJSON(): Record<string, unknown> {
    const now = Date.now();
    const delivered: Record<string, unknown> = { consumer_seq: this.dseq - 1, stream_seq: this.sseq - 1 };
    if (this.lastDeliveredAt) delivered.last_active = rfc3339(this.lastDeliveredAt);
    const ackFloor: Record<string, unknown> = { consumer_seq: this.adflr, stream_seq: this.asflr };
    if (this.lastAckedAt) ackFloor.last_active = rfc3339(this.lastAckedAt);
    let redelivered = 0;
    for (const [s, n] of this.rdc) if (n > 1 && this.pending.has(s)) redelivered++;
    const o: Record<string, unknown> = {
      stream_name: this.stream.name,
      name: this.name,
      created: rfc3339(this.created),
      config: consumerConfigJSON(this.cfg, this.host.serverVersion),
      delivered,
      ack_floor: ackFloor,
      num_ack_pending: this.pending.size,
      num_redelivered: redelivered,
      num_waiting: this.waiting.length,
      num_pending: this.numPending(),
      cluster: { leader: this.stream.host.serverName },
    };
    if (this.isPush && this.isActive()) o.push_bound = true;
    if (this.paused()) {
      o.paused = true;
      o.pause_remaining = Math.max(0, parseRfc3339(this.cfg.pause_until!) - now * 1e6);
    }
    o.ts = rfc3339(now * 1e6);
    if (this.cfg.priority_policy === 'pinned_client' && this.pinId !== '') {
      o.priority_groups = (this.cfg.priority_groups ?? []).map((g) => ({ group: g, pinned_client_id: this.pinId, pinned_ts: rfc3339(this.pinnedSince * 1e6) }));
    }
    return o;
  }

  // ------------------------------------------------------------------ lifecycle

  private clearTimers(): void {
    for (const t of [this.ackTimer, this.activityTimer, this.pollTimer, this.pauseTimer, this.delayTimer, this.pinTimer]) if (t !== null) clearTimeout(t);
    if (this.hbTimer !== null) clearInterval(this.hbTimer);
    if (this.activityTimer !== null) clearInterval(this.activityTimer);
    this.ackTimer = this.hbTimer = this.activityTimer = this.pollTimer = this.pauseTimer = this.delayTimer = this.pinTimer = null;
    for (const wr of this.waiting) if (wr.hbTimer !== null) clearInterval(wr.hbTimer);
  }

  private unsubscribeAll(): void {
    for (const s of this.subs) this.host.unsubscribe(s);
    this.subs = [];
  }

  stop(): void {
    if (this.closed) return;
    this.persist();
    this.store?.flush();
    this.closed = true;
    this.clearTimers();
    this.unsubscribeAll();
    this.store?.stop();
  }

  delete(): void {
    if (this.closed) {
      this.store?.delete();
      return;
    }
    this.closed = true;
    this.clearTimers();
    this.unsubscribeAll();
    for (const wr of this.waiting) this.host.publish(wr.reply, '', statusHeader(409, 'Consumer Deleted'), EMPTY);
    this.waiting = [];
    this.store?.delete();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** The non-negative integer spelled by s[a, b); NaN when empty or not all digits. */
function digits(s: string, a: number, b: number): number {
  if (b <= a) return NaN;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}
