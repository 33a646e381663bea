/**
 * StreamConfig: the wire shape (Go stream.go StreamConfig, snake_case JSON),
 * defaults and validation (Go checkStreamCfg) and update rules
 * (configUpdateCheck). Error texts and their order follow the Go server so
 * clients see the same errors.
 */
import { jsError, type ApiError } from '../api/errors.js';
import { isValidSubject, subjectIsSubsetMatch, subjectsCollide, isValidPublishSubject, subjectIsLiteral } from '../../sublist/subject.js';

export interface SubjectTransformConfig {
  src: string;
  dest: string;
}

export interface StreamSource {
  name: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  filter_subject?: string;
  subject_transforms?: SubjectTransformConfig[];
  external?: { api: string; deliver?: string };
}

export interface StreamConfig {
  name: string;
  description?: string;
  subjects?: string[];
  retention: 'limits' | 'interest' | 'workqueue';
  max_consumers: number;
  max_msgs: number;
  max_bytes: number;
  max_age: number;
  max_msgs_per_subject: number;
  max_msg_size?: number;
  discard: 'old' | 'new';
  storage: 'file' | 'memory';
  num_replicas: number;
  no_ack?: boolean;
  duplicate_window?: number;
  placement?: { cluster?: string; tags?: string[]; preferred?: string };
  mirror?: StreamSource;
  sources?: StreamSource[];
  compression: 'none' | 's2';
  first_seq?: number;
  subject_transform?: SubjectTransformConfig;
  republish?: { src?: string; dest: string; headers_only?: boolean };
  allow_direct: boolean;
  mirror_direct: boolean;
  discard_new_per_subject?: boolean;
  sealed: boolean;
  deny_delete: boolean;
  deny_purge: boolean;
  allow_rollup_hdrs: boolean;
  consumer_limits: { inactive_threshold?: number; max_ack_pending?: number };
  allow_msg_ttl: boolean;
  subject_delete_marker_ttl?: number;
  allow_msg_counter?: boolean;
  allow_atomic?: boolean;
  allow_msg_schedules?: boolean;
  persist_mode?: 'default' | 'async';
  allow_batched?: boolean;
  metadata?: Record<string, string>;
}

/** Go JSMaxNameLen, JSMaxDescriptionLen, JSMaxMetadataLen */
export const MAX_NAME_LEN = 255;
export const MAX_DESCRIPTION_LEN = 4 * 1024;
export const MAX_METADATA_LEN = 128 * 1024;
/** Go StreamDefaultDuplicatesWindow (2m) in ns */
export const DEFAULT_DUPLICATE_WINDOW = 120e9;
export const STREAM_MAX_REPLICAS = 5;
export const API_LEVEL = 5;

const STREAM_FIELDS = new Set([
  'name', 'description', 'subjects', 'retention', 'max_consumers', 'max_msgs', 'max_bytes', 'max_age',
  'max_msgs_per_subject', 'max_msg_size', 'discard', 'storage', 'num_replicas', 'no_ack', 'duplicate_window',
  'placement', 'mirror', 'sources', 'compression', 'first_seq', 'subject_transform', 'republish', 'allow_direct',
  'mirror_direct', 'discard_new_per_subject', 'sealed', 'deny_delete', 'deny_purge', 'allow_rollup_hdrs',
  'consumer_limits', 'allow_msg_ttl', 'subject_delete_marker_ttl', 'allow_msg_counter', 'allow_atomic',
  'allow_msg_schedules', 'persist_mode', 'allow_batched', 'metadata', 'pedantic',
  // 2.9-era names nats.js still sends
  'template_owner',
]);

/** Go's strict decoder: the first unknown top-level field, as `json: unknown field "x"`. */
export function unknownStreamField(req: Record<string, unknown>): string | null {
  for (const k of Object.keys(req)) if (!STREAM_FIELDS.has(k)) return `json: unknown field ${JSON.stringify(k)}`;
  return null;
}

