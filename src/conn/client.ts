/**
 * A client connection (Go client.go, CLIENT kind): protocol handling, message
 * routing from this connection's publishes to matching subscriptions, and the
 * connection's own output. Socket I/O is reached only through `ClientHost`
 * and the socket given at construction, so tests can drive it directly.
 */
import type { Socket } from 'node:net';
import { Parser, type ParserHandler, type PubArg } from '../protocol/parser.js';
import { rewriteControlLine } from '../protocol/control-line.js';
import { AuthTimer } from './auth-timer.js';
import * as E from '../protocol/errors.js';
import { Outbound, BY_REF_THRESHOLD } from './outbound.js';
import { Stall, STALL_REPORT_MS, gatedDelivery, closeGate } from './stall.js';
import { WriteDeadline } from './write-deadline.js';
import { releaseSocket } from './socket-close.js';
import { Subscription } from './subscription.js';
import { ClosedReason, type CloseReasonSink } from './closed-reason.js';
import type { AuthAwareTransport } from './transport-hooks.js';
import { decodeConnect, defaultConnectOptions } from './connect.js';
import { copyBytes, latin1, writeLatin1, writeUint, displayString } from '../util/bytes.js';
import { isValidLiteralSubject } from '../sublist/subject.js';
import { GLOBAL_ACCOUNT, type Account, type GwReplyTracker } from '../accounts/account.js';
import type { ClientHost } from './host.js';
import type { Authenticator, AuthResult, ClientPermissions, ConnectOptions, ConnectionType, JwtUserInfo } from '../auth/types.js';
import type { AuthCallout, CalloutClient, CalloutOutcome } from '../auth/callout.js';

export const CLIENT = 0;
/** Go's LEAF connection kind (a leaf node link; see src/cluster/leaf) */
export const LEAF = 4;

const PONG = Buffer.from('PONG\r\n');
const PING = Buffer.from('PING\r\n');
const OK = Buffer.from('+OK\r\n');
const CRLF_LEN = 2;
const NO_BYTES = Buffer.alloc(0);
/** Go firstClientPingInterval: the first PING after CONNECT comes early, to measure RTT. */
const FIRST_CLIENT_PING_MS = 2000;
/** Go DEFAULT_RTT_MEASUREMENT_INTERVAL */
const RTT_MEASUREMENT_INTERVAL_MS = 60 * 60 * 1000;

// What an auth callout completes: the first CONNECT, a later CONNECT, or a no_auth_user login without CONNECT.
const CALLOUT_FIRST_CONNECT = 0;
const CALLOUT_RECONNECT = 1;
const CALLOUT_NO_CONNECT = 2;


export class Client implements ParserHandler {
  readonly cid: number;
  /** connection kind (Go c.kind): CLIENT here, LEAF for leaf node links */
  readonly kind: number = CLIENT;
  readonly parser: Parser;
  readonly out = new Outbound();
  readonly subs = new Map<string, Subscription>();
  opts: ConnectOptions = defaultConnectOptions();
  acc: Account;
  perms: ClientPermissions | null = null;
  /** max payload and subscriptions for this connection (-1 = none): account and server limits combined */
  mpay = -1;
  msubs = -1;
  connectionType: ConnectionType = 'STANDARD';
  /** operator mode: the user JWT this connection logged in with (limits, revocation identity) */
  jwtUser: JwtUserInfo | null = null;
  private jwtExpTimer: NodeJS.Timeout | null = null;

  // negotiated from CONNECT
  echo = true;
  headers = false;
  verbose = true;
  pedantic = true;

  // identity and stats (for /connz)
  readonly host: string;
  readonly port: number;
  readonly start = new Date();
  lastActivity = this.start;
  lastIn = Date.now();
  rtt = 0;
  rttStart = 0;
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;
  authorizedUser = '';
  nonce: string | null = null;
  tlsVersion = '';
  tlsCipher = '';
  tlsFirst = false;

  // state
  connectReceived = false;
  firstPongSent = false;
  closed = false;
  closeReason: ClosedReason | null = null;
  stop: Date | null = null;
  /** set while queued on the host's pending-flush list */
  dirty = false;
  /** bytes handed to the socket but not yet written, as of the last flush */
  sockPending = 0;
  /** scratch control line for publishes whose subject an account mapping changed */
  private mapLine: Buffer = NO_BYTES;
  /** routed replies this client was shown plainly (set by the router for gateway requests) */
  gwReplies: GwReplyTracker | null = null;
  private pingsOut = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private readonly authTimer = new AuthTimer();
  private readonly writeDeadline: WriteDeadline;
  /** fast-producer stall: this connection's gate (as a consumer) and waits (as a producer) */
  stall: Stall;
  /** a route or gateway link's stand-in producer (Go does not stall or drop for those) */
  linkProxy = false;
  /** input that arrived while the login waits for the auth callout (parser paused) */
  private pendingIn: Buffer[] | null = null;
  /** cancels the auth callout in flight */
  private calloutCancel: (() => void) | null = null;
  /** logged in by the auth callout (a config reload does not re-check such a login) */
  viaCallout = false;
  /** the transport whose authorization override applies (Go: a websocket {} block's); null = the server's users */
  authSource: { readonly auth: Authenticator | null } | null = null;
  /** the MQTT client identifier of an MQTT connection ('' otherwise), for /connz `mqtt_client` */
  mqttClient = '';

