/**
 * Leaf nodes over WebSocket (Go leafnode.go leafNodeSolicitWSConnection and
 * websocket.go's `/leafnode` path): our leaf into our hub, our leaf into a
 * Go 2.9.10 hub's websocket port, a Go 2.9.10 leaf (`ws://` remote) into our
 * hub, `wss://` with TLS, and leaf authorization with account binding. The
 * same scenario as the TCP links: messages both ways, wildcards, queue
 * groups, request/reply and unsubscribe propagation.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { ClosedReason } from '../../src/conn/closed-reason.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startHub, startLeaf, remote, waitLeafs, waitLinked, leafInterest, goLeafCount, startGoLeaf } from '../helpers/leaf.js';
import { wsOpts, wsPort, goWsPort, RawWs } from '../helpers/ws.js';
import { collect, connectEach, connectAll, closeAndStop } from '../helpers/clients.js';
import { linkScenario, oursKnows, oursForgets, goKnows, goForgets, type LinkSides } from '../helpers/leaf-scenario.js';
import { serverTls, clientTls, CA_FILE } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const skipGo = GO_SERVER_BIN ? false : 'Go nats-server not installed';

/** The shared leaf checks over a ws link, and a wildcard run with many messages and a large payload. */
function scenario(s: LinkSides): void {
  linkScenario('ws', s);

  it('wildcards, many messages and a large payload', async () => {
    const { a, b } = s.ctx();
    const got = collect(a.subscribe('wswc.>'));
    await a.flush();
    await s.bKnows('wswc.>');
    for (let i = 0; i < 200; i++) b.publish(`wswc.${i % 3}.x`, `${i}`);
    const big = 'B'.repeat(200_000);
    b.publish('wswc.big', big);
    await waitFor(() => got.length === 201);
    assert.deepEqual(got.slice(0, 200).map(Number), Array.from({ length: 200 }, (_, i) => i));
    assert.equal(got[200], big);
  });
}

describe('leaf over ws: our leaf into our hub', () => {
  let hub: RunningServer;
  let leaf: RunningServer;
  let a: NatsConnection; // on the hub
  let b: NatsConnection; // on the leaf
  before(async () => {
    hub = await startHub({ websocket: wsOpts() });
    leaf = await startLeaf([remote(`ws://127.0.0.1:${wsPort(hub)}`)]);
    await waitLinked(hub, leaf);
    [a, b] = await connectAll(hub, leaf);
  });
  after(() => closeAndStop([a, b], [leaf, hub]));
  scenario({ ctx: () => ({ a, b }), aKnows: (s) => oursKnows(hub)(s), bKnows: (s) => oursKnows(leaf)(s), bForgets: (s) => oursForgets(leaf)(s) });

  it('both sides see the link as a websocket leaf; the hub did not count it as a client', () => {
    const h = hub.server.leafnodes!.list()[0];
    const l = leaf.server.leafnodes!.list()[0];
    assert.equal(h.isWebSocket, true);
    assert.equal(l.isWebSocket, true);
    assert.equal(l.solicited, true);
    assert.equal(hub.server.clients.size, 1, 'only the nats.js client');
  });

  it('the leaf reconnects when the link drops', async () => {
    const h = hub.server.leafnodes!.list()[0];
    h.closeConnection(ClosedReason.ClientClosed);
    await waitFor(() => hub.server.leafnodes!.list().some((x) => x !== h), 5000);
    await waitLeafs(leaf, 1);
    const got = collect(a.subscribe('ws.after'));
    await a.flush();
    await waitFor(() => leafInterest(leaf, 'ws.after'));
    b.publish('ws.after', 'again');
    await waitFor(() => got.length === 1);
  });
});

