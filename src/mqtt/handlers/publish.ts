/**
 * Inbound PUBLISH and PUBREL (Go mqttParsePub, mqttProcessPub,
 * mqttInitiateMsgDelivery, mqttStoreQoS2MsgOnce, mqttProcessPubRel,
 * mqttHandlePubRetain). A message becomes a NATS message on the topic's
 * subject with an `Nmqtt-Pub: <qos>` header, routed like a client publish
 * (NATS subscribers and QoS 0 MQTT subscriptions get it); a QoS 1/2 message
 * is also stored in `$MQTT_msgs` for the QoS 1/2 subscriptions' consumers,
 * and only then acknowledged: PUBACK leaves after the JetStream write (the
 * socket flush runs the store's pending writes first, util/write-barrier).
 * QoS 2 [MQTT-4.3.3]: the message waits in `$MQTT_qos2in` (one per packet
 * identifier: a resent PUBLISH is not stored twice) until PUBREL releases it.
 */
import { ClosedReason } from '../../conn/closed-reason.js';
import * as C from '../codec/constants.js';
import { encodeAck } from '../codec/encode.js';
import type { AckPacket, Properties, PublishPacket } from '../codec/packets.js';
import { current, headerValue, pubHeaderQos } from '../deliver.js';
import { ERR_STREAM_STORE_FAILED, storedMsg, type JsaError } from '../jsa.js';
import { MSGS_SUBJECT_PREFIX, QOS2IN_STREAM, QOS2IN_SUBJECT_PREFIX } from '../session.js';
import { fromBytes, mqttToNatsSubject, natsSubjectToMqttTopic, toBytes, TopicError } from '../topics.js';
import { EXPIRED, headersToProperties, propertiesToHeaders } from '../v5.js';
import type { MqttClient } from '../connection.js';

/** A message to deliver (Go mqttPublish). */
export interface Pub {
  /** topic and subjects as byte strings (topics.ts toBytes) */
  topic: string;
  subject: string;
  /** the subject before an account mapping changed it ('' when none) */
  mapped: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  pi: number;
  /** 5.0 properties of the PUBLISH (null for 3.1.1) */
  props: Properties | null;
}

const HDR_QOS: Buffer[] = [0, 1, 2].map((q) => Buffer.from(`NATS/1.0\r\nNmqtt-Pub:${q}\r\n\r\n`));

/** The NATS header block of a delivered message (Go mqttNewDeliverableMessage). */
function natsHeader(c: MqttClient, pp: Pub, forQoS2Store: boolean): { hdr: Buffer; reply: string } {
  const v5 = pp.props !== null;
  if (!forQoS2Store && !v5) return { hdr: HDR_QOS[pp.qos], reply: '' };
  let h = `NATS/1.0\r\nNmqtt-Pub:${pp.qos}`;
  // Go: the staged QoS 2 message keeps its PUBLISH flags as a hex digit after the QoS (a 5.0 one too, for Retain As Published)
  if (forQoS2Store || (pp.retain && v5)) h += '0123456789abcdef'[(pp.qos << 1) | (pp.retain ? C.PUB_RETAIN : 0)];
  h += '\r\n';
  if (forQoS2Store) {
    h += `Nmqtt-Subject:${pp.subject}\r\n`;
    if (pp.mapped !== '') h += `Nmqtt-Mapped:${pp.mapped}\r\n`;
  }
  let reply = '';
  if (v5) {
    const x = propertiesToHeaders(pp.props!, c.mqttClient);
    h += x.lines;
    reply = x.reply;
  }
  return { hdr: Buffer.from(h + '\r\n', 'latin1'), reply };
}

function pubAckCode(c: MqttClient, type: number, pi: number, code: number): void {
  c.enqueue(encodeAck(type, pi, c.version, c.version === C.MQTT_5 ? code : 0));
  if (c.log.traceEnabled) c.trace(`->> [${C.PACKET_NAMES[type]} pi=${pi}]`);
}

