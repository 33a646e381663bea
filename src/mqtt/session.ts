/**
 * One MQTT session (Go mqttSession): the client id and its hash, the
 * subscriptions (filter -> QoS) and their JetStream consumers, the QoS 2
 * PUBREL consumer, and the packet identifiers in flight to the client:
 * `pendingPublish` (QoS 1/2 PUBLISH waiting for PUBACK/PUBREC),
 * `pendingPubRel` (PUBREL waiting for PUBCOMP) and `cpending` (which
 * identifier a consumer's delivery of a stream sequence got, so a
 * redelivery reuses it with DUP set [MQTT-4.4.0-1]). Persisted as Go's
 * mqttPersistedSession JSON in the `$MQTT_sess` stream, one message per
 * client id hash, so it survives a restart.
 */
import type { MqttClient } from './connection.js';

export const SESS_STREAM = '$MQTT_sess';
export const SESS_SUBJECT_PREFIX = '$MQTT.sess.';
export const MSGS_STREAM = '$MQTT_msgs';
export const MSGS_SUBJECT_PREFIX = '$MQTT.msgs.';
export const QOS2IN_STREAM = '$MQTT_qos2in';
export const QOS2IN_SUBJECT_PREFIX = '$MQTT.qos2.in.';
export const OUT_STREAM = '$MQTT_out';
export const OUT_SUBJECT_PREFIX = '$MQTT.out.';
export const PUBREL_SUBJECT_PREFIX = '$MQTT.out.pubrel.';
export const PUBREL_DELIVERY_PREFIX = '$MQTT.deliver.pubrel.';
export const PUBREL_DURABLE_PREFIX = '$MQTT_PUBREL_';
export const SUB_PREFIX = '$MQTT.sub.';
/** 5.0 shared subscriptions: one consumer per group and filter, kept when a member leaves */
export const SHARED_DURABLE_PREFIX = '$MQTT_share_';

export function isShared(durable: string): boolean {
  return durable.startsWith(SHARED_DURABLE_PREFIX);
}

/** A JetStream consumer config as MQTT creates (and persists) it, in Go's JSON field names. */
export interface ConsumerCfg {
  durable_name: string;
  deliver_subject: string;
  deliver_policy: string;
  ack_policy: string;
  filter_subject: string;
  ack_wait: number;
  max_ack_pending: number;
  mem_storage?: boolean;
  inactive_threshold?: number;
  [k: string]: unknown;
}

/** 5.0 options of one subscription, kept with the session (our addition to Go's record). */
export interface SubOptions {
  /** no local [MQTT-3.8.3-3] */
  nl?: boolean;
  /** retain as published [MQTT-3.8.3-4] */
  rap?: boolean;
  /** subscription identifier [MQTT-3.8.2.1.2] */
  id?: number;
  /** shared subscription group ($share/<group>/...) */
  group?: string;
}

/** What Go stores (mqttPersistedSession), plus `v5` for the 5.0 session state. */
export interface PersistedSession {
  origin?: string;
  id?: string;
  clean?: boolean;
  subs?: Record<string, number>;
  cons?: Record<string, ConsumerCfg | null>;
  pubrel?: ConsumerCfg | null;
  v5?: { expiry?: number; opts?: Record<string, SubOptions>; disconnected?: number };
}

export class PendingAck {
  constructor(
    public dur: string,
    public sseq: number,
    public ackReply: string,
  ) {}
}

/** `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>`: delivery count and stream sequence. */
export function ackReplyInfo(reply: string): { dc: number; sseq: number; pending: number } {
  const t = reply.split('.');
  const n = t.length;
  if (n < 9) return { dc: 0, sseq: 0, pending: 0 };
  // tokens from the end: a domain or account hash may come first in newer forms
  return { dc: Number(t[n - 5]) || 0, sseq: Number(t[n - 4]) || 0, pending: Number(t[n - 1]) || 0 };
}

