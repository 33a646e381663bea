/**
 * One logger for the server, in the Go server's line format:
 *   [pid] 2026/11/22 14:59:01.123456 [INF] message
 * Levels match Go's labels. Callers test `debugEnabled`/`traceEnabled`
 * before building strings on hot paths.
 */
import { appendFileSync, writeSync } from 'node:fs';

export type LogLevel = 'FTL' | 'ERR' | 'WRN' | 'INF' | 'DBG' | 'TRC';

export interface LoggerOptions {
  debug?: boolean;
  trace?: boolean;
  logtime?: boolean;
  logtime_utc?: boolean;
  logfile?: string;
  /** when false nothing is written (embedded servers default to silent) */
  enabled?: boolean;
  /** Optional sink (tests, embedding): receives each formatted line without newline. */
  sink?: (line: string) => void;
}

export class Logger {
  debugEnabled: boolean;
  traceEnabled: boolean;
  private logtime: boolean;
  private utc: boolean;
  private file: string | undefined;
  private enabled: boolean;
  private readonly sink: ((line: string) => void) | undefined;
  private readonly pidPrefix: string;
  /** when each rate-limited warning was last written */
  private readonly limited = new Map<string, number>();

  constructor(opts: LoggerOptions = {}) {
    this.debugEnabled = !!opts.debug;
    this.traceEnabled = !!opts.trace;
    this.logtime = opts.logtime !== false;
    this.utc = !!opts.logtime_utc;
    this.file = opts.logfile;
    this.enabled = opts.enabled !== false;
    this.sink = opts.sink;
    this.pidPrefix = `[${process.pid}] `;
  }

  /** Config reload: levels, time stamps and log file (the sink stays). */
  reconfigure(opts: LoggerOptions): void {
    this.debugEnabled = !!opts.debug;
    this.traceEnabled = !!opts.trace;
    this.logtime = opts.logtime !== false;
    this.utc = !!opts.logtime_utc;
    this.file = opts.logfile;
    if (opts.enabled !== undefined) this.enabled = opts.enabled;
  }

  private stamp(): string {
    const d = new Date();
    const u = this.utc;
    const y = u ? d.getUTCFullYear() : d.getFullYear();
    const mo = (u ? d.getUTCMonth() : d.getMonth()) + 1;
    const da = u ? d.getUTCDate() : d.getDate();
    const h = u ? d.getUTCHours() : d.getHours();
    const mi = u ? d.getUTCMinutes() : d.getMinutes();
    const s = u ? d.getUTCSeconds() : d.getSeconds();
    const us = (u ? d.getUTCMilliseconds() : d.getMilliseconds()) * 1000;
    return `${y}/${p2(mo)}/${p2(da)} ${p2(h)}:${p2(mi)}:${p2(s)}.${String(us).padStart(6, '0')} `;
  }

  log(level: LogLevel, msg: string): void {
    if (!this.enabled && !this.sink) return;
    const line = `${this.pidPrefix}${this.logtime ? this.stamp() : ''}[${level}] ${msg}`;
    if (this.sink) this.sink(line);
    if (!this.enabled) return;
    if (this.file) {
      try {
        appendFileSync(this.file, line + '\n');
      } catch {
        /* a broken log file must not take the server down */
      }
    } else {
      try {
        writeSync(2, line + '\n');
      } catch {
        /* stderr closed */
      }
    }
  }

  info(msg: string): void { this.log('INF', msg); }
  warn(msg: string): void { this.log('WRN', msg); }
  error(msg: string): void { this.log('ERR', msg); }
  fatal(msg: string): void { this.log('FTL', msg); }
  /** Go rateLimitFormatWarnf: a warning of this `key` at most once a second. */
  warnRateLimited(key: string, msg: string): void {
    const now = Date.now();
    const last = this.limited.get(key);
    if (last !== undefined && now - last < 1000) return;
    this.limited.set(key, now);
    this.log('WRN', msg);
  }
  debug(msg: string): void { if (this.debugEnabled) this.log('DBG', msg); }
  trace(msg: string): void { if (this.traceEnabled) this.log('TRC', msg); }
}

function p2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}
