/**
 * Accounts from the `accounts {}` block: isolated subject spaces, users bound
 * to their account, account limits (connections, payload, subscriptions) and
 * per-account JetStream (enabled with limits, or answering "not enabled").
 * The same config runs against Go's nats-server for the shared behaviours.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startServer, defaultOptions, type RunningServer } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { RawConn } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';
import { startGoServer, GO_SERVER_BIN, type GoServer } from '../helpers/go-server.js';

const CONFIG = `
accounts {
  A: {
    users: [ {user: a, password: a}, {user: a2, password: a2} ]
    jetstream: { max_streams: 1, max_mem: 64KB, max_file: 64KB }
  }
  B: {
    users: [ {user: b, password: b} ]
    limits: { max_connections: 1, max_payload: 100, max_subscriptions: 2 }
  }
}
`;

interface Target {
  name: string;
  port: number;
  url: string;
  stop(): Promise<void>;
}

async function ours(dir: string, config: string, js: boolean): Promise<Target> {
  const f = join(dir, 'ours.conf');
  writeFileSync(f, config);
  const o = loadConfigFile(f, defaultOptions());
  const s: RunningServer = await startServer({ ...o, port: 0, host: '127.0.0.1', jetstream: js, store_dir: js ? join(dir, 'js-ours') : undefined });
  return { name: 'ours', port: s.port, url: s.url, stop: () => s.stop() };
}

async function goRef(dir: string, config: string, js: boolean): Promise<Target> {
  const g: GoServer = await startGoServer(js ? ['-js', '-sd', join(dir, 'js-go')] : [], config);
  return { name: 'go', port: g.port, url: g.url, stop: () => g.stop() };
}

/** Connect raw, CONNECT as `user`, return the connection after the handshake's PONG (or the close). */
async function rawLogin(port: number, user: string): Promise<RawConn> {
  const c = await RawConn.connect(port);
  await c.info();
  c.send(`CONNECT {"verbose":false,"pedantic":false,"user":"${user}","pass":"${user}"}\r\nPING\r\n`);
  await c.waitUntil((d) => d.includes('PONG') || d.includes('-ERR'));
  return c;
}

async function request(nc: NatsConnection, subject: string, body = ''): Promise<Record<string, unknown> | string> {
  try {
    const m = await nc.request(subject, body, { timeout: 2000 });
    return m.json<Record<string, unknown>>();
  } catch (e) {
    return String((e as { code?: string }).code ?? (e as Error).message);
  }
}

