/**
 * Time as the Go server shows it: a monotonic wall clock in nanoseconds, and
 * time.Time / time.Duration as they appear in JSON:
 * RFC 3339 with trailing-zero-trimmed nanoseconds, zero time as
 * 0001-01-01T00:00:00Z; durations as integer nanoseconds.
 */

import { writeLatin1, writeUint } from './bytes.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

const formatted = new Map<number, string>();
const FORMAT_CACHE = 4096;

/** RFC 3339 (UTC, nanoseconds trimmed like Go's RFC3339Nano) for ns since epoch; 0 gives the zero time. */
export function rfc3339(ns: number): string {
  if (!ns) return ZERO_TIME;
  // Stored messages' times are formatted again and again (direct gets): remember recent ones.
  const hit = formatted.get(ns);
  if (hit !== undefined) return hit;
  const out = formatRfc3339(ns);
  if (formatted.size >= FORMAT_CACHE) formatted.clear();
  formatted.set(ns, out);
  return out;
}

function formatRfc3339(ns: number): string {
  // BigInt keeps the digits exact, so parseRfc3339 gives back the same number.
  const big = BigInt(Math.round(ns));
  const ms = big / 1000000n;
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  let frac = String(big % 1000000n).padStart(6, '0');
  frac = iso.slice(20, 23) + frac;
  frac = frac.replace(/0+$/, '');
  return iso.slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
}

/** Parse an RFC 3339 time to ns since epoch; NaN when invalid. Zero time gives 0. */
export function parseRfc3339(s: string): number {
  if (s === ZERO_TIME) return 0;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return NaN;
  const base = Date.parse(m[1] + m[3]);
  if (Number.isNaN(base)) return NaN;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return Number(BigInt(base) * 1000000n + BigInt(frac));
}

/**
 * An RFC 3339 time re-spelled as Go marshals it after `.UTC()`: UTC with a
 * trailing Z and trailing-zero-trimmed fraction, done on the digits (a ns
 * count in a double would lose the sub-microsecond digits). Invalid input is
 * returned unchanged.
 */
export function utcRfc3339(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return s;
  const base = m[3] === 'Z' ? m[1] : new Date(Date.parse(m[1] + m[3])).toISOString().slice(0, 19);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return base + (frac ? '.' + frac : '') + 'Z';
}

export const NS_PER_MS = 1e6;
export const NS_PER_SEC = 1e9;

const ZEROS = '000000000';
let digitsSec = -1;
let digitsSecStr = '';

/**
 * The exact decimal digits of an integral ns timestamp (as Go prints its
 * int64), cheap on the delivery path: the seconds part is formatted once per
 * second and the sub-second part is a small integer.
 */
export function nsDigits(ns: number): string {
  const sec = Math.floor(ns / NS_PER_SEC);
  const frac = ns - sec * NS_PER_SEC;
  if (sec <= 0 || !(frac >= 0 && frac < NS_PER_SEC) || !Number.isInteger(frac)) return String(ns);
  if (sec !== digitsSec) {
    digitsSec = sec;
    digitsSecStr = String(sec);
  }
  const f = String(frac);
  return digitsSecStr + ZEROS.slice(f.length) + f;
}

/** `nsDigits` written as bytes at pos (the delivery path builds ack subjects as bytes); returns the new position. */
export function writeNsDigits(dst: Buffer, ns: number, pos: number): number {
  const sec = Math.floor(ns / NS_PER_SEC);
  const frac = ns - sec * NS_PER_SEC;
  if (sec <= 0 || !(frac >= 0 && frac < NS_PER_SEC) || !Number.isInteger(frac)) return writeLatin1(dst, String(ns), pos);
  let p = writeUint(dst, sec, pos);
  // nine sub-second digits, zero padded
  let f = frac;
  for (let k = p + 8; k >= p; k--) {
    dst[k] = 48 + (f % 10);
    f = Math.floor(f / 10);
  }
  p += 9;
  return p;
}

let wallBaseNs = Date.now() * 1e6;
let perfBase = performance.now();
let lastNs = 0;

/** Monotonic wall-clock nanoseconds (strictly increasing across calls; no BigInt on this hot path). */
export function nowNs(): number {
  let t = Math.round(wallBaseNs + (performance.now() - perfBase) * 1e6);
  if (t <= lastNs) t = lastNs + 256;
  lastNs = t;
  return t;
}

/** Re-anchor the clock (tests that fake time do not use this; kept for long-running drift). */
export function resyncClock(): void {
  wallBaseNs = Date.now() * 1e6;
  perfBase = performance.now();
}
