/**
 * Byte-level state machine for the NATS client protocol (the client side of
 * Go's `server/parser.go`), written for Node: one parser per connection, fed
 * each socket chunk in turn. It allocates nothing per message when an op lies
 * in one chunk: argument lines are located with `indexOf` and handed to the
 * handler as (buffer, start, end) offsets; payloads are handed over as offsets
 * into the chunk. Only when an op is split across chunks are its argument
 * bytes or payload copied into per-connection scratch.
 *
 * Behaviour matched from Go: ops are case-insensitive; `PING`/`PONG`/`+OK`
 * ignore anything up to the newline; an argument line's length is checked
 * against max_control_line both when complete and when a chunk ends inside it;
 * a payload must be followed by exactly CR LF; any unexpected byte is a parse
 * error (`-ERR 'Unknown Protocol Operation'`).
 */

import { latin1 } from '../util/bytes.js';

export const OP_START = 0;
const OP_PLUS = 1;
const OP_PLUS_O = 2;
const OP_PLUS_OK = 3;
const OP_MINUS = 4;
const OP_MINUS_E = 5;
const OP_MINUS_ER = 6;
const OP_MINUS_ERR = 7;
const OP_MINUS_ERR_SPC = 8;
const MINUS_ERR_ARG = 9;
const OP_C = 10;
const OP_CO = 11;
const OP_CON = 12;
const OP_CONN = 13;
const OP_CONNE = 14;
const OP_CONNEC = 15;
const OP_CONNECT = 16;
const CONNECT_ARG = 17;
const OP_H = 18;
const OP_HP = 19;
const OP_HPU = 20;
const OP_HPUB = 21;
const OP_HPUB_SPC = 22;
const HPUB_ARG = 23;
const OP_P = 24;
const OP_PU = 25;
const OP_PUB = 26;
const OP_PUB_SPC = 27;
const PUB_ARG = 28;
const OP_PI = 29;
const OP_PIN = 30;
const OP_PING = 31;
const OP_PO = 32;
const OP_PON = 33;
const OP_PONG = 34;
export const MSG_PAYLOAD = 35;
const MSG_END_R = 36;
const MSG_END_N = 37;
const OP_S = 38;
const OP_SU = 39;
const OP_SUB = 40;
const OP_SUB_SPC = 41;
const SUB_ARG = 42;
const OP_U = 43;
const OP_UN = 44;
const OP_UNS = 45;
const OP_UNSU = 46;
const OP_UNSUB = 47;
const OP_UNSUB_SPC = 48;
const UNSUB_ARG = 49;
const OP_I = 50;
const OP_IN = 51;
const OP_INF = 52;
const OP_INFO = 53;
const INFO_ARG = 54;
// Route-only ops (Go parser.go gates them by c.kind): RS+, RS-, RMSG, and HMSG in its routed form (leafs use HMSG too).
const OP_R = 55;
const OP_RS = 56;
const OP_RSUB = 57;
const OP_RUNSUB = 58;
const RSUB_ARG = 59;
const RUNSUB_ARG = 60;
const OP_RM = 61;
const OP_RMS = 62;
const OP_RMSG = 63;
const OP_RMSG_SPC = 64;
const RMSG_ARG = 65;
const OP_HM = 66;
const OP_HMS = 67;
const OP_HMSG = 68;
const OP_HMSG_SPC = 69;
const HMSG_ARG = 70;

/** Connection kinds the parser distinguishes (Go client.kind). */
export const KIND_CLIENT = 0;
export const KIND_ROUTER = 1;

// Leaf node ops (Go parser.go, only for LEAF connections): LS+, LS-, LMSG; HMSG shares the states above.
const OP_L = 71;
const OP_LS = 72;
const OP_LS_PLUS = 73;
const OP_LS_MINUS = 74;
const OP_LS_PLUS_SPC = 75;
const OP_LS_MINUS_SPC = 76;
const LS_PLUS_ARG = 77;
const LS_MINUS_ARG = 78;
const OP_LM = 79;
const OP_LMS = 80;
const OP_LMSG = 81;
const OP_LMSG_SPC = 82;
const LMSG_ARG = 83;
// Gateway-only ops (Go parser.go, GATEWAY kind): A+ / A- (account interest).
const OP_A = 84;
const OP_ASUB = 85;
const OP_AUNSUB = 86;
const ASUB_ARG = 87;
const AUNSUB_ARG = 88;

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;

/** Arguments of the PUB/HPUB being parsed, as offsets into `buf`. Reused for every message. */
export class PubArg {
  buf: Buffer = EMPTY;
  subjectStart = 0;
  subjectEnd = 0;
  /** -1 when there is no reply */
  replyStart = -1;
  replyEnd = -1;
  /** total size bytes (payload size for PUB, header+payload for HPUB) */
  sizeStart = 0;
  sizeEnd = 0;
  /** header size bytes, -1 for PUB */
  hdrStart = -1;
  hdrEnd = -1;
  /** total message size (header + payload) */
  size = 0;
  /** header size, -1 when the message has no header block */
  hdr = -1;
  /** decoded subject (latin1: one char per byte; the sublist key) */
  subject = '';
  /** decoded reply ('' when none); null while it is only the bytes [replyStart, replyEnd) of buf */
  private replyStr: string | null = '';
  /**
   * Subject receivers see when it differs from the routing subject (server
   * deliveries: JetStream routes on the deliver subject, shows the original).
   * Null for client publishes.
   */
  shown: string | null = null;
  /**
   * Queue group names of a leaf LMSG/HMSG (`+ reply q1 q2` or `| q1 q2`) as
   * the byte range buf[queuesStart, queuesEnd) of space-separated names; -1
   * when the message carries no queue list.
   */
  queuesStart = -1;
  queuesEnd = -1;

