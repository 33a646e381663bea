/**
 * The route port spoken to over a raw socket: the route INFO, the RS+/RS-/
 * RMSG wire format both ways, route authorization, and bad input (client
 * CONNECT, garbage, oversize lines), which closes that link only. Where the
 * Go server (2.9.10) behaves the same, its answer is the reference.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { RawConn } from '../helpers/raw.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startClustered, routesOf, routeURL, stopAll, waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const ROUTE_CONNECT = (extra: Record<string, unknown> = {}) =>
  `CONNECT ${JSON.stringify({ echo: true, verbose: false, pedantic: false, tls_required: false, name: 'NFAKEROUTE', headers: true, cluster: 'test-cluster', lnoc: true, ...extra })}\r\n`;
const FAKE_INFO = `INFO ${JSON.stringify({ server_id: 'NFAKEROUTE', server_name: 'fake', version: '2.9.10', proto: 1, host: '127.0.0.1', port: 1, headers: true, max_payload: 1048576, cluster: 'test-cluster' })}\r\n`;

/** The first -ERR line a server sends after `input` on its route port, and whether it then closed. */
async function errAfter(port: number, input: string): Promise<{ err: string; closed: boolean }> {
  const c = await RawConn.connect(port);
  try {
    await c.info();
    c.send(input);
    const d = await c.waitClosed(3000);
    const line = d.split('\r\n').find((l) => l.startsWith('-ERR')) ?? '';
    return { err: line, closed: c.closed };
  } finally {
    c.close();
  }
}

describe('route port protocol', () => {
  let a: RunningServer;
  let b: RunningServer;
  let go: GoServer | null = null;
  const conns: NatsConnection[] = [];

  before(async () => {
    a = await startClustered([], { server_name: 'A' });
    b = await startClustered([routeURL(a)], { server_name: 'B' });
    await waitMeshed([a, b]);
    if (GO_SERVER_BIN) go = await startGoServer([], 'cluster {\n  name: test-cluster\n  listen: "127.0.0.1:-1"\n}\n');
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await go?.stop();
    await stopAll([a, b]);
  });

  it('sends a route INFO on accept', async () => {
    const c = await RawConn.connect(routesOf(a).port);
    try {
      const info = await c.info();
      assert.equal(info.server_id, a.server.id);
      assert.equal(info.server_name, 'A');
      assert.equal(info.cluster, 'test-cluster');
      assert.equal(info.port, routesOf(a).port);
      assert.equal(info.headers, true);
      assert.equal(info.lnoc, true);
      assert.deepEqual(info.connect_urls, [`127.0.0.1:${a.port}`]);
      assert.equal(info.client_id, undefined);
      if (go) {
        const g = await RawConn.connect(go.clusterPort!);
        const gi = await g.info();
        g.close();
        for (const k of Object.keys(gi)) if (k !== 'ip' && k !== 'git_commit' && k !== 'jetstream' && k !== 'auth_required' && k !== 'tls_required' && k !== 'tls_verify') assert.ok(k in info, `route INFO field ${k}`);
      }
    } finally {
      c.close();
    }
  });

  it('speaks RS+/RMSG/RS- with a raw route, one hop only', async () => {
    const c = await RawConn.connect(routesOf(a).port);
    conns.push(await connect({ servers: a.url }));
    const nc = conns[conns.length - 1];
    try {
      await c.info();
      c.send(ROUTE_CONNECT() + FAKE_INFO);
      // A sends its current interest; then it learns ours
      await waitFor(() => routesOf(a).routes.has('NFAKEROUTE'));
      c.send('RS+ $G raw.in\r\nRS+ $G raw.q grp 2\r\n');
      await c.flush();
      await waitFor(() => a.server.globalAccount.sl.match('raw.in').psubs.some((s) => s.link !== null));
      c.take();
      nc.publish('raw.in', 'abc', { reply: 'rep.ly' });
      nc.publish('raw.q', 'q1');
      await nc.flush();
      const d = await c.waitUntil((x) => x.includes('q1\r\n'));
      assert.ok(d.includes('RMSG $G raw.in rep.ly 3\r\nabc\r\n'), d);
      assert.ok(d.includes('RMSG $G raw.q | grp 2\r\nq1\r\n'), d);
      // routed in: delivered to the local subscriber, not sent back to any route
      const got: string[] = [];
      nc.subscribe('from.route', { callback: (_e, m) => { got.push(`${m.string()}|${m.reply ?? ''}|${m.headers?.get('K') ?? ''}`); } });
      await nc.flush();
      await c.waitUntil((x) => x.includes('RS+ $G from.route'));
      const hdr = 'NATS/1.0\r\nK: v\r\n\r\n';
      c.send(`RMSG $G from.route r.1 2\r\nhi\r\nHMSG $G from.route ${hdr.length} ${hdr.length + 2}\r\n${hdr}yo\r\n`);
      await waitFor(() => got.length === 2);
      assert.deepEqual(got, ['hi|r.1|', 'yo||v']);
      const bRoute = routesOf(a).routes.get(b.server.id)!;
      assert.equal(bRoute.outMsgs, 0, 'nothing forwarded to B (B has no interest, and routed messages never hop)');
      c.send('RS- $G raw.in\r\n');
      await waitFor(() => !a.server.globalAccount.sl.match('raw.in').psubs.some((s) => s.link !== null));
    } finally {
      c.close();
    }
  });

  it('answers a client CONNECT on the route port as Go does and closes', async () => {
    const input = 'CONNECT {"lang":"node","version":"3.0.0","verbose":false,"pedantic":false}\r\nPING\r\n';
    const ours = await errAfter(routesOf(a).port, input);
    assert.equal(ours.err, "-ERR 'attempted to connect to route port'");
    assert.equal(ours.closed, true);
    if (go) assert.deepEqual(ours, await errAfter(go.clusterPort!, input));
  });

  it('refuses an op before CONNECT (Go 2.10+ expects CONNECT first on accepted routes)', async () => {
    const ours = await errAfter(routesOf(a).port, 'PUB foo 1\r\nx\r\n');
    assert.deepEqual(ours, { err: "-ERR 'Authorization Violation'", closed: true });
  });

  it('refuses garbage after CONNECT and ignores client SUB, as Go does', async () => {
    const input = `${ROUTE_CONNECT()}XYZZY\r\n`;
    const ours = await errAfter(routesOf(a).port, input);
    assert.deepEqual(ours, { err: "-ERR 'Unknown Protocol Operation'", closed: true });
    if (go) assert.deepEqual(ours, await errAfter(go.clusterPort!, input));
    const c = await RawConn.connect(routesOf(a).port);
    try {
      await c.info();
      c.send(`${ROUTE_CONNECT({ name: 'NSUBTEST' })}SUB foo 1\r\n`);
      const d = await c.flush();
      assert.ok(!d.includes('-ERR'), d);
      assert.equal(a.server.globalAccount.sl.match('foo').psubs.length, 0, 'SUB on a route adds no interest');
    } finally {
      c.close();
    }
  });

  it('keeps route ops away from clients: RS+/RMSG on the client port is an unknown op, as Go says', async () => {
    for (const op of ['RS+ $G foo\r\n', 'RMSG $G foo 1\r\nx\r\n']) {
      const c = await RawConn.connect(a.port);
      try {
        await c.info();
        c.send(`CONNECT {"verbose":false}\r\n${op}`);
        const d = await c.waitClosed();
        assert.ok(d.includes("-ERR 'Unknown Protocol Operation'"), d);
        if (go) {
          const g = await RawConn.connect(go.port);
          await g.info();
          g.send(`CONNECT {"verbose":false}\r\n${op}`);
          const gd = await g.waitClosed();
          g.close();
          assert.ok(gd.includes("-ERR 'Unknown Protocol Operation'"), gd);
        }
      } finally {
        c.close();
      }
    }
  });

  it('rejects a CONNECT from another cluster', async () => {
    const ours = await errAfter(routesOf(a).port, ROUTE_CONNECT({ cluster: 'other' }));
    assert.equal(ours.err, `-ERR 'Rejecting connection, cluster name "other" does not match "test-cluster"'`);
    if (go) assert.deepEqual(ours, await errAfter(go.clusterPort!, ROUTE_CONNECT({ cluster: 'other' })));
  });

  it('closes a route whose control line is over 16 x max_control_line (Go 2.10+), keeping the others', async () => {
    const c = await RawConn.connect(routesOf(a).port);
    try {
      await c.info();
      c.send(ROUTE_CONNECT() + FAKE_INFO);
      await waitFor(() => routesOf(a).routes.has('NFAKEROUTE'));
      c.send(`RS+ $G ${'x'.repeat(4096 * 16 + 10)}`);
      const d = await c.waitClosed();
      assert.ok(d.includes("-ERR 'maximum control line exceeded'"), d.slice(-200));
    } finally {
      c.close();
    }
    await waitFor(() => !routesOf(a).routes.has('NFAKEROUTE'));
    assert.ok(routesOf(a).routes.has(b.server.id), 'the route to B is untouched');
  });
});

