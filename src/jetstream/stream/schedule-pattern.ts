/**
 * Message schedule patterns (ADR-51; Go scheduler.go parseMsgSchedule and
 * cron.go parseCron): `@at <RFC 3339>` fires once, `@every <duration>` (at
 * least 1s) repeats, and six-field cron expressions (seconds first, plus the
 * `@hourly`/`@daily`/`@weekly`/`@monthly`/`@yearly` shortcuts) repeat, in UTC
 * or in the IANA zone named by `Nats-Schedule-Time-Zone` (cron only).
 * Times are ns since the epoch; pure functions, no I/O.
 */
import { parseGoDuration } from '../../config/durations.js';
import { parseRfc3339 } from '../time.js';

/** A parsed schedule: when it fires next (ns, 0 = no schedule) and whether it repeats. */
export interface ScheduleNext {
  next: number;
  repeat: boolean;
}

const PREDEFINED: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/** Go time.Time.Round(time.Second) on ns. */
function roundSecondNs(ns: number): number {
  return Math.floor((ns + 5e8) / 1e9) * 1e9;
}

/**
 * The next firing of `pattern` after `ts` (ns); `tz` is the time zone header
 * value (null when absent). Returns null when the pattern is invalid, and
 * {next: 0} for an empty pattern. Like Go, a repeating schedule whose next
 * firing already passed (e.g. after a restart) skips ahead to fire once.
 */
export function parseMsgSchedule(pattern: string, tz: string | null, ts: number, nowNs = Date.now() * 1e6): ScheduleNext | null {
  if (pattern === '') return { next: 0, repeat: false };
  if (pattern.startsWith('@at ')) {
    if (tz !== null) return null;
    const t = parseRfc3339(pattern.slice(4));
    if (Number.isNaN(t)) return null;
    // Go's zero time counts as no schedule at all.
    return { next: t, repeat: false };
  }
  if (pattern.startsWith('@every ')) {
    if (tz !== null) return null;
    const ms = parseGoDuration(pattern.slice(7));
    if (ms === null || ms < 1000) return null;
    const dur = ms * 1e6;
    let next = roundSecondNs(ts) + dur;
    if (next < nowNs) next = roundSecondNs(nowNs) + dur;
    return { next, repeat: true };
  }
  const cron = PREDEFINED[pattern] ?? pattern;
  let next = parseCron(cron, tz, ts);
  if (next === null) return null;
  if (next < nowNs) {
    next = parseCron(cron, tz, roundSecondNs(nowNs));
    if (next === null) return null;
  }
  return { next, repeat: true };
}