  /** The reply as a latin1 string, '' when none (decoded on first read after `replyInBuf`). */
  get reply(): string {
    let r = this.replyStr;
    if (r === null) {
      r = this.replyStart >= 0 ? this.buf.latin1Slice(this.replyStart, this.replyEnd) : '';
      this.replyStr = r;
    }
    return r;
  }

  set reply(v: string) {
    this.replyStr = v;
  }

  /**
   * The reply is given only by its bytes in `buf`: most deliveries (to client
   * connections) copy those bytes and never need the string, so internal
   * senders (JetStream ack subjects) skip building it.
   */
  replyInBuf(): void {
    this.replyStr = null;
  }

  reset(): void {
    this.queuesStart = -1;
    this.queuesEnd = -1;
    this.buf = EMPTY;
    this.replyStart = -1;
    this.replyEnd = -1;
    this.hdrStart = -1;
    this.hdrEnd = -1;
    this.size = 0;
    this.hdr = -1;
    this.subject = '';
    this.reply = '';
    this.shown = null;
  }
}

const EMPTY = Buffer.alloc(0);

/** What the parser calls. Each returns false when the connection was closed and parsing must stop. */
export interface ParserHandler {
  /** First op of a connection that must authenticate is not CONNECT. Return true to go on (no_auth_user). */
  onNonConnectFirstOp(): boolean;
  onConnect(buf: Buffer, start: number, end: number): boolean;
  /** PUB/HPUB argument line, already split into `pa`. `remaining` bytes follow in the chunk. */
  onPubArgs(pa: PubArg, isHeader: boolean): boolean;
  /** A complete message; payload is buf[start, end) (header block first when pa.hdr > 0). */
  onMsg(pa: PubArg, buf: Buffer, start: number, end: number): boolean;
  onSub(buf: Buffer, start: number, end: number): boolean;
  onUnsub(buf: Buffer, start: number, end: number): boolean;
  onPing(): boolean;
  onPong(): boolean;
  onInfo(buf: Buffer, start: number, end: number): boolean;
  onErr(buf: Buffer, start: number, end: number): boolean;
  /** LS+ / LS- argument lines (leaf connections only). */
  onLeafSub?(buf: Buffer, start: number, end: number): boolean;
  onLeafUnsub?(buf: Buffer, start: number, end: number): boolean;
  /** A+ / A- argument lines (gateway connections only). */
  onAccountSub?(buf: Buffer, start: number, end: number): boolean;
  onAccountUnsub?(buf: Buffer, start: number, end: number): boolean;
  /** Unexpected byte: send `Unknown Protocol Operation` and close. */
  onParseError(state: number, buf: Buffer, at: number): void;
  /** Argument line too long. */
  onMaxControlLine(len: number): void;
  /** PUB/HPUB/SUB/UNSUB argument line malformed: close without -ERR (Go: protocol violation). */
  onArgsError(op: string, buf: Buffer, start: number, end: number): void;
  // ---- route connections only (the parser never calls these for clients) ----
  /** `RS+ <account> <subject> [<queue> <weight>]` arguments */
  onRemoteSub?(buf: Buffer, start: number, end: number, withOrigin?: boolean): boolean;
  /** `RS- <account> <subject> [<queue>]` arguments */
  onRemoteUnsub?(buf: Buffer, start: number, end: number): boolean;
  /** RMSG/HMSG argument line: fill `pa` (subject, reply, sizes) and return false to stop. */
  onRoutedMsgArgs?(pa: PubArg, buf: Buffer, start: number, end: number, isHeader: boolean, withOrigin: boolean): boolean;
}

export class Parser {
  state = OP_START;
  /** set by the connection while CONNECT is still required before other ops */
  awaitingConnect = false;
  /** a leaf node connection: LS+, LS-, LMSG and HMSG are accepted (Go gates them by c.kind) */
  leaf = false;
  /** a gateway connection (route ops plus A+ / A-) */
  gateway = false;
  /** the message being parsed is a leaf LMSG/HMSG (its arguments carry no sid and may list queues) */
  private isLeafMsg = false;
  /**
   * Set by the handler from onConnect/onNonConnectFirstOp when the login
   * continues asynchronously (auth callout): parsing stops after that op and
   * the unparsed rest of the chunk is kept until `resume()`.
   */
  paused = false;
  private held: Buffer | null = null;
  maxControlLine: number;
  readonly pa = new PubArg();
  private isHeaderPub = false;
  /** start of the current argument in the current chunk */
  private as = 0;
  /** argument bytes carried over from an earlier chunk */
  private argBuf: Buffer | null = null;
  private argLen = 0;
  /** payload (plus CR LF) carried over from an earlier chunk */
  private msgBuf: Buffer | null = null;
  private msgLen = 0;