describe('leaf over ws: authorization and account binding', () => {
  it('leafnodes users bind the ws link to their account; a bad password is refused', async (t) => {
    const hub = await startHub(
      {
        websocket: wsOpts(),
        accounts: [
          { name: 'A', limits: {}, imports: [], exports: [], mappings: [] },
          { name: 'B', limits: {}, imports: [], exports: [], mappings: [] },
        ],
        users: [
          { user: 'ha', password: 'p', account: 'A' },
          { user: 'hb', password: 'p', account: 'B' },
        ],
      },
      { users: [{ user: 'leafu', password: 'leafp', account: 'A' }] },
    );
    t.after(() => hub.stop());
    const bad = await startLeaf([remote(`ws://leafu:nope@127.0.0.1:${wsPort(hub)}`)]);
    t.after(() => bad.stop());
    const leaf = await startLeaf([remote(`ws://leafu:leafp@127.0.0.1:${wsPort(hub)}`)]);
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    await waitLeafs(hub, 1);
    assert.equal(hub.server.leafnodes!.list()[0].acc.name, 'A');
    const ha = await connect({ servers: hub.url, user: 'ha', pass: 'p' });
    t.after(() => ha.close());
    const hb = await connect({ servers: hub.url, user: 'hb', pass: 'p' });
    t.after(() => hb.close());
    const nl = await connect({ servers: leaf.url });
    t.after(() => nl.close());
    const onA = collect(ha.subscribe('acc.x'));
    const onB = collect(hb.subscribe('acc.x'));
    const onLeaf = collect(nl.subscribe('acc.y'));
    await ha.flush();
    await hb.flush();
    await nl.flush();
    await waitFor(() => leafInterest(hub, 'acc.y', 'A'));
    assert.equal(hub.server.lookupAccount('B')!.sl.hasInterest('acc.y'), false);
    await waitFor(() => leafInterest(leaf, 'acc.x'));
    nl.publish('acc.x', 'from-leaf');
    hb.publish('acc.y', 'from-B');
    ha.publish('acc.y', 'from-A');
    await waitFor(() => onA.length === 1 && onLeaf.length === 1);
    await hb.flush();
    assert.deepEqual(onA, ['from-leaf']);
    assert.deepEqual(onB, []);
    assert.deepEqual(onLeaf, ['from-A']);
    assert.equal(bad.server.leafnodes!.count(), 0, 'wrong password: no link');
  });

  it('a hub without a leafnode listener closes ws leaf upgrades', async (t) => {
    const srv = await startHub({ websocket: wsOpts() }, { port: 0 });
    t.after(() => srv.stop());
    const c = await RawWs.connect(`ws://127.0.0.1:${wsPort(srv)}/leafnode`);
    t.after(() => c.close());
    await waitFor(() => c.closed);
    assert.equal(c.take(), '', 'no INFO');
  });

  it('ws_compression on our remote negotiates permessage-deflate with a compressing hub', async (t) => {
    const hub = await startHub({ websocket: wsOpts({ compression: true }) });
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(`ws://127.0.0.1:${wsPort(hub)}`, { ws_compression: true })]);
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    const l = leaf.server.leafnodes!.list()[0];
    assert.match((l.socket as unknown as { ws: { extensions: string } }).ws.extensions, /permessage-deflate/);
    const a = await connect({ servers: hub.url });
    t.after(() => a.close());
    const b = await connect({ servers: leaf.url });
    t.after(() => b.close());
    const got = collect(a.subscribe('z.x'));
    await a.flush();
    await waitFor(() => leafInterest(leaf, 'z.x'));
    b.publish('z.x', 'q'.repeat(50_000));
    await waitFor(() => got.length === 1);
    assert.equal(got[0], 'q'.repeat(50_000));
  });

  it('a ws leaf upgrade gets the leafnode INFO (with a nonce), not the client INFO', async (t) => {
    const hub = await startHub({ websocket: wsOpts() });
    t.after(() => hub.stop());
    const c = await RawWs.connect(`ws://127.0.0.1:${wsPort(hub)}/some/prefix/leafnode`);
    t.after(() => c.close());
    const info = await c.info();
    assert.equal(typeof info.nonce, 'string');
    assert.equal(info.auth_required, true, 'leaf INFO: a CONNECT is always expected');
    assert.ok(Array.isArray(info.leafnode_urls));
  });
});

