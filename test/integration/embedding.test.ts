/**
 * The README's embedding example, as a node:test suite: start a server in
 * process, use it from a real client, stop it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { startServer, type RunningServer } from '../../src/index.js';

describe('my service', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer();
  });
  after(() => srv.stop());

  it('answers requests', async () => {
    const nc = await connect({ servers: srv.url });
    nc.subscribe('svc.echo', { callback: (_e, m) => { m.respond(m.data); } });
    const r = await nc.request('svc.echo', 'hi');
    assert.equal(r.string(), 'hi');
    await nc.close();
  });
});

describe('startServer', () => {
  it('defaults to a random port on loopback and stops cleanly (idempotent)', async () => {
    const a = await startServer();
    const b = await startServer();
    assert.notEqual(a.port, b.port);
    assert.equal(a.url, `nats://127.0.0.1:${a.port}`);
    await a.stop();
    await a.stop();
    await b.stop();
    const nc = connect({ servers: a.url, reconnect: false, timeout: 1000 });
    await assert.rejects(nc);
  });

  it('is AsyncDisposable', async () => {
    let port = 0;
    {
      await using s = await startServer();
      port = s.port;
      const nc = await connect({ servers: s.url });
      await nc.close();
    }
    await assert.rejects(connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 1000 }));
  });

  it('takes server options and a log sink', async () => {
    const lines: string[] = [];
    const s = await startServer({ max_payload: 2048, server_name: 'embedded-1', logSink: (l) => lines.push(l) });
    try {
      const nc = await connect({ servers: s.url });
      assert.equal(nc.info?.max_payload, 2048);
      assert.equal(nc.info?.server_name, 'embedded-1');
      await nc.close();
      assert.ok(lines.some((l) => /\[INF\] Server is ready$/.test(l)), 'log lines in Go format');
      assert.match(lines[0], /^\[\d+\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} \[INF\] /);
    } finally {
      await s.stop();
    }
  });
});
