/** Why a connection closed, with the exact strings /connz shows (Go monitor.go ClosedState). */
export const ClosedReason = {
  ClientClosed: 'Client Closed',
  AuthenticationTimeout: 'Authentication Timeout',
  AuthenticationViolation: 'Authentication Failure',
  TLSHandshakeError: 'TLS Handshake Failure',
  SlowConsumerPendingBytes: 'Slow Consumer (Pending Bytes)',
  SlowConsumerWriteDeadline: 'Slow Consumer (Write Deadline)',
  WriteError: 'Write Error',
  ReadError: 'Read Error',
  ParseError: 'Parse Error',
  StaleConnection: 'Stale Connection',
  ProtocolViolation: 'Protocol Violation',
  BadClientProtocolVersion: 'Bad Client Protocol Version',
  WrongPort: 'Incorrect Port',
  MaxConnectionsExceeded: 'Maximum Connections Exceeded',
  MaxAccountConnectionsExceeded: 'Maximum Account Connections Exceeded',
  MaxPayloadExceeded: 'Maximum Message Payload Exceeded',
  MaxControlLineExceeded: 'Maximum Control Line Exceeded',
  MaxSubscriptionsExceeded: 'Maximum Subscriptions Exceeded',
  DuplicateRoute: 'Duplicate Route',
  RouteRemoved: 'Route Removed',
  ServerShutdown: 'Server Shutdown',
  AuthenticationExpired: 'Authentication Expired',
  WrongGateway: 'Wrong Gateway',
  MissingAccount: 'Missing Account',
  Revocation: 'Credentials Revoked',
  InternalClient: 'Internal Client',
  MsgHeaderViolation: 'Message Header Violation',
  NoRespondersRequiresHeaders: 'No Responders Requires Headers',
  ClusterNameConflict: 'Cluster Name Conflict',
  DuplicateRemoteLeafnodeConnection: 'Duplicate Remote LeafNode Connection',
  DuplicateClientID: 'Duplicate Client ID',
  DuplicateServerName: 'Duplicate Server Name',
  MinimumVersionRequired: 'Minimum Version Required',
  ClusterNamesIdentical: 'Cluster Names Identical',
  Kicked: 'Kicked',
  ProxyNotTrusted: 'Proxy Not Trusted',
  ProxyRequired: 'Proxy Required',
} as const;

export type ClosedReason = (typeof ClosedReason)[keyof typeof ClosedReason];

/** A transport that reports the close reason to its peer (WebSocket close frames, Go wsEnqueueCloseMessage). */
export interface CloseReasonSink {
  noteCloseReason(reason: ClosedReason): void;
}
