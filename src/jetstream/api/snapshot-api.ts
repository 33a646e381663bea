/**
 * STREAM.SNAPSHOT / STREAM.RESTORE (Go jsStreamSnapshotRequest /
 * jsStreamRestoreRequest). The snapshot is opaque to clients, as with Go: we
 * send our own deflated format (config, messages with their sequences and
 * times, consumers) in chunks to the requested deliver subject, each chunk
 * carrying an ack reply for flow control, then an empty `NATS/1.0 204`
 * message. A restore hands out a deliver subject; the client sends the chunks
 * back as requests and an empty message to finish, which is answered with the
 * restored stream's info.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Subscription } from '../../conn/subscription.js';
import { ApiError, jsError } from './errors.js';
import { parseBody, respond, type ApiRequest, type ApiRoute } from './request.js';
import { lookupStream } from './stream-api.js';
import type { Stream } from '../stream/stream.js';
import type { StreamConfig } from '../stream/config.js';
import type { JsAccount } from '../account.js';
import type { Consumer } from '../consumer/consumer.js';
import { rfc3339 } from '../time.js';
import { requesterInfo } from './requester.js';

const DEFAULT_CHUNK = 128 * 1024;
const DEFAULT_WINDOW = 8 * 1024 * 1024;
const FLOW_TIMEOUT_MS = 5000;
const INTEREST_WAIT_MS = 2000;
const RESTORE_IDLE_MS = 10000;
const MAGIC = Buffer.from('NSTSNAP1');
const EMPTY = Buffer.alloc(0);

interface SnapshotConsumer {
  name: string;
  config: unknown;
  created: number;
  state: unknown;
}

/** Serialize a stream: magic, JSON header, then length-prefixed message records. */
function encodeSnapshot(s: Stream, withConsumers: boolean): Buffer {
  const st = s.store.state();
  const consumers: SnapshotConsumer[] = [];
  if (withConsumers) {
    for (const c of s.consumers.values() as IterableIterator<Consumer>) {
      if (!c.limitable) continue;
      consumers.push({ name: c.name, config: c.cfg, created: c.created, state: serializeState(c.state() as unknown as Record<string, unknown>) });
    }
  }
  const head = Buffer.from(JSON.stringify({ config: s.cfg, created: s.created, first_seq: st.first_seq, last_seq: st.last_seq, consumers }));
  const parts: Buffer[] = [MAGIC, u32(head.length), head];
  let m = st.msgs > 0 ? s.store.loadNextMsg('', st.first_seq) : null;
  while (m !== null) {
    const subj = Buffer.from(m.subj, 'latin1');
    const hl = m.hdr ? m.hdr.length : 0;
    const rec = Buffer.allocUnsafe(8 + 8 + 2 + 4 + 4);
    rec.writeDoubleLE(m.seq, 0);
    rec.writeDoubleLE(m.ts, 8);
    rec.writeUInt16LE(subj.length, 16);
    rec.writeUInt32LE(hl, 18);
    rec.writeUInt32LE(m.msg.length, 22);
    parts.push(rec, subj);
    if (hl > 0) parts.push(m.hdr!);
    parts.push(m.msg);
    m = s.store.loadNextMsg('', m.seq + 1);
  }
  return deflateRawSync(Buffer.concat(parts));
}

function serializeState(st: Record<string, unknown>): unknown {
  return { ...st, pending: [...((st.pending as Map<number, unknown>) ?? new Map())], redelivered: [...((st.redelivered as Map<number, number>) ?? new Map())] };
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n, 0);
  return b;
}

interface DecodedSnapshot {
  config: StreamConfig;
  first_seq: number;
  last_seq: number;
  consumers: SnapshotConsumer[];
  msgs: { seq: number; ts: number; subj: string; hdr: Buffer | null; msg: Buffer }[];
}

