/**
 * Packet encoding for MQTT 3.1.1 and 5.0: each function returns one complete
 * packet (fixed header included). `version` selects the 5.0 layout (reason
 * codes and properties); 3.1.1 drops what it has no field for. The server's
 * hot path (PUBLISH to subscribers) uses `writePublishHeader` to build the
 * header in place and sends the payload by reference.
 */
import * as C from './constants.js';
import { propertiesLength, propertiesSize, varintLen, writeBinary, writeProperties, writeString, writeVarint } from './properties.js';
import type {
  AckPacket, AuthPacket, ConnackPacket, ConnectPacket, DisconnectPacket, Properties, PublishPacket, SubackPacket,
  SubscribePacket, UnsubackPacket, UnsubscribePacket,
} from './packets.js';

const EMPTY_PROPS: Properties = {};

function strLen(s: string): number {
  return 2 + Buffer.byteLength(s, 'utf8');
}

/** Allocate a packet of `body` bytes with its fixed header written; returns the buffer and the body offset. */
function frame(first: number, body: number): [Buffer, number] {
  if (body > C.MAX_VARINT) throw new RangeError(`packet too large: ${body} bytes`);
  const b = Buffer.allocUnsafe(1 + varintLen(body) + body);
  b[0] = first;
  return [b, writeVarint(b, body, 1)];
}

export function encodeConnect(p: Omit<ConnectPacket, 'type'>): Buffer {
  const v5 = p.protocolLevel === C.MQTT_5;
  let flags = 0;
  if (p.clean) flags |= C.CONN_CLEAN;
  if (p.will !== null) {
    flags |= C.CONN_WILL | (p.will.qos << 3);
    if (p.will.retain) flags |= C.CONN_WILL_RETAIN;
  }
  if (p.username !== null) flags |= C.CONN_USERNAME;
  if (p.password !== null) flags |= C.CONN_PASSWORD;
  let n = strLen(p.protocolName) + 1 + 1 + 2;
  if (v5) n += propertiesSize(p.properties);
  n += strLen(p.clientId);
  if (p.will !== null) {
    if (v5) n += propertiesSize(p.will.properties);
    n += strLen(p.will.topic) + 2 + p.will.payload.length;
  }
  if (p.username !== null) n += strLen(p.username);
  if (p.password !== null) n += 2 + p.password.length;
  const [b, s] = frame(C.CONNECT << 4, n);
  let k = writeString(b, p.protocolName, s);
  b[k++] = p.protocolLevel;
  b[k++] = flags;
  b.writeUInt16BE(p.keepAlive, k);
  k += 2;
  if (v5) k = writeProperties(b, p.properties, k);
  k = writeString(b, p.clientId, k);
  if (p.will !== null) {
    if (v5) k = writeProperties(b, p.will.properties, k);
    k = writeString(b, p.will.topic, k);
    k = writeBinary(b, p.will.payload, k);
  }
  if (p.username !== null) k = writeString(b, p.username, k);
  if (p.password !== null) writeBinary(b, p.password, k);
  return b;
}

export function encodeConnack(sessionPresent: boolean, reasonCode: number, version: number, props: Properties = EMPTY_PROPS): Buffer {
  const v5 = version === C.MQTT_5;
  const [b, s] = frame(C.CONNACK << 4, 2 + (v5 ? propertiesSize(props) : 0));
  b[s] = sessionPresent ? 1 : 0;
  b[s + 1] = reasonCode;
  if (v5) writeProperties(b, props, s + 2);
  return b;
}

export function encodeConnackPacket(p: Omit<ConnackPacket, 'type'>, version: number): Buffer {
  return encodeConnack(p.sessionPresent, p.reasonCode, version, p.properties);
}

/** PUBLISH fixed-header flags for the given delivery. */
export function publishFlags(qos: number, dup: boolean, retain: boolean): number {
  return (dup ? C.PUB_DUP : 0) | (qos << 1) | (retain ? C.PUB_RETAIN : 0);
}

/**
 * Size of a PUBLISH header (fixed header, topic, packet id, properties) for
 * a payload of `payloadLen` bytes. `topicLen` is the topic's UTF-8 length;
 * `propsLen` the encoded property block size (0 for 3.1.1).
 */
