/**
 * /routez and the /varz cluster section of a clustered server, checked for
 * content and, against the Go server in the same cluster, for the same
 * field names.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startClustered, stopAll, waitMeshed, waitRemoteInterest, routeURL, routesOf } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

async function getJSON(url: string): Promise<Record<string, any>> {
  const r = await fetch(url);
  assert.equal(r.status, 200);
  return (await r.json()) as Record<string, any>;
}

describe('/routez and /varz of a cluster', () => {
  let a: RunningServer;
  let b: RunningServer;
  let go: GoServer | null = null;
  const conns: NatsConnection[] = [];

  before(async () => {
    a = await startClustered([], { server_name: 'A', http_port: -1 });
    b = await startClustered([routeURL(a)], { server_name: 'B', http_port: -1 });
    if (GO_SERVER_BIN) {
      go = await startGoServer(['-m', '-1'], `cluster {\n  name: test-cluster\n  listen: "127.0.0.1:-1"\n  routes: ["${routeURL(a)}"]\n}\n`);
      await waitMeshed([a, b], 1);
    } else await waitMeshed([a, b]);
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await go?.stop();
    await stopAll([a, b]);
  });

  it('lists each route with Go\'s fields, counters and subs=1', async () => {
    const nc = await connect({ servers: b.url });
    conns.push(nc);
    nc.subscribe('watched.subject');
    await nc.flush();
    await waitRemoteInterest(a, 'watched.subject');
    const pub = await connect({ servers: a.url });
    conns.push(pub);
    pub.publish('watched.subject', 'hello');
    await pub.flush();
    // pool_size 3 plus the pinned $SYS route: the message takes the connection of $G's pool slot
    const toB = () => [...routesOf(a).allRoutes()].filter((r) => r.remoteId === b.server.id);
    await waitFor(() => toB().reduce((n, r) => n + r.outMsgs, 0) === 1);

    const rz = await getJSON(`${a.monitorUrl}/routez?subs=1`);
    assert.equal(rz.server_id, a.server.id);
    assert.equal(rz.server_name, 'A');
    assert.equal(rz.num_routes, go ? 5 : 4, '4 connections to B (3 pooled, 1 for $SYS), 1 to Go 2.9.10 (no pool)');
    const r = rz.routes.find((x: any) => x.remote_id === b.server.id && x.out_msgs === 1);
    assert.ok(r, 'route to B listed');
    assert.equal(r.remote_name, 'B');
    assert.equal(r.did_solicit, false, 'A accepted the route B dialed');
    assert.equal(r.is_configured, false);
    assert.equal(r.ip, '127.0.0.1');
    assert.equal(typeof r.port, 'number');
    assert.equal(r.out_msgs, 1);
    assert.equal(r.out_bytes, 5);
    assert.ok(r.subscriptions >= 1);
    assert.ok(r.subscriptions_list.includes('watched.subject'));
    for (const k of ['start', 'last_activity', 'rtt', 'uptime', 'idle', 'pending_size', 'in_msgs', 'in_bytes']) assert.ok(k in r, k);

    const rzb = await getJSON(`${b.monitorUrl}/routez`);
    const rb = rzb.routes.find((x: any) => x.remote_id === a.server.id && x.in_msgs === 1);
    assert.equal(rb.did_solicit, true);
    assert.equal(rb.is_configured, true);
    assert.equal(rb.in_msgs, 1);
    assert.equal(rb.subscriptions_list, undefined, 'no list without subs=1');
  });

  it('/varz shows the cluster section and the route count', async () => {
    const v = await getJSON(`${b.monitorUrl}/varz`);
    assert.equal(v.routes, go ? 5 : 4);
    assert.equal(v.cluster.name, 'test-cluster');
    assert.equal(v.cluster.addr, '127.0.0.1');
    assert.equal(v.cluster.cluster_port, routesOf(b).port);
    assert.deepEqual(v.cluster.urls, [`127.0.0.1:${routesOf(a).port}`]);
    assert.equal(v.cluster.auth_timeout, 2);
    assert.equal(v.cluster.tls_timeout, 2);
  });

  it('uses the same field names as the Go server', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async () => {
    const gm = `http://127.0.0.1:${go!.monitorPort}`;
    const grz = await getJSON(`${gm}/routez`);
    const orz = await getJSON(`${a.monitorUrl}/routez`);
    // 2.9.10 predates server_name in /routez; every field it has, ours has
    for (const k of Object.keys(grz)) assert.ok(k in orz, `routez field ${k}`);
    assert.equal(grz.num_routes, 2, 'Go 2.9.10 has one connection to each of ours (no pooling)');
    // Go 2.9.10 lacks the newer optional fields; ours must have every field Go 2.9.10 shows
    const gr = grz.routes[0];
    const or = orz.routes[0];
    for (const k of Object.keys(gr)) if (k !== 'import' && k !== 'export') assert.ok(k in or, `routez route field ${k}`);
    const gv = await getJSON(`${gm}/varz`);
    const ov = await getJSON(`${b.monitorUrl}/varz`); // B, like the Go server, has a configured route
    for (const k of Object.keys(gv.cluster)) assert.ok(k in ov.cluster, `varz cluster field ${k}`);
    assert.equal(gv.routes, 2);
  });
});
