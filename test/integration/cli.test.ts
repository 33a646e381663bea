/**
 * The nats-server binary as a user runs it: flags, config file, ports file,
 * signals. Each server runs as a child process on random ports.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { waitFor } from '../helpers/wait.js';
import { GO_COMPAT_VERSION } from '../../src/util/version.js';

const BIN = join(fileURLToPath(new URL('.', import.meta.url)), '../../bin/nats-server.js');

interface Child {
  proc: ChildProcess;
  dir: string;
  stderr: () => string;
  ports: () => Promise<{ nats: string[]; monitoring?: string[] }>;
  exit: Promise<number | null>;
}

function run(args: string[]): Child {
  const dir = mkdtempSync(join(tmpdir(), 'nscli-'));
  const proc = spawn(process.execPath, [BIN, '-a', '127.0.0.1', '--ports_file_dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d.toString()));
  proc.stdout!.on('data', () => {});
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    dir,
    stderr: () => err,
    exit,
    ports: () =>
      waitFor((): { nats: string[]; monitoring?: string[] } | null => {
        if (proc.exitCode !== null) throw new Error(`exited: ${err}`);
        const f = readdirSync(dir).find((n) => n.endsWith('.ports'));
        return f ? (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nats: string[]; monitoring?: string[] }) : null;
      }, 10000) as Promise<{ nats: string[]; monitoring?: string[] }>,
  };
}

describe('nats-server CLI', () => {
  const children: Child[] = [];
  after(async () => {
    for (const c of children) {
      if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
      await c.exit;
      rmSync(c.dir, { recursive: true, force: true });
    }
  });

  it('-v prints the Go release we follow, as INFO does (nats-server: v2.14.x)', () => {
    const r = spawnSync(process.execPath, [BIN, '-v'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), `nats-server: v${GO_COMPAT_VERSION}`);
  });

  it('-h prints usage with the Go flags', () => {
    const r = spawnSync(process.execPath, [BIN, '-h'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    for (const flag of ['--port', '--http_port', '--config', '--tlscert', '--jetstream']) assert.ok(r.stdout.includes(flag), flag);
  });

  it('rejects an unknown flag', () => {
    const r = spawnSync(process.execPath, [BIN, '--nope'], { encoding: 'utf8' });
    assert.match(r.stderr, /flag provided but not defined: -nope/);
  });

  it('runs with -p -1 -m -1, writes the ports file, serves clients and monitoring, exits on SIGINT', async () => {
    const c = run(['-p', '-1', '-m', '-1']);
    children.push(c);
    const ports = await c.ports();
    assert.equal(ports.nats.length, 1);
    const nc = await connect({ servers: ports.nats[0] });
    const sub = nc.subscribe('cli.x', { max: 1 });
    nc.publish('cli.x', 'ok');
    for await (const m of sub) assert.equal(m.string(), 'ok');
    await nc.close();
    const varz = (await (await fetch(`${ports.monitoring![0]}/varz`)).json()) as { port: number };
    assert.equal(varz.port, Number(new URL(ports.nats[0]).port));
    c.proc.kill('SIGHUP'); // reload is trapped, logged, and must not crash
    await waitFor(() => c.stderr().includes('hangup'), 5000);
    c.proc.kill('SIGINT');
    assert.equal(await c.exit, 0);
    assert.equal(readdirSync(c.dir).filter((n) => n.endsWith('.ports')).length, 0, 'ports file removed');
  });

  it('logs in Go format to the -l file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nslog-'));
    const logf = join(dir, 'server.log');
    const c = run(['-p', '-1', '-l', logf, '-D']);
    children.push(c);
    await c.ports();
    await waitFor(() => existsSync(logf) && readFileSync(logf, 'utf8').includes('Server is ready'));
    const text = readFileSync(logf, 'utf8');
    assert.match(text, /^\[\d+\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} \[INF\] Starting nats-server/m);
    c.proc.kill('SIGTERM');
    assert.equal(await c.exit, 0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a config file, flags override it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsconf-'));
    const conf = join(dir, 's.conf');
    writeFileSync(conf, 'server_name: from-config\nmax_payload: 4KB\nauthorization { token: "sekret" }\n');
    const c = run(['-c', conf, '-p', '-1', '-n', 'from-flag']);
    children.push(c);
    const ports = await c.ports();
    await assert.rejects(connect({ servers: ports.nats[0], reconnect: false }));
    const nc = await connect({ servers: ports.nats[0], token: 'sekret' });
    assert.equal(nc.info?.server_name, 'from-flag');
    assert.equal(nc.info?.max_payload, 4096);
    await nc.close();
    c.proc.kill('SIGINT');
    await c.exit;
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails start-up on a config error with file:line:col', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsbad-'));
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, 'port: 4222\nbogus_key: 1\n');
    const r = spawnSync(process.execPath, [BIN, '-c', conf], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.ok(r.stderr.includes(`${conf}:2:1: unknown field "bogus_key"`), r.stderr);
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGUSR2 enters lame duck mode: stops accepting and exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsldm-'));
    const conf = join(dir, 'ldm.conf');
    writeFileSync(conf, 'lame_duck_grace_period: "100ms"\n');
    const c = run(['-c', conf, '-p', '-1']);
    children.push(c);
    const ports = await c.ports();
    const nc = await connect({ servers: ports.nats[0], reconnect: false });
    const closed = nc.closed();
    c.proc.kill('SIGUSR2');
    await closed;
    assert.equal(await c.exit, 0);
    rmSync(dir, { recursive: true, force: true });
  });
});
