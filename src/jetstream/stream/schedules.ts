/**
 * Message schedules (ADR-51; Go scheduler.go MsgScheduling and the schedule
 * checks in stream.go processJetStreamMsg). A message carrying
 * `Nats-Schedule` is stored as the schedule itself (one per subject: it rolls
 * up its subject); when due, the stream publishes a copy (or the last message
 * of `Nats-Schedule-Source`) into `Nats-Schedule-Target` with
 * `Nats-Scheduler` and `Nats-Schedule-Next` headers. A one-shot's message
 * (`Nats-Schedule-Next: purge`) purges the schedule; a repeating one's moves
 * the schedule to its next time. One timer serves all schedules of a stream:
 * it is armed for the earliest due time (at least 250 ms away, as Go does).
 * Due times sit in a min-heap (Go uses a hashed timing wheel); entries that
 * a newer schedule or time replaced are skipped when they surface.
 */
import { buildHeaders, getHeader, parseHeaders } from '../../protocol/headers.js';
import { isValidPublishSubject, subjectsCollide } from '../../sublist/subject.js';
import { jsError, type ApiError } from '../api/errors.js';
import type { StoredMsg, StreamStore } from '../store/store.js';
import type { StreamConfig } from './config.js';
import * as H from './msg-headers.js';
import { formatInZone, parseMsgSchedule, validTimeZone, type ScheduleNext } from './schedule-pattern.js';
import { parseRfc3339 } from '../time.js';

/** Go: never fire more often than this, to spare stream ingest. */
const MIN_FIRE_MS = 250;

interface Entry {
  seq: number;
  /** ns when it is due */
  ts: number;
}

/** A heap slot: valid while the subject's schedule still has this seq and ts. */
interface Slot {
  ts: number;
  seq: number;
  subj: string;
}

/** Binary min-heap on ts. */
class DueHeap {
  private readonly a: Slot[] = [];

  get length(): number {
    return this.a.length;
  }

  peek(): Slot | undefined {
    return this.a[0];
  }

  push(x: Slot): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].ts <= x.ts) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }

  pop(): Slot | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r].ts < a[l].ts ? r : l;
        if (a[c].ts >= last.ts) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): void {
    this.a.length = 0;
  }
}

/** A message the scheduler wants stored. */
export interface ScheduledMsg {
  seq: number;
  subject: string;
  hdr: Buffer;
  msg: Buffer;
}

export class MsgScheduler {
  private readonly schedules = new Map<string, Entry>();
  private readonly seqToSubj = new Map<number, string>();
  private readonly inflight = new Set<string>();
  private readonly heap = new DueHeap();
  private timer: NodeJS.Timeout | null = null;
  private deadline = 0;
  private running = false;
  private stopped = false;

  constructor(private readonly onDue: () => void) {}

  get size(): number {
    return this.schedules.size;
  }

  /** A schedule message was stored at `seq` on `subj`, due at `ts` (ns). */
  add(seq: number, subj: string, ts: number): void {
    this.init(seq, subj, ts);
    this.resetTimer();
  }

  /** As add, without arming the timer (bulk rebuild). */
  init(seq: number, subj: string, ts: number): void {
    const e = this.schedules.get(subj);
    if (e !== undefined) {
      this.seqToSubj.delete(e.seq);
      e.seq = seq;
      e.ts = ts;
    } else this.schedules.set(subj, { seq, ts });
    this.seqToSubj.set(seq, subj);
    this.inflight.delete(subj);
    this.heap.push({ ts, seq, subj });
  }

  private live(x: Slot): boolean {
    const e = this.schedules.get(x.subj);
    return e !== undefined && e.seq === x.seq && e.ts === x.ts;
  }

  /** The earliest live slot (stale ones dropped on the way). */
  private top(): Slot | undefined {
    for (let x = this.heap.peek(); x !== undefined; x = this.heap.peek()) {
      if (this.live(x)) return x;
      this.heap.pop();
    }
    return undefined;
  }

