/**
 * `npm run bench:storm`: connect storm, Go and ours side by side. A fresh
 * server per trial (child process, `-m` for /varz); STORM_CONNS connections
 * (default 10000) opened at once from STORM_WORKERS load processes (default
 * 2), each CONNECT + PING -> PONG. Go and ours alternate for STORM_ROUNDS
 * rounds (default 5). Prints each trial (time to the last PONG, how many got
 * PONG, /varz connections while all were open), then medians and ours/Go.
 * STORM_ONLY=go|ours runs one side.
 */
import { freePort, startBenchServer } from './servers.js';
import { runStorm, type StormReport } from './loadgen/storm.js';

const CONNS = Number(process.env.STORM_CONNS ?? 10_000);
const WORKERS = Number(process.env.STORM_WORKERS ?? 2);
const ROUNDS = Number(process.env.STORM_ROUNDS ?? 5);
const only = process.env.STORM_ONLY;
const kinds = (['go', 'ours'] as const).filter((k) => !only || k === only);

interface Trial extends StormReport {
  varz: number;
}

async function varzConnections(mport: number, want: number): Promise<number> {
  // /varz may lag the last PONG by a moment on either server: read until it matches or 2 s passed
  const deadline = Date.now() + 2000;
  for (;;) {
    const v = (await (await fetch(`http://127.0.0.1:${mport}/varz`)).json()) as { connections: number };
    if (v.connections >= want || Date.now() > deadline) return v.connections;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function trial(kind: 'go' | 'ours'): Promise<Trial> {
  const mport = await freePort();
  const srv = await startBenchServer(kind, ['-m', String(mport)]);
  try {
    const { report, during } = await runStorm(srv.port, CONNS, { workers: WORKERS, deadlineMs: 30_000 }, (r) => varzConnections(mport, r.pong));
    return { ...report, varz: during ?? 0 };
  } finally {
    await srv.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)];
}

const res: Record<string, Trial[]> = { go: [], ours: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const k of kinds) {
    const t = await trial(k);
    res[k].push(t);
    console.log(`${k} #${i + 1}: ${t.pong}/${CONNS} PONG in ${t.ms} ms (per conn p50 ${t.p50} p99 ${t.p99} max ${t.max} ms), failed ${t.failed}, /varz connections ${t.varz}${t.errors.length ? ` errors: ${t.errors.join('; ')}` : ''}`);
  }
}
for (const k of kinds) {
  const ts = res[k];
  console.log(`${k}: median ${median(ts.map((t) => t.ms))} ms to the last PONG, complete ${ts.filter((t) => t.pong === CONNS).length}/${ts.length}, median p99 ${median(ts.map((t) => t.p99))} ms`);
}
if (kinds.length === 2) {
  const g = median(res.go.map((t) => t.ms));
  const o = median(res.ours.map((t) => t.ms));
  console.log(`connect storm ${CONNS} ratio ours/go (time, lower is better): ${(o / g).toFixed(2)}`);
}
