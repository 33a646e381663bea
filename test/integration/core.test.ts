/**
 * Core pub/sub driven by the real nats.js client against an embedded server.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type RunningServer } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';

describe('core messaging with @nats-io/transport-node', () => {
  let srv: RunningServer;
  const conns: NatsConnection[] = [];
  const open = async (opts: Record<string, unknown> = {}) => {
    const nc = await connect({ servers: srv.url, ...opts });
    conns.push(nc);
    return nc;
  };

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await srv.stop();
  });

  it('sends an INFO the client understands', async () => {
    const nc = await open();
    const info = nc.info!;
    assert.equal(info.server_id, srv.server.id);
    assert.match(info.server_id, /^N[A-Z2-7]{55}$/);
    assert.equal(info.proto, 1);
    assert.equal(info.headers, true);
    assert.equal(info.max_payload, 1024 * 1024);
    assert.equal(info.port, srv.port);
    assert.equal(typeof info.client_id, 'number');
    assert.equal(info.client_ip, '127.0.0.1');
  });

  it('delivers published messages to subscribers, with wildcards', async () => {
    const nc = await open();
    const got: string[] = [];
    const sub = nc.subscribe('orders.*.created', { max: 3, callback: (_e, m) => { got.push(`${m.subject}:${m.string()}`); } });
    const all = nc.subscribe('orders.>', { max: 4 });
    await nc.flush();
    nc.publish('orders.1.created', 'a');
    nc.publish('orders.2.created', 'b');
    nc.publish('orders.2.deleted', 'c');
    nc.publish('orders.3.created', 'd');
    await sub.closed;
    assert.deepEqual(got, ['orders.1.created:a', 'orders.2.created:b', 'orders.3.created:d']);
    const seen: string[] = [];
    for await (const m of all) seen.push(m.subject);
    assert.deepEqual(seen, ['orders.1.created', 'orders.2.created', 'orders.2.deleted', 'orders.3.created']);
  });

  it('request/reply works, and no responders answers 503 to a request nobody takes', async () => {
    const nc = await open();
    nc.subscribe('svc.echo', { callback: (_e, m) => { m.respond(m.data); } });
    await nc.flush();
    const r = await nc.request('svc.echo', 'ping', { timeout: 2000 });
    assert.equal(r.string(), 'ping');
    await assert.rejects(nc.request('svc.nobody', 'x', { timeout: 2000 }), (e: Error) => /no responders/i.test(e.message) || (e as { code?: string }).code === '503');
  });

  it('carries headers end to end', async () => {
    const nc = await open();
    const sub = nc.subscribe('hdr.test', { max: 1 });
    await nc.flush();
    const h = headers();
    h.set('X-Trace', 'abc');
    h.append('X-Multi', '1');
    h.append('X-Multi', '2');
    nc.publish('hdr.test', 'body', { headers: h });
    for await (const m of sub) {
      assert.equal(m.headers?.get('X-Trace'), 'abc');
      assert.deepEqual(m.headers?.values('X-Multi'), ['1', '2']);
      assert.equal(m.string(), 'body');
    }
  });

  it('spreads queue group messages across members and delivers each once', async () => {
    const a = await open();
    const b = await open();
    let na = 0;
    let nb = 0;
    a.subscribe('work', { queue: 'w', callback: () => { na++; } });
    b.subscribe('work', { queue: 'w', callback: () => { nb++; } });
    await Promise.all([a.flush(), b.flush()]);
    const p = await open();
    for (let k = 0; k < 1000; k++) p.publish('work', 'x');
    await p.flush();
    await waitFor(() => na + nb === 1000, 5000);
    assert.ok(na > 100 && nb > 100, `both members got work: ${na}/${nb}`);
  });

  it('honours echo:false (noEcho)', async () => {
    const nc = await open({ noEcho: true });
    const other = await open();
    const got: string[] = [];
    nc.subscribe('echo.test', { callback: (_e, m) => { got.push(m.string()); } });
    await nc.flush();
    nc.publish('echo.test', 'self');
    other.publish('echo.test', 'other');
    await other.flush();
    await waitFor(() => got.length === 1);
    await nc.flush();
    assert.deepEqual(got, ['other']);
  });

  it('moves large payloads intact, split across reads', async () => {
    const nc = await open();
    const payload = new Uint8Array(900 * 1024);
    for (let k = 0; k < payload.length; k++) payload[k] = (k * 31) & 0xff;
    const sub = nc.subscribe('big', { max: 3 });
    await nc.flush();
    for (let k = 0; k < 3; k++) nc.publish('big', payload);
    let n = 0;
    for await (const m of sub) {
      assert.equal(m.data.length, payload.length);
      assert.ok(Buffer.from(m.data).equals(Buffer.from(payload)));
      n++;
    }
    assert.equal(n, 3);
  });

  it('rejects a payload over max_payload the way Go does (client sees the error)', async () => {
    const nc = await open();
    assert.throws(() => nc.publish('x', new Uint8Array(2 * 1024 * 1024)), /payload/i);
  });

  it('keeps per-connection and server statistics', async () => {
    const before = srv.server.stats.inMsgs;
    const nc = await open();
    nc.publish('stats.x', 'abc');
    await nc.flush();
    assert.equal(srv.server.stats.inMsgs, before + 1);
  });
});
