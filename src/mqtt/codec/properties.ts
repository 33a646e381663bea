/**
 * 5.0 properties [MQTT-2.2.2]: a Variable Byte Integer length, then
 * identifier/value pairs. Each packet type allows a fixed set of properties
 * [MQTT-2.2.2-2]; all but User Property and (in PUBLISH) Subscription
 * Identifier may appear once; value ranges are checked as the standard
 * demands (each refusal is a Protocol Error or a Malformed Packet, as its
 * normative statement says).
 */
import { MAX_VARINT, Prop } from './constants.js';
import { malformed, protocolError, Reader } from './reader.js';
import type { Properties } from './packets.js';

/** Property sets by where they may appear (bit per property id, tested with `allowed`). */
export const PropSet = {
  CONNECT: [Prop.SessionExpiryInterval, Prop.ReceiveMaximum, Prop.MaximumPacketSize, Prop.TopicAliasMaximum,
    Prop.RequestResponseInformation, Prop.RequestProblemInformation, Prop.UserProperty, Prop.AuthenticationMethod,
    Prop.AuthenticationData],
  WILL: [Prop.WillDelayInterval, Prop.PayloadFormatIndicator, Prop.MessageExpiryInterval, Prop.ContentType,
    Prop.ResponseTopic, Prop.CorrelationData, Prop.UserProperty],
  CONNACK: [Prop.SessionExpiryInterval, Prop.ReceiveMaximum, Prop.MaximumQoS, Prop.RetainAvailable,
    Prop.MaximumPacketSize, Prop.AssignedClientIdentifier, Prop.TopicAliasMaximum, Prop.ReasonString,
    Prop.UserProperty, Prop.WildcardSubscriptionAvailable, Prop.SubscriptionIdentifierAvailable,
    Prop.SharedSubscriptionAvailable, Prop.ServerKeepAlive, Prop.ResponseInformation, Prop.ServerReference,
    Prop.AuthenticationMethod, Prop.AuthenticationData],
  PUBLISH: [Prop.PayloadFormatIndicator, Prop.MessageExpiryInterval, Prop.TopicAlias, Prop.ResponseTopic,
    Prop.CorrelationData, Prop.UserProperty, Prop.SubscriptionIdentifier, Prop.ContentType],
  ACK: [Prop.ReasonString, Prop.UserProperty],
  SUBSCRIBE: [Prop.SubscriptionIdentifier, Prop.UserProperty],
  UNSUBSCRIBE: [Prop.UserProperty],
  DISCONNECT: [Prop.SessionExpiryInterval, Prop.ReasonString, Prop.UserProperty, Prop.ServerReference],
  AUTH: [Prop.AuthenticationMethod, Prop.AuthenticationData, Prop.ReasonString, Prop.UserProperty],
} as const;

export type PropSetName = keyof typeof PropSet;

const MASKS = new Map<PropSetName, Uint8Array>();
for (const name of Object.keys(PropSet) as PropSetName[]) {
  const m = new Uint8Array(64);
  for (const id of PropSet[name]) m[id] = 1;
  MASKS.set(name, m);
}

const NO_PROPS: Properties = Object.freeze({}) as Properties;

/** An empty, frozen property set (shared: never mutate). */
export function noProperties(): Properties {
  return NO_PROPS;
}

function once(p: Properties, key: keyof Properties, name: string): void {
  if (p[key] !== undefined) protocolError(`property ${name} included more than once`);
}

function flag(r: Reader, name: string): number {
  const v = r.byte(name);
  if (v > 1) protocolError(`property ${name} must be 0 or 1, got ${v}`);
  return v;
}

/**
 * Read a property block. `set` names the packet it belongs to. In PUBLISH
 * the Subscription Identifier may repeat [MQTT-3.3.4-3]; in SUBSCRIBE it may
 * not [MQTT-3.8.2.1.2].
 */