export function publishHeaderSize(topicLen: number, qos: number, propsLen: number, payloadLen: number): number {
  const rem = 2 + topicLen + (qos > 0 ? 2 : 0) + propsLen + payloadLen;
  return 1 + varintLen(rem) + rem - payloadLen;
}

/**
 * Write a PUBLISH header at dst[pos]: fixed header, topic (given as bytes),
 * packet id when QoS > 0, then `props` (pre-encoded property block
 * including its length, or null for 3.1.1). The payload follows; returns the
 * position after the header.
 */
export function writePublishHeader(dst: Buffer, pos: number, flags: number, topic: Buffer, packetId: number, props: Buffer | null, payloadLen: number): number {
  const qos = (flags & C.PUB_QOS_MASK) >> 1;
  const pl = props === null ? 0 : props.length;
  const rem = 2 + topic.length + (qos > 0 ? 2 : 0) + pl + payloadLen;
  dst[pos++] = (C.PUBLISH << 4) | flags;
  pos = writeVarint(dst, rem, pos);
  dst[pos++] = topic.length >> 8;
  dst[pos++] = topic.length & 0xff;
  topic.copy(dst, pos);
  pos += topic.length;
  if (qos > 0) {
    dst[pos++] = packetId >> 8;
    dst[pos++] = packetId & 0xff;
  }
  if (props !== null) {
    props.copy(dst, pos);
    pos += pl;
  }
  return pos;
}

/** Encode a property block alone (length prefix included), for `writePublishHeader`. */
export function encodeProperties(p: Properties): Buffer {
  const b = Buffer.allocUnsafe(propertiesSize(p));
  writeProperties(b, p, 0);
  return b;
}

export function encodePublish(p: Omit<PublishPacket, 'type'>, version: number): Buffer {
  const v5 = version === C.MQTT_5;
  const topic = Buffer.from(p.topic, 'utf8');
  const props = v5 ? encodeProperties(p.properties) : null;
  const flags = publishFlags(p.qos, p.dup, p.retain);
  const size = publishHeaderSize(topic.length, p.qos, props === null ? 0 : props.length, p.payload.length);
  const b = Buffer.allocUnsafe(size + p.payload.length);
  const k = writePublishHeader(b, 0, flags, topic, p.packetId, props, p.payload.length);
  p.payload.copy(b, k);
  return b;
}

/**
 * PUBACK, PUBREC, PUBREL, PUBCOMP. 5.0 [MQTT-3.4.2.1]: Reason Code and
 * properties are left out when the code is Success and there are no
 * properties (Remaining Length 2), as most peers send them.
 */
export function encodeAck(type: number, packetId: number, version: number, reasonCode = 0, props: Properties = EMPTY_PROPS): Buffer {
  const first = (type << 4) | (type === C.PUBREL ? 0x2 : 0);
  const v5 = version === C.MQTT_5;
  const plen = v5 ? propertiesLength(props) : 0;
  if (!v5 || (reasonCode === 0 && plen === 0)) {
    const b = Buffer.allocUnsafe(4);
    b[0] = first;
    b[1] = 2;
    b[2] = packetId >> 8;
    b[3] = packetId & 0xff;
    return b;
  }
  const [b, s] = frame(first, 3 + (plen === 0 ? 0 : propertiesSize(props)));
  b.writeUInt16BE(packetId, s);
  b[s + 2] = reasonCode;
  if (plen > 0) writeProperties(b, props, s + 3);
  return b;
}

export function encodeAckPacket(p: AckPacket, version: number): Buffer {
  return encodeAck(p.type, p.packetId, version, p.reasonCode, p.properties);
}

export function encodeSubscribe(p: Omit<SubscribePacket, 'type'>, version: number): Buffer {
  const v5 = version === C.MQTT_5;
  let n = 2 + (v5 ? propertiesSize(p.properties) : 0);
  for (const s of p.subscriptions) n += strLen(s.topic) + 1;
  const [b, s0] = frame((C.SUBSCRIBE << 4) | 0x2, n);
  b.writeUInt16BE(p.packetId, s0);
  let k = s0 + 2;
  if (v5) k = writeProperties(b, p.properties, k);
  for (const s of p.subscriptions) {
    k = writeString(b, s.topic, k);
    let o = s.qos;
    if (v5) {
      if (s.noLocal) o |= C.SUBOPT_NO_LOCAL;
      if (s.retainAsPublished) o |= C.SUBOPT_RAP;
      o |= s.retainHandling << 4;
    }
    b[k++] = o;
  }
  return b;
}

