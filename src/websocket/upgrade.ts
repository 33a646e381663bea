/**
 * The server side of the WebSocket opening handshake as Go checks it
 * (websocket.go wsUpgrade, checkOrigin, wsReturnHTTPError): the request is
 * vetted here, in Go's order and with Go's HTTP status codes, before `ws`
 * completes the upgrade. Pure functions of the request headers.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { WebsocketOptions } from '../config/options.js';

/** Go leafNodeWSPath and mqttWSPath */
export const LEAF_WS_PATH = '/leafnode';
export const MQTT_WS_PATH = '/mqtt';

export const KIND_CLIENT = 0;
export const KIND_LEAF = 1;
export const KIND_MQTT = 2;

export interface UpgradeRejection {
  status: number;
  reason: string;
}

interface AllowedOrigin {
  scheme: string;
  port: string;
}

/** Go srvWebsocket's origin state (wsSetOriginOptions). */
export class OriginPolicy {
  private readonly allowed = new Map<string, AllowedOrigin[]>();
  private readonly sameOrigin: boolean;

  constructor(o: WebsocketOptions) {
    this.sameOrigin = o.same_origin;
    for (const ao of o.allowed_origins) {
      let u: URL;
      try {
        u = new URL(ao);
      } catch {
        continue; // validated at startup
      }
      const hp = hostAndPort(u.protocol === 'https:', u.host);
      if (hp === null) continue;
      let l = this.allowed.get(hp.host);
      if (l === undefined) this.allowed.set(hp.host, (l = []));
      l.push({ scheme: u.protocol.slice(0, -1), port: hp.port });
    }
  }

  /** Go checkOrigin: null when accepted, else the reason. */
  check(req: IncomingMessage, secure: boolean): string | null {
    if (!this.sameOrigin && this.allowed.size === 0) return null;
    const origin = header(req, 'origin') || header(req, 'sec-websocket-origin');
    // No Origin: not a browser; the origin model does not apply (RFC 6455 1.6).
    if (origin === '') return null;
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return `parse "${origin}": invalid URI for request`;
    }
    const scheme = u.protocol.slice(0, -1);
    const o = hostAndPort(scheme === 'https', u.host);
    if (o === null) return 'invalid origin';
    if (this.sameOrigin) {
      const r = hostAndPort(secure, req.headers.host ?? '');
      if (r === null) return 'invalid host';
      if (o.host !== r.host || o.port !== r.port || scheme.toLowerCase() !== (secure ? 'https' : 'http')) return 'not same origin';
    }
    if (this.allowed.size > 0) {
      const list = this.allowed.get(o.host) ?? [];
      if (!list.some((a) => a.scheme === scheme && a.port === o.port)) return 'not in the allowed list';
    }
    return null;
  }
}

/** Go wsGetHostAndPort: the port defaults to the scheme's. */
function hostAndPort(tls: boolean, hostport: string): { host: string; port: string } | null {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(\d*))?$/.exec(hostport);
  if (m === null) return null;
  const host = (m[1] ?? m[2] ?? '').toLowerCase();
  const port = m[3] !== undefined && m[3] !== '' ? m[3] : tls ? '443' : '80';
  return { host, port };
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  if (v === undefined) return '';
  return Array.isArray(v) ? (v[0] ?? '') : v;
}

/** Go wsHeaderContains: one of the comma-separated tokens equals `value` (case-insensitively). */
function headerContains(req: IncomingMessage, name: string, value: string): boolean {
  const v = req.headers[name];
  if (v === undefined) return false;
  const all = Array.isArray(v) ? v : [v];
  const want = value.toLowerCase();
  return all.some((s) => s.split(',').some((t) => t.trim().toLowerCase() === want));
}

/** The kind of connection the request path asks for (Go: by path suffix). */
export function upgradeKind(req: IncomingMessage): number {
  const path = (req.url ?? '/').split('?')[0];
  if (path.endsWith(LEAF_WS_PATH)) return KIND_LEAF;
  if (path.endsWith(MQTT_WS_PATH)) return KIND_MQTT;
  return KIND_CLIENT;
}

/** Go wsUpgrade's checks, in its order (RFC 6455 4.2.1). null = go ahead. */
export function checkUpgrade(req: IncomingMessage, kind: number, origins: OriginPolicy, secure: boolean, mqttEnabled = false): UpgradeRejection | null {
  // Go wsUpgrade: MQTT over WebSocket needs the MQTT listener configured
  if (kind === KIND_MQTT && !mqttEnabled) return { status: 404, reason: 'mqtt websocket endpoint not enabled' };
  if (req.method !== 'GET') return { status: 405, reason: 'request method must be GET' };
  if (!req.headers.host) return { status: 400, reason: "'Host' missing in request" };
  if (!headerContains(req, 'upgrade', 'websocket')) return { status: 400, reason: "invalid value for header 'Upgrade'" };
  if (!headerContains(req, 'connection', 'upgrade')) return { status: 400, reason: "invalid value for header 'Connection'" };
  const key = header(req, 'sec-websocket-key');
  if (key === '') return { status: 400, reason: 'key missing' };
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return { status: 400, reason: 'invalid websocket key' };
  if (!headerContains(req, 'sec-websocket-version', '13')) return { status: 400, reason: 'invalid version' };
  const bad = origins.check(req, secure);
  if (bad !== null) return { status: 403, reason: `origin not allowed: ${bad}` };
  return null;
}

/** Go wsPMCExtensionSupport(header, true): the client offers permessage-deflate. */
export function offersCompression(req: IncomingMessage): boolean {
  const v = req.headers['sec-websocket-extensions'];
  if (v === undefined) return false;
  const all = Array.isArray(v) ? v : [v];
  return all.some((s: string) => s.split(',').some((ext: string) => ext.split(';').some((p: string) => p.trim().toLowerCase() === 'permessage-deflate')));
}

/** The body Go's http.Error writes: the status text and a newline. */
export function httpErrorBody(status: number): string {
  return `${STATUS_CODES[status] ?? 'Error'}\n`;
}

/** The response Go's http.Error writes, plus the Sec-Websocket-Version header wsReturnHTTPError adds. */
export function httpErrorResponse(status: number): string {
  const text = STATUS_CODES[status] ?? 'Error';
  const body = httpErrorBody(status);
  return (
    `HTTP/1.1 ${status} ${text}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    'Sec-Websocket-Version: 13\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    `Date: ${new Date().toUTCString()}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n' +
    `\r\n${body}`
  );
}

/** Reject an upgrade on the raw socket. */
export function rejectUpgrade(sock: Duplex, status: number): void {
  sock.end(httpErrorResponse(status));
}
