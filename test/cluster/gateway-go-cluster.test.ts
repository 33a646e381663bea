/**
 * Super-clusters mixing implementations (issue 5): a cluster of two routed
 * Go 2.9.10 servers and a cluster of two of ours joined by gateways, once
 * with Go soliciting and once with ours soliciting; then a mixed cluster (one
 * of ours and one Go server, routed) joined with a cluster of ours. Real
 * clients on every server: pub/sub, a queue group spread over both clusters,
 * request/reply and unsubscribe propagation.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, type GoServer } from '../helpers/go-server.js';
import { routeURL, routesOf, waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { gwOf, gwURL, startGoGateway, startGoGwCluster, startGwCluster, startGwServer, waitNoGwInterest } from '../helpers/gateway.js';

const skip = GO_SERVER_BIN ? false : 'Go nats-server not installed';

/** One server of the topology, ours or Go's. */
interface Srv {
  name: string;
  url: string;
  ours?: RunningServer;
  go?: GoServer & { gwPort: number };
}

const ours = (s: RunningServer): Srv => ({ name: s.server.name, url: s.url, ours: s });
const goes = (g: GoServer & { gwPort: number }, name: string): Srv => ({ name, url: g.url, go: g });

async function gatewayz(g: GoServer): Promise<Record<string, any>> {
  const r = await fetch(`http://127.0.0.1:${g.monitorPort}/gatewayz?accs=1`);
  return (await r.json()) as Record<string, any>;
}

/** Subscriptions `s`'s outbound gateway to `gw` knows of in `$G` (ours: its interest table; Go: /gatewayz num_subs). */
async function remoteSubs(s: Srv, gw: string, subject: string): Promise<number> {
  if (s.ours) {
    const e = gwOf(s.ours).out.get(gw)?.interest?.accounts.get('$G');
    return e ? e.sl.match(subject).psubs.length : 0;
  }
  const z = await gatewayz(s.go!);
  const acc = (z.outbound_gateways?.[gw]?.accounts ?? []).find((a: any) => a.name === '$G');
  return acc?.num_subs ?? 0;
}

