/**
 * Routes and leaf nodes together: a two-server cluster (A, B) whose server A
 * is also a leaf hub, and a leaf L soliciting A. Interest and messages must
 * cross both kinds of link (L -> A -> B and B -> A -> L), once each, as in
 * Go's processMsgResults (routed messages reach the leafs A is hub for; a
 * leaf's message goes on to the routes).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { startCluster, stopAll, waitRemoteInterest } from '../helpers/cluster.js';
import { leafOpts, leafURL, remote, startLeaf, waitInterest, waitLeafs } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';
import { collect } from '../helpers/clients.js';

describe('a leaf node on a routed cluster', () => {
  let cluster: RunningServer[];
  let leaf: RunningServer;
  let na: NatsConnection;
  let nb: NatsConnection;
  let nl: NatsConnection;

  before(async () => {
    cluster = await startCluster(2, { leafnodes: leafOpts({ port: -1 }) });
    leaf = await startLeaf([remote(leafURL(cluster[0]))]);
    await waitLeafs(cluster[0], 1);
    await waitLeafs(leaf, 1);
    na = await connect({ servers: cluster[0].url });
    nb = await connect({ servers: cluster[1].url });
    nl = await connect({ servers: leaf.url });
  });
  after(async () => {
    await Promise.all([na?.close(), nb?.close(), nl?.close()]);
    await leaf?.stop();
    await stopAll(cluster ?? []);
  });

  it('delivers from the far cluster server to the leaf, once', async () => {
    const onLeaf = collect(nl.subscribe('b2l.>'));
    await nl.flush();
    await waitRemoteInterest(cluster[1], 'b2l.x');
    for (let k = 0; k < 10; k++) nb.publish('b2l.x', `m${k}`);
    await nb.flush();
    await waitFor(() => onLeaf.length === 10);
    // a round trip through every hop: nothing more arrives
    await nl.flush();
    await nb.flush();
    assert.deepEqual(onLeaf, Array.from({ length: 10 }, (_, k) => `m${k}`));
  });

  it('delivers from the leaf to the far cluster server, once', async () => {
    const onB = collect(nb.subscribe('l2b'));
    const onA = collect(na.subscribe('l2b'));
    await nb.flush();
    await na.flush();
    await waitInterest(leaf, 'l2b');
    await waitRemoteInterest(cluster[0], 'l2b');
    for (let k = 0; k < 5; k++) nl.publish('l2b', `n${k}`);
    await nl.flush();
    await waitFor(() => onB.length === 5 && onA.length === 5);
    await nb.flush();
    assert.equal(onB.length, 5);
    assert.equal(onA.length, 5);
  });

  it('answers a request from the leaf with a responder on the far server', async () => {
    nb.subscribe('svc.echo', { callback: (_e, m) => void m.respond(`echo:${m.string()}`) });
    await nb.flush();
    await waitInterest(leaf, 'svc.echo');
    const r = await nl.request('svc.echo', 'hi', { timeout: 3000 });
    assert.equal(r.string(), 'echo:hi');
  });

  it('gives each message to one member of a queue group that lives on the far server only', async () => {
    const g1 = collect(nb.subscribe('work', { queue: 'q' }));
    const g2 = collect(nb.subscribe('work', { queue: 'q' }));
    await nb.flush();
    await waitInterest(leaf, 'work');
    for (let k = 0; k < 40; k++) nl.publish('work', `w${k}`);
    await nl.flush();
    await waitFor(() => g1.length + g2.length === 40);
    await nb.flush();
    await nl.flush();
    assert.equal(g1.length + g2.length, 40);
    assert.deepEqual([...g1, ...g2].sort(), Array.from({ length: 40 }, (_, k) => `w${k}`).sort());
  });

  it('stops forwarding to the leaf once its subscription is gone', async () => {
    const sub = nl.subscribe('gone');
    await nl.flush();
    await waitRemoteInterest(cluster[1], 'gone');
    sub.unsubscribe();
    await nl.flush();
    await waitFor(() => !cluster[1].server.lookupAccount('$G')!.sl.hasInterest('gone'));
  });
});
