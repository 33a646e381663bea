/**
 * One MQTT connection (Go client.go with c.mqtt set): a Client of the
 * server, in its account, listed in /connz, whose bytes are MQTT packets
 * instead of NATS protocol. Packets are processed in order; a handler that
 * must wait for JetStream (CONNECT, SUBSCRIBE, a QoS 1 store whose answer is
 * not immediate) holds the rest of the input until it is done, as Go's read
 * loop blocks. The handlers live in handlers/, one file per packet family.
 */
import type { Socket } from 'node:net';
import { Client } from '../conn/client.js';
import { ClosedReason } from '../conn/closed-reason.js';
import { AuthTimer } from '../conn/auth-timer.js';
import type { ClientHost } from '../conn/host.js';
import type { Account } from '../accounts/account.js';
import type { AuthResult, ClientPermissions, JwtUserInfo } from '../auth/types.js';
import { InternalClient } from '../server/internal-client.js';
import * as C from './codec/constants.js';
import { decodePacket, UnsupportedProtocolError } from './codec/decode.js';
import { encodeDisconnect, PINGRESP_BYTES } from './codec/encode.js';
import { Framer, FRAME_MALFORMED, FRAME_NONE, FRAME_TOO_LARGE } from './codec/framer.js';
import { MqttDecodeError } from './codec/reader.js';
import type { Packet, Properties } from './codec/packets.js';
import type { MqttBroker } from './broker.js';
import type { MqttAccountManager } from './account-manager.js';
import type { MqttSession } from './session.js';
import { deliverQoS0, MqttSubscription } from './deliver.js';
import type { Subscription } from '../conn/subscription.js';
import { onConnect, sendConnackError } from './handlers/connect.js';
import { onPublish, onPubRel } from './handlers/publish.js';
import { onSubscribe, onUnsubscribe } from './handlers/subscribe.js';
import { onPubAck, onPubComp, onPubRec } from './handlers/acks.js';
import { handleClosed } from './handlers/close.js';

/** The will of a connection, ready to publish (Go mqttWill). */
export interface WillMsg {
  topic: string;
  subject: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  properties: Properties;
}

/** 5.0 state negotiated at CONNECT. */
export class V5State {
  /** client's Receive Maximum [MQTT-3.1.2-?]: QoS 1/2 PUBLISH in flight to it */
  receiveMaximum = 65535;
  /** client's Maximum Packet Size: larger packets are not sent to it [MQTT-3.1.2-24] */
  maximumPacketSize = 0;
  /** Topic Alias Maximum the client accepts from us */
  topicAliasMaximum = 0;
  /** send Reason String / User Properties (Request Problem Information) */
  problemInfo = true;
  /** aliases the client set on its PUBLISH packets */
  readonly inAliases = new Map<number, string>();
  /** aliases we gave topics sent to the client */
  readonly outAliases = new Map<string, number>();
  /** will delay interval (s) */
  willDelay = 0;
}

export class MqttClient extends Client {
  readonly framer: Framer;
  /** protocol level (4 = 3.1.1, 5 = 5.0) once CONNECT is processed */
  version = C.MQTT_3_1_1;
  session: MqttSession | null = null;
  asm: MqttAccountManager | null = null;
  will: WillMsg | null = null;
  /** 5.0 only */
  v5: V5State | null = null;
  /** publishes route as this client */
  readonly pub: InternalClient;
  /** the last topic published and its subject (most publishers repeat the topic) */
  lastTopic = '';
  lastSubject = '';
  private lastTopicBuf: Buffer | null = null;
  private lastTopicFor = '';
  /** subscriptions on filters (the QoS 0 path), for overlapping-filter delivery */
  readonly filterSubs = new Set<MqttSubscription>();
  /** a DISCONNECT was received (Go: no will is sent) */
  gotDisconnect = false;
  private busy = false;
  private kaMs = 0;
  private kaTimer: NodeJS.Timeout | null = null;
  private readonly authTimer2 = new AuthTimer();
  private labelCache = '';