/** Go isValidName for assets: non-empty, no '.', '*', '>', whitespace, path separators. */
export function isValidAssetName(name: unknown): name is string {
  if (typeof name !== 'string' || name === '') return false;
  return !/[.*>\s\\/]/.test(name) && !/[\u0000-\u001f\u007f]/.test(name);
}

const invalid = (msg: string): ApiError => jsError('JSStreamInvalidConfigF', { err: msg });
const pedanticErr = (msg: string): ApiError => jsError('JSPedanticErrF', { err: msg });

const RETENTIONS = new Set(['limits', 'interest', 'workqueue']);
const DISCARDS = new Set(['old', 'new']);
const STORAGES = new Set(['file', 'memory']);

export interface StreamCheckContext {
  /** look up another stream of the same account (mirrors/sources) */
  lookup(name: string): StreamConfig | null;
  /** server jetstream.limits.duplicate_window in ns, 0 = none */
  maxDuplicateWindow: number;
  /** account max_bytes_required */
  maxBytesRequired: boolean;
}

/** Normalise and validate a requested config (Go checkStreamCfg). Returns the config to use or an ApiError. */
export function checkStreamConfig(input: Partial<StreamConfig> | null, pedantic: boolean, ctx: StreamCheckContext): StreamConfig | ApiError {
  if (input === null || typeof input !== 'object') return invalid('stream configuration invalid');
  if (!isValidAssetName(input.name)) return invalid("stream name is required and can not contain '.', '*', '>', '\\', '/'");
  if (input.name.length > MAX_NAME_LEN) return invalid(`stream name is too long, maximum allowed is ${MAX_NAME_LEN}`);
  if ((input.description ?? '').length > MAX_DESCRIPTION_LEN) return invalid(`stream description is too long, maximum allowed is ${MAX_DESCRIPTION_LEN}`);
  let mdLen = 0;
  for (const [k, v] of Object.entries(input.metadata ?? {})) mdLen += k.length + String(v).length;
  if (mdLen > MAX_METADATA_LEN) return invalid(`stream metadata exceeds maximum size of ${MAX_METADATA_LEN} bytes`);

  const cfg: StreamConfig = {
    ...input,
    name: input.name,
    retention: input.retention ?? 'limits',
    max_consumers: input.max_consumers ?? 0,
    max_msgs: input.max_msgs ?? 0,
    max_bytes: input.max_bytes ?? 0,
    max_age: input.max_age ?? 0,
    max_msgs_per_subject: input.max_msgs_per_subject ?? 0,
    max_msg_size: input.max_msg_size ?? 0,
    discard: input.discard ?? 'old',
    storage: input.storage ?? 'file',
    num_replicas: input.num_replicas ?? 0,
    compression: input.compression === undefined || (input.compression as string) === '' ? 'none' : input.compression,
    allow_direct: !!input.allow_direct,
    mirror_direct: !!input.mirror_direct,
    sealed: !!input.sealed,
    deny_delete: !!input.deny_delete,
    deny_purge: !!input.deny_purge,
    allow_rollup_hdrs: !!input.allow_rollup_hdrs,
    consumer_limits: { ...(input.consumer_limits ?? {}) },
    allow_msg_ttl: !!input.allow_msg_ttl,
  };
  delete (cfg as { pedantic?: unknown }).pedantic;
  if (!RETENTIONS.has(cfg.retention)) return invalid('invalid retention');
  if (!DISCARDS.has(cfg.discard)) return invalid('invalid discard policy');
  if (cfg.compression !== 'none' && cfg.compression !== 's2') return invalid('invalid compression');
  if (!STORAGES.has(cfg.storage)) return invalid('invalid storage type');
  if (cfg.num_replicas === 0) cfg.num_replicas = 1;
  if (cfg.num_replicas > STREAM_MAX_REPLICAS) return invalid(`maximum replicas is ${STREAM_MAX_REPLICAS}`);
  if (cfg.num_replicas < 0) return jsError('JSReplicasCountCannotBeNegative');
  for (const [f, label] of [
    ['max_msgs', 'max_msgs'],
    ['max_msgs_per_subject', 'max_msgs_per_subject'],
    ['max_bytes', 'max_bytes'],
    ['max_msg_size', 'max_msg_size'],
    ['max_consumers', 'max_consumers'],
  ] as const) {
    const v = cfg[f] ?? 0;
    if (v === 0 || v < -1) {
      if (pedantic && v < -1) return pedanticErr(`${label} must be set to -1`);
      (cfg as unknown as Record<string, number>)[f] = -1;
    }
  }
  if (cfg.max_age < 0) return invalid('max age can not be negative');
  if (cfg.max_age !== 0 && cfg.max_age < 100e6) return invalid('max age needs to be >= 100ms');
  let dw = cfg.duplicate_window ?? 0;
  if (dw === 0 && cfg.mirror === undefined && (cfg.sources ?? []).length === 0) {
    let maxWindow = DEFAULT_DUPLICATE_WINDOW;
    if (ctx.maxDuplicateWindow > 0 && maxWindow > ctx.maxDuplicateWindow) {
      if (pedantic) return pedanticErr('duplicate window limits are higher than current limits');
      maxWindow = ctx.maxDuplicateWindow;
    }
    if (cfg.max_age !== 0 && cfg.max_age < maxWindow) {
      if (pedantic) return pedanticErr('duplicate window cannot be bigger than max age');
      dw = cfg.max_age;
    } else dw = maxWindow;
  }
  if (dw < 0) return invalid('duplicates window can not be negative');
  if (cfg.max_age !== 0 && dw > cfg.max_age) return invalid('duplicates window can not be larger then max age');
  if (ctx.maxDuplicateWindow > 0 && dw > ctx.maxDuplicateWindow) return invalid(`duplicates window can not be larger then server limit of ${ctx.maxDuplicateWindow / 1e9}s`);
  if (dw > 0 && dw < 100e6) return invalid('duplicates window needs to be >= 100ms');
  cfg.duplicate_window = dw;
  if (cfg.deny_purge && cfg.allow_rollup_hdrs) return invalid('roll-ups require the purge permission');
  if (cfg.allow_msg_counter) {
    if (cfg.discard === 'new') return invalid('counter stream cannot use discard new');
    if (cfg.allow_msg_ttl) return invalid('counter stream cannot use message TTLs');
    if (cfg.allow_msg_schedules) return invalid('counter stream cannot use message schedules');
    if (cfg.retention !== 'limits') return invalid('counter stream can only use limits retention');
  }
  if (cfg.discard_new_per_subject) {
    if (cfg.discard !== 'new') return invalid('discard new per subject requires discard new policy to be set');
    if (cfg.max_msgs_per_subject <= 0) return invalid('discard new per subject requires max msgs per subject > 0');
  }
  const sdm = cfg.subject_delete_marker_ttl ?? 0;
  if (sdm > 0) {
    if (sdm < 1e9) return invalid('subject delete marker TTL must be at least 1 second');
    if (!cfg.allow_msg_ttl) {
      if (pedantic) return invalid('subject delete marker cannot be set if message TTLs are disabled');
      cfg.allow_msg_ttl = true;
    }
    if (!cfg.allow_rollup_hdrs) {
      if (pedantic) return invalid('subject delete marker cannot be set if roll-ups are disabled');
      cfg.allow_rollup_hdrs = true;
      cfg.deny_purge = false;
    }
  } else if (sdm < 0) return invalid('subject delete marker TTL must not be negative');
  if (cfg.allow_msg_schedules) {
    if (cfg.discard === 'new') return invalid('message scheduling cannot use discard new');
    if (!cfg.allow_rollup_hdrs) {
      if (pedantic) return invalid('message scheduling cannot be set if roll-ups are disabled');
      cfg.allow_rollup_hdrs = true;
      cfg.deny_purge = false;
    }
  }
  if (cfg.persist_mode === 'async') {
    if (cfg.storage !== 'file') return invalid('async persist mode is only supported on file storage');
    if (cfg.num_replicas > 1) return invalid('async persist mode is not supported on replicated streams');
    if (cfg.allow_atomic) return invalid('async persist mode is not supported with atomic batch publish');
  }

  if (cfg.mirror) {
    const m = cfg.mirror;
    if (cfg.first_seq) return jsError('JSMirrorWithFirstSeqErr');
    if ((cfg.subjects ?? []).length > 0) return jsError('JSMirrorWithSubjectsErr');
    if ((cfg.sources ?? []).length > 0) return jsError('JSMirrorWithSourcesErr');
    if (cfg.allow_msg_counter) return jsError('JSMirrorWithCountersErr');
    if (cfg.allow_atomic) return jsError('JSMirrorWithAtomicPublishErr');
    if (cfg.allow_batched) return jsError('JSMirrorWithBatchPublishErr');
    if (cfg.allow_msg_schedules) return jsError('JSMirrorWithMsgSchedulesErr');
    if (m.filter_subject && (m.subject_transforms ?? []).length) return jsError('JSMirrorMultipleFiltersNotAllowed');
    if (sdm > 0) return invalid('subject delete markers forbidden on mirrors');
    if (!m.external) {
      if (!isValidAssetName(m.name)) return jsError('JSMirrorInvalidStreamName');
      const o = ctx.lookup(m.name);
      if (o) {
        const omax = o.max_msg_size ?? -1;
        if ((cfg.max_msg_size ?? -1) > 0 && omax > 0 && (cfg.max_msg_size ?? -1) < omax) return jsError('JSMirrorMaxMessageSizeTooBigErr');
        if (pedantic && cfg.mirror_direct !== o.allow_direct) return pedanticErr('origin stream has direct get set, mirror has it disabled');
        cfg.mirror_direct = o.allow_direct;
      }
    }
  }
  if ((cfg.sources ?? []).length > 0 && cfg.allow_msg_schedules) return jsError('JSSourceWithMsgSchedulesErr');
  const seen = new Set<string>();
  for (const src of cfg.sources ?? []) {
    if (!src || !isValidAssetName(src.name)) return jsError('JSSourceInvalidStreamName');
    const iname = `${src.name} ${src.filter_subject ?? ''} ${JSON.stringify(src.subject_transforms ?? [])} ${src.external?.api ?? ''}`;
    if (seen.has(iname)) return jsError('JSSourceDuplicateDetected');
    seen.add(iname);
    if (src.filter_subject && (src.subject_transforms ?? []).length) return jsError('JSSourceMultipleFiltersNotAllowed');
    for (const tr of src.subject_transforms ?? []) {
      if (tr.src && !isValidSubject(tr.src)) return jsError('JSSourceInvalidSubjectFilter', { err: `invalid subject ${tr.src}` });
    }
  }
  // Cycle detection through sources and mirrors of this account.
  const visited = new Set<string>();
  const toVisit: StreamConfig[] = [cfg];
  while (toVisit.length > 0) {
    const c = toVisit.shift()!;
    visited.add(c.name);
    for (const src of c.sources ?? []) {
      if (src.external) continue;
      if (visited.has(src.name)) {
        const f = src.filter_subject ?? '';
        if (f === '' || (c.subjects ?? []).some((s) => subjectsCollide(s, f))) return invalid('detected cycle');
      } else {
        const o = ctx.lookup(src.name);
        if (o) toVisit.push(o);
      }
    }
    if (c.mirror && !c.mirror.external) {
      if (visited.has(c.mirror.name)) return invalid('detected cycle');
      const o = ctx.lookup(c.mirror.name);
      if (o) toVisit.push(o);
    }
  }

  const subjects = cfg.subjects ?? [];
  if (subjects.length === 0) {
    if (!cfg.mirror && (cfg.sources ?? []).length === 0) cfg.subjects = [cfg.name];
  } else {
    const dset = new Set<string>();
    for (let i = 0; i < subjects.length; i++) {
      const subj = subjects[i];
      if (typeof subj !== 'string' || !isValidSubject(subj)) return invalid('invalid subject');
      if (dset.has(subj)) return invalid('duplicate subjects detected');
      if (subj === '>') {
        if (!cfg.no_ack) return invalid('capturing all subjects requires no-ack to be true');
        if (cfg.num_replicas !== 1) return invalid('capturing all subjects requires replicas of 1');
      }
      if (!cfg.no_ack) {
        for (const ns of ['$JS.>', '$JSC.>', '$NRG.>']) {
          if (subjectsCollide(subj, ns) && !subjectIsSubsetMatch(subj, '$JS.EVENT.>')) {
            return invalid('subjects that overlap with jetstream api require no-ack to be true');
          }
        }
        if (subjectsCollide(subj, '$SYS.>') && !subjectIsSubsetMatch(subj, '$SYS.ACCOUNT.>')) {
          return invalid('subjects that overlap with system api require no-ack to be true');
        }
      }
      for (const t of subjects.slice(i + 1)) {
        if (subjectsCollide(t, subj)) return invalid(`subject ${JSON.stringify(subj)} overlaps with ${JSON.stringify(t)}`);
      }
      dset.add(subj);
    }
  }
  if ((cfg.subjects ?? []).length === 0 && (cfg.sources ?? []).length === 0 && !cfg.mirror) {
    return invalid('stream needs at least one configured subject or be a source/mirror');
  }
  if (ctx.maxBytesRequired && cfg.max_bytes <= 0) return jsError('JSStreamMaxBytesRequired');
  if (cfg.subject_transform) {
    const t = cfg.subject_transform;
    if (t.src && !isValidSubject(t.src)) return jsError('JSStreamTransformInvalidSource', { err: `invalid subject ${t.src}` });
  }
  if (cfg.republish) {
    const rp = cfg.republish;
    if (!rp.src) {
      if (pedantic) return pedanticErr('republish source can not be empty');
      rp.src = '>';
    }
    if ((cfg.subjects ?? []).some((s) => subjectsCollide(rp.dest, s))) {
      return invalid('stream configuration for republish destination forms a cycle');
    }
    if (!isValidSubject(rp.dest) || !isValidSubject(rp.src)) {
      return invalid(`stream configuration for republish with transform from '${rp.src}' to '${rp.dest}' not valid`);
    }
  }
  if (cfg.placement && Object.values(cfg.placement).every((v) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0))) {
    delete cfg.placement;
  }
  if (cfg.placement?.preferred) return invalid('preferred server not permitted in placement');
  return cfg;
}

