/**
 * Delivery to MQTT subscribers (Go mqttDeliverMsgCbQoS0, mqttDeliverMsgCbQoS12,
 * mqttDeliverPubRelCb, mqttEnqueuePublishMsgTo). Every MQTT subscription is
 * a NATS subscription of the connection with a callback: on the topic's
 * subject for QoS 0 (and for messages from NATS publishers), and on a
 * `$MQTT.sub.<nuid>` delivery subject fed by a JetStream consumer on
 * `$MQTT_msgs` for QoS 1/2. A QoS 1/2 message reaches a QoS 1/2
 * subscription only through its consumer, so an overlapping pair of
 * subscriptions still delivers each message through one path per
 * subscription; a client subscribed twice on overlapping filters gets the
 * message once per matching filter in 3.1.1 (as Go) and once at the
 * highest QoS in 5.0 [MQTT-3.3.4-2].
 */
import { Subscription } from '../conn/subscription.js';
import type { Client } from '../conn/client.js';
import * as C from './codec/constants.js';
import { encodeAck, encodeProperties, publishFlags, publishHeaderSize, writePublishHeader } from './codec/encode.js';
import { propertiesSize } from './codec/properties.js';
import type { Properties } from './codec/packets.js';
import { natsSubjectToMqttTopic } from './topics.js';
import { subjectMatchesFilter } from '../sublist/subject.js';
import { MSGS_SUBJECT_PREFIX } from './session.js';
import type { MqttClient } from './connection.js';
import { EXPIRED, H_ORIGIN, headersToProperties } from './v5.js';

const EMPTY = Buffer.alloc(0);
/** Payloads this big go to the socket by reference instead of being copied into the output slab. */
const BY_REF = 16 * 1024;

/** One MQTT subscription (Go subscription.mqtt). */
export class MqttSubscription extends Subscription {
  /** granted QoS */
  qos = 0;
  /** the consumer feeding a QoS 1/2 delivery subscription */
  jsDur = '';
  /** a filter starting with a wildcard does not match `$` topics [MQTT-4.7.2-1] */
  reserved = false;
  /** torn down (unsubscribed, or downgraded to QoS 0): deliveries in flight are dropped */
  torn = false;
  /** packets for this subscription held until its SUBACK is sent */
  held: Buffer[] | null = null;
  // 5.0 subscription options
  noLocal = false;
  retainAsPublished = false;
  subId = 0;
  /** the MQTT filter this subscription serves (sid of the QoS 0 one) */
  filter = '';
  /** a QoS 1/2 delivery subscription: the filter subscription it serves */
  main: MqttSubscription | null = null;
}

/** The publish being routed right now by an MQTT client (Go pc.mqtt.pp): its topic bytes and QoS. */
export class PublishContext {
  client: MqttClient | null = null;
  subject = '';
  topic: Buffer = EMPTY;
  qos = 0;
  retain = false;
  /** 5.0 properties to forward, already encoded for 5.0 subscribers (null = none) */
  props: Properties | null = null;
}

export const current = new PublishContext();

const topicCache = new Map<string, Buffer>();

/** The MQTT topic of a NATS subject, as bytes (cached: subscribers see few distinct subjects). */
export function topicBytes(subject: string): Buffer {
  let b = topicCache.get(subject);
  if (b === undefined) {
    if (topicCache.size >= 8192) topicCache.clear();
    b = Buffer.from(natsSubjectToMqttTopic(subject), 'latin1');
    topicCache.set(subject, b);
  }
  return b;
}

/** The QoS of an `Nmqtt-Pub` header, -1 when the message did not come from MQTT. */
export function pubHeaderQos(hdr: Buffer | null): number {
  if (hdr === null || hdr.length < 22) return -1;
  // our own messages: "NATS/1.0\r\nNmqtt-Pub:<qos>"
  if (hdr[10] === 0x4e && hdr[15] === 0x2d && hdr[19] === 0x3a && hdr.latin1Slice(10, 20) === 'Nmqtt-Pub:') return hdr[20] - 0x30;
  const k = hdr.indexOf('\r\nNmqtt-Pub:');
  if (k < 0) return -1;
  return hdr[k + 12] - 0x30;
}

/** Header value of `name` in a NATS header block ('' when absent). */
export function headerValue(hdr: Buffer | null, name: string): string {
  if (hdr === null) return '';
  const k = hdr.indexOf(`\r\n${name}:`);
  if (k < 0) return '';
  const s = k + name.length + 3;
  const e = hdr.indexOf('\r\n', s);
  return hdr.latin1Slice(s, e < 0 ? hdr.length : e).trim();
}

