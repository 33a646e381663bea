/**
 * Packet decoding for MQTT 3.1.1 and 5.0. `readFixedHeader` splits a byte
 * stream into packets (type, flags, Remaining Length [MQTT-2.2.3]);
 * `decodePacket` turns one packet's body into a typed object, or throws an
 * MqttDecodeError carrying the 5.0 reason code for the fault. Decoders check
 * every structural rule the standards make normative at the byte level
 * (reserved flags, lengths, UTF-8, property sets, value ranges); rules that
 * depend on server state (session, configured limits) belong to the server.
 */
import * as C from './constants.js';
import { MqttDecodeError, malformed, protocolError, Reader, decodeUtf8 } from './reader.js';
import { readProperties, noProperties } from './properties.js';
import type {
  AckPacket, AuthPacket, ConnackPacket, ConnectPacket, DisconnectPacket, Packet, Properties, PublishPacket,
  SubackPacket, SubscribePacket, Subscription, UnsubackPacket, UnsubscribePacket, Will,
} from './packets.js';

/** Result of `readFixedHeader` (one reusable instance per reader). */
export class FixedHeader {
  type = 0;
  flags = 0;
  /** Remaining Length: bytes after the fixed header */
  remaining = 0;
  /** bytes of the fixed header itself (1 + length of the Remaining Length) */
  headerLen = 0;
}

export const HEADER_OK = 0;
export const HEADER_INCOMPLETE = 1;
/** a fifth Remaining Length byte, or a reserved packet type: malformed [MQTT-1.5.5], [MQTT-2.1.3] */
export const HEADER_MALFORMED = 2;

/**
 * Read the fixed header at buf[pos, end). Returns HEADER_INCOMPLETE when the
 * length bytes have not all arrived (the body may still be incomplete on
 * HEADER_OK: compare `headerLen + remaining` with what is buffered).
 */
export function readFixedHeader(buf: Buffer, pos: number, end: number, out: FixedHeader): number {
  if (pos >= end) return HEADER_INCOMPLETE;
  const b0 = buf[pos];
  out.type = b0 >> 4;
  out.flags = b0 & 0x0f;
  let v = 0;
  let mul = 1;
  for (let k = 1; k <= 4; k++) {
    if (pos + k >= end) return HEADER_INCOMPLETE;
    const b = buf[pos + k];
    v += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      out.remaining = v;
      out.headerLen = k + 1;
      return out.type === 0 ? HEADER_MALFORMED : HEADER_OK;
    }
    mul *= 128;
  }
  return HEADER_MALFORMED;
}

/**
 * Fixed-header flags each packet type must carry [MQTT-2.2.2-1] (3.1.1) /
 * [MQTT-2.1.3-1] (5.0): PUBREL, SUBSCRIBE and UNSUBSCRIBE 0b0010, the
 * others 0; PUBLISH carries DUP/QoS/RETAIN. Anything else is malformed.
 */
export function checkFixedFlags(type: number, flags: number): void {
  if (type === C.PUBLISH) return;
  const want = type === C.PUBREL || type === C.SUBSCRIBE || type === C.UNSUBSCRIBE ? 0x2 : 0;
  if (flags !== want) malformed(`invalid fixed header flags ${flags.toString(16)} for packet type ${type.toString(16)}`);
}

/**
 * Decode one packet. `version` is the connection's protocol level (4 or 5;
 * CONNECT is decoded whatever it is, since it carries the level). The body is
 * buf[s, e), e - s being the Remaining Length.
 */