/** Go configUpdateCheck: what an update may not change. */
export function checkStreamUpdate(old: StreamConfig, cfg: StreamConfig): ApiError | null {
  if (cfg.name !== old.name) return invalid('stream configuration name must match original');
  if (cfg.num_replicas > 1) return jsError('JSStreamReplicasNotSupportedErr');
  if (cfg.storage !== old.storage) return invalid('stream configuration update can not change storage type');
  if (cfg.retention !== old.retention && (old.retention === 'workqueue' || cfg.retention === 'workqueue')) {
    return invalid('stream configuration update can not change retention policy to/from workqueue');
  }
  if (!cfg.sealed && old.sealed) return invalid('stream configuration update can not unseal a sealed stream');
  if (!cfg.deny_delete && old.deny_delete) return invalid('stream configuration update can not cancel deny message deletes');
  if (!cfg.deny_purge && old.deny_purge) return invalid('stream configuration update can not cancel deny purge');
  if (cfg.mirror && JSON.stringify(cfg.mirror) !== JSON.stringify(old.mirror)) return jsError('JSStreamMirrorNotUpdatableErr');
  if (old.allow_msg_ttl && !cfg.allow_msg_ttl) return invalid('message TTL status can not be disabled');
  if (!!cfg.allow_msg_counter !== !!old.allow_msg_counter) return invalid('stream configuration update can not change message counter setting');
  if (old.allow_msg_schedules && !cfg.allow_msg_schedules) return invalid('message schedules can not be disabled');
  if ((old.persist_mode ?? 'default') !== (cfg.persist_mode ?? 'default')) return invalid('stream configuration update can not change persist mode');
  return null;
}

