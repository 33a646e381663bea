/**
 * WebSocket fixtures: a raw NATS-over-WebSocket client built on the `ws`
 * package (send protocol text in binary frames, read the byte stream back),
 * a raw HTTP upgrade request for handshake status tests, and the websocket
 * port of a Go server (from its log).
 */
import net from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { waitFor } from './wait.js';
import type { GoServer } from './go-server.js';
import { splitInfo } from './raw.js';
import type { RunningServer } from '../../src/index.js';
import { defaultWebsocketOptions, type WebsocketOptions } from '../../src/config/options.js';

export function wsOpts(extra: Partial<WebsocketOptions> = {}): WebsocketOptions {
  return { ...defaultWebsocketOptions(), host: '127.0.0.1', port: -1, no_tls: true, ...extra };
}

export class RawWs {
  private data = '';
  closed = false;
  closeCode = 0;
  closeReason = '';
  /** frames received that were text frames (the server sends binary only) */
  textFrames = 0;
  /** the response's Sec-WebSocket-Extensions header */
  extensions = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      if (!isBinary) this.textFrames++;
      this.data += d.toString('latin1');
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = true;
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    ws.on('error', () => {});
  }

  static connect(url: string, opts: ClientOptions = {}): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
      let ext = '';
      ws.once('upgrade', (res) => {
        ext = String(res.headers['sec-websocket-extensions'] ?? '');
      });
      const r = new RawWs(ws);
      ws.once('open', () => {
        r.extensions = ext;
        resolve(r);
      });
      ws.once('error', reject);
    });
  }

  send(s: string, binary = true): void {
    this.ws.send(Buffer.from(s, 'latin1'), { binary });
  }

  take(): string {
    const d = this.data;
    this.data = '';
    return d;
  }

  async waitUntil(pred: (d: string) => boolean, timeoutMs = 3000): Promise<string> {
    await waitFor(() => pred(this.data) || this.closed, timeoutMs).catch(() => {});
    return this.data;
  }

  async info(): Promise<Record<string, unknown>> {
    const r = splitInfo(await this.waitUntil((x) => x.includes('\r\n')));
    this.data = r.rest;
    return r.info;
  }

  /**
   * Send PING, wait for its PONG; returns everything received before it
   * (consumed), without the server's own INFO updates and PINGs.
   */
  async flush(): Promise<string> {
    this.send('PING\r\n');
    const d = await this.waitUntil((x) => x.includes('PONG\r\n'));
    const i = d.indexOf('PONG\r\n');
    this.data = i >= 0 ? d.slice(i + 6) : '';
    return (i >= 0 ? d.slice(0, i) : d).replace(/^(INFO [^\r]*|PING)\r\n/gm, '');
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Send a raw HTTP request to `port` and return the status code of the response. */
export function httpStatus(port: number, request: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let buf = '';
    const t = setTimeout(() => done(), 3000);
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m === null) reject(new Error(`no HTTP status in ${JSON.stringify(buf)}`));
      else resolve({ status: Number(m[1]), text: buf });
    };
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (/\r\n\r\n/.test(buf)) {
        const cl = /content-length: (\d+)/i.exec(buf);
        const body = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        if (/^HTTP\/1\.1 101/.test(buf) || (cl !== null && body.length >= Number(cl[1]))) done();
      }
    });
    s.on('end', done);
    s.on('error', () => done());
  });
}

/** The websocket port of one of our servers. */
export function wsPort(srv: RunningServer): number {
  return (srv.server.websocket as unknown as { port: number }).port;
}

/** The websocket port of a Go server, from its log line. */
export async function goWsPort(g: GoServer): Promise<number> {
  const m = await waitFor(() => /Listening for websocket clients on wss?:\/\/[^\s]+:(\d+)/.exec(g.logs()), 5000);
  return Number(m![1]);
}

export const GOOD_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** An upgrade request with the given overrides (null removes a header). */
export function upgradeRequest(opts: { method?: string; path?: string; headers?: Record<string, string | null> } = {}): string {
  const h: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': GOOD_KEY,
    'Sec-WebSocket-Version': '13',
    ...opts.headers,
  };
  let s = `${opts.method ?? 'GET'} ${opts.path ?? '/'} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null) s += `${k}: ${v}\r\n`;
  return s + '\r\n';
}
