/**
 * Leaf nodes between two (or three) of our servers in one process: a hub
 * with a leafnode listener and leafs soliciting it, driven by real clients.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { startHub, startLeaf, remote, leafURL, waitLeafs, waitLinked, waitInterest, startSpokes } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';
import { collect, connectEach, connectAll, closeAndStop } from '../helpers/clients.js';

/** Publish on `nc` until the other side's interest has propagated and `got` has an entry. */
async function noInterest(srv: RunningServer, subject: string, acc = '$G'): Promise<void> {
  await waitFor(() => !srv.server.lookupAccount(acc)!.sl.hasInterest(subject));
}

describe('leaf nodes: our hub and our leaf', () => {
  let hub: RunningServer;
  let leaf: RunningServer;
  let nh: NatsConnection;
  let nl: NatsConnection;

  before(async () => {
    hub = await startHub();
    leaf = await startLeaf([remote(leafURL(hub))]);
    await waitLinked(hub, leaf);
    [nh, nl] = await connectAll(hub, leaf);
  });
  after(() => closeAndStop([nh, nl], [leaf, hub]));

  it('delivers from the leaf to the hub and from the hub to the leaf', async () => {
    const onHub = collect(nh.subscribe('l2h'));
    const onLeaf = collect(nl.subscribe('h2l'));
    await nh.flush();
    await nl.flush();
    await waitInterest(leaf, 'l2h');
    await waitInterest(hub, 'h2l');
    nl.publish('l2h', 'from-leaf');
    nh.publish('h2l', 'from-hub');
    await waitFor(() => onHub.length === 1 && onLeaf.length === 1);
    assert.deepEqual(onHub, ['from-leaf']);
    assert.deepEqual(onLeaf, ['from-hub']);
  });

  it('matches wildcard subscriptions across the link and sends one copy per link', async () => {
    const got = collect(nh.subscribe('wc.*'));
    const got2 = collect(nh.subscribe('wc.>'));
    await nh.flush();
    await waitInterest(leaf, 'wc.a');
    nl.publish('wc.a', '1');
    nl.publish('wc.b.c', '2');
    await waitFor(() => got.length === 1 && got2.length === 2);
    // the leaf link carried each message once although two hub subscriptions matched
    const link = hub.server.leafnodes!.list()[0];
    await nl.flush();
    await waitFor(() => link.inMsgs >= 2);
    assert.deepEqual(got, ['1']);
    assert.deepEqual(got2.sort(), ['1', '2']);
  });

  it('carries headers (HMSG) both ways', async () => {
    const sub = nl.subscribe('hdr.x', { max: 1 });
    await nl.flush();
    await waitInterest(hub, 'hdr.x');
    const h = headers();
    h.set('X-Test', 'yes');
    nh.publish('hdr.x', 'body', { headers: h });
    for await (const m of sub) {
      assert.equal(m.headers?.get('X-Test'), 'yes');
      assert.equal(m.string(), 'body');
    }
  });

  it('request/reply works across the link in both directions', async () => {
    const svc = nh.subscribe('svc.echo');
    (async () => {
      for await (const m of svc) m.respond(`echo:${m.string()}`);
    })().catch(() => {});
    const svc2 = nl.subscribe('svc.leaf');
    (async () => {
      for await (const m of svc2) m.respond(`leaf:${m.string()}`);
    })().catch(() => {});
    await nh.flush();
    await nl.flush();
    await waitInterest(leaf, 'svc.echo');
    await waitInterest(hub, 'svc.leaf');
    const r = await nl.request('svc.echo', 'hi', { timeout: 2000 });
    assert.equal(r.string(), 'echo:hi');
    const r2 = await nh.request('svc.leaf', 'yo', { timeout: 2000 });
    assert.equal(r2.string(), 'leaf:yo');
    svc.unsubscribe();
    svc2.unsubscribe();
  });

  it('propagates unsubscribe: interest goes away on the other side', async () => {
    const sub = nh.subscribe('gone.soon');
    await nh.flush();
    await waitInterest(leaf, 'gone.soon');
    sub.unsubscribe();
    await nh.flush();
    await noInterest(leaf, 'gone.soon');
  });

  it('counts a subject subscribed twice once on the link (LS- only after the last unsubscribe)', async () => {
    const a = nh.subscribe('twice');
    const b = nh.subscribe('twice');
    await nh.flush();
    await waitInterest(leaf, 'twice');
    a.unsubscribe();
    await nh.flush();
    // still interested: a round trip through the leaf proves nothing was removed
    const got = collect(nh.subscribe('twice.probe'));
    await nh.flush();
    await waitInterest(leaf, 'twice.probe');
    assert.equal(leaf.server.globalAccount.sl.hasInterest('twice'), true);
    b.unsubscribe();
    await nh.flush();
    await noInterest(leaf, 'twice');
    assert.deepEqual(got, []);
  });

  it('queue group: one delivery per group, local members preferred', async () => {
    const hq = collect(nh.subscribe('work', { queue: 'q' }));
    const lq = collect(nl.subscribe('work', { queue: 'q' }));
    await nh.flush();
    await nl.flush();
    await waitInterest(hub, 'work');
    await waitInterest(leaf, 'work');
    for (let i = 0; i < 20; i++) nh.publish('work', `h${i}`);
    for (let i = 0; i < 20; i++) nl.publish('work', `l${i}`);
    await nh.flush();
    await nl.flush();
    await waitFor(() => hq.length + lq.length === 40);
    // each side's publishes stay with its local member
    assert.deepEqual(hq, Array.from({ length: 20 }, (_, i) => `h${i}`));
    assert.deepEqual(lq, Array.from({ length: 20 }, (_, i) => `l${i}`));
  });

  it('queue group: with no local member the remote member gets each message once', async () => {
    const lq1 = collect(nl.subscribe('remoteq', { queue: 'g' }));
    const lq2 = collect(nl.subscribe('remoteq', { queue: 'g' }));
    const plain = collect(nl.subscribe('remoteq'));
    await nl.flush();
    await waitInterest(hub, 'remoteq');
    for (let i = 0; i < 30; i++) nh.publish('remoteq', `${i}`);
    await nh.flush();
    await waitFor(() => lq1.length + lq2.length === 30 && plain.length === 30);
    assert.deepEqual([...lq1, ...lq2].map(Number).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
  });
});

describe('leaf nodes: hub between two spokes', () => {
  it('forwards between spokes and never back to the origin', async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const [a, b] = await startSpokes(t, hub);
    const [na, nb] = await connectEach(t, a, b);
    const onA = collect(na.subscribe('spoke.x'));
    const onB = collect(nb.subscribe('spoke.x'));
    await na.flush();
    await nb.flush();
    await waitInterest(a, 'spoke.x');
    await waitFor(() => b.server.globalAccount.sl.match('spoke.x').psubs.length === 2);
    na.publish('spoke.x', 'from-a');
    await waitFor(() => onB.length === 1 && onA.length === 1);
    // A's own subscriber gets it once (locally), not a second time via the hub
    await na.flush();
    await nb.flush();
    assert.deepEqual(onA, ['from-a']);
    assert.deepEqual(onB, ['from-a']);
  });
});