describe('route authorization', () => {
  let a: RunningServer;
  const servers: RunningServer[] = [];
  before(async () => {
    a = await startClustered([], { server_name: 'A' }, { authorization: { user: 'ruser', password: 'rpass', timeout: 1 } });
    servers.push(a);
  });
  after(async () => {
    await stopAll(servers);
  });

  it('announces auth_required and refuses bad credentials with Authorization Violation', async () => {
    const c = await RawConn.connect(routesOf(a).port);
    const info = await c.info();
    c.close();
    assert.equal(info.auth_required, true);
    assert.equal(typeof info.nonce, 'string');
    const bad = await errAfter(routesOf(a).port, ROUTE_CONNECT({ user: 'ruser', pass: 'nope' }));
    assert.deepEqual(bad, { err: "-ERR 'Authorization Violation'", closed: true });
    const none = await errAfter(routesOf(a).port, '');
    assert.deepEqual(none, { err: "-ERR 'Authentication Timeout'", closed: true });
  });

  it('routes with user:pass in the route URL; without them, no route', async () => {
    const port = routesOf(a).port;
    const good = await startClustered([`nats-route://ruser:rpass@127.0.0.1:${port}`], { server_name: 'G' }, { authorization: { user: 'ruser', password: 'rpass' } });
    servers.push(good);
    await waitMeshed([a, good]);
    const bad = await startClustered([`nats-route://ruser:wrong@127.0.0.1:${port}`], { server_name: 'X' });
    servers.push(bad);
    // it keeps trying (configured route) but never registers
    await waitFor(() => routesOf(bad).conns.size === 0 && routesOf(a).numRemotes() === 1, 3000);
    assert.equal(routesOf(bad).numRemotes(), 0);
  });
});
