/**
 * ConsumerConfig: wire shape (Go consumer.go ConsumerConfig), defaults
 * (setConsumerConfigDefaults), validation (checkConsumerCfg) and the update
 * rules (checkNewConsumerConfig), with Go's error choices and order.
 */
import { jsError, ApiError } from '../api/errors.js';
import { isValidAssetName, MAX_DESCRIPTION_LEN, MAX_METADATA_LEN, dynamicMetadata, staticMetadata, type StreamConfig } from '../stream/config.js';
import { isValidSubject, subjectIsLiteral, subjectIsSubsetMatch } from '../../sublist/subject.js';
import { subjectMatches } from '../store/subject-index.js';
import { formatGoDuration } from '../../config/durations.js';

export type DeliverPolicy = 'all' | 'last' | 'new' | 'by_start_sequence' | 'by_start_time' | 'last_per_subject';
export type AckPolicy = 'none' | 'all' | 'explicit' | 'flow_control';
export type ReplayPolicy = 'instant' | 'original';

export interface ConsumerConfig {
  durable_name?: string;
  name?: string;
  description?: string;
  deliver_policy: DeliverPolicy;
  opt_start_seq?: number;
  opt_start_time?: string;
  ack_policy: AckPolicy;
  ack_wait?: number;
  max_deliver?: number;
  backoff?: number[];
  filter_subject?: string;
  filter_subjects?: string[];
  replay_policy: ReplayPolicy;
  rate_limit_bps?: number;
  sample_freq?: string;
  max_waiting?: number;
  max_ack_pending?: number;
  flow_control?: boolean;
  headers_only?: boolean;
  max_batch?: number;
  max_expires?: number;
  max_bytes?: number;
  deliver_subject?: string;
  deliver_group?: string;
  idle_heartbeat?: number;
  inactive_threshold?: number;
  num_replicas: number;
  mem_storage?: boolean;
  direct?: boolean;
  sourcing?: boolean;
  metadata?: Record<string, string>;
  pause_until?: string;
  priority_groups?: string[];
  priority_policy?: 'none' | 'overflow' | 'pinned_client' | 'prioritized';
  priority_timeout?: number;
}

/** Go JsAckWaitDefault, JsDefaultMaxAckPending, JSWaitQueueDefaultMax, JsDeleteWaitTimeDefault, JsDefaultPinnedTTL */
export const ACK_WAIT_DEFAULT = 30e9;
export const MAX_ACK_PENDING_DEFAULT = 1000;
export const MAX_WAITING_DEFAULT = 512;
export const EPHEMERAL_INACTIVE_DEFAULT = 5e9;
export const PINNED_TTL_DEFAULT = 120e9;

const FIELDS = new Set([
  'durable_name', 'name', 'description', 'deliver_policy', 'opt_start_seq', 'opt_start_time', 'ack_policy', 'ack_wait',
  'max_deliver', 'backoff', 'filter_subject', 'filter_subjects', 'replay_policy', 'rate_limit_bps', 'sample_freq',
  'max_waiting', 'max_ack_pending', 'flow_control', 'headers_only', 'max_batch', 'max_expires', 'max_bytes',
  'deliver_subject', 'deliver_group', 'idle_heartbeat', 'inactive_threshold', 'num_replicas', 'mem_storage', 'direct',
  'sourcing', 'metadata', 'pause_until', 'priority_groups', 'priority_policy', 'priority_timeout',
]);
const DELIVER = new Set(['all', 'last', 'new', 'by_start_sequence', 'by_start_time', 'last_per_subject', undefined, '']);
const ACKS = new Set(['none', 'all', 'explicit', 'flow_control']);
const REPLAYS = new Set(['instant', 'original']);
const PRIORITY = new Set(['none', 'overflow', 'pinned_client', 'prioritized', '', undefined]);
const GROUP_NAME = /^[a-zA-Z0-9/_=-]{1,16}$/;

export function unknownConsumerField(cfg: Record<string, unknown>): string | null {
  for (const k of Object.keys(cfg)) if (!FIELDS.has(k)) return `json: unknown field ${JSON.stringify(k)}`;
  return null;
}

