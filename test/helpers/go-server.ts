/**
 * Launch the reference Go nats-server (Debian's 2.9.10) for differential
 * tests: random ports, a temp dir, the ports file to learn them, and a kill
 * on stop. Tests skip when the binary is absent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export const GO_SERVER_BIN = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));

export interface GoServer {
  port: number;
  monitorPort?: number;
  /** route port, when the config or flags open a cluster listener */
  clusterPort?: number;
  url: string;
  dir: string;
  proc: ChildProcess;
  /** everything the server wrote to stderr so far (its log) */
  logs(): string;
  stop(): Promise<void>;
}

/** Our CLI as a child process, started the same way as Go's (for signal tests). */
export const OURS_CMD = [process.execPath, join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../bin/nats-server.js')];

/** Start Go's server (or `cmd`, e.g. OURS_CMD) with extra flags and optional config text. */
export async function startGoServer(args: string[] = [], config?: string, cmd?: string[]): Promise<GoServer> {
  if (!cmd && !GO_SERVER_BIN) throw new Error('Go nats-server not installed');
  const dir = mkdtempSync(join(tmpdir(), 'gonats-'));
  const full = ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir, ...args];
  if (config !== undefined) {
    const f = join(dir, 'server.conf');
    writeFileSync(f, config);
    full.push('-c', f);
  }
  const [exe, ...pre] = cmd ?? [GO_SERVER_BIN!];
  const proc = spawn(exe, [...pre, ...full], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d.toString()));
  let ports: { nats: string[]; monitoring?: string[]; cluster?: string[] } | null;
  try {
    ports = await waitFor((): { nats: string[]; monitoring?: string[]; cluster?: string[] } | null => {
      if (proc.exitCode !== null) throw new Error(`nats-server exited: ${stderr}`);
      const f = readdirSync(dir).find((n) => n.endsWith('.ports'));
      if (!f) return null;
      try {
        return JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nats: string[]; monitoring?: string[]; cluster?: string[] };
      } catch {
        return null;
      }
    }, 10000);
  } catch (e) {
    // a server that exits (or never starts) leaves no temp dir behind
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  if (!ports) throw new Error('no ports file');
  const port = Number(new URL(ports.nats[0]).port);
  const monitorPort = ports.monitoring ? Number(new URL(ports.monitoring[0]).port) : undefined;
  const clusterPort = ports.cluster ? Number(new URL(ports.cluster[0]).port) : undefined;
  return {
    port,
    monitorPort,
    clusterPort,
    url: `nats://127.0.0.1:${port}`,
    dir,
    proc,
    logs: () => stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Go `cluster {}` block on a random port soliciting `routes` (the name our test clusters use). */
export function goClusterConf(routes: string[], name = 'test-cluster'): string {
  return `cluster {\n  name: ${name}\n  listen: "127.0.0.1:-1"\n  routes: [${routes.map((r) => `"${r}"`).join(', ')}]\n}\n`;
}
