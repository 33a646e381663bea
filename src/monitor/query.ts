/**
 * Query-parameter decoding for the monitoring endpoints with Go's rules and
 * Go's exact 400 texts (monitor.go decodeBool, decodeInt, decodeUint64,
 * decodeState, decodeSubs). Go parses booleans with strconv.ParseBool and
 * integers with strconv.Atoi / ParseUint, so "yes" or "1.5" are errors, not
 * silently false or truncated.
 */

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go strconv.ParseBool on `v`; null when it is not a boolean. */
export function parseGoBool(v: string): boolean | null {
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return null;
}

/** Go decodeBool: absent or empty is false; anything ParseBool rejects is a 400. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === '') return false;
  const b = parseGoBool(v);
  if (b === null) throw new HttpError(400, `Error decoding boolean for '${name}': strconv.ParseBool: parsing ${goQuote(v)}: invalid syntax`);
  return b;
}

/** Go decodeInt (strconv.Atoi): absent or empty is 0. */
export function intParam(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (v === null || v === '') return 0;
  if (!/^[+-]?\d+$/.test(v)) throw new HttpError(400, `Error decoding int for '${name}': strconv.Atoi: parsing ${goQuote(v)}: invalid syntax`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `Error decoding int for '${name}': strconv.Atoi: parsing ${goQuote(v)}: value out of range`);
  return n;
}

/** Go decodeUint64 (strconv.ParseUint base 10): absent or empty is 0. */
export function uintParam(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (v === null || v === '') return 0;
  if (!/^\d+$/.test(v)) throw new HttpError(400, `Error decoding uint64 for '${name}': strconv.ParseUint: parsing ${goQuote(v)}: invalid syntax`);
  return Number(v);
}

export type ConnState = 'open' | 'closed' | 'any';

/** Go decodeState: open (default), closed, any/all (case-insensitive). */
export function stateParam(q: URLSearchParams): ConnState {
  const v = q.get('state');
  if (v === null || v === '') return 'open';
  switch (v.toLowerCase()) {
    case 'open':
      return 'open';
    case 'closed':
      return 'closed';
    case 'any':
    case 'all':
      return 'any';
  }
  throw new HttpError(400, `Error decoding state for ${v}`);
}

export type SubsMode = 'none' | 'list' | 'detail';

/** Go decodeSubs: `subs=detail` (any case) or a boolean. */
export function subsParam(q: URLSearchParams): SubsMode {
  const v = q.get('subs');
  if (v !== null && v.toLowerCase() === 'detail') return 'detail';
  return boolParam(q, 'subs') ? 'list' : 'none';
}

/** Go's %q for the ASCII strings a query can hold. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}