export function readProperties(r: Reader, set: PropSetName): Properties {
  const len = r.varint('property length');
  if (len === 0) return NO_PROPS;
  if (len > r.remaining) malformed('property length exceeds the packet');
  const end = r.pos + len;
  const pr = new Reader(r.buf, r.pos, end);
  const mask = MASKS.get(set)!;
  const p: Properties = {};
  while (pr.pos < end) {
    const id = pr.varint('property identifier');
    if (id >= 64 || mask[id] === 0) malformed(`property identifier 0x${id.toString(16)} not valid in ${set}`);
    switch (id) {
      case Prop.PayloadFormatIndicator:
        once(p, 'payloadFormatIndicator', 'Payload Format Indicator');
        p.payloadFormatIndicator = flag(pr, 'Payload Format Indicator');
        break;
      case Prop.MessageExpiryInterval:
        once(p, 'messageExpiryInterval', 'Message Expiry Interval');
        p.messageExpiryInterval = pr.u32('Message Expiry Interval');
        break;
      case Prop.ContentType:
        once(p, 'contentType', 'Content Type');
        p.contentType = pr.string('Content Type');
        break;
      case Prop.ResponseTopic:
        once(p, 'responseTopic', 'Response Topic');
        p.responseTopic = pr.string('Response Topic');
        break;
      case Prop.CorrelationData:
        once(p, 'correlationData', 'Correlation Data');
        p.correlationData = pr.binary('Correlation Data');
        break;
      case Prop.SubscriptionIdentifier: {
        if (set !== 'PUBLISH') once(p, 'subscriptionIdentifiers', 'Subscription Identifier');
        const v = pr.varint('Subscription Identifier');
        // [MQTT-3.8.2.1.2]: 0 is a Protocol Error
        if (v === 0) protocolError('Subscription Identifier of 0');
        (p.subscriptionIdentifiers ??= []).push(v);
        break;
      }
      case Prop.SessionExpiryInterval:
        once(p, 'sessionExpiryInterval', 'Session Expiry Interval');
        p.sessionExpiryInterval = pr.u32('Session Expiry Interval');
        break;
      case Prop.AssignedClientIdentifier:
        once(p, 'assignedClientIdentifier', 'Assigned Client Identifier');
        p.assignedClientIdentifier = pr.string('Assigned Client Identifier');
        break;
      case Prop.ServerKeepAlive:
        once(p, 'serverKeepAlive', 'Server Keep Alive');
        p.serverKeepAlive = pr.u16('Server Keep Alive');
        break;
      case Prop.AuthenticationMethod:
        once(p, 'authenticationMethod', 'Authentication Method');
        p.authenticationMethod = pr.string('Authentication Method');
        break;
      case Prop.AuthenticationData:
        once(p, 'authenticationData', 'Authentication Data');
        p.authenticationData = pr.binary('Authentication Data');
        break;
      case Prop.RequestProblemInformation:
        once(p, 'requestProblemInformation', 'Request Problem Information');
        p.requestProblemInformation = flag(pr, 'Request Problem Information');
        break;
      case Prop.WillDelayInterval:
        once(p, 'willDelayInterval', 'Will Delay Interval');
        p.willDelayInterval = pr.u32('Will Delay Interval');
        break;
      case Prop.RequestResponseInformation:
        once(p, 'requestResponseInformation', 'Request Response Information');
        p.requestResponseInformation = flag(pr, 'Request Response Information');
        break;
      case Prop.ResponseInformation:
        once(p, 'responseInformation', 'Response Information');
        p.responseInformation = pr.string('Response Information');
        break;
      case Prop.ServerReference:
        once(p, 'serverReference', 'Server Reference');
        p.serverReference = pr.string('Server Reference');
        break;
      case Prop.ReasonString:
        once(p, 'reasonString', 'Reason String');
        p.reasonString = pr.string('Reason String');
        break;
      case Prop.ReceiveMaximum: {
        once(p, 'receiveMaximum', 'Receive Maximum');
        const v = pr.u16('Receive Maximum');
        // [MQTT-3.1.2.11.3] / [MQTT-3.2.2.3.3]: 0 is a Protocol Error
        if (v === 0) protocolError('Receive Maximum of 0');
        p.receiveMaximum = v;
        break;
      }
      case Prop.TopicAliasMaximum:
        once(p, 'topicAliasMaximum', 'Topic Alias Maximum');
        p.topicAliasMaximum = pr.u16('Topic Alias Maximum');
        break;
      case Prop.TopicAlias: {
        once(p, 'topicAlias', 'Topic Alias');
        const v = pr.u16('Topic Alias');
        // [MQTT-3.3.2-8]: a Topic Alias of 0 is not permitted
        if (v === 0) protocolError('Topic Alias of 0');
        p.topicAlias = v;
        break;
      }
      case Prop.MaximumQoS:
        once(p, 'maximumQoS', 'Maximum QoS');
        p.maximumQoS = flag(pr, 'Maximum QoS');
        break;
      case Prop.RetainAvailable:
        once(p, 'retainAvailable', 'Retain Available');
        p.retainAvailable = flag(pr, 'Retain Available');
        break;
      case Prop.UserProperty: {
        const k = pr.string('User Property name');
        const v = pr.string('User Property value');
        (p.userProperties ??= []).push([k, v]);
        break;
      }
      case Prop.MaximumPacketSize: {
        once(p, 'maximumPacketSize', 'Maximum Packet Size');
        const v = pr.u32('Maximum Packet Size');
        // [MQTT-3.1.2.11.4]: 0 is a Protocol Error
        if (v === 0) protocolError('Maximum Packet Size of 0');
        p.maximumPacketSize = v;
        break;
      }
      case Prop.WildcardSubscriptionAvailable:
        once(p, 'wildcardSubscriptionAvailable', 'Wildcard Subscription Available');
        p.wildcardSubscriptionAvailable = flag(pr, 'Wildcard Subscription Available');
        break;
      case Prop.SubscriptionIdentifierAvailable:
        once(p, 'subscriptionIdentifierAvailable', 'Subscription Identifier Available');
        p.subscriptionIdentifierAvailable = flag(pr, 'Subscription Identifier Available');
        break;
      case Prop.SharedSubscriptionAvailable:
        once(p, 'sharedSubscriptionAvailable', 'Shared Subscription Available');
        p.sharedSubscriptionAvailable = flag(pr, 'Shared Subscription Available');
        break;
      default:
        malformed(`unknown property identifier 0x${id.toString(16)}`);
    }
  }
  r.pos = end;
  return p;
}