/** Shape checks a JSON decoder does in Go (enum strings). */
export function decodeConsumerConfig(raw: Record<string, unknown>): ConsumerConfig | ApiError {
  const c = { ...raw } as Partial<ConsumerConfig> & Record<string, unknown>;
  if (!DELIVER.has(c.deliver_policy as string)) return jsError('JSInvalidJSONErr', { err: `can not unmarshal ${JSON.stringify(c.deliver_policy)}` });
  if (c.ack_policy !== undefined && !ACKS.has(c.ack_policy)) return jsError('JSInvalidJSONErr', { err: `can not unmarshal ${JSON.stringify(c.ack_policy)}` });
  if (c.replay_policy !== undefined && !REPLAYS.has(c.replay_policy)) return jsError('JSInvalidJSONErr', { err: `can not unmarshal ${JSON.stringify(c.replay_policy)}` });
  if (!PRIORITY.has(c.priority_policy)) return jsError('JSInvalidJSONErr', { err: `unknown priority policy: ${String(c.priority_policy)}` });
  return {
    ...c,
    deliver_policy: (c.deliver_policy || 'all') as DeliverPolicy,
    ack_policy: c.ack_policy ?? 'none',
    replay_policy: c.replay_policy ?? 'instant',
    num_replicas: typeof c.num_replicas === 'number' ? c.num_replicas : 0,
  } as ConsumerConfig;
}

export interface ConsumerLimits {
  /** server jetstream limits max_ack_pending / max_request_batch (0 = none) */
  maxAckPending: number;
  maxRequestBatch: number;
}

function invalid(text: string): ApiError {
  return jsError('JSStreamInvalidConfigF', { err: text });
}

/** Go setConsumerConfigDefaults. Mutates `c`. */
export function setConsumerDefaults(c: ConsumerConfig, scfg: StreamConfig, lim: ConsumerLimits, pedantic: boolean): ApiError | null {
  const ped = (t: string): ApiError => jsError('JSPedanticErrF', { err: t });
  if (!c.max_deliver || c.max_deliver < -1) {
    if (pedantic && (c.max_deliver ?? 0) < -1) return ped('max_deliver must be set to -1');
    c.max_deliver = -1;
  }
  if ((c.max_waiting ?? 0) < 0) {
    if (pedantic) return ped('max_waiting must not be negative');
    c.max_waiting = 0;
  }
  if ((c.max_ack_pending ?? 0) < -1) {
    if (pedantic) return ped('max_ack_pending must be set to -1');
    c.max_ack_pending = -1;
  }
  if ((c.max_batch ?? 0) < 0) {
    if (pedantic) return ped('max_batch must not be negative');
    c.max_batch = 0;
  }
  if ((c.max_expires ?? 0) < 0) {
    if (pedantic) return ped('max_expires must not be negative');
    c.max_expires = 0;
  }
  if ((c.max_bytes ?? 0) < 0) {
    if (pedantic) return ped('max_bytes must not be negative');
    c.max_bytes = 0;
  }
  if ((c.idle_heartbeat ?? 0) < 0) {
    if (pedantic) return ped('idle_heartbeat must not be negative');
    c.idle_heartbeat = 0;
  }
  if ((c.inactive_threshold ?? 0) < 0) {
    if (pedantic) return ped('inactive_threshold must not be negative');
    c.inactive_threshold = 0;
  }
  if ((c.priority_timeout ?? 0) < 0) {
    if (pedantic) return ped('priority_timeout must not be negative');
    c.priority_timeout = 0;
  }
  if (!c.deliver_subject && !c.max_waiting) c.max_waiting = MAX_WAITING_DEFAULT;
  if (!c.ack_wait && (c.ack_policy === 'explicit' || c.ack_policy === 'all')) c.ack_wait = ACK_WAIT_DEFAULT;
  if (c.backoff && c.backoff.length > 0) {
    if (pedantic && c.ack_wait !== c.backoff[0]) return ped('first backoff value has to equal batch AckWait');
    c.ack_wait = c.backoff[0];
  }
  const cl = scfg.consumer_limits ?? {};
  if (!c.max_ack_pending) {
    if (pedantic && (cl.max_ack_pending ?? 0) > 0) return ped("max_ack_pending must be set if it's configured in stream limits");
    c.max_ack_pending = cl.max_ack_pending ?? 0;
  }
  if (!c.inactive_threshold) {
    if (pedantic && (cl.inactive_threshold ?? 0) > 0) return ped("inactive_threshold must be set if it's configured in stream limits");
    c.inactive_threshold = cl.inactive_threshold ?? 0;
  }
  if (!c.max_ack_pending && c.ack_policy !== 'none') {
    let p = MAX_ACK_PENDING_DEFAULT;
    if (lim.maxAckPending > 0 && lim.maxAckPending < p) p = lim.maxAckPending;
    c.max_ack_pending = p;
  }
  if (!c.deliver_subject && !c.max_batch && lim.maxRequestBatch > 0) {
    if (pedantic) return ped("max_request_batch must be set if it's JetStream limits are set");
    c.max_batch = lim.maxRequestBatch;
  }
  if (c.priority_policy === 'pinned_client' && !c.priority_timeout) c.priority_timeout = PINNED_TTL_DEFAULT;
  if (c.ack_policy === 'flow_control' && !pedantic) {
    c.flow_control = true;
    c.idle_heartbeat = 1e9;
  }
  return null;
}