  /** A repeating schedule fired: it is next due at `ts`. */
  update(subj: string, ts: number): void {
    const e = this.schedules.get(subj);
    if (e === undefined) return;
    e.ts = ts;
    this.inflight.delete(subj);
    this.heap.push({ ts, seq: e.seq, subj });
    this.resetTimer();
  }

  removeSeq(seq: number): void {
    const subj = this.seqToSubj.get(seq);
    if (subj !== undefined) this.removeSubject(subj);
  }

  removeSubject(subj: string): void {
    const e = this.schedules.get(subj);
    if (e === undefined) return;
    this.schedules.delete(subj);
    this.seqToSubj.delete(e.seq);
    this.inflight.delete(subj);
  }

  /** Arm the one timer for the earliest schedule (Go resetTimer). */
  resetTimer(): void {
    if (this.running || this.stopped) return;
    const first = this.top();
    if (first === undefined) {
      this.clearTimer();
      return;
    }
    const next = first.ts;
    const now = Date.now();
    const fireIn = Math.max(MIN_FIRE_MS, Math.ceil(next / 1e6 - now));
    const deadline = now + fireIn;
    // A later deadline never pushes back the armed timer, or a busy stream would starve it.
    if (this.deadline > 0 && deadline > this.deadline) return;
    this.deadline = deadline;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), fireIn);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.deadline = 0;
  }

  private fire(): void {
    this.timer = null;
    if (this.stopped) return;
    this.running = true;
    try {
      this.onDue();
    } finally {
      this.running = false;
      this.deadline = 0;
      this.resetTimer();
    }
  }

  /**
   * The messages due now, oldest schedule first (Go getScheduledMessages).
   * Schedules whose message is gone or no longer valid are dropped.
   */
  collectDue(store: StreamStore, nowNs = Date.now() * 1e6): ScheduledMsg[] {
    const out: ScheduledMsg[] = [];
    for (let x = this.top(); x !== undefined && x.ts <= nowNs; x = this.top()) {
      this.heap.pop();
      // Fired and not yet moved on (Go's inflight): the stored copy's update() or the purge re-arms or ends it.
      if (this.inflight.has(x.subj)) continue;
      const sm = store.loadMsg(x.seq);
      const m = sm === null ? null : scheduledMessage(store, sm, x.ts, nowNs);
      if (m === null) {
        this.removeSubject(x.subj);
        continue;
      }
      out.push(m);
      this.inflight.add(x.subj);
    }
    out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.heap.clear();
  }
}

/** Next firing of the schedule in `hdr` computed from `ts`; an ApiError for a bad pattern or zone. */
export function nextSchedule(hv: (name: string) => string | null, ts: number, nowNs?: number): ScheduleNext | ApiError {
  const tz = hv(H.HDR_SCHEDULE_TIME_ZONE);
  if (tz !== null && !validTimeZone(tz)) return jsError('JSMessageSchedulesTimeZoneInvalidErr');
  const r = parseMsgSchedule(hv(H.HDR_SCHEDULE) ?? '', tz, ts, nowNs);
  return r === null ? jsError('JSMessageSchedulesPatternInvalidErr') : r;
}

function headerLookup(hdr: Buffer | null): (name: string) => string | null {
  const pairs = parseHeaders(hdr);
  return (name) => {
    for (const [k, v] of pairs) if (k === name) return v;
    return null;
  };
}

/** The due time (ns) of a stored message if it is a valid schedule, else 0. */
export function storedScheduleDue(hdr: Buffer | null, ts: number): number {
  if (hdr === null || hdr.indexOf(H.HDR_SCHEDULE + ':') < 0) return 0;
  const r = nextSchedule(headerLookup(hdr), ts);
  return r instanceof Error ? 0 : r.next;
}

