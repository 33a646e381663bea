/**
 * Mixed clusters: two of our servers and the Go nats-server (Debian 2.9.10)
 * routed together. Clients on either implementation see each other's
 * messages, queue groups, request/reply and unsubscribes. Skipped when the
 * Go binary is absent.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { headers } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, startGoServer, goClusterConf, type GoServer } from '../helpers/go-server.js';
import { clientPool } from '../helpers/clients.js';
import { startClustered, stopAll, waitMeshed, waitRemoteInterest, routeURL, routesOf } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const skip = GO_SERVER_BIN ? false : 'Go nats-server not installed';

/** Pairs of clients for one topology; shared scenario checks below. */
function scenarios(get: () => { ours: RunningServer[]; go: GoServer }): void {
  const { open, closeAll, conns } = clientPool();
  after(closeAll);

  it('a Go client and ours see each other\'s messages (both ways, with headers)', async () => {
    const { ours, go } = get();
    const g = await open(go.url);
    const o = await open(ours[1].url);
    const atGo: string[] = [];
    const atOurs: string[] = [];
    g.subscribe('mix.>', { callback: (_e, m) => { atGo.push(`${m.subject}:${m.string()}:${m.headers?.get('H') ?? ''}`); } });
    o.subscribe('mix.*', { callback: (_e, m) => { atOurs.push(`${m.subject}:${m.string()}`); } });
    await g.flush();
    await o.flush();
    await waitRemoteInterest(ours[1], 'mix.a.b');
    // Go learns of our interest asynchronously: publish until it arrives
    const h = headers();
    h.set('H', 'v');
    o.publish('mix.a.b', 'from-ours', { headers: h });
    await waitFor(() => atGo.length === 1, 5000);
    assert.deepEqual(atGo, ['mix.a.b:from-ours:v']);
    await waitFor(async () => {
      g.publish('mix.x', 'from-go');
      await g.flush();
      await new Promise((r) => setTimeout(r, 20));
      return atOurs.length > 0;
    }, 5000);
    assert.ok(atOurs.every((x) => x === 'mix.x:from-go'));
    // Go's own subscriber gets the Go publishes locally; ours arrive exactly once (nothing bounced back)
    assert.deepEqual(atGo.filter((x) => !x.startsWith('mix.x:')), ['mix.a.b:from-ours:v']);
  });

  it('request/reply between a Go client and ours, both directions', async () => {
    const { ours, go } = get();
    const g = await open(go.url);
    const o = await open(ours[0].url);
    g.subscribe('svc.go', { callback: (_e, m) => { m.respond(`go:${m.string()}`); } });
    o.subscribe('svc.ours', { callback: (_e, m) => { m.respond(`ours:${m.string()}`); } });
    await g.flush();
    await o.flush();
    await waitRemoteInterest(ours[0], 'svc.go');
    const r1 = await o.request('svc.go', 'a', { timeout: 3000 });
    assert.equal(r1.string(), 'go:a');
    const r2 = await waitFor(() => g.request('svc.ours', 'b', { timeout: 500 }).catch(() => null), 5000);
    assert.equal(r2!.string(), 'ours:b');
  });

  it('a queue group spread over Go and ours gets each message once', async () => {
    const { ours, go } = get();
    const counts = [0, 0, 0];
    const urls = [go.url, ours[0].url, ours[1].url];
    for (let k = 0; k < 3; k++) {
      const nc = await open(urls[k]);
      nc.subscribe('mixq', { queue: 'grp', callback: () => { counts[k]++; } });
      await nc.flush();
    }
    // our publisher's server must know both remote members before publishing
    await waitFor(() => (ours[1].server.globalAccount.sl.match('mixq').qsubs[0] ?? []).filter((s) => s.link !== null).length === 2, 5000);
    const pub = await open(ours[1].url);
    const n = 200;
    for (let k = 0; k < n; k++) pub.publish('mixq', String(k));
    await pub.flush();
    await waitFor(() => counts[0] + counts[1] + counts[2] === n, 5000);
    for (const c of conns) await c.flush();
    assert.equal(counts[0] + counts[1] + counts[2], n);
    assert.ok(counts[0] > 0, `the Go member got some: ${counts}`);
    // and from the Go side: each message once too
    const gpub = await open(go.url);
    const before = counts[0] + counts[1] + counts[2];
    for (let k = 0; k < n; k++) gpub.publish('mixq', String(k));
    await gpub.flush();
    await waitFor(() => counts[0] + counts[1] + counts[2] === before + n, 5000);
    for (const c of conns) await c.flush();
    assert.equal(counts[0] + counts[1] + counts[2], before + n);
  });

  it('unsubscribing on Go withdraws the interest on our servers', async () => {
    const { ours, go } = get();
    const g = await open(go.url);
    const sub = g.subscribe('gone.mix');
    await g.flush();
    await waitRemoteInterest(ours[0], 'gone.mix');
    await waitRemoteInterest(ours[1], 'gone.mix');
    sub.unsubscribe();
    await g.flush();
    for (const s of ours) {
      await waitFor(() => !s.server.globalAccount.sl.match('gone.mix').psubs.some((x) => x.link !== null), 5000);
    }
  });
}

describe('mixed cluster: our seed, one of ours and Go routed to it', { skip }, () => {
  let ours: RunningServer[] = [];
  let go: GoServer;
  before(async () => {
    const a = await startClustered([], { server_name: 'A' });
    const b = await startClustered([routeURL(a)], { server_name: 'B' });
    ours = [a, b];
    go = await startGoServer([], goClusterConf([routeURL(a)]));
    await waitMeshed(ours, 1);
  });
  after(async () => {
    await go?.stop();
    await stopAll(ours);
  });

  it('meshes: B learned of Go through A (gossip) and is routed to it', () => {
    for (const s of ours) assert.equal(routesOf(s).numRemotes(), 2);
    const versions = [...routesOf(ours[1]).routes.values()].map((r) => r.remoteInfo?.version);
    assert.ok(versions.includes('2.9.10'), `B has a route to the Go server: ${versions}`);
  });

  scenarios(() => ({ ours, go }));
});

describe('mixed cluster: Go as the seed, two of ours routed to it', { skip }, () => {
  let ours: RunningServer[] = [];
  let go: GoServer;
  before(async () => {
    go = await startGoServer([], goClusterConf([]));
    const seed = `nats-route://127.0.0.1:${go.clusterPort}`;
    const a = await startClustered([seed], { server_name: 'A' });
    const b = await startClustered([seed], { server_name: 'B' });
    ours = [a, b];
    await waitMeshed(ours, 1);
  });
  after(async () => {
    await stopAll(ours);
    await go?.stop();
  });

  it('meshes: Go told our servers about each other', () => {
    assert.ok(routesOf(ours[0]).routes.has(ours[1].server.id));
  });

  scenarios(() => ({ ours, go }));
});