export function encodeSuback(packetId: number, codes: readonly number[], version: number, props: Properties = EMPTY_PROPS): Buffer {
  const v5 = version === C.MQTT_5;
  const [b, s] = frame(C.SUBACK << 4, 2 + (v5 ? propertiesSize(props) : 0) + codes.length);
  b.writeUInt16BE(packetId, s);
  let k = s + 2;
  if (v5) k = writeProperties(b, props, k);
  for (const c of codes) b[k++] = c;
  return b;
}

export function encodeSubackPacket(p: Omit<SubackPacket, 'type'>, version: number): Buffer {
  return encodeSuback(p.packetId, p.reasonCodes, version, p.properties);
}

export function encodeUnsubscribe(p: Omit<UnsubscribePacket, 'type'>, version: number): Buffer {
  const v5 = version === C.MQTT_5;
  let n = 2 + (v5 ? propertiesSize(p.properties) : 0);
  for (const t of p.topics) n += strLen(t);
  const [b, s] = frame((C.UNSUBSCRIBE << 4) | 0x2, n);
  b.writeUInt16BE(p.packetId, s);
  let k = s + 2;
  if (v5) k = writeProperties(b, p.properties, k);
  for (const t of p.topics) k = writeString(b, t, k);
  return b;
}

/** UNSUBACK: 3.1.1 carries the packet id only; 5.0 a reason code per topic filter [MQTT-3.11.3]. */
export function encodeUnsuback(packetId: number, codes: readonly number[], version: number, props: Properties = EMPTY_PROPS): Buffer {
  const v5 = version === C.MQTT_5;
  const [b, s] = frame(C.UNSUBACK << 4, 2 + (v5 ? propertiesSize(props) + codes.length : 0));
  b.writeUInt16BE(packetId, s);
  if (v5) {
    let k = writeProperties(b, props, s + 2);
    for (const c of codes) b[k++] = c;
  }
  return b;
}

export function encodeUnsubackPacket(p: Omit<UnsubackPacket, 'type'>, version: number): Buffer {
  return encodeUnsuback(p.packetId, p.reasonCodes, version, p.properties);
}

export const PINGREQ_BYTES: Buffer = Buffer.from([C.PINGREQ << 4, 0]);
export const PINGRESP_BYTES: Buffer = Buffer.from([C.PINGRESP << 4, 0]);

/** DISCONNECT: empty in 3.1.1; 5.0 leaves out a Normal disconnection without properties [MQTT-3.14.2.1]. */
export function encodeDisconnect(version: number, reasonCode = 0, props: Properties = EMPTY_PROPS): Buffer {
  const v5 = version === C.MQTT_5;
  const plen = v5 ? propertiesLength(props) : 0;
  if (!v5 || (reasonCode === 0 && plen === 0)) return Buffer.from([C.DISCONNECT << 4, 0]);
  const [b, s] = frame(C.DISCONNECT << 4, 1 + (plen === 0 ? 0 : propertiesSize(props)));
  b[s] = reasonCode;
  if (plen > 0) writeProperties(b, props, s + 1);
  return b;
}

export function encodeDisconnectPacket(p: DisconnectPacket, version: number): Buffer {
  return encodeDisconnect(version, p.reasonCode, p.properties);
}

/** AUTH (5.0 only) [MQTT-3.15]. */
export function encodeAuth(reasonCode: number, props: Properties = EMPTY_PROPS): Buffer {
  const plen = propertiesLength(props);
  if (reasonCode === 0 && plen === 0) return Buffer.from([C.AUTH << 4, 0]);
  const [b, s] = frame(C.AUTH << 4, 1 + propertiesSize(props));
  b[s] = reasonCode;
  writeProperties(b, props, s + 1);
  return b;
}

export function encodeAuthPacket(p: AuthPacket): Buffer {
  return encodeAuth(p.reasonCode, p.properties);
}
