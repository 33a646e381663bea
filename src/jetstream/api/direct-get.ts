/**
 * Direct get (Go processDirectGetRequest / getDirectRequest / getDirectMulti):
 * `$JS.API.DIRECT.GET.<stream>` with a JSON request (single, next-by-subject,
 * batched, multi-last) and `$JS.API.DIRECT.GET.<stream>.<subject>` for the last
 * message of a subject. Answers are the raw message with Nats-* headers, or a
 * status-only message.
 */
import { getHeader, setHeaders } from '../../protocol/headers.js';
import { seqAtTime, type StoredMsg } from '../store/store.js';
import type { Stream } from '../stream/stream.js';
import { rfc3339, parseRfc3339 } from '../time.js';
import { API_LEVEL } from '../stream/config.js';
import type { MsgGetBody } from './stream-api.js';

const EMPTY = Buffer.alloc(0);
/** Go's cap on multi-last results */
const MULTI_LIMIT = 1024;

type Send = (hdr: Buffer, payload: Buffer) => void;

function status(send: Send, text: string): void {
  send(Buffer.from(`NATS/1.0 ${text}\r\n\r\n`, 'latin1'), EMPTY);
}

function levelTooHigh(hdr: Buffer | null): boolean {
  const v = getHeader(hdr, 'Nats-Required-Api-Level');
  return v !== null && v !== '' && !(Number(v) <= API_LEVEL);
}

/** Request body form. */
export function directGet(s: Stream, hdr: Buffer | null, body: Buffer, send: Send): void {
  if (levelTooHigh(hdr)) return status(send, '412 Required Api Level');
  if (body.length === 0) return status(send, '408 Empty Request');
  let req: MsgGetBody;
  try {
    req = JSON.parse(body.toString('utf8')) as MsgGetBody;
    if (req === null || typeof req !== 'object') throw new Error('not an object');
  } catch {
    return status(send, '408 Malformed Request');
  }
  const seq = req.seq ?? 0;
  const multi = req.multi_last ?? [];
  if (seq === 0 && !req.last_by_subj && !req.next_by_subj && multi.length === 0 && !req.start_time) return status(send, '408 Empty Request');
  if (
    (seq > 0 && req.last_by_subj) ||
    (seq > 0 && req.start_time) ||
    (req.start_time && req.last_by_subj) ||
    (req.last_by_subj && req.next_by_subj) ||
    (req.last_by_subj && (req.batch ?? 0) > 0) ||
    (req.last_by_subj && multi.length > 0) ||
    (req.next_by_subj && multi.length > 0) ||
    ((req.up_to_seq ?? 0) > 0 && req.up_to_time)
  ) {
    return status(send, '408 Bad Request');
  }
  if (multi.length > 0) return getMulti(s, req, send);
  getDirect(s, req, send);
}

/** Subject form: `$JS.API.DIRECT.GET.<stream>.<subject...>`; `key` is the subject part. */
export function directGetLastBySubject(s: Stream, key: string, hdr: Buffer | null, body: Buffer, send: Send): void {
  if (levelTooHigh(hdr)) return status(send, '412 Required Api Level');
  let req: MsgGetBody = {};
  if (body.length > 0) {
    try {
      req = JSON.parse(body.toString('utf8')) as MsgGetBody;
    } catch {
      return status(send, '408 Malformed Request');
    }
  }
  if (key === '') return status(send, '408 Bad Request');
  if (req.last_by_subj || req.next_by_subj || (req.multi_last?.length ?? 0) > 0 || req.seq || req.batch || req.start_time || req.up_to_seq || req.up_to_time) {
    return status(send, '408 Bad Request');
  }
  getDirect(s, { ...req, last_by_subj: key }, send);
}

function withHeaders(s: Stream, m: StoredMsg, extra: [string, string][] | null, noHdr: boolean): Buffer | null {
  if (noHdr) return null;
  const pairs: [string, string][] = [
    ['Nats-Stream', s.name],
    ['Nats-Subject', m.subj],
    ['Nats-Sequence', String(m.seq)],
    ['Nats-Time-Stamp', rfc3339(m.ts)],
  ];
  if (extra) pairs.push(...extra);
  return setHeaders(m.hdr, pairs);
}

