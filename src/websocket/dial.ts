/**
 * The soliciting side of a leaf link over WebSocket (Go leafnode.go
 * leafNodeSolicitWSConnection): `ws://` or `wss://` remote URLs are dialled
 * with an upgrade request on `<url path>/leafnode`; the connection is then a
 * byte stream like a TCP link.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket, type ClientOptions } from 'ws';
import type { TlsOptions } from '../config/options.js';
import { WsSocket } from './adapter.js';
import { LEAF_WS_PATH } from './upgrade.js';

export function isWebSocketURL(u: URL): boolean {
  return u.protocol === 'ws:' || u.protocol === 'wss:';
}

export interface WsDialOptions {
  /** the remote's `tls {}` (a `wss://` URL uses TLS without one, Go leafNodeCfg) */
  tls?: TlsOptions;
  /** offer permessage-deflate (Go remote ws_compression) */
  compress: boolean;
  /** ms for the whole TCP + TLS + upgrade (Go: the first INFO timeout) */
  timeout: number;
}

/** Upgrade URL: Go joins the remote URL's own path with `/leafnode`; credentials stay out of the request. */
export function leafUpgradeURL(u: URL, secure: boolean): string {
  const base = u.pathname.replace(/\/+$/, '');
  const host = u.host;
  return `${secure ? 'wss' : 'ws'}://${host}${base}${LEAF_WS_PATH}`;
}

export function dialWebSocket(u: URL, o: WsDialOptions, done: (e: Error | null, sock: net.Socket | null) => void): void {
  const secure = u.protocol === 'wss:' || o.tls !== undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const t = o.tls;
  let ws: WebSocket;
  try {
    const opts: Record<string, unknown> = {
      perMessageDeflate: o.compress ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : false,
      handshakeTimeout: o.timeout,
      maxPayload: 64 * 1024 * 1024,
      followRedirects: false,
      ...(secure
        ? {
            servername: net.isIP(host) ? undefined : host,
            ca: t?.ca_file ? readFileSync(t.ca_file) : undefined,
            cert: t?.cert_file ? readFileSync(t.cert_file) : undefined,
            key: t?.key_file ? readFileSync(t.key_file) : undefined,
            rejectUnauthorized: !t?.insecure,
            checkServerIdentity: net.isIP(host) ? (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(host, cert) : undefined,
          }
        : {}),
    };
    ws = new WebSocket(leafUpgradeURL(u, secure), opts as ClientOptions);
  } catch (e) {
    done(e as Error, null);
    return;
  }
  let settled = false;
  const fail = (e: Error): void => {
    if (settled) return;
    settled = true;
    ws.terminate();
    done(e, null);
  };
  let raw: net.Socket | null = null;
  ws.once('upgrade', (res) => {
    raw = res.socket as net.Socket;
  });
  ws.once('error', fail);
  ws.once('unexpected-response', () => fail(new Error('invalid websocket connection')));
  ws.once('open', () => {
    if (settled) return;
    settled = true;
    ws.removeListener('error', fail);
    const r = raw as net.Socket | null;
    r?.setNoDelay(true);
    const s = new WsSocket(ws, { address: r?.remoteAddress ?? u.hostname, port: r?.remotePort ?? Number(u.port), secure });
    done(null, s as unknown as net.Socket);
  });
}