export function onPublish(c: MqttClient, p: PublishPacket): void {
  const v5 = c.v5;
  let topic = toBytes(p.topic);
  if (v5 !== null && p.properties.topicAlias !== undefined) {
    // [MQTT-3.3.2-9..12]: a Topic Alias names the topic for later PUBLISH packets of this connection
    const a = p.properties.topicAlias;
    if (a > 65535) return c.protocolError(C.ReasonCode.TopicAliasInvalid, `topic alias ${a} invalid`);
    if (topic === '') {
      const t = v5.inAliases.get(a);
      if (t === undefined) return c.protocolError(C.ReasonCode.ProtocolError, `topic alias ${a} not set`);
      topic = t;
    } else v5.inAliases.set(a, topic);
  }
  if (c.log.traceEnabled) c.trace(`<<- [PUBLISH ${fromBytes(topic)} dup=${p.dup} QoS=${p.qos} retain=${p.retain} size=${p.payload.length}${p.packetId > 0 ? ` pi=${p.packetId}` : ''}]`);
  if (topic === '') return c.protocolError(C.ReasonCode.TopicNameInvalid, 'topic cannot be empty');
  if (c.broker.opts.reject_qos2_publish && p.qos === 2) return c.protocolError(C.ReasonCode.QoSNotSupported, 'QoS=2 is disabled for PUBLISH messages');
  let subject: string;
  if (topic === c.lastTopic) subject = c.lastSubject;
  else {
    const s = mqttToNatsSubject(topic, false);
    if (s instanceof TopicError) return c.protocolError(C.ReasonCode.TopicNameInvalid, s.message);
    subject = s;
    c.lastTopic = topic;
    c.lastSubject = s;
  }
  let mapped = '';
  const maps = c.acc.mappings;
  if (maps !== null) {
    const ns = maps.select(subject);
    if (ns !== null && ns !== '') {
      mapped = subject;
      subject = ns;
      topic = natsSubjectToMqttTopic(ns);
    }
  }
  let props: Properties | null = null;
  if (v5 !== null) {
    const { topicAlias: _a, subscriptionIdentifiers: _s, ...rest } = p.properties;
    props = rest;
  }
  const pp: Pub = { topic, subject, mapped, payload: p.payload, qos: p.qos, retain: p.retain, pi: p.packetId, props };
  // Go mqttProcessPub: max_payload holds for the NATS message the publish becomes
  const mpay = c.mpay;
  const size = 30 + (p.qos === 2 ? 20 + subject.length + mapped.length : 0) + p.payload.length;
  if (mpay >= 0 && size > mpay) {
    c.log.error(`${c.label()} - Maximum Payload Exceeded: ${size} vs ${mpay}`);
    if (v5 !== null) c.sendDisconnect(C.ReasonCode.PacketTooLarge);
    c.closeConnection(ClosedReason.MaxPayloadExceeded);
    return;
  }
  c.inMsgs++;
  c.inBytes += p.payload.length;
  const st = c.host2.stats;
  st.inMsgs++;
  st.inBytes += p.payload.length;
  switch (p.qos) {
    case 0:
      deliver(c, pp, null);
      return;
    case 1:
      // [MQTT-4.3.2-2]: deliver onward, PUBACK once stored
      runStep(c, (done) => deliver(c, pp, done), (err, code) => {
        if (err !== null) return c.fail(`unable to store message: ${err.message}`);
        pubAckCode(c, C.PUBACK, pp.pi, code);
      });
      return;
    default:
      // [MQTT-4.3.3-2] method A: store, PUBREC; delivery waits for PUBREL
      runStep(c, (done) => storeQoS2Once(c, pp, done), (err) => {
        if (err !== null) return c.fail(`unable to store QoS2 message: ${err.message}`);
        pubAckCode(c, C.PUBREC, pp.pi, 0);
      });
  }
}

type Done = (err: JsaError | null, code: number) => void;

/**
 * Run an asynchronous step; when it does not finish within the call (the
 * usual JetStream answer comes during the publish), hold the input until it does.
 */
function runStep(c: MqttClient, step: (done: Done) => void, then: Done): void {
  let finished = false;
  let resume: (() => void) | null = null;
  step((err, code) => {
    if (finished) return;
    finished = true;
    if (!c.closed) then(err, code);
    if (resume !== null) resume();
  });
  if (!finished) resume = c.suspend();
}

/**
 * Go mqttInitiateMsgDelivery: the retained store first (when RETAIN is set),
 * then the NATS message to every subscriber, then (QoS 1/2) the copy in
 * `$MQTT_msgs`. `done` (null for QoS 0) gets the outcome and, for 5.0, the
 * PUBACK reason code (0x10 when nobody was subscribed, 0x87 when the publish
 * was not allowed).
 */
export function deliver(c: MqttClient, pp: Pub, done: Done | null): void {
  const perms = c.permissions;
  if (perms !== null && perms.hasPub && !perms.canPublish(pp.subject)) {
    // Go: a publish violation drops the message; the packet is still acknowledged
    c.log.error(`${c.label()} - Publish Violation - User "${c.authorizedUser}", Subject "${pp.subject}"`);
    done?.(null, C.ReasonCode.NotAuthorized);
    return;
  }
  if (pp.retain && c.asm !== null) {
    // [MQTT-3.3.1-5]: kept with its QoS; an empty payload removes it [MQTT-3.3.1-10] and is still delivered
    const rp = pp.props;
    c.asm.storeRetained(pp.subject, {
      topic: pp.topic, flags: (pp.qos << 1) | C.PUB_RETAIN, payload: pp.payload, origin: c.broker.id, source: c.opts.user ?? '',
      props: null, expiresAt: rp !== null && rp.messageExpiryInterval !== undefined ? Date.now() + rp.messageExpiryInterval * 1000 : 0,
    }, () => route(c, pp, done));
    return;
  }
  route(c, pp, done);
}

