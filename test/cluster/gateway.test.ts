/**
 * A super-cluster of our servers: cluster A (A1, A2 routed), cluster B (B1,
 * B2 routed) and a single-server cluster C, joined by gateways. B and C only
 * know A1's gateway URL; A knows no remote gateway at all, so every
 * connection from A (and between B and C) is implicit, found through
 * inbound connections, INFO gateway_urls and gossip.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { leafOpts, leafURL, remote, startLeaf, waitInterest, waitLeafs } from '../helpers/leaf.js';
import { gwOf, gwURL, startGwCluster, startGwServer, waitGateways, waitGwInterest, waitNoGwInterest } from '../helpers/gateway.js';

describe('gateways between clusters of ours', () => {
  let A: RunningServer[];
  let B: RunningServer[];
  let C: RunningServer;
  /** A1, which also accepts leaf nodes */
  let hub: RunningServer;
  const conns: NatsConnection[] = [];
  const open = async (s: RunningServer) => {
    const nc = await connect({ servers: s.url });
    conns.push(nc);
    return nc;
  };

  before(async () => {
    A = await startGwCluster('A', 2, [], { leafnodes: leafOpts({ port: -1 }) });
    hub = A[0];
    await waitMeshed(A);
    B = await startGwCluster('B', 2, [{ name: 'A', urls: [gwURL(A[0])] }]);
    await waitMeshed(B);
    C = await startGwServer('C', [{ name: 'A', urls: [gwURL(A[0])] }], { server_name: 'C1' });
    await waitGateways([...A, ...B, C], 2, 0, 15000);
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await Promise.all([...A, ...B, C].map((s) => s.stop()));
  });

  it('forms a full mesh of outbound connections, discovering the URLs of A it was not given', () => {
    for (const s of [...A, ...B, C]) assert.equal(gwOf(s).out.size, 2, `${s.server.name} has an outbound to each other cluster`);
    // A configured nothing: its outbound connections are implicit.
    for (const s of A) for (const c of gwOf(s).out.values()) assert.equal(c.cfg!.implicit, true);
    // B was given A1's URL only and learned A2's from A1's INFO gateway_urls.
    const urlsOfA = gwOf(B[0]).remotes.get('A')!.urlStrings().sort();
    assert.deepEqual(urlsOfA, [gwOf(A[0]).url, gwOf(A[1]).url].sort());
    // B and C never configured each other: found by gossip.
    assert.equal(gwOf(C).out.get('B')!.cfg!.implicit, true);
    assert.equal(gwOf(B[1]).out.get('C')!.cfg!.implicit, true);
  });

  it('delivers both ways with wildcard interest, one copy per remote cluster', async () => {
    const a2 = await open(A[1]);
    const b1 = await open(B[0]);
    const b2 = await open(B[1]);
    const c1 = await open(C);
    const got: string[] = [];
    b1.subscribe('orders.*.new', { callback: (_e, m) => { got.push(`b1:${m.subject}:${m.string()}`); } });
    b2.subscribe('orders.>', { callback: (_e, m) => { got.push(`b2:${m.subject}:${m.string()}`); } });
    c1.subscribe('orders.>', { callback: (_e, m) => { got.push(`c1:${m.subject}:${m.string()}`); } });
    a2.subscribe('back.>', { callback: (_e, m) => { got.push(`a2:${m.subject}:${m.string()}`); } });
    await Promise.all([b1.flush(), b2.flush(), c1.flush(), a2.flush()]);
    await waitGwInterest(A[1], 'B', 'orders.eu.new');
    await waitGwInterest(A[1], 'C', 'orders.eu.new');
    await waitGwInterest(B[1], 'A', 'back.x');
    a2.publish('orders.eu.new', 'one');
    b2.publish('back.x', 'two');
    await waitFor(() => got.length === 4, 5000);
    // A gateway message is never sent on to a third cluster: C got exactly one copy (from A, not again via B).
    await a2.flush();
    await b2.flush();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got.sort(), ['a2:back.x:two', 'b1:orders.eu.new:one', 'b2:orders.eu.new:one', 'c1:orders.eu.new:one']);
  });

  it('stops sending after unsubscribe', async () => {
    const a1 = await open(A[0]);
    const b2 = await open(B[1]);
    const got: string[] = [];
    const sub = b2.subscribe('unsub.test', { callback: (_e, m) => { got.push(m.string()); } });
    b2.subscribe('unsub.sentinel', { callback: (_e, m) => { got.push(m.string()); } });
    await b2.flush();
    await waitGwInterest(A[0], 'B', 'unsub.test');
    await waitGwInterest(A[0], 'B', 'unsub.sentinel');
    a1.publish('unsub.test', 'before');
    await waitFor(() => got.includes('before'), 5000);
    sub.unsubscribe();
    await b2.flush();
    await waitNoGwInterest(A[0], 'B', 'unsub.test');
    const out = gwOf(A[0]).out.get('B')!;
    const sentBefore = out.outMsgs;
    a1.publish('unsub.test', 'after');
    a1.publish('unsub.sentinel', 'sentinel');
    await waitFor(() => got.includes('sentinel'), 5000);
    assert.deepEqual(got, ['before', 'sentinel']);
    assert.equal(out.outMsgs - sentBefore, 1, 'only the sentinel crossed the gateway');
  });

  it('queue groups: a member in the local cluster wins, else one remote cluster gets each message once', async () => {
    const pub = await open(B[0]);
    const counts = { a1: 0, a2: 0, b2: 0, c1: 0 };
    const members = [
      [A[0], 'a1'], [A[1], 'a2'], [B[1], 'b2'], [C, 'c1'],
    ] as const;
    const subs = [];
    for (const [s, k] of members) {
      const nc = await open(s);
      subs.push(nc.subscribe('work', { queue: 'workers', callback: () => { counts[k]++; } }));
      await nc.flush();
    }
    await waitGwInterest(B[0], 'A', 'work');
    await waitGwInterest(B[0], 'C', 'work');
    for (let k = 0; k < 40; k++) pub.publish('work', String(k));
    await waitFor(() => counts.b2 === 40, 5000);
    assert.deepEqual(counts, { a1: 0, a2: 0, b2: 40, c1: 0 }, 'the member in cluster B took everything');
    // Without a member in B, each message goes to exactly one member in exactly one other cluster.
    subs[2].unsubscribe();
    await waitFor(() => B[0].server.lookupAccount('$G')!.sl.match('work').qsubs.length === 0, 5000);
    for (let k = 0; k < 40; k++) pub.publish('work', String(k));
    await waitFor(() => counts.a1 + counts.a2 + counts.c1 === 40, 5000);
    await pub.flush();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(counts.a1 + counts.a2 + counts.c1, 40, 'each message delivered once');
    assert.equal(counts.b2, 40);
  });

  it('request/reply across clusters, including a responder that just subscribed', async () => {
    const svc = await open(A[1]);
    svc.subscribe('svc.echo', { callback: (_e, m) => { m.respond(`echo:${m.string()}`); } });
    await svc.flush();
    await waitGwInterest(B[1], 'A', 'svc.echo');
    const req = await open(B[1]);
    for (let k = 0; k < 5; k++) {
      const r = await req.request('svc.echo', `r${k}`, { timeout: 3000 });
      assert.equal(r.string(), `echo:r${k}`);
    }
    // The requester's inbox was created moments ago: the reply still finds it (mapped _GR_ reply).
    const fresh = await open(C);
    const r = await fresh.request('svc.echo', 'fresh', { timeout: 3000 });
    assert.equal(r.string(), 'echo:fresh');
  });

  it('a reply crossing back lands on the requesting server even when another server of its cluster receives it', async () => {
    // The responder on C answers through C's outbound to A, which may end on A1 while the requester sits on A2.
    const svc = await open(C);
    svc.subscribe('svc.where', { callback: (_e, m) => { m.respond('from-c'); } });
    await svc.flush();
    await waitGwInterest(A[1], 'C', 'svc.where');
    const req = await open(A[1]);
    for (let k = 0; k < 5; k++) assert.equal((await req.request('svc.where', '', { timeout: 3000 })).string(), 'from-c');
  });

  it('rejects client publishes into the _GR_. reply space', async () => {
    const nc = await connect({ servers: A[0].url });
    conns.push(nc);
    const errs: string[] = [];
    (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errs.push(String(s.error));
    })().catch(() => {});
    nc.publish('_GR_.abcdef.ghijkl.foo', 'x');
    await nc.flush().catch(() => {});
    await waitFor(() => errs.some((e) => e.includes('Permissions Violation')), 3000);
  });

  it('a leaf node on a cluster server talks to the other cluster through the gateway', async () => {
    const leaf = await startLeaf([remote(leafURL(hub))]);
    try {
      await waitLeafs(hub, 1);
      const nl = await open(leaf);
      const nb = await open(B[1]);
      const got: string[] = [];
      nl.subscribe('leafgw.in', { callback: (_e, m) => { got.push(`leaf:${m.string()}`); } });
      nb.subscribe('leafgw.out', { callback: (_e, m) => { got.push(`b:${m.string()}`); } });
      nb.subscribe('leafgw.svc', { callback: (_e, m) => { m.respond('from-b'); } });
      await nl.flush();
      await nb.flush();
      await waitGwInterest(B[1], 'A', 'leafgw.in');
      await waitGwInterest(hub, 'B', 'leafgw.out');
      await waitGwInterest(hub, 'B', 'leafgw.svc');
      // The hub passes remote gateway interest on to its leaf (Go updateInterestForAccountOnGateway).
      await waitInterest(leaf, 'leafgw.out');
      await waitInterest(leaf, 'leafgw.svc');
      nb.publish('leafgw.in', '1');
      nl.publish('leafgw.out', '2');
      await waitFor(() => got.length === 2, 5000);
      assert.deepEqual(got.sort(), ['b:2', 'leaf:1']);
      assert.equal((await nl.request('leafgw.svc', '', { timeout: 3000 })).string(), 'from-b');
      // A responder behind the leaf answers a requester in B whose inbox is brand new (mapped _GR_ reply).
      nl.subscribe('leafgw.leafsvc', { callback: (_e, m) => { m.respond(`leaf-saw:${m.reply?.startsWith('_GR_.') ? 'routed' : 'plain'}`); } });
      await nl.flush();
      await waitGwInterest(B[0], 'A', 'leafgw.leafsvc');
      const fresh = await open(B[0]);
      assert.equal((await fresh.request('leafgw.leafsvc', '', { timeout: 3000 })).string(), 'leaf-saw:plain');
      // The reply did travel routed: the leaf server remembers a _GR_ form for its client.
      assert.ok([...leaf.server.clients.values()].some((c) => c.gwReplies !== null && c.gwReplies.size > 0));
    } finally {
      await leaf.stop();
    }
  });
});
