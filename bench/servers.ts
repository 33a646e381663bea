/**
 * Start and stop the two servers under test as child processes on free
 * loopback ports: ours (`node dist/bin/nats-server.js`, or BENCH_OURS_CMD)
 * and Go's (`/usr/sbin/nats-server`, or BENCH_GO_CMD). Readiness is a
 * successful connect that reads INFO, polled with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export interface BenchServer {
  name: 'go' | 'ours';
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function readInfo(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('data', (d) => done(d.toString().startsWith('INFO ')));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 500);
  });
}

export async function startBenchServer(name: 'go' | 'ours', extra: string[] = []): Promise<BenchServer> {
  const port = await freePort();
  const cmd = name === 'go' ? (process.env.BENCH_GO_CMD ?? '/usr/sbin/nats-server') : (process.env.BENCH_OURS_CMD ?? `${process.execPath} ${join(ROOT, 'dist/bin/nats-server.js')}`);
  const [exe, ...args] = cmd.split(' ');
  const proc = spawn(exe, [...args, '-a', '127.0.0.1', '-p', String(port), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err = (err + d.toString()).slice(-4000)));
  const deadline = Date.now() + 15000;
  while (!(await readInfo(port))) {
    if (proc.exitCode !== null) throw new Error(`${name} server exited: ${err}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${name} server not ready on ${port}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name,
    port,
    proc,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      // SIGTERM first so a profiled server (BENCH_OURS_CMD with --cpu-prof) writes its profile
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
