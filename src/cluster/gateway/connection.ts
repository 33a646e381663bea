/**
 * One gateway connection (Go client.go with kind GATEWAY, gateway.go).
 * A TCP connection between two clusters is outbound on the side that dialed
 * it and inbound on the other: messages only ever flow from the outbound
 * side to the inbound side, and interest (A+/A-, RS+/RS-, INFO commands)
 * flows back the other way.
 */
import type net from 'node:net';
import type { PubArg } from '../../protocol/parser.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { latin1 } from '../../util/bytes.js';
import { parseRoutedArgs, splitArgs } from '../route/routed-args.js';
import { LinkConn, FIRST_PING_MS } from '../link/link-conn.js';
import { OutboundInterest } from './interest.js';
import { remoteInterestChanged } from './leaf-bridge.js';
import type { GatewayInfo } from './info.js';
import type { GatewayManager, RemoteGateway } from './manager.js';

export class GatewayConn extends LinkConn {
  /** remote gateway (cluster) name: known from the config when we dial, from INFO when we accept */
  name: string;
  /** the remote still uses the old `$GR.` reply prefix */
  useOldPrefix = false;
  /** what the remote told us of its interest (outbound connections only) */
  readonly interest: OutboundInterest | null;
  /** accounts switched to interest-only towards the remote (inbound connections only) */
  readonly interestOnlyAccounts = new Set<string>();
  /** accounts we told the remote we have no interest in (A-), inbound connections only */
  readonly sentAccountUnsub = new Set<string>();

  constructor(
    readonly mgr: GatewayManager,
    socket: net.Socket,
    cid: number,
    readonly outbound: boolean,
    readonly cfg: RemoteGateway | null,
    /** the URL dialed (outbound only) */
    readonly url: URL | null,
  ) {
    super(mgr.server, socket, cid, 'Gateway');
    this.parser.gateway = true;
    this.name = cfg?.name ?? '';
    this.interest = outbound ? new OutboundInterest(false) : null;
  }

  label(): string {
    return `${this.host}:${this.port} - gid:${this.cid}${this.name ? ` - "${this.name}"` : ''}`;
  }

  startReading(): void {
    this.listen();
    if (!this.outbound) {
      // Go createGateway: an accepted connection must send CONNECT first, within the auth timeout.
      this.parser.awaitingConnect = true;
      this.startAuthTimer(this.mgr.authTimeoutMs());
    } else {
      // Nothing may be sent before the remote's INFO; the stale check still runs (Go watchForStaleConnection).
      this.setPingTimer(this.mgr.pingIntervalMs());
    }
  }

  // ------------------------------------------------------------------ output

  enqueueString(s: string): void {
    if (s.length > 0) this.enqueue(Buffer.from(s, 'latin1'));
  }

  /** Send one message to the remote cluster (outbound connections only). */
  sendMsg(acc: string, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number, mreply: string | null): void {
    if (this.closed) return;
    this.sendRoutedMsg(acc, pa, buf, s, e, queues, nq, mreply);
    // Go queueOutbound: what we hold for the remote beyond max_pending makes it a slow consumer.
    const max = this.srv.opts.max_pending;
    if (this.out.queued + this.socket.writableLength > max) this.slowConsumer(max);
  }

  /** Go queueOutbound for a GATEWAY connection: counted in /varz slow_consumer_stats.gateways, then closed. */
  private slowConsumer(max: number): void {
    const st = this.srv.stats;
    st.slowConsumers++;
    st.slowConsumersGateways++;
    this.srv.log.info(`${this.label()} - Slow Consumer Detected: MaxPending of ${max} Exceeded`);
    this.closeConnection(ClosedReason.SlowConsumerPendingBytes);
  }

  // ------------------------------------------------------------------ handshake

  /** Go processGatewayConnect (inbound side). */
  onConnect(buf: Buffer, s: number, e: number): boolean {
    const co = this.connectObject(buf, s, e);
    if (co === null) return false;
    if (this.outbound) return true; // Go ignores a CONNECT on an outbound
    if (!this.mgr.processConnect(this, co)) return false;
    this.connectReceived = true;
    this.parser.awaitingConnect = false;
    this.setPingTimer(FIRST_PING_MS);
    return true;
  }

  protected override infoIsValid(info: unknown): boolean {
    return typeof info === 'object' && info !== null;
  }

  protected processInfo(info: unknown): void {
    this.mgr.processInfo(this, info as GatewayInfo);
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

  // ------------------------------------------------------------------ messages (inbound side)

  onRoutedMsgArgs(pa: PubArg, buf: Buffer, s: number, e: number, isHeader: boolean): boolean {
    const err = parseRoutedArgs(this.ra, pa, buf, s, e, isHeader);
    return err === null ? true : this.routedArgsError(err);
  }

  onMsg(pa: PubArg, buf: Buffer, s: number, e: number): boolean {
    this.countIn(e - s);
    if (this.ra.account !== '') this.mgr.processInboundMsg(this, this.ra.account, pa, buf, s, e, this.ra.queues, this.ra.nq);
    return !this.closed;
  }

  // ------------------------------------------------------------------ pings

  protected pingIntervalMs(): number {
    return this.mgr.pingIntervalMs();
  }

  /** Gateways ping regardless of traffic (Go: gateway connections always send PINGs), but an
   *  outbound sends nothing before the remote's INFO arrived: its first op must be CONNECT. */
  protected override maySendPing(): boolean {
    return !this.outbound || this.infoReceived;
  }

  protected override countStale(): void {
    const st = this.srv.stats;
    st.staleConnections++;
    st.staleConnectionsGateways++;
  }

  // ------------------------------------------------------------------ close

  protected onClosed(reason: ClosedReason): void {
    this.mgr.gatewayClosed(this, reason);
  }
}
