/**
 * SUBSCRIBE and UNSUBSCRIBE (Go mqttParseSubs, processSubs,
 * processJSConsumer, ensurePubRelConsumerSubscription, mqttProcessUnsubs).
 * A filter becomes a NATS subscription on its subject (sid = subject), plus
 * `<subject> fwc` on the level above for `.../#` [MQTT-4.7.1-2]; QoS 1/2
 * adds a durable consumer on `$MQTT_msgs` (`<session hash>_<nuid>`, deliver
 * new) whose delivery subject `$MQTT.sub.<nuid>` the connection subscribes
 * to, and QoS 2 the session's PUBREL consumer on `$MQTT_out`. A repeated
 * filter replaces the subscription without interrupting it [MQTT-3.8.4-3];
 * SUBACK comes before the matching retained messages [MQTT-3.3.1-6] and
 * before the messages that arrived for the new subscription meanwhile.
 * 5.0: shared subscriptions `$share/<group>/<filter>` are queue
 * subscriptions [MQTT-4.8.2], plus subscription identifiers, No Local,
 * Retain As Published and Retain Handling [MQTT-3.8.3].
 */
import type { Subscription } from '../../conn/subscription.js';
import { isValidSublistSubject } from '../../sublist/subject.js';
import * as C from '../codec/constants.js';
import { encodeSuback, encodeUnsuback } from '../codec/encode.js';
import type { Properties, SubscribePacket, UnsubscribePacket } from '../codec/packets.js';
import { jsaP } from '../account-manager.js';
import { getHash, nuid } from '../ids.js';
import { deliverPubRel, deliverQoS0, deliverQoS12, MqttSubscription, sendPublish, topicBytes } from '../deliver.js';
import type { RetainedMsg } from '../retained.js';
import { isShared, MSGS_STREAM, MSGS_SUBJECT_PREFIX, OUT_STREAM, PUBREL_DURABLE_PREFIX, SHARED_DURABLE_PREFIX, SUB_PREFIX, type ConsumerCfg, type MqttSession, type SubOptions } from '../session.js';
import { fromBytes, isReservedFilter, LEVEL_UP_SID_SUFFIX, mqttToNatsSubject, needsLevelUpSub, toBytes, TopicError } from '../topics.js';
import type { MqttClient } from '../connection.js';

/** Go mqttMaxAckTotalLimit: a session's consumers may not have more than this in flight together. */
const MAX_ACK_TOTAL = 0xffff;
const SHARE_PREFIX = '$share/';

/** One requested subscription (Go mqttFilter), with its outcome. */
interface Filter {
  /** MQTT filter as sent ('' when refused while parsing) */
  topic: string;
  /** NATS subject */
  subject: string;
  /** the key of the subscription in the session (subject, or `$share/<group>/<subject>`) */
  key: string;
  qos: number;
  /** SUBACK code: the granted QoS or a failure */
  rc: number;
  opts: SubOptions;
  retainHandling: number;
  /** the subscription existed before this SUBSCRIBE */
  existed: boolean;
  subs: MqttSubscription[];
}

/** The connection's subscriptions on filters (QoS 0 path), in the order made. */
export function filterSubs(c: MqttClient): MqttSubscription[] {
  const out: MqttSubscription[] = [];
  for (const s of c.subs.values()) if (s instanceof MqttSubscription && s.icb === deliverQoS0 && s.queue === null) out.push(s);
  return out;
}

function ackWait(c: MqttClient): number {
  return (c.broker.opts.ack_wait > 0 ? c.broker.opts.ack_wait : 30_000) * 1e6;
}

function maxAckPending(c: MqttClient): number {
  return c.broker.opts.max_ack_pending > 0 ? c.broker.opts.max_ack_pending : 1024;
}

function consumerBase(c: MqttClient): Partial<ConsumerCfg> {
  const o = c.broker.opts;
  const cfg: Partial<ConsumerCfg> = { ack_policy: 'explicit', deliver_policy: 'new', ack_wait: ackWait(c), max_ack_pending: maxAckPending(c) };
  if (o.consumer_memory_storage) cfg.mem_storage = true;
  if (o.consumer_inactive_threshold > 0) cfg.inactive_threshold = o.consumer_inactive_threshold * 1e6;
  return cfg;
}