export function filtersOf(c: ConsumerConfig): string[] {
  if (c.filter_subjects && c.filter_subjects.length > 0) return c.filter_subjects;
  if (c.filter_subject) return [c.filter_subject];
  return [];
}

/** Go checkConsumerCfg (order preserved). */
export function checkConsumerConfig(c: ConsumerConfig, scfg: StreamConfig, lim: ConsumerLimits): ApiError | null {
  if (c.name && !isValidAssetName(c.name)) return invalid("consumer name can not contain '.', '*', '>', '\\', '/'");
  if (c.durable_name && !isValidAssetName(c.durable_name)) return invalid("consumer durable name can not contain '.', '*', '>', '\\', '/'");
  const sr = scfg.num_replicas || 1;
  if (c.num_replicas > 0 && c.num_replicas > sr) return jsError('JSConsumerReplicasExceedsStream');
  if (c.num_replicas < 0) return jsError('JSReplicasCountCannotBeNegative');
  if ((scfg.retention === 'interest' || scfg.retention === 'workqueue') && c.num_replicas !== 0 && c.num_replicas !== sr) {
    return jsError('JSConsumerReplicasShouldMatchStream');
  }
  for (const b of c.backoff ?? []) if (b < 0) return jsError('JSConsumerBackOffNegativeErr');
  if ((c.ack_wait ?? 0) < 0) return jsError('JSConsumerAckWaitNegativeErr');
  if (c.ack_policy === 'flow_control') {
    if (!c.deliver_subject) return jsError('JSConsumerAckFCRequiresPushErr');
    if (!c.flow_control) return jsError('JSConsumerAckFCRequiresFCErr');
    if (c.idle_heartbeat !== 1e9) return invalid('flow control ack policy heartbeat needs to be 1s');
    if ((c.max_ack_pending ?? 0) <= 0) return jsError('JSConsumerAckFCRequiresMaxAckPendingErr');
    if (c.ack_wait || (c.backoff?.length ?? 0) > 0) return jsError('JSConsumerAckFCRequiresNoAckWaitErr');
    if ((c.max_deliver ?? 0) > 0) return jsError('JSConsumerAckFCRequiresNoMaxDeliverErr');
  }
  const lbo = c.backoff?.length ?? 0;
  if (lbo > 0 && c.max_deliver !== -1 && lbo > (c.max_deliver ?? 0)) return jsError('JSConsumerMaxDeliverBackoffErr');
  if ((c.description ?? '').length > MAX_DESCRIPTION_LEN) return jsError('JSConsumerDescriptionTooLongErrF', { max: MAX_DESCRIPTION_LEN });
  if (c.deliver_subject) {
    if (!subjectIsLiteral(c.deliver_subject)) return jsError('JSConsumerDeliverToWildcardsErr');
    if (!isValidSubject(c.deliver_subject)) return jsError('JSConsumerInvalidDeliverSubject');
    for (const s of scfg.subjects ?? []) if (subjectMatches(c.deliver_subject, s)) return jsError('JSConsumerDeliverCycleErr');
    if (c.max_waiting) return jsError('JSConsumerPushMaxWaitingErr');
    if ((c.max_ack_pending ?? 0) > 0 && c.ack_policy === 'none') return jsError('JSConsumerMaxPendingAckPolicyRequiredErr');
    if ((c.idle_heartbeat ?? 0) > 0 && (c.idle_heartbeat ?? 0) < 100e6) return jsError('JSConsumerSmallHeartbeatErr');
  } else {
    if (c.ack_policy === 'none' && scfg.retention === 'workqueue') return jsError('JSConsumerPullRequiresAckErr');
    if ((c.rate_limit_bps ?? 0) > 0) return jsError('JSConsumerPullWithRateLimitErr');
    if ((c.max_waiting ?? 0) < 0) return jsError('JSConsumerMaxWaitingNegativeErr');
    if ((c.idle_heartbeat ?? 0) > 0) return jsError('JSConsumerHBRequiresPushErr');
    if (c.flow_control) return jsError('JSConsumerFCRequiresPushErr');
    if ((c.max_batch ?? 0) < 0) return jsError('JSConsumerMaxRequestBatchNegativeErr');
    if (c.max_expires && c.max_expires < 1e6) return jsError('JSConsumerMaxRequestExpiresTooSmall');
    if (lim.maxRequestBatch > 0 && (c.max_batch ?? 0) > lim.maxRequestBatch) return jsError('JSConsumerMaxRequestBatchExceededF', { limit: lim.maxRequestBatch });
  }
  if (lim.maxAckPending > 0 && (c.max_ack_pending ?? 0) > lim.maxAckPending) return jsError('JSConsumerMaxPendingAckExcessErrF', { limit: lim.maxAckPending });
  const cl = scfg.consumer_limits ?? {};
  if ((cl.max_ack_pending ?? 0) > 0 && (c.max_ack_pending ?? 0) > (cl.max_ack_pending ?? 0)) return jsError('JSConsumerMaxPendingAckExcessErrF', { limit: cl.max_ack_pending! });
  if ((cl.inactive_threshold ?? 0) > 0 && (c.inactive_threshold ?? 0) > (cl.inactive_threshold ?? 0)) return jsError('JSConsumerInactiveThresholdExcess', { limit: goDuration(cl.inactive_threshold!) });
  if (c.direct) {
    if (!c.deliver_subject) return jsError('JSConsumerDirectRequiresPushErr');
    if (c.durable_name) return jsError('JSConsumerDirectRequiresEphemeralErr');
  }
  if (c.filter_subject && (c.filter_subjects?.length ?? 0) > 0) return jsError('JSConsumerDuplicateFilterSubjects');
  if (c.filter_subject && !isValidSubject(c.filter_subject)) return invalid('invalid subject');
  for (const f of c.filter_subjects ?? []) if (f === '') return jsError('JSConsumerEmptyFilter');
  const filters = filtersOf(c);
  for (let i = 0; i < filters.length; i++) {
    if (!isValidSubject(filters[i])) return invalid('invalid subject');
    for (let j = 0; j < filters.length; j++) if (i !== j && subjectIsSubsetMatch(filters[i], filters[j])) return jsError('JSConsumerOverlappingSubjectFilters');
  }
  const badStart = (dp: string, s: string) => jsError('JSConsumerInvalidPolicyErrF', { err: `consumer delivery policy is deliver ${dp}, but optional start ${s} is also set` });
  const notSet = (dp: string, s: string) => jsError('JSConsumerInvalidPolicyErrF', { err: `consumer delivery policy is deliver ${dp}, but optional ${s} is not set` });
  const seq = c.opt_start_seq ?? 0;
  const time = c.opt_start_time !== undefined && c.opt_start_time !== null;
  switch (c.deliver_policy) {
    case 'all':
      if (seq > 0) return badStart('all', 'sequence');
      if (time) return badStart('all', 'time');
      break;
    case 'last':
      if (seq > 0) return badStart('last', 'sequence');
      if (time) return badStart('last', 'time');
      break;
    case 'last_per_subject':
      if (seq > 0) return badStart('last per subject', 'sequence');
      if (time) return badStart('last per subject', 'time');
      if (filters.length === 0) return notSet('last per subject', 'filter subject');
      break;
    case 'new':
      if (seq > 0) return badStart('new', 'sequence');
      if (time) return badStart('new', 'time');
      break;
    case 'by_start_sequence':
      if (seq === 0) return notSet('by start sequence', 'start sequence');
      if (time) return badStart('by start sequence', 'time');
      break;
    case 'by_start_time':
      if (!time) return notSet('by start time', 'start time');
      if (seq !== 0) return badStart('by start time', 'start sequence');
      break;
  }
  if (c.sample_freq) {
    const s = c.sample_freq.replace(/%$/, '');
    if (!/^[0-9]+$/.test(s)) return jsError('JSConsumerInvalidSamplingErrF', { err: `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax` });
  }
  if (c.flow_control && !c.idle_heartbeat) return jsError('JSConsumerWithFlowControlNeedsHeartbeats');
  if (c.durable_name && c.name && c.name !== c.durable_name) return jsError('JSConsumerCreateDurableAndNameMismatch');
  let mdLen = 0;
  for (const [k, v] of Object.entries(c.metadata ?? {})) mdLen += k.length + String(v).length;
  if (mdLen > MAX_METADATA_LEN) return jsError('JSConsumerMetadataLengthErrF', { limit: `${MAX_METADATA_LEN / 1024}KB` });
  if (c.priority_policy && c.priority_policy !== 'none') {
    if (c.deliver_subject) return jsError('JSConsumerPushWithPriorityGroupErr');
    if (!c.priority_groups || c.priority_groups.length === 0) return jsError('JSConsumerPriorityPolicyWithoutGroup');
    for (const g of c.priority_groups) {
      if (g === '') return jsError('JSConsumerEmptyGroupName');
      if (!GROUP_NAME.test(g)) return jsError('JSConsumerInvalidGroupNameErr');
    }
  } else {
    if ((c.priority_groups?.length ?? 0) > 0) return jsError('JSConsumerPriorityGroupWithPolicyNone');
    if ((c.priority_timeout ?? 0) > 0) return jsError('JSConsumerPinnedTTLWithoutPriorityPolicyNone');
  }
  if (scfg.placement?.preferred) return invalid('preferred server not permitted in placement');
  return null;
}

