/**
 * Exact `-ERR` texts the Go server sends to clients (inventory A.5), and the
 * frame builder. Texts that quote a subject use Go's %q formatting.
 */

export const ERR_UNKNOWN_PROTOCOL = 'Unknown Protocol Operation';
export const ERR_MAX_CONTROL_LINE = 'maximum control line exceeded';
export const ERR_MAX_PAYLOAD = 'Maximum Payload Violation';
export const ERR_AUTH_VIOLATION = 'Authorization Violation';
export const ERR_AUTH_TIMEOUT = 'Authentication Timeout';
export const ERR_BAD_CLIENT_PROTOCOL = 'invalid client protocol';
export const ERR_NO_RESPONDERS_REQUIRES_HEADERS = 'no responders requires headers support';
export const ERR_STALE_CONNECTION = 'Stale Connection';
export const ERR_TLS_REQUIRED = 'Secure Connection - TLS Required';
export const ERR_MAX_CONNECTIONS = 'maximum connections exceeded';
export const ERR_MAX_SUBSCRIPTIONS = 'maximum subscriptions exceeded';
export const ERR_MAX_ACCOUNT_CONNECTIONS = 'maximum account active connections exceeded';
export const ERR_INVALID_SUBJECT = 'Invalid Subject';
export const ERR_INVALID_PUBLISH_SUBJECT = 'Invalid Publish Subject';
export const ERR_CLIENT_CONNECTED_TO_ROUTE_PORT = 'attempted to connect to route port';
export const ERR_CLIENT_CONNECTED_TO_GATEWAY_PORT = 'attempted to connect to gateway port';
export const ERR_CONNECTION_THROTTLING = 'Connection throttling is active. Please try again later.';

/** Go's strconv.Quote for the ASCII/UTF-8 strings that appear in permission errors. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c === 0xfffd) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

export function errPubViolation(subject: string): string {
  return `Permissions Violation for Publish to ${goQuote(subject)}`;
}

export function errReplyViolation(reply: string): string {
  return `Permissions Violation for Publish with Reply of ${goQuote(reply)}`;
}

export function errSubViolation(subject: string, queue: string | null): string {
  return queue
    ? `Permissions Violation for Subscription to ${goQuote(subject)} using queue ${goQuote(queue)}`
    : `Permissions Violation for Subscription to ${goQuote(subject)}`;
}

export function errSubTooManyTokens(subject: string): string {
  return `Permissions Violation for Subscription to ${goQuote(subject)}, too many tokens`;
}

/** `-ERR '<text>'\r\n` */
export function errFrame(text: string): Buffer {
  return Buffer.from(`-ERR '${text}'\r\n`, 'utf8');
}
