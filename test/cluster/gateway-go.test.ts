/**
 * Gateways between our servers and Debian's Go nats-server 2.9.10, in both
 * directions: Go solicits our cluster (and ours connects back implicitly),
 * and ours solicits a Go server that knows nothing of us. Pub/sub, queue
 * groups and request/reply cross both ways; /gatewayz field sets are
 * compared with Go's.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, type GoServer } from '../helpers/go-server.js';
import { waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { clientPool } from '../helpers/clients.js';
import { gwOf, gwURL, startGoGateway, startGwCluster, startGwServer, waitGwInterest } from '../helpers/gateway.js';

const skip = GO_SERVER_BIN ? false : 'Go nats-server not installed';

async function json(port: number, path: string): Promise<Record<string, any>> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return (await r.json()) as Record<string, any>;
}

function keys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort();
}

describe('gateways with Go 2.9.10', { skip }, () => {
  const { open, closeAll } = clientPool();
  after(closeAll);

  describe('Go solicits our cluster of two', () => {
    let A: RunningServer[];
    let G: GoServer & { gwPort: number };
    before(async () => {
      A = await startGwCluster('A', 2, [], { http_port: -1 });
      await waitMeshed(A);
      G = await startGoGateway('B', [{ name: 'A', urls: [gwURL(A[0])] }]);
      // Go dials A1; A1 (and A2, told by A1 over the route) dial Go back.
      await waitFor(() => A.every((s) => gwOf(s).out.has('B')) && gwOf(A[0]).inbound.size >= 1, 15000);
    });
    after(async () => {
      await Promise.all(A.map((s) => s.stop()));
      await G?.stop();
    });

    it('pub/sub both ways, wildcards included', async () => {
      const a2 = await open(A[1].url);
      const g = await open(G.url);
      const got: string[] = [];
      g.subscribe('to.go.>', { callback: (_e, m) => { got.push(`go:${m.subject}:${m.string()}`); } });
      a2.subscribe('to.ours.*', { callback: (_e, m) => { got.push(`ours:${m.subject}:${m.string()}`); } });
      await g.flush();
      await a2.flush();
      await waitGwInterest(A[1], 'B', 'to.go.x.y');
      // Go's outbound to us learns our interest through RS+ in interest-only mode; retry until it flows.
      await waitFor(async () => {
        g.publish('to.ours.x', 'probe');
        await g.flush();
        return got.some((s) => s.startsWith('ours:to.ours.x:probe'));
      }, 10000, 100);
      a2.publish('to.go.x.y', 'hello-go');
      g.publish('to.ours.z', 'hello-ours');
      await waitFor(() => got.includes('go:to.go.x.y:hello-go') && got.includes('ours:to.ours.z:hello-ours'), 5000);
    });

    it('queue group members in Go only: each message from our cluster is delivered once', async () => {
      const pub = await open(A[0].url);
      let n = 0;
      const g1 = await open(G.url);
      const g2 = await open(G.url);
      g1.subscribe('q.work', { queue: 'qg', callback: () => { n++; } });
      g2.subscribe('q.work', { queue: 'qg', callback: () => { n++; } });
      await g1.flush();
      await g2.flush();
      await waitGwInterest(A[0], 'B', 'q.work');
      for (let k = 0; k < 30; k++) pub.publish('q.work', String(k));
      await waitFor(() => n === 30, 5000);
      await pub.flush();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(n, 30);
    });

    it('queue group members in our cluster only: each message from Go is delivered once', async () => {
      const g = await open(G.url);
      let n1 = 0;
      let n2 = 0;
      const a1 = await open(A[0].url);
      const a2 = await open(A[1].url);
      let probes = 0;
      a1.subscribe('q.back', { queue: 'qb', callback: (_e, m) => { if (m.string() === 'probe') probes++; else n1++; } });
      a2.subscribe('q.back', { queue: 'qb', callback: (_e, m) => { if (m.string() === 'probe') probes++; else n2++; } });
      await a1.flush();
      await a2.flush();
      // Go learns the queue interest from RS+ <acc> q.back qb 1; probe until one message made it.
      await waitFor(async () => {
        g.publish('q.back', 'probe');
        await g.flush();
        return probes > 0;
      }, 10000, 100);
      for (let k = 0; k < 30; k++) g.publish('q.back', String(k));
      await waitFor(() => n1 + n2 === 30, 5000);
      await g.flush();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(n1 + n2, 30);
    });

    it('a local queue member is preferred over the one in Go', async () => {
      const ours = await open(A[1].url);
      const g = await open(G.url);
      let local = 0;
      let remote = 0;
      ours.subscribe('q.pref', { queue: 'qp', callback: () => { local++; } });
      g.subscribe('q.pref', { queue: 'qp', callback: () => { remote++; } });
      await ours.flush();
      await g.flush();
      await waitGwInterest(A[0], 'B', 'q.pref');
      const pub = await open(A[0].url);
      for (let k = 0; k < 30; k++) pub.publish('q.pref', String(k));
      await waitFor(() => local === 30, 5000);
      assert.equal(remote, 0);
    });

    it('request/reply both ways', async () => {
      const g = await open(G.url);
      g.subscribe('go.svc', { callback: (_e, m) => { m.respond(`go:${m.string()}`); } });
      await g.flush();
      const a = await open(A[1].url);
      a.subscribe('ours.svc', { callback: (_e, m) => { m.respond(`ours:${m.string()}`); } });
      await a.flush();
      await waitGwInterest(A[1], 'B', 'go.svc');
      assert.equal((await a.request('go.svc', '1', { timeout: 3000 })).string(), 'go:1');
      await waitFor(async () => {
        try {
          return (await g.request('ours.svc', '2', { timeout: 500 })).string() === 'ours:2';
        } catch {
          return false;
        }
      }, 10000, 100);
      // A requester on a Go server that just connected (fresh inbox): the reply comes back through the _GR_ mapping.
      const fresh = await open(G.url);
      assert.equal((await fresh.request('ours.svc', '3', { timeout: 3000 })).string(), 'ours:3');
    });

    it('/gatewayz and /varz gateway have Go\'s field sets', async () => {
      const ours = await json(A[0].server.monitorPort!, '/gatewayz?accs=1');
      const go = await json(G.monitorPort!, '/gatewayz?accs=1');
      assert.deepEqual(keys(ours), keys(go));
      assert.equal(ours.name, 'A');
      assert.equal(go.name, 'B');
      const oo = ours.outbound_gateways.B;
      const go2 = go.outbound_gateways.A;
      assert.deepEqual(keys(oo), keys(go2));
      assert.deepEqual(keys(oo.connection), keys(go2.connection));
      assert.deepEqual(keys(oo.accounts.find((a: any) => a.name === '$G')), keys(go2.accounts.find((a: any) => a.name === '$G')));
      assert.equal(oo.accounts.find((a: any) => a.name === '$G').interest_mode, 'Interest-Only');
      assert.equal(oo.configured, false, 'A learned B implicitly');
      assert.equal(go2.configured, true);
      const oi = ours.inbound_gateways.B[0];
      const gi = go.inbound_gateways.A[0];
      assert.deepEqual(keys(oi), keys(gi));
      assert.deepEqual(keys(oi.connection), keys(gi.connection));
      assert.deepEqual(keys(oi.accounts[0]), keys(gi.accounts[0]));
      const ov = (await json(A[0].server.monitorPort!, '/varz')).gateway;
      const gv = (await json(G.monitorPort!, '/varz')).gateway;
      for (const k of ['name', 'host', 'port', 'auth_timeout', 'tls_timeout']) assert.ok(k in ov && k in gv, k);
      assert.deepEqual(keys(ov.gateways[0]), keys(gv.gateways[0]));
    });
  });

  describe('our server solicits a Go server', () => {
    let S: RunningServer;
    let G: GoServer & { gwPort: number };
    before(async () => {
      G = await startGoGateway('GO', []);
      S = await startGwServer('OURS', [{ name: 'GO', urls: [`nats://127.0.0.1:${G.gwPort}`] }], { server_name: 'O1' });
      // Go accepts our outbound and dials us back (implicit gateway).
      await waitFor(() => gwOf(S).out.has('GO') && gwOf(S).inbound.size === 1, 15000);
    });
    after(async () => {
      await S?.stop();
      await G?.stop();
    });

    it('pub/sub, queue and request/reply both ways', async () => {
      const o = await open(S.url);
      const g = await open(G.url);
      const got: string[] = [];
      g.subscribe('x.>', { callback: (_e, m) => { got.push(`go:${m.subject}`); } });
      g.subscribe('gq', { queue: 'q', callback: () => { got.push('go:q'); } });
      g.subscribe('gsvc', { callback: (_e, m) => { m.respond('go-answer'); } });
      o.subscribe('y', { callback: (_e, m) => { got.push(`ours:${m.subject}`); } });
      o.subscribe('osvc', { callback: (_e, m) => { m.respond('ours-answer'); } });
      await g.flush();
      await o.flush();
      await waitGwInterest(S, 'GO', 'x.1');
      await waitGwInterest(S, 'GO', 'gq');
      o.publish('x.1');
      for (let k = 0; k < 5; k++) o.publish('gq');
      await waitFor(() => got.filter((s) => s === 'go:q').length === 5 && got.includes('go:x.1'), 5000);
      assert.equal((await o.request('gsvc', '', { timeout: 3000 })).string(), 'go-answer');
      await waitFor(async () => {
        g.publish('y');
        await g.flush();
        return got.includes('ours:y');
      }, 10000, 100);
      assert.equal((await g.request('osvc', '', { timeout: 3000 })).string(), 'ours-answer');
    });
  });
});