// ------------------------------------------------------------------ encoding

function varintLen(v: number): number {
  return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

function strLen(s: string): number {
  return 2 + Buffer.byteLength(s, 'utf8');
}

/** Bytes of the property block's content (without its own length prefix). */
export function propertiesLength(p: Properties): number {
  let n = 0;
  if (p.payloadFormatIndicator !== undefined) n += 2;
  if (p.messageExpiryInterval !== undefined) n += 5;
  if (p.contentType !== undefined) n += 1 + strLen(p.contentType);
  if (p.responseTopic !== undefined) n += 1 + strLen(p.responseTopic);
  if (p.correlationData !== undefined) n += 3 + p.correlationData.length;
  if (p.subscriptionIdentifiers !== undefined) for (const id of p.subscriptionIdentifiers) n += 1 + varintLen(id);
  if (p.sessionExpiryInterval !== undefined) n += 5;
  if (p.assignedClientIdentifier !== undefined) n += 1 + strLen(p.assignedClientIdentifier);
  if (p.serverKeepAlive !== undefined) n += 3;
  if (p.authenticationMethod !== undefined) n += 1 + strLen(p.authenticationMethod);
  if (p.authenticationData !== undefined) n += 3 + p.authenticationData.length;
  if (p.requestProblemInformation !== undefined) n += 2;
  if (p.willDelayInterval !== undefined) n += 5;
  if (p.requestResponseInformation !== undefined) n += 2;
  if (p.responseInformation !== undefined) n += 1 + strLen(p.responseInformation);
  if (p.serverReference !== undefined) n += 1 + strLen(p.serverReference);
  if (p.reasonString !== undefined) n += 1 + strLen(p.reasonString);
  if (p.receiveMaximum !== undefined) n += 3;
  if (p.topicAliasMaximum !== undefined) n += 3;
  if (p.topicAlias !== undefined) n += 3;
  if (p.maximumQoS !== undefined) n += 2;
  if (p.retainAvailable !== undefined) n += 2;
  if (p.userProperties !== undefined) for (const [k, v] of p.userProperties) n += 1 + strLen(k) + strLen(v);
  if (p.maximumPacketSize !== undefined) n += 5;
  if (p.wildcardSubscriptionAvailable !== undefined) n += 2;
  if (p.subscriptionIdentifierAvailable !== undefined) n += 2;
  if (p.sharedSubscriptionAvailable !== undefined) n += 2;
  return n;
}

/** Bytes of the whole property block: its length prefix plus content. */
export function propertiesSize(p: Properties): number {
  const n = propertiesLength(p);
  return varintLen(n) + n;
}

export function writeVarint(dst: Buffer, v: number, pos: number): number {
  if (v < 0 || v > MAX_VARINT) throw new RangeError(`variable byte integer out of range: ${v}`);
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    dst[pos++] = b;
  } while (v > 0);
  return pos;
}

function wByte(d: Buffer, id: number, v: number, p: number): number {
  d[p] = id;
  d[p + 1] = v;
  return p + 2;
}

function wU16(d: Buffer, id: number, v: number, p: number): number {
  d[p] = id;
  d.writeUInt16BE(v, p + 1);
  return p + 3;
}

function wU32(d: Buffer, id: number, v: number, p: number): number {
  d[p] = id;
  d.writeUInt32BE(v >>> 0, p + 1);
  return p + 5;
}

export function writeString(d: Buffer, s: string, p: number): number {
  const n = d.write(s, p + 2, 'utf8');
  d.writeUInt16BE(n, p);
  return p + 2 + n;
}

