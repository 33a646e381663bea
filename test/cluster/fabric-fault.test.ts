/**
 * Fault in the whole fabric (test/helpers/fabric.ts): a fourth server of
 * cluster A, ours run as a child process (OURS_CMD) with a gateway to B, is
 * SIGKILLed while cluster B streams messages to its client across the
 * gateway, then restarted on the same cluster port. The client fails over to
 * A's other servers through connect_urls; the routes drop the dead server's
 * interest and take the restarted one's; B's view of A through the gateway
 * holds the subject once; nothing is delivered twice, and a subscriber on
 * the Go server of B, untouched by the fault, gets every message once.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { GO_SERVER_BIN, OURS_CMD, startGoServer, type GoServer } from '../helpers/go-server.js';
import { routesOf } from '../helpers/cluster.js';
import { gwURL } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { doubledRemoteSubs, freePort, gatewaySubs, routeSubs, startFabric, type Fabric } from '../helpers/fabric.js';

const skip = GO_SERVER_BIN ? false : 'Go nats-server not installed';

describe('fabric: a server of ours SIGKILLed mid-traffic and restarted', { skip, timeout: 60000 }, () => {
  let F: Fabric;
  let child: GoServer | null = null;
  let timer: NodeJS.Timeout | null = null;
  const conns: NatsConnection[] = [];
  before(async () => {
    F = await startFabric();
  });
  after(async () => {
    if (timer) clearInterval(timer);
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await child?.stop();
    await F?.stop();
  });

  /** Every route subscription on `fabk.` each server of A holds, by remote server name. */
  async function aRouteInterest(names: string[]): Promise<Record<string, Record<string, string[]>>> {
    const out: Record<string, Record<string, string[]>> = {};
    for (const n of names) out[n] = await routeSubs(n === 'C' ? child!.monitorPort! : F.mon[n], 'fabk.');
    return out;
  }

  /** Interest is exact: each server of A (and C when up) has `fabk.seq` once from each other server holding a subscriber, and nothing else. */
  async function converged(holders: string[], names: string[]): Promise<void> {
    const exp: Record<string, Record<string, string[]>> = {};
    for (const n of names) {
      exp[n] = {};
      for (const h of holders) if (h !== n) exp[n][h] = ['fabk.seq'];
    }
    let last: unknown;
    await waitFor(async () => {
      last = await aRouteInterest(names);
      return isDeepStrictEqual(last, exp);
    }, 10000, 100).catch(() => assert.deepEqual(last, exp, 'route interest in A is exact'));
    // B sees A's interest through its gateway once, however many servers of A hold it
    await waitFor(async () => isDeepStrictEqual(await gatewaySubs(F.mon.B1, 'A', 'fabk.'), ['fabk.seq']), 10000, 100);
    for (const s of F.A) assert.deepEqual(doubledRemoteSubs(s), [], `${s.server.name}: no doubled remote subscription`);
  }

  it('clients fail over, interest converges and nothing is delivered twice', async () => {
    const cp = await freePort();
    const conf = [
      'server_name: C',
      'http: "127.0.0.1:-1"',
      `cluster { name: A, listen: "127.0.0.1:${cp}", routes: ["nats-route://127.0.0.1:${routesOf(F.A[0]).port}"] }`,
      `gateway { name: A, listen: "127.0.0.1:-1", gateways: [ { name: B, urls: ["${gwURL(F.B1)}"] } ] }`,
    ].join('\n');
    const startC = () => startGoServer([], conf, OURS_CMD);
    child = await startC();
    await waitFor(() => F.A.every((s) => routesOf(s).numRemotes() === 3), 15000);

    // the subscriber only knows C; it learns A's servers from connect_urls
    const sub = await connect({ servers: child.url, reconnectTimeWait: 100, maxReconnectAttempts: -1, name: 'on-C' });
    conns.push(sub);
    await waitFor(() => F.A.every((s) => (sub.info?.connect_urls ?? []).includes(`127.0.0.1:${s.port}`)), 5000);
    const seen = new Map<number, number>();
    sub.subscribe('fabk.seq', { callback: (_e, m) => { const n = Number(m.string()); seen.set(n, (seen.get(n) ?? 0) + 1); } });
    await sub.flush();
    // a subscriber on the Go server of B, which the fault does not touch
    const g = await connect({ servers: F.url.G });
    conns.push(g);
    const atGo = new Map<number, number>();
    g.subscribe('fabk.seq', { callback: (_e, m) => { const n = Number(m.string()); atGo.set(n, (atGo.get(n) ?? 0) + 1); } });
    await g.flush();
    await converged(['C'], ['A1', 'A2', 'A3', 'C']);

    // B1 streams across the gateway
    const pub = await connect({ servers: F.url.B1 });
    conns.push(pub);
    let seq = 0;
    timer = setInterval(() => pub.publish('fabk.seq', String(++seq)), 2);
    await waitFor(() => seen.size > 50 && atGo.size > 50, 10000);

    // SIGKILL mid-traffic
    const killedAt = seq;
    await child.stop();
    child = null;
    await waitFor(() => F.A.every((s) => routesOf(s).numRemotes() === 2), 10000);
    await waitFor(() => [...seen.keys()].some((n) => n > killedAt + 20), 10000);
    const now = sub.info!.server_name;
    assert.ok(['A1', 'A2', 'A3'].includes(now), `the client failed over to A (${now})`);
    await converged([now], ['A1', 'A2', 'A3']);

    // restart on the same cluster port: A's servers take it back; a new client on it subscribes too
    child = await startC();
    await waitFor(() => F.A.every((s) => routesOf(s).numRemotes() === 3), 15000);
    const sub2 = await connect({ servers: child.url });
    conns.push(sub2);
    const seen2 = new Map<number, number>();
    sub2.subscribe('fabk.seq', { callback: (_e, m) => { const n = Number(m.string()); seen2.set(n, (seen2.get(n) ?? 0) + 1); } });
    await sub2.flush();
    await waitFor(() => seen2.size > 10, 10000);
    await converged([now, 'C'], ['A1', 'A2', 'A3', 'C']);

    clearInterval(timer);
    timer = null;
    const last = seq;
    await pub.flush();
    await waitFor(() => seen.has(last) && seen2.has(last) && atGo.has(last), 5000);
    await Promise.all([sub.flush(), sub2.flush(), g.flush()]);
    const twice = (m: Map<number, number>) => [...m.entries()].filter(([, c]) => c > 1);
    assert.deepEqual(twice(seen), [], 'the failed-over client got nothing twice');
    assert.deepEqual(twice(seen2), [], 'the client on the restarted server got nothing twice');
    assert.deepEqual(twice(atGo), [], 'the Go subscriber got nothing twice');
    assert.equal(atGo.size, last, 'the Go subscriber got every message');
  });
});
