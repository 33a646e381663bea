/**
 * The `websocket {}` listener (Go websocket.go startWebsocketServer,
 * wsUpgrade, createWSClient): an HTTP(S) server whose upgrades become NATS
 * client connections, or leaf node connections on Go's `/leafnode` path.
 * Go's checks decide the status codes; `ws` (noServer mode) then completes
 * the handshake and does the framing.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Server, ClientTransport } from '../server/server.js';
import type { Options, WebsocketOptions } from '../config/options.js';
import type { ServerInfo } from '../server/info.js';
import type { Authenticator } from '../auth/types.js';
import { ConfiguredAuth } from '../auth/authenticator.js';
import { TlsSetup } from '../server/tls.js';
import { hostPort } from '../server/server.js';
import { listenOn } from '../util/listen.js';
import { validateWebsocketOptions } from '../config/websocket.js';
import { WS_MAX_FRAME, WsSocket } from './adapter.js';
import { checkUpgrade, upgradeKind, offersCompression, rejectUpgrade, httpErrorBody, OriginPolicy, KIND_LEAF, KIND_MQTT } from './upgrade.js';

export class WebSocketListener implements ClientTransport {
  readonly connectionType = 'WEBSOCKET' as const;
  readonly authTimeoutMs: number;
  /** the override authenticator and the options it was built from (rebuilt after a config reload) */
  private authFor: Options | null = null;
  private authOverride: Authenticator | null = null;
  private readonly o: WebsocketOptions;
  private readonly origins: OriginPolicy;
  private readonly tls: TlsSetup | null;
  /** one `ws` server per compression choice: Go compresses only when configured and the client asks */
  private readonly plainWss: WebSocketServer;
  private readonly deflateWss: WebSocketServer;
  private http: http.Server | null = null;
  private boundPort = 0;
  private readonly open = new Set<Duplex>();

  constructor(private readonly srv: Server) {
    this.o = srv.opts.websocket!;
    const o = this.o;
    this.origins = new OriginPolicy(o);
    this.tls = o.tls ? new TlsSetup(o.tls) : null;
    this.authTimeoutMs = o.auth_timeout;
    const headers = o.headers;
    const base = { noServer: true, maxPayload: WS_MAX_FRAME, clientTracking: false } as const;
    this.plainWss = new WebSocketServer({ ...base, perMessageDeflate: false });
    // Go answers with both no-context-takeover parameters (wsPMCFullResponse).
    this.deflateWss = new WebSocketServer({
      ...base,
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 64 },
    });
    for (const w of [this.plainWss, this.deflateWss]) {
      w.on('headers', (h: string[]) => {
        for (const [k, v] of Object.entries(headers)) h.push(`${k}: ${v}`);
      });
    }
  }

  /**
   * Go wsConfigAuth: a username, token or no_auth_user in the block overrides
   * the server's single user/token for websocket clients (the server's users
   * still apply). Built from the running options, so a reload's users count.
   */
  get auth(): Authenticator | null {
    const opts = this.srv.opts;
    if (this.authFor !== opts) {
      const o = opts.websocket ?? this.o;
      const override = o.username !== '' || o.token !== '' || o.no_auth_user !== '';
      this.authOverride = override
        ? new ConfiguredAuth({
            ...opts,
            username: o.username || undefined,
            password: o.password || undefined,
            authorization: o.token || undefined,
            no_auth_user: o.no_auth_user || undefined,
          })
        : null;
      this.authFor = opts;
    }
    return this.authOverride;
  }

  get port(): number {
    return this.boundPort;
  }

  get secure(): boolean {
    return this.tls !== null;
  }

  /** Go generateClientInfoJSON for a websocket client: TLS and host/port are the websocket listener's. */
  info(): Partial<ServerInfo> {
    return { tls_required: this.secure, tls_available: this.secure, host: this.o.host, port: this.boundPort, connect_urls: undefined };
  }

  /**
   * Go getConnectURLs(o.Advertise, o.Host, o.Port) for the websocket
   * listener: `advertise` (its port defaulting to the bound one), else the
   * listen host and port (loopback for an any-address, as for client URLs).
   */
  connectURLs(): string[] {
    const port = this.boundPort;
    const adv = this.o.advertise.trim();
    if (adv !== '') {
      const m = /^\[([^\]]*)\](?::(-?\d+))?$/.exec(adv) ?? /^([^:]*)(?::(-?\d+))?$/.exec(adv);
      if (m === null) return [adv];
      const p = m[2] === undefined ? port : Number(m[2]);
      return [hostPort(m[1].trim(), p === 0 || p === -1 ? port : p)];
    }
    let h = this.o.host;
    if (h === '0.0.0.0' || h === '::' || h === '') h = '127.0.0.1';
    return [hostPort(h, port)];
  }

  async start(): Promise<void> {
    const o = this.o;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.onRequest(req, res);
    const t = this.tls?.opts;
    const hs = t
      ? https.createServer(
          {
            cert: readFileSync(t.cert_file!),
            key: readFileSync(t.key_file!),
            ca: t.ca_file ? readFileSync(t.ca_file) : undefined,
            minVersion: t.min_version === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
            requestCert: t.verify,
            rejectUnauthorized: t.verify,
          },
          handler,
        )
      : http.createServer(handler);
    if (o.handshake_timeout > 0) {
      hs.headersTimeout = o.handshake_timeout;
      hs.requestTimeout = o.handshake_timeout;
    }
    hs.on('upgrade', (req: http.IncomingMessage, sock: Duplex, head: Buffer) => this.onUpgrade(req, sock, head));
    hs.on('clientError', (_e, sock: Duplex) => {
      if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else sock.destroy();
    });
    const port = await listenOn(hs, o.port, o.host, (e) => this.srv.log.error(`websocket listener error: ${e.message}`));
    this.http = hs;
    this.boundPort = port;
    const scheme = this.tls ? 'wss' : 'ws';
    this.srv.log.info(`Listening for websocket clients on ${scheme}://${hostPort(o.host, this.boundPort)}`);
    if (!this.tls) this.srv.log.warn('Websocket not configured with TLS. DO NOT USE IN PRODUCTION!');
  }

  async stop(): Promise<void> {
    const hs = this.http;
    this.http = null;
    for (const s of this.open) s.destroy();
    this.open.clear();
    if (hs === null) return;
    await new Promise<void>((r) => {
      hs.close(() => r());
      hs.closeAllConnections();
    });
  }

  /** A plain HTTP request (no Upgrade): Go runs the same checks, so it fails them with Go's status. */
  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const bad = checkUpgrade(req, upgradeKind(req), this.origins, this.secure, this.srv.mqtt !== null) ?? { status: 400, reason: 'websocket upgrade not supported' };
    this.srv.log.error(`${req.socket.remoteAddress}:${req.socket.remotePort} - websocket handshake error: ${bad.reason}`);
    res.writeHead(bad.status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Sec-Websocket-Version': '13',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(httpErrorBody(bad.status));
  }

  private onUpgrade(req: http.IncomingMessage, sock: Duplex, head: Buffer): void {
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (!this.srv.isRunning() || this.srv.ldm) {
      sock.destroy();
      return;
    }
    const kind = upgradeKind(req);
    const bad = checkUpgrade(req, kind, this.origins, this.secure, this.srv.mqtt !== null);
    if (bad !== null) {
      this.srv.log.error(`${remote} - websocket handshake error: ${bad.reason}`);
      rejectUpgrade(sock, bad.status);
      return;
    }
    if (head.length > 0) {
      this.srv.log.error(`${remote} - websocket handshake error: client sent data before handshake is complete`);
      rejectUpgrade(sock, 400);
      return;
    }
    (req.socket as net.Socket).setNoDelay(true);
    const compress = this.o.compression && offersCompression(req);
    const wss = compress ? this.deflateWss : this.plainWss;
    wss.handleUpgrade(req, sock, head, (ws: WebSocket) => this.onOpen(ws, req, kind));
  }

  private onOpen(ws: WebSocket, req: http.IncomingMessage, kind: number): void {
    // Before CONNECT a frame may hold the CONNECT line and, pipelined behind it, one largest message.
    const opts = this.srv.opts;
    const preAuth = kind === KIND_LEAF || kind === KIND_MQTT ? 0 : opts.max_payload + 2 * opts.max_control_line;
    const s = new WsSocket(ws, { address: req.socket.remoteAddress, port: req.socket.remotePort, secure: this.secure }, preAuth);
    this.open.add(s);
    s.once('close', () => this.open.delete(s));
    s.on('error', () => {
      /* handled by the connection */
    });
    const sock = s as unknown as net.Socket;
    if (kind === KIND_LEAF) {
      const ln = this.srv.leafnodes;
      // Go: leaf connections on the websocket port need the leafnode listener configured.
      if (ln === null || ln.port === 0) {
        this.srv.log.error('Not configured to accept leaf node connections');
        s.destroy();
        return;
      }
      ln.acceptSocket(sock, true);
      return;
    }
    if (kind === KIND_MQTT) {
      // Go createMQTTClient(conn, ws): an MQTT client whose bytes come in websocket frames
      const mq = this.srv.mqtt;
      if (mq === null) s.destroy();
      else mq.acceptWebSocket(sock);
      return;
    }
    this.srv.createClient(sock, false, this);
  }
}

/** Start the websocket listener when `websocket {}` configures a port (Go startWebsocketServer). */
export async function enableWebSocket(srv: Server): Promise<WebSocketListener | null> {
  const o = srv.opts.websocket;
  if (o === undefined || o.port === 0) return null;
  validateWebsocketOptions(srv.opts);
  const l = new WebSocketListener(srv);
  srv.websocket = l;
  await l.start();
  srv.onShutdown(() => l.stop());
  return l;
}
