/**
 * Config reload on SIGHUP (our CLI and Go's, same config and edits) and via
 * `$SYS.REQ.SERVER.<id>.RELOAD` and the embedding API: removed users are
 * disconnected, narrowed permissions drop subscriptions, valid clients stay
 * connected, a bad file or an unsupported change leaves the running config.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, defaultOptions } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { RawConn } from '../helpers/raw.js';
import { startGoServer, GO_SERVER_BIN, OURS_CMD, type GoServer } from '../helpers/go-server.js';
import { waitFor } from '../helpers/wait.js';

const users = (extra: string, perms = '') => `
authorization {
  users = [
    {user: alice, password: alice ${perms}}
    ${extra}
  ]
}
`;

async function login(port: number, user: string): Promise<RawConn> {
  const c = await RawConn.connect(port);
  await c.info();
  c.send(`CONNECT {"verbose":false,"pedantic":false,"user":"${user}","pass":"${user}"}\r\nPING\r\n`);
  await c.waitUntil((d) => d.includes('PONG') || d.includes('-ERR'));
  return c;
}

for (const kind of ['ours', 'go'] as const) {
  describe(`reload on SIGHUP (${kind})`, { skip: kind === 'go' && !GO_SERVER_BIN }, () => {
    const servers: GoServer[] = [];
    after(async () => {
      for (const s of servers) await s.stop();
    });
    const start = async (config: string) => {
      const s = await startGoServer([], config, kind === 'ours' ? OURS_CMD : undefined);
      servers.push(s);
      return s;
    };
    const hup = async (s: GoServer, config: string, logLine: RegExp) => {
      writeFileSync(join(s.dir, 'server.conf'), config);
      const before = s.logs().length;
      s.proc.kill('SIGHUP');
      await waitFor(() => logLine.test(s.logs().slice(before)), 5000);
    };

    it('a removed user is disconnected, the others stay', async () => {
      const s = await start(users('{user: bob, password: bob}'));
      const alice = await login(s.port, 'alice');
      const bob = await login(s.port, 'bob');
      alice.take();
      bob.take();
      await hup(s, users(''), /Reloaded server configuration/);
      const out = await bob.waitUntil(() => false, 2000);
      // the newest release sends the -ERR before closing; 2.9.10 closes without it
      if (kind === 'ours') assert.match(out, /-ERR 'Authorization Violation'\r\n/);
      assert.equal(bob.closed, true);
      alice.send('PING\r\n');
      assert.match(await alice.waitUntil((d) => d.includes('PONG')), /PONG/);
      assert.equal(alice.closed, false);
      alice.sock.destroy();
    });

    it('narrowed permissions remove subscriptions they no longer allow', async () => {
      const s = await start(users('', ', permissions: { subscribe: ["foo.>", "bar.>"] }'));
      const alice = await login(s.port, 'alice');
      alice.send('SUB foo.a 1\r\nSUB bar.b 2\r\nPING\r\n');
      await alice.waitUntil((d) => (d.match(/PONG/g) ?? []).length >= 2);
      alice.take();
      await hup(s, users('', ', permissions: { subscribe: ["foo.>"] }'), /Reloaded server configuration/);
      const out = await alice.waitUntil((d) => d.includes('Permissions Violation'), 3000);
      assert.match(out, /-ERR 'Permissions Violation for Subscription to "bar\.b" \(sid "2"\)'\r\n/);
      alice.take();
      alice.send('PUB bar.b 1\r\nx\r\nPUB foo.a 1\r\ny\r\nPING\r\n');
      const msgs = await alice.waitUntil((d) => d.includes('PONG'));
      assert.match(msgs, /MSG foo\.a 1 1\r\ny\r\n/);
      assert.doesNotMatch(msgs, /MSG bar\.b/);
      alice.sock.destroy();
    });

    it('a file that does not parse leaves the running config', async () => {
      const s = await start(users('{user: bob, password: bob}'));
      await hup(s, 'authorization { users = [ {user: alice ', /[Ff]ailed to reload|[Ee]rror/);
      const bob = await login(s.port, 'bob');
      assert.match(bob.take(), /PONG/);
      bob.sock.destroy();
    });

    it('an option that cannot change at runtime fails the reload with Go\'s message', async () => {
      const s = await start(users('') + 'max_pending: 10000000\n');
      await hup(s, users('{user: bob, password: bob}') + 'max_pending: 20000000\n', /config reload not supported for MaxPending: old=10000000, new=20000000/);
      // nothing of the new file was applied: bob is still unknown
      const bob = await login(s.port, 'bob');
      assert.match(bob.take(), /-ERR 'Authorization Violation'/);
    });
  });
}

describe('reload through the system account and the embedding API (ours)', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const config = (extraUsers: string, extra = '') => `
accounts {
  SYS: { users: [ {user: sys, password: sys} ] }
  A: { users: [ {user: a, password: a} ${extraUsers} ], jetstream: { max_streams: 1 } }
}
system_account: SYS
${extra}
`;

  it('$SYS.REQ.SERVER.<id>.RELOAD applies the file; errors come back in the envelope', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-reload-'));
    dirs.push(dir);
    const f = join(dir, 's.conf');
    writeFileSync(f, config(''));
    const s = await startServer({ ...loadConfigFile(f, defaultOptions()), port: 0, host: '127.0.0.1', jetstream: true, store_dir: join(dir, 'js') });
    let sys: NatsConnection | null = null;
    try {
      sys = await connect({ servers: s.url, user: 'sys', pass: 'sys' });
      const id = sys.info!.server_id;
      await assert.rejects(connect({ servers: s.url, user: 'a2', pass: 'a2', reconnect: false }));
      writeFileSync(f, config(', {user: a2, password: a2}', '').replace('max_streams: 1', 'max_streams: 2'));
      const ok = (await sys.request(`$SYS.REQ.SERVER.${id}.RELOAD`, '', { timeout: 3000 })).json<Record<string, any>>();
      assert.equal(ok.error, undefined);
      assert.equal(ok.server.id, id);
      const a2 = await connect({ servers: s.url, user: 'a2', pass: 'a2' });
      const info = (await a2.request('$JS.API.INFO', '', { timeout: 2000 })).json<Record<string, any>>();
      assert.equal(info.limits.max_streams, 2);
      await a2.close();
      writeFileSync(f, config('', 'max_subscriptions: 5'));
      const bad = (await sys.request(`$SYS.REQ.SERVER.${id}.RELOAD`, '', { timeout: 3000 })).json<Record<string, any>>();
      assert.equal(bad.error.code, 500);
      assert.match(bad.error.description, /config reload not supported for MaxSubs/);
    } finally {
      await sys?.close();
      await s.stop();
    }
  });

  it('server.reload(options) applies new options directly', async () => {
    const s = await startServer({ users: [{ user: 'x', password: 'x' }] });
    try {
      const x = await connect({ servers: s.url, user: 'x', pass: 'x', reconnect: false });
      const closed = x.closed();
      s.server.reload({ ...s.server.opts, users: [{ user: 'y', password: 'y' }] });
      const err = await closed;
      assert.match(String(err), /Authorization Violation/i);
      const y = await connect({ servers: s.url, user: 'y', pass: 'y' });
      await y.close();
      assert.throws(() => s.server.reload({ ...s.server.opts, max_pending: 1 }), /config reload not supported for MaxPending/);
    } finally {
      await s.stop();
    }
  });
});