export function writeBinary(d: Buffer, b: Buffer, p: number): number {
  d.writeUInt16BE(b.length, p);
  b.copy(d, p + 2);
  return p + 2 + b.length;
}

function wStr(d: Buffer, id: number, s: string, p: number): number {
  d[p] = id;
  return writeString(d, s, p + 1);
}

function wBin(d: Buffer, id: number, b: Buffer, p: number): number {
  d[p] = id;
  return writeBinary(d, b, p + 1);
}

/** Write a property block (length prefix and content) at `p`; returns the end. */
export function writeProperties(d: Buffer, pr: Properties, p: number): number {
  p = writeVarint(d, propertiesLength(pr), p);
  if (pr.payloadFormatIndicator !== undefined) p = wByte(d, Prop.PayloadFormatIndicator, pr.payloadFormatIndicator, p);
  if (pr.messageExpiryInterval !== undefined) p = wU32(d, Prop.MessageExpiryInterval, pr.messageExpiryInterval, p);
  if (pr.contentType !== undefined) p = wStr(d, Prop.ContentType, pr.contentType, p);
  if (pr.responseTopic !== undefined) p = wStr(d, Prop.ResponseTopic, pr.responseTopic, p);
  if (pr.correlationData !== undefined) p = wBin(d, Prop.CorrelationData, pr.correlationData, p);
  if (pr.subscriptionIdentifiers !== undefined) {
    for (const id of pr.subscriptionIdentifiers) {
      d[p++] = Prop.SubscriptionIdentifier;
      p = writeVarint(d, id, p);
    }
  }
  if (pr.sessionExpiryInterval !== undefined) p = wU32(d, Prop.SessionExpiryInterval, pr.sessionExpiryInterval, p);
  if (pr.assignedClientIdentifier !== undefined) p = wStr(d, Prop.AssignedClientIdentifier, pr.assignedClientIdentifier, p);
  if (pr.serverKeepAlive !== undefined) p = wU16(d, Prop.ServerKeepAlive, pr.serverKeepAlive, p);
  if (pr.authenticationMethod !== undefined) p = wStr(d, Prop.AuthenticationMethod, pr.authenticationMethod, p);
  if (pr.authenticationData !== undefined) p = wBin(d, Prop.AuthenticationData, pr.authenticationData, p);
  if (pr.requestProblemInformation !== undefined) p = wByte(d, Prop.RequestProblemInformation, pr.requestProblemInformation, p);
  if (pr.willDelayInterval !== undefined) p = wU32(d, Prop.WillDelayInterval, pr.willDelayInterval, p);
  if (pr.requestResponseInformation !== undefined) p = wByte(d, Prop.RequestResponseInformation, pr.requestResponseInformation, p);
  if (pr.responseInformation !== undefined) p = wStr(d, Prop.ResponseInformation, pr.responseInformation, p);
  if (pr.serverReference !== undefined) p = wStr(d, Prop.ServerReference, pr.serverReference, p);
  if (pr.reasonString !== undefined) p = wStr(d, Prop.ReasonString, pr.reasonString, p);
  if (pr.receiveMaximum !== undefined) p = wU16(d, Prop.ReceiveMaximum, pr.receiveMaximum, p);
  if (pr.topicAliasMaximum !== undefined) p = wU16(d, Prop.TopicAliasMaximum, pr.topicAliasMaximum, p);
  if (pr.topicAlias !== undefined) p = wU16(d, Prop.TopicAlias, pr.topicAlias, p);
  if (pr.maximumQoS !== undefined) p = wByte(d, Prop.MaximumQoS, pr.maximumQoS, p);
  if (pr.retainAvailable !== undefined) p = wByte(d, Prop.RetainAvailable, pr.retainAvailable, p);
  if (pr.userProperties !== undefined) {
    for (const [k, v] of pr.userProperties) {
      d[p++] = Prop.UserProperty;
      p = writeString(d, k, p);
      p = writeString(d, v, p);
    }
  }
  if (pr.maximumPacketSize !== undefined) p = wU32(d, Prop.MaximumPacketSize, pr.maximumPacketSize, p);
  if (pr.wildcardSubscriptionAvailable !== undefined) p = wByte(d, Prop.WildcardSubscriptionAvailable, pr.wildcardSubscriptionAvailable, p);
  if (pr.subscriptionIdentifierAvailable !== undefined) p = wByte(d, Prop.SubscriptionIdentifierAvailable, pr.subscriptionIdentifierAvailable, p);
  if (pr.sharedSubscriptionAvailable !== undefined) p = wByte(d, Prop.SharedSubscriptionAvailable, pr.sharedSubscriptionAvailable, p);
  return p;
}

export { varintLen };