export function decodePacket(type: number, flags: number, buf: Buffer, s: number, e: number, version: number): Packet {
  checkFixedFlags(type, flags);
  const r = new Reader(buf, s, e);
  const v5 = version === C.MQTT_5;
  let p: Packet;
  switch (type) {
    case C.CONNECT: p = decodeConnect(r); break;
    case C.CONNACK: p = decodeConnack(r, v5); break;
    case C.PUBLISH: p = decodePublish(r, flags, v5); break;
    case C.PUBACK: case C.PUBREC: case C.PUBREL: case C.PUBCOMP: p = decodeAck(r, type, v5); break;
    case C.SUBSCRIBE: p = decodeSubscribe(r, v5); break;
    case C.SUBACK: p = decodeSuback(r, v5); break;
    case C.UNSUBSCRIBE: p = decodeUnsubscribe(r, v5); break;
    case C.UNSUBACK: p = decodeUnsuback(r, v5); break;
    case C.PINGREQ:
      if (r.remaining !== 0) malformed(`invalid remaining length ${r.remaining} for PINGREQ`);
      return { type: C.PINGREQ };
    case C.PINGRESP:
      if (r.remaining !== 0) malformed(`invalid remaining length ${r.remaining} for PINGRESP`);
      return { type: C.PINGRESP };
    case C.DISCONNECT: p = decodeDisconnect(r, v5); break;
    case C.AUTH:
      // AUTH exists only in 5.0 [MQTT-3.15]
      if (!v5) malformed('received unknown packet type 15');
      p = decodeAuth(r);
      break;
    default:
      malformed(`received unknown packet type ${type}`);
  }
  if (r.pos !== r.end) malformed(`${C.PACKET_NAMES[type]} has ${r.end - r.pos} trailing bytes`);
  return p;
}

/** Decode without throwing: the packet, or the error that refused it. */
export function tryDecodePacket(type: number, flags: number, buf: Buffer, s: number, e: number, version: number): Packet | MqttDecodeError {
  try {
    return decodePacket(type, flags, buf, s, e, version);
  } catch (err) {
    if (err instanceof MqttDecodeError) return err;
    // A decoder bug must still end as a decode error, never escape.
    return new MqttDecodeError(C.ReasonCode.MalformedPacket, `decode failure: ${(err as Error).message}`);
  }
}

/** CONNECT with an unsupported protocol level: the server answers with CONNACK 0x01 (3.1.1) [MQTT-3.1.2-2]. */
export class UnsupportedProtocolError extends MqttDecodeError {
  constructor(readonly level: number, readonly protocolName: string) {
    super(C.ReasonCode.UnsupportedProtocolVersion, `unacceptable protocol version of ${level}`);
  }
}

function decodeConnect(r: Reader): ConnectPacket {
  const name = r.string('protocol name');
  const level = r.byte('protocol level');
  // [MQTT-3.1.2-1]: "MQTT" (3.1.1 and 5.0); 3.1 used "MQIsdp"
  if (name === 'MQIsdp') {
    if (level !== C.MQTT_3_1) throw new UnsupportedProtocolError(level, name);
  } else if (name !== 'MQTT') {
    malformed(`expected connect packet with protocol name "MQTT", got "${name}"`);
  } else if (level !== C.MQTT_3_1_1 && level !== C.MQTT_5) {
    throw new UnsupportedProtocolError(level, name);
  }
  const v5 = level === C.MQTT_5;
  const flags = r.byte('flags');
  // [MQTT-3.1.2-3]: the reserved flag must be 0
  if ((flags & C.CONN_RESERVED) !== 0) malformed('connect flags reserved bit not set to 0');
  const hasWill = (flags & C.CONN_WILL) !== 0;
  const wqos = (flags & C.CONN_WILL_QOS) >> 3;
  const wretain = (flags & C.CONN_WILL_RETAIN) !== 0;
  if (!hasWill) {
    // [MQTT-3.1.2-13] / [MQTT-3.1.2-11] (5.0)
    if (wqos !== 0) malformed(`if Will flag is set to 0, Will QoS must be 0 too, got ${wqos}`);
    // [MQTT-3.1.2-15] / [MQTT-3.1.2-13] (5.0)
    if (wretain) malformed('if Will flag is set to 0, Will Retain flag must be 0 too');
  } else if (wqos === 3) {
    // [MQTT-3.1.2-14] / [MQTT-3.1.2-12] (5.0)
    malformed(`if Will flag is set to 1, Will QoS can be 0, 1 or 2, got ${wqos}`);
  }
  const hasUser = (flags & C.CONN_USERNAME) !== 0;
  const hasPass = (flags & C.CONN_PASSWORD) !== 0;
  // [MQTT-3.1.2-22] (3.1.1 only; 5.0 allows a password without a user name)
  if (!v5 && hasPass && !hasUser) malformed('password flag set but username flag is not');
  const keepAlive = r.u16('keep alive');
  const properties = v5 ? readProperties(r, 'CONNECT') : noProperties();
  // Payload order [MQTT-3.1.3-1]: client id, will (properties, topic, payload), user name, password
  const clientId = r.string('client ID');
  let will: Will | null = null;
  if (hasWill) {
    const wp = v5 ? readProperties(r, 'WILL') : noProperties();
    const topic = r.string('Will topic');
    const payload = Buffer.from(r.binary('Will message'));
    will = { topic, payload, qos: wqos, retain: wretain, properties: wp };
  }
  const username = hasUser ? r.string('user name') : null;
  const password = hasPass ? Buffer.from(r.binary('password')) : null;
  return {
    type: C.CONNECT,
    protocolName: name,
    protocolLevel: level,
    clean: (flags & C.CONN_CLEAN) !== 0,
    keepAlive,
    clientId,
    will,
    username,
    password,
    properties,
  };
}