function getDirect(s: Stream, req: MsgGetBody, send: Send): void {
  const store = s.store;
  let seq = req.seq ?? 0;
  if (req.start_time) {
    const m = store.loadNextMsg(req.next_by_subj ?? '', seqAtTime(store, parseRfc3339(req.start_time)));
    seq = m ? m.seq : store.state().last_seq + 1;
  }
  const isBatch = (req.batch ?? 0) > 0;
  const batch = isBatch ? req.batch! : 1;
  const filter = req.next_by_subj ?? '';
  let np = isBatch ? store.numPending(seq, filter, false) : 0;
  const mb = (req.max_bytes ?? 0) > 0 ? req.max_bytes! : 64 * 1024 * 1024;
  let sent = 0;
  let lseq = 0;
  for (let i = 0; i < batch; i++) {
    let m: StoredMsg | null;
    if (seq > 0 && !req.next_by_subj) {
      m = i === 0 && !isBatch ? store.loadMsg(seq) : store.loadNextMsg('', seq);
      if (m) seq = m.seq + 1;
    } else if (req.next_by_subj) {
      m = store.loadNextMsg(req.next_by_subj, seq);
      if (m) seq = m.seq + 1;
    } else {
      m = store.loadLastMsg(req.last_by_subj ?? '');
    }
    if (m === null) {
      if (batch > 1 && i > 0) break;
      return status(send, '404 Message Not Found');
    }
    let hdr: Buffer | null;
    if (isBatch) {
      if (np > 0) np--;
      hdr = withHeaders(s, m, [['Nats-Num-Pending', String(np)], ['Nats-Last-Sequence', String(lseq)]], !!req.no_hdr);
    } else hdr = withHeaders(s, m, null, !!req.no_hdr);
    lseq = m.seq;
    send(hdr ?? EMPTY, m.msg);
    sent += m.subj.length + (m.hdr?.length ?? 0) + m.msg.length;
    if (sent >= mb) break;
  }
  if (isBatch) {
    np = store.numPending(seq, filter, false);
    send(Buffer.from(`NATS/1.0 204 EOB\r\nNats-Num-Pending: ${np}\r\nNats-Last-Sequence: ${lseq}\r\n\r\n`, 'latin1'), EMPTY);
  }
}

function getMulti(s: Stream, req: MsgGetBody, send: Send): void {
  const store = s.store;
  let upTo = req.up_to_seq ?? 0;
  if (req.up_to_time) {
    // Go: the first sequence at or after the time, less one, is the ceiling; nothing before it is "No Results"
    const at = seqAtTime(store, parseRfc3339(req.up_to_time));
    if (at <= store.state().first_seq) return status(send, '404 No Results');
    upTo = at - 1;
  }
  if (upTo === 0) upTo = store.state().last_seq;
  const seqs = new Set<number>();
  for (const f of req.multi_last ?? []) {
    for (const [subj] of store.subjectsState(f)) {
      // last message of this subject at or below upTo
      let m = store.loadLastMsg(subj);
      while (m !== null && m.seq > upTo) {
        const prev = store.loadPrevMsg(m.seq - 1);
        m = prev;
        while (m !== null && m.subj !== subj) m = store.loadPrevMsg(m.seq - 1);
      }
      if (m !== null) seqs.add(m.seq);
    }
  }
  if (seqs.size === 0) return status(send, '404 Message Not Found');
  if (seqs.size > MULTI_LIMIT) return status(send, '413 Too Many Results');
  const ordered = [...seqs].sort((a, b) => a - b);
  const batch = (req.batch ?? 0) > 0 ? req.batch! : ordered.length;
  let np = ordered.length;
  let lseq = 0;
  let sent = 0;
  const mb = (req.max_bytes ?? 0) > 0 ? req.max_bytes! : 64 * 1024 * 1024;
  for (let i = 0; i < ordered.length && i < batch; i++) {
    const m = store.loadMsg(ordered[i]);
    if (m === null) continue;
    np--;
    const hdr = withHeaders(s, m, [['Nats-Num-Pending', String(np)], ['Nats-Last-Sequence', String(lseq)]], !!req.no_hdr);
    lseq = m.seq;
    send(hdr ?? EMPTY, m.msg);
    sent += m.subj.length + (m.hdr?.length ?? 0) + m.msg.length;
    if (sent >= mb) break;
  }
  send(Buffer.from(`NATS/1.0 204 EOB\r\nNats-Num-Pending: ${np}\r\nNats-Last-Sequence: ${lseq}\r\nNats-UpTo-Sequence: ${upTo}\r\n\r\n`, 'latin1'), EMPTY);
}