/** Go checkNewConsumerConfig: returns the error text (or ApiError) for a disallowed update. */
export function checkConsumerUpdate(old: ConsumerConfig, n: ConsumerConfig, deliverSubjectBound: boolean): ApiError | string | null {
  if (old.deliver_policy !== n.deliver_policy) return 'deliver policy can not be updated';
  if (!!old.mem_storage !== !!n.mem_storage) return 'storage type can not be updated';
  if (!!old.direct !== !!n.direct) return 'direct can not be updated';
  if (!!old.sourcing !== !!n.sourcing) return 'sourcing can not be updated';
  if ((old.opt_start_seq ?? 0) !== (n.opt_start_seq ?? 0)) return 'start sequence can not be updated';
  if ((old.opt_start_time ?? '') !== (n.opt_start_time ?? '')) return 'start time can not be updated';
  if (old.ack_policy !== n.ack_policy) return 'ack policy can not be updated';
  if (old.replay_policy !== n.replay_policy) return 'replay policy can not be updated';
  if ((old.idle_heartbeat ?? 0) !== (n.idle_heartbeat ?? 0)) return 'heart beats can not be updated';
  if (!!old.flow_control !== !!n.flow_control) return 'flow control can not be updated';
  if ((old.deliver_subject ?? '') !== (n.deliver_subject ?? '')) {
    if (!old.deliver_subject) return 'can not update pull consumer to push based';
    if (!n.deliver_subject) return 'can not update push consumer to pull based';
    if (deliverSubjectBound) return jsError('JSConsumerNameExistErr');
  }
  if ((old.max_waiting ?? 0) !== (n.max_waiting ?? 0)) return 'max waiting can not be updated';
  const lbo = n.backoff?.length ?? 0;
  if (lbo > 0 && n.max_deliver !== -1 && lbo > (n.max_deliver ?? 0)) return jsError('JSConsumerMaxDeliverBackoffErr');
  return null;
}

