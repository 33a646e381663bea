/**
 * The runtime-introspection endpoints, answered the way a single Node process
 * honestly can:
 *
 * - /stacksz: Go dumps every goroutine's stack. Node runs JavaScript on one
 *   thread, so the dump is: process facts, the active libuv resources
 *   (sockets, timers, ...) counted by type, event-loop utilisation since the
 *   previous dump, and the JavaScript stack of the request itself.
 * - /debug/vars (Go's expvar handler, "expvarz"): `cmdline` (with Go's
 *   RedactArgs rules applied) and `memstats` using Go MemStats field names
 *   for the figures V8 and the process can give (heap, RSS, GC count and
 *   pause time from a `gc` performance observer).
 * - /ipqueuesz: Go's internal queues do not exist here; a non-clustered Go
 *   server with nothing pending answers `{}` too.
 * - /raftz: a server without Raft groups answers 404 "No Raft nodes registered".
 */
import { PerformanceObserver, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { VERSION, GO_COMPAT_VERSION } from '../util/version.js';
import { boolParam } from './query.js';

/** GC totals since monitoring started (Go MemStats NumGC, PauseTotalNs, LastGC). */
export class GcStats {
  numGC = 0;
  pauseTotalNs = 0;
  lastGCNs = 0;
  private readonly obs: PerformanceObserver | null;

  constructor() {
    let obs: PerformanceObserver | null = null;
    try {
      obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          this.numGC++;
          this.pauseTotalNs += Math.round(e.duration * 1e6);
          this.lastGCNs = Math.round((performance.timeOrigin + e.startTime + e.duration) * 1e6);
        }
      });
      obs.observe({ entryTypes: ['gc'] });
    } catch {
      obs = null;
    }
    this.obs = obs;
  }

  stop(): void {
    this.obs?.disconnect();
  }
}

const SECRET_ARG = /^-{1,2}(user|pass|auth)(=.*)?$/;
const URL_LIST_ARG = /^-{1,2}(routes)(=.*)?$/;
const URL_ARG = /^-{1,2}(cluster|cluster_listen)(=.*)?$/;

/** Go RedactArgs: secret flag values become [REDACTED], user info in URLs too. */
export function redactArgs(args: readonly string[]): string[] {
  const out = [...args];
  const redactAt = (i: number, f: (v: string) => string) => {
    const eq = out[i].indexOf('=');
    if (eq >= 0) out[i] = `${out[i].slice(0, eq)}=${f(out[i].slice(eq + 1))}`;
    else if (i + 1 < out.length) out[i + 1] = f(out[i + 1]);
  };
  const redactUrl = (u: string) => u.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1[REDACTED]@');
  for (let i = 0; i < out.length; i++) {
    if (SECRET_ARG.test(out[i])) redactAt(i, () => '[REDACTED]');
    else if (URL_LIST_ARG.test(out[i])) redactAt(i, (v) => v.split(',').map(redactUrl).join(','));
    else if (URL_ARG.test(out[i])) redactAt(i, redactUrl);
  }
  return out;
}

/** The /debug/vars body in the byte layout of Go's expvar.Handler. */
export function expvarBody(gc: GcStats): string {
  const m = process.memoryUsage();
  const memstats = {
    Alloc: m.heapUsed,
    Sys: m.rss,
    HeapAlloc: m.heapUsed,
    HeapSys: m.heapTotal,
    HeapIdle: Math.max(0, m.heapTotal - m.heapUsed),
    HeapInuse: m.heapUsed,
    OtherSys: m.external + m.arrayBuffers,
    LastGC: gc.lastGCNs,
    PauseTotalNs: gc.pauseTotalNs,
    NumGC: gc.numGC,
    EnableGC: true,
    DebugGC: false,
  };
  return expvarJSON({ cmdline: redactArgs(process.argv.slice(1)), memstats });
}

/** expvar.Handler framing: "{\n" + `"key": value` joined by ",\n" (keys sorted) + "\n}\n". */
export function expvarJSON(vars: Record<string, unknown>): string {
  const keys = Object.keys(vars).sort();
  return `{\n${keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(vars[k])}`).join(',\n')}\n}\n`;
}

/** /ipqueuesz: validates `all` like Go; there are no Go-style internal queues to list. */
export function ipqueuesz(q: URLSearchParams): Record<string, unknown> {
  boolParam(q, 'all');
  return {};
}

let lastElu: EventLoopUtilization | undefined;

/** /stacksz text. */
export function stackDump(): string {
  const lines: string[] = [];
  lines.push(`nats-server-ts ${VERSION} (compatible with nats-server ${GO_COMPAT_VERSION}) stack dump`);
  lines.push('Node.js runs JavaScript on a single thread: there are no goroutines; this lists what the process can report.');
  lines.push('');
  lines.push(`pid: ${process.pid}`);
  lines.push(`node: ${process.version} (${process.platform}/${process.arch})`);
  lines.push(`uptime: ${process.uptime().toFixed(3)}s`);
  const elu = performance.eventLoopUtilization(lastElu);
  lastElu = performance.eventLoopUtilization();
  lines.push(`event loop utilization since last dump: ${(elu.utilization * 100).toFixed(2)}%`);
  const m = process.memoryUsage();
  lines.push(`memory: rss=${m.rss} heapTotal=${m.heapTotal} heapUsed=${m.heapUsed} external=${m.external} arrayBuffers=${m.arrayBuffers}`);
  lines.push('');
  const res = process.getActiveResourcesInfo();
  const counts = new Map<string, number>();
  for (const r of res) counts.set(r, (counts.get(r) ?? 0) + 1);
  lines.push(`active resources (${res.length}):`);
  for (const [k, n] of [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) lines.push(`  ${k}: ${n}`);
  lines.push('');
  lines.push('current JavaScript stack (the /stacksz request):');
  const stack = (new Error('stacksz').stack ?? '').split('\n').slice(1);
  for (const l of stack) lines.push(`  ${l.trim()}`);
  lines.push('');
  return lines.join('\n');
}