/** Go setStaticStreamMetadata: record the API level the config needs. */
export function setStaticMetadata(cfg: StreamConfig): void {
  let lvl = 0;
  if (cfg.allow_msg_ttl || (cfg.subject_delete_marker_ttl ?? 0) > 0) lvl = 1;
  if (cfg.allow_msg_counter || cfg.allow_atomic || cfg.allow_msg_schedules || cfg.persist_mode === 'async') lvl = 2;
  if (cfg.allow_batched) lvl = 4;
  cfg.metadata = staticMetadata(cfg.metadata, lvl);
}

/** Stored metadata: the dynamic keys dropped, `_nats.req.level` set (streams and consumers alike). */
export function staticMetadata(md: Record<string, string> | undefined, level: number): Record<string, string> {
  const out = { ...(md ?? {}) };
  delete out['_nats.ver'];
  delete out['_nats.level'];
  out['_nats.req.level'] = String(level);
  return out;
}

/** Metadata as responses show it: stored keys plus the server version and API level (Go setDynamic*Metadata). */
export function dynamicMetadata(md: Record<string, string> | undefined, serverVersion: string): Record<string, string> {
  return { ...(md ?? {}), '_nats.ver': serverVersion, '_nats.level': String(API_LEVEL) };
}

/** Config as a response shows it (Go setDynamicStreamMetadata + JSON field order). */
export function streamConfigJSON(cfg: StreamConfig, serverVersion: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  o.name = cfg.name;
  if (cfg.description) o.description = cfg.description;
  if (cfg.subjects && cfg.subjects.length) o.subjects = cfg.subjects;
  o.retention = cfg.retention;
  o.max_consumers = cfg.max_consumers;
  o.max_msgs = cfg.max_msgs;
  o.max_bytes = cfg.max_bytes;
  o.max_age = cfg.max_age;
  o.max_msgs_per_subject = cfg.max_msgs_per_subject;
  if (cfg.max_msg_size) o.max_msg_size = cfg.max_msg_size;
  o.discard = cfg.discard;
  o.storage = cfg.storage;
  o.num_replicas = cfg.num_replicas;
  if (cfg.no_ack) o.no_ack = true;
  if (cfg.duplicate_window) o.duplicate_window = cfg.duplicate_window;
  if (cfg.placement) o.placement = cfg.placement;
  if (cfg.mirror) o.mirror = cfg.mirror;
  if (cfg.sources && cfg.sources.length) o.sources = cfg.sources;
  o.compression = cfg.compression;
  if (cfg.first_seq) o.first_seq = cfg.first_seq;
  if (cfg.subject_transform) o.subject_transform = cfg.subject_transform;
  if (cfg.republish) o.republish = cfg.republish;
  o.allow_direct = cfg.allow_direct;
  o.mirror_direct = cfg.mirror_direct;
  if (cfg.discard_new_per_subject) o.discard_new_per_subject = true;
  o.sealed = cfg.sealed;
  o.deny_delete = cfg.deny_delete;
  o.deny_purge = cfg.deny_purge;
  o.allow_rollup_hdrs = cfg.allow_rollup_hdrs;
  o.consumer_limits = cfg.consumer_limits ?? {};
  o.allow_msg_ttl = cfg.allow_msg_ttl;
  if (cfg.subject_delete_marker_ttl) o.subject_delete_marker_ttl = cfg.subject_delete_marker_ttl;
  if (cfg.allow_msg_counter) o.allow_msg_counter = true;
  if (cfg.allow_atomic) o.allow_atomic = true;
  if (cfg.allow_msg_schedules) o.allow_msg_schedules = true;
  if (cfg.persist_mode === 'async') o.persist_mode = 'async';
  if (cfg.allow_batched) o.allow_batched = true;
  o.metadata = dynamicMetadata(cfg.metadata, serverVersion);
  return o;
}

/** True when two configs are the same for idempotent create (metadata's dynamic keys ignored). */
export function sameStreamConfig(a: StreamConfig, b: StreamConfig): boolean {
  return JSON.stringify(streamConfigJSON(a, '')) === JSON.stringify(streamConfigJSON(b, ''));
}

export { isValidPublishSubject, subjectIsLiteral };