describe('leaf nodes: accounts and authorization', () => {
  it('binds the leaf to the account of its leafnode user and sees only that account', async (t) => {
    const hub = await startHub(
      {
        accounts: [
          { name: 'A', limits: {}, imports: [], exports: [], mappings: [] },
          { name: 'B', limits: {}, imports: [], exports: [], mappings: [] },
        ],
      },
      { users: [{ user: 'la', password: 'pa', account: 'A' }] },
    );
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub, 'la:pa'))]);
    t.after(() => leaf.stop());
    await waitLeafs(hub, 1);
    const link = hub.server.leafnodes!.list()[0];
    assert.equal(link.acc.name, 'A');
    // interest from the leaf lands in account A only
    const nl = await connect({ servers: leaf.url });
    t.after(() => nl.close());
    collect(nl.subscribe('acct.x'));
    await nl.flush();
    await waitInterest(hub, 'acct.x', 'A');
    assert.equal(hub.server.lookupAccount('B')!.sl.hasInterest('acct.x'), false);
    assert.equal(hub.server.globalAccount.sl.hasInterest('acct.x'), false);
  });

  it('refuses a leaf with wrong credentials and keeps retrying', async (t) => {
    const logs: string[] = [];
    const hub = await startHub({ no_log: true, logSink: (l) => logs.push(l) }, { username: 'u', password: 'p' });
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub, 'u:wrong'))]);
    t.after(() => leaf.stop());
    await waitFor(() => logs.filter((l) => l.includes('authentication error')).length >= 2, 5000);
    assert.equal(hub.server.leafnodes!.count(), 0);
  });

  it('accepts the configured single leafnode user', async (t) => {
    const hub = await startHub({}, { username: 'u', password: 'p' });
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub, 'u:p'))]);
    t.after(() => leaf.stop());
    await waitLinked(hub, leaf);
  });
});

