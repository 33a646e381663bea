/**
 * Counter streams (ADR-49; Go stream.go processJetStreamMsg, the counter
 * branch): a `Nats-Incr` adds to the subject's last total. A counter stream
 * that sources other counter streams does not add the sourced message's
 * increment; it records each origin's latest total per subject in the
 * `Nats-Counter-Sources` header ({"<stream>":{"<subject>":"<total>"}}) and
 * adds the difference from the previous total of that origin, rewriting
 * `Nats-Incr` to that difference so the arithmetic stays right.
 */
import { getHeader, setHeaders } from '../../protocol/headers.js';
import { jsError, type ApiError } from '../api/errors.js';
import type { StoredMsg } from '../store/store.js';
import * as H from './msg-headers.js';

export interface CounterUpdate {
  hdr: Buffer | null;
  msg: Buffer;
  /** the new total */
  val: string;
}

type Sources = Record<string, Record<string, string>>;

const INT = /^[+-]?[0-9]+$/;

/** Value of a counter message's `{"val":"<n>"}` payload; null when broken. */
function counterValue(msg: Buffer): bigint | null {
  try {
    const v = (JSON.parse(msg.toString('utf8')) as { val?: unknown }).val ?? '0';
    if (typeof v !== 'string' || !INT.test(v)) return null;
    return BigInt(v);
  } catch {
    return null;
  }
}

/** Sorted-key JSON, as Go marshals a map. */
function sourcesJSON(s: Sources): string {
  const outer = Object.keys(s).sort();
  return `{${outer
    .map((k) => {
      const inner = Object.keys(s[k]).sort();
      return `${JSON.stringify(k)}:{${inner.map((j) => `${JSON.stringify(j)}:${JSON.stringify(s[k][j])}`).join(',')}}`;
    })
    .join(',')}}`;
}

/**
 * Apply `incr` (or, for a sourced message, the origin's new total in `msg`)
 * on top of `last`, the subject's last stored counter message.
 */
export function applyCounter(last: StoredMsg | null, subject: string, hdr: Buffer | null, msg: Buffer, incr: bigint): CounterUpdate | ApiError {
  let total = 0n;
  let sources: Sources | null = null;
  if (last !== null) {
    const v = counterValue(last.msg);
    if (v === null) return jsError('JSMessageCounterBrokenErr');
    total = v;
    const ncs = getHeader(last.hdr, H.HDR_COUNTER_SOURCES);
    if (ncs !== null && ncs !== '') {
      try {
        sources = JSON.parse(ncs) as Sources;
        if (sources === null || typeof sources !== 'object') throw new Error('not an object');
      } catch {
        return jsError('JSMessageCounterBrokenErr');
      }
    }
  }
  const srcHdr = getHeader(hdr, H.HDR_STREAM_SOURCE);
  if (srcHdr !== null && srcHdr !== '') {
    // Sourced: the payload is the origin's total for its subject.
    const f = srcHdr.split(' ');
    const origStream = f[0];
    const origSubj = f.length >= 5 ? f[4] : subject;
    const sourced = counterValue(msg);
    if (sourced === null) return jsError('JSMessageCounterBrokenErr');
    sources ??= {};
    sources[origStream] ??= {};
    const prev = sources[origStream][origSubj];
    sources[origStream][origSubj] = sourced.toString();
    incr = sourced - (prev !== undefined && INT.test(prev) ? BigInt(prev) : 0n);
    hdr = setHeaders(hdr, [[H.HDR_INCR, incr.toString()]]);
  }
  total += incr;
  const val = total.toString();
  if (sources !== null && Object.keys(sources).length > 0) hdr = setHeaders(hdr, [[H.HDR_COUNTER_SOURCES, sourcesJSON(sources)]]);
  return { hdr, msg: Buffer.from(`{"val":${JSON.stringify(val)}}`), val };
}
