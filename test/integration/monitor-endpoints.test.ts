/**
 * Monitoring endpoints with real clients: /connz options (sorting, paging,
 * auth, subs, cid, state, user, acc, mqtt_client) and closed-connection
 * reasons, /subsz, /accountz, /accstatz, /healthz, the runtime endpoints
 * (/stacksz, /debug/vars, /ipqueuesz, /raftz), the non-clustered /routez,
 * /gatewayz, /leafz, http_base_path, and Go's exact 400 texts.
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
import { redactArgs } from '../../src/monitor/runtime.js';
import { RawConn } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';

const ACCOUNTS_CONFIG = `
max_payload: 1000
accounts {
  A: {
    users: [ {user: a, password: a}, {user: a2, password: a2} ]
    exports: [ {stream: "pub.>"}, {service: "svc.>", accounts: [B]} ]
    mappings: { "m.1": "m.2" }
  }
  B: {
    users: [ {user: b, password: b} ]
    imports: [ {stream: {account: A, subject: "pub.>"}, prefix: "fromA"}, {service: {account: A, subject: "svc.x"}, to: "local.x"} ]
  }
}
`;

const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, headers: r.headers, text: await r.text() };
};
const json = async (url: string) => JSON.parse((await get(url)).text) as Record<string, any>;

async function startFromConfig(dir: string, text: string, extra: Record<string, unknown> = {}): Promise<RunningServer> {
  const f = join(dir, 'server.conf');
  writeFileSync(f, text);
  const o = loadConfigFile(f, defaultOptions());
  return startServer({ ...o, port: 0, host: '127.0.0.1', http_port: -1, ...extra });
}

describe('monitoring endpoints (accounts config)', () => {
  let dir: string;
  let srv: RunningServer;
  let mon: string;
  const clients: NatsConnection[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mon-'));
    srv = await startFromConfig(dir, ACCOUNTS_CONFIG);
    mon = srv.monitorUrl!;
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const login = async (user: string, name?: string) => {
    const nc = await connect({ servers: srv.url, user, pass: user, name });
    clients.push(nc);
    return nc;
  };

  it('/connz sorts, pages and filters with Go semantics', async () => {
    const a = await login('a', 'a-client');
    const a2 = await login('a2', 'a2-client');
    const b = await login('b', 'b-client');
    for (let i = 0; i < 3; i++) a.subscribe(`s.a.${i}`);
    b.subscribe('s.b');
    for (let i = 0; i < 5; i++) a2.publish('x', 'hello');
    a.publish('x', 'hi');
    await Promise.all([a.flush(), a2.flush(), b.flush()]);
    await waitFor(async () => (await json(`${mon}/connz`)).connections.some((c: any) => c.in_msgs === 5));

    const byCid = await json(`${mon}/connz`);
    assert.equal(byCid.total, 3);
    assert.equal(byCid.limit, 1024);
    const cids = byCid.connections.map((c: any) => c.cid);
    assert.deepEqual(cids, [...cids].sort((x: number, y: number) => x - y));

    const bySubs = await json(`${mon}/connz?sort=subs`);
    assert.equal(bySubs.connections[0].name, 'a-client', 'most subscriptions first');
    const byMsgsFrom = await json(`${mon}/connz?sort=msgs_from`);
    assert.equal(byMsgsFrom.connections[0].name, 'a2-client', 'most messages received from the client first');
    assert.equal(byMsgsFrom.connections[0].in_msgs, 5);
    const byUptime = await json(`${mon}/connz?sort=uptime`);
    assert.equal(byUptime.connections[0].name, 'b-client', 'uptime sorts shortest first');
    for (const s of ['start', 'pending', 'msgs_to', 'bytes_to', 'bytes_from', 'last', 'idle', 'rtt']) {
      assert.equal((await get(`${mon}/connz?sort=${s}`)).status, 200, s);
    }

    const page = await json(`${mon}/connz?offset=1&limit=1`);
    assert.equal(page.num_connections, 1);
    assert.equal(page.total, 3);
    assert.equal(page.connections[0].cid, cids[1]);
    const past = await json(`${mon}/connz?offset=10`);
    assert.deepEqual(past.connections, []);

    const one = await json(`${mon}/connz?cid=${cids[2]}`);
    assert.equal(one.limit, 1);
    assert.equal(one.connections.length, 1);
    assert.equal(one.connections[0].cid, cids[2]);

    // auth: user and account (not for $G), name_tag
    const auth = await json(`${mon}/connz?auth=true&sort=cid`);
    assert.deepEqual(auth.connections.map((c: any) => c.authorized_user), ['a', 'a2', 'b']);
    assert.deepEqual(auth.connections.map((c: any) => c.account), ['A', 'A', 'B']);
    const noAuth = await json(`${mon}/connz`);
    assert.equal(noAuth.connections[0].authorized_user, undefined);

    const accA = await json(`${mon}/connz?acc=A`);
    assert.equal(accA.total, 2);
    const userB = await json(`${mon}/connz?user=b&auth=1`);
    assert.equal(userB.connections.length, 1);
    assert.equal(userB.connections[0].name, 'b-client');
    assert.equal(userB.total, 3, 'total counts before the user filter, as Go');
    assert.equal((await json(`${mon}/connz?mqtt_client=x`)).connections.length, 0);
    const unknownAcc = await json(`${mon}/connz?acc=NOPE`);
    assert.equal(unknownAcc.connections, null);

    const subs = await json(`${mon}/connz?subs=true&acc=B`);
    assert.deepEqual(subs.connections[0].subscriptions_list, ['s.b']);
    const det = await json(`${mon}/connz?subs=detail&acc=B`);
    assert.deepEqual(Object.keys(det.connections[0].subscriptions_list_detail[0]).sort(), ['cid', 'msgs', 'sid', 'subject']);

    const fs = await json(`${mon}/connz?acc=A&filter_subject=s.a.1`);
    assert.deepEqual(fs.connections.map((c: any) => c.name), ['a-client']);
  });

  it('/connz rejects bad values with Go texts', async () => {
    const cases: [string, string][] = [
      ['sort=nope', 'invalid sorting option: nope'],
      ['sort=stop', 'sort by stop only valid on closed connections'],
      ['sort=reason&state=any', 'sort by reason only valid on closed connections'],
      ['state=x', 'Error decoding state for x'],
      ['subs=x', `Error decoding boolean for 'subs': strconv.ParseBool: parsing "x": invalid syntax`],
      ['auth=yes', `Error decoding boolean for 'auth': strconv.ParseBool: parsing "yes": invalid syntax`],
      ['offset=1.5', `Error decoding int for 'offset': strconv.Atoi: parsing "1.5": invalid syntax`],
      ['cid=-1', `Error decoding uint64 for 'cid': strconv.ParseUint: parsing "-1": invalid syntax`],
      ['filter_subject=foo', 'filter by subject only valid with account filtering'],
    ];
    for (const [qs, text] of cases) {
      const r = await get(`${mon}/connz?${qs}`);
      assert.equal(r.status, 400, qs);
      assert.equal(r.text, text, qs);
    }
  });

  it('/connz?state=closed records Go close reasons', async () => {
    // client close
    const c1 = await connect({ servers: srv.url, user: 'a', pass: 'a', name: 'closer' });
    await c1.close();
    // authentication failure
    const bad = await RawConn.connect(srv.port);
    await bad.info();
    bad.send('CONNECT {"verbose":false,"user":"a","pass":"wrong"}\r\nPING\r\n');
    await bad.waitUntil((d) => d.includes('-ERR'));
    // maximum payload (server max_payload is 1000)
    const big = await RawConn.connect(srv.port);
    await big.info();
    big.send(`CONNECT {"verbose":false,"user":"b","pass":"b","name":"big"}\r\nPUB x 2000\r\n`);
    await big.waitUntil((d) => d.includes('-ERR'));
    // parse error
    const junk = await RawConn.connect(srv.port);
    await junk.info();
    junk.send('CONNECT {"verbose":false,"user":"b","pass":"b"}\r\nXYZZY\r\n');
    await junk.waitUntil((d) => d.includes('-ERR'));
    const want = ['Client Closed', 'Authentication Failure', 'Maximum Message Payload Exceeded', 'Parse Error'];
    const closed = await waitFor(async () => {
      const z = await json(`${mon}/connz?state=closed&auth=true`);
      const reasons = z.connections.map((c: any) => c.reason);
      return want.every((w) => reasons.includes(w)) ? z : null;
    });
    bad.close();
    big.close();
    junk.close();
    assert.ok(closed);
    const closer = closed.connections.find((c: any) => c.name === 'closer');
    assert.equal(closer.reason, 'Client Closed');
    assert.equal(closer.authorized_user, 'a');
    assert.equal(closer.account, 'A');
    assert.match(closer.stop, /Z$/);
    assert.equal(closed.connections.find((c: any) => c.name === 'big').reason, 'Maximum Message Payload Exceeded');

    const byReason = await json(`${mon}/connz?state=closed&sort=reason`);
    const reasons = byReason.connections.map((c: any) => c.reason);
    assert.deepEqual(reasons, [...reasons].sort());
    const byStop = await json(`${mon}/connz?state=closed&sort=stop`);
    const stops = byStop.connections.map((c: any) => Date.parse(c.stop));
    assert.deepEqual(stops, [...stops].sort((x, y) => y - x), 'stop sorts most recent first');
    const any = await json(`${mon}/connz?state=all`);
    const open = await json(`${mon}/connz`);
    assert.equal(any.total, open.total + byStop.total);
    const closedA = await json(`${mon}/connz?state=closed&acc=A`);
    assert.ok(closedA.connections.some((c: any) => c.name === 'closer'));
    assert.ok(!closedA.connections.some((c: any) => c.name === 'big'));
    const oneClosed = await json(`${mon}/connz?state=closed&cid=${closer.cid}`);
    assert.equal(oneClosed.connections[0].name, 'closer');
  });

  it('/subsz counts, lists, tests and filters by account', async () => {
    const s = await json(`${mon}/subsz`);
    assert.ok(s.num_subscriptions >= 4);
    assert.equal(s.subscriptions_list, undefined);
    assert.equal(s.total, 0);
    const l = await json(`${mon}/subsz?subs=1&acc=A`);
    assert.ok(l.subscriptions_list.every((x: any) => x.account === 'A'));
    assert.ok(l.subscriptions_list.some((x: any) => x.subject === 's.a.0'));
    const t = await json(`${mon}/subsz?subs=1&test=s.a.2`);
    assert.deepEqual(t.subscriptions_list.map((x: any) => x.subject), ['s.a.2']);
    const p = await json(`${mon}/subsz?subs=1&acc=A&limit=1&offset=1`);
    assert.equal(p.subscriptions_list.length, 1);
    assert.equal(p.total, l.total);
    const noList = await json(`${mon}/subsz?test=s.a.2`);
    assert.equal(noList.subscriptions_list, undefined, 'test without subs only validates, as Go');
    const bad = await get(`${mon}/subsz?test=s.*`);
    assert.equal(bad.status, 400);
    assert.equal(bad.text, 'invalid test subject, must be valid publish subject: s.*');
    assert.equal((await get(`${mon}/subsz?subs=detail`)).status, 400);
    assert.equal((await json(`${mon}/subscriptionsz`)).num_subscriptions, s.num_subscriptions);
  });

  it('/accountz lists accounts and details imports, exports and mappings', async () => {
    const list = await json(`${mon}/accountz`);
    assert.equal(list.system_account, '$SYS');
    for (const n of ['$G', '$SYS', 'A', 'B']) assert.ok(list.accounts.includes(n), n);
    const a = (await json(`${mon}/accountz?acc=A`)).account_detail;
    assert.equal(a.account_name, 'A');
    assert.equal(a.is_system, undefined);
    assert.equal(a.jetstream_enabled, false);
    assert.equal(a.client_connections, 2);
    assert.deepEqual(a.mappings, { 'm.1': [{ subject: 'm.2', weight: 100 }] });
    const svc = a.exports.find((e: any) => e.type === 'service');
    assert.deepEqual(svc, { subject: 'svc.>', type: 'service', response_type: 'Singleton', approved_accounts: ['B'] });
    assert.deepEqual(a.exports.find((e: any) => e.type === 'stream'), { subject: 'pub.>', type: 'stream' });
    assert.ok(a.sublist_stats.num_subscriptions >= 3);
    const b = (await json(`${mon}/accountz?acc=B`)).account_detail;
    const si = b.imports.find((i: any) => i.type === 'stream');
    assert.deepEqual(si, { subject: 'pub.>', account: 'A', local_subject: 'fromA.pub.>', type: 'stream', invalid: false, share: false, tracking: false });
    const svi = b.imports.find((i: any) => i.account === 'A' && i.type === 'service');
    assert.equal(svi.subject, 'svc.x');
    assert.equal(svi.local_subject, 'local.x');
    assert.ok(b.imports.some((i: any) => i.account === '$SYS' && i.local_subject === '$SYS.REQ.ACCOUNT.PING.CONNZ'));
    const sys = (await json(`${mon}/accountz?acc=$SYS`)).account_detail;
    assert.equal(sys.is_system, true);
    const bad = await get(`${mon}/accountz?acc=NOPE`);
    assert.equal(bad.status, 400);
    assert.equal(bad.text, 'Account NOPE does not exist');
  });

  it('/accstatz reports used accounts, or all with unused', async () => {
    const z = await json(`${mon}/accstatz`);
    const names = z.account_statz.map((x: any) => x.acc).sort();
    assert.deepEqual(names, ['A', 'B']);
    const a = z.account_statz.find((x: any) => x.acc === 'A');
    assert.equal(a.conns, 2);
    assert.ok(a.received.msgs >= 6, 'received counts messages from the account\'s clients, closed ones included');
    assert.deepEqual(Object.keys(a.sent).sort(), ['bytes', 'gateways', 'leafs', 'msgs', 'routes']);
    const all = await json(`${mon}/accstatz?unused=true`);
    assert.ok(all.account_statz.some((x: any) => x.acc === '$G'));
    const some = await json(`${mon}/accstatz?unused=1&accs=B`);
    assert.deepEqual(some.account_statz.map((x: any) => x.acc), ['B']);
    assert.equal((await get(`${mon}/accstatz?unused=maybe`)).status, 400);
  });

  it('non-clustered /routez, /gatewayz, /leafz, /ipqueuesz and /raftz answer as Go', async () => {
    const r = await json(`${mon}/routez`);
    assert.deepEqual([r.num_routes, r.routes], [0, []]);
    assert.equal(r.server_name, srv.server.name);
    const g = await json(`${mon}/gatewayz?accs=1`);
    assert.deepEqual([g.outbound_gateways, g.inbound_gateways, g.name], [{}, {}, undefined]);
    const l = await json(`${mon}/leafz?subs=true`);
    assert.deepEqual([l.leafnodes, l.leafs], [0, []]);
    const q = await get(`${mon}/ipqueuesz?all=1`);
    assert.equal(q.text, '{}');
    assert.equal(q.headers.get('content-type'), 'application/json');
    const rz = await get(`${mon}/raftz`);
    assert.equal(rz.status, 404);
    assert.equal(rz.text, 'No Raft nodes registered');
  });

  it('/stacksz and /debug/vars report what the process can', async () => {
    const s = await get(`${mon}/stacksz`);
    assert.equal(s.status, 200);
    assert.match(s.text, /active resources \(\d+\):/);
    assert.match(s.text, /TCP\w*Wrap: \d+/);
    assert.match(s.text, /current JavaScript stack/);
    const v = await get(`${mon}/debug/vars`);
    assert.equal(v.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.ok(v.text.startsWith('{\n"cmdline": '));
    const body = JSON.parse(v.text);
    assert.ok(Array.isArray(body.cmdline));
    assert.ok(body.memstats.HeapAlloc > 0 && body.memstats.Sys > 0);
    assert.deepEqual(redactArgs(['-c', 'x.conf', '--pass', 's3cret', '--user=bob', '--routes', 'nats://u:p@h:4248,nats://h2:1']), [
      '-c', 'x.conf', '--pass', '[REDACTED]', '--user=[REDACTED]', '--routes', 'nats://[REDACTED]@h:4248,nats://h2:1',
    ]);
  });

  it('/varz counts requests per Go path and unknown or trailing-slash paths are 404', async () => {
    await get(`${mon}/subscriptionsz`);
    await get(`${mon}/stacksz`);
    const v = await json(`${mon}/varz`);
    assert.ok(v.http_req_stats['/subsz'] >= 2);
    assert.equal(v.http_req_stats['/stacksz'], undefined, 'Go does not count /stacksz');
    assert.equal(v.write_timeout, undefined, 'default write_timeout policy is omitted as Go');
    assert.deepEqual(v.disk_io_wait_stats, { waiters: 0, waits: 0, wait_time: 0, max_wait_time: 0 });
    assert.equal((await get(`${mon}/varz/`)).status, 404);
    assert.equal((await get(`${mon}/nope`)).status, 404);
    const cb = await get(`${mon}/varz?callback=cb`);
    assert.equal(cb.headers.get('content-type'), 'application/json', 'no JSONP (removed from Go)');
  });
});

describe('/healthz and http_base_path', () => {
  it('ok without JetStream; js flags; Go status codes for JetStream targets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monh-'));
    const plain = await startServer({ http_port: -1 });
    const js = await startServer({ http_port: -1, jetstream: true, store_dir: join(dir, 'js') });
    try {
      const ok = await get(`${plain.monitorUrl}/healthz`);
      assert.equal(ok.status, 200);
      assert.equal(ok.text, '{"status":"ok"}');
      assert.equal((await get(`${plain.monitorUrl}/healthz?js-enabled-only=true`)).text, '{"status":"ok"}');
      assert.equal((await get(`${plain.monitorUrl}/healthz?js-server-only=1`)).status, 200);
      const bad = await get(`${plain.monitorUrl}/healthz?js-enabled-only=nope`);
      assert.equal(bad.status, 400);

      const m = js.monitorUrl!;
      assert.equal((await get(`${m}/healthz?js-enabled-only=true`)).text, '{"status":"ok"}');
      const nc = await connect({ servers: js.url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'S', subjects: ['s.>'] });
      await jsm.consumers.add('S', { durable_name: 'C' });
      await nc.close();
      assert.equal((await get(`${m}/healthz?account=$G&stream=S&consumer=C`)).status, 200);
      const noStream = await get(`${m}/healthz?account=$G&stream=T`);
      assert.equal(noStream.status, 404);
      assert.deepEqual(JSON.parse(noStream.text), { status: 'unavailable', error: 'JetStream stream "T" not found on account "$G"' });
      const noCons = await get(`${m}/healthz?account=$G&stream=S&consumer=X&details=true`);
      assert.equal(noCons.status, 404);
      assert.deepEqual(JSON.parse(noCons.text), {
        status: 'error',
        errors: [{ type: 'CONSUMER', account: '$G', stream: 'S', consumer: 'X', error: 'JetStream consumer "X" not found for stream "S" on account "$G"' }],
      });
      const noAcc = await get(`${m}/healthz?stream=S`);
      assert.equal(noAcc.status, 400);
      assert.deepEqual(JSON.parse(noAcc.text), { status: 'error', error: '"account" must not be empty when checking stream health' });
    } finally {
      await plain.stop();
      await js.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('http_base_path prefixes every endpoint and the index', async () => {
    const s = await startServer({ http_port: -1, http_base_path: '/nats/' });
    try {
      const m = s.monitorUrl!;
      assert.equal((await get(`${m}/nats/healthz`)).text, '{"status":"ok"}');
      assert.equal((await get(`${m}/nats/metrics`)).status, 200);
      assert.equal((await get(`${m}/nats/raftz`)).status, 404);
      assert.equal((await get(`${m}/varz`)).status, 404);
      const idx = await get(`${m}/nats`);
      assert.match(idx.text, /href="\/nats\/connz"/);
    } finally {
      await s.stop();
    }
  });
});