  constructor(
    readonly host_: ClientHost,
    readonly socket: Socket,
    cid: number,
    acc: Account,
  ) {
    this.cid = cid;
    this.acc = acc;
    this.parser = new Parser(this, host_.opts.max_control_line);
    this.applyLimits();
    this.host = socket.remoteAddress ?? '';
    this.port = socket.remotePort ?? 0;
    this.stall = new Stall(socket, {
      mayResume: () => !this.closed && !this.parser.paused,
      caughtUp: () => this.socket.writableLength < this.host_.opts.max_pending * 0.75,
      stalled: (ms) => this.reportStall(ms),
    });
    this.writeDeadline = new WriteDeadline(socket, {
      label: () => this.label(),
      info: (m) => this.host_.log.info(m),
      countSlow: () => this.host_.noteSlowConsumer(this),
      closeSlow: () => this.closeConnection(ClosedReason.SlowConsumerWriteDeadline),
    });
    // Go: clients close on a write timeout unless write_timeout says retry; leaf links retry by default.
    this.writeDeadline.policy = () => {
      const w = this.host_.opts.write_timeout;
      return w === 'retry' || (w === 'default' && this.kind === LEAF) ? 'retry' : 'close';
    };
  }

  // ------------------------------------------------------------------ lifecycle

  /** Start reading; `authRequired` arms the auth timer (`authTimeoutMs`, default the server's) and requires CONNECT first. */
  startReading(authRequired: boolean, authTimeoutMs = this.host_.authTimeoutMs()): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', () => this.closeConnection(ClosedReason.ReadError));
    s.on('close', () => this.closeConnection(ClosedReason.ClientClosed));
    s.on('drain', () => this.onDrain());
    if (authRequired) {
      this.parser.awaitingConnect = true;
      this.authTimer.start(this, authTimeoutMs);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.parser.paused) {
      // The socket is paused too; this only catches a chunk already on its way.
      (this.pendingIn ??= []).push(chunk);
      return;
    }
    this.lastIn = Date.now();
    this.host_.beginRead(this);
    try {
      this.parser.parse(chunk);
    } catch (e) {
      // Nothing may throw out of a socket handler; an internal fault closes this connection only.
      this.host_.log.error(`${this.label()} - internal error while processing input: ${(e as Error).stack ?? e}`);
      this.closeConnection(ClosedReason.ProtocolViolation);
    } finally {
      this.host_.endRead();
    }
  }

  /** The authenticator for this connection: the transport's override, else the server's. */
  get authn(): Authenticator {
    return this.authSource?.auth ?? this.host_.auth;
  }

  /** what log lines name this connection by (Go c.ncs), set at accept and extended at the first CONNECT */
  private labelText = '';

  label(): string {
    if (this.labelText === '') this.labelText = `${this.host}:${this.port} - cid:${this.cid}`;
    return this.labelText;
  }

  /**
   * Go processConnect, first CONNECT of a client: log lines go on to name the
   * client's version, language and name, and its account and auth user
   * (`... - cid:5 - "v3.4.0:nats.js:app" - "ACC/user:bob"`).
   */
  private extendLabel(): void {
    const o = this.opts;
    const ncs = [o.version ? `v${o.version}` : '', o.lang ?? '', o.name ?? ''].filter((x) => x !== '').join(':');
    const user = o.jwt && !o.nkey && !o.user ? `jwt:${this.jwtUser?.pub ?? ''}` : authUserLabel(o);
    const acs = user !== '' ? `${this.acc.name}/${user}` : '';
    let l = this.label();
    if (ncs !== '') l += ` - ${JSON.stringify(ncs)}`;
    if (acs !== '') l += ` - ${JSON.stringify(acs)}`;
    this.labelText = l;
  }

  // ------------------------------------------------------------------ output

  /** Queue a protocol frame (copied) and make sure a flush follows. */
  enqueue(buf: Buffer): void {
    if (this.closed) return;
    this.out.append(buf);
    this.host_.markDirty(this);
  }

  sendErr(text: string): void {
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - ->> [-ERR ${text}]`);
    this.enqueue(E.errFrame(text));
  }

  private sendOK(): void {
    this.enqueue(OK);
  }

  /** Write queued output to the socket (called once per read cycle by the host). */
  flush(): void {
    this.dirty = false;
    if (this.closed) return;
    const n = this.out.flush(this.socket);
    if (n === 0) return;
    const pending = this.socket.writableLength;
    this.sockPending = pending;
    // Go flushOutbound: a consumer that caught up (below 3/4 of max_pending) releases stalled producers.
    if (this.stall.gated && pending < this.host_.opts.max_pending * 0.75) this.stall.open();
    this.writeDeadline.afterFlush(pending, this.host_.opts.write_deadline);
  }

  protected onDrain(): void {
    this.sockPending = this.socket.writableLength;
    if (this.sockPending === 0) {
      this.stall.open();
      this.writeDeadline.drained();
    }
  }

  /** Go resetReadLoopStallTime: a producer held back for long is reported, at most once a second. */
  private reportStall(ms: number): void {
    if (ms >= STALL_REPORT_MS) this.host_.log.warnRateLimited('producer-stalled', `${this.label()} - Producer was stalled for a total of ${Math.round(ms)}ms`);
  }

  /** Pending bytes as Go counts them: queued here plus not yet written by the socket. */
  pendingBytes(): number {
    return this.out.queued + (this.closed ? 0 : this.socket.writableLength);
  }

  // ------------------------------------------------------------------ parser callbacks

  onNonConnectFirstOp(): boolean {
    // Go lets a client skip CONNECT when no_auth_user is configured (telnet demos).
    let r = this.authn.noAuthUser({ opts: this.opts, nonce: this.nonce, connectionType: this.connectionType });
    if (r !== null) {
      this.authTimer.clear();
      const co = this.host_.callout;
      if (co) {
        // Go: the no_auth_user shortcut goes through the auth callout like a CONNECT does.
        const d = co.decide(r.account, '');
        if (d === 'callout') {
          this.startCallout(co, CALLOUT_NO_CONNECT);
          return true;
        }
        if (d === 'skip') r = co.withCalloutDeny(r);
      }
      this.connectReceived = true;
      if (!this.applyAuth(r.user, r.permissions, r.account, r.jwt)) return false;
      this.authenticated();
      this.host_.clientConnected(this);
      return true;
    }
    this.authViolation();
    return false;
  }

  /** CONNECT accepted: ops other than CONNECT are parsed now, and the transport may lift its pre-auth bounds. */
  private authenticated(): void {
    this.parser.awaitingConnect = false;
    (this.socket as Partial<AuthAwareTransport>).authenticated?.();
  }

  onConnect(buf: Buffer, s: number, e: number): boolean {
    this.authTimer.clear();
    this.lastActivity = new Date();
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - <<- [CONNECT ${redactConnect(buf.toString('utf8', s, e))}]`);
    const firstConnect = !this.connectReceived;
    if (firstConnect) {
      this.rtt = Date.now() - this.start.getTime();
      this.armFirstPing();
    }
    const err = decodeConnect(buf.toString('utf8', s, e), this.opts);
    if (err !== null) {
      this.host_.log.error(`${this.label()} - ${err}`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    this.connectReceived = true;
    const o = this.opts;
    this.echo = o.echo;
    this.verbose = o.verbose;
    this.pedantic = o.pedantic;
    this.headers = !this.host_.opts.no_header_support && o.headers;
    if (!firstConnect) this.removeAllSubs();

    if (this.authn.authRequired || this.parser.awaitingConnect) {
      let r = this.checkCredentials();
      const co = this.host_.callout;
      if (co) {
        // Go processClientOrLeafAuthentication: after the configured users, delegate to the callout
        // (a failed login counts as being in the global account).
        const d = co.decide(r === null ? GLOBAL_ACCOUNT : r.account, rawAuthUser(o));
        if (d === 'callout') {
          this.startCallout(co, firstConnect ? CALLOUT_FIRST_CONNECT : CALLOUT_RECONNECT);
          return true;
        }
        if (d === 'skip' && r !== null) r = co.withCalloutDeny(r);
      }
      if (r === null) {
        this.authViolation();
        return false;
      }
      if (!this.applyAuth(r.user, r.permissions, r.account, r.jwt)) return false;
    }
    return this.finishConnect(firstConnect);
  }

  /** The rest of CONNECT once the client is authenticated. */
  private finishConnect(firstConnect: boolean): boolean {
    const o = this.opts;
    if (o.new_account || (o.account !== undefined && o.account !== '')) {
      this.authViolation();
      return false;
    }
    this.authenticated();
    if (o.protocol < 0 || o.protocol > 1) {
      this.sendErr(E.ERR_BAD_CLIENT_PROTOCOL);
      this.closeConnection(ClosedReason.BadClientProtocolVersion);
      return false;
    }
    if (o.no_responders && !this.headers) {
      this.sendErr(E.ERR_NO_RESPONDERS_REQUIRES_HEADERS);
      this.closeConnection(ClosedReason.NoRespondersRequiresHeaders);
      return false;
    }
    if (this.verbose) this.sendOK();
    if (firstConnect) {
      if (this.kind === CLIENT) this.extendLabel();
      this.host_.clientConnected(this);
    }
    return true;
  }

  /**
   * Ask the auth callout service. Until it answers, this connection reads and
   * parses nothing more (socket and parser paused); the rest of its input is
   * processed, in order, once the login is accepted.
   */
  private startCallout(co: AuthCallout, mode: number): void {
    this.parser.pause();
    this.socket.pause();
    this.calloutCancel = co.authorize(this.calloutClient(), (o) => this.onCalloutDone(o, mode));
  }

  private calloutClient(): CalloutClient {
    return {
      cid: this.cid,
      host: this.host,
      rawUser: rawAuthUser(this.opts),
      opts: this.opts,
      nonce: this.nonce,
      kind: 'Client',
      type: 'nats',
      tls: this.tlsVersion ? { version: this.tlsVersion, cipher: this.tlsCipher, certs: peerCertsPem(this.socket) } : null,
    };
  }

  private onCalloutDone(o: CalloutOutcome, mode: number): void {
    this.calloutCancel = null;
    if (this.closed) return;
    let ok = false;
    this.host_.beginRead(this);
    try {
      if (o.result === null) this.authViolation();
      else ok = this.completeCallout(o.result, mode);
    } finally {
      this.host_.endRead();
    }
    if (ok) this.resumeInput();
  }

  private completeCallout(r: AuthResult, mode: number): boolean {
    if (mode === CALLOUT_NO_CONNECT) this.connectReceived = true;
    if (!this.applyAuth(r.user, r.permissions, r.account, r.jwt)) return false;
    this.viaCallout = true;
    if (mode !== CALLOUT_NO_CONNECT) return this.finishConnect(mode === CALLOUT_FIRST_CONNECT);
    this.authenticated();
    this.host_.clientConnected(this);
    return true;
  }

  /** Parse what was held back during the callout, then read the socket again. */
  private resumeInput(): void {
    const held = this.parser.resume();
    const queued = this.pendingIn;
    this.pendingIn = null;
    if (held !== null) this.onData(held);
    if (queued !== null) for (const b of queued) this.onData(b);
    if (!this.closed && !this.parser.paused) this.socket.resume();
  }

  /** Bind the authenticated user; false (connection closed) when its account is full. */
  protected applyAuth(user: string, perms: ClientPermissions | null, account: string, jwt?: JwtUserInfo): boolean {
    this.authorizedUser = user;
    this.perms = perms;
    this.jwtUser = jwt ?? null;
    const acc = this.host_.lookupAccount(account);
    if (acc !== null && acc !== this.acc) {
      if (acc.connectionsFull()) {
        this.host_.log.error(`${this.label()} - ${E.ERR_MAX_ACCOUNT_CONNECTIONS}`);
        this.sendErr(E.ERR_MAX_ACCOUNT_CONNECTIONS);
        this.closeConnection(ClosedReason.MaxAccountConnectionsExceeded);
        return false;
      }
      this.host_.moveToAccount(this, acc);
    }
    this.applyLimits();
    if (jwt !== undefined && jwt.expiresAt > 0) this.armJwtExpiry(jwt.expiresAt);
    return true;
  }

  /** Go applyAccountLimits: the tightest of the user JWT's, the account's and the server's payload and subscription limits (-1 = none). */
  applyLimits(): void {
    const o = this.host_.opts;
    const a = this.acc;
    const u = this.jwtUser;
    let mpay = minLimit(u === null ? -1 : u.payload, a.maxPayload);
    const srvPay = o.max_payload;
    if (srvPay >= 0 && (mpay < 0 || srvPay < mpay)) mpay = srvPay;
    this.mpay = mpay;
    let msubs = minLimit(u === null ? -1 : u.subs, a.maxSubscriptions);
    if (o.max_subscriptions > 0 && (msubs < 0 || o.max_subscriptions < msubs)) msubs = o.max_subscriptions;
    this.msubs = msubs;
  }

  /** Go setExpiration: a user JWT (or its connect-time window) that ends disconnects the client then. */
  private armJwtExpiry(at: number): void {
    if (this.jwtExpTimer !== null) clearTimeout(this.jwtExpTimer);
    const left = Math.max(0, at - Date.now());
    this.jwtExpTimer = setTimeout(() => {
      this.jwtExpTimer = null;
      if (this.closed) return;
      if (Date.now() < at) {
        this.armJwtExpiry(at); // beyond one timer's range: wait again
        return;
      }
      this.host_.log.debug(`${this.label()} - User Authentication Expired`);
      this.sendErr('User Authentication Expired');
      this.closeConnection(ClosedReason.AuthenticationExpired);
    }, Math.min(left, 2 ** 31 - 1));
    this.jwtExpTimer.unref?.();
  }

  private authViolation(): void {
    this.host_.log.error(`${this.label()} - authentication error${this.opts.user ? ` - User "${this.opts.user}"` : ''}`);
    this.sendErr(E.ERR_AUTH_VIOLATION);
    this.closeConnection(ClosedReason.AuthenticationViolation);
  }

  onPubArgs(pa: PubArg, isHeader: boolean): boolean {
    if (!this.checkPubLimits(pa, isHeader)) return false;
    if (this.pedantic && !isValidLiteralSubject(pa.subject)) this.sendErr(E.ERR_INVALID_PUBLISH_SUBJECT);
    return true;
  }

  /** Go processPub's header and max_payload checks (shared by clients and leaf links); false = closed. */
  protected checkPubLimits(pa: PubArg, isHeader: boolean): boolean {
    if (isHeader && !this.headers) {
      this.host_.log.error(`${this.label()} - message headers not supported`);
      this.closeConnection(ClosedReason.ProtocolViolation);
      return false;
    }
    const max = this.mpay;
    if (max >= 0 && pa.size > max) {
      this.host_.log.error(`${this.label()} - Maximum Payload Exceeded: ${pa.size} vs ${max}`);
      this.sendErr(E.ERR_MAX_PAYLOAD);
      this.closeConnection(ClosedReason.MaxPayloadExceeded);
      return false;
    }
    return true;
  }

  onMsg(pa: PubArg, buf: Buffer, s: number, e: number): boolean {
    this.inMsgs++;
    this.inBytes += e - s;
    this.host_.stats.inMsgs++;
    this.host_.stats.inBytes += e - s;
    if (this.host_.log.traceEnabled) this.traceMsg(pa, buf, s, e);
    // Account subject mappings come first: every check below sees the mapped subject (Go parser.go, client.selectMappedSubject).
    if (this.acc.mappings !== null && !this.mapSubject(pa)) return this.droppedByMapping(pa);
    const subject = pa.subject;
    // Clients may not publish into the gateway reply space or raft traffic (Go processInboundClientMsg).
    if (subject.startsWith('_GR_.') && subject.length > 5) return this.pubViolation(subject);
    const perms = this.perms;
    if (perms !== null && perms.hasPub && !perms.canPublish(subject)) return this.pubViolation(subject);
    if (subject.startsWith('$NRG.') && !this.host_.isSystemAccount(this.acc)) return this.pubViolation(subject);
    const reply = pa.reply;
    if (reply.length > 0 && isReservedReply(reply)) {
      this.sendErr(E.errReplyViolation(displayString(reply)));
      return true;
    }
    if (this.verbose) this.sendOK();
    // Go processInboundClientMsg: an answer on a reply that came over a gateway goes back on its routed form.
    const gr = this.gwReplies;
    if (gr !== null && gr.size > 0) {
      const routed = gr.get(subject);
      if (routed !== null) this.rewriteSubject(pa, routed);
    }
    const delivered = this.host_.route(this, this.acc, pa, buf, s, e);
    if (!delivered && reply.length > 0 && this.opts.no_responders) this.sendNoResponders(pa);
    return !this.closed;
  }

  /**
   * Apply the account's subject mappings to this publish. When the subject
   * changes, the control line is rewritten into a per-connection scratch
   * buffer (as the internal client builds its own) so deliveries copy the
   * mapped subject. Returns false when the mapping drops the message.
   */
  private mapSubject(pa: PubArg): boolean {
    const ns = this.acc.mappings!.select(pa.subject);
    if (ns === null) return true;
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - <<- [MAPPING ${displayString(pa.subject)} -> ${displayString(ns)}]`);
    if (ns === '') return false;
    this.rewriteSubject(pa, ns);
    return true;
  }

  /** Rewrite the control line of this publish with subject `ns` into a per-connection scratch buffer. */
  private rewriteSubject(pa: PubArg, ns: string): void {
    this.mapLine = rewriteControlLine(pa, this.mapLine, ns, pa.replyStart, pa.replyEnd);
    pa.subject = ns;
  }

  /** A mapping chose no destination (Go routes on an empty subject: nothing receives it). */
  private droppedByMapping(pa: PubArg): boolean {
    pa.subject = '';
    if (this.verbose) this.sendOK();
    if (pa.reply.length > 0 && this.opts.no_responders) this.sendNoResponders(pa);
    return !this.closed;
  }

  private pubViolation(subject: string): boolean {
    this.host_.log.error(`${this.label()} - Publish Violation - User "${this.authorizedUser}", Subject "${displayString(subject)}"`);
    this.sendErr(E.errPubViolation(displayString(subject)));
    return true;
  }

  /** The 503 status the Go server sends to a requester when nothing received its request. */
  private sendNoResponders(pa: PubArg): void {
    const r = this.acc.sl.match(pa.reply);
    let sid: string | null = null;
    for (const sub of r.psubs) {
      if (sub.client === this) {
        sid = sub.sid;
        break;
      }
    }
    if (sid === null) return;
    const hdrLen = 32 + pa.subject.length;
    const frame = `HMSG ${pa.reply} ${sid} ${hdrLen} ${hdrLen}\r\nNATS/1.0 503\r\nNats-Subject: ${pa.subject}\r\n\r\n\r\n`;
    this.enqueue(Buffer.from(frame, 'latin1'));
  }

  onSub(buf: Buffer, s: number, e: number): boolean {
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - <<- [SUB ${buf.toString('utf8', s, e)}]`);
    const f = splitFields(buf, s, e, 3);
    if (f === null || (f.length !== 2 && f.length !== 3)) return this.argsError('SUB', buf, s, e);
    const subject = f[0];
    const queue = f.length === 3 ? f[1] : null;
    const sid = f[f.length - 1];
    this.processSub(subject, queue, sid);
    return !this.closed;
  }

  /** Go processSubEx for a client. Returns the subscription or null when refused. */
  processSub(subject: string, queue: string | null, sid: string): Subscription | null {
    const opts = this.host_.opts;
    const perms = this.perms;
    if ((queue !== null && queue === '_sys_') || (perms !== null && perms.hasSub && !perms.canSubscribe(subject, queue))) {
      this.sendErr(E.errSubViolation(displayString(subject), queue === null ? null : displayString(queue)));
      this.host_.log.error(`${this.label()} - Subscription Violation - User "${this.authorizedUser}", Subject "${displayString(subject)}"${queue ? `, Queue: "${displayString(queue)}"` : ''}, SID: ${sid}`);
      return null;
    }
    if (opts.max_sub_tokens > 0 && countTokens(subject) > opts.max_sub_tokens) {
      this.sendErr(E.errSubTooManyTokens(displayString(subject)));
      return null;
    }
    if (this.msubs >= 0 && this.subs.size >= this.msubs) {
      this.host_.log.error(`${this.label()} - ${E.ERR_MAX_SUBSCRIPTIONS}`);
      this.sendErr(E.ERR_MAX_SUBSCRIPTIONS);
      return null;
    }
    const existing = this.subs.get(sid);
    if (existing !== undefined) {
      if (this.verbose) this.sendOK();
      return existing;
    }
    const sub = new Subscription(this, subject, queue, sid);
    if (!this.acc.sl.insert(sub)) {
      this.sendErr(E.ERR_INVALID_SUBJECT);
      return null;
    }
    this.subs.set(sid, sub);
    if (this.verbose) this.sendOK();
    return sub;
  }

  onUnsub(buf: Buffer, s: number, e: number): boolean {
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - <<- [UNSUB ${buf.toString('utf8', s, e)}]`);
    const f = splitFields(buf, s, e, 2);
    if (f === null || f.length < 1) return this.argsError('UNSUB', buf, s, e);
    const sid = f[0];
    let max = -1;
    if (f.length === 2) {
      const b = Buffer.from(f[1], 'latin1');
      max = parseSizeStr(b);
    }
    const sub = this.subs.get(sid);
    if (this.verbose) this.sendOK();
    if (sub !== undefined) {
      if (max > 0 && max > sub.nm) {
        sub.max = max;
      } else {
        this.unsubscribe(sub);
      }
    }
    return true;
  }

  unsubscribe(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    this.subs.delete(sub.sid);
    this.acc.sl.remove(sub);
  }

  private removeAllSubs(): void {
    if (this.subs.size === 0) return;
    for (const sub of this.subs.values()) sub.closed = true;
    this.acc.sl.removeBatch(this.subs.values());
    this.subs.clear();
  }

  onPing(): boolean {
    if (this.host_.log.traceEnabled) this.host_.log.trace(`${this.label()} - <<- [PING]`);
    this.enqueue(PONG);
    if (!this.connectReceived || this.firstPongSent) return true;
    this.firstPongSent = true;
    if (this.opts.protocol >= 1) {
      // Proto-1 clients get one INFO with connect_info after their first PING.
      this.enqueue(Buffer.from(`INFO ${this.host_.infoJSON(this, true)}\r\n`, 'utf8'));
    }
    return true;
  }

  onPong(): boolean {
    this.pingsOut = 0;
    if (this.rttStart > 0) this.rtt = Date.now() - this.rttStart;
    return true;
  }

  onInfo(_buf: Buffer, _s: number, _e: number): boolean {
    // Clients do not send INFO; Go ignores it on client connections.
    return true;
  }

  onErr(buf: Buffer, s: number, e: number): boolean {
    this.host_.log.error(`${this.label()} - Client Error ${buf.toString('utf8', s, e)}`);
    this.closeConnection(ClosedReason.ParseError);
    return false;
  }

  onParseError(state: number, buf: Buffer, at: number): void {
    this.sendErr(E.ERR_UNKNOWN_PROTOCOL);
    const snip = JSON.stringify(buf.toString('latin1', at, Math.min(buf.length, at + 32)));
    this.host_.log.error(`${this.label()} - Client parser ERROR, state=${state}, i=${at}: proto='${snip}...'`);
    this.closeConnection(ClosedReason.ParseError);
  }

  onMaxControlLine(len: number): void {
    this.sendErr(E.ERR_MAX_CONTROL_LINE);
    this.host_.log.error(`${this.label()} - ${E.ERR_MAX_CONTROL_LINE}: ${len} vs ${this.parser.maxControlLine}`);
    this.closeConnection(ClosedReason.MaxControlLineExceeded);
  }

  onArgsError(op: string, buf: Buffer, s: number, e: number): void {
    this.argsError(op, buf, s, e);
  }

  private argsError(op: string, buf: Buffer, s: number, e: number): false {
    this.host_.log.error(`${this.label()} - process${op === 'HPUB' ? 'HeaderPub' : op.charAt(0) + op.slice(1).toLowerCase()} Parse Error: ${JSON.stringify(buf.toString('utf8', s, e))}`);
    this.closeConnection(ClosedReason.ProtocolViolation);
    return false;
  }

  // ------------------------------------------------------------------ delivery (hot path)

  /**
   * Queue one message for this client's subscription `sub`. `pa` and `buf[s,e)`
   * are the producer's parsed arguments and message. Returns false if not delivered.
   */
  deliver(sub: Subscription, pa: PubArg, buf: Buffer, s: number, e: number): boolean {
    if (this.closed || sub.closed) return false;
    if (this.stall.gated && !this.gatedDelivery()) return false;
    const perms = this.perms;
    if (perms !== null && perms.hasSubDeny && perms.denyDelivery(pa.subject, sub.queue)) return false;
    sub.nm++;
    if (sub.max > 0) {
      if (sub.nm > sub.max) {
        this.unsubscribe(sub);
        return false;
      }
      if (sub.nm === sub.max) this.unsubscribe(sub);
    }
    if (sub.icb !== null) {
      const hdr = pa.hdr > 0 ? buf.subarray(s, s + pa.hdr) : null;
      return sub.icb(sub, pa.shown ?? pa.subject, pa.reply, hdr, buf.subarray(pa.hdr > 0 ? s + pa.hdr : s, e), this.host_.currentProducer()) !== false;
    }
    if (perms !== null && perms.hasResponses && pa.reply.length > 0) perms.onReplyDelivered(pa.reply);

    const pb = pa.buf;
    const hasHdr = pa.hdr > 0;
    const withHdr = hasHdr && this.headers;
    // Payload region actually sent (headers stripped for clients that did not ask for them).
    const ps = hasHdr && !withHdr ? s + pa.hdr : s;
    const plen = e - ps;
    const sidLen = sub.sid.length;
    const subjLen = pa.subjectEnd - pa.subjectStart;
    const replyLen = pa.replyStart >= 0 ? pa.replyEnd - pa.replyStart : -1;
    // Upper bound of the MSG/HMSG line: op + subject + sid + reply + two sizes + separators.
    const lineMax = 5 + subjLen + 1 + sidLen + 1 + (replyLen >= 0 ? replyLen + 1 : 0) + 22 + CRLF_LEN;
    const out = this.out;
    const byRef = plen >= BY_REF_THRESHOLD;
    let p = out.reserve(byRef ? lineMax : lineMax + plen + CRLF_LEN);
    const d = out.slab;
    if (withHdr) {
      d[p++] = 0x48; // H
    }
    d[p++] = 0x4d; d[p++] = 0x53; d[p++] = 0x47; d[p++] = 0x20; // "MSG "
    p = copyBytes(pb, pa.subjectStart, pa.subjectEnd, d, p);
    d[p++] = 0x20;
    p = writeLatin1(d, sub.sid, p);
    d[p++] = 0x20;
    if (replyLen >= 0) {
      p = copyBytes(pb, pa.replyStart, pa.replyEnd, d, p);
      d[p++] = 0x20;
    }
    if (withHdr) {
      p = copyBytes(pb, pa.hdrStart, pa.hdrEnd, d, p);
      d[p++] = 0x20;
      p = copyBytes(pb, pa.sizeStart, pa.sizeEnd, d, p);
    } else if (hasHdr) {
      p = writeUint(d, plen, p);
    } else {
      p = copyBytes(pb, pa.sizeStart, pa.sizeEnd, d, p);
    }
    d[p++] = 13; d[p++] = 10;
    out.commitMsg(p, buf, ps, e);
    this.outMsgs++;
    this.outBytes += plen;
    const stats = this.host_.stats;
    stats.outMsgs++;
    stats.outBytes += plen;
    if (!this.dirty) this.host_.markDirty(this);
    // Our queue plus what the socket still holds, against Go's stall mark and max_pending.
    if (out.queued + this.sockPending > this.host_.opts.max_pending * 0.75) this.overStallMark();
    return true;
  }

  /** a client's own publishes are dropped for a gated consumer under no_fast_producer_stall (not a link's) */
  get dropsWhenGated(): boolean {
    return this.kind === CLIENT && !this.linkProxy;
  }

  /** Go deliverMsg for a consumer whose stall gate is closed; false drops the message. */
  protected gatedDelivery(): boolean {
    return gatedDelivery(this.host_, this.stall);
  }

  /**
   * Go queueOutbound: pending output above 3/4 of max_pending closes the stall
   * gate; above max_pending a client is a slow consumer and is closed.
   */
  protected overStallMark(): void {
    const mp = this.host_.opts.max_pending;
    if (this.kind === CLIENT && this.out.queued + this.sockPending > mp) {
      this.host_.noteSlowConsumer(this);
      this.host_.log.info(`${this.label()} - Slow Consumer Detected: MaxPending of ${mp} Exceeded`);
      this.closeConnection(ClosedReason.SlowConsumerPendingBytes);
      return;
    }
    closeGate(this.host_, this.stall);
  }

  private traceMsg(pa: PubArg, buf: Buffer, s: number, e: number): void {
    const op = pa.hdr >= 0 ? 'HPUB' : 'PUB';
    const args = pa.buf.toString('utf8', pa.subjectStart, pa.sizeEnd);
    this.host_.log.trace(`${this.label()} - <<- [${op} ${args}]`);
    const max = this.host_.opts.max_traced_msg_len;
    const body = buf.toString('utf8', s, max > 0 ? Math.min(e, s + max) : e);
    this.host_.log.trace(`${this.label()} - <<- MSG_PAYLOAD: [${JSON.stringify(body)}${max > 0 && e - s > max ? '...' : ''}]`);
  }

  // ------------------------------------------------------------------ pings

  private armFirstPing(): void {
    const interval = this.host_.opts.ping_interval;
    if (interval <= 0) return;
    let d = Math.min(interval, FIRST_CLIENT_PING_MS);
    d += Math.floor(Math.random() * (d / 5));
    this.setPingTimer(d);
  }

  private setPingTimer(ms: number): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.onPingTimer(), ms);
  }

  private onPingTimer(): void {
    this.pingTimer = null;
    if (this.closed) return;
    const opts = this.host_.opts;
    const now = Date.now();
    const needRTT = this.rtt === 0 || now - this.rttStart > RTT_MEASUREMENT_INTERVAL_MS;
    if (needRTT || now - this.lastIn >= opts.ping_interval) {
      this.pingsOut++;
      if (this.pingsOut > opts.ping_max) {
        this.host_.noteStaleConnection(this);
        this.sendErr(E.ERR_STALE_CONNECTION);
        this.closeConnection(ClosedReason.StaleConnection);
        return;
      }
      this.rttStart = now;
      this.enqueue(PING);
    }
    this.setPingTimer(opts.ping_interval);
  }

  // ------------------------------------------------------------------ close

  /** The one close path: flush what is queued (e.g. a final -ERR), release everything, record the reason. */
  closeConnection(reason: ClosedReason): void {
    if (this.closed) return;
    // Write out anything queued so a final -ERR reaches the peer (not for a slow consumer: Go drops its backlog).
    const slow = reason === ClosedReason.SlowConsumerPendingBytes || reason === ClosedReason.SlowConsumerWriteDeadline;
    if (slow) this.out.clear();
    if (this.out.queued > 0 && !this.socket.destroyed) {
      try {
        this.out.flush(this.socket);
      } catch {
        /* socket already gone */
      }
    }
    this.closed = true;
    this.closeReason = reason;
    this.stop = new Date();
    this.authTimer.clear();
    if (this.calloutCancel !== null) {
      this.calloutCancel();
      this.calloutCancel = null;
    }
    this.pendingIn = null;
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.writeDeadline.clear();
    // Go closeConnection: anyone stalled on us goes on.
    this.stall.dispose();
    if (this.jwtExpTimer !== null) clearTimeout(this.jwtExpTimer);
    this.jwtExpTimer = null;
    this.pingTimer = null;
    this.out.clear();
    if (!this.socket.destroyed) {
      (this.socket as Partial<CloseReasonSink>).noteCloseReason?.(reason);
      releaseSocket(this.socket, slow);
    }
    for (const sub of this.subs.values()) sub.closed = true;
    if (this.subs.size > 0) this.acc.sl.removeBatch(this.subs.values());
    this.host_.removeClient(this, reason);
  }

  /** The CONNECT credentials against the configured users; no credentials at all may fall back to no_auth_user. */
  private checkCredentials(): AuthResult | null {
    const o = this.opts;
    const auth = this.authn;
    const r = auth.authenticate({ opts: o, nonce: this.nonce, connectionType: this.connectionType, host: this.host });
    if (r !== null || o.user || o.pass || o.auth_token || o.nkey || o.sig || o.jwt) return r;
    return auth.noAuthUser({ opts: o, nonce: this.nonce, connectionType: this.connectionType });
  }

  /**
   * Config reload (Go reloadAuthorization and processSubsOnConfigReload):
   * check the connection's credentials against the new configuration. No
   * longer valid: Authorization Violation. Now in another account: closed
   * (the client reconnects into it). Otherwise the new permissions and limits
   * apply, and subscriptions they no longer allow are removed with an error.
   */
  reloadAuthorization(): void {
    if (!this.connectReceived || this.closed) return;
    // A callout login (or one in flight) stands until the connection ends; it is not re-asked on reload.
    if (this.viaCallout || this.calloutCancel !== null) return;
    const r: AuthResult | null = this.authn.authRequired ? this.checkCredentials() : { user: '', permissions: null, account: GLOBAL_ACCOUNT };
    if (r === null) {
      this.authViolation();
      return;
    }
    const acc = this.host_.lookupAccount(r.account);
    if (acc !== null && acc !== this.acc) {
      this.closeConnection(ClosedReason.ClientClosed);
      return;
    }
    this.authorizedUser = r.user;
    this.perms = r.permissions;
    this.applyLimits();
    const perms = this.perms;
    if (perms === null || !perms.hasSub) return;
    for (const sub of [...this.subs.values()]) {
      if (perms.canSubscribe(sub.subject, sub.queue)) continue;
      this.unsubscribe(sub);
      const subj = displayString(sub.subject);
      if (sub.queue) {
        this.sendErr(`Permissions Violation for Subscription to "${subj}" using queue "${displayString(sub.queue)}" (sid "${sub.sid}")`);
        this.host_.log.info(`Removed sub "${subj}" using queue "${displayString(sub.queue)}" (sid "${sub.sid}") for ${this.authorizedUser} - not authorized`);
      } else {
        this.sendErr(`Permissions Violation for Subscription to "${subj}" (sid "${sub.sid}")`);
        this.host_.log.info(`Removed sub "${subj}" (sid "${sub.sid}") for ${this.authorizedUser} - not authorized`);
      }
    }
  }
}

/** `_R_.`, `$JS.ACK.` and `_GR_.` reply prefixes are reserved (Go isReservedReply). */
function isReservedReply(reply: string): boolean {
  return (
    (reply.length > 3 && reply.startsWith('_R_.')) ||
    (reply.length > 8 && reply.startsWith('$JS.ACK.')) ||
    (reply.length > 5 && reply.startsWith('_GR_.'))
  );
}

/** Split on spaces, tabs, CR and LF (Go splitArg). Returns null when more than `max` fields. */
function splitFields(buf: Buffer, s: number, e: number, max: number): string[] | null {
  const out: string[] = [];
  let start = -1;
  for (let k = s; k <= e; k++) {
    const c = k < e ? buf[k] : 32;
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      if (start >= 0) {
        if (out.length === max) return null;
        out.push(latin1(buf, start, k));
        start = -1;
      }
    } else if (start < 0) {
      start = k;
    }
  }
  return out;
}

function parseSizeStr(b: Buffer): number {
  if (b.length === 0 || b.length > 9) return -1;
  let n = 0;
  for (let k = 0; k < b.length; k++) {
    const c = b[k] - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** The tighter of two limits where -1 means none (Go minLimit). */
function minLimit(v: number, limit: number): number {
  if (v < 0) return limit;
  return limit >= 0 && limit < v ? limit : v;
}

function countTokens(subject: string): number {
  let n = 1;
  for (let k = 0; k < subject.length; k++) if (subject.charCodeAt(k) === 46) n++;
  return n;
}

/** Go getAuthUserLabel: how log lines name the credentials a client logged in with. */
function authUserLabel(o: ConnectOptions): string {
  if (o.nkey) return `nkey:${o.nkey}`;
  if (o.user) return `user:${o.user}`;
  if (o.auth_token) return 'token';
  return '';
}

/** Go getRawAuthUser: the identity a client claimed, as auth_users and the callout see it. */
function rawAuthUser(o: ConnectOptions): string {
  if (o.nkey) return o.nkey;
  if (o.user) return o.user;
  if (o.auth_token) return '[REDACTED]';
  return '';
}

/** PEM of the TLS peer's certificate, when the socket is TLS and the client sent one. */
function peerCertsPem(sock: Socket): string[] {
  const t = sock as Socket & { getPeerCertificate?: (detailed: boolean) => { raw?: Buffer } | null };
  if (typeof t.getPeerCertificate !== 'function') return [];
  const raw = t.getPeerCertificate(false)?.raw;
  if (!raw || raw.length === 0) return [];
  const b64 = raw.toString('base64').replace(/.{1,64}/g, '$&\n');
  return [`-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`];
}

/** Hide secrets in a traced CONNECT (Go removeSecretsFromTrace). */
function redactConnect(s: string): string {
  return s.replace(/"(pass|auth_token|sig|jwt)"\s*:\s*"[^"]*"/g, '"$1":"[REDACTED]"');
}