  constructor(
    host: ClientHost & { route: ClientHost['route'] },
    socket: Socket,
    cid: number,
    acc: Account,
    readonly broker: MqttBroker,
    readonly ws: boolean,
  ) {
    super(host, socket, cid, acc);
    this.connectionType = ws ? 'MQTT_WS' : 'MQTT';
    // Go createMQTTClient: headers on, echo on, not verbose or pedantic
    this.headers = true;
    this.echo = true;
    this.verbose = false;
    this.pedantic = false;
    this.authSource = { auth: broker.auth };
    // Go: before CONNECT a packet may be at most max_payload bytes
    this.framer = new Framer(this.mpay > 0 ? this.mpay : 0);
    this.pub = new InternalClient(host, cid, acc, this);
  }

  // ------------------------------------------------------------------ I/O

  override startReading(authRequired: boolean, authTimeoutMs = this.host_.authTimeoutMs()): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onBytes(chunk));
    s.on('error', () => this.closeConnection(ClosedReason.ReadError));
    s.on('close', () => this.closeConnection(ClosedReason.ClientClosed));
    s.on('drain', () => this.onDrain());
    if (authRequired) this.authTimer2.start(this, authTimeoutMs);
  }

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    this.lastIn = Date.now();
    if (this.kaTimer !== null) this.kaTimer.refresh();
    this.framer.push(chunk);
    this.process();
  }

  /** Decode and handle buffered packets until none is left or a handler waits. */
  private process(): void {
    if (this.busy || this.closed) return;
    const f = this.framer;
    this.host_.beginRead(this);
    try {
      while (!this.busy && !this.closed) {
        const st = f.next();
        if (st === FRAME_NONE) break;
        if (st === FRAME_MALFORMED) {
          this.protocolError(C.ReasonCode.MalformedPacket, 'malformed variable int');
          break;
        }
        if (st === FRAME_TOO_LARGE) {
          if (!this.connectReceived) {
            this.host_.log.error(`${this.label()} - Maximum Payload Exceeded: ${f.size} vs ${f.maxPacket}`);
            this.closeConnection(ClosedReason.MaxPayloadExceeded);
          } else this.protocolError(C.ReasonCode.PacketTooLarge, `packet of ${f.size} bytes exceeds the maximum of ${f.maxPacket}`);
          break;
        }
        const h = f.header;
        if (!this.connectReceived && h.type !== C.CONNECT) {
          const isGet = f.buf[f.start - f.header.headerLen] === 0x47 && f.buf.latin1Slice(f.start - h.headerLen, f.start - h.headerLen + 4) === 'GET ';
          this.fail(isGet && !this.ws ? 'MQTT clients over websocket must connect to the Websocket port, not the MQTT port' : `the first packet should be a CONNECT (16), got ${h.type << 4}`);
          break;
        }
        let p: Packet;
        try {
          p = decodePacket(h.type, h.flags, f.buf, f.start, f.end, this.version);
        } catch (e) {
          this.decodeFailed(e);
          break;
        }
        this.dispatch(p);
      }
    } catch (e) {
      // Nothing may throw out of a socket handler: an internal fault closes this connection only.
      this.host_.log.error(`${this.label()} - internal error while processing MQTT input: ${(e as Error).stack ?? e}`);
      this.closeConnection(ClosedReason.ProtocolViolation);
    } finally {
      this.host_.endRead();
    }
  }

  private decodeFailed(e: unknown): void {
    if (e instanceof UnsupportedProtocolError) {
      if (e.protocolName === 'MQIsdp') this.fail(`older protocol "MQIsdp" not supported`);
      else {
        // [MQTT-3.1.2-2]: CONNACK 0x01 (the 3.1.1 form, as the level is unknown), then close
        this.enqueue(Buffer.from([0x20, 2, 0, C.RC_UNACCEPTABLE_PROTOCOL]));
        this.fail(e.message);
      }
      return;
    }
    if (e instanceof MqttDecodeError) {
      if (!this.connectReceived && this.version === C.MQTT_5) sendConnackError(this, e.reasonCode);
      this.protocolError(e.reasonCode, e.message);
      return;
    }
    throw e;
  }

  private dispatch(p: Packet): void {
    switch (p.type) {
      case C.CONNECT:
        // Go errMQTTSecondConnectPacket / [MQTT-3.1.0-2]
        if (this.connectReceived) return this.protocolError(C.ReasonCode.ProtocolError, 'received a second CONNECT packet');
        return onConnect(this, p);
      case C.PUBLISH: return onPublish(this, p);
      case C.PUBACK: return onPubAck(this, p);
      case C.PUBREC: return onPubRec(this, p);
      case C.PUBREL: return onPubRel(this, p);
      case C.PUBCOMP: return onPubComp(this, p);
      case C.SUBSCRIBE: return onSubscribe(this, p);
      case C.UNSUBSCRIBE: return onUnsubscribe(this, p);
      case C.PINGREQ:
        if (this.host_.log.traceEnabled) this.trace('<<- [PINGREQ]');
        this.enqueue(PINGRESP_BYTES);
        return;
      case C.DISCONNECT:
        if (this.host_.log.traceEnabled) this.trace('<<- [DISCONNECT]');
        // [MQTT-3.1.2-8] (3.1.1) / [MQTT-3.14.4-3] (5.0): a normal disconnect discards the will,
        // unless 5.0 asked for it (Disconnect with Will Message, 0x04)
        if (!(this.version === C.MQTT_5 && p.reasonCode === C.ReasonCode.DisconnectWithWill)) this.will = null;
        if (this.v5 !== null && p.properties.sessionExpiryInterval !== undefined && this.session !== null) {
          // [MQTT-3.14.2-2]: a session that ended with the connection may not be given an expiry now
          if (this.session.expiry === 0 && p.properties.sessionExpiryInterval !== 0) return this.protocolError(C.ReasonCode.ProtocolError, 'session expiry set on DISCONNECT after 0 at CONNECT');
          this.session.expiry = p.properties.sessionExpiryInterval;
        }
        this.gotDisconnect = true;
        this.closeConnection(ClosedReason.ClientClosed);
        return;
      case C.AUTH:
        // no enhanced authentication here: [MQTT-4.12.0-1] an AUTH without an authentication method in CONNECT is a Protocol Error
        return this.protocolError(C.ReasonCode.ProtocolError, 'AUTH packet received but no enhanced authentication is configured');
      default:
        return this.fail(`received unknown packet type ${p.type}`);
    }
  }

  /** Hold further input until `done()` (a handler waiting for JetStream). */
  suspend(): () => void {
    this.busy = true;
    this.socket.pause();
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      this.busy = false;
      if (this.closed) return;
      this.socket.resume();
      this.process();
    };
  }

  /** Run an async handler with the input held; a failure closes the connection with its error. */
  runHeld(fn: () => Promise<void>): void {
    const done = this.suspend();
    fn().then(done, (e: Error) => {
      if (!this.closed) this.fail(e.message);
      done();
    });
  }

  // ------------------------------------------------------------------ errors and close

  /** Go: an error from the parser is logged and closes with Protocol Violation. */
  fail(msg: string, reason: ClosedReason = ClosedReason.ProtocolViolation): void {
    if (this.closed) return;
    this.host_.log.error(`${this.label()} - ${msg}`);
    this.closeConnection(reason);
  }

  /** A protocol fault: 5.0 tells the client with a DISCONNECT reason code [MQTT-4.13.1-1], then close. */
  protocolError(code: number, msg: string): void {
    if (this.closed) return;
    if (this.version === C.MQTT_5 && this.connectReceived) this.sendDisconnect(code, msg);
    this.fail(msg);
  }

  /** 5.0 server DISCONNECT [MQTT-3.14]: reason code, and a Reason String if the client wants problem information. */
  sendDisconnect(code: number, reason = ''): void {
    if (this.version !== C.MQTT_5 || this.closed) return;
    const props: Properties = reason !== '' && this.v5?.problemInfo !== false ? { reasonString: reason } : {};
    this.enqueue(encodeDisconnect(C.MQTT_5, code, props));
  }

  override unsubscribe(sub: Subscription): void {
    if (sub instanceof MqttSubscription) this.filterSubs.delete(sub);
    super.unsubscribe(sub);
  }

  /** Track a new subscription (filter subscriptions take part in overlap resolution). */
  addedSub(sub: MqttSubscription): void {
    if (sub.icb === deliverQoS0 && sub.queue === null) this.filterSubs.add(sub);
  }

  /** Go sendErr is a no-op for MQTT clients: they have no -ERR. */
  override sendErr(_text: string): void {}

  override closeConnection(reason: ClosedReason): void {
    if (this.closed) return;
    this.authTimer2.clear();
    if (this.kaTimer !== null) clearTimeout(this.kaTimer);
    this.kaTimer = null;
    if (reason === ClosedReason.ServerShutdown) this.sendDisconnect(C.ReasonCode.ServerShuttingDown);
    else if (reason === ClosedReason.DuplicateClientID) this.sendDisconnect(C.ReasonCode.SessionTakenOver);
    super.closeConnection(reason);
    this.broker.forget(this);
    handleClosed(this);
  }

  // ------------------------------------------------------------------ CONNECT support

  /** Keep alive: no packet within 1.5 times the interval closes the connection [MQTT-3.1.2-24]. */
  armKeepAlive(seconds: number): void {
    this.kaMs = Math.floor(seconds * 1.5) * 1000;
    if (this.kaMs <= 0) return;
    this.kaTimer = setTimeout(() => {
      if (this.closed) return;
      if (Date.now() - this.lastIn < this.kaMs) {
        this.kaTimer?.refresh();
        return;
      }
      this.sendDisconnect(C.ReasonCode.KeepAliveTimeout);
      this.host_.log.debug(`${this.label()} - Keep alive timeout`);
      this.closeConnection(ClosedReason.ReadError);
    }, this.kaMs);
    this.kaTimer.unref?.();
  }

  clearAuthTimer(): void {
    this.authTimer2.clear();
  }

  /** Bind the authenticated user (Client.applyAuth); false when the connection was closed. */
  bindUser(r: AuthResult): boolean {
    return this.applyAuth(r.user, r.permissions, r.account, r.jwt);
  }

  get permissions(): ClientPermissions | null {
    return this.perms;
  }

  get jwt(): JwtUserInfo | null {
    return this.jwtUser;
  }

  setClientId(id: string): void {
    this.mqttClient = id;
    this.labelCache = '';
  }

  /** Go: the connection is named with its client id once CONNECT is parsed (`... - cid:5 - "id"`). */
  override label(): string {
    if (this.labelCache === '') {
      const base = `${this.host}:${this.port} - cid:${this.cid}`;
      this.labelCache = this.mqttClient !== '' ? `${base} - ${JSON.stringify(this.mqttClient)}` : base;
    }
    return this.labelCache;
  }

  trace(msg: string): void {
    this.host_.log.trace(`${this.label()} - ${msg}`);
  }

  get log() {
    return this.host_.log;
  }

  get host2(): ClientHost {
    return this.host_;
  }

  /** The bytes of `lastTopic` (built once while the publisher repeats its topic). */
  lastTopicBytes(): Buffer {
    if (this.lastTopicBuf === null || this.lastTopicFor !== this.lastTopic) {
      this.lastTopicBuf = Buffer.from(this.lastTopic, 'latin1');
      this.lastTopicFor = this.lastTopic;
    }
    return this.lastTopicBuf;
  }

  /** Allow bigger packets once connected (publish payloads are checked against max_payload). */
  setMaxPacket(n: number): void {
    this.framer.maxPacket = n;
  }
}
