/**
 * The whole fabric at once (test/helpers/fabric.ts): cluster A (three of ours,
 * routes configured at both ends), cluster B (ours + Go 2.9.10, routes
 * configured at both ends) joined by gateways configured on both sides, our
 * leaf on A1 (its remote lists the hub twice) and a Go leaf on B1. Real
 * clients on every server. Each message reaches each matching subscription
 * exactly once; a queue group spread everywhere delivers once, locally when
 * it can; remote interest is exact after storms, client churn and dropped
 * links.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { GO_SERVER_BIN } from '../helpers/go-server.js';
import { routesOf } from '../helpers/cluster.js';
import { gwOf } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { doubledRemoteSubs, remoteQueueWeight, gatewaySubs, leafSubs, routeSubs, startFabric, type Fabric } from '../helpers/fabric.js';

const skip = GO_SERVER_BIN ? false : 'Go nats-server not installed';
const NAMES = ['A1', 'A2', 'A3', 'B1', 'G', 'L1', 'LG'];

function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

describe('fabric: routes + gateways + leafs, ours and Go 2.9.10', { skip, timeout: 60000 }, () => {
  let F: Fabric;
  const conns: NatsConnection[] = [];
  const open = async (name: string) => {
    const nc = await connect({ servers: F.url[name], name, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    conns.push(nc);
    return nc;
  };
  before(async () => {
    F = await startFabric();
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await F?.stop();
  });

  /**
   * Subscriptions (wildcards included, two on one connection) on every server;
   * a publisher on every server sends three subjects; after an end-marker
   * barrier from each publisher every subscription holds each matching
   * message exactly once.
   */
  async function deliveryExactlyOnce(tag: string): Promise<void> {
    const patterns: Record<string, string[]> = {
      A1: ['x.y'], A2: ['*.y', '>'], A3: ['x.*'], B1: ['>'], G: ['x.y', '*.*'], L1: ['*.y'], LG: ['>'],
    };
    const got = new Map<string, Map<string, number>>();
    const subConns: NatsConnection[] = [];
    for (const [srv, pats] of Object.entries(patterns)) {
      const nc = await open(srv);
      subConns.push(nc);
      for (const p of pats) {
        const key = `${srv}:${p}`;
        const m = new Map<string, number>();
        got.set(key, m);
        nc.subscribe(`${tag}.${p}`, { callback: (_e, msg) => { const k = `${msg.subject}|${msg.string()}`; m.set(k, (m.get(k) ?? 0) + 1); } });
      }
      await nc.flush();
    }
    const pubs = await Promise.all(NAMES.map((n) => open(n)));
    const seenFromAll = (kind: string) => [...got.values()].every((m) => NAMES.every((n) => m.has(`${tag}.x.y|${kind}:${n}`)));
    // interest converges: warm-up messages from every publisher reach every subscription
    await waitFor(async () => {
      pubs.forEach((p, i) => p.publish(`${tag}.x.y`, `warm:${NAMES[i]}`));
      await Promise.all(pubs.map((p) => p.flush()));
      return seenFromAll('warm');
    }, 20000, 200);
    const subjects = ['x.y', 'w.y', 'x.z'];
    const N = 20;
    pubs.forEach((p, i) => {
      for (let k = 0; k < N; k++) for (const s of subjects) p.publish(`${tag}.${s}`, `m:${NAMES[i]}:${k}`);
      p.publish(`${tag}.x.y`, `end:${NAMES[i]}`);
    });
    await Promise.all(pubs.map((p) => p.flush()));
    await waitFor(() => seenFromAll('end'), 10000);
    // a PING barrier on every subscriber connection: whatever was on its way has been read
    await Promise.all(subConns.map((c) => c.flush()));
    for (const [key, m] of got) {
      const pat = key.slice(key.indexOf(':') + 1);
      const expected: string[] = [];
      for (const n of NAMES) for (const s of subjects) if (matches(pat, s)) for (let k = 0; k < N; k++) expected.push(`${tag}.${s}|m:${n}:${k}`);
      const measured = [...m.entries()].filter(([k]) => k.includes('|m:'));
      assert.deepEqual(measured.map(([k]) => k).sort(), expected.sort(), `${key}: every matching message arrived`);
      const twice = measured.filter(([, c]) => c !== 1);
      assert.deepEqual(twice, [], `${key}: nothing delivered twice`);
    }
    await Promise.all([...subConns, ...pubs].map((c) => c.close()));
  }

  it('every message reaches each matching subscription exactly once (wildcards included)', async () => {
    await deliveryExactlyOnce('fab');
  });

  it('a queue group spread over A, B and both leafs: once in total, the publisher\'s own side first', async () => {
    const members = ['A2', 'L1', 'B1', 'G', 'LG'];
    const got = new Map<string, string[]>();
    const memberConns = new Map<string, NatsConnection>();
    for (const m of members) {
      const nc = await open(m);
      memberConns.set(m, nc);
      got.set(m, []);
      nc.subscribe('fabq.work', { queue: 'workers', callback: (_e, msg) => { got.get(m)!.push(msg.string()); } });
      await nc.flush();
    }
    // A1 and A3 know the group through the route (A2's member, and L1's via A1); B's servers through B's route.
    const qInterest = (s: import('../../src/index.js').RunningServer) => s.server.lookupAccount('$G')!.sl.match('fabq.work').qsubs.flat().length;
    await waitFor(() => qInterest(F.A[2]) >= 1 && qInterest(F.A[0]) >= 2 && qInterest(F.B1) >= 3, 10000);
    const total = () => [...got.values()].reduce((n, l) => n + l.length, 0);
    const reset = () => { for (const l of got.values()) l.length = 0; };

    const dist = () => JSON.stringify(Object.fromEntries([...got].map(([k, v]) => [k, v.length])));
    // Go processMsgResults: for a client's message a leaf member is only a fallback, a member on this server or a
    // routed one is picked at random, and the gateway is not used while the own cluster has a member. So: a leaf's
    // publisher reaches its own member; B's publishers stay in B's cluster (B1 or G, never LG); A's stay in A.
    const cases: [string, string[]][] = [['L1', ['L1']], ['LG', ['LG']], ['B1', ['B1', 'G']], ['G', ['B1', 'G']], ['A1', ['A2']], ['A3', ['A2', 'L1']]];
    for (const [p, allowed] of cases) {
      reset();
      const pub = await open(p);
      for (let k = 0; k < 20; k++) pub.publish('fabq.work', `${p}:${k}`);
      await pub.flush();
      await waitFor(() => total() === 20, 5000);
      const where = allowed.reduce((n, m) => n + got.get(m)!.length, 0);
      assert.equal(where, 20, `publisher on ${p}: delivered in ${allowed.join('/')} only (${dist()})`);
      assert.deepEqual([...got.values()].flat().sort(), Array.from({ length: 20 }, (_, k) => `${p}:${k}`).sort(), 'once each');
      await pub.close();
    }
    // with no member left in cluster A (A2 and L1 leave), A3's messages cross the gateway: once each in total
    await memberConns.get('A2')!.close();
    await memberConns.get('L1')!.close();
    await waitFor(() => qInterest(F.A[2]) === 0, 5000);
    reset();
    const pub = await open('A3');
    await waitFor(async () => {
      pub.publish('fabq.work', 'probe');
      await pub.flush();
      return total() > 0;
    }, 10000, 100);
    reset();
    for (let k = 0; k < 30; k++) pub.publish('fabq.work', `x:${k}`);
    await pub.flush();
    const xs = () => [...got.values()].flat().filter((v) => v.startsWith('x:'));
    await waitFor(() => xs().length >= 30, 5000).catch(() => assert.fail(`only ${xs().length} of 30 arrived (${dist()})`));
    await pub.flush();
    const all = xs().sort();
    assert.deepEqual(all, Array.from({ length: 30 }, (_, k) => `x:${k}`).sort(), 'each message once in total, all in cluster B');
    assert.equal(got.get('A2')!.length + got.get('L1')!.length, 0, dist());
  });

  /** The storm subjects each server keeps, by server name. */
  const kept = new Map<string, Set<string>>();
  const keptOf = (...names: string[]) => names.flatMap((n) => [...(kept.get(n) ?? [])]).sort();

  /** Remote interest on every server of ours (and Go's routes/leafs) is exactly what the clients hold. */
  async function interestExact(): Promise<void> {
    const exp = {
      'A1 routes': { A2: keptOf('A2'), A3: keptOf('A3') },
      'A2 routes': { A1: keptOf('L1'), A3: keptOf('A3') },
      'A3 routes': { A1: keptOf('L1'), A2: keptOf('A2') },
      'B1 routes': keptOf('G'),
      'G routes': keptOf('B1', 'LG'),
      'A1 leafs': keptOf('L1'),
      'B1 leafs': keptOf('LG'),
      'A1 gw B': keptOf('B1', 'G', 'LG'),
      'A2 gw B': keptOf('B1', 'G', 'LG'),
      'A3 gw B': keptOf('B1', 'G', 'LG'),
      'B1 gw A': keptOf('A2', 'A3', 'L1'),
    };
    const flat = (r: Record<string, string[]>) => Object.values(r).flat().sort();
    const now = async () => ({
      'A1 routes': await routeSubs(F.mon.A1, 'storm.'),
      'A2 routes': await routeSubs(F.mon.A2, 'storm.'),
      'A3 routes': await routeSubs(F.mon.A3, 'storm.'),
      'B1 routes': flat(await routeSubs(F.mon.B1, 'storm.')),
      'G routes': flat(await routeSubs(F.mon.G, 'storm.')),
      'A1 leafs': await leafSubs(F.mon.A1, 'storm.'),
      'B1 leafs': await leafSubs(F.mon.B1, 'storm.'),
      'A1 gw B': await gatewaySubs(F.mon.A1, 'B', 'storm.'),
      'A2 gw B': await gatewaySubs(F.mon.A2, 'B', 'storm.'),
      'A3 gw B': await gatewaySubs(F.mon.A3, 'B', 'storm.'),
      'B1 gw A': await gatewaySubs(F.mon.B1, 'A', 'storm.'),
    });
    let last: unknown;
    try {
      await waitFor(async () => {
        last = await now();
        return isDeepStrictEqual(last, exp);
      }, 15000, 100);
    } catch {
      assert.deepEqual(last, exp, 'remote interest is exact');
    }
    for (const s of [...F.A, F.B1]) assert.deepEqual(doubledRemoteSubs(s), [], `${s.server.name}: no doubled remote subscription`);
    // queue weights: each server counts the remote members of every group once (two members per server)
    const wexp: Record<string, Record<string, number>> = {
      A1: { A2: 2, A3: 2, L1: 2, B1: 0, G: 0, LG: 0 },
      A2: { A2: 0, A3: 2, L1: 2, B1: 0, G: 0, LG: 0 },
      A3: { A2: 2, A3: 0, L1: 2, B1: 0, G: 0, LG: 0 },
      B1: { A2: 0, A3: 0, L1: 0, B1: 0, G: 2, LG: 2 },
      // our leaf hears of A's groups from its hub with their weights (Go updateLeafNodes with the route's qw)
      L1: { A2: 2, A3: 2, L1: 0 },
    };
    const weights = () => Object.fromEntries([...F.A, F.B1, F.L1].map((s) =>
      [s.server.name, Object.fromEntries(Object.keys(wexp[s.server.name]).map((n) => [n, remoteQueueWeight(s, `stormq.${n}`, 'g')]))]));
    await waitFor(() => isDeepStrictEqual(weights(), wexp), 10000).catch(() => assert.deepEqual(weights(), wexp, 'remote queue weights are exact'));
  }

  it('interest is exact after subscribe/unsubscribe storms and client churn', async () => {
    for (const n of ['A2', 'A3', 'B1', 'G', 'L1', 'LG']) {
      const set = new Set<string>();
      kept.set(n, set);
      const nc = await open(n);
      const subs = [];
      for (let k = 0; k < 40; k++) subs.push(nc.subscribe(`storm.${n}.${k}`));
      // resubscribe the same subjects on a second connection, then drop half of both
      const nc2 = await open(n);
      const subs2 = [];
      for (let k = 0; k < 40; k++) subs2.push(nc2.subscribe(`storm.${n}.${k}`));
      for (let k = 0; k < 40; k++) {
        if (k % 2 === 1) subs[k].unsubscribe();
        if (k % 4 !== 0) subs2[k].unsubscribe();
        if (k % 2 === 0) set.add(`storm.${n}.${k}`);
      }
      await nc.flush();
      await nc2.flush();
      // a client that subscribes and goes away, and one that comes back with the same subjects
      const gone = await open(n);
      for (let k = 100; k < 110; k++) gone.subscribe(`storm.${n}.${k}`);
      await gone.flush();
      await gone.close();
      // queue members: three per server, one of them leaves (a closed client) and one unsubscribes and comes back
      const qs = [await open(n), await open(n), await open(n)];
      const q0 = qs[0].subscribe(`stormq.${n}`, { queue: 'g' });
      qs[1].subscribe(`stormq.${n}`, { queue: 'g' });
      qs[2].subscribe(`stormq.${n}`, { queue: 'g' });
      await Promise.all(qs.map((c) => c.flush()));
      await qs[2].close();
      q0.unsubscribe();
      qs[0].subscribe(`stormq.${n}`, { queue: 'g' });
      await qs[0].flush();
      const back = await open(n);
      for (let k = 0; k < 4; k++) {
        back.subscribe(`storm.${n}.${k}`);
        set.add(`storm.${n}.${k}`);
      }
      await back.flush();
    }
    await interestExact();
  });

  it('interest stays exact and delivery exactly-once after route, gateway and leaf links are dropped and re-formed', async () => {
    const a1 = routesOf(F.A[0]);
    const b1 = routesOf(F.B1);
    const oldRoutes = new Set<object>([...a1.allRoutes(), ...b1.allRoutes()]);
    const nRoutes = [[...a1.allRoutes()].length, [...b1.allRoutes()].length];
    const oldGw = [gwOf(F.A[0]).out.get('B')!, gwOf(F.B1).out.get('A')!];
    const oldLeafs = new Set<object>([...F.A[0].server.leafnodes!.list(), ...F.B1.server.leafnodes!.list()]);
    // drop every route of A1 (pooled and pinned) and of B1 (to Go), A1's and B1's outbound gateways, and both leaf links
    for (const r of oldRoutes) (r as { socket: { destroy(): void } }).socket.destroy();
    for (const g of oldGw) g.socket.destroy();
    for (const l of [...F.L1.server.leafnodes!.list(), ...F.B1.server.leafnodes!.list()]) l.socket.destroy();
    const fresh = <T extends object>(xs: Iterable<T>, old: Set<object>) => [...xs].every((x) => !old.has(x));
    await waitFor(() => fresh(a1.allRoutes(), oldRoutes) && fresh(b1.allRoutes(), oldRoutes) &&
      [...a1.allRoutes()].length === nRoutes[0] && [...b1.allRoutes()].length === nRoutes[1] && a1.numRemotes() === 2 && b1.numRemotes() === 1, 15000);
    await waitFor(() => [gwOf(F.A[0]).out.get('B'), gwOf(F.B1).out.get('A')].every((g) => g !== undefined && !oldGw.includes(g)), 15000);
    await waitFor(() => [F.A[0], F.B1].every((s) => s.server.leafnodes!.count() === 1 && fresh(s.server.leafnodes!.list(), oldLeafs)), 15000);
    await interestExact();
    await deliveryExactlyOnce('fab2');
  });
});