/** The shared checks for clusters X and Y (names are their gateway names). */
function scenarios(get: () => { X: Srv[]; Y: Srv[]; xName: string; yName: string }): void {
  const conns: NatsConnection[] = [];
  const open = async (s: Srv) => {
    const nc = await connect({ servers: s.url, name: s.name });
    conns.push(nc);
    return nc;
  };
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
  });

  it('pub/sub: every client gets every other server\'s messages once', async () => {
    const { X, Y } = get();
    const all = [...X, ...Y];
    const ncs = await Promise.all(all.map(open));
    const got = all.map(() => [] as string[]);
    ncs.forEach((nc, k) => nc.subscribe('all.>', { callback: (_e, m) => { got[k].push(m.subject); } }));
    await Promise.all(ncs.map((nc) => nc.flush()));
    // interest has spread once each publisher's probe reaches every client
    await waitFor(async () => {
      for (let k = 0; k < all.length; k++) ncs[k].publish(`all.probe.${k}`);
      await Promise.all(ncs.map((nc) => nc.flush()));
      return got.every((g) => all.every((_s, k) => g.includes(`all.probe.${k}`)));
    }, 15000, 200);
    for (const g of got) g.length = 0;
    for (let k = 0; k < all.length; k++) for (let n = 0; n < 3; n++) ncs[k].publish(`all.m.${k}.${n}`);
    const want = all.flatMap((_s, k) => [0, 1, 2].map((n) => `all.m.${k}.${n}`)).sort();
    await waitFor(() => got.every((g) => g.length >= want.length), 5000);
    // a round trip through every publisher's server: nothing more is on its way
    await Promise.all(ncs.map((nc) => nc.flush()));
    // (late probes of the interest wait may still arrive: only the real messages are counted)
    for (let k = 0; k < all.length; k++) assert.deepEqual(got[k].filter((m) => m.startsWith('all.m.')).sort(), want, `client on ${all[k].name}`);
  });

  it('queue group over both clusters: members in the publisher\'s cluster win, else each message once in the other cluster', async () => {
    const { X, Y } = get();
    for (const [pubSide, other] of [[X, Y], [Y, X]] as const) {
      const members = [...pubSide, ...other];
      const ncs = await Promise.all(members.map(open));
      const counts = members.map(() => 0);
      const subs = ncs.map((nc, k) => nc.subscribe('qwork', { queue: 'workers', callback: () => { counts[k]++; } }));
      await Promise.all(ncs.map((nc) => nc.flush()));
      const pub = await open(pubSide[0]);
      // every member's interest known: the other cluster's via gateway (probed with a plain sub next to each member)
      await waitFor(async () => (await Promise.all(pubSide.map((s) => remoteQueueKnown(s, other)))).every(Boolean), 10000, 100);
      const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
      for (let k = 0; k < 30; k++) pub.publish('qwork', String(k));
      await waitFor(() => sum(counts.slice(0, pubSide.length)) === 30, 5000);
      await pub.flush();
      for (const nc of ncs) await nc.flush();
      // (inside a cluster Go 2.9.10 picks a local or a routed member at random: both are in the publisher's cluster)
      assert.deepEqual(counts.slice(pubSide.length), other.map(() => 0), 'the members in the publisher\'s cluster took all');
      assert.equal(sum(counts), 30);
      // No member left in the publisher's cluster: each message goes once to the other cluster.
      for (let k = 0; k < pubSide.length; k++) subs[k].unsubscribe();
      await Promise.all(ncs.map((nc) => nc.flush()));
      counts.fill(0);
      // until the unsubscribes reach the publisher's server a message may go to a member that is gone: probe first
      await waitFor(async () => {
        pub.publish('qwork', 'probe');
        await pub.flush();
        return counts.some((c) => c > 0);
      }, 10000, 100);
      await waitFor(async () => {
        const before = counts.reduce((a, b) => a + b, 0);
        pub.publish('qwork', 'probe');
        await pub.flush();
        await new Promise((r) => setTimeout(r, 50));
        return counts.reduce((a, b) => a + b, 0) === before + 1;
      }, 10000, 10);
      counts.fill(0);
      for (let k = 0; k < 40; k++) pub.publish('qwork', String(k));
      await waitFor(() => counts.reduce((a, b) => a + b, 0) >= 40, 5000);
      await pub.flush();
      for (const nc of ncs) await nc.flush();
      assert.equal(counts.reduce((a, b) => a + b, 0), 40, 'each message delivered once');
      assert.deepEqual(counts.slice(0, pubSide.length), pubSide.map(() => 0));
      for (let k = pubSide.length; k < members.length; k++) subs[k].unsubscribe();
      await Promise.all(ncs.map((nc) => nc.flush()));
    }
  });

  it('request/reply both ways, fresh requesters on every server', async () => {
    const { X, Y } = get();
    for (const [svcSide, reqSide] of [[X, Y], [Y, X]] as const) {
      const svcs = await Promise.all(svcSide.map(open));
      const subj = `svc.${svcSide[0].name}`;
      svcs.forEach((nc, k) => nc.subscribe(subj, { queue: 'svc', callback: (_e, m) => { m.respond(`${svcSide[k].name}:${m.string()}`); } }));
      await Promise.all(svcs.map((nc) => nc.flush()));
      for (const s of reqSide) {
        const nc = await open(s);
        const first = await waitFor(async () => nc.request(subj, 'hi', { timeout: 1000 }).catch(() => null), 10000, 100);
        assert.match(first!.string(), /:hi$/);
        const fresh = await open(s);
        for (let k = 0; k < 3; k++) assert.match((await fresh.request(subj, `r${k}`, { timeout: 3000 })).string(), new RegExp(`:r${k}$`));
      }
    }
  });

  it('unsubscribe propagates: no more messages cross once a subscriber is gone', async () => {
    const { X, Y, xName, yName } = get();
    for (const [subSide, pubSide, subName] of [[X, Y, xName], [Y, X, yName]] as const) {
      const sub = await open(subSide[subSide.length - 1]);
      const pub = await open(pubSide[0]);
      const got: string[] = [];
      const s = sub.subscribe('gone.x', { callback: (_e, m) => { got.push(m.string()); } });
      sub.subscribe('gone.sentinel', { callback: (_e, m) => { got.push(m.string()); } });
      await sub.flush();
      await waitFor(async () => {
        pub.publish('gone.x', 'probe');
        await pub.flush();
        return got.includes('probe');
      }, 10000, 100);
      const before = await remoteSubs(pubSide[0], subName, 'gone.x');
      s.unsubscribe();
      await sub.flush();
      // the publisher's server learns the RS-
      if (pubSide[0].ours) await waitNoGwInterest(pubSide[0].ours, subName, 'gone.x', '$G', 10000);
      else await waitFor(async () => (await remoteSubs(pubSide[0], subName, 'gone.x')) < before, 10000, 100);
      got.length = 0;
      pub.publish('gone.x', 'after');
      pub.publish('gone.sentinel', 'sentinel');
      await waitFor(() => got.includes('sentinel'), 5000);
      assert.deepEqual(got, ['sentinel']);
    }
  });
}