  constructor(
    private readonly h: ParserHandler,
    maxControlLine: number,
    readonly kind = KIND_CLIENT,
  ) {
    this.maxControlLine = maxControlLine;
  }

  /** Feed one chunk. Returns false when the handler closed the connection. */
  parse(buf: Buffer): boolean {
    const h = this.h;
    const len = buf.length;
    let i = 0;
    for (; i < len; i++) {
      const b = buf[i];
      switch (this.state) {
        case OP_START:
          if (this.awaitingConnect && b !== 0x43 && b !== 0x63) {
            if (!h.onNonConnectFirstOp()) return false;
            // Login went asynchronous (auth callout): this op waits with the rest of the chunk.
            if (this.paused) return this.hold(buf, i);
          }
          switch (b) {
            case 0x50: case 0x70: this.state = OP_P; break; // P
            case 0x48: case 0x68: this.state = OP_H; break; // H
            case 0x53: case 0x73: this.state = OP_S; break; // S
            case 0x55: case 0x75: this.state = OP_U; break; // U
            case 0x43: case 0x63: this.state = OP_C; break; // C
            case 0x49: case 0x69: this.state = OP_I; break; // I
            case 0x2b: this.state = OP_PLUS; break; // +
            case 0x2d: this.state = OP_MINUS; break; // -
            case 0x52: case 0x72: // R (a leaf may send the route spellings RS+/RS-/RMSG too, as Go's parser allows)
              if (this.kind === KIND_ROUTER) this.state = OP_R;
              else if (this.leaf) this.state = OP_L;
              else return this.fail(buf, i);
              break;
            case 0x41: case 0x61: // A (gateways)
              if (!this.gateway) return this.fail(buf, i);
              this.state = OP_A;
              break;
            case 0x4c: case 0x6c: // L (a route sends LMSG for a message from a leaf cluster: Go lnoc)
              if (!this.leaf && (this.kind !== KIND_ROUTER || this.gateway)) return this.fail(buf, i);
              this.state = OP_L;
              break;
            default: return this.fail(buf, i);
          }
          break;

        // ---- PUB / PING / PONG ----
        case OP_P:
          if (b === 0x55 || b === 0x75) this.state = OP_PU;
          else if (b === 0x49 || b === 0x69) this.state = OP_PI;
          else if (b === 0x4f || b === 0x6f) this.state = OP_PO;
          else return this.fail(buf, i);
          break;
        case OP_PU:
          if (b === 0x42 || b === 0x62) this.state = OP_PUB;
          else return this.fail(buf, i);
          break;
        case OP_PUB:
          if (b === SPACE || b === TAB) this.state = OP_PUB_SPC;
          else return this.fail(buf, i);
          break;
        case OP_PUB_SPC:
          if (b === SPACE || b === TAB) break;
          this.isHeaderPub = false;
          this.isLeafMsg = false;
          this.state = PUB_ARG;
          this.as = i;
          i--;
          break;
        case PUB_ARG:
        case HPUB_ARG:
        case RMSG_ARG:
        case LMSG_ARG:
        case HMSG_ARG: {
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          if (this.isLeafMsg) {
            if (!this.leafMsgArgs(this.argB, this.argS, this.argE)) return false;
          } else if (this.state === RMSG_ARG || this.state === HMSG_ARG || this.state === LMSG_ARG) {
            // a route's LMSG: <origin cluster> then the HMSG form (header size always present)
            if (!h.onRoutedMsgArgs!(this.pa, this.argB, this.argS, this.argE, this.state !== RMSG_ARG, this.state === LMSG_ARG)) return false;
          } else if (!this.pubArgs(this.argB, this.argS, this.argE)) return false;
          // Payload starts after the newline.
          const start = i + 1;
          const need = this.pa.size;
          if (start + need + 2 <= len) {
            // Whole payload and its CR LF are in this chunk: hand out a view.
            if (buf[start + need] !== CR) return this.fail(buf, start + need);
            if (buf[start + need + 1] !== LF) return this.fail(buf, start + need + 1);
            this.state = OP_START;
            if (!h.onMsg(this.pa, buf, start, start + need)) return false;
            this.pa.reset();
            i = start + need + 1;
          } else {
            this.startPayload(buf, start);
            i = len;
          }
          break;
        }
        case MSG_PAYLOAD:
        case MSG_END_R:
        case MSG_END_N: {
          // Only reached when a payload spans chunks.
          const r = this.continuePayload(buf, i);
          if (r === -2) return false;
          i = r;
          break;
        }
        case OP_PI:
          if (b === 0x4e || b === 0x6e) this.state = OP_PIN;
          else return this.fail(buf, i);
          break;
        case OP_PIN:
          if (b === 0x47 || b === 0x67) this.state = OP_PING;
          else return this.fail(buf, i);
          break;
        case OP_PING: {
          const nl = buf.indexOf(LF, i);
          if (nl < 0) { i = len; break; }
          i = nl;
          this.state = OP_START;
          if (!h.onPing()) return false;
          break;
        }
        case OP_PO:
          if (b === 0x4e || b === 0x6e) this.state = OP_PON;
          else return this.fail(buf, i);
          break;
        case OP_PON:
          if (b === 0x47 || b === 0x67) this.state = OP_PONG;
          else return this.fail(buf, i);
          break;
        case OP_PONG: {
          const nl = buf.indexOf(LF, i);
          if (nl < 0) { i = len; break; }
          i = nl;
          this.state = OP_START;
          if (!h.onPong()) return false;
          break;
        }

        // ---- HPUB ----
        case OP_H:
          if (b === 0x50 || b === 0x70) this.state = OP_HP;
          else if ((b === 0x4d || b === 0x6d) && (this.kind === KIND_ROUTER || this.leaf)) this.state = OP_HM;
          else return this.fail(buf, i);
          break;
        case OP_HM:
          if (b === 0x53 || b === 0x73) this.state = OP_HMS;
          else return this.fail(buf, i);
          break;
        case OP_HMS:
          if (b === 0x47 || b === 0x67) this.state = OP_HMSG;
          else return this.fail(buf, i);
          break;
        case OP_HMSG:
          if (b === SPACE || b === TAB) this.state = OP_HMSG_SPC;
          else return this.fail(buf, i);
          break;
        case OP_HMSG_SPC:
        case OP_RMSG_SPC:
          if (b === SPACE || b === TAB) break;
          // a leaf's HMSG has the leaf argument form; a route's HMSG and RMSG the routed one
          this.isLeafMsg = this.leaf && this.state === OP_HMSG_SPC;
          this.isHeaderPub = this.state === OP_HMSG_SPC;
          this.state = this.state === OP_HMSG_SPC ? HMSG_ARG : RMSG_ARG;
          this.as = i;
          i--;
          break;

        // ---- A+ / A- (gateways) ----
        case OP_A:
          if (b === 0x2b) this.state = OP_ASUB;
          else if (b === 0x2d) this.state = OP_AUNSUB;
          else return this.fail(buf, i);
          break;
        case OP_ASUB:
        case OP_AUNSUB:
          if (b === SPACE || b === TAB) break;
          this.state = this.state === OP_ASUB ? ASUB_ARG : AUNSUB_ARG;
          this.as = i;
          i--;
          break;
        case ASUB_ARG:
        case AUNSUB_ARG: {
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          const isSub = this.state === ASUB_ARG;
          this.state = OP_START;
          if (isSub ? !h.onAccountSub!(this.argB, this.argS, this.argE) : !h.onAccountUnsub!(this.argB, this.argS, this.argE)) return false;
          break;
        }

        // ---- RS+ / RS- / RMSG (routes) ----
        case OP_R:
          if (b === 0x53 || b === 0x73) this.state = OP_RS;
          else if (b === 0x4d || b === 0x6d) this.state = OP_RM;
          else return this.fail(buf, i);
          break;
        case OP_RS:
          if (b === 0x2b) this.state = OP_RSUB;
          else if (b === 0x2d) this.state = OP_RUNSUB;
          else return this.fail(buf, i);
          break;
        case OP_RSUB:
        case OP_RUNSUB:
          if (b === SPACE || b === TAB) break;
          this.state = this.state === OP_RSUB ? RSUB_ARG : RUNSUB_ARG;
          this.as = i;
          i--;
          break;
        case RSUB_ARG:
        case RUNSUB_ARG: {
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          const isSub = this.state === RSUB_ARG;
          this.state = OP_START;
          if (isSub ? !h.onRemoteSub!(this.argB, this.argS, this.argE) : !h.onRemoteUnsub!(this.argB, this.argS, this.argE)) return false;
          break;
        }
        case OP_RM:
          if (b === 0x53 || b === 0x73) this.state = OP_RMS;
          else return this.fail(buf, i);
          break;
        case OP_RMS:
          if (b === 0x47 || b === 0x67) this.state = OP_RMSG;
          else return this.fail(buf, i);
          break;
        case OP_RMSG:
          if (b === SPACE || b === TAB) this.state = OP_RMSG_SPC;
          else return this.fail(buf, i);
          break;
        // ---- LS+ / LS- / LMSG (leaf connections) ----
        case OP_L:
          if (b === 0x53 || b === 0x73) this.state = OP_LS;
          else if (b === 0x4d || b === 0x6d) this.state = OP_LM;
          else return this.fail(buf, i);
          break;
        case OP_LS:
          if (b === 0x2b) this.state = OP_LS_PLUS;
          else if (b === 0x2d) this.state = OP_LS_MINUS;
          else return this.fail(buf, i);
          break;
        case OP_LS_PLUS:
          if (b === SPACE || b === TAB) this.state = OP_LS_PLUS_SPC;
          else return this.fail(buf, i);
          break;
        case OP_LS_MINUS:
          if (b === SPACE || b === TAB) this.state = OP_LS_MINUS_SPC;
          else return this.fail(buf, i);
          break;
        case OP_LS_PLUS_SPC:
        case OP_LS_MINUS_SPC:
          if (b === SPACE || b === TAB) break;
          this.state = this.state === OP_LS_PLUS_SPC ? LS_PLUS_ARG : LS_MINUS_ARG;
          this.as = i;
          i--;
          break;
        case LS_PLUS_ARG:
        case LS_MINUS_ARG: {
          const plus = this.state === LS_PLUS_ARG;
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          this.state = OP_START;
          if (!this.leaf) {
            // a route's LS+ <origin> <account> <subject> [<queue> <weight>] / LS- <account> <subject> [<queue>] (Go lnoc)
            if (plus ? !h.onRemoteSub!(this.argB, this.argS, this.argE, true) : !h.onRemoteUnsub!(this.argB, this.argS, this.argE)) return false;
          } else if (plus ? !h.onLeafSub!(this.argB, this.argS, this.argE) : !h.onLeafUnsub!(this.argB, this.argS, this.argE)) return false;
          break;
        }
        case OP_LM:
          if (b === 0x53 || b === 0x73) this.state = OP_LMS;
          else return this.fail(buf, i);
          break;
        case OP_LMS:
          if (b === 0x47 || b === 0x67) this.state = OP_LMSG;
          else return this.fail(buf, i);
          break;
        case OP_LMSG:
          if (b === SPACE || b === TAB) this.state = OP_LMSG_SPC;
          else return this.fail(buf, i);
          break;
        case OP_LMSG_SPC:
          if (b === SPACE || b === TAB) break;
          this.isHeaderPub = false;
          this.isLeafMsg = this.leaf;
          this.state = LMSG_ARG;
          this.as = i;
          i--;
          break;
        case OP_HP:
          if (b === 0x55 || b === 0x75) this.state = OP_HPU;
          else return this.fail(buf, i);
          break;
        case OP_HPU:
          if (b === 0x42 || b === 0x62) this.state = OP_HPUB;
          else return this.fail(buf, i);
          break;
        case OP_HPUB:
          if (b === SPACE || b === TAB) this.state = OP_HPUB_SPC;
          else return this.fail(buf, i);
          break;
        case OP_HPUB_SPC:
          if (b === SPACE || b === TAB) break;
          this.isHeaderPub = true;
          this.isLeafMsg = false;
          this.state = HPUB_ARG;
          this.as = i;
          i--;
          break;

        // ---- SUB ----
        case OP_S:
          if (b === 0x55 || b === 0x75) this.state = OP_SU;
          else return this.fail(buf, i);
          break;
        case OP_SU:
          if (b === 0x42 || b === 0x62) this.state = OP_SUB;
          else return this.fail(buf, i);
          break;
        case OP_SUB:
          if (b === SPACE || b === TAB) this.state = OP_SUB_SPC;
          else return this.fail(buf, i);
          break;
        case OP_SUB_SPC:
          if (b === SPACE || b === TAB) break;
          this.state = SUB_ARG;
          this.as = i;
          i--;
          break;
        case SUB_ARG: {
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          this.state = OP_START;
          if (!h.onSub(this.argB, this.argS, this.argE)) return false;
          break;
        }

        // ---- UNSUB ----
        case OP_U:
          if (b === 0x4e || b === 0x6e) this.state = OP_UN;
          else return this.fail(buf, i);
          break;
        case OP_UN:
          if (b === 0x53 || b === 0x73) this.state = OP_UNS;
          else return this.fail(buf, i);
          break;
        case OP_UNS:
          if (b === 0x55 || b === 0x75) this.state = OP_UNSU;
          else return this.fail(buf, i);
          break;
        case OP_UNSU:
          if (b === 0x42 || b === 0x62) this.state = OP_UNSUB;
          else return this.fail(buf, i);
          break;
        case OP_UNSUB:
          if (b === SPACE || b === TAB) this.state = OP_UNSUB_SPC;
          else return this.fail(buf, i);
          break;
        case OP_UNSUB_SPC:
          if (b === SPACE || b === TAB) break;
          this.state = UNSUB_ARG;
          this.as = i;
          i--;
          break;
        case UNSUB_ARG: {
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          this.state = OP_START;
          if (!h.onUnsub(this.argB, this.argS, this.argE)) return false;
          break;
        }

        // ---- CONNECT ----
        case OP_C:
          if (b === 0x4f || b === 0x6f) this.state = OP_CO;
          else return this.fail(buf, i);
          break;
        case OP_CO:
          if (b === 0x4e || b === 0x6e) this.state = OP_CON;
          else return this.fail(buf, i);
          break;
        case OP_CON:
          if (b === 0x4e || b === 0x6e) this.state = OP_CONN;
          else return this.fail(buf, i);
          break;
        case OP_CONN:
          if (b === 0x45 || b === 0x65) this.state = OP_CONNE;
          else return this.fail(buf, i);
          break;
        case OP_CONNE:
          if (b === 0x43 || b === 0x63) this.state = OP_CONNEC;
          else return this.fail(buf, i);
          break;
        case OP_CONNEC:
          if (b === 0x54 || b === 0x74) this.state = OP_CONNECT;
          else return this.fail(buf, i);
          break;
        case OP_CONNECT:
          if (b === SPACE || b === TAB) break;
          this.state = CONNECT_ARG;
          this.as = i;
          i--;
          break;
        case CONNECT_ARG: {
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          this.state = OP_START;
          if (!h.onConnect(this.argB, this.argS, this.argE)) return false;
          if (this.paused) return this.hold(buf, i + 1);
          break;
        }

        // ---- INFO ----
        case OP_I:
          if (b === 0x4e || b === 0x6e) this.state = OP_IN;
          else return this.fail(buf, i);
          break;
        case OP_IN:
          if (b === 0x46 || b === 0x66) this.state = OP_INF;
          else return this.fail(buf, i);
          break;
        case OP_INF:
          if (b === 0x4f || b === 0x6f) this.state = OP_INFO;
          else return this.fail(buf, i);
          break;
        case OP_INFO:
          if (b === SPACE || b === TAB) break;
          this.state = INFO_ARG;
          this.as = i;
          i--;
          break;
        case INFO_ARG: {
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          this.state = OP_START;
          if (!h.onInfo(this.argB, this.argS, this.argE)) return false;
          break;
        }

        // ---- +OK / -ERR ----
        case OP_PLUS:
          if (b === 0x4f || b === 0x6f) this.state = OP_PLUS_O;
          else return this.fail(buf, i);
          break;
        case OP_PLUS_O:
          if (b === 0x4b || b === 0x6b) this.state = OP_PLUS_OK;
          else return this.fail(buf, i);
          break;
        case OP_PLUS_OK: {
          const nl = buf.indexOf(LF, i);
          if (nl < 0) { i = len; break; }
          i = nl;
          this.state = OP_START;
          break;
        }
        case OP_MINUS:
          if (b === 0x45 || b === 0x65) this.state = OP_MINUS_E;
          else return this.fail(buf, i);
          break;
        case OP_MINUS_E:
          if (b === 0x52 || b === 0x72) this.state = OP_MINUS_ER;
          else return this.fail(buf, i);
          break;
        case OP_MINUS_ER:
          if (b === 0x52 || b === 0x72) this.state = OP_MINUS_ERR;
          else return this.fail(buf, i);
          break;
        case OP_MINUS_ERR:
          if (b === SPACE || b === TAB) this.state = OP_MINUS_ERR_SPC;
          else return this.fail(buf, i);
          break;
        case OP_MINUS_ERR_SPC:
          if (b === SPACE || b === TAB) break;
          this.state = MINUS_ERR_ARG;
          this.as = i;
          i--;
          break;
        case MINUS_ERR_ARG: {
          const r = this.scanArg(buf, i);
          if (r < 0) { i = len; break; }
          if (r === 0) return false;
          i = this.argNl;
          this.state = OP_START;
          if (!h.onErr(this.argB, this.argS, this.argE)) return false;
          break;
        }
        default:
          return this.fail(buf, i);
      }
    }
    return true;
  }