export class MqttSession {
  client: MqttClient | null = null;
  /** filter (NATS subject) -> QoS */
  subs = new Map<string, number>();
  /** subscription sid -> its consumer */
  cons = new Map<string, ConsumerCfg>();
  /** 5.0 options per filter */
  subOpts = new Map<string, SubOptions>();
  pubRelConsumer: ConsumerCfg | null = null;
  pubRelSubscribed = false;
  readonly pubRelSubject: string;
  readonly pubRelDeliverySubject: string;
  /** stream sequence of the persisted record (0 = none) */
  seq = 0;
  readonly pendingPublish = new Map<number, PendingAck>();
  readonly pendingPubRel = new Map<number, PendingAck>();
  readonly cpending = new Map<string, Map<number, number>>();
  lastPi = 0;
  /** sum of the consumers' max_ack_pending (Go tmaxack; the session total is capped at 65535) */
  tmaxack = 0;
  clean = false;
  /** 5.0: session expiry interval in seconds (0 = ends with the connection; 0xFFFFFFFF = never) */
  expiry = 0;
  /** 5.0: when the last client left (ms since epoch; 0 = connected or never) */
  disconnectedAt = 0;

  constructor(
    readonly id: string,
    readonly idHash: string,
    /** QoS 1/2 messages in flight to the client (Go maxp) */
    public maxp: number,
    readonly domainTk: string,
  ) {
    this.pubRelSubject = PUBREL_SUBJECT_PREFIX + idHash;
    this.pubRelDeliverySubject = PUBREL_DELIVERY_PREFIX + idHash;
  }

  get subject(): string {
    return SESS_SUBJECT_PREFIX + this.domainTk + this.idHash;
  }

  restore(ps: PersistedSession): void {
    this.clean = !!ps.clean;
    this.subs = new Map(Object.entries(ps.subs ?? {}));
    this.cons = new Map();
    for (const [sid, cc] of Object.entries(ps.cons ?? {})) if (cc) this.cons.set(sid, cc);
    this.pubRelConsumer = ps.pubrel ?? null;
    this.subOpts = new Map(Object.entries(ps.v5?.opts ?? {}));
    this.expiry = ps.v5?.expiry ?? 0;
    this.disconnectedAt = ps.v5?.disconnected ?? 0;
  }

  persisted(origin: string): PersistedSession {
    const ps: PersistedSession = { origin, id: this.id };
    if (this.clean) ps.clean = true;
    if (this.subs.size > 0) ps.subs = Object.fromEntries(this.subs);
    if (this.cons.size > 0) ps.cons = Object.fromEntries(this.cons);
    if (this.pubRelConsumer !== null) ps.pubrel = this.pubRelConsumer;
    if (this.expiry > 0 || this.subOpts.size > 0) {
      ps.v5 = {};
      if (this.expiry > 0) ps.v5.expiry = this.expiry;
      if (this.subOpts.size > 0) ps.v5.opts = Object.fromEntries(this.subOpts);
      if (this.disconnectedAt > 0) ps.v5.disconnected = this.disconnectedAt;
    }
    return ps;
  }

  /** Forget everything (Go mqttSession.clear, the in-memory part); returns the consumers to delete. */
  clearState(): { durables: string[]; pubRel: string | null; seq: number } {
    const durables = [...this.cons.values()].map((c) => c.durable_name).filter((d) => !isShared(d));
    const pubRel = this.pubRelConsumer?.durable_name ?? null;
    const seq = this.seq;
    this.cons.clear();
    this.subs.clear();
    this.subOpts.clear();
    this.pendingPublish.clear();
    this.pendingPubRel.clear();
    this.cpending.clear();
    this.pubRelConsumer = null;
    this.seq = 0;
    this.tmaxack = 0;
    // [MQTT-3.1.2-6]: a discarded session does not reuse the previous identifiers
    this.lastPi = 0;
    return { durables, pubRel, seq };
  }

  /** Next free packet identifier after the last one used (Go bumpPI): 0 when all 65535 are in use. */
  bumpPI(): number {
    let next = this.lastPi;
    for (let i = 0; i < 0xffff; i++) {
      next = next === 0xffff ? 1 : next + 1;
      if (!this.pendingPublish.has(next) && !this.pendingPubRel.has(next)) {
        this.lastPi = next;
        return next;
      }
    }
    return 0;
  }

