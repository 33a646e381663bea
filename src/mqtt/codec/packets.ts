/**
 * Decoded MQTT control packets (3.1.1 and 5.0). Fields absent in 3.1.1 stay
 * at their neutral value (`properties` empty, `reasonCode` 0). Binary fields
 * are Buffers; topic names and filters are JS strings (UTF-8 decoded once).
 */

/** 5.0 properties [MQTT-2.2.2.2]; a field is set only when the property was present. */
export interface Properties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** PUBLISH may carry several [MQTT-3.3.4-3]; SUBSCRIBE at most one */
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Buffer;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: number;
  /** in wire order; names may repeat [MQTT-3.1.2-23] */
  userProperties?: [string, string][];
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifierAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

export interface Will {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  properties: Properties;
}

export interface ConnectPacket {
  type: 1;
  protocolName: string;
  protocolLevel: number;
  clean: boolean;
  keepAlive: number;
  clientId: string;
  will: Will | null;
  username: string | null;
  password: Buffer | null;
  properties: Properties;
}

export interface ConnackPacket {
  type: 2;
  sessionPresent: boolean;
  /** 3.1.1 return code or 5.0 reason code */
  reasonCode: number;
  properties: Properties;
}

export interface PublishPacket {
  type: 3;
  qos: number;
  dup: boolean;
  retain: boolean;
  topic: string;
  /** 0 for QoS 0 */
  packetId: number;
  payload: Buffer;
  properties: Properties;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP */
export interface AckPacket {
  type: 4 | 5 | 6 | 7;
  packetId: number;
  reasonCode: number;
  properties: Properties;
}

export interface Subscription {
  topic: string;
  qos: number;
  /** 5.0 options (false / 0 in 3.1.1) */
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
}

export interface SubscribePacket {
  type: 8;
  packetId: number;
  subscriptions: Subscription[];
  properties: Properties;
}

export interface SubackPacket {
  type: 9;
  packetId: number;
  reasonCodes: number[];
  properties: Properties;
}

export interface UnsubscribePacket {
  type: 10;
  packetId: number;
  topics: string[];
  properties: Properties;
}

export interface UnsubackPacket {
  type: 11;
  packetId: number;
  /** 5.0 only (empty in 3.1.1) */
  reasonCodes: number[];
  properties: Properties;
}

export interface PingreqPacket {
  type: 12;
}

export interface PingrespPacket {
  type: 13;
}

export interface DisconnectPacket {
  type: 14;
  reasonCode: number;
  properties: Properties;
}

export interface AuthPacket {
  type: 15;
  reasonCode: number;
  properties: Properties;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;
