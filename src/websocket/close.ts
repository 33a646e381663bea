/** WebSocket close status for a connection's close reason (Go websocket.go wsEnqueueCloseMessage). */
import { ClosedReason } from '../conn/closed-reason.js';

const NORMAL = 1000;
const GOING_AWAY = 1001;
const PROTOCOL_ERROR = 1002;
const POLICY_VIOLATION = 1008;
const MESSAGE_TOO_BIG = 1009;
const INTERNAL_ERROR = 1011;

export function closeStatusFor(reason: ClosedReason): number {
  switch (reason) {
    case ClosedReason.ClientClosed:
      return NORMAL;
    case ClosedReason.AuthenticationTimeout:
    case ClosedReason.AuthenticationViolation:
    case ClosedReason.SlowConsumerPendingBytes:
    case ClosedReason.SlowConsumerWriteDeadline:
    case ClosedReason.MaxAccountConnectionsExceeded:
    case ClosedReason.MaxConnectionsExceeded:
    case ClosedReason.MaxControlLineExceeded:
    case ClosedReason.MaxSubscriptionsExceeded:
    case ClosedReason.MissingAccount:
    case ClosedReason.AuthenticationExpired:
    case ClosedReason.Revocation:
      return POLICY_VIOLATION;
    case ClosedReason.ParseError:
    case ClosedReason.ProtocolViolation:
    case ClosedReason.BadClientProtocolVersion:
      return PROTOCOL_ERROR;
    case ClosedReason.MaxPayloadExceeded:
      return MESSAGE_TOO_BIG;
    case ClosedReason.WriteError:
    case ClosedReason.ReadError:
    case ClosedReason.StaleConnection:
    case ClosedReason.ServerShutdown:
      return GOING_AWAY;
    default:
      // Go sends 1015 for a TLS handshake failure, a code the RFC forbids on the wire (and `ws` refuses); 1011 instead.
      return INTERNAL_ERROR;
  }
}
