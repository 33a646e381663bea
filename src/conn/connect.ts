/**
 * CONNECT JSON decoding with Go's encoding/json semantics for the fields the
 * server reads: unknown keys are ignored, `null` leaves a field as it was, a
 * value of the wrong JSON type makes the whole CONNECT invalid (the Go server
 * then closes the connection without an -ERR).
 */
import type { ConnectOptions } from '../auth/types.js';

export function defaultConnectOptions(): ConnectOptions {
  // Before CONNECT Go assumes verbose, pedantic and echo; omitted fields keep these.
  return { verbose: true, pedantic: true, echo: true, tls_required: false, protocol: 0, headers: false, no_responders: false };
}

const BOOL_FIELDS = ['verbose', 'pedantic', 'echo', 'tls_required', 'headers', 'no_responders', 'new_account'] as const;
const STRING_FIELDS = ['auth_token', 'user', 'pass', 'nkey', 'sig', 'jwt', 'name', 'lang', 'version', 'account'] as const;

/** Merge a CONNECT argument into `into`. Returns an error text when the JSON does not decode. */
export function decodeConnect(text: string, into: ConnectOptions): string | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) return 'json: cannot unmarshal into connect options';
  const o = v as Record<string, unknown>;
  const dst = into as unknown as Record<string, unknown>;
  for (const f of BOOL_FIELDS) {
    const x = o[f];
    if (x === undefined || x === null) continue;
    if (typeof x !== 'boolean') return `json: cannot unmarshal ${typeof x} into field ${f} of type bool`;
    dst[f] = x;
  }
  for (const f of STRING_FIELDS) {
    const x = o[f];
    if (x === undefined || x === null) continue;
    if (typeof x !== 'string') return `json: cannot unmarshal ${typeof x} into field ${f} of type string`;
    dst[f] = x;
  }
  const p = o.protocol;
  if (p !== undefined && p !== null) {
    if (typeof p !== 'number' || !Number.isInteger(p)) return 'json: cannot unmarshal into field protocol of type int';
    into.protocol = p;
  }
  return null;
}
