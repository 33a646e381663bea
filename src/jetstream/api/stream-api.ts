/**
 * Stream API handlers: CREATE, UPDATE, NAMES, LIST, INFO, DELETE, PURGE,
 * MSG.GET, MSG.DELETE, and the cluster-only subjects a single server answers
 * with "clustering support required".
 */
import { subjectsCollide, isValidSubject } from '../../sublist/subject.js';
import { ApiError, jsError } from './errors.js';
import { parseBody, page, type ApiRequest, type ApiRoute } from './request.js';
import { unknownStreamField, type StreamConfig } from '../stream/config.js';
import type { Stream } from '../stream/stream.js';
import { rfc3339, parseRfc3339 } from '../time.js';
import { seqAtTime } from '../store/store.js';
import { SNAPSHOT_HANDLERS } from './snapshot-api.js';

const NAMES_LIMIT = 1024;
const LIST_LIMIT = 256;
const SUBJECTS_PAGE = 100_000;

function streamFromSubject(req: ApiRequest): string {
  return req.tokens[2] ?? '';
}

export function lookupStream(req: ApiRequest, name = streamFromSubject(req)): Stream | ApiError {
  const s = req.jsa.streams.get(name);
  return s ?? jsError('JSStreamNotFoundErr');
}

function createOrUpdate(req: ApiRequest, update: boolean): Record<string, unknown> | ApiError {
  const body = parseBody<Record<string, unknown>>(req.body, false);
  if (body instanceof ApiError) return body;
  const pedantic = body.pedantic === true;
  const cfgIn = { ...body };
  delete cfgIn.pedantic;
  const unk = unknownStreamField(cfgIn);
  if (unk) return jsError('JSInvalidJSONErr', { err: unk });
  const name = streamFromSubject(req);
  if (name !== cfgIn.name) return jsError('JSStreamMismatchErr');
  if (/[\\/]/.test(name)) return jsError('JSStreamNameContainsPathSeparatorsErr');
  const cfg = cfgIn as Partial<StreamConfig>;
  if (update) {
    const s = req.jsa.streams.get(name);
    if (!s) return jsError('JSStreamNotFoundErr');
    const r = req.jsa.updateStream(cfg, pedantic);
    if (r instanceof ApiError) return r;
    return r.infoJSON();
  }
  if (cfg.sealed) return jsError('JSStreamInvalidConfigF', { err: 'stream configuration for create can not be sealed' });
  if (cfg.mirror_direct && !cfg.mirror) return jsError('JSStreamInvalidConfigF', { err: 'stream has no mirror but does have mirror direct' });
  const r = req.jsa.createStream(cfg, pedantic);
  if (r instanceof ApiError) return r;
  return { ...r.infoJSON(), did_create: true };
}

interface NamesRequest {
  offset?: number;
  subject?: string;
}