function decodeConnack(r: Reader, v5: boolean): ConnackPacket {
  const f = r.byte('acknowledge flags');
  // [MQTT-3.2.2-1] (5.0) bits 7-1 reserved
  if ((f & 0xfe) !== 0) malformed('CONNACK reserved flags set');
  const reasonCode = r.byte('return code');
  const properties = v5 && r.remaining > 0 ? readProperties(r, 'CONNACK') : noProperties();
  return { type: C.CONNACK, sessionPresent: (f & 1) === 1, reasonCode, properties };
}

/** PUBLISH [MQTT-3.3]: flags carry DUP, QoS, RETAIN; QoS 3 is malformed [MQTT-3.3.1-4]. */
function decodePublish(r: Reader, flags: number, v5: boolean): PublishPacket {
  const qos = (flags & C.PUB_QOS_MASK) >> 1;
  if (qos === 3) malformed('QoS=3 is invalid in MQTT');
  // [MQTT-3.3.1-2] binds the sender; a receiver (Go, mosquitto) accepts a DUP QoS 0 PUBLISH
  const dup = (flags & C.PUB_DUP) !== 0;
  const topic = r.string('topic');
  let packetId = 0;
  if (qos > 0) {
    packetId = r.u16('packet identifier');
    // [MQTT-2.3.1-1] / [MQTT-2.2.1-3] (5.0): a non-zero packet identifier
    if (packetId === 0) protocolError(`with QoS=${qos}, packet identifier cannot be 0`);
  }
  const properties = v5 ? readProperties(r, 'PUBLISH') : noProperties();
  const payload = r.rest();
  return { type: C.PUBLISH, qos, dup, retain: (flags & C.PUB_RETAIN) !== 0, topic, packetId, payload, properties };
}

/**
 * PUBACK, PUBREC, PUBREL, PUBCOMP. 3.1.1: exactly the packet identifier.
 * 5.0 [MQTT-3.4.2.1]: the Reason Code and properties may be left out
 * (Remaining Length 2 means Success; 3 means no properties).
 */
function decodeAck(r: Reader, type: number, v5: boolean): AckPacket {
  if (!v5 && r.remaining !== 2) malformed(`invalid remaining length ${r.remaining} for packet type ${type}`);
  const packetId = r.u16('packet identifier');
  if (packetId === 0) protocolError('packet identifier cannot be 0');
  let reasonCode = 0;
  let properties: Properties = noProperties();
  if (v5 && r.remaining > 0) {
    reasonCode = r.byte('reason code');
    if (r.remaining > 0) properties = readProperties(r, 'ACK');
  }
  return { type: type as AckPacket['type'], packetId, reasonCode, properties };
}

