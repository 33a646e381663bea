/**
 * Leaf nodes mixed with the Go server (Debian's nats-server 2.9.10): our
 * leaf soliciting a Go hub, and a Go leaf soliciting our hub. Clients on
 * either side must see each other's messages, queue groups, request/reply
 * and unsubscribes. Interest on the Go side is read from its /leafz.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startHub, startLeaf, remote, leafURL, waitLeafs } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';

const skip = GO_SERVER_BIN ? false : 'Go nats-server not installed';

function collect(sub: Subscription): string[] {
  const got: string[] = [];
  (async () => {
    for await (const m of sub) got.push(m.string());
  })().catch(() => {});
  return got;
}

/** The Go server's leafnode port, from its log line. */
async function goLeafPort(g: GoServer): Promise<number> {
  const m = await waitFor(() => /Listening for leafnode connections on [^\s]+:(\d+)/.exec(g.logs()), 5000);
  return Number(m![1]);
}

/** Subjects the Go server's leaf links have been told about (its /leafz subscriptions_list). */
async function goLeafSubs(g: GoServer): Promise<string[]> {
  const r = await fetch(`http://127.0.0.1:${g.monitorPort}/leafz?subs=1`);
  const j = (await r.json()) as { leafs?: { subscriptions_list?: string[] }[] };
  return (j.leafs ?? []).flatMap((l) => l.subscriptions_list ?? []);
}

async function goLeafCount(g: GoServer): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${g.monitorPort}/leafz`);
  return ((await r.json()) as { leafnodes: number }).leafnodes;
}

/** The shared scenario: `a` and `b` are clients on the two sides; the waiters tell when each side knows the other's interest. */
function scenario(
  ctx: () => { a: NatsConnection; b: NatsConnection },
  aKnows: (subject: string) => Promise<void>,
  bKnows: (subject: string) => Promise<void>,
  aForgets: (subject: string) => Promise<void>,
): void {
  it('delivers both ways', async () => {
    const { a, b } = ctx();
    const onA = collect(a.subscribe('mix.toA'));
    const onB = collect(b.subscribe('mix.toB'));
    await a.flush();
    await b.flush();
    await bKnows('mix.toA');
    await aKnows('mix.toB');
    b.publish('mix.toA', 'from-b');
    a.publish('mix.toB', 'from-a');
    await waitFor(() => onA.length === 1 && onB.length === 1);
    assert.deepEqual(onA, ['from-b']);
    assert.deepEqual(onB, ['from-a']);
  });

  it('matches wildcards', async () => {
    const { a, b } = ctx();
    const got = collect(a.subscribe('mixwc.>'));
    await a.flush();
    await bKnows('mixwc.>');
    b.publish('mixwc.one', '1');
    b.publish('mixwc.two.three', '2');
    await waitFor(() => got.length === 2);
    assert.deepEqual(got, ['1', '2']);
  });

  it('request/reply across the link', async () => {
    const { a, b } = ctx();
    const svc = a.subscribe('mix.svc');
    (async () => {
      for await (const m of svc) m.respond(`re:${m.string()}`);
    })().catch(() => {});
    await a.flush();
    await bKnows('mix.svc');
    const r = await b.request('mix.svc', 'q', { timeout: 3000 });
    assert.equal(r.string(), 're:q');
    svc.unsubscribe();
  });

  it('queue group: each message once; the local member is preferred', async () => {
    const { a, b } = ctx();
    const qa = collect(a.subscribe('mix.q', { queue: 'workers' }));
    const qb = collect(b.subscribe('mix.q', { queue: 'workers' }));
    await a.flush();
    await b.flush();
    await bKnows('mix.q workers');
    await aKnows('mix.q workers');
    for (let i = 0; i < 10; i++) b.publish('mix.q', `${i}`);
    await b.flush();
    await waitFor(() => qa.length + qb.length === 10);
    assert.equal(qb.length, 10, 'the publisher-side member takes all');
    assert.equal(qa.length, 0);
  });

  it('queue group: only a remote member gets each message exactly once', async () => {
    const { a, b } = ctx();
    const q1 = collect(a.subscribe('mix.rq', { queue: 'g' }));
    const q2 = collect(a.subscribe('mix.rq', { queue: 'g' }));
    await a.flush();
    await bKnows('mix.rq g');
    for (let i = 0; i < 20; i++) b.publish('mix.rq', `${i}`);
    await b.flush();
    await waitFor(() => q1.length + q2.length === 20);
    assert.deepEqual([...q1, ...q2].map(Number).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  });

  it('propagates unsubscribe', async () => {
    const { a, b } = ctx();
    const sub = a.subscribe('mix.unsub');
    await a.flush();
    await bKnows('mix.unsub');
    sub.unsubscribe();
    await a.flush();
    await aForgets('mix.unsub');
    void b;
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
    a = await connect({ servers: go.url });
    b = await connect({ servers: leaf.url });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await leaf?.stop();
    await go?.stop();
  });

  const hasSub = async (subject: string) => {
    const [s, q] = subject.split(' ');
    await waitFor(() => {
      const r = leaf.server.globalAccount.sl.match(s.replace('>', 'x'));
      return q ? r.qsubs.some((g) => g[0]?.queue === q && g.some((x) => x.client.kind === 4)) : r.psubs.some((x) => x.client.kind === 4);
    });
  };
  scenario(
    () => ({ a, b }),
    // Go (a) knows b's interest when its leaf link lists it
    async (subject) => void (await waitFor(async () => (await goLeafSubs(go)).includes(subject.split(' ')[0]))),
    // our leaf (b) knows a's interest when the Go hub's LS+ is in our sublist
    hasSub,
    async (subject) => {
      await waitFor(() => !leaf.server.globalAccount.sl.hasInterest(subject));
    },
  );
});

describe('leaf nodes: a Go leaf into our hub', { skip }, () => {
  let hub: RunningServer;
  let go: GoServer;
  let a: NatsConnection; // on our hub
  let b: NatsConnection; // on the Go leaf

  before(async () => {
    hub = await startHub();
    go = await startGoServer(['-m', '-1'], `leafnodes { remotes [ { url: "${leafURL(hub)}" } ] }\n`);
    await waitLeafs(hub, 1);
    await waitFor(async () => (await goLeafCount(go)) === 1);
    a = await connect({ servers: hub.url });
    b = await connect({ servers: go.url });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await go?.stop();
    await hub?.stop();
  });

  const hubHas = async (subject: string) => {
    const [s, q] = subject.split(' ');
    await waitFor(() => {
      const r = hub.server.globalAccount.sl.match(s.replace('>', 'x'));
      return q ? r.qsubs.some((g) => g[0]?.queue === q && g.some((x) => x.client.kind === 4)) : r.psubs.some((x) => x.client.kind === 4);
    });
  };
  scenario(
    () => ({ a, b }),
    // our hub (a) knows the Go leaf's interest when its LS+ is in our sublist
    hubHas,
    // the Go leaf (b) knows our interest when its /leafz lists it
    async (subject) => void (await waitFor(async () => (await goLeafSubs(go)).includes(subject.split(' ')[0]))),
    async (subject) => {
      await waitFor(async () => !(await goLeafSubs(go)).includes(subject));
    },
  );

  it('binds the Go leaf to the global account as its hub', () => {
    const link = hub.server.leafnodes!.list()[0];
    assert.equal(link.acc.name, '$G');
    assert.equal(link.isSpoke, false);
    assert.match(link.remoteServer, /^N[A-Z0-9]{55}$/);
  });
});
