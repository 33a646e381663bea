/**
 * One gateway connection (Go client.go with kind GATEWAY, gateway.go).
 * A TCP connection between two clusters is outbound on the side that dialed
 * it and inbound on the other: messages only ever flow from the outbound
 * side to the inbound side, and interest (A+/A-, RS+/RS-, INFO commands)
 * flows back the other way.
 */
import net from 'node:net';
import { Parser, KIND_ROUTER, type ParserHandler, type PubArg } from '../../protocol/parser.js';
import * as E from '../../protocol/errors.js';
import { Outbound } from '../../conn/outbound.js';
import { Client } from '../../conn/client.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { latin1 } from '../../util/bytes.js';
import { parseRoutedArgs, RoutedArgs, splitArgs } from '../route/routed-args.js';
import { OutboundInterest } from './interest.js';
import { encodeGatewayMsg } from './encode.js';
import { remoteInterestChanged } from './leaf-bridge.js';
import type { GatewayInfo } from './info.js';
import type { GatewayManager, RemoteGateway } from './manager.js';

const PING = Buffer.from('PING\r\n');
const PONG = Buffer.from('PONG\r\n');
/** Go firstPingInterval */
const FIRST_PING_MS = 1000;

export class GatewayConn implements ParserHandler {
  readonly parser: Parser;
  readonly out = new Outbound();
  /** stands in for this connection where a Client is expected (producer of deliveries) */
  readonly proxy: Client;
  readonly start = new Date();
  readonly host: string;
  readonly port: number;
  /** remote gateway (cluster) name: known from the config when we dial, from INFO when we accept */
  name: string;
  remoteId = '';
  remoteName = '';
  infoReceived = false;
  connectReceived = false;
  registered = false;
  headers = false;
  /** the remote still uses the old `$GR.` reply prefix */
  useOldPrefix = false;
  /** what the remote told us of its interest (outbound connections only) */
  readonly interest: OutboundInterest | null;
  /** accounts switched to interest-only towards the remote (inbound connections only) */
  readonly interestOnlyAccounts = new Set<string>();
  /** accounts we told the remote we have no interest in (A-), inbound connections only */
  readonly sentAccountUnsub = new Set<string>();
  noReconnect = false;
  lastIn = Date.now();
  rtt = 0;
  private rttStart = 0;
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  closed = false;
  closeReason: ClosedReason | null = null;
  dirty = false;
  private pingsOut = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private authTimer: NodeJS.Timeout | null = null;
  private readonly ra = new RoutedArgs();

  constructor(
    readonly mgr: GatewayManager,
    readonly socket: net.Socket,
    readonly cid: number,
    readonly outbound: boolean,
    readonly cfg: RemoteGateway | null,
    /** the URL dialed (outbound only) */
    readonly url: URL | null,
  ) {
    const srv = mgr.server;
    // Go lets route, leaf and gateway links use 16 times the client control line limit.
    this.parser = new Parser(this, srv.opts.max_control_line * 16, KIND_ROUTER);
    this.parser.gateway = true;
    this.proxy = new Client(srv, new net.Socket(), cid, srv.globalAccount);
    this.proxy.headers = true;
    this.proxy.connectReceived = true;
    this.name = cfg?.name ?? '';
    this.interest = outbound ? new OutboundInterest(false) : null;
    this.host = socket.remoteAddress ?? '';
    this.port = socket.remotePort ?? 0;
  }

  label(): string {
    return `${this.host}:${this.port} - gid:${this.cid}${this.name ? ` - "${this.name}"` : ''}`;
  }

  startReading(): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', () => this.closeConnection(ClosedReason.ReadError));
    s.on('close', () => this.closeConnection(ClosedReason.ClientClosed));
    if (!this.outbound) {
      // Go createGateway: an accepted connection must send CONNECT first, within the auth timeout.
      this.parser.awaitingConnect = true;
      this.authTimer = setTimeout(() => this.onAuthTimeout(), this.mgr.authTimeoutMs());
      this.authTimer.unref?.();
    } else {
      // Nothing may be sent before the remote's INFO; the stale check still runs (Go watchForStaleConnection).
      this.setPingTimer(this.mgr.pingIntervalMs());
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastIn = Date.now();
    const srv = this.mgr.server;
    srv.beginRead(this.proxy);
    try {
      this.parser.parse(chunk);
    } catch (e) {
      srv.log.error(`${this.label()} - internal error while processing gateway input: ${(e as Error).stack ?? e}`);
      this.closeConnection(ClosedReason.ProtocolViolation);
    } finally {
      srv.endRead();
    }
  }

  // ------------------------------------------------------------------ output

  enqueue(buf: Buffer): void {
    if (this.closed) return;
    this.out.append(buf);
    this.mgr.server.markDirty(this);
  }

