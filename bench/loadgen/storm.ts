/**
 * A connect storm against one server: `count` connections split over
 * `workers` processes (bench/loadgen/storm-worker.ts; a process holds its
 * sockets' fds and one event loop), started together once every worker is up.
 * Each connection sends CONNECT + PING and waits for PONG. `whileOpen` runs
 * after every worker reported, with all connections still open.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { StormReport } from './storm-worker.js';

export type { StormReport };

const WORKER = join(fileURLToPath(new URL('.', import.meta.url)), 'storm-worker.js');

export interface StormOptions {
  workers?: number;
  /** each worker gives up waiting for PONGs after this long */
  deadlineMs?: number;
  /** where the worker's stderr goes (default: inherited) */
  quiet?: boolean;
}

export async function runStorm<T>(
  port: number,
  count: number,
  opts: StormOptions = {},
  whileOpen?: (r: StormReport) => Promise<T>,
): Promise<{ report: StormReport; during: T | undefined }> {
  const n = Math.max(1, opts.workers ?? 1);
  const deadline = opts.deadlineMs ?? 20_000;
  const procs: ChildProcess[] = [];
  const exited: Promise<unknown>[] = [];
  try {
    const per = Array.from({ length: n }, (_, i) => Math.floor(count / n) + (i < count % n ? 1 : 0));
    for (const c of per) {
      const p = fork(WORKER, [port, c, deadline].map(String), { stdio: ['ignore', 'ignore', opts.quiet ? 'ignore' : 'inherit', 'ipc'] });
      procs.push(p);
      exited.push(new Promise((r) => p.once('exit', r)));
    }
    // Forked and listening for messages: 'spawn' fires once the child exists; its first IPC
    // message is handled once its module ran, which the report's timing does not include.
    await Promise.all(procs.map((p) => new Promise((r, j) => {
      p.once('spawn', r);
      p.once('error', j);
    })));
    const reports = procs.map((p) => new Promise<StormReport>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('storm worker did not report')), deadline + 10_000);
      p.once('message', (m) => {
        clearTimeout(t);
        resolve(m as StormReport);
      });
      p.once('exit', (code) => reject(new Error(`storm worker exited (${code}) before reporting`)));
    }));
    for (const p of procs) p.send({ go: true });
    const rs = await Promise.all(reports);
    const report = merge(rs);
    const during = whileOpen ? await whileOpen(report) : undefined;
    return { report, during };
  } finally {
    for (const p of procs) {
      if (p.connected) p.send({ close: true });
      else p.kill('SIGKILL');
    }
    const t = setTimeout(() => procs.forEach((p) => p.kill('SIGKILL')), 5000);
    await Promise.all(exited);
    clearTimeout(t);
  }
}

function merge(rs: StormReport[]): StormReport {
  const sum = (f: (r: StormReport) => number): number => rs.reduce((a, r) => a + f(r), 0);
  const max = (f: (r: StormReport) => number): number => Math.max(...rs.map(f));
  return {
    pong: sum((r) => r.pong),
    info: sum((r) => r.info),
    failed: sum((r) => r.failed),
    errors: rs.flatMap((r) => r.errors).slice(0, 5),
    ms: max((r) => r.ms),
    // per-worker quantiles: the worst worker's
    p50: max((r) => r.p50),
    p99: max((r) => r.p99),
    max: max((r) => r.max),
  };
}
