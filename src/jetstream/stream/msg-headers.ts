/**
 * Header names the stream understands on publish (Go JSMsgId etc.) and the
 * parsing of their values.
 */
import { parseGoDuration } from '../../config/durations.js';

export const HDR_MSG_ID = 'Nats-Msg-Id';
export const HDR_EXPECTED_STREAM = 'Nats-Expected-Stream';
export const HDR_EXPECTED_LAST_SEQ = 'Nats-Expected-Last-Sequence';
export const HDR_EXPECTED_LAST_SUBJ_SEQ = 'Nats-Expected-Last-Subject-Sequence';
export const HDR_EXPECTED_LAST_SUBJ_SEQ_SUBJ = 'Nats-Expected-Last-Subject-Sequence-Subject';
export const HDR_EXPECTED_LAST_MSG_ID = 'Nats-Expected-Last-Msg-Id';
export const HDR_ROLLUP = 'Nats-Rollup';
export const HDR_TTL = 'Nats-TTL';
export const HDR_MARKER_REASON = 'Nats-Marker-Reason';
export const HDR_INCR = 'Nats-Incr';
export const HDR_STREAM_SOURCE = 'Nats-Stream-Source';
export const HDR_REQUIRED_API_LEVEL = 'Nats-Required-Api-Level';
export const HDR_BATCH_ID = 'Nats-Batch-Id';
export const HDR_BATCH_SEQ = 'Nats-Batch-Sequence';
export const HDR_BATCH_COMMIT = 'Nats-Batch-Commit';

export const HDR_STREAM = 'Nats-Stream';
export const HDR_SUBJECT = 'Nats-Subject';
export const HDR_SEQUENCE = 'Nats-Sequence';
export const HDR_TIMESTAMP = 'Nats-Time-Stamp';
export const HDR_LAST_SEQUENCE = 'Nats-Last-Sequence';
export const HDR_MSG_SIZE = 'Nats-Msg-Size';
export const HDR_NUM_PENDING = 'Nats-Num-Pending';
export const HDR_UPTO_SEQUENCE = 'Nats-UpTo-Sequence';

export const ROLLUP_SUBJECT = 'sub';
export const ROLLUP_ALL = 'all';

/**
 * Nats-TTL value to seconds: `never` is -1, a Go duration or an integer
 * number of seconds; anything below one second is invalid. Returns null when
 * invalid, 0 when absent.
 */
export function parseMsgTTL(v: string | null): number | null {
  if (v === null || v === '') return 0;
  if (v === 'never') return -1;
  let sec: number;
  if (/^-?[0-9]+$/.test(v)) {
    sec = Number(v);
  } else {
    const ms = parseGoDuration(v);
    if (ms === null) return null;
    sec = Math.floor(ms / 1000);
  }
  if (sec < 1) return null;
  return sec;
}

/** Message schedules (ADR-51, Go JSSchedule*) */
export const HDR_SCHEDULE = 'Nats-Schedule';
export const HDR_SCHEDULE_TIME_ZONE = 'Nats-Schedule-Time-Zone';
export const HDR_SCHEDULE_TTL = 'Nats-Schedule-TTL';
export const HDR_SCHEDULE_ROLLUP = 'Nats-Schedule-Rollup';
export const HDR_SCHEDULE_TARGET = 'Nats-Schedule-Target';
export const HDR_SCHEDULE_SOURCE = 'Nats-Schedule-Source';
export const HDR_SCHEDULER = 'Nats-Scheduler';
export const HDR_SCHEDULE_NEXT = 'Nats-Schedule-Next';
/** Nats-Schedule-Next value on a one-shot's message: purge the schedule itself */
export const SCHEDULE_NEXT_PURGE = 'purge';

/** Counters aggregated through sources (ADR-49): per-source contributions */
export const HDR_COUNTER_SOURCES = 'Nats-Counter-Sources';

/** Idle heartbeat headers (Go JSLastConsumerSeq, JSConsumerStalled) */
export const HDR_LAST_CONSUMER = 'Nats-Last-Consumer';
export const HDR_CONSUMER_STALLED = 'Nats-Consumer-Stalled';
