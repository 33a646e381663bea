/**
 * Route pooling and pinned accounts (Go route.go, 2.10+): `pool_size`
 * connections per remote server, each account's traffic on the slot Go's
 * computeRoutePoolIdx picks, a dedicated route per pinned account (and for
 * $SYS), and a single route to a server that announces no pool size (Go
 * 2.9.10).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { defaultOptions, type RunningServer } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { clusterOptions } from '../../src/config/cluster.js';
import { routePoolIdx } from '../../src/cluster/route/pool.js';
import type { RouteConn } from '../../src/cluster/route/route-conn.js';
import { GO_SERVER_BIN, startGoServer } from '../helpers/go-server.js';
import { RawConn } from '../helpers/raw.js';
import { startClustered, routeURL, routesOf, waitMeshed, waitRemoteInterest, stopAll } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const goSkip = GO_SERVER_BIN ? false : 'Go nats-server not installed';
// with pool_size 3 these hash to slots 0, 2 and 1 (checked below against FNV-1a)
const ACCOUNTS = ['ONE', 'TWO', 'THREE', 'PIN'];
const dir = mkdtempSync(join(tmpdir(), 'route-pool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function accountOpts(): { accounts: ReturnType<typeof loadConfigFile>['accounts']; users: ReturnType<typeof loadConfigFile>['users'] } {
  const f = join(dir, 'accounts.conf');
  writeFileSync(f, `accounts {\n${ACCOUNTS.map((a) => `  ${a}: { users: [{user: ${a.toLowerCase()}, password: pw}] }`).join('\n')}\n}\n`);
  const base = loadConfigFile(f, defaultOptions());
  return { accounts: base.accounts, users: base.users };
}

function goAccounts(): string {
  return `accounts {\n${ACCOUNTS.map((a) => `  ${a}: { users: [{user: ${a.toLowerCase()}, password: pw}] }`).join('\n')}\n}\n`;
}

const toRemote = (s: RunningServer, id: string): RouteConn[] => [...routesOf(s).allRoutes()].filter((r) => r.remoteId === id);

/** Publish `n` messages in `account` from `from` to a subscriber on `to`; returns once all arrived. */
async function traffic(from: RunningServer | string, to: RunningServer | string, account: string, subject: string, n: number, conns: NatsConnection[], waitAt?: RunningServer): Promise<void> {
  const user = account.toLowerCase();
  const nt = await connect({ servers: typeof to === 'string' ? to : to.url, user, pass: 'pw' });
  const nf = await connect({ servers: typeof from === 'string' ? from : from.url, user, pass: 'pw' });
  conns.push(nt, nf);
  let got = 0;
  nt.subscribe(subject, { callback: () => { got++; } });
  await nt.flush();
  if (waitAt) await waitRemoteInterest(waitAt, subject, account);
  else {
    // a Go server's interest: publish a probe until one arrives, then count from zero
    await waitFor(async () => {
      nf.publish(subject);
      await nf.flush();
      await new Promise((r) => setTimeout(r, 20));
      return got > 0;
    }, 5000);
    await nt.flush();
    got = 0;
  }
  for (let k = 0; k < n; k++) nf.publish(subject, 'x');
  await nf.flush();
  await waitFor(() => got === n, 5000);
}

