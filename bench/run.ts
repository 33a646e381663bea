/**
 * `npm run bench`: our server and the Go nats-server side by side, alternating
 * Go/ours for BENCH_ROUNDS rounds, with a raw-socket load generator in
 * separate processes. Prints medians and ratios (ours/Go) and writes
 * bench/results/latest.json. BENCH_ONLY=<substring> picks scenarios,
 * BENCH_MSGS scales message counts.
 */
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { freePort, startBenchServer, type BenchServer } from './servers.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const WORKER = join(HERE, 'loadgen/worker.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SCALE = Number(process.env.BENCH_MSGS ?? 1);
const ONLY = process.env.BENCH_ONLY;
const RUN_TIMEOUT_MS = 60000;

interface Scenario {
  name: string;
  unit: 'msgs/s' | 'µs';
  higherIsBetter: boolean;
  /** JetStream scenarios run the servers with -js and a fresh store dir */
  js?: boolean;
  /** two routed servers: the publisher on the first (`port`), the subscriber on the second (`peer`) */
  cluster?: boolean;
  run(port: number, peer?: { port: number; monitorA: number }): Promise<number | { p50: number; p99: number }>;
}

function worker(args: (string | number)[]): { proc: ChildProcess; next: () => Promise<string> } {
  const proc = fork(WORKER, args.map(String), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const queue: string[] = [];
  const waiters: ((m: string) => void)[] = [];
  proc.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(String(m));
    else queue.push(String(m));
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const q = queue.shift();
      if (q !== undefined) return resolve(q);
      const t = setTimeout(() => reject(new Error(`load generator timed out (${args.join(' ')})`)), RUN_TIMEOUT_MS);
      waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  return { proc, next };
}

/** Poll server A's /routez?subs=1 until one of its routes carries interest in `subject`. */
async function waitRouteInterest(monitorPort: number, subject: string): Promise<void> {
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const r = (await (await fetch(`http://127.0.0.1:${monitorPort}/routez?subs=1`)).json()) as { routes?: { subscriptions_list?: string[] }[] };
      if ((r.routes ?? []).some((x) => (x.subscriptions_list ?? []).includes(subject))) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`no route interest in ${subject}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Publisher on server A, subscriber on server B, A and B routed: delivered msgs/s. */
async function routed(portA: number, peer: { port: number; monitorA: number }, count: number, size: number): Promise<number> {
  const subject = `bench.route.${size}`;
  const s = worker(['sub', peer.port, subject, count]);
  try {
    if ((await s.next()) !== 'ready') throw new Error('subscriber not ready');
    await waitRouteInterest(peer.monitorA, subject);
    const p = worker(['pub', portA, subject, count, size]);
    const start = Number((await p.next()).split(' ')[1]);
    const end = Number((await s.next()).split(' ')[1]);
    await p.next().catch(() => '');
    return count / ((end - start) / 1000);
  } finally {
    s.proc.kill('SIGKILL');
  }
}

/** count msgs of `size` bytes from one publisher to `subs` subscribers: delivered msgs/s. */
async function fanout(port: number, count: number, size: number, subs: number): Promise<number> {
  const subject = `bench.${size}.${subs}`;
  const ws = [];
  for (let k = 0; k < subs; k++) ws.push(worker(['sub', port, subject, count]));
  try {
    for (const w of ws) if ((await w.next()) !== 'ready') throw new Error('subscriber not ready');
    const p = worker(['pub', port, subject, count, size]);
    const start = Number((await p.next()).split(' ')[1]);
    let end = 0;
    for (const w of ws) end = Math.max(end, Number((await w.next()).split(' ')[1]));
    await p.next().catch(() => '');
    return (count * subs) / ((end - start) / 1000);
  } finally {
    for (const w of ws) w.proc.kill('SIGKILL');
  }
}

async function pubOnly(port: number, count: number, size: number): Promise<number> {
  const p = worker(['pub', port, `bench.pubonly.${size}`, count, size]);
  const start = Number((await p.next()).split(' ')[1]);
  const end = Number((await p.next()).split(' ')[1]);
  return count / ((end - start) / 1000);
}

async function latency(port: number, count: number): Promise<{ p50: number; p99: number }> {
  const r = worker(['resp', port, 'bench.echo']);
  try {
    if ((await r.next()) !== 'ready') throw new Error('responder not ready');
    const q = worker(['req', port, 'bench.echo', count, 16]);
    const m = await q.next();
    return JSON.parse(m.slice(5)) as { p50: number; p99: number };
  } finally {
    r.proc.kill('SIGKILL');
  }
}

/** One API request through a load-generator process; returns the reply payload. */
async function apiCall(port: number, subject: string, body: unknown): Promise<string> {
  const w = worker(['api', port, subject, JSON.stringify(body)]);
  const m = await w.next();
  return m.slice(5);
}

/** Pipelined requests (JetStream publishes with acks, KV puts, direct gets): replies/s. */
async function pipelined(port: number, template: string, count: number, size: number, window = 2000): Promise<number> {
  const w = worker(['pipe', port, template, count, size, window]);
  const start = Number((await w.next()).split(' ')[1]);
  const end = Number((await w.next()).split(' ')[1]);
  return count / ((end - start) / 1000);
}

async function jsPublish(port: number, storage: 'file' | 'memory', count: number, size: number): Promise<number> {
  const r = await apiCall(port, '$JS.API.STREAM.CREATE.BENCH', { name: 'BENCH', subjects: ['bench.js'], storage });
  if (r.includes('"error"')) throw new Error(r);
  return pipelined(port, 'bench.js', count, size);
}

async function jsPull(port: number, count: number, ack: boolean): Promise<number> {
  const r = await apiCall(port, '$JS.API.STREAM.CREATE.BENCH', { name: 'BENCH', subjects: ['bench.js'], storage: 'file' });
  if (r.includes('"error"')) throw new Error(r);
  await pipelined(port, 'bench.js', count, 128);
  const c = await apiCall(port, '$JS.API.CONSUMER.DURABLE.CREATE.BENCH.C', {
    stream_name: 'BENCH',
    config: { durable_name: 'C', ack_policy: ack ? 'explicit' : 'none', max_ack_pending: ack ? 20000 : undefined },
  });
  if (c.includes('"error"')) throw new Error(c);
  const w = worker(['pull', port, 'x', 'BENCH', 'C', count, ack ? 1 : 0]);
  const start = Number((await w.next()).split(' ')[1]);
  const end = Number((await w.next()).split(' ')[1]);
  return count / ((end - start) / 1000);
}

async function kv(port: number, op: 'put' | 'get', count: number): Promise<number> {
  const r = await apiCall(port, '$JS.API.STREAM.CREATE.KV_bench', {
    name: 'KV_bench',
    subjects: ['$KV.bench.>'],
    max_msgs_per_subject: 1,
    discard: 'new',
    allow_rollup_hdrs: true,
    deny_delete: true,
    allow_direct: true,
    storage: 'file',
  });
  if (r.includes('"error"')) throw new Error(r);
  if (op === 'put') return pipelined(port, '$KV.bench.k{i}', count, 128);
  await pipelined(port, '$KV.bench.k{i}', 1000, 128);
  return pipelined(port, '$JS.API.DIRECT.GET.KV_bench.$KV.bench.k{i}', count, 0, 500);
}

const n = (x: number) => Math.max(1000, Math.round(x * SCALE));
const SCENARIOS: Scenario[] = [
  { name: 'pub-only 16B', unit: 'msgs/s', higherIsBetter: true, run: (p) => pubOnly(p, n(3_000_000), 16) },
  { name: 'pub-only 128B', unit: 'msgs/s', higherIsBetter: true, run: (p) => pubOnly(p, n(2_000_000), 128) },
  { name: 'pub->sub 16B', unit: 'msgs/s', higherIsBetter: true, run: (p) => fanout(p, n(2_000_000), 16, 1) },
  { name: 'pub->sub 128B', unit: 'msgs/s', higherIsBetter: true, run: (p) => fanout(p, n(1_500_000), 128, 1) },
  { name: 'fan-out 1->4 16B', unit: 'msgs/s', higherIsBetter: true, run: (p) => fanout(p, n(750_000), 16, 4) },
  { name: 'fan-out 1->4 128B', unit: 'msgs/s', higherIsBetter: true, run: (p) => fanout(p, n(500_000), 128, 4) },
  { name: 'route pub->sub 16B', unit: 'msgs/s', higherIsBetter: true, cluster: true, run: (p, peer) => routed(p, peer!, n(1_000_000), 16) },
  { name: 'route pub->sub 128B', unit: 'msgs/s', higherIsBetter: true, cluster: true, run: (p, peer) => routed(p, peer!, n(750_000), 128) },
  { name: 'req/rep latency', unit: 'µs', higherIsBetter: false, run: (p) => latency(p, n(20_000)) },
  { name: 'js pub file 16B', unit: 'msgs/s', higherIsBetter: true, js: true, run: (p) => jsPublish(p, 'file', n(200_000), 16) },
  { name: 'js pub file 128B', unit: 'msgs/s', higherIsBetter: true, js: true, run: (p) => jsPublish(p, 'file', n(200_000), 128) },
  { name: 'js pub mem 16B', unit: 'msgs/s', higherIsBetter: true, js: true, run: (p) => jsPublish(p, 'memory', n(200_000), 16) },
  { name: 'js pub mem 128B', unit: 'msgs/s', higherIsBetter: true, js: true, run: (p) => jsPublish(p, 'memory', n(200_000), 128) },
  { name: 'js pull no-ack', unit: 'msgs/s', higherIsBetter: true, js: true, run: (p) => jsPull(p, n(200_000), false) },
  { name: 'js pull explicit-ack', unit: 'msgs/s', higherIsBetter: true, js: true, run: (p) => jsPull(p, n(100_000), true) },
  { name: 'kv put', unit: 'msgs/s', higherIsBetter: true, js: true, run: (p) => kv(p, 'put', n(100_000)) },
  { name: 'kv get (direct)', unit: 'msgs/s', higherIsBetter: true, js: true, run: (p) => kv(p, 'get', n(100_000)) },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measureCluster(which: 'go' | 'ours', sc: Scenario): Promise<number | { p50: number; p99: number }> {
  const [ca, cb, ma] = [await freePort(), await freePort(), await freePort()];
  const a = await startBenchServer(which, ['--cluster', `nats://127.0.0.1:${ca}`, '--cluster_name', 'bench', '-m', String(ma)]);
  let b: BenchServer | null = null;
  try {
    b = await startBenchServer(which, ['--cluster', `nats://127.0.0.1:${cb}`, '--cluster_name', 'bench', '--routes', `nats-route://127.0.0.1:${ca}`]);
    return await sc.run(a.port, { port: b.port, monitorA: ma });
  } finally {
    await b?.stop();
    await a.stop();
  }
}

async function measure(which: 'go' | 'ours', sc: Scenario): Promise<number | { p50: number; p99: number }> {
  if (sc.cluster) return measureCluster(which, sc);
  const sd = sc.js ? mkdtempSync(join(os.tmpdir(), `bench-js-${which}-`)) : '';
  const srv: BenchServer = await startBenchServer(which, sc.js ? ['-js', '-sd', sd] : []);
  try {
    return await sc.run(srv.port);
  } finally {
    await srv.stop();
    if (sd) rmSync(sd, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let goVersion = 'unknown';
  try {
    goVersion = execFileSync(process.env.BENCH_GO_CMD ?? '/usr/sbin/nats-server', ['-v']).toString().trim();
  } catch {
    /* reported as unknown */
  }
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, go_server: goVersion, rounds: ROUNDS };
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${goVersion}, ${ROUNDS} rounds (alternating)`);
  const results: Record<string, unknown>[] = [];
  for (const sc of SCENARIOS) {
    if (ONLY && !sc.name.includes(ONLY)) continue;
    const go: (number | { p50: number; p99: number })[] = [];
    const ours: (number | { p50: number; p99: number })[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      go.push(await measure('go', sc));
      ours.push(await measure('ours', sc));
    }
    if (sc.unit === 'msgs/s') {
      const g = median(go as number[]);
      const o = median(ours as number[]);
      results.push({ scenario: sc.name, unit: sc.unit, go: Math.round(g), ours: Math.round(o), ratio: +(o / g).toFixed(2) });
      console.log(`${sc.name.padEnd(22)} go ${fmt(g).padStart(10)} msgs/s   ours ${fmt(o).padStart(10)} msgs/s   ratio ${(o / g).toFixed(2)}`);
    } else {
      const lat = (xs: typeof go, k: 'p50' | 'p99') => median(xs.map((x) => (x as { p50: number; p99: number })[k]));
      for (const k of ['p50', 'p99'] as const) {
        const g = lat(go, k);
        const o = lat(ours, k);
        results.push({ scenario: `${sc.name} ${k}`, unit: sc.unit, go: +g.toFixed(1), ours: +o.toFixed(1), ratio: +(o / g).toFixed(2) });
        console.log(`${(sc.name + ' ' + k).padEnd(20)} go ${g.toFixed(1).padStart(10)} µs       ours ${o.toFixed(1).padStart(10)} µs       ratio ${(o / g).toFixed(2)} (lower is better)`);
      }
    }
  }
  const dir = join(HERE, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2) + '\n');
}

function fmt(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