  // Results of scanArg (fields rather than an object, to avoid an allocation per op).
  private argB: Buffer = EMPTY;
  private argS = 0;
  private argE = 0;
  private argNl = 0;

  /**
   * Find the end of the argument line that began at `this.as` (or in argBuf).
   * Returns 1 with argB/argS/argE/argNl set when the line is complete, -1 when
   * the chunk ended inside it (bytes saved), 0 when the connection was closed.
   */
  private scanArg(buf: Buffer, i: number): number {
    const nl = buf.indexOf(LF, i);
    const mcl = this.maxControlLine;
    if (nl < 0) {
      // Save what we have; check the limit as Go does at the end of a chunk.
      const from = this.argBuf === null ? this.as : i;
      this.appendArg(buf, from, buf.length);
      const effective = this.argLen;
      if (mcl > 0 && effective > mcl) {
        this.h.onMaxControlLine(effective);
        return 0;
      }
      return -1;
    }
    let b: Buffer;
    let s: number;
    let e: number;
    if (this.argBuf !== null) {
      this.appendArg(buf, i, nl);
      b = this.argBuf;
      s = 0;
      e = this.argLen;
      this.argBuf = null;
      this.argLen = 0;
    } else {
      b = buf;
      s = this.as;
      e = nl;
    }
    // Go drops one trailing byte when a CR appeared in the line (normally the CR before LF).
    if (e > s && (b[e - 1] === CR || hasCR(b, s, e - 1))) e--;
    if (mcl > 0 && e - s > mcl) {
      this.h.onMaxControlLine(e - s);
      return 0;
    }
    this.argB = b;
    this.argS = s;
    this.argE = e;
    this.argNl = nl;
    return 1;
  }

