/**
 * `npm run bench:flow`: the fast-producer acceptance run. One raw publisher
 * sends as fast as it can to one subject; one nats.js subscriber (a real
 * client, slower at parsing than the server is at sending) reads as fast as
 * it can. Go and ours alternate for FLOW_TRIALS trials per size; a trial is
 * complete when the subscriber got every message. Prints complete/total,
 * slow-consumer events seen in /varz and the median delivered msgs/s.
 * FLOW_TRIALS (default 20), FLOW_ONLY=go|ours, FLOW_SCALE scales counts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { freePort, startBenchServer } from './servers.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const WORKER = join(HERE, 'loadgen/worker.js');
const TRIALS = Number(process.env.FLOW_TRIALS ?? 20);
const SCALE = Number(process.env.FLOW_SCALE ?? 1);
const TRIAL_TIMEOUT_MS = 120_000;

const CASES = [
  { name: '3M x 128B', count: Math.round(3_000_000 * SCALE), size: 128 },
  { name: '1M x 1KiB', count: Math.round(1_000_000 * SCALE), size: 1024 },
];

function next(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('trial timed out')), TRIAL_TIMEOUT_MS);
    p.once('message', (m) => {
      clearTimeout(t);
      resolve(String(m));
    });
    p.once('exit', () => resolve('exit'));
  });
}

interface Result {
  complete: boolean;
  rate: number;
  slow: number;
  stalls: number;
}

async function trial(kind: 'go' | 'ours', count: number, size: number): Promise<Result> {
  const mport = await freePort();
  const srv = await startBenchServer(kind, ['-m', String(mport)]);
  const subject = 'flow.test';
  const sub = fork(WORKER, ['jssub', srv.port, subject, count].map(String), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let pub: ChildProcess | null = null;
  try {
    if ((await next(sub)) !== 'ready') throw new Error('subscriber did not start');
    const start = Date.now();
    pub = fork(WORKER, ['pub', srv.port, subject, count, size].map(String), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const r = await next(sub);
    const ms = Date.now() - start;
    const v = (await (await fetch(`http://127.0.0.1:${mport}/varz`)).json()) as { slow_consumers: number; stalled_clients?: number };
    return { complete: r.startsWith('done'), rate: Math.round((count / ms) * 1000), slow: v.slow_consumers, stalls: v.stalled_clients ?? 0 };
  } finally {
    sub.kill('SIGKILL');
    pub?.kill('SIGKILL');
    await srv.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)];
}

const only = process.env.FLOW_ONLY;
const kinds = (['go', 'ours'] as const).filter((k) => !only || k === only);
for (const c of CASES) {
  const res: Record<string, Result[]> = { go: [], ours: [] };
  for (let i = 0; i < TRIALS; i++) {
    for (const k of kinds) {
      const r = await trial(k, c.count, c.size);
      res[k].push(r);
      process.stderr.write(`${c.name} ${k} #${i + 1}: ${r.complete ? 'complete' : 'INCOMPLETE'} ${r.rate} msgs/s slow=${r.slow} stalls=${r.stalls}\n`);
    }
  }
  for (const k of kinds) {
    const rs = res[k];
    const done = rs.filter((r) => r.complete);
    console.log(`${c.name} ${k}: complete ${done.length}/${rs.length}, slow consumer events ${rs.reduce((a, r) => a + r.slow, 0)}, median ${median(done.map((r) => r.rate))} msgs/s (complete runs), stalls median ${median(rs.map((r) => r.stalls))}`);
  }
  if (kinds.length === 2) {
    const g = median(res.go.filter((r) => r.complete).map((r) => r.rate));
    const o = median(res.ours.filter((r) => r.complete).map((r) => r.rate));
    if (g > 0) console.log(`${c.name} ratio ours/go: ${(o / g).toFixed(2)}`);
  }
}