function decodeSubscribe(r: Reader, v5: boolean): SubscribePacket {
  const packetId = r.u16('packet identifier');
  if (packetId === 0) protocolError('packet identifier cannot be 0');
  const properties = v5 ? readProperties(r, 'SUBSCRIBE') : noProperties();
  const subscriptions: Subscription[] = [];
  while (r.remaining > 0) {
    const topic = r.string('topic filter');
    const o = r.byte('subscription options');
    if (v5) {
      // [MQTT-3.8.3-5]: bits 6 and 7 reserved; Retain Handling 3 is a Protocol Error [MQTT-3.8.3.1]
      if ((o & 0xc0) !== 0) malformed('subscription options reserved bits set');
      const rh = (o & C.SUBOPT_RETAIN_HANDLING) >> 4;
      if (rh === 3) protocolError('retain handling of 3');
      if ((o & C.SUBOPT_QOS) === 3) malformed('subscribe QoS value must be 0, 1 or 2, got 3');
      subscriptions.push({
        topic,
        qos: o & C.SUBOPT_QOS,
        noLocal: (o & C.SUBOPT_NO_LOCAL) !== 0,
        retainAsPublished: (o & C.SUBOPT_RAP) !== 0,
        retainHandling: rh,
      });
    } else {
      // [MQTT-3-8.3-4]: the upper six bits are reserved, QoS 3 is malformed
      if (o > 2) malformed(`subscribe QoS value must be 0, 1 or 2, got ${o}`);
      subscriptions.push({ topic, qos: o, noLocal: false, retainAsPublished: false, retainHandling: 0 });
    }
  }
  // [MQTT-3.8.3-3] / [MQTT-3.8.3-2] (5.0): at least one topic filter
  if (subscriptions.length === 0) protocolError('subscribe protocol must contain at least 1 topic filter');
  return { type: C.SUBSCRIBE, packetId, subscriptions, properties };
}

function decodeSuback(r: Reader, v5: boolean): SubackPacket {
  const packetId = r.u16('packet identifier');
  const properties = v5 ? readProperties(r, 'ACK') : noProperties();
  const reasonCodes: number[] = [];
  while (r.remaining > 0) reasonCodes.push(r.byte('return code'));
  return { type: C.SUBACK, packetId, reasonCodes, properties };
}

function decodeUnsubscribe(r: Reader, v5: boolean): UnsubscribePacket {
  const packetId = r.u16('packet identifier');
  if (packetId === 0) protocolError('packet identifier cannot be 0');
  const properties = v5 ? readProperties(r, 'UNSUBSCRIBE') : noProperties();
  const topics: string[] = [];
  while (r.remaining > 0) topics.push(r.string('topic filter'));
  // [MQTT-3.10.3-2]: at least one topic filter
  if (topics.length === 0) protocolError('unsubscribe protocol must contain at least 1 topic filter');
  return { type: C.UNSUBSCRIBE, packetId, topics, properties };
}

function decodeUnsuback(r: Reader, v5: boolean): UnsubackPacket {
  const packetId = r.u16('packet identifier');
  if (!v5) {
    if (r.remaining !== 0) malformed('UNSUBACK has trailing bytes');
    return { type: C.UNSUBACK, packetId, reasonCodes: [], properties: noProperties() };
  }
  const properties = readProperties(r, 'ACK');
  const reasonCodes: number[] = [];
  while (r.remaining > 0) reasonCodes.push(r.byte('reason code'));
  return { type: C.UNSUBACK, packetId, reasonCodes, properties };
}

/** DISCONNECT: empty in 3.1.1; 5.0 Remaining Length 0 means Normal disconnection [MQTT-3.14.2.1]. */
function decodeDisconnect(r: Reader, v5: boolean): DisconnectPacket {
  if (!v5) {
    if (r.remaining !== 0) malformed(`invalid remaining length ${r.remaining} for DISCONNECT`);
    return { type: C.DISCONNECT, reasonCode: 0, properties: noProperties() };
  }
  let reasonCode = 0;
  let properties: Properties = noProperties();
  if (r.remaining > 0) {
    reasonCode = r.byte('reason code');
    if (r.remaining > 0) properties = readProperties(r, 'DISCONNECT');
  }
  return { type: C.DISCONNECT, reasonCode, properties };
}

/** AUTH [MQTT-3.15.2.1]: Remaining Length 0 means Success with no properties. */
function decodeAuth(r: Reader): AuthPacket {
  let reasonCode = 0;
  let properties: Properties = noProperties();
  if (r.remaining > 0) {
    reasonCode = r.byte('reason code');
    if (reasonCode !== 0x00 && reasonCode !== 0x18 && reasonCode !== 0x19) protocolError(`invalid AUTH reason code 0x${reasonCode.toString(16)}`);
    if (r.remaining > 0) properties = readProperties(r, 'AUTH');
  }
  return { type: C.AUTH, reasonCode, properties };
}

export { MqttDecodeError, decodeUtf8 };
