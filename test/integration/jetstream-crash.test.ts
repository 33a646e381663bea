/**
 * Crash safety of the server as a whole: a child-process server (our CLI)
 * with `sync_interval: always` is SIGKILLed in the middle of a stream of
 * acknowledged publishes; after restart every acknowledged message is there.
 * A damaged block file in one stream is reported and leaves other streams
 * working. Path-like stream names are refused and nothing lands outside
 * store_dir.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startServer } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';

const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../bin/nats-server.js');
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nsts-crash-'));
  dirs.push(d);
  return d;
}

describe('JetStream crash safety', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every acknowledged message after SIGKILL (sync_interval: always)', async () => {
    const dir = tmp();
    const conf = join(dir, 'server.conf');
    writeFileSync(conf, `jetstream { store_dir: "${join(dir, 'data')}", sync_interval: always }\n`);
    const child = spawn(process.execPath, [BIN, '-c', conf, '-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ports = await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      const f = readdirSync(dir).find((n) => n.endsWith('.ports'));
      return f ? (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nats: string[] }) : null;
    }, 10000);
    const nc = await connect({ servers: ports!.nats[0], reconnect: false });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'CRASH', subjects: ['crash.>'] });
    const js = jetstream(nc);
    const acked: number[] = [];
    let killed = false;
    const pumps: Promise<void>[] = [];
    for (let w = 0; w < 8; w++) {
      pumps.push(
        (async () => {
          for (let i = 0; !killed; i++) {
            try {
              const pa = await js.publish(`crash.${w}`, `w${w}-${i}`, { timeout: 2000 });
              acked.push(pa.seq);
              if (acked.length >= 400 && !killed) {
                killed = true;
                child.kill('SIGKILL');
              }
            } catch {
              return;
            }
          }
        })(),
      );
    }
    // Publishes in flight when the server died may never settle: bound the wait.
    await Promise.race([Promise.all(pumps), new Promise((r) => setTimeout(r, 3000))]);
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (!exited) await new Promise((r) => child.once('exit', r));
    await Promise.race([nc.close().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
    assert.ok(acked.length >= 400);

    const srv = await startServer({ jetstream: true, store_dir: join(dir, 'data') });
    try {
      const nc2 = await connect({ servers: srv.url });
      const jsm2 = await jetstreamManager(nc2);
      const info = await jsm2.streams.info('CRASH');
      for (const seq of acked) {
        const m = await jsm2.streams.getMessage('CRASH', { seq });
        assert.ok(m !== null, `acknowledged seq ${seq} lost`);
      }
      assert.ok(info.state.last_seq >= Math.max(...acked));
      await nc2.close();
    } finally {
      await srv.stop();
    }
  });

  it('reports a damaged block in one stream and keeps the others serving', async () => {
    const dir = tmp();
    let srv = await startServer({ jetstream: true, store_dir: dir });
    let nc = await connect({ servers: srv.url });
    let jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await jsm.streams.add({ name: 'GOOD', subjects: ['good'] });
    await jsm.streams.add({ name: 'BAD', subjects: ['bad'] });
    for (let i = 0; i < 20; i++) {
      await js.publish('good', `g${i}`);
      await js.publish('bad', `b${i}`);
    }
    await nc.close();
    await srv.stop();
    const blk = join(dir, 'jetstream', '$G', 'streams', 'BAD', 'msgs', '1.blk');
    truncateSync(blk, statSync(blk).size - 5);
    const lines: string[] = [];
    srv = await startServer({ jetstream: true, store_dir: dir, logSink: (l) => lines.push(l) });
    try {
      nc = await connect({ servers: srv.url });
      jsm = await jetstreamManager(nc);
      assert.equal((await jsm.streams.info('GOOD')).state.messages, 20);
      assert.equal((await jsm.streams.info('BAD')).state.messages, 19);
      assert.match(lines.join('\n'), /\[WRN\].*torn or corrupt record/);
      const pa = await jetstream(nc).publish('bad', 'after');
      assert.equal(pa.seq, 20);
      await nc.close();
    } finally {
      await srv.stop();
    }
  });

  it('refuses path-like stream names and writes nothing outside store_dir', async () => {
    const root = tmp();
    const dir = join(root, 'store');
    const srv = await startServer({ jetstream: true, store_dir: dir });
    try {
      const nc = await connect({ servers: srv.url });
      // Dots make extra subject tokens: no API subscription matches (no responders, as with Go).
      for (const name of ['../x', '..']) {
        await assert.rejects(nc.request(`$JS.API.STREAM.CREATE.${name}`, JSON.stringify({ name, subjects: ['p.x'] })), /no responders/);
        const r = (await nc.request('$JS.API.STREAM.CREATE.x', JSON.stringify({ name, subjects: ['p.x'] }))).json<any>();
        assert.equal(r.error.err_code, 10056, `${name} in the body must be refused`);
      }
      for (const name of ['a/b', 'a\\b']) {
        const r = (await nc.request(`$JS.API.STREAM.CREATE.${name}`, JSON.stringify({ name, subjects: ['p.x'] }))).json<any>();
        assert.equal(r.error.err_code, 10128, `${name} must be refused`);
      }
      const r = (await nc.request('$JS.API.STREAM.CREATE.a/b', JSON.stringify({ name: 'a/b' }))).json<any>();
      assert.equal(r.error.err_code, 10128);
      await nc.close();
    } finally {
      await srv.stop();
    }
    assert.deepEqual(readdirSync(root), ['store']);
    assert.ok(!existsSync(join(dir, 'jetstream', '$G', 'x')));
  });
});
