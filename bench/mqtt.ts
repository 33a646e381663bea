/**
 * `npm run bench:mqtt`: MQTT 3.1.1 side by side, ours vs Go 2.9.10 vs
 * mosquitto, alternated, a fresh broker (child process) per round, the same
 * raw-socket load generator (bench/loadgen/mqtt-load.ts) for all:
 * - QoS 0 pub -> sub throughput (MQTT_QOS0_N messages of MQTT_SIZE bytes),
 * - QoS 1 pub -> sub throughput (MQTT_QOS1_N messages, MQTT_WINDOW in flight, the subscriber acking each),
 * - QoS 1 round-trip latency (publish -> delivery at the subscriber, one at a time, MQTT_LAT_N samples).
 * MQTT_ROUNDS rounds (default 3); prints every trial, then medians and ratios.
 * MQTT_ONLY=ours,go,mosquitto picks brokers. Go and ours run JetStream on a
 * temp file store (MQTT state lives there); mosquitto runs without persistence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './servers.js';
import { qos0Throughput, qos1Latency, qos1Throughput, type Latency, type Throughput } from './loadgen/mqtt-load.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const ROUNDS = Number(process.env.MQTT_ROUNDS ?? 3);
const SIZE = Number(process.env.MQTT_SIZE ?? 128);
const QOS0_N = Number(process.env.MQTT_QOS0_N ?? 200_000);
const QOS1_N = Number(process.env.MQTT_QOS1_N ?? 20_000);
const WINDOW = Number(process.env.MQTT_WINDOW ?? 64);
const LAT_N = Number(process.env.MQTT_LAT_N ?? 2000);
const GO = process.env.BENCH_GO_CMD ?? '/usr/sbin/nats-server';
const MOSQ = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

type Kind = 'ours' | 'go' | 'mosquitto';
const wanted = (process.env.MQTT_ONLY ?? 'ours,go,mosquitto').split(',') as Kind[];
const kinds = wanted.filter((k) => (k === 'go' ? existsSync(GO.split(' ')[0]) : k === 'mosquitto' ? MOSQ !== undefined : true));

interface Broker {
  port: number;
  stop(): Promise<void>;
}

async function waitPort(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`broker did not start: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startBroker(kind: Kind): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `bench-mqtt-${kind}-`));
  let exe: string;
  let args: string[];
  if (kind === 'mosquitto') {
    writeFileSync(join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\n`);
    exe = MOSQ!;
    args = ['-c', join(dir, 'm.conf')];
  } else {
    writeFileSync(join(dir, 's.conf'), `server_name: bench\nlisten: "127.0.0.1:-1"\njetstream { store_dir: "${dir}" }\nmqtt { listen: "127.0.0.1:${port}", max_ack_pending: 65535 }\n`);
    const cmd = kind === 'go' ? GO : (process.env.BENCH_OURS_CMD ?? `${process.execPath} ${join(ROOT, 'dist/bin/nats-server.js')}`);
    [exe, ...args] = cmd.split(' ');
    args.push('-c', join(dir, 's.conf'));
  }
  const proc = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err = (err + d.toString()).slice(-4000)));
  await waitPort(port, proc, () => err);
  return {
    port,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Trial {
  q0: Throughput;
  q1: Throughput;
  lat: Latency;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)];
};

const results: Record<string, Trial[]> = {};
console.log(`MQTT 3.1.1 bench: ${ROUNDS} rounds, ${SIZE} B payloads, QoS 0 x${QOS0_N}, QoS 1 x${QOS1_N} (window ${WINDOW}), latency x${LAT_N}; brokers ${kinds.join(', ')}`);
for (let r = 0; r < ROUNDS; r++) {
  for (const k of kinds) {
    const b = await startBroker(k);
    try {
      // a short warm-up (streams and consumers created, JIT warm)
      await qos1Throughput(b.port, 500, SIZE, WINDOW);
      await qos0Throughput(b.port, 5000, SIZE);
      const q0 = await qos0Throughput(b.port, QOS0_N, SIZE);
      const q1 = await qos1Throughput(b.port, QOS1_N, SIZE, WINDOW);
      const lat = await qos1Latency(b.port, LAT_N, SIZE);
      (results[k] ??= []).push({ q0, q1, lat });
      console.log(`${k.padEnd(9)} #${r + 1}: QoS 0 ${Math.round(q0.rate).toLocaleString('en')} msg/s, QoS 1 ${Math.round(q1.rate).toLocaleString('en')} msg/s, QoS 1 latency p50 ${lat.p50.toFixed(3)} ms p99 ${lat.p99.toFixed(3)} ms`);
    } catch (e) {
      console.log(`${k} #${r + 1}: failed: ${(e as Error).message}`);
    } finally {
      await b.stop();
    }
  }
}
console.log('\nmedians:');
const med: Record<string, { q0: number; q1: number; p50: number; p99: number }> = {};
for (const k of kinds) {
  const ts = results[k] ?? [];
  med[k] = { q0: median(ts.map((t) => t.q0.rate)), q1: median(ts.map((t) => t.q1.rate)), p50: median(ts.map((t) => t.lat.p50)), p99: median(ts.map((t) => t.lat.p99)) };
  console.log(`${k.padEnd(9)} QoS 0 ${Math.round(med[k].q0).toLocaleString('en')} msg/s | QoS 1 ${Math.round(med[k].q1).toLocaleString('en')} msg/s | latency p50 ${med[k].p50.toFixed(3)} ms p99 ${med[k].p99.toFixed(3)} ms`);
}
for (const other of kinds.filter((k) => k !== 'ours')) {
  if (!med.ours || !med[other]) continue;
  const o = med.ours;
  const x = med[other];
  console.log(`ours/${other}: QoS 0 x${(o.q0 / x.q0).toFixed(2)}, QoS 1 x${(o.q1 / x.q1).toFixed(2)}, latency p50 x${(o.p50 / x.p50).toFixed(2)} (lower is better)`);
}
