/**
 * Fast (flow-controlled) batch publish (ADR-50 "fast ingest"; Go
 * jetstream_batching.go fastBatch + stream.go getFastBatch and
 * processJetStreamFastBatchMsg). A publish whose reply subject is
 * `<prefix>.<id>.<flow>.<ok|fail>.<seq>.<op>.$FI` belongs to batch `<id>`;
 * op 0 starts it, 1 appends, 2 stores and commits, 3 commits without storing
 * (end of batch), 4 pings. Messages are stored as they come (no staging);
 * the server answers on the reply subject with flow acks
 * `{"type":"ack","seq":N,"msgs":M}` every M stored messages, gap reports
 * `{"type":"gap","last_seq":E,"seq":S}`, per-message errors
 * `{"type":"err","seq":S,"error":{...}}`, and one PubAck with `batch` and
 * `count` at the commit. This is the single-server path: each message is
 * persisted before the next is looked at, so nothing is ever pending.
 */
import { jsError, type ApiError } from '../api/errors.js';
import { getHeader, removeHeaders } from '../../protocol/headers.js';
import { API_LEVEL, type StreamConfig } from './config.js';
import * as H from './msg-headers.js';

export const FAST_BATCH_SUFFIX = '.$FI';
const OP_START = 0;
const OP_APPEND = 1;
const OP_COMMIT = 2;
const OP_COMMIT_EOB = 3;
const OP_PING = 4;
/** Go streamDefaultMaxFastBatchInflightPerStream / ...Total, streamDefaultMaxBatchTimeout */
const MAX_INFLIGHT_PER_STREAM = 1000;
const MAX_INFLIGHT_TOTAL = 50_000;
const BATCH_TIMEOUT_MS = 10_000;
/** Go's flow ceiling shared by all fast publishers of a stream. */
const FLOW_SHARE = 500;
const MAX_U16 = 65535;

/** Fast batches in flight on this server, across streams (Go globalInflightFastBatches). */
let inflightTotal = 0;

/** The batch fields of a `$FI` reply subject (Go FastBatch). */
export interface FastBatchReply {
  id: string;
  seq: number;
  flow: number;
  ping: boolean;
  gapOk: boolean;
  commit: boolean;
  commitEob: boolean;
}

/**
 * Go getFastBatch: null when `reply` is not a fast batch reply, 'invalid'
 * when it ends in `.$FI` but does not follow the pattern.
 */
export function parseFastBatchReply(reply: string): FastBatchReply | 'invalid' | null {
  if (reply.length <= 4 || !reply.endsWith(FAST_BATCH_SUFFIX)) return null;
  const t = reply.slice(0, reply.length - 4).split('.');
  // <prefix...>.<id>.<flow>.<gap>.<seq>.<op>: at least the five named tokens
  if (t.length < 5) return 'invalid';
  const n = t.length;
  const op = intToken(t[n - 1]);
  if (op < OP_START || op > OP_PING) return 'invalid';
  const seq = intToken(t[n - 2]);
  if (seq <= 0 || !Number.isSafeInteger(seq)) return 'invalid';
  const commitEob = op === OP_COMMIT_EOB;
  if (seq === 1 && commitEob) return 'invalid';
  if (op === OP_START && seq !== 1) return 'invalid';
  if (op === OP_APPEND && seq <= 1) return 'invalid';
  const gap = t[n - 3];
  if (gap !== 'ok' && gap !== 'fail') return 'invalid';
  let flow = intToken(t[n - 4]);
  if (flow <= 0) flow = 10;
  else if (flow > MAX_U16) flow = MAX_U16;
  return { id: t[n - 5], seq, flow, ping: op === OP_PING, gapOk: gap === 'ok', commit: commitEob || op === OP_COMMIT, commitEob };
}

