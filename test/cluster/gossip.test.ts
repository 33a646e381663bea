/**
 * Cluster membership details: two servers that both dial each other keep one
 * route; no_advertise keeps cluster URLs away from clients (and from the
 * peers' clients); an implicit (gossiped) route that goes away is not
 * redialed forever; a lone clustered server gives clients no connect_urls.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { RawConn } from '../helpers/raw.js';
import { startClustered, startCluster, routesOf, routeURL, stopAll, waitMeshed, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOptions } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { DialRun } from '../../src/cluster/route/backoff.js';

async function clientInfo(s: RunningServer): Promise<Record<string, unknown>> {
  const c = await RawConn.connect(s.port);
  try {
    return await c.info();
  } finally {
    c.close();
  }
}

describe('cluster membership', () => {
  const servers: RunningServer[] = [];
  const conns: NatsConnection[] = [];
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await stopAll(servers);
  });

  it('a lone clustered server sends no connect_urls, and names its cluster', async () => {
    const a = await startClustered([], { server_name: 'alone' });
    servers.push(a);
    const info = await clientInfo(a);
    assert.equal(info.connect_urls, undefined);
    assert.equal(info.cluster, 'test-cluster');
  });

  it('two servers dialing each other keep exactly one pool of routes and deliver once', async () => {
    const a = await startClustered([], { server_name: 'DA' });
    const b = await startClustered([routeURL(a)], { server_name: 'DB' });
    servers.push(a, b);
    await waitMeshed([a, b]);
    // A now dials B too, as if B were in its routes
    const ra = routesOf(a);
    const url = new URL(routeURL(b));
    ra.opts.routes.push(url);
    ra.connect(url, true, new DialRun(true));
    // pool_size 3 plus the pinned $SYS route: 4 connections each way, the extra dial closed as a duplicate
    const settled = (s: RunningServer) => routesOf(s).conns.size === 4 && routesOf(s).numRoutes() === 4 && routesOf(s).numRemotes() === 1;
    // A dialed B's pool too (Go upgradeRouteToSolicited), so A's pooled connections count as solicited for reconnects
    await waitFor(() => [...ra.allRoutes()].every((c) => c.remoteId === b.server.id && (c.didSolicit || c.accName !== '')), 5000);
    await waitFor(() => settled(a) && settled(b), 5000);
    const sub = await connect({ servers: b.url });
    const pub = await connect({ servers: a.url });
    conns.push(sub, pub);
    let got = 0;
    sub.subscribe('dup.test', { callback: () => { got++; } });
    await sub.flush();
    await waitRemoteInterest(a, 'dup.test');
    for (let k = 0; k < 20; k++) pub.publish('dup.test');
    await pub.flush();
    await waitFor(() => got >= 20);
    await sub.flush();
    assert.equal(got, 20);
  });

  it('no_advertise: clients get no cluster URLs', async () => {
    const ss = await startCluster(2, {}, { no_advertise: true });
    servers.push(...ss);
    for (const s of ss) {
      const info = await clientInfo(s);
      assert.equal(info.connect_urls, undefined, 'no connect_urls');
      const c = await RawConn.connect(routesOf(s).port);
      const ri = await c.info();
      c.close();
      assert.equal(ri.connect_urls, undefined, 'the route INFO does not advertise client URLs either');
    }
  });

  it('an implicit route that goes away is not redialed forever', async () => {
    const ss = await startCluster(3, {}, { connect_retries: 1 });
    servers.push(...ss);
    const [s1, s2, s3] = ss;
    const r23 = routesOf(s2).routes.get(s3.server.id)!;
    const r32 = routesOf(s3).routes.get(s2.server.id)!;
    // one of S2/S3 dialed the other because S1 told it about it (implicit)
    const dialer = r23.didSolicit ? s2 : s3;
    assert.ok(r23.didSolicit !== r32.didSolicit);
    assert.equal((r23.didSolicit ? r23 : r32).isConfigured, false);
    const target = dialer === s2 ? s3 : s2;
    await target.stop();
    servers.splice(servers.indexOf(target), 1);
    await waitFor(() => routesOf(dialer).numRemotes() === 1 && routesOf(s1).numRemotes() === 1, 5000);
    // connect_retries 1: the dialer tries again once (1s apart), then gives up: no pending redial timers remain
    const rd = routesOf(dialer);
    assert.ok(rd.pendingDials > 0, 'a redial is scheduled first');
    await waitFor(() => rd.pendingDials === 0 && rd.conns.size === rd.numRoutes(), 6000);
  });
});

describe('service imports in a cluster', () => {
  const servers: RunningServer[] = [];
  const conns: NatsConnection[] = [];
  let dir = '';
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await stopAll(servers);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a request through a service import reaches a responder on another server once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'routes-imports-'));
    const f = join(dir, 'accounts.conf');
    writeFileSync(f, `accounts {
  SVC: { users: [{user: svc, password: svc}], exports: [{service: "calc.>"}] }
  CLI: { users: [{user: cli, password: cli}], imports: [{service: {account: SVC, subject: "calc.>"}}] }
}
`);
    const base = loadConfigFile(f, defaultOptions());
    const opts = { accounts: base.accounts, users: base.users };
    const s1 = await startClustered([], { ...opts, server_name: 'I1' });
    servers.push(s1);
    const s2 = await startClustered([routeURL(s1)], { ...opts, server_name: 'I2' });
    servers.push(s2);
    await waitMeshed([s1, s2]);
    const responder = await connect({ servers: s2.url, user: 'svc', pass: 'svc' });
    const client = await connect({ servers: s1.url, user: 'cli', pass: 'cli' });
    conns.push(responder, client);
    let calls = 0;
    responder.subscribe('calc.add', { callback: (_e, m) => { calls++; m.respond(`sum:${m.string()}`); } });
    await responder.flush();
    await waitRemoteInterest(s1, 'calc.add', 'SVC');
    // the import's own subscription (CLI calc.>) stays local on each server
    assert.ok(!s1.server.lookupAccount('CLI')!.sl.match('calc.add').psubs.some((s) => s.link !== null));
    const r = await client.request('calc.add', '1+2', { timeout: 3000 });
    assert.equal(r.string(), 'sum:1+2');
    await responder.flush();
    assert.equal(calls, 1, 'the responder got the request once');
  });
});
