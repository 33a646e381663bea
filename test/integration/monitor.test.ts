/**
 * Monitoring endpoints: JSON shapes and values, query handling, and the
 * field sets compared with Debian's Go server.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type RunningServer } from '../../src/index.js';
import { startGoServer, GO_SERVER_BIN } from '../helpers/go-server.js';
import { RawConn } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';

const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, headers: r.headers, text: await r.text() };
};
const json = async (url: string) => JSON.parse((await get(url)).text) as Record<string, any>;

describe('monitoring', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  before(async () => {
    srv = await startServer({ http_port: -1 });
    nc = await connect({ servers: srv.url, name: 'mon-client' });
    nc.subscribe('mon.a');
    nc.subscribe('mon.*', { queue: 'q' });
    nc.publish('mon.a', 'xyz');
    await nc.flush();
  });
  after(async () => {
    await nc.close();
    await srv.stop();
  });

  it('/varz reports identity, limits and counters', async () => {
    const r = await get(`${srv.monitorUrl}/varz`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.ok(r.text.includes('\n  "server_id"'), 'indented like Go');
    const v = JSON.parse(r.text);
    assert.equal(v.server_id, srv.server.id);
    assert.equal(v.port, srv.port);
    assert.equal(v.max_payload, 1048576);
    assert.equal(v.ping_interval, 120_000_000_000);
    assert.equal(v.connections, 1);
    assert.ok(v.in_msgs >= 1);
    assert.ok(v.subscriptions >= 2);
    assert.match(v.start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(v.http_req_stats['/varz'] >= 1, true);
  });

  it('/connz lists connections with subs, sorting, paging and cid', async () => {
    const c = await json(`${srv.monitorUrl}/connz?subs=1`);
    assert.equal(c.num_connections, 1);
    const conn = c.connections[0];
    assert.equal(conn.name, 'mon-client');
    assert.equal(conn.lang, 'nats.js');
    assert.deepEqual(conn.subscriptions_list.sort(), ['mon.*', 'mon.a']);
    const d = await json(`${srv.monitorUrl}/connz?subs=detail&cid=${conn.cid}`);
    assert.equal(d.connections[0].subscriptions_list_detail.find((x: any) => x.qgroup === 'q').subject, 'mon.*');
    const second = await connect({ servers: srv.url });
    await second.flush();
    const paged = await json(`${srv.monitorUrl}/connz?limit=1&offset=1&sort=cid`);
    assert.equal(paged.total, 2);
    assert.equal(paged.connections.length, 1);
    assert.equal(paged.connections[0].cid > conn.cid, true);
    await second.close();
    await waitFor(async () => (await json(`${srv.monitorUrl}/connz?state=closed`)).total >= 1);
    const closed = await json(`${srv.monitorUrl}/connz?state=closed`);
    assert.equal(closed.connections[0].reason, 'Client Closed');
    assert.ok(closed.connections[0].stop);
    const bad = await get(`${srv.monitorUrl}/connz?sort=nope`);
    assert.equal(bad.status, 400);
    assert.equal(bad.text, 'invalid sorting option: nope');
  });

  it('/subsz gives sublist stats and can test a subject', async () => {
    const s = await json(`${srv.monitorUrl}/subsz?subs=1`);
    assert.ok(s.num_subscriptions >= 2);
    assert.ok(s.subscriptions_list.some((x: any) => x.subject === 'mon.a'));
    const t = await json(`${srv.monitorUrl}/subsz?subs=1&test=mon.b`);
    assert.deepEqual(t.subscriptions_list.map((x: any) => x.subject), ['mon.*']);
  });

  it('/healthz, index page and unknown paths', async () => {
    assert.deepEqual(await json(`${srv.monitorUrl}/healthz`), { status: 'ok' });
    const idx = await get(`${srv.monitorUrl}/`);
    assert.match(idx.text, /href="\/varz"/);
    assert.equal((await get(`${srv.monitorUrl}/nope`)).status, 404);
    assert.equal((await json(`${srv.monitorUrl}/routez`)).num_routes, 0);
  });

  it('http_base_path prefixes every endpoint', async () => {
    const s = await startServer({ http_port: -1, http_base_path: '/nats' });
    try {
      assert.equal((await json(`${s.monitorUrl}/nats/varz`)).server_id, s.server.id);
    } finally {
      await s.stop();
    }
  });

  it('field sets match the Go server for /varz, /connz and /subsz', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async () => {
    const go = await startGoServer(['-m', '-1']);
    try {
      const goMon = `http://127.0.0.1:${go.monitorPort}`;
      const raw = await RawConn.connect(go.port);
      await raw.info();
      raw.send('CONNECT {"verbose":false,"name":"x","lang":"go","version":"1"}\r\nSUB foo 1\r\nPUB foo 1\r\na\r\n');
      await raw.flush();
      const ours = await RawConn.connect(srv.port);
      await ours.info();
      ours.send('CONNECT {"verbose":false,"name":"x","lang":"go","version":"1"}\r\nSUB foo 1\r\nPUB foo 1\r\na\r\n');
      await ours.flush();
      const missing = (g: Record<string, unknown>, o: Record<string, unknown>) => Object.keys(g).filter((k) => !(k in o));
      assert.deepEqual(missing(await json(`${goMon}/varz`), await json(`${srv.monitorUrl}/varz`)), []);
      const gc = (await json(`${goMon}/connz?subs=detail`)).connections[0];
      const oc = (await json(`${srv.monitorUrl}/connz?subs=detail`)).connections.find((c: any) => c.lang === 'go');
      assert.deepEqual(missing(gc, oc), []);
      assert.deepEqual(missing(await json(`${goMon}/subsz`), await json(`${srv.monitorUrl}/subsz`)), []);
      assert.deepEqual(missing(await json(`${goMon}/connz`), await json(`${srv.monitorUrl}/connz`)), []);
      raw.close();
      ours.close();
    } finally {
      await go.stop();
    }
  });
});