/** Go setStaticConsumerMetadata: the API level a config requires. */
export function setConsumerStaticMetadata(c: ConsumerConfig): void {
  let lvl = 0;
  if (c.pause_until || (c.priority_policy && c.priority_policy !== 'none')) lvl = 1;
  if (c.priority_policy === 'prioritized') lvl = 2;
  c.metadata = staticMetadata(c.metadata, lvl);
}

/** Config JSON in Go field order (omitempty honoured). */
export function consumerConfigJSON(c: ConsumerConfig, serverVersion: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (c.durable_name) o.durable_name = c.durable_name;
  if (c.name) o.name = c.name;
  if (c.description) o.description = c.description;
  o.deliver_policy = c.deliver_policy;
  if (c.opt_start_seq) o.opt_start_seq = c.opt_start_seq;
  if (c.opt_start_time) o.opt_start_time = c.opt_start_time;
  o.ack_policy = c.ack_policy;
  if (c.ack_wait) o.ack_wait = c.ack_wait;
  if (c.max_deliver) o.max_deliver = c.max_deliver;
  if (c.backoff && c.backoff.length) o.backoff = c.backoff;
  if (c.filter_subject) o.filter_subject = c.filter_subject;
  if (c.filter_subjects && c.filter_subjects.length) o.filter_subjects = c.filter_subjects;
  o.replay_policy = c.replay_policy;
  if (c.rate_limit_bps) o.rate_limit_bps = c.rate_limit_bps;
  if (c.sample_freq) o.sample_freq = c.sample_freq;
  if (c.max_waiting) o.max_waiting = c.max_waiting;
  if (c.max_ack_pending) o.max_ack_pending = c.max_ack_pending;
  if (c.flow_control) o.flow_control = true;
  if (c.headers_only) o.headers_only = true;
  if (c.max_batch) o.max_batch = c.max_batch;
  if (c.max_expires) o.max_expires = c.max_expires;
  if (c.max_bytes) o.max_bytes = c.max_bytes;
  if (c.deliver_subject) o.deliver_subject = c.deliver_subject;
  if (c.deliver_group) o.deliver_group = c.deliver_group;
  if (c.idle_heartbeat) o.idle_heartbeat = c.idle_heartbeat;
  if (c.inactive_threshold) o.inactive_threshold = c.inactive_threshold;
  o.num_replicas = c.num_replicas;
  if (c.mem_storage) o.mem_storage = true;
  if (c.direct) o.direct = true;
  if (c.sourcing) o.sourcing = true;
  o.metadata = dynamicMetadata(c.metadata, serverVersion);
  if (c.pause_until) o.pause_until = c.pause_until;
  if (c.priority_groups && c.priority_groups.length) o.priority_groups = c.priority_groups;
  if (c.priority_policy && c.priority_policy !== 'none') o.priority_policy = c.priority_policy;
  if (c.priority_timeout) o.priority_timeout = c.priority_timeout;
  return o;
}

/** Go time.Duration String() of a nanosecond duration (the config layer formats milliseconds and up). */
export function goDuration(ns: number): string {
  if (ns !== 0 && Math.abs(ns) < 1e3) return `${ns}ns`;
  if (ns !== 0 && Math.abs(ns) < 1e6) return `${Number((ns / 1e3).toFixed(3))}µs`;
  return formatGoDuration(ns / 1e6);
}

export { ApiError };
