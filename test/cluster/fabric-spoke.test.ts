/**
 * A leaf cluster: two routed servers of ours (cluster LC), each the spoke of
 * a different server of a hub cluster of ours (H). Two leaf links join the
 * same two clusters, so interest could circle (spoke -> route -> spoke ->
 * hub -> route -> hub -> spoke). As in Go (processLeafSub, updateLeafNodes),
 * a spoke announces neither the hub's interest to its routes nor its routes'
 * interest to the hub: queue weights settle at exact values instead of
 * growing around the circle, and a queue message is delivered once. The leaf
 * names its cluster and the hub's routes tag its messages with it (LMSG
 * <origin>), so they do not come back into that cluster through the other
 * link: each plain message is delivered once. A Go 2.9.10 hub routed with
 * ours sends LS+/LMSG with origin for such a leaf, and ours understands them.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type RunningServer } from '../../src/index.js';
import { routeURL, startCluster, waitMeshed } from '../helpers/cluster.js';
import { leafOpts, leafURL, remote, waitLeafs } from '../helpers/leaf.js';
import { freePort, remoteQueueWeight } from '../helpers/fabric.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { routesOf, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

describe('fabric: a leaf cluster on a hub cluster', { timeout: 30000 }, () => {
  let H: RunningServer[] = [];
  let LC: RunningServer[] = [];
  const conns: NatsConnection[] = [];
  before(async () => {
    H = await startCluster(2, { leafnodes: leafOpts({ port: -1 }) });
    const lc1 = await startServer({ server_name: 'LC1', leafnodes: leafOpts({ remotes: [remote(leafURL(H[0]))] }), extra: { cluster: { name: 'LC', listen: '127.0.0.1:-1', routes: [] } } });
    LC = [lc1];
    LC.push(await startServer({ server_name: 'LC2', leafnodes: leafOpts({ remotes: [remote(leafURL(H[1]))] }), extra: { cluster: { name: 'LC', listen: '127.0.0.1:-1', routes: [routeURL(lc1)] } } }));
    await waitMeshed(LC);
    await waitLeafs(H[0], 1);
    await waitLeafs(H[1], 1);
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await Promise.all([...LC, ...H].map((s) => s.stop()));
  });

  it('queue weights are exact (no circling) and each queue message is delivered once', async () => {
    const all = [...H, ...LC];
    const got: string[] = [];
    for (const s of all) {
      const nc = await connect({ servers: s.url });
      conns.push(nc);
      nc.subscribe('spoke.q', { queue: 'g', callback: (_e, m) => { got.push(m.string()); } });
      await nc.flush();
    }
    // One member per server. S1: S2's route (its member + LC2's leaf member) 2, LC1's leaf 1. LC1: LC2's route 1 (its own
    // member only; the hub's interest is not re-announced), H1's leaf 3 (H1's member + S2's 2).
    const exp = { S1: 3, S2: 3, LC1: 4, LC2: 4 };
    const weights = () => Object.fromEntries(all.map((s) => [s.server.name, remoteQueueWeight(s, 'spoke.q', 'g')]));
    await waitFor(() => isDeepStrictEqual(weights(), exp), 5000).catch(() => assert.deepEqual(weights(), exp));
    const pubs = await Promise.all(all.map((s) => connect({ servers: s.url })));
    conns.push(...pubs);
    pubs.forEach((p, i) => { for (let k = 0; k < 20; k++) p.publish('spoke.q', `${i}:${k}`); });
    await Promise.all(pubs.map((p) => p.flush()));
    await waitFor(() => got.length >= 80, 5000);
    await Promise.all(conns.map((c) => c.flush()));
    assert.deepEqual([...got].sort(), pubs.flatMap((_, i) => Array.from({ length: 20 }, (_, k) => `${i}:${k}`)).sort());
    // settled: the weights did not move while messages flowed
    assert.deepEqual(weights(), exp);
  });

  it('each plain message is delivered once, whichever server publishes (no way back in through the other link)', async () => {
    const all = [...H, ...LC];
    const counts = new Map<string, number>();
    const subs: NatsConnection[] = [];
    for (const s of all) {
      const nc = await connect({ servers: s.url });
      subs.push(nc);
      nc.subscribe('spoke.p.>', { callback: (_e, m) => { const k = `${s.server.name}<${m.string()}`; counts.set(k, (counts.get(k) ?? 0) + 1); } });
      await nc.flush();
    }
    conns.push(...subs);
    const pubs = await Promise.all(all.map((s) => connect({ servers: s.url })));
    conns.push(...pubs);
    // interest everywhere: a probe from every server reaches every subscriber
    await waitFor(async () => {
      pubs.forEach((p, i) => p.publish('spoke.p.probe', `probe${i}`));
      await Promise.all(pubs.map((p) => p.flush()));
      return all.every((s) => all.every((_, i) => counts.has(`${s.server.name}<probe${i}`)));
    }, 10000, 100);
    pubs.forEach((p, i) => { for (let k = 0; k < 20; k++) p.publish('spoke.p.x', `${i}:${k}`); p.publish('spoke.p.x', `end${i}`); });
    await Promise.all(pubs.map((p) => p.flush()));
    await waitFor(() => all.every((s) => all.every((_, i) => counts.has(`${s.server.name}<end${i}`))), 5000);
    await Promise.all(subs.map((c) => c.flush()));
    const measured = [...counts.entries()].filter(([k]) => /<\d+:\d+$/.test(k));
    assert.equal(measured.length, all.length * all.length * 20, 'every subscriber got every message');
    assert.deepEqual(measured.filter(([, n]) => n !== 1), [], 'nothing twice');
  });
});

describe('fabric: our leaf cluster on a Go 2.9.10 hub routed with ours', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed', timeout: 30000 }, () => {
  let O: RunningServer;
  let G: GoServer;
  let L: RunningServer;
  const conns: NatsConnection[] = [];
  before(async () => {
    O = await startServer({ server_name: 'O1', extra: { cluster: { name: 'X', listen: '127.0.0.1:-1', routes: [] } } });
    const lp = await freePort();
    G = await startGoServer([], `server_name: GH\ncluster { name: X, listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${routesOf(O).port}"] }\nleafnodes { listen: "127.0.0.1:${lp}" }\n`);
    await waitFor(() => routesOf(O).numRemotes() === 1, 10000);
    L = await startServer({ server_name: 'L', leafnodes: leafOpts({ remotes: [remote(`nats-leaf://127.0.0.1:${lp}`)] }), extra: { cluster: { name: 'LC', listen: '127.0.0.1:-1', routes: [] } } });
    await waitFor(() => L.server.leafnodes!.count() === 1, 10000);
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await L?.stop();
    await G?.stop();
    await O?.stop();
  });

  it('Go\'s LS+ <origin> and LMSG <origin> over the route are understood; both ways exactly once', async () => {
    const o = await connect({ servers: O.url });
    const l = await connect({ servers: L.url });
    conns.push(o, l);
    const atO: string[] = [];
    const atL: string[] = [];
    o.subscribe('go.hub.toO', { callback: (_e, m) => { atO.push(m.string()); } });
    l.subscribe('go.hub.toL', { callback: (_e, m) => { atL.push(m.string()); } });
    await o.flush();
    await l.flush();
    // the leaf's interest reaches O through Go as LS+ <LC> ...
    await waitRemoteInterest(O, 'go.hub.toL', '$G', 10000);
    await waitFor(async () => {
      l.publish('go.hub.toO', 'probe');
      await l.flush();
      return atO.length > 0;
    }, 10000, 100);
    atO.length = 0;
    for (let k = 0; k < 10; k++) { l.publish('go.hub.toO', `${k}`); o.publish('go.hub.toL', `${k}`); }
    l.publish('go.hub.toO', 'end');
    o.publish('go.hub.toL', 'end');
    await Promise.all([l.flush(), o.flush()]);
    await waitFor(() => atO.includes('end') && atL.includes('end'), 5000);
    const ten = [...Array.from({ length: 10 }, (_, k) => `${k}`), 'end'];
    assert.deepEqual(atO.filter((x) => x !== 'probe'), ten);
    assert.deepEqual(atL, ten);
    assert.equal(routesOf(O).numRemotes(), 1, 'the route stayed up');
    assert.doesNotMatch(G.logs(), /Unknown Protocol Operation|Parse Error/);
  });
});
