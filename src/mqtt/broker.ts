/**
 * The MQTT listener and its state (Go startMQTT, createMQTTClient, srvMQTT):
 * a TCP (or TLS, handshake first) listener whose connections are MQTT
 * clients of the server, one account manager per account, the `mqtt {}`
 * authorization override (Go mqttConfigAuth), and the /varz `mqtt` block.
 * MQTT over WebSocket arrives through `acceptWebSocket` from the websocket
 * listener's `/mqtt` path.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Server, MqttHooks } from '../server/server.js';
import type { Account } from '../accounts/account.js';
import type { MqttOptions, Options } from '../config/options.js';
import type { Authenticator } from '../auth/types.js';
import { ConfiguredAuth } from '../auth/authenticator.js';
import { hostPort } from '../server/server.js';
import { listenOn } from '../util/listen.js';
import { ConfigError } from '../util/errors.js';
import { MqttAccountManager } from './account-manager.js';
import { MqttClient } from './connection.js';
import { getHash } from './ids.js';

export class MqttBroker implements MqttHooks {
  readonly opts: MqttOptions;
  /** Go jsa.id / NodeName: the hash of the server name */
  readonly id: string;
  private readonly managers = new Map<string, MqttAccountManager>();
  private listener: net.Server | null = null;
  private boundPort = 0;
  private authFor: Options | null = null;
  private authOverride: Authenticator | null = null;
  private tlsContext: tls.SecureContextOptions | null = null;
  /** MQTT clients connected now (the listener's and the websocket ones) */
  readonly clients = new Set<MqttClient>();

  constructor(readonly server: Server) {
    this.opts = server.opts.mqtt!;
    this.id = getHash(server.name);
    const t = this.opts.tls;
    if (t) {
      if (!t.cert_file || !t.key_file) throw new ConfigError("missing 'cert_file' or 'key_file' in TLS configuration");
      try {
        this.tlsContext = {
          cert: readFileSync(t.cert_file),
          key: readFileSync(t.key_file),
          ca: t.ca_file ? readFileSync(t.ca_file) : undefined,
          minVersion: t.min_version === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
        };
        tls.createSecureContext(this.tlsContext);
      } catch (e) {
        throw new ConfigError(`error parsing X509 certificate/key pair: ${(e as Error).message}`);
      }
    }
  }

  get port(): number {
    return this.boundPort;
  }

  /**
   * Go mqttConfigAuth: a user name, token or no_auth_user in the block
   * overrides the server's single user/token for MQTT clients (the users of
   * the server still apply). Rebuilt after a reload changes the options.
   */
  get auth(): Authenticator {
    const opts = this.server.opts;
    if (this.authFor !== opts) {
      const o = this.opts;
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
    return this.authOverride ?? this.server.auth;
  }

  get authTimeoutMs(): number {
    return this.opts.auth_timeout > 0 ? this.opts.auth_timeout : this.server.authTimeoutMs();
  }

  /** The account's manager, created at its first CONNECT (Go getOrCreateMQTTAccountSessionManager). */
  manager(acc: Account): MqttAccountManager {
    let m = this.managers.get(acc.name);
    if (m === undefined) {
      m = new MqttAccountManager(this, acc);
      this.managers.set(acc.name, m);
    }
    return m;
  }

  existingManager(acc: Account): MqttAccountManager | undefined {
    return this.managers.get(acc.name);
  }

  async start(): Promise<void> {
    const o = this.opts;
    const ctx = this.tlsContext;
    const t = o.tls;
    const srv = ctx !== null && t
      ? tls.createServer({ ...ctx, requestCert: t.verify, rejectUnauthorized: t.verify, handshakeTimeout: t.timeout }, (s) => this.accept(s, true))
      : net.createServer({ noDelay: true }, (s) => this.accept(s, false));
    srv.on('tlsClientError', (e: Error, s: tls.TLSSocket) => {
      this.server.log.error(`${s.remoteAddress}:${s.remotePort} - TLS handshake error: ${e.message}`);
      s.destroy();
    });
    this.boundPort = await listenOn(srv, o.port, o.host, (e) => this.server.log.error(`MQTT listener error: ${e.message}`));
    this.listener = srv;
    this.server.log.info(`Listening for MQTT clients on ${t ? 'tls' : 'mqtt'}://${hostPort(o.host, this.boundPort)}`);
  }

  async stop(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    for (const c of [...this.clients]) c.closeConnection('Server Shutdown');
    for (const m of this.managers.values()) m.close();
    this.managers.clear();
    if (l !== null) await new Promise<void>((r) => l.close(() => r()));
  }

  private accept(sock: net.Socket, secure: boolean): void {
    const srv = this.server;
    if (!srv.isRunning() || srv.ldm) {
      sock.destroy();
      return;
    }
    sock.on('error', () => {
      /* handled by the client */
    });
    this.createClient(sock, false, secure);
  }

  acceptWebSocket(sock: net.Socket): void {
    this.createClient(sock, true, false);
  }

  private createClient(sock: net.Socket, ws: boolean, secure: boolean): void {
    const srv = this.server;
    const c = new MqttClient(srv, sock, srv.nextConnectionId(), srv.globalAccount, this, ws);
    if (secure) {
      const ts = sock as tls.TLSSocket;
      c.tlsVersion = ts.getProtocol?.() ?? '';
      c.tlsCipher = ts.getCipher?.()?.name ?? '';
    }
    if (!srv.registerClient(c)) {
      sock.destroy();
      return;
    }
    this.clients.add(c);
    c.startReading(this.auth.authRequired, this.authTimeoutMs);
  }

  forget(c: MqttClient): void {
    this.clients.delete(c);
  }

  /** Go MQTTOptsVarz (omitempty fields left out). */
  varz(): Record<string, unknown> {
    const o = this.opts;
    const v: Record<string, unknown> = { host: o.host, port: this.boundPort };
    if (o.no_auth_user) v.no_auth_user = o.no_auth_user;
    if (o.auth_timeout > 0) v.auth_timeout = o.auth_timeout / 1000;
    if (o.tls?.verify_and_map) v.tls_map = true;
    // Go setBaselineOptions: the MQTT TLS timeout defaults to 2s whether TLS is configured or not
    v.tls_timeout = (o.tls?.timeout ?? 2000) / 1000;
    if (o.js_domain) v.js_domain = o.js_domain;
    if (o.ack_wait > 0) v.ack_wait = o.ack_wait * 1e6;
    if (o.max_ack_pending > 0) v.max_ack_pending = o.max_ack_pending;
    return v;
  }
}

/** Start the MQTT listener when `mqtt {}` configures a port (Go startMQTT). */
export async function enableMqtt(srv: Server): Promise<MqttBroker | null> {
  const o = srv.opts.mqtt;
  if (o === undefined || o.port === 0) return null;
  const b = new MqttBroker(srv);
  srv.mqtt = b;
  await b.start();
  srv.onShutdown(() => b.stop());
  return b;
}
