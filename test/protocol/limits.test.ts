/**
 * Limits enforced as the Go server enforces them, checked at the byte level
 * against our server and, where the Go 2.9.10 reference shares the behaviour,
 * against the Go server with the same settings.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn } from '../helpers/raw.js';
import { startGoServer, GO_SERVER_BIN } from '../helpers/go-server.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';
import { ClosedReason } from '../../src/conn/closed-reason.js';
import { waitFor } from '../helpers/wait.js';

const C = 'CONNECT {"verbose":false,"pedantic":false}\r\n';

interface Target {
  name: string;
  port: number;
  stop(): Promise<void>;
}

/** Our server with `opts`, and (when installed) Go's with the equivalent config text. */
async function targets(opts: StartOptions, goConfig: string): Promise<Target[]> {
  const ours: RunningServer = await startServer(opts);
  const t: Target[] = [{ name: 'ours', port: ours.port, stop: () => ours.stop() }];
  if (GO_SERVER_BIN) {
    const g = await startGoServer([], goConfig);
    t.push({ name: 'go', port: g.port, stop: () => g.stop() });
  }
  return t;
}

async function script(port: number, s: string): Promise<{ out: string; closed: boolean }> {
  const c = await RawConn.connect(port);
  await c.info();
  c.send(s);
  const out = await c.waitUntil((d) => d.endsWith('PONG\r\n'), 3000);
  const closed = c.closed;
  c.close();
  return { out, closed };
}