function decodeSnapshot(buf: Buffer): DecodedSnapshot {
  const b = inflateRawSync(buf);
  if (b.length < MAGIC.length + 4 || !b.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('unrecognized snapshot format');
  let p = MAGIC.length;
  const hl = b.readUInt32LE(p);
  p += 4;
  const head = JSON.parse(b.toString('utf8', p, p + hl)) as Omit<DecodedSnapshot, 'msgs'>;
  p += hl;
  const msgs: DecodedSnapshot['msgs'] = [];
  while (p < b.length) {
    if (p + 26 > b.length) throw new Error('truncated snapshot');
    const seq = b.readDoubleLE(p);
    const ts = b.readDoubleLE(p + 8);
    const sl = b.readUInt16LE(p + 16);
    const h = b.readUInt32LE(p + 18);
    const ml = b.readUInt32LE(p + 22);
    p += 26;
    if (p + sl + h + ml > b.length) throw new Error('truncated snapshot');
    const subj = b.latin1Slice(p, p + sl);
    p += sl;
    const hdr = h > 0 ? Buffer.from(b.subarray(p, p + h)) : null;
    p += h;
    const msg = Buffer.from(b.subarray(p, p + ml));
    p += ml;
    msgs.push({ seq, ts, subj, hdr, msg });
  }
  return { ...head, msgs };
}

interface SnapshotRequest {
  deliver_subject?: string;
  no_consumers?: boolean;
  chunk_size?: number;
  window_size?: number;
  jsck?: boolean;
}

function snapshot(req: ApiRequest): Record<string, unknown> | ApiError | null {
  const body = parseBody<SnapshotRequest>(req.body, false);
  if (body instanceof ApiError) return body;
  const s = lookupStream(req);
  if (s instanceof ApiError) return s;
  const deliver = body.deliver_subject ?? '';
  if (deliver === '' || /[\s*>]/.test(deliver)) return jsError('JSSnapshotDeliverSubjectInvalidErr');
  const chunk = Math.min(Math.max(1024, body.chunk_size || DEFAULT_CHUNK), 1024 * 1024);
  const win = Math.max(body.window_size || DEFAULT_WINDOW, chunk);
  let data: Buffer;
  try {
    data = encodeSnapshot(s, !body.no_consumers);
  } catch (e) {
    return jsError('JSStreamSnapshotErrF', { err: (e as Error).message });
  }
  const start = rfc3339(Date.now() * 1e6);
  const state = s.stateJSON();
  respond(req, 'stream_snapshot_response', { config: s.infoJSON().config, state });
  const client = requesterInfo(req);
  // Go jsStreamSnapshotRequest: SNAPSHOT_CREATE once the response is out, SNAPSHOT_COMPLETE when streaming ends.
  req.jsa.advisory(`$JS.EVENT.ADVISORY.STREAM.SNAPSHOT_CREATE.${s.name}`, {
    type: 'io.nats.jetstream.advisory.v1.snapshot_create',
    stream: s.name,
    state,
    client,
  });
  sendChunks(req.jsa, s.name, deliver, data, chunk, Math.max(1, Math.floor(win / chunk)), (err) => {
    const adv: Record<string, unknown> = {
      type: 'io.nats.jetstream.advisory.v1.snapshot_complete',
      stream: s.name,
      start,
      end: rfc3339(Date.now() * 1e6),
      client,
    };
    if (err !== '') adv.error = err;
    req.jsa.advisory(`$JS.EVENT.ADVISORY.STREAM.SNAPSHOT_COMPLETE.${s.name}`, adv);
  });
  return null;
}

/**
 * Stream the chunks with flow control, as Go streamSnapshot does: wait up to
 * 2s for someone to listen on the deliver subject (then send regardless),
 * keep at most `maxInflight` full chunks unacknowledged (each carries an ack
 * reply; a short last chunk carries none), end with a 204 right after the
 * last chunk, and stop early when the receiver goes away ("no interest") or
 * acks stop coming ("no flow response"). `done` gets Go's error text, '' on
 * success.
 */
function sendChunks(jsa: JsAccount, stream: string, deliver: string, data: Buffer, chunk: number, maxInflight: number, done: (err: string) => void): void {
  const ackBase = `$JS.SNAPSHOT.ACK.${stream}.${randomBytes(8).toString('hex')}`;
  let inflight = 0;
  let off = 0;
  let index = 0;
  let timer: NodeJS.Timeout | null = null;
  let finished = false;
  let hadInterest = false;
  const finish = (hdr: string, err: string): void => {
    if (finished) return;
    finished = true;
    if (timer !== null) clearTimeout(timer);
    jsa.unsubscribe(ackSub);
    jsa.publish(deliver, '', Buffer.from(hdr, 'latin1'), EMPTY);
    done(err);
  };
  const pump = (): void => {
    if (finished) return;
    while (inflight < maxInflight && off < data.length) {
      if (jsa.hasInterest(deliver)) hadInterest = true;
      else if (hadInterest) return finish('NATS/1.0 408 No Interest\r\n\r\n', 'no interest');
      const part = data.subarray(off, Math.min(off + chunk, data.length));
      off += part.length;
      if (part.length < chunk) {
        jsa.publish(deliver, '', null, part);
        break;
      }
      inflight++;
      jsa.publish(deliver, `${ackBase}.${part.length}.${++index}`, null, part);
    }
    if (off >= data.length) return finish('NATS/1.0 204\r\n\r\n', '');
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => finish('NATS/1.0 408 No Flow Response\r\n\r\n', 'no flow response'), FLOW_TIMEOUT_MS);
    timer.unref?.();
  };
  const ackSub: Subscription = jsa.subscribe(`${ackBase}.>`, null, () => {
    if (inflight > 0) inflight--;
    pump();
  });
  if (jsa.hasInterest(deliver)) return pump();
  // Go allows about 2 seconds for the receiver's interest to show up.
  const waitStart = Date.now();
  const poll = setInterval(() => {
    if (!jsa.hasInterest(deliver) && Date.now() - waitStart < INTEREST_WAIT_MS) return;
    clearInterval(poll);
    pump();
  }, 20);
  poll.unref?.();
}

