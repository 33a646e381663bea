/**
 * Value readers shared by the cluster {} and gateway {} block parsers (Go
 * opts.go parseCluster, parseGateway): type checks with Go's messages,
 * `host:port` listen strings and route/gateway URLs.
 */
import { ConfigError } from '../util/errors.js';
import { parseGoDuration } from './durations.js';

export function fail(msg: string): never {
  throw new ConfigError(msg);
}

export function str(k: string, v: unknown): string {
  if (typeof v !== 'string') fail(`interface conversion: ${k} is not a string (${JSON.stringify(v)})`);
  return v;
}

export function num(k: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(`interface conversion: ${k} is not an integer (${JSON.stringify(v)})`);
  return v;
}

/** A duration string or a number of seconds, in seconds. */
export function seconds(k: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const ms = parseGoDuration(v);
    if (ms !== null) return ms / 1000;
  }
  fail(`error parsing ${k}: ${JSON.stringify(v)}`);
}

/** A `listen` value: `host:port`, `:port` or a bare port number (Go parseListen). */
export function parseListen(k: string, v: unknown): { host: string; port: number } {
  const s = typeof v === 'number' ? `:${v}` : str(k, v);
  const i = s.lastIndexOf(':');
  if (i < 0) fail(`could not parse address string "${s}"`);
  const host = s.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(s.slice(i + 1));
  if (!Number.isInteger(port)) fail(`could not parse port "${s.slice(i + 1)}"`);
  return { host, port };
}

/** `scheme://[user:pass@]host:port` or `host:port` with `scheme` assumed (Go parseURL); `what` names it in errors. */
export function parseLinkURL(raw: string, scheme: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(raw.includes('://') ? raw : `${scheme}://${raw}`);
  } catch {
    fail(`error parsing ${what} url [${JSON.stringify(raw)}]`);
  }
  if (!u.port) fail(`error parsing ${what} url [${JSON.stringify(raw)}]: missing port`);
  return u;
}
