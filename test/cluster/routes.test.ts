/**
 * Three of our servers clustered in-process (routes on random ports, S2 and
 * S3 route to S1, gossip meshes S2-S3), driven by real clients.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, headers, type NatsConnection, type Msg } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { startCluster, stopAll, waitRemoteInterest, routesOf, startClustered, routeURL, waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

describe('routes between three of our servers', () => {
  let ss: RunningServer[];
  const conns: NatsConnection[] = [];
  const open = async (s: RunningServer, opts: Record<string, unknown> = {}) => {
    const nc = await connect({ servers: s.url, ...opts });
    conns.push(nc);
    return nc;
  };

  before(async () => {
    ss = await startCluster(3);
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await stopAll(ss);
  });

  it('forms a full mesh by gossip: S3 only knows S1 and ends up routed to S2', () => {
    for (const s of ss) assert.equal(routesOf(s).numRemotes(), 2);
    const s3 = routesOf(ss[2]);
    assert.ok(s3.routes.has(ss[1].server.id), 'S3 has a route to S2');
    const r = s3.routes.get(ss[1].server.id)!;
    // S2 learned about S3 from S1 and dialed it (implicit route), or the other way round
    assert.equal(r.isConfigured, false);
  });

  it('delivers across servers, with wildcards and headers', async () => {
    const a = await open(ss[0]);
    const c = await open(ss[2]);
    const got: Msg[] = [];
    c.subscribe('orders.*.created', { callback: (_e, m) => { got.push(m); } });
    c.subscribe('orders.>', { callback: (_e, m) => { got.push(m); } });
    await c.flush();
    await waitRemoteInterest(ss[0], 'orders.eu.created');
    const h = headers();
    h.set('X-Test', 'yes');
    a.publish('orders.eu.created', 'one', { headers: h });
    a.publish('orders.us.deleted', 'two');
    await waitFor(() => got.length === 3, 5000);
    const subjects = got.map((m) => `${m.subject}:${m.string()}`).sort();
    assert.deepEqual(subjects, ['orders.eu.created:one', 'orders.eu.created:one', 'orders.us.deleted:two']);
    assert.equal(got.find((m) => m.headers)?.headers?.get('X-Test'), 'yes');
  });

  it('request/reply across servers', async () => {
    const a = await open(ss[0]);
    const b = await open(ss[1]);
    b.subscribe('svc.echo', { callback: (_e, m) => { m.respond(`echo:${m.string()}`); } });
    await b.flush();
    await waitRemoteInterest(ss[0], 'svc.echo');
    const r = await a.request('svc.echo', 'ping', { timeout: 3000 });
    assert.equal(r.string(), 'echo:ping');
  });

  it('a queue group gets each message once across the cluster', async () => {
    const pub = await open(ss[0]);
    const counts = [0, 0, 0];
    const n = 300;
    for (let k = 0; k < 3; k++) {
      const nc = await open(ss[k]);
      nc.subscribe('work', { queue: 'workers', callback: () => { counts[k]++; } });
      await nc.flush();
    }
    await waitRemoteInterest(ss[0], 'work');
    await waitFor(() => {
      const g = ss[0].server.globalAccount.sl.match('work').qsubs[0] ?? [];
      return g.filter((s) => s.link !== null).length === 2;
    });
    for (let k = 0; k < n; k++) pub.publish('work', String(k));
    await pub.flush();
    await waitFor(() => counts[0] + counts[1] + counts[2] === n, 5000);
    // give a duplicate time to show up: a flush round trip on every server
    for (const c of conns) await c.flush();
    assert.equal(counts[0] + counts[1] + counts[2], n);
    // Go picks a member at random, remote members weighted by their size: every server gets some
    assert.ok(counts.every((c) => c > 0), `spread ${counts}`);
  });

  it('a queue group with members only on another server gets every message there', async () => {
    const pub = await open(ss[0]);
    let remote = 0;
    const nc = await open(ss[1]);
    nc.subscribe('jobs', { queue: 'q', callback: () => { remote++; } });
    nc.subscribe('jobs', { queue: 'q', callback: () => { remote++; } });
    await nc.flush();
    await waitRemoteInterest(ss[0], 'jobs');
    await waitFor(() => ss[0].server.globalAccount.sl.match('jobs').qsubs[0]?.[0]?.qw === 2);
    for (let k = 0; k < 50; k++) pub.publish('jobs', 'x');
    await waitFor(() => remote === 50, 5000);
    await nc.flush();
    assert.equal(remote, 50);
  });

  it('unsubscribe withdraws interest: no more routed messages', async () => {
    const a = await open(ss[0]);
    const b = await open(ss[1]);
    let got = 0;
    const sub = b.subscribe('gone.soon', { callback: () => { got++; } });
    await b.flush();
    await waitRemoteInterest(ss[0], 'gone.soon');
    a.publish('gone.soon');
    await waitFor(() => got === 1);
    const route = routesOf(ss[0]).routes.get(ss[1].server.id)!;
    sub.unsubscribe();
    await b.flush();
    await waitFor(() => !ss[0].server.globalAccount.sl.match('gone.soon').psubs.some((s) => s.link !== null));
    const before = route.outMsgs;
    a.publish('gone.soon');
    await a.flush();
    assert.equal(route.outMsgs, before, 'nothing routed once interest is gone');
  });

  it('clients get connect_urls of the whole cluster and an async INFO when it grows', async () => {
    const a = await open(ss[0]);
    const urls = a.info?.connect_urls ?? [];
    assert.equal(urls.length, 3);
    for (const s of ss) assert.ok(urls.includes(`127.0.0.1:${s.port}`), `${urls} has ${s.port}`);
    const s4 = await startClustered([routeURL(ss[0])], { server_name: 'S4' });
    try {
      await waitMeshed([...ss, s4]);
      await waitFor(() => (a.info?.connect_urls ?? []).includes(`127.0.0.1:${s4.port}`), 5000);
    } finally {
      await s4.stop();
    }
    await waitMeshed(ss);
    await waitFor(() => !(a.info?.connect_urls ?? []).includes(`127.0.0.1:${s4.port}`), 5000);
  });
});
