/**
 * What a route and a gateway connection have in common (Go client.go for
 * the ROUTER and GATEWAY kinds): reading the socket through a link parser,
 * the output buffer, the auth timer of an accepted link, PING/PONG
 * keepalive with an early first PING, stats counters, protocol errors and
 * the close path. RouteConn and GatewayConn add their handshake, interest
 * and message delivery.
 */
import net from 'node:net';
import { Parser, KIND_ROUTER, type ParserHandler, type PubArg } from '../../protocol/parser.js';
import * as E from '../../protocol/errors.js';
import { Outbound } from '../../conn/outbound.js';
import { Client } from '../../conn/client.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { AuthTimer } from '../../conn/auth-timer.js';
import { Stall, STALL_REPORT_MS, gatedDelivery, closeGate } from '../../conn/stall.js';
import { WriteDeadline } from '../../conn/write-deadline.js';
import type { Server } from '../../server/server.js';
import { latin1 } from '../../util/bytes.js';
import { RoutedArgs } from '../route/routed-args.js';
import { encodeRoutedMsg } from './routed-msg.js';
import { releaseSocket } from '../../conn/socket-close.js';

const PING = Buffer.from('PING\r\n');
const PONG = Buffer.from('PONG\r\n');
/** Go firstPingInterval: an early PING after the handshake measures the RTT. */
export const FIRST_PING_MS = 1000;

export abstract class LinkConn implements ParserHandler {
  readonly parser: Parser;
  readonly out = new Outbound();
  /** stands in for this link where a Client is expected (subscription owner, producer of deliveries) */
  readonly proxy: Client;
  readonly start = new Date();
  readonly host: string;
  readonly port: number;
  remoteId = '';
  remoteName = '';
  infoReceived = false;
  connectReceived = false;
  registered = false;
  headers = false;
  /** set when this connection must not be redialed once closed */
  noReconnect = false;
  /** ms timestamp of the last input (Go c.last) */
  lastIn = Date.now();
  rtt = 0;
  protected rttStart = 0;
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  closed = false;
  closeReason: ClosedReason | null = null;
  dirty = false;
  /** bytes handed to the socket but not yet written, as of the last flush */
  sockPending = 0;
  /** fast-producer stall: the link's gate as a consumer, its waits as a producer (shared with the proxy) */
  readonly stall: Stall;
  private readonly writeDeadline: WriteDeadline;
  protected pingsOut = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private readonly authTimer = new AuthTimer();
  /** arguments of the routed message being parsed */
  protected readonly ra = new RoutedArgs();

  constructor(
    protected readonly srv: Server,
    readonly socket: net.Socket,
    readonly cid: number,
    /** names the link in log lines: `Route` or `Gateway` */
    private readonly kind: 'Route' | 'Gateway',
  ) {
    // Go lets route, leaf and gateway links use 16 times the client control line limit.
    this.parser = new Parser(this, srv.opts.max_control_line * 16, KIND_ROUTER);
    this.proxy = new Client(srv, new net.Socket(), cid, srv.globalAccount);
    this.proxy.headers = true;
    this.proxy.connectReceived = true;
    this.host = socket.remoteAddress ?? '';
    this.port = socket.remotePort ?? 0;
    this.stall = new Stall(socket, {
      mayResume: () => !this.closed,
      caughtUp: () => this.socket.writableLength < srv.opts.max_pending * 0.75,
      stalled: (ms) => {
        if (ms >= STALL_REPORT_MS) srv.log.warnRateLimited('producer-stalled', `${this.label()} - Producer was stalled for a total of ${Math.round(ms)}ms`);
      },
    });
    this.proxy.stall = this.stall;
    this.proxy.linkProxy = true;
    this.writeDeadline = new WriteDeadline(socket, {
      label: () => this.label(),
      info: (m) => srv.log.info(m),
      countSlow: (already) => this.countSlow(already),
      closeSlow: () => this.closeConnection(ClosedReason.SlowConsumerWriteDeadline),
    });
    // Go: routes and gateways retry a write timeout unless their block says close.
    this.writeDeadline.policy = () => (srv.opts.write_timeout === 'close' ? 'close' : 'retry');
  }

  /** A write-deadline slow consumer, counted per kind (Go handleWriteTimeout: a route once per episode). */
  protected countSlow(already: boolean): void {
    const st = this.srv.stats;
    st.slowConsumers++;
    if (this.kind === 'Gateway') st.slowConsumersGateways++;
    else if (!already) st.slowConsumersRoutes++;
  }