/**
 * Queue one PUBLISH to `c`. `topic` is the topic as UTF-8 bytes; `props`
 * (5.0 only) the properties to send. A 5.0 client that set a Maximum Packet
 * Size does not get bigger packets [MQTT-3.1.2-25] (the message is dropped,
 * as the standard allows); a subscription still waiting for its SUBACK keeps
 * the packet until then.
 */
export function sendPublish(c: MqttClient, sub: MqttSubscription | null, qos: number, pi: number, dup: boolean, retain: boolean, topic: Buffer, payload: Buffer, props: Properties | null): boolean {
  if (c.closed) return false;
  const flags = publishFlags(qos, dup, retain);
  let pb: Buffer | null = null;
  const v5 = c.v5;
  if (v5 !== null) {
    let p = props;
    if (sub !== null && sub.subId > 0) p = { ...(p ?? {}), subscriptionIdentifiers: [sub.subId] };
    if (v5.topicAliasMaximum > 0 && sub?.held == null) {
      const key = topic.latin1Slice(0, topic.length);
      const known = v5.outAliases.get(key);
      if (known !== undefined) {
        p = { ...(p ?? {}), topicAlias: known };
        topic = EMPTY;
      } else if (v5.outAliases.size < v5.topicAliasMaximum) {
        const a = v5.outAliases.size + 1;
        v5.outAliases.set(key, a);
        p = { ...(p ?? {}), topicAlias: a };
      }
    }
    pb = p === null ? ZERO_PROPS : encodeProperties(p);
    if (v5.maximumPacketSize > 0 && publishHeaderSize(topic.length, qos, pb.length, payload.length) + payload.length > v5.maximumPacketSize) return false;
  }
  const hs = publishHeaderSize(topic.length, qos, pb === null ? 0 : pb.length, payload.length);
  if (sub !== null && sub.held !== null) {
    const b = Buffer.allocUnsafe(hs + payload.length);
    writePublishHeader(b, 0, flags, topic, pi, pb, payload.length);
    payload.copy(b, hs);
    sub.held.push(b);
    return true;
  }
  const out = c.out;
  const big = payload.length >= BY_REF;
  let p = out.reserve(big ? hs : hs + payload.length);
  p = writePublishHeader(out.slab, p, flags, topic, pi, pb, payload.length);
  if (big) {
    out.commit(p);
    out.pushRef(payload);
  } else {
    payload.copy(out.slab, p);
    out.commit(p + payload.length);
  }
  c.outMsgs++;
  c.outBytes += payload.length;
  const st = c.host2.stats;
  st.outMsgs++;
  st.outBytes += payload.length;
  if (!c.dirty) c.host2.markDirty(c);
  if (c.log.traceEnabled) c.trace(`->> [PUBLISH ${topic.toString('utf8')} dup=${dup} QoS=${qos} retain=${retain} size=${payload.length}${pi > 0 ? ` pi=${pi}` : ''}]`);
  return true;
}

const ZERO_PROPS = Buffer.from([0]);

/**
 * Go mqttDeliverMsgCbQoS0: QoS 0 messages, QoS 1/2 messages to a QoS 0
 * subscription, and messages from NATS publishers (no `Nmqtt-Pub` header).
 */
export function deliverQoS0(s: Subscription, subject: string, reply: string, hdr: Buffer | null, payload: Buffer, _from: Client | null): boolean {
  // JetStream deliveries that happen to match the subject are not messages for MQTT
  if (reply.length > 8 && reply.startsWith('$JS.ACK.')) return false;
  const sub = s as MqttSubscription;
  if (sub.reserved && subject.charCodeAt(0) === 0x24) return false;
  const c = sub.client as MqttClient;
  const x = current;
  let qos: number;
  let topic: Buffer;
  let retain = false;
  let props: Properties | null = null;
  if (x.client !== null && x.subject === subject) {
    qos = x.qos;
    topic = x.topic;
    // 5.0 No Local [MQTT-3.8.3-3]: not to the client id that published it
    if (sub.noLocal && x.client.mqttClient === c.mqttClient) return false;
    if (sub.retainAsPublished) retain = x.retain;
    props = x.props;
  } else {
    qos = pubHeaderQos(hdr);
    topic = topicBytes(subject);
    if (c.v5 !== null) {
      props = headersToProperties(hdr, reply);
      if (props === EXPIRED) return false;
    }
  }
  if (sub.qos > 0 && qos > 0) return false; // the QoS 1/2 path delivers it
  if (sub.queue === null && c.filterSubs.size > 1) {
    const best = chosenSub(c, subject, qos < 0 ? 0 : qos);
    if (best !== sub || Math.min(best.qos, qos < 0 ? 0 : qos) > 0) return false;
  }
  return sendPublish(c, sub, 0, 0, false, retain, topic, payload, props);
}