  enqueueString(s: string): void {
    if (s.length > 0) this.enqueue(Buffer.from(s, 'latin1'));
  }

  sendErr(text: string): void {
    this.enqueue(E.errFrame(text));
  }

  flush(): void {
    this.dirty = false;
    if (this.closed) return;
    this.out.flush(this.socket);
  }

  pendingBytes(): number {
    return this.out.queued + (this.closed ? 0 : this.socket.writableLength);
  }

  /** Send one message to the remote cluster (outbound connections only). */
  sendMsg(acc: string, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number, mreply: string | null): void {
    if (this.closed) return;
    const n = encodeGatewayMsg(this.out, acc, pa, buf, s, e, queues, nq, mreply, this.headers);
    this.outMsgs++;
    this.outBytes += n;
    if (!this.dirty) this.mgr.server.markDirty(this);
    // Go queueOutbound: what we hold for the remote beyond max_pending makes it a slow consumer.
    const max = this.mgr.server.opts.max_pending;
    if (this.out.queued + this.socket.writableLength > max) this.slowConsumer(max);
  }

  /** Go queueOutbound for a GATEWAY connection: counted in /varz slow_consumer_stats.gateways, then closed. */
  private slowConsumer(max: number): void {
    const st = this.mgr.server.stats;
    st.slowConsumers++;
    st.slowConsumersGateways++;
    this.mgr.server.log.info(`${this.label()} - Slow Consumer Detected: MaxPending of ${max} Exceeded`);
    this.closeConnection(ClosedReason.SlowConsumerPendingBytes);
  }

  // ------------------------------------------------------------------ handshake

  onNonConnectFirstOp(): boolean {
    this.authViolation();
    return false;
  }