/** Is `tz` a zone name Go's time.LoadLocation would accept? */
export function validTimeZone(tz: string): boolean {
  if (tz === '') return false;
  if (tz === 'Local' || tz === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ zones

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(tz: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz === 'Local' ? undefined : tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(tz, f);
  }
  return f;
}

/** Offset of `tz` from UTC at instant `ms`, in ms (wall clock = instant + offset). */
export function zoneOffsetMs(tz: string | null, ms: number): number {
  if (tz === null || tz === 'UTC') return 0;
  const p: Record<string, number> = {};
  for (const part of zoneFormat(tz).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant whose wall clock in `tz` is `wallMs` (the later offset wins in a gap). */
function wallToInstant(tz: string | null, wallMs: number): number {
  const guess = wallMs - zoneOffsetMs(tz, wallMs);
  return wallMs - zoneOffsetMs(tz, guess);
}

/** RFC 3339 with ns and the zone's offset, as Go formats time.RFC3339Nano in a location. */
export function formatInZone(ns: number, tz: string | null): string {
  const ms = Math.floor(ns / 1e6);
  const off = zoneOffsetMs(tz, ms);
  const d = new Date(ms + off).toISOString().slice(0, 19);
  let frac = String(Math.round(ns - Math.floor(ns / 1e9) * 1e9)).padStart(9, '0').replace(/0+$/, '');
  if (frac !== '') frac = '.' + frac;
  if (off === 0) return `${d}${frac}Z`;
  const a = Math.abs(off) / 60000;
  const hh = String(Math.floor(a / 60)).padStart(2, '0');
  const mm = String(a % 60).padStart(2, '0');
  return `${d}${frac}${off < 0 ? '-' : '+'}${hh}:${mm}`;
}

// ------------------------------------------------------------------ cron

interface Bounds {
  min: number;
  max: number;
  names: Record<string, number> | null;
}

const SECONDS: Bounds = { min: 0, max: 59, names: null };
const MINUTES: Bounds = { min: 0, max: 59, names: null };
const HOURS: Bounds = { min: 0, max: 23, names: null };
const DOM: Bounds = { min: 1, max: 31, names: null };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** A cron field: which values match, and whether it was written as `*`/`?` (matters for day matching). */
interface Field {
  set: boolean[];
  star: boolean;
}

function parseNum(s: string, names: Record<string, number> | null): number | null {
  if (names !== null) {
    const n = names[s.toLowerCase()];
    if (n !== undefined) return n;
  }
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const n = Number(s);
  return n < 0 ? null : n;
}

function parseRange(expr: string, b: Bounds, f: Field): boolean {
  const rangeAndStep = expr.split('/');
  const lowHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowHigh[0] === '*' || lowHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    const s = parseNum(lowHigh[0], b.names);
    if (s === null) return false;
    start = s;
    if (lowHigh.length === 1) end = start;
    else if (lowHigh.length === 2) {
      const e = parseNum(lowHigh[1], b.names);
      if (e === null) return false;
      end = e;
    } else return false;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = parseNum(rangeAndStep[1], null);
    if (s === null) return false;
    step = s;
    if (lowHigh.length === 1) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) return false;
  if (start < b.min || end > b.max || start > end || step === 0) return false;
  for (let i = start; i <= end; i += step) f.set[i] = true;
  if (star) f.star = true;
  return true;
}

function parseField(s: string, b: Bounds): Field | null {
  const f: Field = { set: new Array<boolean>(64).fill(false), star: false };
  for (const expr of s.split(',')) {
    if (expr === '') continue;
    if (!parseRange(expr, b, f)) return null;
  }
  return f;
}

function dayMatches(dom: Field, dow: Field, d: Date): boolean {
  const domMatch = dom.set[d.getUTCDate()];
  const dowMatch = dow.set[d.getUTCDay()];
  if (dom.star || dow.star) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

/**
 * Next time after `ts` (ns) matching the six-field cron `pattern`, searched
 * on the wall clock of `tz` (UTC when null) up to five years ahead; null when
 * invalid or never matching. The walk mirrors Go's: months, then days, hours,
 * minutes, seconds, truncating the lower fields the first time one moves.
 */
export function parseCron(pattern: string, tz: string | null, ts: number): number | null {
  const fields = pattern.split(/\s+/).filter((x) => x !== '');
  if (fields.length !== 6) return null;
  const sec = parseField(fields[0], SECONDS);
  const min = parseField(fields[1], MINUTES);
  const hour = parseField(fields[2], HOURS);
  const dom = parseField(fields[3], DOM);
  const month = parseField(fields[4], MONTHS);
  const dow = parseField(fields[5], DOW);
  if (!sec || !min || !hour || !dom || !month || !dow) return null;

  const tsMs = Math.floor(ts / 1e6);
  // Work on the zone's wall clock held in a UTC Date.
  const d = new Date(Math.floor((tsMs + zoneOffsetMs(tz, tsMs)) / 1000) * 1000 + 1000);
  let truncated = false;
  const yearLimit = d.getUTCFullYear() + 5;
  for (let guard = 0; guard < 100_000; guard++) {
    if (d.getUTCFullYear() > yearLimit) return null;
    let wrapped = false;
    while (!month.set[d.getUTCMonth() + 1]) {
      if (!truncated) {
        truncated = true;
        d.setUTCDate(1);
        d.setUTCHours(0, 0, 0, 0);
      }
      d.setUTCMonth(d.getUTCMonth() + 1);
      if (d.getUTCMonth() === 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!dayMatches(dom, dow, d)) {
      if (!truncated) {
        truncated = true;
        d.setUTCHours(0, 0, 0, 0);
      }
      d.setUTCDate(d.getUTCDate() + 1);
      if (d.getUTCDate() === 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!hour.set[d.getUTCHours()]) {
      if (!truncated) {
        truncated = true;
        d.setUTCMinutes(0, 0, 0);
      }
      d.setUTCHours(d.getUTCHours() + 1);
      if (d.getUTCHours() === 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!min.set[d.getUTCMinutes()]) {
      if (!truncated) {
        truncated = true;
        d.setUTCSeconds(0, 0);
      }
      d.setUTCMinutes(d.getUTCMinutes() + 1);
      if (d.getUTCMinutes() === 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!sec.set[d.getUTCSeconds()]) {
      if (!truncated) {
        truncated = true;
        d.setUTCMilliseconds(0);
      }
      d.setUTCSeconds(d.getUTCSeconds() + 1);
      if (d.getUTCSeconds() === 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    return wallToInstant(tz, d.getTime()) * 1e6;
  }
  return null;
}