/** Go mqttDeliverMsgCbQoS12: a `$MQTT_msgs` consumer delivery (subject `$MQTT.msgs.<subject>`). */
export function deliverQoS12(s: Subscription, subject: string, reply: string, hdr: Buffer | null, payload: Buffer, _from: Client | null): boolean {
  if (subject.length <= MSGS_SUBJECT_PREFIX.length) return false;
  const isJs = reply.startsWith('$JS.ACK.');
  const hq = pubHeaderQos(hdr);
  if (!isJs && hq <= 0) return false;
  const sub = s as MqttSubscription;
  const c = sub.client as MqttClient;
  const sess = c.session;
  if (sess === null || sess.client !== c || sub.torn) return false;
  const qos = Math.min(hq < 0 ? 0 : hq, sub.qos);
  if (qos === 0) return false;
  const stripped = subject.slice(MSGS_SUBJECT_PREFIX.length);
  if (sub.reserved && stripped.charCodeAt(0) === 0x24) {
    c.asm?.jsa.ack(reply);
    return false;
  }
  const perms = c.permissions;
  if (perms !== null && perms.hasSubDeny && perms.denyDelivery(stripped, null)) {
    c.asm?.jsa.ack(reply);
    return false;
  }
  let props: Properties | null = null;
  if (c.v5 !== null) {
    props = headersToProperties(hdr, '');
    if (props === EXPIRED) {
      c.asm?.jsa.ack(reply);
      return false;
    }
    if (sub.noLocal && headerValue(hdr, H_ORIGIN) === c.mqttClient) {
      c.asm?.jsa.ack(reply);
      return false;
    }
  }
  const main = sub.main;
  if (main !== null && main.queue === null && c.filterSubs.size > 1 && chosenSub(c, stripped, hq) !== main) {
    // an overlapping subscription with a higher QoS (or the first of equals) delivers it
    c.asm?.jsa.ack(reply);
    return false;
  }
  const { pi, dup } = sess.trackPublish(sub.jsDur, reply);
  if (pi === 0) return false; // max in flight: JetStream redelivers after ack_wait
  const retain = sub.retainAsPublished && headerValue(hdr, 'Nmqtt-Pub').length > 1 && (parseInt(headerValue(hdr, 'Nmqtt-Pub')[1], 16) & C.PUB_RETAIN) !== 0;
  return sendPublish(c, sub, qos, pi, dup, retain, topicBytes(stripped), payload, props);
}

/** Go mqttDeliverPubRelCb: a PUBREL to (re)send, from the session's `$MQTT_out` consumer. */
export function deliverPubRel(s: Subscription, _subject: string, reply: string, hdr: Buffer | null): boolean {
  const c = s.client as MqttClient;
  const sess = c.session;
  if (sess === null || reply === '') return false;
  const pi = Number(headerValue(hdr, 'Nmqtt-PubRel'));
  if (!(pi > 0 && pi <= 0xffff)) return false;
  if (sess.client !== c || sess.pubRelConsumer === null) return false;
  sess.trackAsPubRel(pi, reply);
  c.enqueue(encodeAck(C.PUBREL, pi, c.version));
  if (c.log.traceEnabled) c.trace(`->> [PUBREL pi=${pi}]`);
  return true;
}

export { propertiesSize };

/**
 * Overlapping subscriptions of one client get a message once, at the
 * highest QoS of those that match [MQTT-3.3.4-2] (3.1.1 [MQTT-3.3.5-1]): the
 * subscription chosen to deliver is the first with the highest effective
 * QoS. Shared subscriptions are not part of this (each group gets its copy).
 */
export function chosenSub(c: MqttClient, subject: string, msgQos: number): MqttSubscription | null {
  let best: MqttSubscription | null = null;
  let bestQos = -1;
  for (const s of c.filterSubs) {
    if (s.torn) continue;
    if (!subjectMatchesFilter(subject, s.subject)) continue;
    if (s.reserved && subject.charCodeAt(0) === 0x24) continue;
    const q = Math.min(s.qos, msgQos);
    if (q > bestQos) {
      best = s;
      bestQos = q;
    }
  }
  return best;
}
