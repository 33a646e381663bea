/**
 * The NATS/1.0 header block (`NATS/1.0[ status[ description]]\r\nKey: Value\r\n...\r\n`):
 * lookups on the raw bytes (no parse of the whole block unless asked) and
 * builders for server-generated headers (JetStream status and metadata).
 */

const HDR_LINE = 'NATS/1.0';
const CRLF = '\r\n';

/**
 * Value of the first header `name` (exact case, as the Go server matches it),
 * trimmed, or null when absent. `hdr` is the whole header block.
 */
export function getHeader(hdr: Buffer | null, name: string): string | null {
  if (hdr === null || hdr.length === 0) return null;
  return headerValue(hdr.latin1Slice(0, hdr.length), name);
}

/** As getHeader, on a header block already decoded to text (several lookups, one decode). */
export function headerValue(text: string, name: string): string | null {
  const key = `\r\n${name}:`;
  const at = text.indexOf(key);
  if (at < 0) return null;
  const vs = at + key.length;
  let ve = text.indexOf('\r\n', vs);
  if (ve < 0) ve = text.length;
  return text.slice(vs, ve).trim();
}

/** Status code in the first line (e.g. 503), 0 when none. */
export function headerStatus(hdr: Buffer | null): number {
  if (hdr === null || hdr.length < 12) return 0;
  const s = hdr.latin1Slice(0, Math.min(hdr.length, 16));
  if (!s.startsWith(HDR_LINE + ' ')) return 0;
  const n = parseInt(s.slice(9, 12), 10);
  return Number.isFinite(n) ? n : 0;
}

/** Build a header block. `pairs` are [name, value]; `status` adds ` <code>[ <desc>]` to the first line. */
export function buildHeaders(pairs: ReadonlyArray<readonly [string, string]>, status = 0, desc = ''): Buffer {
  let s = HDR_LINE;
  if (status > 0) s += ` ${status}${desc ? ' ' + desc : ''}`;
  s += CRLF;
  for (const [k, v] of pairs) s += `${k}: ${v}${CRLF}`;
  s += CRLF;
  return Buffer.from(s, 'latin1');
}

/**
 * Add (or replace) headers on an existing block, or start a new block when
 * `hdr` is null. Used where the server annotates stored messages.
 */
export function setHeaders(hdr: Buffer | null, pairs: ReadonlyArray<readonly [string, string]>): Buffer {
  if (hdr === null || hdr.length === 0) return buildHeaders(pairs);
  let s = hdr.latin1Slice(0, hdr.length);
  for (const [k] of pairs) s = removeHeaderText(s, k);
  // Drop the terminating blank line, append, terminate again.
  const body = s.endsWith('\r\n\r\n') ? s.slice(0, s.length - 2) : s.endsWith('\r\n') ? s : s + CRLF;
  let add = '';
  for (const [k, v] of pairs) add += `${k}: ${v}${CRLF}`;
  return Buffer.from(body + add + CRLF, 'latin1');
}

/** Remove every occurrence of header `name`; returns null when the block is left empty of headers. */
export function removeHeaders(hdr: Buffer | null, names: readonly string[]): Buffer | null {
  if (hdr === null) return null;
  let s = hdr.latin1Slice(0, hdr.length);
  let changed = false;
  for (const n of names) {
    const r = removeHeaderText(s, n);
    if (r !== s) changed = true;
    s = r;
  }
  if (!changed) return hdr;
  return Buffer.from(s, 'latin1');
}

function removeHeaderText(s: string, name: string): string {
  const key = `\r\n${name}:`;
  for (;;) {
    const at = s.indexOf(key);
    if (at < 0) return s;
    const end = s.indexOf('\r\n', at + key.length);
    s = s.slice(0, at) + (end < 0 ? '' : s.slice(end));
  }
}

/** All headers as [name, value] pairs (status line excluded). */
export function parseHeaders(hdr: Buffer | null): [string, string][] {
  const out: [string, string][] = [];
  if (hdr === null) return out;
  const lines = hdr.latin1Slice(0, hdr.length).split(CRLF);
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (l === '') continue;
    const c = l.indexOf(':');
    if (c <= 0) continue;
    out.push([l.slice(0, c), l.slice(c + 1).trim()]);
  }
  return out;
}