/** The message a due schedule produces, or null when the schedule is no longer valid. */
function scheduledMessage(store: StreamStore, sm: StoredMsg, dueTs: number, nowNs: number): ScheduledMsg | null {
  const hv = headerLookup(sm.hdr);
  const pattern = hv(H.HDR_SCHEDULE) ?? '';
  if (pattern === '') return null;
  const tz = hv(H.HDR_SCHEDULE_TIME_ZONE);
  if (tz !== null && !validTimeZone(tz)) return null;
  const next = parseMsgSchedule(pattern, tz, dueTs, nowNs);
  if (next === null) return null;
  const ttl = hv(H.HDR_SCHEDULE_TTL) ?? '';
  if (ttl !== '' && H.parseMsgTTL(ttl) === null) return null;
  const target = hv(H.HDR_SCHEDULE_TARGET) ?? '';
  if (target === '') return null;
  const rollup = hv(H.HDR_SCHEDULE_ROLLUP) ?? '';
  const source = hv(H.HDR_SCHEDULE_SOURCE) ?? '';
  let content: { hdr: Buffer | null; msg: Buffer } = sm;
  if (source !== '') {
    const last = store.loadLastMsg(source);
    if (last !== null) content = last;
  }
  // Scheduling headers (Nats-Schedule*, Nats-Scheduler) and anything that
  // could stop the copy being stored are dropped; the scheduler's own added.
  const pairs: [string, string][] = parseHeaders(content.hdr).filter(
    ([k]) => !k.startsWith('Nats-Schedule') && !k.startsWith('Nats-Expected-') && k !== H.HDR_MSG_ID && k !== H.HDR_TTL && k !== H.HDR_ROLLUP,
  );
  pairs.push([H.HDR_SCHEDULER, sm.subj]);
  pairs.push([H.HDR_SCHEDULE_NEXT, next.repeat ? formatInZone(next.next, tz) : H.SCHEDULE_NEXT_PURGE]);
  if (ttl !== '') pairs.push([H.HDR_TTL, ttl]);
  if (rollup !== '') pairs.push([H.HDR_ROLLUP, rollup]);
  return { seq: sm.seq, subject: target, hdr: buildHeaders(pairs), msg: Buffer.from(content.msg) };
}

/**
 * Publish-time checks of the schedule headers, in Go's order. Returns an
 * error, `'rollup'` when the message is a schedule that needs the
 * `Nats-Rollup: sub` header added, or null.
 */
export function checkScheduleHeaders(
  hv: (name: string) => string | null,
  subject: string,
  cfg: StreamConfig,
  store: StreamStore,
): ApiError | 'rollup' | null {
  const allowed = !!cfg.allow_msg_schedules;
  let addRollup = false;
  const sched = nextSchedule(hv, Date.now() * 1e6);
  if (sched instanceof Error) return allowed ? sched : jsError('JSMessageSchedulesDisabledErr');
  if (sched.next !== 0) {
    if (!allowed) return jsError('JSMessageSchedulesDisabledErr');
    const ttl = hv(H.HDR_SCHEDULE_TTL) ?? '';
    if (ttl !== '' && H.parseMsgTTL(ttl) === null) return jsError('JSMessageSchedulesTTLInvalidErr');
    const rollup = hv(H.HDR_SCHEDULE_ROLLUP) ?? '';
    if (rollup !== '' && rollup !== H.ROLLUP_SUBJECT) return jsError('JSMessageSchedulesRollupInvalidErr');
    if (ttl !== '' && !cfg.allow_msg_ttl) return jsError('JSMessageTTLDisabledErr');
    const target = hv(H.HDR_SCHEDULE_TARGET) ?? '';
    if (target === '' || !isValidPublishSubject(target) || target === subject) return jsError('JSMessageSchedulesTargetInvalidErr');
    const source = hv(H.HDR_SCHEDULE_SOURCE) ?? '';
    if (source !== '' && (source === target || source === subject || !isValidPublishSubject(source))) return jsError('JSMessageSchedulesSourceInvalidErr');
    const subjects = cfg.subjects ?? [];
    if (!subjects.some((s) => subjectsCollide(s, target))) return jsError('JSMessageSchedulesTargetInvalidErr');
    if (source !== '' && !subjects.some((s) => subjectsCollide(s, source))) return jsError('JSMessageSchedulesSourceInvalidErr');
    const r = hv(H.HDR_ROLLUP) ?? '';
    if (r === '') addRollup = true;
    else if (r !== H.ROLLUP_SUBJECT) return jsError('JSMessageSchedulesRollupInvalidErr');
  }
  const next = hv(H.HDR_SCHEDULE_NEXT) ?? '';
  if (next !== '') {
    // Clients may only use Nats-Schedule-Next (with Nats-Scheduler) to purge a schedule.
    if (next !== H.SCHEDULE_NEXT_PURGE) return jsError('JSMessageSchedulesSchedulerInvalidErr');
    const scheduler = hv(H.HDR_SCHEDULER) ?? '';
    if (scheduler === '' || scheduler === subject || !isValidPublishSubject(scheduler)) return jsError('JSMessageSchedulesSchedulerInvalidErr');
    if (!allowed) return jsError('JSMessageSchedulesDisabledErr');
    const last = store.loadLastMsg(scheduler);
    if (last !== null && (headerLookup(last.hdr)(H.HDR_SCHEDULE) ?? '') === '') return jsError('JSMessageSchedulesSchedulerInvalidErr');
  } else if ((hv(H.HDR_SCHEDULER) ?? '') !== '') return jsError('JSMessageSchedulesSchedulerInvalidErr');
  return addRollup ? 'rollup' : null;
}