  abstract label(): string;
  /** the link layer's view of the remote's INFO */
  protected abstract processInfo(info: unknown): void;
  /** the link layer forgets this connection (after the socket is closed) */
  protected abstract onClosed(reason: ClosedReason): void;
  /** period of the keepalive timer */
  protected abstract pingIntervalMs(): number;

  /** Socket events; the subclass decides about CONNECT, the auth timer and the first PING. */
  protected listen(): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', () => this.closeConnection(ClosedReason.ReadError));
    s.on('close', () => this.closeConnection(ClosedReason.ClientClosed));
    s.on('drain', () => this.onDrain());
  }

  private onDrain(): void {
    this.sockPending = this.socket.writableLength;
    if (this.sockPending === 0) {
      this.stall.open();
      this.writeDeadline.drained();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastIn = Date.now();
    const srv = this.srv;
    srv.beginRead(this.proxy);
    try {
      this.parser.parse(chunk);
    } catch (e) {
      srv.log.error(`${this.label()} - internal error while processing ${this.kind.toLowerCase()} input: ${(e as Error).stack ?? e}`);
      this.closeConnection(ClosedReason.ProtocolViolation);
    } finally {
      srv.endRead();
    }
  }

  // ------------------------------------------------------------------ output

  enqueue(buf: Buffer): void {
    if (this.closed) return;
    this.out.append(buf);
    this.srv.markDirty(this);
  }

  sendErr(text: string): void {
    this.enqueue(E.errFrame(text));
  }

  flush(): void {
    this.dirty = false;
    if (this.closed) return;
    if (this.out.flush(this.socket) === 0) return;
    const pending = this.socket.writableLength;
    this.sockPending = pending;
    if (this.stall.gated && pending < this.srv.opts.max_pending * 0.75) this.stall.open();
    this.writeDeadline.afterFlush(pending, this.srv.opts.write_deadline);
  }

  /** Bytes waiting to be written (Go pending_size). */
  pendingBytes(): number {
    return this.out.queued + (this.closed ? 0 : this.socket.writableLength);
  }

  /** Queue one RMSG/HMSG (account '' = implied by the link; mreply replaces the producer's reply; origin makes it an LMSG). */
  protected sendRoutedMsg(account: string, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number, mreply: string | null, origin = ''): void {
    if (this.closed) return;
    // Go deliverMsg/queueOutbound: the stall gate of a link that falls behind (conn/stall.ts).
    if (this.stall.gated && !gatedDelivery(this.srv, this.stall)) return;
    const n = encodeRoutedMsg(this.out, account, pa, buf, s, e, queues, nq, mreply, this.headers, origin);
    this.outMsgs++;
    this.outBytes += n;
    if (!this.dirty) this.srv.markDirty(this);
    if (this.out.queued + this.sockPending > this.srv.opts.max_pending * 0.75) closeGate(this.srv, this.stall);
  }

  // ------------------------------------------------------------------ handshake

  onNonConnectFirstOp(): boolean {
    this.authViolation();
    return false;
  }

  abstract onConnect(buf: Buffer, s: number, e: number): boolean;
  abstract onMsg(pa: PubArg, buf: Buffer, s: number, e: number): boolean;

  /** The CONNECT JSON object, or null after closing the link for a malformed one; stops the auth timer. */
  protected connectObject(buf: Buffer, s: number, e: number): Record<string, unknown> | null {
    this.authTimer.clear();
    let o: unknown;
    try {
      o = JSON.parse(buf.toString('utf8', s, e));
    } catch {
      o = null;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      this.closeConnection(ClosedReason.ProtocolViolation);
      return null;
    }
    return o as Record<string, unknown>;
  }

  /** An accepted link must send CONNECT within the auth timeout (Go setAuthTimer). */
  protected startAuthTimer(ms: number): void {
    this.authTimer.start(this, ms);
  }

  authViolation(): void {
    this.srv.log.error(`${this.label()} - authentication error`);
    this.sendErr(E.ERR_AUTH_VIOLATION);
    this.closeConnection(ClosedReason.AuthenticationViolation);
  }

  /** May this parsed INFO be handed to the link layer? */
  protected infoIsValid(_info: unknown): boolean {
    return true;
  }

  onInfo(buf: Buffer, s: number, e: number): boolean {
    let info: unknown;
    try {
      info = JSON.parse(buf.toString('utf8', s, e));
      if (!this.infoIsValid(info)) throw new Error('not an object');
    } catch {
      this.srv.log.error(`${this.label()} - invalid ${this.kind.toLowerCase()} INFO`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    this.processInfo(info);
    return !this.closed;
  }

  // ------------------------------------------------------------------ protocol

  protected protoError(what: string, buf: Buffer, s: number, e: number): false {
    this.srv.log.error(`${this.label()} - ${what} Parse Error: '${latin1(buf, s, e)}'`);
    this.closeConnection(ClosedReason.ProtocolViolation);
    return false;
  }

  /** RMSG/HMSG arguments that did not parse (Go processRoutedMsgArgs errors). */
  protected routedArgsError(err: string): false {
    this.srv.log.error(`${this.label()} - ${err}`);
    this.closeConnection(ClosedReason.ProtocolViolation);
    return false;
  }

  /** Count one message in, on this link and in the server totals. */
  protected countIn(n: number): void {
    this.inMsgs++;
    this.inBytes += n;
    const st = this.srv.stats;
    st.inMsgs++;
    st.inBytes += n;
  }

  /** A plain PUB on a link names no account: Go finds none and drops the message. */
  onPubArgs(): boolean {
    this.ra.account = '';
    this.ra.origin = '';
    this.ra.nq = 0;
    return true;
  }

  // Go's parser reads SUB/UNSUB on a link and does nothing with them.
  onSub(): boolean {
    return true;
  }

  onUnsub(): boolean {
    return true;
  }

  onPing(): boolean {
    this.enqueue(PONG);
    return true;
  }

  onPong(): boolean {
    this.pingsOut = 0;
    if (this.rttStart > 0) this.rtt = performance.now() - this.rttStart;
    return true;
  }

  onErr(buf: Buffer, s: number, e: number): boolean {
    this.srv.log.error(`${this.label()} - ${this.kind} Error ${buf.toString('utf8', s, e)}`);
    this.closeConnection(ClosedReason.ParseError);
    return false;
  }

  onParseError(state: number, buf: Buffer, at: number): void {
    this.sendErr(E.ERR_UNKNOWN_PROTOCOL);
    const snip = JSON.stringify(buf.toString('latin1', at, Math.min(buf.length, at + 32)));
    this.srv.log.error(`${this.label()} - ${this.kind} parser ERROR, state=${state}, i=${at}: proto='${snip}...'`);
    this.closeConnection(ClosedReason.ParseError);
  }

  onMaxControlLine(len: number): void {
    this.sendErr(E.ERR_MAX_CONTROL_LINE);
    this.srv.log.error(`${this.label()} - ${E.ERR_MAX_CONTROL_LINE}: ${len} vs ${this.parser.maxControlLine}`);
    this.closeConnection(ClosedReason.MaxControlLineExceeded);
  }

  onArgsError(op: string, buf: Buffer, s: number, e: number): void {
    this.protoError(op, buf, s, e);
  }

  // ------------------------------------------------------------------ pings

  /** A PING now (Go sendPing), e.g. to learn that the remote accepted a route before dialing the next one. */
  sendPing(): void {
    this.pingsOut++;
    this.rttStart = performance.now();
    this.enqueue(PING);
  }

  protected setPingTimer(ms: number): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.onPingTimer(), ms);
    this.pingTimer.unref?.();
  }

  /** Is a keepalive PING due at this tick? (routes skip it while traffic flows) */
  protected pingDue(): boolean {
    return true;
  }

  /** May a PING be written now? (a dialing gateway waits for the remote's INFO) */
  protected maySendPing(): boolean {
    return true;
  }

  /** A stale close is about to happen: the kind's counters (gateways count it in /varz stale_connection_stats). */
  protected countStale(): void {}

  /** Go processPingTimer: close as stale after ping_max unanswered PINGs. */
  private onPingTimer(): void {
    this.pingTimer = null;
    if (this.closed) return;
    if (this.pingDue()) {
      this.pingsOut++;
      if (this.pingsOut > this.srv.opts.ping_max) {
        this.srv.log.error(`${this.label()} - Stale Connection`);
        this.countStale();
        this.sendErr(E.ERR_STALE_CONNECTION);
        this.closeConnection(ClosedReason.StaleConnection);
        return;
      }
      if (this.maySendPing()) {
        this.rttStart = performance.now();
        this.enqueue(PING);
      } else this.pingsOut--;
    }
    this.setPingTimer(this.pingIntervalMs());
  }

  // ------------------------------------------------------------------ close

  closeConnection(reason: ClosedReason): void {
    if (this.closed) return;
    if (this.out.queued > 0 && !this.socket.destroyed) {
      try {
        this.out.flush(this.socket);
      } catch {
        /* socket already gone */
      }
    }
    this.closed = true;
    this.closeReason = reason;
    this.authTimer.clear();
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    this.writeDeadline.clear();
    this.stall.dispose();
    this.out.clear();
    releaseSocket(this.socket, false);
    this.onClosed(reason);
  }
}
