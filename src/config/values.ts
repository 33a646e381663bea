/**
 * Typed reads of parsed config values, shared by the block parsers: each
 * fails with Go's `file:line:col: message` form.
 */
import { ConfMap, type ConfValue, type Pos } from './parser.js';
import { parseGoDuration } from './durations.js';
import { ConfigError } from '../util/errors.js';

export class Ctx {
  warnings: string[] = [];
  constructor(readonly file: string) {}
  err(p: Pos | undefined, msg: string): never {
    throw new ConfigError(p ? `${p.file}:${p.line}:${p.col}: ${msg}` : `${this.file}: ${msg}`);
  }
}

export function str(ctx: Ctx, p: Pos | undefined, v: ConfValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return ctx.err(p, `expected a string, got ${describe(v)}`);
}

export function int(ctx: Ctx, p: Pos | undefined, v: ConfValue): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  return ctx.err(p, `expected an integer, got ${describe(v)}`);
}

export function limit32(ctx: Ctx, p: Pos | undefined, v: ConfValue, key: string): number {
  const n = int(ctx, p, v);
  if (n > 2 ** 31 - 1) ctx.err(p, `${key} value is out of range`);
  return n;
}

export function bool(ctx: Ctx, p: Pos | undefined, v: ConfValue): boolean {
  if (typeof v === 'boolean') return v;
  return ctx.err(p, `expected a boolean, got ${describe(v)}`);
}

export function strList(ctx: Ctx, p: Pos | undefined, v: ConfValue): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map((x) => str(ctx, p, x));
  return ctx.err(p, `expected a string or an array of strings, got ${describe(v)}`);
}

/** Go parseDuration: a duration string, or a bare number of seconds (with a warning). */
export function duration(ctx: Ctx, p: Pos | undefined, v: ConfValue, field: string): number {
  if (typeof v === 'string') {
    const d = parseGoDuration(v);
    if (d === null) ctx.err(p, `error parsing ${field}: time: invalid duration "${v}"`);
    return d;
  }
  if (typeof v === 'number') {
    ctx.warnings.push(`${field} should be converted to a duration`);
    return v * 1000;
  }
  return ctx.err(p, `error parsing ${field}: expected a duration, got ${describe(v)}`);
}

export function describe(v: ConfValue): string {
  if (v instanceof ConfMap) return 'a map';
  if (Array.isArray(v)) return 'an array';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function hostPort(ctx: Ctx, p: Pos | undefined, v: ConfValue): { host: string; port: number } {
  if (typeof v === 'number') return { host: '', port: v };
  const s = str(ctx, p, v);
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(-?\d+)$/.exec(s);
  if (!m) ctx.err(p, `could not parse address string "${s}"`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

export function forEachKey(ctx: Ctx, p: Pos | undefined, v: ConfValue, what: string, fn: (key: string, val: ConfValue, kp: Pos | undefined, raw: string) => void): void {
  if (!(v instanceof ConfMap)) ctx.err(p, `Expected ${what} to be a map/struct, got ${describe(v)}`);
  for (const [raw, val] of v.values) {
    if (v.usedVars.has(raw)) continue;
    fn(raw.toLowerCase(), val, v.keyPos.get(raw), raw);
  }
}