function matchingStreams(req: ApiRequest, filter: string | undefined): Stream[] {
  const all = [...req.jsa.streams.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (!filter) return all;
  return all.filter((s) => (s.cfg.subjects ?? []).some((x) => subjectsCollide(filter, x)));
}

function names(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<NamesRequest>(req.body, true);
  if (body instanceof ApiError) return body;
  const p = page(matchingStreams(req, body.subject), body.offset ?? 0, NAMES_LIMIT);
  return { total: p.total, offset: p.offset, limit: p.limit, streams: p.items.map((s) => s.name) };
}

function list(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<NamesRequest>(req.body, true);
  if (body instanceof ApiError) return body;
  const p = page(matchingStreams(req, body.subject), body.offset ?? 0, LIST_LIMIT);
  return { total: p.total, offset: p.offset, limit: p.limit, streams: p.items.map((s) => s.infoJSON()) };
}

interface InfoRequest {
  deleted_details?: boolean;
  subjects_filter?: string;
  offset?: number;
}

function info(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<InfoRequest>(req.body, true);
  if (body instanceof ApiError) return body;
  const s = lookupStream(req);
  if (s instanceof ApiError) return s;
  const o = s.infoJSON({ deletedDetails: body.deleted_details, subjectsFilter: body.subjects_filter });
  if (body.subjects_filter) {
    const st = o.state as Record<string, unknown>;
    const subs = (st.subjects ?? {}) as Record<string, number>;
    const keys = Object.keys(subs).sort();
    const off = Math.max(0, body.offset ?? 0);
    const sel: Record<string, number> = {};
    for (const k of keys.slice(off, off + SUBJECTS_PAGE)) sel[k] = subs[k];
    if (keys.length > 0) st.subjects = sel;
    return { total: keys.length, offset: off, limit: SUBJECTS_PAGE, ...o };
  }
  // Go's stream info response always carries the (empty) paging fields.
  return { total: 0, offset: 0, limit: 0, ...o };
}

function del(req: ApiRequest): Record<string, unknown> | ApiError {
  const s = lookupStream(req);
  if (s instanceof ApiError) return s;
  req.jsa.deleteStream(s.name);
  return { success: true };
}

interface PurgeBody {
  filter?: string;
  seq?: number;
  keep?: number;
}

function purge(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<PurgeBody>(req.body, true);
  if (body instanceof ApiError) return body;
  const s = lookupStream(req);
  if (s instanceof ApiError) return s;
  if (s.cfg.sealed) return jsError('JSStreamSealedErr');
  if (s.cfg.deny_purge) return jsError('JSStreamPurgeFailedF', { err: 'stream purge not permitted' });
  if ((body.seq ?? 0) > 0 && (body.keep ?? 0) > 0) return jsError('JSBadRequestErr');
  if (body.filter && !isValidSubject(body.filter)) return jsError('JSStreamPurgeFailedF', { err: 'invalid subject' });
  const purged = s.purge({ filter: body.filter, seq: body.seq, keep: body.keep });
  return { success: true, purged };
}

interface MsgDeleteBody {
  seq?: number;
  no_erase?: boolean;
}

function msgDelete(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<MsgDeleteBody>(req.body, false);
  if (body instanceof ApiError) return body;
  const s = lookupStream(req, req.tokens[3]);
  if (s instanceof ApiError) return s;
  if (s.cfg.sealed) return jsError('JSStreamSealedErr');
  if (s.cfg.deny_delete) return jsError('JSStreamMsgDeleteFailedF', { err: 'message delete not permitted' });
  const seq = body.seq ?? 0;
  const ok = s.deleteMsg(seq, !body.no_erase);
  if (!ok) return jsError('JSStreamMsgDeleteFailedF', { err: seq > s.store.state().last_seq ? 'sequence > last sequence' : 'no message found' });
  return { success: true };
}

export interface MsgGetBody {
  seq?: number;
  last_by_subj?: string;
  next_by_subj?: string;
  batch?: number;
  max_bytes?: number;
  start_time?: string;
  multi_last?: string[];
  up_to_seq?: number;
  up_to_time?: string;
  no_hdr?: boolean;
}

/** Resolve a single-message get (Go getMsg / getLastMsg / getNextMsg / seq from time). */
export function loadForGet(s: Stream, b: MsgGetBody) {
  const store = s.store;
  if (b.start_time) return store.loadNextMsg(b.next_by_subj ?? '', seqAtTime(store, parseRfc3339(b.start_time)));
  if (b.last_by_subj) return store.loadLastMsg(b.last_by_subj);
  if (b.next_by_subj) return store.loadNextMsg(b.next_by_subj, b.seq ?? 0);
  return store.loadMsg(b.seq ?? 0);
}

function msgGet(req: ApiRequest): Record<string, unknown> | ApiError {
  if (req.body.length === 0) return jsError('JSBadRequestErr');
  const body = parseBody<MsgGetBody>(req.body, false);
  if (body instanceof ApiError) return body;
  if ((body.batch ?? 0) > 0 || (body.max_bytes ?? 0) > 0) return jsError('JSBadRequestErr');
  const seq = body.seq ?? 0;
  const hasTime = !!body.start_time;
  if (
    (seq > 0 && body.last_by_subj) ||
    (seq === 0 && !body.last_by_subj && !body.next_by_subj && !hasTime) ||
    (seq > 0 && hasTime) ||
    (hasTime && body.last_by_subj) ||
    (body.last_by_subj && body.next_by_subj) ||
    (body.multi_last && body.multi_last.length > 0) ||
    (body.up_to_seq ?? 0) > 0 ||
    !!body.up_to_time
  ) {
    return jsError('JSBadRequestErr');
  }
  const s = lookupStream(req, req.tokens[3]);
  if (s instanceof ApiError) return s;
  const m = loadForGet(s, body);
  if (m === null) return jsError('JSNoMessageFoundErr');
  const message: Record<string, unknown> = { subject: m.subj, seq: m.seq };
  if (m.hdr && m.hdr.length > 0 && !body.no_hdr) message.hdrs = m.hdr.toString('base64');
  if (m.msg.length > 0) message.data = m.msg.toString('base64');
  message.time = rfc3339(m.ts);
  return { message };
}

const clusterRequired = (): ApiError => jsError('JSClusterRequiredErr');

export const STREAM_HANDLERS: ApiRoute[] = [
  { pattern: 'STREAM.CREATE.*', type: 'stream_create_response', handler: (r) => createOrUpdate(r, false) },
  { pattern: 'STREAM.UPDATE.*', type: 'stream_update_response', handler: (r) => createOrUpdate(r, true) },
  { pattern: 'STREAM.NAMES', type: 'stream_names_response', handler: names },
  { pattern: 'STREAM.LIST', type: 'stream_list_response', handler: list },
  { pattern: 'STREAM.INFO.*', type: 'stream_info_response', handler: info },
  { pattern: 'STREAM.DELETE.*', type: 'stream_delete_response', handler: del },
  { pattern: 'STREAM.PURGE.*', type: 'stream_purge_response', handler: purge },
  { pattern: 'STREAM.MSG.DELETE.*', type: 'stream_msg_delete_response', handler: msgDelete },
  { pattern: 'STREAM.MSG.GET.*', type: 'stream_msg_get_response', handler: msgGet },
  { pattern: 'STREAM.PEER.REMOVE.*', type: 'stream_remove_peer_response', handler: clusterRequired },
  { pattern: 'STREAM.LEADER.STEPDOWN.*', type: 'stream_leader_stepdown_response', handler: clusterRequired },
  ...SNAPSHOT_HANDLERS,
];

export { streamFromSubject };