  /** Go processGatewayConnect (inbound side). */
  onConnect(buf: Buffer, s: number, e: number): boolean {
    this.clearAuthTimer();
    let co: Record<string, unknown>;
    try {
      const o = JSON.parse(buf.toString('utf8', s, e)) as unknown;
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not an object');
      co = o as Record<string, unknown>;
    } catch {
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    if (this.outbound) return true; // Go ignores a CONNECT on an outbound
    if (!this.mgr.processConnect(this, co)) return false;
    this.connectReceived = true;
    this.parser.awaitingConnect = false;
    this.setPingTimer(FIRST_PING_MS);
    return true;
  }

  authViolation(): void {
    this.mgr.server.log.error(`${this.label()} - authentication error`);
    this.sendErr(E.ERR_AUTH_VIOLATION);
    this.closeConnection(ClosedReason.AuthenticationViolation);
  }

  private onAuthTimeout(): void {
    this.authTimer = null;
    if (this.closed || this.connectReceived) return;
    this.sendErr(E.ERR_AUTH_TIMEOUT);
    this.closeConnection(ClosedReason.AuthenticationTimeout);
  }

  private clearAuthTimer(): void {
    if (this.authTimer !== null) {
      clearTimeout(this.authTimer);
      this.authTimer = null;
    }
  }

  onInfo(buf: Buffer, s: number, e: number): boolean {
    let info: GatewayInfo;
    try {
      info = JSON.parse(buf.toString('utf8', s, e)) as GatewayInfo;
      if (typeof info !== 'object' || info === null) throw new Error('not an object');
    } catch {
      this.mgr.server.log.error(`${this.label()} - invalid gateway INFO`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    this.mgr.processInfo(this, info);
    return !this.closed;
  }

  /** First PING right after the handshake measures the RTT (Go setFirstPingTimer). */
  handshakeDone(): void {
    this.setPingTimer(FIRST_PING_MS);
  }

  // ------------------------------------------------------------------ remote interest (outbound side)

  private interestOrViolation(op: string): OutboundInterest | null {
    if (this.interest !== null) return this.interest;
    this.mgr.server.log.error(`${this.label()} - Received ${op} from gateway on inbound connection`);
    this.closeConnection(ClosedReason.ProtocolViolation);
    return null;
  }

  onRemoteSub(buf: Buffer, s: number, e: number): boolean {
    const im = this.interestOrViolation('RS+');
    if (im === null) return false;
    const f = splitArgs(buf, s, e);
    if (f === null || (f.length !== 2 && f.length !== 4)) return this.protoError('processGatewaySubjectSub', buf, s, e);
    let qw = 1;
    if (f.length === 4) {
      qw = Number(f[3]);
      if (!Number.isInteger(qw) || qw < 1) qw = 1;
    }
    const sub = im.remoteSub(f[0], f[1], f.length === 4 ? f[2] : null, qw);
    if (sub !== null) remoteInterestChanged(this.mgr.server, this, f[0], sub, 1);
    return true;
  }

  onRemoteUnsub(buf: Buffer, s: number, e: number): boolean {
    const im = this.interestOrViolation('RS-');
    if (im === null) return false;
    const f = splitArgs(buf, s, e);
    if (f === null || (f.length !== 2 && f.length !== 3)) return this.protoError('processGatewaySubjectUnsub', buf, s, e);
    const sub = im.remoteUnsub(f[0], f[1], f.length === 3 ? f[2] : null);
    if (sub !== null) remoteInterestChanged(this.mgr.server, this, f[0], sub, -1);
    return true;
  }

  onAccountSub(buf: Buffer, s: number, e: number): boolean {
    const im = this.interestOrViolation('A+');
    if (im === null) return false;
    im.accountSub(latin1(buf, s, e).trim());
    return true;
  }

  onAccountUnsub(buf: Buffer, s: number, e: number): boolean {
    const im = this.interestOrViolation('A-');
    if (im === null) return false;
    im.accountUnsub(latin1(buf, s, e).trim());
    return true;
  }

  private protoError(what: string, buf: Buffer, s: number, e: number): false {
    this.mgr.server.log.error(`${this.label()} - ${what} Parse Error: '${latin1(buf, s, e)}'`);
    this.closeConnection(ClosedReason.ProtocolViolation);
    return false;
  }

  // ------------------------------------------------------------------ messages (inbound side)

  onRoutedMsgArgs(pa: PubArg, buf: Buffer, s: number, e: number, isHeader: boolean): boolean {
    const err = parseRoutedArgs(this.ra, pa, buf, s, e, isHeader);
    if (err !== null) {
      this.mgr.server.log.error(`${this.label()} - ${err}`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    return true;
  }

  /** A plain PUB names no account: dropped, as on routes. */
  onPubArgs(): boolean {
    this.ra.account = '';
    this.ra.nq = 0;
    return true;
  }

  onMsg(pa: PubArg, buf: Buffer, s: number, e: number): boolean {
    this.inMsgs++;
    this.inBytes += e - s;
    const st = this.mgr.server.stats;
    st.inMsgs++;
    st.inBytes += e - s;
    if (this.ra.account !== '') this.mgr.processInboundMsg(this, this.ra.account, pa, buf, s, e, this.ra.queues, this.ra.nq);
    return !this.closed;
  }

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
    this.mgr.server.log.error(`${this.label()} - Gateway Error ${buf.toString('utf8', s, e)}`);
    this.closeConnection(ClosedReason.ParseError);
    return false;
  }

  onParseError(state: number, buf: Buffer, at: number): void {
    this.sendErr(E.ERR_UNKNOWN_PROTOCOL);
    const snip = JSON.stringify(buf.toString('latin1', at, Math.min(buf.length, at + 32)));
    this.mgr.server.log.error(`${this.label()} - Gateway parser ERROR, state=${state}, i=${at}: proto='${snip}...'`);
    this.closeConnection(ClosedReason.ParseError);
  }

  onMaxControlLine(len: number): void {
    this.sendErr(E.ERR_MAX_CONTROL_LINE);
    this.mgr.server.log.error(`${this.label()} - ${E.ERR_MAX_CONTROL_LINE}: ${len} vs ${this.parser.maxControlLine}`);
    this.closeConnection(ClosedReason.MaxControlLineExceeded);
  }

  onArgsError(op: string, buf: Buffer, s: number, e: number): void {
    this.protoError(op, buf, s, e);
  }

  // ------------------------------------------------------------------ pings

  private setPingTimer(ms: number): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.onPingTimer(), ms);
    this.pingTimer.unref?.();
  }

  /** Gateways ping regardless of traffic (Go: gateway connections always send PINGs). */
  private onPingTimer(): void {
    this.pingTimer = null;
    if (this.closed) return;
    const o = this.mgr.server.opts;
    this.pingsOut++;
    if (this.pingsOut > o.ping_max) {
      this.mgr.server.log.error(`${this.label()} - Stale Connection`);
      const st = this.mgr.server.stats;
      st.staleConnections++;
      st.staleConnectionsGateways++;
      this.sendErr(E.ERR_STALE_CONNECTION);
      this.closeConnection(ClosedReason.StaleConnection);
      return;
    }
    // An outbound sends nothing before the remote's INFO arrived: its first op must be CONNECT.
    if (!this.outbound || this.infoReceived) {
      this.rttStart = performance.now();
      this.enqueue(PING);
    } else this.pingsOut--;
    this.setPingTimer(this.mgr.pingIntervalMs());
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
    this.clearAuthTimer();
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    this.out.clear();
    if (!this.socket.destroyed) {
      this.socket.end();
      const t = setTimeout(() => this.socket.destroy(), 100);
      t.unref?.();
      this.socket.once('close', () => clearTimeout(t));
    }
    this.mgr.gatewayClosed(this, reason);
  }
}
