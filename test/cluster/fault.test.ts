/**
 * A clustered server run as a child process (our CLI, then Go's 2.9.10, with
 * --cluster and --cluster_name) is killed with SIGKILL in the middle of
 * traffic and restarted, routed to one of ours in this process: its client
 * fails over to our server through the connect_urls it was given, our
 * configured route is redialed, interest converges again, and no message is
 * delivered twice.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, OURS_CMD, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startClustered, routesOf, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

for (const kind of ['ours', 'go'] as const)
describe(`a routed server (${kind}) killed and restarted`, { skip: kind === 'go' && !GO_SERVER_BIN ? 'Go nats-server not installed' : false }, () => {
  const conns: NatsConnection[] = [];
  let child: GoServer | null = null;
  let a: RunningServer | null = null;
  let timer: NodeJS.Timeout | null = null;
  after(async () => {
    if (timer) clearInterval(timer);
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await child?.stop();
    await a?.stop();
  });

  const startChild = (clusterPort: number | -1) =>
    startGoServer(['--cluster', `nats://127.0.0.1:${clusterPort}`, '--cluster_name', 'test-cluster'], undefined, kind === 'ours' ? OURS_CMD : undefined);

  it('fails clients over, redials the route and delivers nothing twice', async () => {
    child = await startChild(-1);
    const childClusterPort = child.clusterPort!;
    assert.ok(childClusterPort > 0, 'ports file lists the cluster listener');
    a = await startClustered([`nats-route://127.0.0.1:${childClusterPort}`], { server_name: 'A' });
    await waitFor(() => routesOf(a!).numRemotes() === 1, 10000);

    // The subscriber only knows the child; it learns A from connect_urls.
    const sub = await connect({ servers: child.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    conns.push(sub);
    await waitFor(() => (sub.info?.connect_urls ?? []).includes(`127.0.0.1:${a!.port}`));
    const seen = new Map<number, number>();
    sub.subscribe('fault.seq', {
      callback: (_e, m) => {
        const n = Number(m.string());
        seen.set(n, (seen.get(n) ?? 0) + 1);
      },
    });
    await sub.flush();
    await waitRemoteInterest(a, 'fault.seq');

    const pub = await connect({ servers: a.url });
    conns.push(pub);
    let seq = 0;
    timer = setInterval(() => pub.publish('fault.seq', String(++seq)), 2);
    await waitFor(() => seen.size > 50, 5000);

    // SIGKILL mid-traffic
    const killedAt = seq;
    await child.stop();
    child = null;
    await waitFor(() => routesOf(a!).numRemotes() === 0, 5000);
    // the client reconnects to A (via connect_urls) and its subscription follows it
    await waitFor(() => [...seen.keys()].some((n) => n > killedAt + 20), 10000);

    // restart on the same cluster port: A's configured route is redialed
    child = await startChild(childClusterPort);
    await waitFor(() => routesOf(a!).numRemotes() === 1, 10000);
    const sub2 = await connect({ servers: child.url });
    conns.push(sub2);
    let got2 = 0;
    sub2.subscribe('fault.seq', { callback: () => { got2++; } });
    await sub2.flush();
    await waitFor(() => got2 > 10, 10000);

    clearInterval(timer);
    timer = null;
    await pub.flush();
    const last = seq;
    await waitFor(() => seen.has(last), 5000);
    const dups = [...seen.entries()].filter(([, c]) => c > 1);
    assert.deepEqual(dups, [], 'no message delivered twice');
  });
});