describe('leaf nodes: loop detection and reconnect', () => {
  it('detects a loop (a leaf connected twice to the same hub through itself) and closes with Go\'s error', async (t) => {
    const logs: string[] = [];
    const hub = await startHub({ no_log: true, logSink: (l) => logs.push(l) });
    t.after(() => hub.stop());
    // A solicits both hub and B, and B solicits hub: interest loops A -> B -> hub -> A
    const bHub = await startHub({}, { remotes: [remote(leafURL(hub))] });
    t.after(() => bHub.stop());
    const aLogs: string[] = [];
    const a = await startLeaf([remote(leafURL(hub)), remote(leafURL(bHub))], { no_log: true, logSink: (l) => aLogs.push(l) });
    t.after(() => a.stop());
    await waitFor(() => [...logs, ...aLogs].some((l) => l.includes('Loop detected for leafnode account="$G". Delaying attempt to reconnect for 30s')), 8000);
  });

  it('reconnects after the hub restarts on the same port', async (t) => {
    const hub = await startHub();
    const port = hub.server.leafnodes!.port;
    const leaf = await startLeaf([remote(`nats-leaf://127.0.0.1:${port}`)]);
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    await hub.stop();
    await waitLeafs(leaf, 0);
    const hub2 = await startHub({}, { port });
    t.after(() => hub2.stop());
    await waitLeafs(leaf, 1, 5000);
    await waitLeafs(hub2, 1);
  });
});

describe('leaf nodes: deny_imports and deny_exports of a remote', () => {
  it('keeps denied subjects from crossing the link in either direction', async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub), { deny_imports: ['secret.>'], deny_exports: ['private.>'] })]);
    t.after(() => leaf.stop());
    await waitLeafs(hub, 1);
    const [nh, nl] = await connectEach(t, hub, leaf);
    const leafSecret = collect(nl.subscribe('secret.x'));
    const leafOpen = collect(nl.subscribe('open.x'));
    const hubPrivate = collect(nh.subscribe('private.x'));
    const hubOpen = collect(nh.subscribe('open.y'));
    await nl.flush();
    await nh.flush();
    await waitInterest(hub, 'open.x');
    await waitInterest(leaf, 'open.y');
    // deny_imports: the spoke does not advertise secret.x, so the hub holds no interest for it
    assert.equal(hub.server.globalAccount.sl.hasInterest('secret.x'), false);
    // deny_exports: the hub's interest in private.x is ignored by the spoke
    assert.equal(leaf.server.globalAccount.sl.match('private.x').psubs.some((s) => s.client.kind === 4), false);
    nh.publish('secret.x', 'no');
    nl.publish('private.x', 'no');
    nh.publish('open.x', 'yes');
    nl.publish('open.y', 'yes');
    await waitFor(() => leafOpen.length === 1 && hubOpen.length === 1);
    await nh.flush();
    await nl.flush();
    assert.deepEqual(leafSecret, []);
    assert.deepEqual(hubPrivate, []);
  });

  it('the hub drops messages matching the spoke\'s deny_imports (sent as deny_pub in CONNECT)', async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub), { deny_imports: ['secret.>'] })]);
    t.after(() => leaf.stop());
    await waitLeafs(hub, 1);
    const link = hub.server.leafnodes!.list()[0];
    assert.ok(link.sendDeny.includes('secret.>'));
    const [nh, nl] = await connectEach(t, hub, leaf);
    // a wildcard the spoke may advertise covers secret.* too; the hub still must not send those
    const all = collect(nl.subscribe('>'));
    await nl.flush();
    await waitInterest(hub, 'anything');
    nh.publish('secret.a', 'no');
    nh.publish('public.a', 'yes');
    await waitFor(() => all.includes('yes'));
    await nh.flush();
    assert.equal(all.includes('no'), false);
  });
});

describe('leaf nodes: link loss', () => {
  it('drops the link\'s interest when it closes and tells the other links (LS-)', async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const a = await startLeaf([remote(leafURL(hub))]);
    t.after(() => a.stop());
    const b = await startLeaf([remote(leafURL(hub))]);
    await waitLeafs(hub, 2);
    const nb = await connect({ servers: b.url });
    nb.subscribe('only.on.b');
    await nb.flush();
    await waitInterest(hub, 'only.on.b');
    // A learns B's interest through the hub
    await waitInterest(a, 'only.on.b');
    await nb.close();
    await b.stop();
    await waitLeafs(hub, 1);
    await noInterest(hub, 'only.on.b');
    await noInterest(a, 'only.on.b');
  });

  it('a queue group spread over two spokes gets each hub message once', async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const [a, b] = await startSpokes(t, hub);
    const na = await connect({ servers: a.url });
    const nb = await connect({ servers: b.url });
    const nh = await connect({ servers: hub.url });
    t.after(() => na.close());
    t.after(() => nb.close());
    t.after(() => nh.close());
    const qa = collect(na.subscribe('spread', { queue: 'g' }));
    const qb = collect(nb.subscribe('spread', { queue: 'g' }));
    await na.flush();
    await nb.flush();
    await waitFor(() => hub.server.globalAccount.sl.match('spread').qsubs[0]?.length === 2);
    for (let i = 0; i < 40; i++) nh.publish('spread', `${i}`);
    await nh.flush();
    await waitFor(() => qa.length + qb.length === 40);
    assert.deepEqual([...qa, ...qb].map(Number).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i));
    // both spokes took part (random choice between two remote members)
    assert.ok(qa.length > 0 && qb.length > 0);
  });
});