  private appendArg(buf: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.argBuf === null) {
      this.argBuf = Buffer.allocUnsafe(Math.max(256, n * 2));
      this.argLen = 0;
    }
    if (this.argLen + n > this.argBuf.length) {
      const nb = Buffer.allocUnsafe((this.argLen + n) * 2);
      this.argBuf.copy(nb, 0, 0, this.argLen);
      this.argBuf = nb;
    }
    buf.copy(this.argBuf, this.argLen, from, to);
    this.argLen += n;
  }

  /** Split a PUB/HPUB argument line into `pa`. */
  private pubArgs(b: Buffer, s: number, e: number): boolean {
    const pa = this.pa;
    // Up to 4 fields separated by runs of spaces/tabs.
    let n = 0;
    let f0s = 0, f0e = 0, f1s = 0, f1e = 0, f2s = 0, f2e = 0, f3s = 0, f3e = 0;
    let start = -1;
    for (let k = s; k <= e; k++) {
      const c = k < e ? b[k] : SPACE;
      if (c === SPACE || c === TAB) {
        if (start >= 0) {
          switch (n) {
            case 0: f0s = start; f0e = k; break;
            case 1: f1s = start; f1e = k; break;
            case 2: f2s = start; f2e = k; break;
            case 3: f3s = start; f3e = k; break;
          }
          n++;
          start = -1;
        }
      } else if (start < 0) {
        start = k;
      }
    }
    pa.buf = b;
    const isH = this.isHeaderPub;
    const op = isH ? 'HPUB' : 'PUB';
    if (!isH) {
      if (n === 2) {
        pa.subjectStart = f0s; pa.subjectEnd = f0e;
        pa.replyStart = -1; pa.replyEnd = -1;
        pa.sizeStart = f1s; pa.sizeEnd = f1e;
      } else if (n === 3) {
        pa.subjectStart = f0s; pa.subjectEnd = f0e;
        pa.replyStart = f1s; pa.replyEnd = f1e;
        pa.sizeStart = f2s; pa.sizeEnd = f2e;
      } else {
        this.h.onArgsError(op, b, s, e);
        return false;
      }
      pa.hdr = -1;
      pa.hdrStart = -1;
      pa.size = parseSize(b, pa.sizeStart, pa.sizeEnd);
      if (pa.size < 0) {
        this.h.onArgsError(op, b, s, e);
        return false;
      }
    } else {
      if (n === 3) {
        pa.subjectStart = f0s; pa.subjectEnd = f0e;
        pa.replyStart = -1; pa.replyEnd = -1;
        pa.hdrStart = f1s; pa.hdrEnd = f1e;
        pa.sizeStart = f2s; pa.sizeEnd = f2e;
      } else if (n === 4) {
        pa.subjectStart = f0s; pa.subjectEnd = f0e;
        pa.replyStart = f1s; pa.replyEnd = f1e;
        pa.hdrStart = f2s; pa.hdrEnd = f2e;
        pa.sizeStart = f3s; pa.sizeEnd = f3e;
      } else {
        this.h.onArgsError(op, b, s, e);
        return false;
      }
      pa.hdr = parseSize(b, pa.hdrStart, pa.hdrEnd);
      pa.size = parseSize(b, pa.sizeStart, pa.sizeEnd);
      if (pa.hdr < 0 || pa.size < 0 || pa.hdr > pa.size) {
        this.h.onArgsError(op, b, s, e);
        return false;
      }
    }
    pa.subject = this.subjectString(b, pa.subjectStart, pa.subjectEnd);
    pa.reply = pa.replyStart >= 0 ? latin1(b, pa.replyStart, pa.replyEnd) : '';
    return this.h.onPubArgs(pa, isH);
  }

  // Field offsets of a leaf message line (reused; grows for long queue lists).
  private fs = new Int32Array(16);
  private fe = new Int32Array(16);

  /**
   * Split a leaf LMSG/HMSG argument line into `pa` (Go processLeafMsgArgs /
   * processLeafHeaderMsgArgs): `<subject> [reply] [hdr] <size>`, or with a
   * queue list `<subject> + <reply> <q...> [hdr] <size>` / `<subject> | <q...> [hdr] <size>`.
   */
  private leafMsgArgs(b: Buffer, s: number, e: number): boolean {
    let n = 0;
    let start = -1;
    for (let k = s; k <= e; k++) {
      const c = k < e ? b[k] : SPACE;
      if (c === SPACE || c === TAB || c === CR || c === LF) {
        if (start >= 0) {
          if (n === this.fs.length) {
            const ns = new Int32Array(n * 2);
            const ne = new Int32Array(n * 2);
            ns.set(this.fs);
            ne.set(this.fe);
            this.fs = ns;
            this.fe = ne;
          }
          this.fs[n] = start;
          this.fe[n] = k;
          n++;
          start = -1;
        }
      } else if (start < 0) {
        start = k;
      }
    }
    const fs = this.fs;
    const fe = this.fe;
    const pa = this.pa;
    const isH = this.isHeaderPub;
    const op = isH ? 'HMSG' : 'LMSG';
    const tail = isH ? 2 : 1; // size fields at the end
    if (n < 1 + tail) {
      this.h.onArgsError(op, b, s, e);
      return false;
    }
    pa.buf = b;
    pa.subjectStart = fs[0];
    pa.subjectEnd = fe[0];
    pa.replyStart = -1;
    pa.replyEnd = -1;
    pa.queuesStart = -1;
    pa.queuesEnd = -1;
    if (n === 2 + tail) {
      pa.replyStart = fs[1];
      pa.replyEnd = fe[1];
    } else if (n > 2 + tail) {
      if (fe[1] - fs[1] !== 1 || (b[fs[1]] !== 0x2b && b[fs[1]] !== 0x7c)) {
        this.h.onArgsError(op, b, s, e);
        return false;
      }
      let q = 2;
      if (b[fs[1]] === 0x2b) {
        pa.replyStart = fs[2];
        pa.replyEnd = fe[2];
        q = 3;
      }
      if (q < n - tail) {
        pa.queuesStart = fs[q];
        pa.queuesEnd = fe[n - tail - 1];
      }
    }
    pa.sizeStart = fs[n - 1];
    pa.sizeEnd = fe[n - 1];
    pa.size = parseSize(b, pa.sizeStart, pa.sizeEnd);
    if (isH) {
      pa.hdrStart = fs[n - 2];
      pa.hdrEnd = fe[n - 2];
      pa.hdr = parseSize(b, pa.hdrStart, pa.hdrEnd);
      if (pa.hdr < 0 || pa.size < 0 || pa.hdr > pa.size) {
        this.h.onArgsError(op, b, s, e);
        return false;
      }
    } else {
      pa.hdr = -1;
      pa.hdrStart = -1;
      if (pa.size < 0) {
        this.h.onArgsError(op, b, s, e);
        return false;
      }
    }
    pa.subject = this.subjectString(b, pa.subjectStart, pa.subjectEnd);
    pa.reply = pa.replyStart >= 0 ? latin1(b, pa.replyStart, pa.replyEnd) : '';
    return this.h.onPubArgs(pa, isH);
  }

  // One-entry subject cache: publishers mostly repeat a subject, and reusing the
  // same string object saves the decode and lets Map lookups reuse its hash.
  private lastSubject = '';
  private readonly lastSubjectBytes = Buffer.allocUnsafe(64);
  private lastSubjectLen = -1;

  private subjectString(b: Buffer, s: number, e: number): string {
    const n = e - s;
    if (n === this.lastSubjectLen) {
      const lb = this.lastSubjectBytes;
      let k = 0;
      while (k < n && lb[k] === b[s + k]) k++;
      if (k === n) return this.lastSubject;
    }
    const str = latin1(b, s, e);
    if (n <= 64) {
      b.copy(this.lastSubjectBytes, 0, s, e);
      this.lastSubjectLen = n;
      this.lastSubject = str;
    }
    return str;
  }

  /** The payload of the current message did not fit in this chunk: start collecting it. */
  private startPayload(buf: Buffer, start: number): void {
    const total = this.pa.size + 2;
    // The arg offsets point into `buf`, which stays alive as long as pa references it.
    this.msgBuf = Buffer.allocUnsafe(total);
    const avail = Math.min(buf.length - start, total);
    if (avail > 0) buf.copy(this.msgBuf, 0, start, start + avail);
    this.msgLen = avail;
    this.state = MSG_PAYLOAD;
  }

  /** Continue a split payload from chunk offset i. Returns the index of the last byte consumed, or -2 when closed. */
  private continuePayload(buf: Buffer, i: number): number {
    const mb = this.msgBuf!;
    const total = mb.length;
    const take = Math.min(buf.length - i, total - this.msgLen);
    buf.copy(mb, this.msgLen, i, i + take);
    this.msgLen += take;
    const last = i + take - 1;
    if (this.msgLen < total) return last;
    const size = this.pa.size;
    if (mb[size] !== CR) {
      this.fail(buf, Math.max(i, last - 1));
      return -2;
    }
    if (mb[size + 1] !== LF) {
      this.fail(buf, last);
      return -2;
    }
    this.msgBuf = null;
    this.msgLen = 0;
    this.state = OP_START;
    if (!this.h.onMsg(this.pa, mb, 0, size)) return -2;
    this.pa.reset();
    return last;
  }

  /** Keep buf[from..] (copied) for `resume()`. */
  private hold(buf: Buffer, from: number): true {
    this.held = from < buf.length ? Buffer.from(buf.subarray(from)) : null;
    return true;
  }

  /** Stop after the current op (see `paused`). */
  pause(): void {
    this.paused = true;
  }

  /** Leave the paused state; returns the input held back, to be parsed next. */
  resume(): Buffer | null {
    const b = this.held;
    this.held = null;
    this.paused = false;
    return b;
  }

  private fail(buf: Buffer, at: number): false {
    this.h.onParseError(this.state, buf, at);
    return false;
  }
}

function hasCR(b: Buffer, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if (b[k] === CR) return true;
  return false;
}

/** Go's parseSize: 1..9 ASCII digits, else -1. */
export function parseSize(b: Buffer, s: number, e: number): number {
  const l = e - s;
  if (l === 0 || l > 9) return -1;
  let n = 0;
  for (let k = s; k < e; k++) {
    const c = b[k] - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