for (const kind of ['ours', 'go'] as const) {
  describe(`accounts from the config file (${kind})`, { skip: kind === 'go' && !GO_SERVER_BIN }, () => {
    let dir: string;
    let t: Target;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nsts-acc-'));
      t = kind === 'ours' ? await ours(dir, CONFIG, true) : await goRef(dir, CONFIG, true);
    });
    after(async () => {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('accounts are isolated subject spaces; users of one account share it', async () => {
      const a = await connect({ servers: t.url, user: 'a', pass: 'a' });
      const a2 = await connect({ servers: t.url, user: 'a2', pass: 'a2' });
      const b = await connect({ servers: t.url, user: 'b', pass: 'b' });
      const gotA2: string[] = [];
      const gotB: string[] = [];
      const sa2 = a2.subscribe('iso.>', { callback: (_e, m) => void gotA2.push(m.subject) });
      const sb = b.subscribe('iso.>', { callback: (_e, m) => void gotB.push(m.subject) });
      await a2.flush();
      await b.flush();
      a.publish('iso.one');
      await a.flush();
      // a round trip through B's own traffic proves B had its chance to receive
      b.publish('iso.from-b');
      await b.flush();
      await a2.flush();
      const deadline = Date.now() + 2000;
      while ((gotA2.length < 1 || gotB.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(gotA2, ['iso.one']);
      assert.deepEqual(gotB, ['iso.from-b']);
      sa2.unsubscribe();
      sb.unsubscribe();
      await Promise.all([a.close(), a2.close(), b.close()]);
    });

    it('account max_connections refuses the next login with Go\'s error', async () => {
      // The previous test's connection of b may still be leaving the account on the server (Go
      // removes it asynchronously): the first login succeeds once it has.
      const first = await waitFor(async () => {
        const c = await rawLogin(t.port, 'b');
        if (c.take().includes('PONG')) return c;
        c.sock.destroy();
        return null;
      }, 5000);
      const second = await rawLogin(t.port, 'b');
      const out = await second.waitUntil(() => false, 1500);
      assert.match(out, /^-ERR 'maximum account active connections exceeded'\r\n/);
      assert.equal(second.closed, true);
      first!.sock.destroy();
    });

    it('account max_payload and max_subscriptions apply to its users', async () => {
      const c = await rawLogin(t.port, 'b');
      c.take();
      c.send('SUB s1 1\r\nSUB s2 2\r\nSUB s3 3\r\nPING\r\n');
      const subs = await c.waitUntil((d) => d.includes('PONG'));
      assert.match(subs, /-ERR 'maximum subscriptions exceeded'\r\n/);
      c.take();
      c.send(`PUB big 101\r\n${'x'.repeat(101)}\r\n`);
      const out = await c.waitUntil(() => false, 1500);
      assert.match(out, /-ERR 'Maximum Payload Violation'\r\n/);
      assert.equal(c.closed, true);
    });

    it('JetStream: an enabled account has its limits, another answers INFO with "not enabled"', async () => {
      const a = await connect({ servers: t.url, user: 'a', pass: 'a' });
      const jsm = await jetstreamManager(a);
      const info = await jsm.getAccountInfo();
      assert.equal(info.limits.max_streams, 1);
      assert.equal(info.limits.max_memory, 65536);
      assert.equal(info.limits.max_storage, 65536);
      await jsm.streams.add({ name: 'ONE', subjects: ['one'], storage: 'memory' as never });
      const second = await request(a, '$JS.API.STREAM.CREATE.TWO', JSON.stringify({ name: 'TWO', subjects: ['two'], storage: 'memory' }));
      assert.deepEqual((second as { error: unknown }).error, { code: 400, err_code: 10027, description: 'maximum number of streams reached' });
      const tooBig = await request(a, '$JS.API.STREAM.UPDATE.ONE', JSON.stringify({ name: 'ONE', subjects: ['one'], storage: 'memory', max_bytes: 1 << 20 }));
      assert.deepEqual((tooBig as { error: unknown }).error, { code: 500, err_code: 10028, description: "insufficient memory resources available" });
      await a.close();

      const b = await connect({ servers: t.url, user: 'b', pass: 'b' });
      const r = await request(b, '$JS.API.INFO');
      assert.deepEqual(r, {
        type: 'io.nats.jetstream.api.v1.account_info_response',
        error: { code: 503, err_code: 10039, description: 'JetStream not enabled for account' },
      });
      assert.deepEqual(await request(b, '$JS.API.STREAM.NAMES'), {
        type: 'io.nats.jetstream.api.v1.stream_names_response',
        error: { code: 503, err_code: 10039, description: 'JetStream not enabled for account' },
        total: 0,
        offset: 0,
        limit: 0,
        streams: null,
      });
      await b.close();
    });
  });
}

describe('accounts config errors', () => {
  const bad = (text: string, re: RegExp) => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-acc-bad-'));
    try {
      const f = join(dir, 's.conf');
      writeFileSync(f, text);
      assert.throws(() => loadConfigFile(f, defaultOptions()), re);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  it('rejects what Go rejects', () => {
    bad('accounts { $G: {} }', /"\$G" is a Reserved Account/);
    bad('accounts { A: { users: [{user: x, password: y}] }, B: { users: [{user: x, password: z}] } }', /Duplicate user "x" detected/);
    bad('accounts { A: { imports: [ {stream: {account: Z, subject: x}} ] } }', /"Z" account not defined for stream import/);
    bad('accounts { A: { exports: [ {stream: x, response: singleton} ] } }', /Detected response directive on non-service/);
    bad('accounts { A: { imports: [ {stream: {account: A, subject: x}, prefix: p, to: t} ] } }', /Stream import can not have a 'prefix' and a 'to' property/);
    bad('accounts { A: { jetstream: maybe } }', /Expected 'enabled' or 'disabled' for string value, got 'maybe'/);
    bad('accounts { A: { mappings: { foo: [ {dest: bar} ] } } }', /Missing weight for mapping destination "bar"/);
    bad('accounts { A: { mappings: { foo: [ {dest: bar, weight: 120} ] } } }', /Invalid weight 120 for mapping destination/);
    bad('authorization { token: t }\naccounts { A: { users: [{user: x, password: y}] } }', /Can not have a token and accounts/);
    bad('accounts { A: { bogus: 1 } }', /unknown field "bogus"/);
  });
});

describe('JetStream API request queue limit (ours)', () => {
  it('drops the waiting requests and sends API_LIMIT_REACHED in the system account', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-qlimit-'));
    const config = `
accounts {
  SYS: { users: [ {user: sys, password: sys} ] }
  A: { users: [ {user: a, password: a} ], jetstream: enabled }
}
system_account: SYS
jetstream { request_queue_limit: 5 }
`;
    const t = await ours(dir, config, true);
    try {
      const sys = await connect({ servers: t.url, user: 'sys', pass: 'sys' });
      const adv: Record<string, unknown>[] = [];
      sys.subscribe('$JS.EVENT.ADVISORY.API.LIMIT_REACHED', { callback: (_e, m) => void adv.push(m.json()) });
      await sys.flush();
      const a = await connect({ servers: t.url, user: 'a', pass: 'a' });
      let answers = 0;
      const inbox = `_INBOX.q.${Date.now()}`;
      a.subscribe(inbox, { callback: () => void answers++ });
      // one write: all 20 requests arrive before the API queue is drained
      for (let i = 0; i < 20; i++) a.publish('$JS.API.INFO', '', { reply: inbox });
      await a.flush();
      const deadline = Date.now() + 3000;
      while (adv.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await a.flush();
      assert.ok(adv.length >= 1, 'no advisory');
      assert.equal(adv[0].type, 'io.nats.jetstream.advisory.v1.api_limit_reached');
      assert.ok((adv[0].dropped as number) >= 5);
      assert.ok(answers < 20, `all ${answers} requests were answered`);
      await a.close();
      await sys.close();
    } finally {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
