/**
 * Consumer API handlers: CREATE (ephemeral, named, with filter in the
 * subject), DURABLE.CREATE, NAMES, LIST, INFO, DELETE, PAUSE, UNPIN, RESET and
 * the cluster-only LEADER.STEPDOWN.
 */
import { ApiError, jsError } from './errors.js';
import { parseBody, page, type ApiRequest, type ApiRoute } from './request.js';
import { lookupStream } from './stream-api.js';
import { decodeConsumerConfig, unknownConsumerField } from '../consumer/config.js';
import type { Consumer } from '../consumer/consumer.js';
import type { Stream } from '../stream/stream.js';
import { parseRfc3339, ZERO_TIME } from '../time.js';

const NAMES_LIMIT = 1024;
const LIST_LIMIT = 256;
const REQUEST_FIELDS = new Set(['stream_name', 'config', 'action', 'pedantic']);

interface CreateRequest {
  stream_name?: string;
  config?: Record<string, unknown>;
  action?: string;
  pedantic?: boolean;
}

function create(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<CreateRequest>(req.body, false);
  if (body instanceof ApiError) return body;
  for (const k of Object.keys(body)) if (!REQUEST_FIELDS.has(k)) return jsError('JSInvalidJSONErr', { err: `json: unknown field ${JSON.stringify(k)}` });
  if (body.config === undefined || body.config === null) return jsError('JSConsumerConfigRequiredErr');
  if (typeof body.config !== 'object') return jsError('JSInvalidJSONErr', { err: 'json: cannot unmarshal config' });
  const unk = unknownConsumerField(body.config);
  if (unk) return jsError('JSInvalidJSONErr', { err: unk });
  const action = body.action ?? '';
  if (action !== '' && action !== 'create' && action !== 'update') return jsError('JSInvalidJSONErr', { err: `unknown consumer action: ${JSON.stringify(action)}` });
  const decoded = decodeConsumerConfig(body.config);
  if (decoded instanceof ApiError) return decoded;
  const cfg = decoded;
  const t = req.tokens; // CONSUMER.CREATE.<stream>[.<consumer>[.<filter>...]] | CONSUMER.DURABLE.CREATE.<stream>.<durable>
  let streamName: string;
  let consumerName: string;
  let filtered = '';
  let rt: 'legacyEphemeral' | 'legacyDurable' | 'new';
  if (t.length === 3) {
    rt = 'legacyEphemeral';
    streamName = t[2];
    consumerName = cfg.name ?? '';
  } else if (t[1] === 'DURABLE') {
    rt = 'legacyDurable';
    if (t.length !== 5) return jsError('JSConsumerDurableNameNotInSubjectErr');
    streamName = t[3];
    consumerName = t[4];
  } else {
    rt = 'new';
    streamName = t[2];
    consumerName = t[3];
    if (t.length > 4) filtered = t.slice(4).join('.');
  }
  if (streamName !== body.stream_name) return jsError('JSStreamMismatchErr');
  if (consumerName !== '' && /[\\/]/.test(consumerName)) return jsError('JSConsumerNameContainsPathSeparatorsErr');
  if (rt === 'legacyDurable') {
    if (!cfg.durable_name) return jsError('JSConsumerDurableNameNotSetErr');
    if (consumerName !== cfg.durable_name) return jsError('JSConsumerDurableNameNotMatchSubjectErr');
    cfg.name = consumerName;
  }
  if (rt === 'new') {
    if (cfg.durable_name && consumerName !== cfg.durable_name) return jsError('JSConsumerDurableNameNotMatchSubjectErr');
    cfg.name = consumerName;
  }
  if (rt === 'legacyEphemeral' && cfg.durable_name) return jsError('JSConsumerEphemeralWithDurableNameErr');
  if (filtered !== '' && (cfg.filter_subjects?.length ?? 0) > 0) return jsError('JSConsumerMultipleFiltersNotAllowed');
  if (filtered !== '' && cfg.filter_subject !== filtered) return jsError('JSConsumerCreateFilterSubjectMismatchErr');
  if (cfg.num_replicas > 1) return jsError('JSStreamReplicasNotSupportedErr');
  const s = lookupStream(req, streamName);
  if (s instanceof ApiError) return s;
  const c = req.jsa.addConsumer(s, cfg, action, body.pedantic === true);
  if (c instanceof ApiError) return c;
  // Go jsConsumerCreateRequest: a create/update of a consumer that is paused announces the pause.
  const pu = c.cfg.pause_until ? parseRfc3339(c.cfg.pause_until) : 0;
  if (pu > Date.now() * 1e6) c.sendPauseAdvisory();
  return c.infoJSON();
}