/** Parse the 5.0 `$share/<group>/<filter>` form; null when not shared, an error text when malformed [MQTT-4.8.2-1..2]. */
function parseShare(topic: string): { group: string; filter: string } | string | null {
  if (!topic.startsWith(SHARE_PREFIX)) return null;
  const rest = topic.slice(SHARE_PREFIX.length);
  const k = rest.indexOf('/');
  if (k <= 0) return 'shared subscription without a filter';
  const group = rest.slice(0, k);
  if (/[+#]/.test(group)) return 'shared subscription group with a wildcard';
  return { group, filter: rest.slice(k + 1) };
}

function toFilter(c: MqttClient, topic: string, qos: number, opts: SubOptions, retainHandling: number): Filter {
  const f: Filter = { topic, subject: '', key: '', qos, rc: qos, opts, retainHandling, existed: false, subs: [] };
  const v5 = c.version === C.MQTT_5;
  let ft = topic;
  if (v5) {
    const sh = parseShare(topic);
    if (typeof sh === 'string') {
      f.rc = C.ReasonCode.TopicFilterInvalid;
      return f;
    }
    if (sh !== null) {
      // [MQTT-3.8.3-4]: No Local on a shared subscription is a Protocol Error (refused here)
      if (opts.nl) {
        f.rc = C.ReasonCode.ProtocolError;
        return f;
      }
      opts.group = sh.group;
      ft = sh.filter;
    }
  }
  if (ft === '') {
    f.rc = v5 ? C.ReasonCode.TopicFilterInvalid : C.SUBACK_FAILURE;
    return f;
  }
  if (v5 && !wildcardsInPlace(ft)) {
    f.rc = C.ReasonCode.TopicFilterInvalid;
    return f;
  }
  const s = mqttToNatsSubject(ft, true);
  if (s instanceof TopicError) {
    c.log.error(`${c.label()} - invalid topic ${JSON.stringify(ft)}: ${s.message}`);
    f.rc = v5 ? C.ReasonCode.TopicFilterInvalid : C.SUBACK_FAILURE;
    return f;
  }
  if (!isValidSublistSubject(s)) {
    // [MQTT-4.7.1-1..3]: `#` only last and alone in its level, `+` alone in its level
    f.rc = v5 ? C.ReasonCode.TopicFilterInvalid : C.SUBACK_FAILURE;
    return f;
  }
  f.subject = s;
  f.key = opts.group !== undefined ? `${SHARE_PREFIX}${opts.group}/${s}` : s;
  return f;
}

/** 5.0 [MQTT-4.7.1-1..3]: `#` alone in the last level, `+` alone in its level (3.1.1 takes them literally, as Go does). */
function wildcardsInPlace(filter: string): boolean {
  const levels = filter.split('/');
  for (let k = 0; k < levels.length; k++) {
    const l = levels[k];
    if (l.includes('#') && (l !== '#' || k !== levels.length - 1)) return false;
    if (l.includes('+') && l !== '+') return false;
  }
  return true;
}

export function onSubscribe(c: MqttClient, p: SubscribePacket): void {
  const v5 = c.version === C.MQTT_5;
  const subId = p.properties.subscriptionIdentifiers?.[0] ?? 0;
  const filters = p.subscriptions.map((s) => {
    const opts: SubOptions = {};
    if (v5) {
      if (s.noLocal) opts.nl = true;
      if (s.retainAsPublished) opts.rap = true;
      if (subId > 0) opts.id = subId;
    }
    return toFilter(c, toBytes(s.topic), s.qos, opts, s.retainHandling);
  });
  if (c.log.traceEnabled) c.trace(`<<- [SUBSCRIBE [${filters.map((f) => `${fromBytes(f.topic)} (${fromBytes(f.subject)}) QoS=${f.qos}`).join(', ')}] pi=${p.packetId}]`);
  const sess = c.session;
  if (sess === null) return c.fail('invalid MQTT session');
  c.runHeld(async () => {
    await processSubs(c, sess, filters, true);
    if (c.closed) return;
    c.enqueue(encodeSuback(p.packetId, filters.map((f) => f.rc), c.version));
    if (c.log.traceEnabled) c.trace(`->> [SUBACK pi=${p.packetId}]`);
    sendRetained(c, sess, filters);
  });
}

/** CONNECT of a stored session: its subscriptions again (Go processSubs from processConnect). */
export async function restoreSubscriptions(c: MqttClient): Promise<void> {
  const sess = c.session!;
  const filters: Filter[] = [];
  for (const [key, qos] of sess.subs) {
    const opts = { ...(sess.subOpts.get(key) ?? {}) };
    const subject = opts.group !== undefined ? key.slice(SHARE_PREFIX.length + opts.group.length + 1) : key;
    filters.push({ topic: '', subject, key, qos, rc: qos, opts, retainHandling: 2, existed: true, subs: [] });
  }
  await processSubs(c, sess, filters, false);
}

async function processSubs(c: MqttClient, sess: MqttSession, filters: Filter[], fromSubProto: boolean): Promise<void> {
  for (const f of filters) {
    if (f.rc >= 0x80) continue;
    if (c.broker.opts.downgrade_qos2_subscribe && f.qos === 2) {
      c.log.warn(`${c.label()} - Downgrading subscription QoS2 to QoS1 for ${JSON.stringify(f.subject)}, as configured`);
      f.qos = f.rc = 1;
    }
    // Go: MQTT clients may not subscribe to MQTT's own subjects (they would bypass permissions)
    if (f.subject.startsWith('$MQTT.')) {
      f.rc = C.SUBACK_FAILURE;
      continue;
    }
    if (f.qos === 2) {
      try {
        await ensurePubRel(c, sess);
      } catch (e) {
        c.log.error(`${c.label()} - failed to initialize PUBREL processing: ${(e as Error).message}`);
        f.rc = C.SUBACK_FAILURE;
      }
    }
  }
  for (const f of filters) {
    if (f.rc >= 0x80 || c.closed) continue;
    f.existed = c.subs.has(f.key);
    if (!(await subscribeOne(c, sess, f, f.subject, f.key, fromSubProto))) continue;
    if (needsLevelUpSub(f.subject)) {
      const up = f.subject.slice(0, -2);
      await subscribeOne(c, sess, f, up, f.key.slice(0, -2) + LEVEL_UP_SID_SUFFIX, fromSubProto);
    }
  }
  if (fromSubProto) await updateSession(c, sess, filters, true);
}

/** One NATS subscription of a filter (and its consumer for QoS 1/2); false when refused (rc set). */
async function subscribeOne(c: MqttClient, sess: MqttSession, f: Filter, subject: string, sid: string, fromSubProto: boolean): Promise<boolean> {
  const group = f.opts.group ?? null;
  const sub = natsSub(c, subject, group, sid, deliverQoS0, f);
  if (sub === null) {
    if (f.rc < 0x80) f.rc = c.version === C.MQTT_5 ? C.ReasonCode.NotAuthorized : C.SUBACK_FAILURE;
    return false;
  }
  if (fromSubProto && sub.held === null && !f.existed) sub.held = [];
  f.subs.push(sub);
  try {
    await consumerFor(c, sess, subject, sid, f, fromSubProto, sub);
  } catch (e) {
    c.log.error(`${c.label()} - Unable to add JetStream consumer for subscription on ${JSON.stringify(subject)}: err=${(e as Error).message}`);
    f.rc = C.SUBACK_FAILURE;
    c.unsubscribe(sub);
    return false;
  }
  return true;
}

/**
 * Go client processSub for an MQTT subscription: permissions and limits, or
 * the existing subscription of that sid with its QoS updated.
 */
function natsSub(c: MqttClient, subject: string, group: string | null, sid: string, cb: typeof deliverQoS0, f: Filter | null): MqttSubscription | null {
  const existing = c.subs.get(sid);
  if (existing instanceof MqttSubscription) {
    if (f !== null) applyFilter(existing, f);
    return existing;
  }
  // Go: MQTT's own delivery subjects are always allowed to its clients
  const internal = subject.startsWith(SUB_PREFIX) || subject.startsWith('$MQTT.deliver.pubrel.');
  const perms = c.permissions;
  if (!internal && perms !== null && perms.hasSub && !perms.canSubscribe(subject, group)) {
    c.log.error(`${c.label()} - Subscription Violation - User "${c.authorizedUser}", Subject "${subject}", SID: ${sid}`);
    return null;
  }
  if (c.msubs >= 0 && c.subs.size >= c.msubs) {
    c.log.error(`${c.label()} - maximum subscriptions exceeded`);
    return null;
  }
  const sub = new MqttSubscription(c, subject, group, sid, cb);
  if (f !== null) applyFilter(sub, f);
  if (!c.acc.sl.insert(sub)) {
    c.log.error(`${c.label()} - Invalid Subject "${subject}"`);
    return null;
  }
  c.subs.set(sid, sub);
  c.addedSub(sub);
  return sub;
}

function applyFilter(sub: MqttSubscription, f: Filter): void {
  sub.qos = f.qos;
  sub.reserved = isReservedFilter(f.subject);
  sub.torn = false;
  sub.filter = f.key;
  sub.noLocal = !!f.opts.nl;
  sub.retainAsPublished = !!f.opts.rap;
  sub.subId = f.opts.id ?? 0;
}

/**
 * Go processJSConsumer: QoS 1/2 needs a consumer (created on SUBSCRIBE, found
 * again on CONNECT); QoS 0 on a filter that had one deletes it.
 */
async function consumerFor(c: MqttClient, sess: MqttSession, subject: string, sid: string, f: Filter, fromSubProto: boolean, main: MqttSubscription): Promise<void> {
  const asm = c.asm!;
  const cc = sess.cons.get(sid);
  if (cc !== undefined && f.qos === 0) {
    sess.cons.delete(sid);
    sess.tmaxack -= cc.max_ack_pending;
    const dsub = c.subs.get(cc.deliver_subject);
    if (dsub instanceof MqttSubscription) dsub.torn = true;
    sess.purgePending(cc.durable_name, sid);
    if (!isShared(cc.durable_name)) asm.jsa.deleteConsumer(MSGS_STREAM, cc.durable_name, null);
    if (dsub !== undefined) c.unsubscribe(dsub);
    return;
  }
  if (f.qos === 0) return;
  let inbox: string;
  let durable: string;
  if (cc !== undefined) {
    inbox = cc.deliver_subject;
    durable = cc.durable_name;
    if (fromSubProto) {
      // same filter again, QoS 1 <-> 2: the delivery subscription follows
      const dsub = c.subs.get(inbox);
      if (dsub instanceof MqttSubscription) {
        applyFilter(dsub, f);
        dsub.jsDur = durable;
        dsub.main = main;
        return;
      }
    }
  } else {
    const max = maxAckPending(c);
    if (sess.tmaxack + max > MAX_ACK_TOTAL) throw new Error(`max_ack_pending for all consumers would be ${sess.tmaxack + max} which exceeds the limit of ${MAX_ACK_TOTAL}`);
    if (f.opts.group !== undefined) {
      // [MQTT-4.8.2]: a shared subscription's QoS 1/2 messages go to one member: one consumer for the
      // group (in this account), its delivery subject a queue subscription of every member
      const h = getHash(`${f.opts.group} ${subject}`, 16);
      inbox = `${SUB_PREFIX}share.${h}`;
      durable = `${SHARED_DURABLE_PREFIX}${h}`;
    } else {
      inbox = SUB_PREFIX + nuid();
      durable = `${sess.idHash}_${nuid()}`;
    }
  }
  // subscribe first, so nothing the consumer sends is lost
  const dsub = natsSub(c, inbox, f.opts.group ?? null, inbox, deliverQoS12, f);
  if (dsub === null) throw new Error(`unable to subscribe to ${inbox}`);
  dsub.jsDur = durable;
  dsub.main = main;
  if (cc !== undefined) {
    sess.tmaxack += cc.max_ack_pending;
    return;
  }
  const cfg = { ...consumerBase(c), durable_name: durable, deliver_subject: inbox, filter_subject: MSGS_SUBJECT_PREFIX + subject } as ConsumerCfg;
  if (f.opts.group !== undefined) cfg.deliver_group = f.opts.group;
  try {
    await jsaP((cb) => asm.jsa.createConsumer(MSGS_STREAM, cfg, cb));
  } catch (e) {
    // another member of the group created it already
    if (!(f.opts.group !== undefined && /already/.test((e as Error).message))) {
      c.unsubscribe(dsub);
      throw e;
    }
  }
  sess.cons.set(sid, cfg);
  sess.tmaxack += cfg.max_ack_pending;
}

/** Go ensurePubRelConsumerSubscription: the session's PUBREL delivery subscription and consumer. */
async function ensurePubRel(c: MqttClient, sess: MqttSession): Promise<void> {
  if (!sess.pubRelSubscribed) {
    const s = natsSub(c, sess.pubRelDeliverySubject, null, sess.pubRelDeliverySubject, deliverPubRel as typeof deliverQoS0, null);
    if (s === null) throw new Error(`Unable to create subscription for JetStream consumer on ${JSON.stringify(sess.pubRelDeliverySubject)}`);
    sess.pubRelSubscribed = true;
  }
  if (sess.pubRelConsumer !== null) return;
  const max = maxAckPending(c);
  if (sess.tmaxack + max > MAX_ACK_TOTAL) throw new Error(`max_ack_pending for all consumers would be ${sess.tmaxack + max} which exceeds the limit of ${MAX_ACK_TOTAL}`);
  const cfg = {
    ...consumerBase(c), durable_name: PUBREL_DURABLE_PREFIX + sess.idHash, deliver_subject: sess.pubRelDeliverySubject, filter_subject: sess.pubRelSubject,
  } as ConsumerCfg;
  await jsaP((cb) => c.asm!.jsa.createConsumer(OUT_STREAM, cfg, cb));
  sess.pubRelConsumer = cfg;
  sess.tmaxack += max;
}

/** Go mqttSession.update: record the filters (or their removal) and persist when anything changed. */
async function updateSession(c: MqttClient, sess: MqttSession, filters: Filter[], add: boolean): Promise<void> {
  let changed = false;
  for (const f of filters) {
    if (f.key === '') continue;
    if (add) {
      if (f.rc >= 0x80) continue;
      const prevOpts = sess.subOpts.get(f.key);
      const opts = Object.keys(f.opts).length > 0 ? f.opts : undefined;
      if (sess.subs.get(f.key) !== f.qos || JSON.stringify(prevOpts) !== JSON.stringify(opts)) {
        sess.subs.set(f.key, f.qos);
        if (opts !== undefined) sess.subOpts.set(f.key, opts);
        else sess.subOpts.delete(f.key);
        changed = true;
      }
    } else if (sess.subs.delete(f.key)) {
      sess.subOpts.delete(f.key);
      changed = true;
    }
  }
  if (changed) await c.asm!.saveSession(sess);
}

/**
 * After SUBACK: each new subscription's retained messages [MQTT-3.3.1-6] with
 * RETAIN set [MQTT-3.3.1-8], at the lower of their QoS and the granted one,
 * then what arrived for it meanwhile. 5.0 Retain Handling 1 sends them only
 * for a new subscription, 2 never [MQTT-3.3.1-9..11]; shared subscriptions
 * get none [MQTT-3.8.4-?].
 */
function sendRetained(c: MqttClient, sess: MqttSession, filters: Filter[]): void {
  const asm = c.asm!;
  const perms = c.permissions;
  for (const f of filters) {
    const send = f.rc < 0x80 && f.opts.group === undefined && !(f.retainHandling === 2 || (f.retainHandling === 1 && f.existed));
    if (send) {
      const rms: RetainedMsg[] = [];
      for (const s of f.subs) asm.matchRetained(s.subject, rms);
      const main = f.subs[0];
      for (const rm of rms) {
        if (perms !== null && perms.hasSubDeny && perms.denyDelivery(rm.subject, null)) continue;
        let qos = Math.min((rm.flags & C.PUB_QOS_MASK) >> 1, f.qos);
        if (qos === 2 && c.broker.opts.reject_qos2_publish) {
          c.log.warn(`${c.label()} - Rejecting retained message with QoS2 for subscription ${JSON.stringify(f.subject)}, as configured`);
          continue;
        }
        let pi = 0;
        if (qos > 0) {
          pi = sess.trackPublishRetained(main.sid);
          if (pi === 0) qos = 0;
        }
        const props: Properties | null = c.v5 !== null ? retainedProps(rm) : null;
        if (props === null && c.v5 !== null) continue; // expired
        held(c, f.subs, () => sendPublish(c, main, qos, pi, false, true, topicBytes(rm.subject), rm.payload, props));
      }
    }
    for (const s of f.subs) release(c, s);
  }
}

function retainedProps(rm: RetainedMsg): Properties | null {
  if (rm.expiresAt > 0) {
    const left = rm.expiresAt - Date.now();
    if (left <= 0) return null;
    return { messageExpiryInterval: Math.ceil(left / 1000) };
  }
  return {};
}

/** Send with the subscriptions' hold lifted for this one packet. */
function held(c: MqttClient, subs: MqttSubscription[], fn: () => void): void {
  const saved = subs.map((s) => s.held);
  for (const s of subs) s.held = null;
  try {
    fn();
  } finally {
    subs.forEach((s, k) => (s.held = saved[k]));
  }
}

/** Write what a subscription held back while its SUBACK was pending. */
function release(c: MqttClient, s: MqttSubscription): void {
  const h = s.held;
  s.held = null;
  if (h === null) return;
  for (const b of h) c.enqueue(b);
  for (const d of c.subs.values()) {
    if (d instanceof MqttSubscription && d.main === s && d.held !== null) release(c, d);
  }
}

export function onUnsubscribe(c: MqttClient, p: UnsubscribePacket): void {
  const v5 = c.version === C.MQTT_5;
  const filters = p.topics.map((t) => toFilter(c, toBytes(t), 0, {}, 0));
  if (c.log.traceEnabled) c.trace(`<<- [UNSUBSCRIBE [${filters.map((f) => `${fromBytes(f.topic)} (${fromBytes(f.subject)})`).join(', ')}] pi=${p.packetId}]`);
  const sess = c.session;
  if (sess === null) return c.fail('invalid MQTT session');
  c.runHeld(async () => {
    const codes: number[] = [];
    for (const f of filters) {
      if (f.key === '') {
        codes.push(f.rc);
        continue;
      }
      const had = c.subs.has(f.key);
      removeOne(c, sess, f.key);
      if (needsLevelUpSub(f.subject)) removeOne(c, sess, f.key.slice(0, -2) + LEVEL_UP_SID_SUFFIX);
      codes.push(had ? 0 : C.ReasonCode.NoSubscriptionExisted);
    }
    await updateSession(c, sess, filters, false);
    if (c.closed) return;
    c.enqueue(encodeUnsuback(p.packetId, codes, c.version));
    if (c.log.traceEnabled) c.trace(`->> [UNSUBACK pi=${p.packetId}]`);
    void v5;
  });
}

/** Go mqttProcessUnsubs for one sid: its consumer (and what it had in flight), then the subscription. */
function removeOne(c: MqttClient, sess: MqttSession, sid: string): void {
  const cc = sess.cons.get(sid);
  if (cc !== undefined) {
    sess.cons.delete(sid);
    sess.tmaxack -= cc.max_ack_pending;
    if (!isShared(cc.durable_name)) c.asm?.jsa.deleteConsumer(MSGS_STREAM, cc.durable_name, null);
    const dsub = c.subs.get(cc.deliver_subject);
    if (dsub instanceof MqttSubscription) {
      dsub.torn = true;
      c.unsubscribe(dsub);
    }
    sess.purgePending(cc.durable_name, sid);
  }
  const sub = c.subs.get(sid);
  if (sub !== undefined) c.unsubscribe(sub as Subscription);
}

