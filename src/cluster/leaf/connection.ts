/**
 * One leaf node link (Go client.go with kind LEAF, and the per-connection
 * parts of leafnode.go): the handshake in either role (accepted: INFO ->
 * CONNECT; solicited: INFO -> CONNECT -> INFO with connect_info), LS+/LS-
 * interest from the other side held as subscriptions of this connection in
 * its account's sublist, LMSG/HMSG in and out, PING/PONG, and the loop check
 * on the `$LDS.` subject.
 */
import type { Socket } from 'node:net';
import { Client, LEAF } from '../../conn/client.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { Subscription } from '../../conn/subscription.js';
import { BY_REF_THRESHOLD } from '../../conn/outbound.js';
import type { ClientHost } from '../../conn/host.js';
import type { PubArg } from '../../protocol/parser.js';
import * as E from '../../protocol/errors.js';
import { copyBytes, latin1, writeLatin1, writeUint } from '../../util/bytes.js';
import { matchLiteral, subjectIsLiteral, subjectIsSubsetMatch } from '../../sublist/subject.js';
import type { Account } from '../../accounts/account.js';
import type { LinkClient } from '../../server/router.js';
import { decodeLeafConnect, decodeLeafInfo, type RemoteLeafInfo } from './info.js';
import { writeReplyAndQueues } from '../../protocol/encode.js';
import { deliverSuffixLen } from '../../protocol/deliver-suffix.js';

export const LDS_PREFIX = '$LDS.';
/** Go leafNodeReconnectDelayAfterLoopDetected */
export const LOOP_RECONNECT_DELAY_MS = 30_000;
const PING = Buffer.from('PING\r\n');
const PONG = Buffer.from('PONG\r\n');

/** A subscription standing for the other side's interest; `qw` is a queue group's weight (member count). */
export class LeafSub extends Subscription {}

/** What a leaf connection needs from the leaf node layer. */
export interface LeafHost {
  /** the accepted side received CONNECT: authenticate and bind (null = refused, connection closed) */
  leafConnect(c: LeafConn, info: Record<string, unknown>): boolean;
  /** the soliciting side received the hub's first INFO: send CONNECT */
  leafInfo(c: LeafConn, info: RemoteLeafInfo): boolean;
  /** handshake complete: register and send interest */
  leafReady(c: LeafConn): void;
  leafClosed(c: LeafConn, reason: ClosedReason): void;
  /** the loop-detection subject of `acc` */
  ldsOf(acc: Account): string;
  /** apply an interest change of `sub` (delta in members) to the other leaf links of `acc` */
  propagate(acc: Account, sub: Subscription, delta: number): void;
  /** a queue subscription of this link changed weight by `delta`: routes and the other leaf links learn it */
  queueWeightChanged(acc: Account, sub: Subscription, delta: number): void;
  /** the soliciting side must wait this long before reconnecting */
  delayReconnect(c: LeafConn, ms: number): void;
}

export class LeafConn extends Client implements LinkClient {
  override readonly kind: number = LEAF;
  /** the remote's cluster name ('' when it has none) */
  remoteCluster = '';
  remoteServer = '';
  /** the remote's JetStream domain ('' when none) */
  remoteDomain = '';
  /** this server is the spoke on this link (it solicited a non-hub remote, or the remote declared itself hub) */
  isSpoke = false;
  /** interest sent to the other side: key (`subject` or `subject queue`) -> count (Go c.leaf.smap) */
  readonly smap = new Map<string, number>();
  /** registered with the leaf layer (handshake done) */
  ready = false;
  infoReceived = false;
  /** subjects not to send to the other side (hub: the spoke's deny_pub; spoke: deny_exports) */
  sendDeny: string[] = [];
  /** subjects of local interest not to advertise (spoke: deny_imports) */
  subDeny: string[] = [];
  /** subjects not accepted from the other side (spoke: deny_imports) */
  recvDeny: string[] = [];
  /** the other side's interest to ignore (spoke: deny_exports) */
  ignoreSubDeny: string[] = [];
  /** the link runs over WebSocket (accepted on the websocket port, or a ws:// / wss:// remote) */
  isWebSocket = false;
  private leafPingTimer: NodeJS.Timeout | null = null;
  private leafPingsOut = 0;

