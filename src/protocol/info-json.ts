/**
 * INFO documents as Go marshals its Info struct (server.go): fields in the
 * struct's order, the omitempty ones left out when empty, the others always
 * present. Client, route and gateway INFOs each pass their field order.
 */

/** The Info fields every server INFO starts with (client, route and gateway INFOs add their own). */
export interface InfoHead {
  server_name?: string;
  version?: string;
  proto?: number;
  go?: string;
  host?: string;
  port?: number;
  headers?: boolean;
  auth_required?: boolean;
  tls_required?: boolean;
  tls_verify?: boolean;
  max_payload?: number;
}

/** Info fields Go writes even when empty (no omitempty tag) */
const ALWAYS: ReadonlySet<string> = new Set(['server_id', 'server_name', 'version', 'proto', 'go', 'host', 'port', 'headers', 'max_payload']);
/** Go's zero values of those fields */
const ZERO: Readonly<Record<string, unknown>> = {
  server_id: '', server_name: '', version: '', proto: 0, go: '', host: '', port: 0, headers: false, max_payload: 0,
};

/**
 * JSON of `info` in `order`. With `zeroFill` an absent always-present field
 * is written with its zero value (as in Go's command INFOs); without it an
 * absent field stays absent.
 */
export function orderedInfoJSON<T extends object>(info: T, order: readonly (keyof T & string)[], zeroFill = false): string {
  const o: Record<string, unknown> = {};
  for (const k of order) {
    const v = info[k] as unknown;
    if (ALWAYS.has(k)) {
      o[k] = zeroFill ? (v ?? ZERO[k]) : v;
      continue;
    }
    if (v === undefined || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0)) continue;
    o[k] = v;
  }
  return JSON.stringify(o);
}