describe('leaf over wss (TLS on the websocket listener)', () => {
  it('our leaf dials wss:// with the CA; messages flow', async (t) => {
    const hub = await startHub({ websocket: wsOpts({ no_tls: false, tls: serverTls() }) });
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(`wss://127.0.0.1:${wsPort(hub)}`, { tls: clientTls() })]);
    t.after(() => leaf.stop());
    await waitLinked(hub, leaf);
    const [a, b] = await connectEach(t, hub, leaf);
    const got = collect(a.subscribe('wss.x'));
    await a.flush();
    await waitFor(() => leafInterest(leaf, 'wss.x'));
    b.publish('wss.x', 'secure');
    await waitFor(() => got.length === 1);
    assert.deepEqual(got, ['secure']);
  });

  it('without the CA the wss dial fails and no link comes up', async (t) => {
    const hub = await startHub({ websocket: wsOpts({ no_tls: false, tls: serverTls() }) });
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(`wss://127.0.0.1:${wsPort(hub)}`)]);
    t.after(() => leaf.stop());
    // a raw wss client with the CA proves the listener is up
    const c = await RawWs.connect(`wss://127.0.0.1:${wsPort(hub)}`, { ca: readFileSync(CA_FILE) });
    c.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(hub.server.leafnodes!.count(), 0);
    assert.equal(leaf.server.leafnodes!.count(), 0);
  });
});

describe('leaf over ws: our leaf into a Go 2.9.10 hub', { skip: skipGo }, () => {
  let go: GoServer;
  let leaf: RunningServer;
  let a: NatsConnection; // on the Go hub
  let b: NatsConnection; // on our leaf
  before(async () => {
    go = await startGoServer(['-m', '-1'], 'leafnodes { listen: "127.0.0.1:-1" }\nwebsocket { listen: "127.0.0.1:-1", no_tls: true }\n');
    leaf = await startLeaf([remote(`ws://127.0.0.1:${await goWsPort(go)}`)]);
    await waitLeafs(leaf, 1);
    await waitFor(async () => (await goLeafCount(go)) === 1);
    [a, b] = await connectAll(go, leaf);
  });
  after(() => closeAndStop([a, b], [leaf, go]));
  scenario({ ctx: () => ({ a, b }), aKnows: (s) => goKnows(go)(s), bKnows: (s) => oursKnows(leaf)(s), bForgets: (s) => oursForgets(leaf)(s) });
});

describe('leaf over ws: a Go 2.9.10 leaf (ws:// remote) into our hub', { skip: skipGo }, () => {
  let hub: RunningServer;
  let go: GoServer;
  let a: NatsConnection; // on our hub
  let b: NatsConnection; // on the Go leaf
  before(async () => {
    hub = await startHub({ websocket: wsOpts() });
    go = await startGoLeaf(hub, `ws://127.0.0.1:${wsPort(hub)}`);
    [a, b] = await connectAll(hub, go);
  });
  after(() => closeAndStop([a, b], [go, hub]));
  scenario({ ctx: () => ({ a, b }), aKnows: (s) => oursKnows(hub)(s), bKnows: (s) => goKnows(go)(s), bForgets: (s) => goForgets(go)(s) });

  it('the hub sees a websocket link from the Go leaf', () => {
    const link = hub.server.leafnodes!.list()[0];
    assert.equal(link.isWebSocket, true);
    assert.equal(link.acc.name, '$G');
    assert.match(link.remoteServer, /^N[A-Z0-9]{55}$/);
  });

  it('a compressed Go leaf link (ws_compression) also works', async (t) => {
    const hub2 = await startHub({ websocket: wsOpts({ compression: true }) });
    t.after(() => hub2.stop());
    const go2 = await startGoServer([], `leafnodes { remotes [ { url: "ws://127.0.0.1:${wsPort(hub2)}", ws_compression: true } ] }\n`);
    t.after(() => go2.stop());
    await waitLeafs(hub2, 1);
    const x = await connect({ servers: hub2.url });
    t.after(() => x.close());
    const y = await connect({ servers: go2.url });
    t.after(() => y.close());
    const got = collect(x.subscribe('cmp.x'));
    await x.flush();
    await waitFor(async () => {
      y.publish('cmp.x', 'z'.repeat(5000));
      await y.flush();
      return got.length > 0;
    });
    assert.equal(got[0], 'z'.repeat(5000));
  });
});