interface RestoreRequest {
  config?: StreamConfig;
  state?: unknown;
}

function restore(req: ApiRequest): Record<string, unknown> | ApiError | null {
  const body = parseBody<RestoreRequest>(req.body, false);
  if (body instanceof ApiError) return body;
  const name = req.tokens[2] ?? '';
  const cfg = body.config;
  if (!cfg || cfg.name !== name) return jsError('JSStreamMismatchErr');
  if (/[\\/]/.test(name)) return jsError('JSStreamNameContainsPathSeparatorsErr');
  if (req.jsa.streams.has(name)) return jsError('JSStreamNameExistRestoreFailedErr');
  const jsa = req.jsa;
  const client = requesterInfo(req);
  const start = rfc3339(Date.now() * 1e6);
  // Go processStreamRestore: RESTORE_CREATE when the restore starts, RESTORE_COMPLETE when it ends either way.
  jsa.advisory(`$JS.EVENT.ADVISORY.STREAM.RESTORE_CREATE.${name}`, { type: 'io.nats.jetstream.advisory.v1.restore_create', stream: name, client });
  const deliver = `$JS.SNAPSHOT.RESTORE.${name}.${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  let total = 0;
  let idle: NodeJS.Timeout | null = null;
  const arm = (): void => {
    if (idle !== null) clearTimeout(idle);
    idle = setTimeout(() => jsa.unsubscribe(sub), RESTORE_IDLE_MS);
    idle.unref?.();
  };
  const sub = jsa.subscribe(deliver, null, (_subj, reply, _hdr, payload) => {
    arm();
    if (payload.length > 0) {
      total += payload.length;
      chunks.push(Buffer.from(payload));
      if (reply !== '') jsa.publish(reply, '', null, EMPTY);
      return;
    }
    if (idle !== null) clearTimeout(idle);
    jsa.unsubscribe(sub);
    const out = finishRestore(jsa, name, Buffer.concat(chunks));
    jsa.advisory(`$JS.EVENT.ADVISORY.STREAM.RESTORE_COMPLETE.${name}`, {
      type: 'io.nats.jetstream.advisory.v1.restore_complete',
      stream: name,
      start,
      end: rfc3339(Date.now() * 1e6),
      bytes: total,
      client,
    });
    if (reply !== '') respond({ ...req, reply }, 'stream_create_response', out);
  });
  arm();
  return { deliver_subject: deliver };
}

function finishRestore(jsa: JsAccount, name: string, data: Buffer): Record<string, unknown> | ApiError {
  let snap: DecodedSnapshot;
  try {
    snap = decodeSnapshot(data);
  } catch (e) {
    return jsError('JSStreamRestoreErrF', { err: (e as Error).message });
  }
  if (snap.config.name !== name) return jsError('JSStreamRestoreErrF', { err: 'snapshot is for another stream' });
  if (jsa.streams.has(name)) return jsError('JSStreamNameExistRestoreFailedErr');
  const r = jsa.restoreStream(snap.config, snap.first_seq, snap.last_seq, snap.msgs, snap.consumers);
  if (r instanceof ApiError) return r;
  return r.infoJSON();
}

export const SNAPSHOT_HANDLERS: ApiRoute[] = [
  { pattern: 'STREAM.SNAPSHOT.*', type: 'stream_snapshot_response', handler: snapshot },
  { pattern: 'STREAM.RESTORE.*', type: 'stream_restore_response', handler: restore },
];