/** What a stream gives its schedules. */
export interface ScheduleHost {
  readonly store: StreamStore;
  isClosed(): boolean;
  /** purge every message on `subject` */
  purgeSubject(subject: string): void;
  /** store a due schedule's message (as a sourced message: no publish checks) */
  storeScheduled(m: ScheduledMsg): void;
}

/**
 * A stream's schedules: rebuilt from its messages on start (Go
 * recoverMsgSchedulingState), kept in step with each stored message (Go's
 * store-side scheduling hooks), fired by the scheduler's one timer.
 */
export class StreamSchedules {
  private readonly sch: MsgScheduler;

  constructor(private readonly host: ScheduleHost) {
    this.sch = new MsgScheduler(() => this.fire());
    const store = host.store;
    const st = store.state();
    if (st.msgs > 0) {
      for (let m = store.loadNextMsg('', st.first_seq); m !== null; m = store.loadNextMsg('', m.seq + 1)) {
        const due = storedScheduleDue(m.hdr, m.ts);
        if (due !== 0) this.sch.init(m.seq, m.subj, due);
      }
    }
    this.sch.resetTimer();
  }

  /** A message was stored at `seq`: a new schedule, a plain message replacing one, or a fired copy. */
  stored(seq: number, subject: string, hdr: Buffer | null, ts: number): void {
    const scheduler = getHeader(hdr, H.HDR_SCHEDULER);
    const due = storedScheduleDue(hdr, ts);
    if (due !== 0) this.sch.add(seq, subject, due);
    else if (scheduler === null || scheduler === '') this.sch.removeSubject(subject);
    if (scheduler === null || scheduler === '') return;
    const next = getHeader(hdr, H.HDR_SCHEDULE_NEXT);
    if (next === H.SCHEDULE_NEXT_PURGE) this.purgeFired(hdr);
    else if (next !== null && next !== '') {
      const t = parseRfc3339(next);
      if (!Number.isNaN(t)) this.sch.update(scheduler, t);
    }
  }

  /** A one-shot's message (`Nats-Schedule-Next: purge`) removes its schedule (Go processJetStreamMsgWithRollup). */
  purgeFired(hdr: Buffer | null): void {
    if (getHeader(hdr, H.HDR_SCHEDULE_NEXT) !== H.SCHEDULE_NEXT_PURGE) return;
    const scheduler = getHeader(hdr, H.HDR_SCHEDULER);
    if (scheduler === null || scheduler === '') return;
    this.host.purgeSubject(scheduler);
    this.sch.removeSubject(scheduler);
  }

  private fire(): void {
    if (this.host.isClosed()) return;
    for (const m of this.sch.collectDue(this.host.store)) this.host.storeScheduled(m);
  }

  stop(): void {
    this.sch.stop();
  }
}