/** Does `s` (in the publisher's cluster) know of queue interest in the other cluster? */
async function remoteQueueKnown(s: Srv, other: Srv[]): Promise<boolean> {
  if (s.ours) {
    const gw = gwOf(s.ours);
    for (const c of gw.out.values()) {
      const e = c.interest?.accounts.get('$G');
      if (e && e.sl.match('qwork').qsubs.length > 0) return true;
    }
    return false;
  }
  // Go: its outbound account shows the queue subscription count of the other cluster
  const z = await gatewayz(s.go!);
  for (const gw of Object.values(z.outbound_gateways ?? {}) as any[]) {
    const acc = (gw.accounts ?? []).find((a: any) => a.name === '$G');
    if (acc && acc.num_queue_subs > 0) return true;
  }
  return other.length === 0;
}

describe('a Go 2.9.10 cluster and a cluster of ours over gateways', { skip }, () => {
  describe('Go solicits our cluster', () => {
    let G: (GoServer & { gwPort: number })[] = [];
    let O: RunningServer[] = [];
    before(async () => {
      O = await startGwCluster('OURS', 2, []);
      await waitMeshed(O);
      G = await startGoGwCluster('GO', 2, [{ name: 'OURS', urls: [gwURL(O[0])] }]);
      // every server has its outbound to the other cluster (ours found Go through Go's inbound connections)
      await waitFor(() => O.every((s) => gwOf(s).out.has('GO')) && gwOf(O[0]).inbound.size + gwOf(O[1]).inbound.size === 2, 15000);
    });
    after(async () => {
      await Promise.all(O.map((s) => s.stop()));
      await Promise.all(G.map((g) => g.stop()));
    });
    scenarios(() => ({ X: G.map((g, k) => goes(g, `GO${k + 1}`)), Y: O.map(ours), xName: 'GO', yName: 'OURS' }));
  });

  describe('our cluster solicits Go\'s', () => {
    let G: (GoServer & { gwPort: number })[] = [];
    let O: RunningServer[] = [];
    before(async () => {
      G = await startGoGwCluster('GO', 2, []);
      O = await startGwCluster('OURS', 2, [{ name: 'GO', urls: [gwURL(G[0]), gwURL(G[1])] }]);
      await waitMeshed(O);
      await waitFor(() => O.every((s) => gwOf(s).out.has('GO')) && gwOf(O[0]).inbound.size + gwOf(O[1]).inbound.size === 2, 15000);
    });
    after(async () => {
      await Promise.all(O.map((s) => s.stop()));
      await Promise.all(G.map((g) => g.stop()));
    });
    scenarios(() => ({ X: O.map(ours), Y: G.map((g, k) => goes(g, `GO${k + 1}`)), xName: 'OURS', yName: 'GO' }));
  });
});

describe('a mixed cluster (ours + Go 2.9.10, routed) and a cluster of ours over gateways', { skip }, () => {
  let M1: RunningServer;
  let MG: GoServer & { gwPort: number };
  let O: RunningServer[] = [];
  before(async () => {
    M1 = await startGwServer('MIX', [], { server_name: 'MIX1', routes: [] });
    MG = await startGoGateway('MIX', [], `server_name: MIX2\ncluster {\n  name: MIX\n  listen: "127.0.0.1:-1"\n  routes: ["${routeURL(M1)}"]\n}\n`);
    await waitFor(() => routesOf(M1).routes.size > 0, 10000);
    O = await startGwCluster('OURS', 2, [{ name: 'MIX', urls: [gwURL(M1)] }]);
    await waitMeshed(O);
    // ours learned Go's gateway URL through M1's INFO; Go learned of OURS through M1 over the route
    await waitFor(() => O.every((s) => gwOf(s).out.has('MIX')) && gwOf(M1).out.has('OURS') && gwOf(O[0]).inbound.size + gwOf(O[1]).inbound.size === 2, 15000);
  });
  after(async () => {
    await Promise.all(O.map((s) => s.stop()));
    await M1?.stop();
    await MG?.stop();
  });
  scenarios(() => ({ X: [ours(M1), goes(MG, 'MIX2')], Y: O.map(ours), xName: 'MIX', yName: 'OURS' }));
});