function lookupConsumer(req: ApiRequest): [Stream, Consumer] | ApiError {
  const s = lookupStream(req, req.tokens[2]);
  if (s instanceof ApiError) return s;
  const c = s.consumers.get(req.tokens[3] ?? '') as Consumer | undefined;
  if (!c) return jsError('JSConsumerNotFoundErr');
  return [s, c];
}

function sortedConsumers(s: Stream): Consumer[] {
  return ([...s.consumers.values()] as Consumer[]).filter((c) => !c.cfg.direct).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function names(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<{ offset?: number }>(req.body, true);
  if (body instanceof ApiError) return body;
  const s = lookupStream(req, req.tokens[2]);
  if (s instanceof ApiError) return s;
  const p = page(sortedConsumers(s), body.offset ?? 0, NAMES_LIMIT);
  return { total: p.total, offset: p.offset, limit: p.limit, consumers: p.items.map((c) => c.name) };
}

function list(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<{ offset?: number }>(req.body, true);
  if (body instanceof ApiError) return body;
  const s = lookupStream(req, req.tokens[2]);
  if (s instanceof ApiError) return s;
  const p = page(sortedConsumers(s), body.offset ?? 0, LIST_LIMIT);
  return { total: p.total, offset: p.offset, limit: p.limit, consumers: p.items.map((c) => c.infoJSON()) };
}

function info(req: ApiRequest): Record<string, unknown> | ApiError {
  const r = lookupConsumer(req);
  if (r instanceof ApiError) return r;
  return r[1].infoJSON();
}

function del(req: ApiRequest): Record<string, unknown> | ApiError {
  const r = lookupConsumer(req);
  if (r instanceof ApiError) return r;
  req.jsa.deleteConsumer(r[0], r[1], true);
  return { success: true };
}

function pause(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<{ pause_until?: string }>(req.body, true);
  if (body instanceof ApiError) return body;
  const r = lookupConsumer(req);
  if (r instanceof ApiError) return r;
  const c = r[1];
  const until = body.pause_until && body.pause_until !== '0001-01-01T00:00:00Z' ? body.pause_until : undefined;
  if (until !== undefined && Number.isNaN(parseRfc3339(until))) return jsError('JSInvalidJSONErr', { err: 'parsing time' });
  c.setPause(until);
  const now = Date.now() * 1e6;
  const t = c.cfg.pause_until ? parseRfc3339(c.cfg.pause_until) : 0;
  const paused = t > now;
  // The stored (UTC) spelling, not rfc3339(t): a ns count in a double loses sub-µs digits.
  const o: Record<string, unknown> = { paused, pause_until: c.cfg.pause_until ?? ZERO_TIME };
  if (paused) o.pause_remaining = t - now;
  return o;
}

function unpin(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<{ group?: string }>(req.body, true);
  if (body instanceof ApiError) return body;
  const r = lookupConsumer(req);
  if (r instanceof ApiError) return r;
  const c = r[1];
  // Go jsConsumerUnpinRequest checks only that the group is one of the consumer's.
  if (!body.group || !(c.cfg.priority_groups ?? []).includes(body.group)) return jsError('JSConsumerInvalidPriorityGroupErr');
  c.unpin(false, body.group);
  return {};
}

function reset(req: ApiRequest): Record<string, unknown> | ApiError {
  const body = parseBody<{ seq?: number }>(req.body, true);
  if (body instanceof ApiError) return body;
  const r = lookupConsumer(req);
  if (r instanceof ApiError) return r;
  const seq = r[1].reset(body.seq ?? 0);
  return { ...r[1].infoJSON(), reset_seq: seq };
}

export const CONSUMER_HANDLERS: ApiRoute[] = [
  { pattern: 'CONSUMER.CREATE.*', type: 'consumer_create_response', handler: create },
  { pattern: 'CONSUMER.CREATE.*.>', type: 'consumer_create_response', handler: create },
  { pattern: 'CONSUMER.DURABLE.CREATE.*.*', type: 'consumer_create_response', handler: create },
  { pattern: 'CONSUMER.NAMES.*', type: 'consumer_names_response', handler: names },
  { pattern: 'CONSUMER.LIST.*', type: 'consumer_list_response', handler: list },
  { pattern: 'CONSUMER.INFO.*.*', type: 'consumer_info_response', handler: info },
  { pattern: 'CONSUMER.DELETE.*.*', type: 'consumer_delete_response', handler: del },
  { pattern: 'CONSUMER.PAUSE.*.*', type: 'consumer_pause_response', handler: pause },
  { pattern: 'CONSUMER.UNPIN.*.*', type: 'consumer_unpin_response', handler: unpin },
  { pattern: 'CONSUMER.RESET.*.*', type: 'consumer_reset_response', handler: reset },
  { pattern: 'CONSUMER.LEADER.STEPDOWN.*.*', type: 'consumer_leader_stepdown_response', handler: () => jsError('JSClusterRequiredErr') },
];