/** Decimal token to number; -1 when it is not all digits (Go parseInt64 / parseUint64). */
function intToken(s: string): number {
  if (s.length === 0 || s.length > 19) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** What storing one batch message gave: the stream sequence, or an error, or a duplicate of `seq`. */
export interface FastStoreResult {
  seq: number;
  err: ApiError | null;
  dup: boolean;
}

/** What the stream offers the fast batch handler. */
export interface FastBatchStream {
  readonly cfg: StreamConfig;
  /** `{"stream":...,["domain":...,]"seq":` */
  readonly pubAckPrefix: string;
  send(reply: string, body: string): void;
  respondErr(reply: string, err: ApiError): void;
  /** run the normal publish checks and store; the outcome instead of a PubAck */
  storeBatchMsg(subject: string, reply: string, hdr: Buffer | null, msg: Buffer): FastStoreResult;
}

/** One batch in flight (Go fastBatch); pseq is always lseq once a message is handled. */
interface FastBatchState {
  timer: NodeJS.Timeout | null;
  /** highest batch sequence received */
  lseq: number;
  /** last stream sequence stored for the batch */
  sseq: number;
  /** last persisted batch sequence */
  pseq: number;
  /** batch sequence of the last flow ack */
  fseq: number;
  ackMessages: number;
  maxAckMessages: number;
  gapOk: boolean;
  commit: boolean;
}

export class FastBatches {
  private readonly batches = new Map<string, FastBatchState>();

  constructor(private readonly s: FastBatchStream) {}

  get size(): number {
    return this.batches.size;
  }

  /** Handle one publish with a `$FI` reply (Go processJetStreamFastBatchMsg). */
  process(subject: string, reply: string, hdr: Buffer | null, msg: Buffer): void {
    const cfg = this.s.cfg;
    const canRespond = !cfg.no_ack && reply !== '';
    const fail = (err: ApiError): void => {
      if (canRespond) this.s.respondErr(reply, err);
    };
    if (cfg.sealed) return fail(jsError('JSStreamSealedErr'));
    const hl = hdr === null ? 0 : hdr.length;
    const maxMsgSize = cfg.max_msg_size ?? -1;
    if (maxMsgSize > 0 && (hl > maxMsgSize || msg.length > maxMsgSize - hl)) return fail(jsError('JSStreamMessageExceedsMaximumErr'));
    if (!cfg.allow_batched) return fail(jsError('JSBatchPublishDisabledErr'));
    const p = parseFastBatchReply(reply);
    if (p === null || p === 'invalid') return fail(jsError('JSBatchPublishInvalidPatternErr'));
    if (p.id.length > 64) return fail(jsError('JSBatchPublishInvalidBatchIDErr'));

    let b = this.batches.get(p.id);
    if (b === undefined) {
      if (p.seq !== 1) return fail(jsError('JSBatchPublishUnknownBatchIDErr'));
      if (this.batches.size + 1 > MAX_INFLIGHT_PER_STREAM || inflightTotal + 1 > MAX_INFLIGHT_TOTAL) return fail(jsError('JSBatchPublishTooManyInflight'));
      b = this.create(p);
    }
    if (hdr !== null && getHeader(hdr, H.HDR_REQUIRED_API_LEVEL) !== null) {
      const lvl = getHeader(hdr, H.HDR_REQUIRED_API_LEVEL)!;
      if (lvl !== '' && !(Number(lvl) <= API_LEVEL)) {
        this.cleanup(p.id);
        return fail(jsError('JSRequiredApiLevelErr'));
      }
      hdr = removeHeaders(hdr, [H.HDR_REQUIRED_API_LEVEL]);
    }
    // Every batch message keeps the batch alive.
    this.armTimer(p.id, b);

    if (p.ping) return this.ping(p, b, reply);
    // Committing after an error: the client waits for the PubAck; skip.
    if (b.commit) return;

    // Gaps: a forward gap is reported; in "ok" mode the batch moves on to it.
    b.lseq++;
    if (b.lseq !== p.seq) {
      if (p.seq > b.lseq) this.s.send(reply, `{"type":"gap","last_seq":${b.lseq},"seq":${p.seq}}`);
      if (b.gapOk && p.seq > b.lseq) b.lseq = p.seq;
      else {
        // backward gap, or "fail" mode: end the batch at what was stored
        b.lseq--;
        this.commit(p.id, b, reply);
        return;
      }
    }

    if (p.commit) {
      if (p.commitEob) {
        b.lseq--;
        b.pseq = b.lseq;
      }
      this.commit(p.id, b, reply);
      if (p.commitEob) return;
    }

    // The first message tells the client the flow it may start at.
    if (p.seq === 1 && canRespond && !p.commit) this.s.send(reply, flowAck(0, b.ackMessages));

    const r = this.s.storeBatchMsg(subject, reply, hdr, msg);
    if (r.err !== null || r.dup) {
      if (r.dup) {
        b.pseq = p.seq;
        this.checkFlowControl(b, reply);
        if (!p.commit) return;
      }
      // A batch failing on its first message answers like a plain publish.
      if (!b.gapOk && b.lseq === 1) {
        this.cleanup(p.id);
        if (reply === '') return;
        if (r.dup && r.seq > 0) this.s.send(reply, `${this.s.pubAckPrefix}${r.seq},"duplicate": true,"batch":${JSON.stringify(p.id)},"count":${p.seq}}`);
        else this.s.respondErr(reply, r.err!);
        return;
      }
      if (!r.dup) this.s.send(reply, `{"type":"err","seq":${p.seq},"error":${JSON.stringify(r.err)}}`);
      if (b.gapOk && !p.commit) return;
      if (!r.dup) {
        b.lseq--;
        b.pseq = b.lseq;
      }
      this.commit(p.id, b, reply);
      return;
    }
    // Stored (Go fastBatchRegisterSequences on the leader).
    b.sseq = r.seq;
    b.pseq = b.lseq;
    if (b.commit) {
      this.cleanup(p.id);
      this.pubAck(reply, b.sseq, p.id, b.lseq);
      return;
    }
    this.checkFlowControl(b, reply);
  }

  /** Stop every batch (stream stopped, deleted, or batching turned off). */
  clear(): void {
    for (const id of [...this.batches.keys()]) this.cleanup(id);
  }

  private create(p: FastBatchReply): FastBatchState {
    const b: FastBatchState = {
      timer: null,
      lseq: 0,
      sseq: 0,
      pseq: 0,
      fseq: 0,
      ackMessages: 1,
      maxAckMessages: p.flow,
      gapOk: p.gapOk,
      commit: false,
    };
    this.batches.set(p.id, b);
    inflightTotal++;
    // Go fastBatchInit: the only publisher gets what it asks for (up to 500), others start at 1 and ramp up.
    b.ackMessages = this.batches.size > 1 ? 1 : Math.min(FLOW_SHARE, b.maxAckMessages);
    return b;
  }

  /** Ping: report a gap up to the client's highest sequence, then resend the last flow ack. */
  private ping(p: FastBatchReply, b: FastBatchState, reply: string): void {
    let sendFlow = true;
    if (p.seq > b.lseq) {
      this.s.send(reply, `{"type":"gap","last_seq":${b.lseq + 1},"seq":${p.seq + 1}}`);
      if (b.gapOk) {
        b.lseq = p.seq;
        b.pseq = b.lseq;
        sendFlow = !this.checkFlowControl(b, reply);
      } else if (this.commit(p.id, b, reply)) sendFlow = false;
    }
    if (sendFlow) this.s.send(reply, flowAck(b.fseq, b.ackMessages));
  }

  /**
   * Go checkFlowControl: once `ackMessages` more messages are persisted, send
   * one flow ack for the latest multiple, first moving the flow toward the
   * publisher's share (500 split over the stream's fast batches, at most what
   * the client asked for) by doubling or halving. True when an ack was sent.
   */
  private checkFlowControl(b: FastBatchState, reply: string): boolean {
    const am = b.ackMessages;
    if (b.pseq < b.fseq + am) return false;
    b.fseq += Math.floor((b.pseq - b.fseq) / am) * am;
    const share = Math.min(Math.max(1, Math.floor(FLOW_SHARE / this.batches.size)), b.maxAckMessages);
    if (b.ackMessages < share) b.ackMessages = Math.min(b.ackMessages * 2, share);
    else if (b.ackMessages > share) b.ackMessages = Math.max(Math.floor(b.ackMessages / 2), share);
    this.s.send(reply, flowAck(b.fseq, b.ackMessages));
    return true;
  }

  /** Go fastBatchCommit: end the batch; the PubAck goes out now when everything received is persisted. */
  private commit(id: string, b: FastBatchState, reply: string): boolean {
    // The cleanup timer keeps running: it drops the batch should the last message never be persisted.
    b.commit = true;
    if (b.lseq !== b.pseq) return false;
    this.cleanup(id);
    this.pubAck(reply, b.sseq, id, b.lseq);
    return true;
  }

  private pubAck(reply: string, seq: number, id: string, count: number): void {
    if (reply === '') return;
    this.s.send(reply, `${this.s.pubAckPrefix}${seq},"batch":${JSON.stringify(id)},"count":${count}}`);
  }

  private armTimer(id: string, b: FastBatchState): void {
    if (b.timer !== null) {
      b.timer.refresh();
      return;
    }
    b.timer = setTimeout(() => this.cleanup(id), BATCH_TIMEOUT_MS);
    b.timer.unref?.();
  }

  private cleanup(id: string): void {
    const b = this.batches.get(id);
    if (b === undefined) return;
    if (b.timer !== null) clearTimeout(b.timer);
    b.timer = null;
    this.batches.delete(id);
    inflightTotal--;
  }
}

function flowAck(seq: number, msgs: number): string {
  return `{"type":"ack","seq":${seq},"msgs":${msgs}}`;
}
