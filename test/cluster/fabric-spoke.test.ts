/**
 * A leaf cluster: two routed servers of ours (cluster LC), each the spoke of
 * a different server of a hub cluster of ours (H). Two leaf links join the
 * same two clusters, so interest could circle (spoke -> route -> spoke ->
 * hub -> route -> hub -> spoke). As in Go (processLeafSub, updateLeafNodes),
 * a spoke announces neither the hub's interest to its routes nor its routes'
 * interest to the hub: queue weights settle at exact values instead of
 * growing around the circle, and a queue message is delivered once.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type RunningServer } from '../../src/index.js';
import { routeURL, startCluster, waitMeshed } from '../helpers/cluster.js';
import { leafOpts, leafURL, remote, waitLeafs } from '../helpers/leaf.js';
import { remoteQueueWeight } from '../helpers/fabric.js';
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
});