function route(c: MqttClient, pp: Pub, done: Done | null): void {
  const { hdr, reply } = natsHeader(c, pp, false);
  const x = current;
  const prev = { client: x.client, subject: x.subject, topic: x.topic, qos: x.qos, retain: x.retain, props: x.props };
  x.client = c;
  x.subject = pp.subject;
  x.topic = pp.topic === c.lastTopic ? c.lastTopicBytes() : Buffer.from(pp.topic, 'latin1');
  x.qos = pp.qos;
  x.retain = pp.retain;
  x.props = pp.props;
  let delivered: boolean;
  try {
    delivered = c.pub.publish(c.acc, pp.subject, reply, hdr, pp.payload);
  } finally {
    x.client = prev.client;
    x.subject = prev.subject;
    x.topic = prev.topic;
    x.qos = prev.qos;
    x.retain = prev.retain;
    x.props = prev.props;
  }
  if (pp.qos === 0 || done === null) {
    done?.(null, 0);
    return;
  }
  const asm = c.asm;
  if (asm === null) {
    done(null, 0);
    return;
  }
  void delivered;
  asm.jsa.storeMsg(MSGS_SUBJECT_PREFIX + pp.subject, hdr, pp.payload, (err) => done(err, 0));
}

/** `$MQTT.qos2.in.<client id>.<packet id>` (Go mqttQoS2InternalSubject). */
function qos2Subject(c: MqttClient, pi: number): string {
  return `${QOS2IN_SUBJECT_PREFIX}${c.mqttClient}.${pi}`;
}

/** Go mqttStoreQoS2MsgOnce: a duplicate is refused by max-msgs-per-subject, which is fine. */
function storeQoS2Once(c: MqttClient, pp: Pub, done: Done): void {
  const asm = c.asm;
  if (asm === null) return done(null, 0);
  const { hdr } = natsHeader(c, pp, true);
  asm.jsa.storeMsg(qos2Subject(c, pp.pi), hdr, pp.payload, (err) => {
    if (err !== null && err.errCode === ERR_STREAM_STORE_FAILED && /maximum messages per subject exceeded/.test(err.message)) return done(null, 0);
    done(err, 0);
  });
}

/**
 * PUBREL (Go mqttProcessPubRel): the staged message (if any: a resent
 * PUBREL finds none) is removed and delivered; PUBCOMP always follows
 * [MQTT-4.3.3-2].
 */
export function onPubRel(c: MqttClient, p: AckPacket): void {
  if (c.log.traceEnabled) c.trace(`<<- [PUBREL pi=${p.packetId}]`);
  const asm = c.asm;
  const pi = p.packetId;
  const comp = (code: number): void => pubAckCode(c, C.PUBCOMP, pi, code);
  if (asm === null) return comp(0);
  const subject = qos2Subject(c, pi);
  runStep(c, (done) => {
    asm.jsa.loadLastMsgFor(QOS2IN_STREAM, subject, (err, r) => {
      const m = err === null ? storedMsg(r) : null;
      if (m === null) return done(null, C.ReasonCode.PacketIdentifierNotFound);
      asm.jsa.deleteMsg(QOS2IN_STREAM, m.seq, null);
      const subj = headerValue(m.hdr, 'Nmqtt-Subject');
      if (pubHeaderQos(m.hdr) !== 2 || subj === '') {
        c.fail('invalid message in QoS2 PUBREL stream');
        return;
      }
      const flagsHex = headerValue(m.hdr, 'Nmqtt-Pub');
      const flags = flagsHex.length > 1 ? parseInt(flagsHex[1], 16) || 0 : 0;
      const pp: Pub = {
        topic: natsSubjectToMqttTopic(subj), subject: subj, mapped: headerValue(m.hdr, 'Nmqtt-Mapped'), payload: m.data,
        qos: 2, retain: (flags & C.PUB_RETAIN) !== 0, pi, props: c.v5 !== null ? storedProps(m.hdr) : null,
      };
      deliver(c, pp, (e) => done(e, 0));
    });
  }, (err, code) => {
    if (err !== null) return c.fail(`unable to deliver QoS2 message: ${err.message}`);
    comp(code === C.ReasonCode.PacketIdentifierNotFound ? code : 0);
  });
}

/** 5.0 properties kept with a staged QoS 2 message (its headers), read back for the release. */
function storedProps(hdr: Buffer | null): Properties {
  const p = headersToProperties(hdr, '');
  return p === null || p === EXPIRED ? {} : p;
}