  private seqToPi(dur: string): Map<number, number> {
    let m = this.cpending.get(dur);
    if (m === undefined) {
      m = new Map();
      this.cpending.set(dur, m);
    }
    return m;
  }

  /**
   * A QoS 1/2 delivery from consumer `dur` with ack reply `ackReply` (Go
   * trackPublish): the packet identifier to use (the same one for a
   * redelivery) and whether it is a duplicate; pi 0 means "not now" (max in
   * flight reached, or its PUBREL is already under way).
   */
  trackPublish(dur: string, ackReply: string): { pi: number; dup: boolean } {
    if (ackReply === '' || dur === '') return { pi: 0, dup: false };
    const { dc, sseq } = ackReplyInfo(ackReply);
    const dup = dc > 1;
    const m = this.seqToPi(dur);
    let pi = m.get(sseq) ?? 0;
    if (pi !== 0) {
      if (this.pendingPubRel.has(pi)) return { pi: 0, dup: false };
      const p = this.pendingPublish.get(pi);
      if (p !== undefined) {
        p.ackReply = ackReply;
        p.sseq = sseq;
        p.dur = dur;
      } else this.pendingPublish.set(pi, new PendingAck(dur, sseq, ackReply));
      return { pi, dup };
    }
    if (this.pendingPublish.size >= this.maxp) return { pi: 0, dup: false };
    pi = this.bumpPI();
    if (pi === 0) return { pi: 0, dup: false };
    m.set(sseq, pi);
    this.pendingPublish.set(pi, new PendingAck(dur, sseq, ackReply));
    return { pi, dup };
  }

  /** A retained QoS 1/2 message sent on subscribe (Go trackPublishRetained): tracked under the sid's pseudo durable. */
  trackPublishRetained(sid: string): number {
    const pi = this.bumpPI();
    if (pi === 0) return 0;
    const dur = retainedPendingDur(sid);
    this.seqToPi(dur).set(pi, pi);
    this.pendingPublish.set(pi, new PendingAck(dur, pi, ''));
    return pi;
  }

  /** PUBACK/PUBREC received: stop tracking the PUBLISH; returns the JetStream ack reply to ack. */
  untrackPublish(pi: number): string {
    const p = this.pendingPublish.get(pi);
    if (p === undefined) return '';
    this.pendingPublish.delete(pi);
    // lastPi stays where it is: a just-freed identifier is not reused at once [MQTT-2.3.1-4]
    this.cpending.get(p.dur)?.delete(p.sseq);
    return p.ackReply;
  }

  /** PUBREC received (ackReply '') or PUBREL delivered by the PUBREL consumer (Go trackAsPubRel). */
  trackAsPubRel(pi: number, ackReply: string): void {
    if (this.pubRelConsumer === null) return;
    const dur = this.pubRelConsumer.durable_name;
    if (ackReply === '') {
      this.pendingPubRel.set(pi, new PendingAck(dur, 0, ''));
      return;
    }
    const { sseq } = ackReplyInfo(ackReply);
    this.seqToPi(dur).set(sseq, pi);
    this.pendingPubRel.set(pi, new PendingAck(dur, sseq, ackReply));
  }

  /** PUBCOMP received: returns the PUBREL consumer's ack reply. */
  untrackPubRel(pi: number): string {
    const p = this.pendingPubRel.get(pi);
    if (p === undefined) return '';
    this.pendingPubRel.delete(pi);
    this.cpending.get(p.dur)?.delete(p.sseq);
    return p.ackReply;
  }

  /** Drop what a subscription had in flight (unsubscribe, QoS downgrade to 0). */
  purgePending(dur: string, sid: string): void {
    for (const d of [dur, retainedPendingDur(sid)]) {
      const m = this.cpending.get(d);
      if (m === undefined) continue;
      this.cpending.delete(d);
      for (const pi of m.values()) this.pendingPublish.delete(pi);
    }
  }
}

/** Go mqttRetainedPendingDur: the pseudo durable under which a subscription's retained deliveries are tracked. */
export function retainedPendingDur(sid: string): string {
  return `$MQTT_rmsgs/${sid}`;
}
