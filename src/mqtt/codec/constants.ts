/**
 * MQTT wire constants shared by the 3.1.1 (OASIS mqtt-v3.1.1-os) and 5.0
 * (OASIS mqtt-v5.0-os) packet formats: packet types, fixed-header flags,
 * CONNECT flags, the 3.1.1 CONNACK return codes, the 5.0 reason codes and
 * property identifiers. Pure data: nothing here knows about the server.
 */

/** Protocol levels of the CONNECT packet. */
export const MQTT_3_1 = 3;
export const MQTT_3_1_1 = 4;
export const MQTT_5 = 5;

/** Control packet types (the high nibble of the fixed header's first byte). */
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;
/** 5.0 only */
export const AUTH = 15;

export const PACKET_NAMES: readonly string[] = [
  'RESERVED', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH',
];

/** PUBLISH fixed-header flags */
export const PUB_RETAIN = 0x01;
export const PUB_QOS_MASK = 0x06;
export const PUB_DUP = 0x08;

/** CONNECT flags byte */
export const CONN_RESERVED = 0x01;
export const CONN_CLEAN = 0x02;
export const CONN_WILL = 0x04;
export const CONN_WILL_QOS = 0x18;
export const CONN_WILL_RETAIN = 0x20;
export const CONN_PASSWORD = 0x40;
export const CONN_USERNAME = 0x80;

/** SUBSCRIBE options byte (5.0 [MQTT-3.8.3]; 3.1.1 uses the QoS bits only) */
export const SUBOPT_QOS = 0x03;
export const SUBOPT_NO_LOCAL = 0x04;
export const SUBOPT_RAP = 0x08;
export const SUBOPT_RETAIN_HANDLING = 0x30;

/** Largest value of a Variable Byte Integer (four bytes) [MQTT-1.5.5]. */
export const MAX_VARINT = 268_435_455;

/** 3.1.1 CONNACK return codes [MQTT-3.2.2.3]. */
export const RC_ACCEPTED = 0x00;
export const RC_UNACCEPTABLE_PROTOCOL = 0x01;
export const RC_IDENTIFIER_REJECTED = 0x02;
export const RC_SERVER_UNAVAILABLE = 0x03;
export const RC_BAD_USER_OR_PASSWORD = 0x04;
export const RC_NOT_AUTHORIZED = 0x05;
/** 3.1.1 SUBACK failure [MQTT-3.9.3] */
export const SUBACK_FAILURE = 0x80;

/** 5.0 reason codes [MQTT-2.4]. */
export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWill: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** 5.0 property identifiers [MQTT-2.2.2.2]. */
export const Prop = {
  PayloadFormatIndicator: 0x01,
  MessageExpiryInterval: 0x02,
  ContentType: 0x03,
  ResponseTopic: 0x08,
  CorrelationData: 0x09,
  SubscriptionIdentifier: 0x0b,
  SessionExpiryInterval: 0x11,
  AssignedClientIdentifier: 0x12,
  ServerKeepAlive: 0x13,
  AuthenticationMethod: 0x15,
  AuthenticationData: 0x16,
  RequestProblemInformation: 0x17,
  WillDelayInterval: 0x18,
  RequestResponseInformation: 0x19,
  ResponseInformation: 0x1a,
  ServerReference: 0x1c,
  ReasonString: 0x1f,
  ReceiveMaximum: 0x21,
  TopicAliasMaximum: 0x22,
  TopicAlias: 0x23,
  MaximumQoS: 0x24,
  RetainAvailable: 0x25,
  UserProperty: 0x26,
  MaximumPacketSize: 0x27,
  WildcardSubscriptionAvailable: 0x28,
  SubscriptionIdentifierAvailable: 0x29,
  SharedSubscriptionAvailable: 0x2a,
} as const;