describe('route pooling', () => {
  const conns: NatsConnection[] = [];
  const servers: RunningServer[] = [];
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await stopAll(servers);
  });

  it('an account\'s pool slot is Go\'s FNV-1a hash of its name modulo the pool size', () => {
    // FNV-1a 32 test vectors: "a" = 0xe40c292c, "foobar" = 0xbf9cf968, "$G" = 0x7abc619c
    for (const p of [2, 3, 5, 7, 1000]) {
      assert.equal(routePoolIdx(p, 'a'), 0xe40c292c % p);
      assert.equal(routePoolIdx(p, 'foobar'), 0xbf9cf968 % p);
      assert.equal(routePoolIdx(p, '$G'), 0x7abc619c % p);
    }
    assert.equal(routePoolIdx(1, 'anything'), 0);
    assert.deepEqual(['ONE', 'TWO', 'THREE'].map((a) => routePoolIdx(3, a)), [0, 2, 1]);
  });

  it('config: pool_size defaults to 3 (0 too), accounts/pinned_accounts, Go\'s validation errors', () => {
    const co = (c: Record<string, unknown>) => clusterOptions({ ...defaultOptions(), extra: { cluster: { port: -1, ...c } } });
    assert.equal(co({})!.pool_size, 3);
    assert.equal(co({ pool_size: 0 })!.pool_size, 3);
    assert.equal(co({ pool_size: -1 })!.pool_size, -1);
    assert.deepEqual(co({ accounts: ['A', 'B'] })!.pinned_accounts, ['A', 'B']);
    assert.throws(() => co({ pool_size: -1, accounts: ['A'] }), /pool_size cannot be negative if pinned accounts are specified/);
    assert.throws(() => co({ accounts: ['A', 'A'] }), /found duplicate account name "A" in pinned accounts list/);
  });

  it('3 servers with pool_size 3 and a pinned account: 3 pooled + 2 pinned routes per pair, each account on its own connection', async () => {
    const ao = accountOpts();
    const cl = { pinned_accounts: ['PIN'] };
    const s1 = await startClustered([], { ...ao, server_name: 'P1', http_port: -1 }, cl);
    servers.push(s1);
    const s2 = await startClustered([routeURL(s1)], { ...ao, server_name: 'P2' }, cl);
    servers.push(s2);
    const s3 = await startClustered([routeURL(s1)], { ...ao, server_name: 'P3' }, cl);
    servers.push(s3);
    const all = [s1, s2, s3];
    await waitMeshed(all);
    // every pair: slots 0..2 plus PIN and $SYS (Go pins the system account too)
    await waitFor(() => all.every((s) => routesOf(s).numRoutes() === 10 && routesOf(s).conns.size === 10), 10000);
    for (const s of all) {
      for (const o of all) {
        if (o === s) continue;
        const rs = toRemote(s, o.server.id);
        assert.deepEqual(rs.filter((r) => r.accName === '').map((r) => r.poolIdx).sort(), [0, 1, 2]);
        assert.deepEqual(rs.filter((r) => r.accName !== '').map((r) => r.accName).sort(), ['$SYS', 'PIN']);
        // both servers agree on each connection's slot: match the two ends by their ports
        for (const r of rs) {
          const peer = toRemote(o, s.server.id).find((x) => x.socket.localPort === r.socket.remotePort && x.socket.remotePort === r.socket.localPort)!;
          assert.ok(peer, 'the other end of the connection');
          assert.equal(peer.poolIdx, r.poolIdx);
          assert.equal(peer.accName, r.accName);
        }
      }
    }
    // traffic of each account from P2 to P3 goes over exactly one connection: its slot, or PIN's own route
    const out = () => toRemote(s2, s3.server.id).map((r) => r.outMsgs);
    for (const [acc, n] of [['ONE', 3], ['TWO', 5], ['THREE', 7], ['PIN', 11]] as const) {
      const before = out();
      await traffic(s2, s3, acc, `pool.${acc}`, n, conns, s2);
      const delta = out().map((v, k) => v - before[k]);
      const rs = toRemote(s2, s3.server.id);
      const expected = rs.map((r) => (acc === 'PIN' ? (r.accName === 'PIN' ? n : 0) : r.accName === '' && r.poolIdx === routePoolIdx(3, acc) ? n : 0));
      assert.deepEqual(delta, expected, `${acc} travels on one connection`);
    }
    // /routez lists every connection, the pinned ones with their account; /varz shows the pool size
    const rz = (await (await fetch(`${s1.monitorUrl}/routez`)).json()) as { num_routes: number; routes: { account?: string; remote_id: string }[] };
    assert.equal(rz.num_routes, 10);
    assert.deepEqual(rz.routes.filter((r) => r.remote_id === s2.server.id).map((r) => r.account ?? '').sort(), ['', '', '', '$SYS', 'PIN']);
    const vz = (await (await fetch(`${s1.monitorUrl}/varz`)).json()) as { routes: number; cluster: { pool_size: number } };
    assert.equal(vz.cluster.pool_size, 3);
    assert.equal(vz.routes, 10);
  });

  it('the wire protocol of pooled and pinned routes, with a raw route: slot checks and account-less RS+/RMSG', async () => {
    const ao = accountOpts();
    const a = await startClustered([], { ...ao, server_name: 'W1' }, { pinned_accounts: ['PIN'] });
    servers.push(a);
    const port = routesOf(a).port;
    const connectLine = (name: string) => `CONNECT ${JSON.stringify({ echo: true, verbose: false, pedantic: false, tls_required: false, name, headers: true, cluster: 'test-cluster', lnoc: true })}\r\n`;
    const infoLine = (name: string, extra: Record<string, unknown>) =>
      `INFO ${JSON.stringify({ server_id: name, server_name: name.toLowerCase(), version: '2.14.0', proto: 1, host: '127.0.0.1', port: 1, headers: true, max_payload: 1048576, cluster: 'test-cluster', ...extra })}\r\n`;
    const refused = async (name: string, extra: Record<string, unknown>) => {
      const c = await RawConn.connect(port);
      try {
        const info = await c.info();
        assert.equal(info.route_pool_size, 3, 'the accepting side announces its pool size');
        c.send(connectLine(name) + infoLine(name, extra));
        const d = await c.waitClosed(3000);
        return d.split('\r\n').find((l) => l.startsWith('-ERR')) ?? '';
      } finally {
        c.close();
      }
    };
    // Go addRoute's checks
    assert.equal(await refused('NBADIDX', { route_pool_size: 3, route_pool_idx: 7 }), "-ERR 'Invalid route pool index: 7 - pool size is 3'");
    assert.equal(await refused('NNOTPINNED', { route_pool_size: 3, route_account: 'ONE' }), "-ERR 'No route for account \"ONE\"'");
    assert.equal(await refused('NOLDPIN', { route_account: 'PIN' }), "-ERR 'Not possible to have a dedicated route for account \"PIN\" between those servers'");
    // a dedicated route for PIN: its interest and messages name no account
    const c = await RawConn.connect(port);
    try {
      await c.info();
      c.send(connectLine('NPINNED') + infoLine('NPINNED', { route_pool_size: 3, route_account: 'PIN' }));
      await waitFor(() => routesOf(a).pool.accRoutes.get('PIN')!.has('NPINNED'), 3000);
      c.send('RS+ raw.pin\r\n');
      await c.flush();
      await waitRemoteInterest(a, 'raw.pin', 'PIN');
      const pub = await connect({ servers: a.url, user: 'pin', pass: 'pw' });
      conns.push(pub);
      const sub = await connect({ servers: a.url, user: 'pin', pass: 'pw' });
      conns.push(sub);
      const got: string[] = [];
      sub.subscribe('from.raw', { callback: (_e, m) => { got.push(m.string()); } });
      await sub.flush();
      await c.waitUntil((d) => d.includes('RS+ from.raw\r\n'), 3000);
      c.take();
      pub.publish('raw.pin', 'hi');
      await pub.flush();
      assert.equal(await c.waitUntil((d) => d.includes('hi\r\n'), 3000), 'RMSG raw.pin 2\r\nhi\r\n');
      c.send('RMSG from.raw 3\r\nyes\r\n');
      await waitFor(() => got.length === 1, 3000);
      assert.deepEqual(got, ['yes']);
    } finally {
      c.close();
    }
  });

  it('different pool sizes (3 and 5): both use the larger pool; interest goes on the sender\'s own slot', async () => {
    const ao = accountOpts();
    const a = await startClustered([], { ...ao, server_name: 'M3' }, { pool_size: 3 });
    servers.push(a);
    const b = await startClustered([routeURL(a)], { ...ao, server_name: 'M5' }, { pool_size: 5 });
    servers.push(b);
    await waitMeshed([a, b]);
    await waitFor(() => routesOf(a).numRoutes() === 6 && routesOf(b).numRoutes() === 6, 10000);
    assert.deepEqual(toRemote(a, b.server.id).filter((r) => r.accName === '').map((r) => r.poolIdx).sort(), [0, 1, 2, 3, 4]);
    // ONE is slot 0 with 3 and slot 3 with 5. Each server announces its interest on its own slot,
    // and messages follow the connection the interest came on: both ways work.
    await traffic(a, b, 'ONE', 'mm.one', 4, conns, a);
    await traffic(b, a, 'ONE', 'mm.one.back', 4, conns, b);
    const byIdx = (s: RunningServer, o: RunningServer) => toRemote(s, o.server.id).filter((r) => r.outMsgs > 0).map((r) => r.poolIdx);
    assert.deepEqual(byIdx(a, b), [routePoolIdx(5, 'ONE')], 'to the 5-pool server: on its slot for ONE');
    assert.deepEqual(byIdx(b, a), [routePoolIdx(3, 'ONE')], 'to the 3-pool server: on its slot for ONE');
  });

  it('with Go 2.9.10 (no pool size announced): one route carries every account, pinned ones included', { skip: goSkip }, async (t) => {
    const ao = accountOpts();
    const ours = await startClustered([], { ...ao, server_name: 'OURS' }, { pinned_accounts: ['PIN'] });
    t.after(() => ours.stop());
    const go = await startGoServer(['-m', '-1'], `${goAccounts()}cluster {\n name: test-cluster\n listen: "127.0.0.1:-1"\n routes: ["${routeURL(ours)}"]\n}\n`);
    t.after(() => go.stop());
    await waitFor(() => routesOf(ours).numRemotes() === 1, 8000);
    // our second server dials Go: still a single route, no pinned-account dial to a server without pooling
    const ours2 = await startClustered([`nats-route://127.0.0.1:${go.clusterPort}`], { ...ao, server_name: 'OURS2' }, { pinned_accounts: ['PIN'] });
    t.after(() => ours2.stop());
    await waitFor(() => routesOf(ours2).numRemotes() === 2 && routesOf(ours).numRemotes() === 2, 8000);
    const goId = [...routesOf(ours).routes.keys()].find((id) => id !== ours2.server.id)!;
    for (const s of [ours, ours2]) {
      const rs = toRemote(s, goId);
      assert.equal(rs.length, 1, 'a single route to the Go server');
      assert.equal(rs[0].noPool, true);
    }
    // ours <-> ours still pools
    await waitFor(() => toRemote(ours, ours2.server.id).length === 5, 8000);
    for (const acc of ['PIN', 'TWO']) {
      await traffic(go.url, ours, acc, `go.${acc}`, 5, conns);
      await traffic(ours2, go.url, acc, `to.go.${acc}`, 5, conns);
    }
    const grz = (await (await fetch(`http://127.0.0.1:${go.monitorPort}/routez`)).json()) as { num_routes: number };
    assert.equal(grz.num_routes, 2, 'Go sees one route to each of ours');
    const rc = toRemote(ours2, goId)[0];
    assert.equal(rc.remoteInfo?.route_pool_size, undefined);
  });
});
