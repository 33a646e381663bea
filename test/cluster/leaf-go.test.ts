/**
 * Leaf nodes mixed with the Go server (Debian's nats-server 2.9.10): our
 * leaf soliciting a Go hub, and a Go leaf soliciting our hub. Clients on
 * either side must see each other's messages, queue groups, request/reply
 * and unsubscribes. Interest on the Go side is read from its /leafz.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startHub, startLeaf, remote, leafURL, waitLeafs, goLeafPort, goLeafCount, startGoLeaf } from '../helpers/leaf.js';
import { linkScenario, oursKnows, oursForgets, goKnows, goForgets, type LinkSides } from '../helpers/leaf-scenario.js';
import { collect, connectAll, closeAndStop } from '../helpers/clients.js';
import { waitFor } from '../helpers/wait.js';

const skip = GO_SERVER_BIN ? false : 'Go nats-server not installed';

/** The shared leaf checks, plus wildcards across the link and a queue group whose local member is preferred. */
function scenario(s: LinkSides): void {
  linkScenario('mix', s);

  it('matches wildcards', async () => {
    const { a, b } = s.ctx();
    const got = collect(a.subscribe('mixwc.>'));
    await a.flush();
    await s.bKnows('mixwc.>');
    b.publish('mixwc.one', '1');
    b.publish('mixwc.two.three', '2');
    await waitFor(() => got.length === 2);
    assert.deepEqual(got, ['1', '2']);
  });

  it('queue group: each message once; the local member is preferred', async () => {
    const { a, b } = s.ctx();
    const qa = collect(a.subscribe('mix.q', { queue: 'workers' }));
    const qb = collect(b.subscribe('mix.q', { queue: 'workers' }));
    await a.flush();
    await b.flush();
    await s.bKnows('mix.q workers');
    await s.aKnows('mix.q workers');
    for (let i = 0; i < 10; i++) b.publish('mix.q', `${i}`);
    await b.flush();
    await waitFor(() => qa.length + qb.length === 10);
    assert.equal(qb.length, 10, 'the publisher-side member takes all');
    assert.equal(qa.length, 0);
  });
}

describe('leaf nodes: our leaf into a Go hub', { skip }, () => {
  let go: GoServer;
  let leaf: RunningServer;
  let a: NatsConnection; // on the Go hub
  let b: NatsConnection; // on our leaf

  before(async () => {
    go = await startGoServer(['-m', '-1'], 'leafnodes { listen: "127.0.0.1:-1" }\n');
    const port = await goLeafPort(go);
    leaf = await startLeaf([remote(`nats-leaf://127.0.0.1:${port}`)]);
    await waitLeafs(leaf, 1);
    await waitFor(async () => (await goLeafCount(go)) === 1);
    [a, b] = await connectAll(go, leaf);
  });
  after(() => closeAndStop([a, b], [leaf, go]));

  // Go (a) knows b's interest when its leaf link lists it; our leaf (b) knows a's when the Go hub's LS+ is in our sublist
  scenario({ ctx: () => ({ a, b }), aKnows: (s) => goKnows(go)(s), bKnows: (s) => oursKnows(leaf)(s), bForgets: (s) => oursForgets(leaf)(s) });
});

describe('leaf nodes: a Go leaf into our hub', { skip }, () => {
  let hub: RunningServer;
  let go: GoServer;
  let a: NatsConnection; // on our hub
  let b: NatsConnection; // on the Go leaf

  before(async () => {
    hub = await startHub();
    go = await startGoLeaf(hub, `${leafURL(hub)}`);
    [a, b] = await connectAll(hub, go);
  });
  after(() => closeAndStop([a, b], [go, hub]));

  // our hub (a) knows the Go leaf's interest when its LS+ is in our sublist; the Go leaf (b) knows ours when its /leafz lists it
  scenario({ ctx: () => ({ a, b }), aKnows: (s) => oursKnows(hub)(s), bKnows: (s) => goKnows(go)(s), bForgets: (s) => goForgets(go)(s) });

  it('binds the Go leaf to the global account as its hub', () => {
    const link = hub.server.leafnodes!.list()[0];
    assert.equal(link.acc.name, '$G');
    assert.equal(link.isSpoke, false);
    assert.match(link.remoteServer, /^N[A-Z0-9]{55}$/);
  });
});