describe('limits', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const f of cleanup) await f();
  });

  it('max_payload: -ERR Maximum Payload Violation and close', async () => {
    for (const t of await targets({ max_payload: 100 }, 'max_payload: 100\n')) {
      cleanup.push(t.stop);
      const c = await RawConn.connect(t.port);
      const info = await c.info();
      assert.equal(info.max_payload, 100, t.name);
      c.send(C + 'PUB foo 100\r\n' + 'x'.repeat(100) + '\r\n');
      assert.equal(await c.flush(), '', t.name);
      c.send('PUB foo 101\r\n');
      assert.equal(await c.waitClosed(), "-ERR 'Maximum Payload Violation'\r\n", t.name);
    }
  });

  it('max_control_line: -ERR maximum control line exceeded and close', async () => {
    for (const t of await targets({ max_control_line: 64 }, 'max_control_line: 64\n')) {
      cleanup.push(t.stop);
      const c = await RawConn.connect(t.port);
      await c.info();
      c.send(C);
      assert.equal(await c.flush(), '', t.name);
      c.send('SUB ' + 'a'.repeat(80) + ' 1\r\n');
      assert.equal(await c.waitClosed(), "-ERR 'maximum control line exceeded'\r\n", t.name);
    }
  });

  it('max_connections: -ERR maximum connections exceeded after INFO', async () => {
    for (const t of await targets({ max_connections: 1 }, 'max_connections: 1\n')) {
      cleanup.push(t.stop);
      const a = await RawConn.connect(t.port);
      await a.info();
      a.send(C);
      await a.flush();
      const b = await RawConn.connect(t.port);
      const info = await b.info();
      assert.ok(info.server_id, t.name);
      assert.equal(await b.waitClosed(), "-ERR 'maximum connections exceeded'\r\n", t.name);
      a.close();
    }
  });

  it('max_subscriptions: -ERR maximum subscriptions exceeded, connection stays open', async () => {
    for (const t of await targets({ max_subscriptions: 2 }, 'max_subscriptions: 2\n')) {
      cleanup.push(t.stop);
      const r = await script(t.port, C + 'SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n');
      assert.deepEqual(r, { out: "-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n", closed: false }, t.name);
    }
  });

  it('auth_timeout: -ERR Authentication Timeout when CONNECT never comes', async () => {
    for (const t of await targets({ authorization: 's3cret', auth_timeout: 300, auth_timeout_set: true }, 'authorization { token: s3cret, timeout: 0.3 }\n')) {
      cleanup.push(t.stop);
      const c = await RawConn.connect(t.port);
      const info = await c.info();
      assert.equal(info.auth_required, true, t.name);
      assert.equal(await c.waitClosed(3000), "-ERR 'Authentication Timeout'\r\n", t.name);
    }
  });

  it('stale connection: PINGs unanswered beyond ping_max close the connection', async () => {
    const srv = await startServer({ ping_interval: 100, ping_max: 2 });
    cleanup.push(() => srv.stop());
    const c = await RawConn.connect(srv.port);
    await c.info();
    c.send(C);
    const out = await c.waitClosed(5000);
    assert.equal(out, "PING\r\nPING\r\n-ERR 'Stale Connection'\r\n");
    await waitFor(() => srv.server.stats.staleConnections === 1);
    const closed = srv.server.closedClients.list().at(-1);
    assert.equal(closed?.reason, ClosedReason.StaleConnection);
  });

  it('answered PINGs keep the connection alive', async () => {
    const srv = await startServer({ ping_interval: 50, ping_max: 1 });
    cleanup.push(() => srv.stop());
    const c = await RawConn.connect(srv.port);
    await c.info();
    c.send(C);
    let pongs = 0;
    while (pongs < 5) {
      const d = await c.waitUntil((x) => x.includes('PING\r\n'), 3000);
      assert.ok(d.includes('PING\r\n'), 'server pings');
      c.take();
      c.send('PONG\r\n');
      pongs++;
    }
    assert.equal(c.closed, false);
    c.close();
  });

  it('max_pending: a subscriber that does not read is closed as a slow consumer, without -ERR', async () => {
    const srv = await startServer({ max_pending: 256 * 1024 });
    cleanup.push(() => srv.stop());
    const slow = await RawConn.connect(srv.port);
    await slow.info();
    slow.send(C + 'SUB firehose 1\r\n');
    await slow.flush();
    slow.sock.pause(); // stop reading: the kernel buffers fill, then ours
    const pub = await RawConn.connect(srv.port);
    await pub.info();
    pub.send(C);
    const chunk = ('PUB firehose 1000\r\n' + 'x'.repeat(1000) + '\r\n').repeat(100);
    await waitFor(async () => {
      pub.send(chunk);
      await pub.flush();
      return srv.server.stats.slowConsumers > 0;
    }, 15000);
    const closed = srv.server.closedClients.list().find((c) => c.client.cid !== undefined && c.reason === ClosedReason.SlowConsumerPendingBytes);
    assert.ok(closed, 'closed as slow consumer');
    // the publisher is unaffected
    assert.equal(await pub.flush(), '');
    pub.close();
    slow.close();
  });

  it('write_deadline: a subscriber whose socket stays blocked is closed as a slow consumer', async () => {
    const srv = await startServer({ write_deadline: 200, max_pending: 512 * 1024 * 1024 });
    cleanup.push(() => srv.stop());
    const slow = await RawConn.connect(srv.port);
    await slow.info();
    slow.send(C + 'SUB firehose 1\r\n');
    await slow.flush();
    slow.sock.pause();
    const pub = await RawConn.connect(srv.port);
    await pub.info();
    pub.send(C);
    const chunk = ('PUB firehose 1000\r\n' + 'x'.repeat(1000) + '\r\n').repeat(100);
    await waitFor(async () => {
      pub.send(chunk);
      await pub.flush();
      return srv.server.closedClients.list().some((c) => c.reason === ClosedReason.SlowConsumerWriteDeadline);
    }, 15000);
    assert.ok(srv.server.stats.slowConsumers >= 1);
    pub.close();
    slow.close();
  });

  it('verbose mode acknowledges CONNECT, SUB, PUB and UNSUB with +OK', async () => {
    const srv = await startServer();
    cleanup.push(() => srv.stop());
    const r = await script(srv.port, 'CONNECT {"verbose":true}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\nUNSUB 1\r\nPING\r\n');
    assert.equal(r.out, '+OK\r\n+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\n+OK\r\nPONG\r\n');
  });

  it('max_connections 0 in a config rejects everyone (Go quirk), omitted means the default', async () => {
    const srv = await startServer({ max_connections: -1 });
    cleanup.push(() => srv.stop());
    const c = await RawConn.connect(srv.port);
    await c.info();
    assert.equal(await c.waitClosed(), "-ERR 'maximum connections exceeded'\r\n");
  });
});