  constructor(
    host: ClientHost,
    private readonly leafHost: LeafHost,
    socket: Socket,
    cid: number,
    acc: Account,
    /** index of the remote this connection was solicited for, -1 when accepted */
    readonly remoteIndex: number,
  ) {
    super(host, socket, cid, acc);
    this.parser.leaf = true;
    // Go: leaf, route and gateway lines may be 16 times max_control_line (origin, account, queue lists).
    this.parser.maxControlLine = host.opts.max_control_line * 16;
    this.echo = false;
    this.verbose = false;
    this.pedantic = false;
    this.headers = false;
  }

  get solicited(): boolean {
    return this.remoteIndex >= 0;
  }

  override label(): string {
    return `${this.host}:${this.port} - lid:${this.cid}`;
  }

  // ------------------------------------------------------------------ handshake

  override onNonConnectFirstOp(): boolean {
    this.leafAuthViolation();
    return false;
  }

  leafAuthViolation(): void {
    this.host_.log.error(`${this.label()} - authentication error`);
    this.sendErr(E.ERR_AUTH_VIOLATION);
    this.closeConnection(ClosedReason.AuthenticationViolation);
  }

  override onConnect(buf: Buffer, s: number, e: number): boolean {
    if (this.solicited || this.connectReceived) {
      // Only the accepting side receives CONNECT, and only once.
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    this.lastActivity = new Date();
    this.rtt = Date.now() - this.start.getTime();
    const info = decodeLeafConnect(buf.toString('utf8', s, e));
    if (info === null) {
      this.host_.log.error(`${this.label()} - invalid leafnode CONNECT`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    if (typeof info.lang === 'string' && info.lang !== '') {
      // Go: clients send `lang`, leaf nodes do not.
      this.host_.log.error(`${this.label()} - attempted to connect to leaf node port`);
      this.sendErr('attempted to connect to leaf node port');
      this.closeConnection(ClosedReason.WrongPort);
      return false;
    }
    const cluster = typeof info.cluster === 'string' ? info.cluster : '';
    if (cluster.includes(' ')) {
      this.sendErr('cluster name cannot contain spaces');
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    if (typeof info.gateway === 'string' && info.gateway !== '') {
      const t = `Rejecting connection from gateway "${info.gateway}" on the leafnode port`;
      this.host_.log.error(`${this.label()} - ${t}`);
      this.sendErr(t);
      this.closeConnection(ClosedReason.WrongGateway);
      return false;
    }
    this.connectReceived = true;
    this.parser.awaitingConnect = false;
    this.headers = !this.host_.opts.no_header_support && info.headers === true;
    this.remoteServer = typeof info.name === 'string' ? info.name : '';
    this.remoteCluster = cluster;
    this.remoteDomain = typeof info.domain === 'string' ? info.domain : '';
    if (info.is_hub === true) this.isSpoke = true;
    if (Array.isArray(info.deny_pub)) this.sendDeny = info.deny_pub.filter((x): x is string => typeof x === 'string');
    if (typeof info.protocol === 'number') this.opts.protocol = info.protocol;
    if (!this.leafHost.leafConnect(this, info)) return false;
    return !this.closed;
  }

  override onInfo(buf: Buffer, s: number, e: number): boolean {
    if (!this.solicited) return true; // Go: the accepting side ignores INFO
    const info = decodeLeafInfo(buf.toString('utf8', s, e));
    if (info === null) {
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    if (!this.infoReceived) {
      this.infoReceived = true;
      if (info.client_id === 0 || info.leafnode_urls === null) {
        this.host_.log.error(`${this.label()} - attempted to connect to wrong port`);
        this.closeConnection(ClosedReason.WrongPort);
        return false;
      }
      if (info.cluster.includes(' ')) {
        this.sendErr('cluster name cannot contain spaces');
        this.closeConnection(ClosedReason.ProtocolViolation);
        return false;
      }
      this.nonce = info.nonce;
      this.headers = !this.host_.opts.no_header_support && info.headers;
      this.remoteServer = info.server_name || info.server_id;
      this.remoteCluster = info.cluster;
      // The leaf layer sends CONNECT (after a TLS handshake when one is needed), then calls connectSent.
      if (!this.leafHost.leafInfo(this, info)) return false;
      return !this.closed;
    }
    if (info.connect_info && !this.ready) this.handshakeDone();
    return true;
  }

  /** CONNECT went out: an old hub answers it with nothing, so the handshake is complete now. */
  connectSent(info: RemoteLeafInfo): void {
    if (!info.info_on_connect || info.connect_info) this.handshakeDone();
  }

  /** Carry on over the TLS socket that now wraps the connection's socket. */
  useSocket(t: Socket, authRequired: boolean): void {
    (this as { socket: Socket }).socket = t;
    this.startReading(authRequired, this.authTimeoutMs);
  }

  /** leafnodes authorization timeout (Go LeafNode.AuthTimeout, default 2s) */
  get authTimeoutMs(): number {
    const lo = this.host_.opts.leafnodes;
    return lo && lo.auth_timeout > 0 ? lo.auth_timeout : 2000;
  }

  /** Both sides know each other: register with the leaf layer and start pinging. */
  handshakeDone(): void {
    if (this.ready || this.closed) return;
    this.ready = true;
    this.connectReceived = true;
    this.leafHost.leafReady(this);
    this.armLeafPing(true);
  }

  // ------------------------------------------------------------------ interest from the other side

  override onSub(buf: Buffer, s: number, e: number): boolean {
    return this.onLeafSub(buf, s, e);
  }

  override onUnsub(buf: Buffer, s: number, e: number): boolean {
    return this.onLeafUnsub(buf, s, e);
  }

  /** LS+ <subject> [<queue> <weight>] (Go processLeafSub). */
  onLeafSub(buf: Buffer, s: number, e: number): boolean {
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - <<- [LS+ ${buf.toString('latin1', s, e)}]`);
    if (!this.ready) {
      this.sendErr(E.ERR_AUTH_VIOLATION);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    const f = fields(buf, s, e);
    if (f.length !== 1 && f.length !== 3) {
      this.host_.log.error(`${this.label()} - processLeafSub Parse Error: '${buf.toString('latin1', s, e)}'`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    const subject = f[0];
    const queue = f.length === 3 ? f[1] : null;
    const qw = f.length === 3 ? Math.max(1, parseDecimal(f[2])) : 1;
    const acc = this.acc;
    if (subject.startsWith(LDS_PREFIX) && subject === this.leafHost.ldsOf(acc)) {
      this.loopDetected(true);
      return false;
    }
    if (this.ignoreSubDeny.length > 0 && subjectIsLiteral(subject) && this.ignoreSubDeny.some((d) => matchLiteral(subject, d))) return true;
    const key = queue === null ? subject : `${subject} ${queue}`;
    const old = this.subs.get(key) as LeafSub | undefined;
    if (old === undefined) {
      const sub = new LeafSub(this, subject, queue, key);
      sub.qw = qw;
      this.subs.set(key, sub);
      if (!acc.sl.insert(sub)) {
        this.subs.delete(key);
        this.host_.log.error(`${this.label()} - Could not insert subscription: invalid subject`);
        this.sendErr('Invalid Subscription');
      }
    } else if (queue !== null) {
      const delta = qw - old.qw;
      old.qw = qw;
      if (delta !== 0) this.leafHost.queueWeightChanged(acc, old, delta);
    }
    return true;
  }

  /** LS- <subject> [<queue>] (Go processLeafUnsub). */
  onLeafUnsub(buf: Buffer, s: number, e: number): boolean {
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - <<- [LS- ${buf.toString('latin1', s, e)}]`);
    if (!this.ready) {
      this.sendErr(E.ERR_AUTH_VIOLATION);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    const key = fields(buf, s, e).join(' ');
    const sub = this.subs.get(key);
    if (sub !== undefined) this.unsubscribe(sub);
    return true;
  }

  /** Go handleLeafNodeLoop: tell the other side (when we detected it), log, close. */
  loopDetected(sendErr: boolean): void {
    const delay = LOOP_RECONNECT_DELAY_MS;
    if (this.solicited) this.leafHost.delayReconnect(this, delay);
    const t = `Loop detected for leafnode account=${JSON.stringify(this.acc.name)}. Delaying attempt to reconnect for ${delay / 1000}s`;
    if (sendErr) this.sendErr(t);
    this.host_.log.error(`${this.label()} - ${t}`);
    this.closeConnection(ClosedReason.ProtocolViolation);
  }

  // ------------------------------------------------------------------ interest to the other side

  /** Go updateSmap: count the change and tell the other side when it matters. */
  updateSmap(sub: Subscription, delta: number, isLDS: boolean): void {
    if (!isLDS && this.isSpoke) {
      // A spoke advertises only local interest and that of leafs it is the hub for.
      const sc = sub.client;
      if (sc.kind === LEAF && (sc as LeafConn).isSpoke) return;
      if (sc.kind !== LEAF && sc.kind !== 0) return;
      if (sub.link !== null) return; // Go updateLeafNodes: a route's interest (ROUTER kind) is not local
    }
    const key = sub.queue === null ? sub.subject : `${sub.subject} ${sub.queue}`;
    const had = this.smap.get(key);
    if (delta < 0 && had === undefined) return;
    const n = had ?? 0;
    const update = sub.queue !== null || (n <= 0 && n + delta > 0) || (n > 0 && n + delta <= 0);
    const m = n + delta;
    if (m > 0) this.smap.set(key, m);
    else this.smap.delete(key);
    if (update) this.sendSubUpdate(key, m);
  }

  /** May interest in `subject` be advertised to the other side? */
  canAdvertise(subject: string): boolean {
    if (this.subDeny.length === 0) return true;
    if (subject.startsWith(LDS_PREFIX)) return true;
    for (const d of this.subDeny) if (subjectIsSubsetMatch(subject, d)) return false;
    return true;
  }

  /** LS+ / LS- for one smap key (Go writeLeafSub). */
  sendSubUpdate(key: string, n: number): void {
    if (this.isSpoke) {
      const sp = key.indexOf(' ');
      if (!this.canAdvertise(sp < 0 ? key : key.slice(0, sp))) return;
    }
    this.enqueue(Buffer.from(leafSubLine(key, n), 'latin1'));
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - ->> [${leafSubLine(key, n).trimEnd()}]`);
  }

  // ------------------------------------------------------------------ messages

  override onPubArgs(pa: PubArg, isHeader: boolean): boolean {
    if (!this.ready) {
      this.sendErr(E.ERR_AUTH_VIOLATION);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    return this.checkPubLimits(pa, isHeader);
  }

  /** An LMSG/HMSG (or PUB) from the other side (Go processInboundLeafMsg). */
  override onMsg(pa: PubArg, buf: Buffer, s: number, e: number): boolean {
    this.inMsgs++;
    this.inBytes += e - s;
    const st = this.host_.stats;
    st.inMsgs++;
    st.inBytes += e - s;
    if (this.host_.log.traceEnabled) {
      this.host_.log.trace(`${this.label()} - <<- [${pa.hdr >= 0 ? 'HMSG' : 'LMSG'} ${pa.buf.toString('latin1', pa.subjectStart, pa.sizeEnd)}]`);
    }
    const rd = this.recvDeny;
    if (rd.length > 0) {
      for (let k = 0; k < rd.length; k++) if (matchLiteral(pa.subject, rd[k])) return true;
    }
    this.host_.route(this, this.acc, pa, buf, s, e);
    return !this.closed;
  }

  /**
   * Send one message over the link (Go msgHeaderForRouteOrLeaf + deliverMsg):
   * `LMSG <subject> [+ <reply> <queues> | | <queues> | <reply>] <size>`, or
   * HMSG with the header size before the total when the message has headers.
   */
  sendLinkMsg(pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): boolean {
    if (this.closed || !this.ready) return false;
    if (this.stall.gated && !this.gatedDelivery()) return false;
    const sd = this.sendDeny;
    if (sd.length > 0) {
      for (let k = 0; k < sd.length; k++) if (matchLiteral(pa.subject, sd[k])) return false;
    }
    const pb = pa.buf;
    const hasHdr = pa.hdr > 0;
    const withHdr = hasHdr && this.headers;
    const ps = hasHdr && !withHdr ? s + pa.hdr : s;
    const plen = e - ps;
    // A JetStream delivery goes on its deliver subject; the subject it shows rides after the ack reply (Go processMsgResults, msgHeaderForRouteOrLeaf).
    const sfx = deliverSuffixLen(pa);
    const subjLen = pa.shown === null ? pa.subjectEnd - pa.subjectStart : pa.subject.length;
    const replyLen = pa.replyStart >= 0 ? pa.replyEnd - pa.replyStart : -1;
    let qLen = 0;
    for (let k = 0; k < nq; k++) qLen += queues[k].length + 1;
    const lineMax = 5 + subjLen + 1 + (replyLen >= 0 ? replyLen + sfx + 1 : 0) + 2 + qLen + 24;
    const out = this.out;
    const byRef = plen >= BY_REF_THRESHOLD;
    let p = out.reserve(byRef ? lineMax : lineMax + plen + 2);
    const d = out.slab;
    d[p++] = withHdr ? 0x48 : 0x4c; // H | L
    d[p++] = 0x4d; d[p++] = 0x53; d[p++] = 0x47; d[p++] = 0x20; // "MSG "
    if (pa.shown === null) p = copyBytes(pb, pa.subjectStart, pa.subjectEnd, d, p);
    else p = writeLatin1(d, pa.subject, p);
    d[p++] = 0x20;
    p = writeReplyAndQueues(d, p, pa, queues, nq, sfx > 0);
    if (withHdr) {
      p = writeUint(d, pa.hdr, p);
      d[p++] = 0x20;
    }
    p = writeUint(d, plen, p);
    d[p++] = 13; d[p++] = 10;
    out.commitMsg(p, buf, ps, e);
    this.outMsgs++;
    this.outBytes += plen;
    const st = this.host_.stats;
    st.outMsgs++;
    st.outBytes += plen;
    if (!this.dirty) this.host_.markDirty(this);
    if (out.queued + this.sockPending > this.host_.opts.max_pending * 0.75) this.overStallMark();
    return true;
  }

  // ------------------------------------------------------------------ ping / errors / close

  override onPing(): boolean {
    this.enqueue(PONG);
    return true;
  }

  override onPong(): boolean {
    this.leafPingsOut = 0;
    if (this.rttStart > 0) this.rtt = performance.now() - this.rttStart;
    return true;
  }

  private armLeafPing(first: boolean): void {
    const interval = this.host_.opts.ping_interval;
    if (interval <= 0 || this.closed) return;
    if (first) {
      // Measure the RTT right away (Go's first ping on a new leaf connection comes early).
      this.rttStart = performance.now();
      this.enqueue(PING);
    }
    this.leafPingTimer = setTimeout(() => this.onLeafPing(), interval);
    this.leafPingTimer.unref?.();
  }

  private onLeafPing(): void {
    this.leafPingTimer = null;
    if (this.closed) return;
    if (++this.leafPingsOut > this.host_.opts.ping_max) {
      this.sendErr(E.ERR_STALE_CONNECTION);
      this.closeConnection(ClosedReason.StaleConnection);
      return;
    }
    this.rttStart = performance.now();
    this.enqueue(PING);
    this.armLeafPing(false);
  }

  override onErr(buf: Buffer, s: number, e: number): boolean {
    const text = buf.toString('utf8', s, e);
    this.host_.log.error(`${this.label()} - Leafnode Error ${text}`);
    if (text.includes('Loop detected')) {
      this.loopDetected(false);
      return false;
    }
    this.closeConnection(ClosedReason.ParseError);
    return false;
  }

  override closeConnection(reason: ClosedReason): void {
    if (this.closed) return;
    if (this.leafPingTimer !== null) clearTimeout(this.leafPingTimer);
    this.leafPingTimer = null;
    super.closeConnection(reason);
    this.leafHost.leafClosed(this, reason);
  }
}

/** `LS+ key[ n]\r\n` or `LS- key\r\n` (the weight only for queue keys). */
export function leafSubLine(key: string, n: number): string {
  if (n > 0) return key.includes(' ') ? `LS+ ${key} ${n}\r\n` : `LS+ ${key}\r\n`;
  return `LS- ${key}\r\n`;
}

function fields(buf: Buffer, s: number, e: number): string[] {
  const out: string[] = [];
  let start = -1;
  for (let k = s; k <= e; k++) {
    const c = k < e ? buf[k] : 32;
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      if (start >= 0) {
        out.push(latin1(buf, start, k));
        start = -1;
      }
    } else if (start < 0) start = k;
  }
  return out;
}

function parseDecimal(s: string): number {
  if (s.length === 0 || s.length > 9) return -1;
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
