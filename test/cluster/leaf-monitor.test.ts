/**
 * Monitoring of leaf links: /leafz (Go Leafz fields, subs=1, acc filter),
 * the /varz leaf section and leafnodes count, and /connz not listing leafs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { startHub, startLeaf, remote, leafURL, waitLeafs, waitInterest } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';

const json = async (url: string): Promise<Record<string, any>> => (await (await fetch(url)).json()) as Record<string, any>;

describe('leaf node monitoring', () => {
  let hub: RunningServer;
  let leaf: RunningServer;
  let nl: NatsConnection;
  let nh: NatsConnection;

  before(async () => {
    hub = await startHub({ http_port: -1 });
    leaf = await startLeaf([remote(leafURL(hub), { deny_imports: ['secret.>'] })], { http_port: -1, server_name: 'spoke1' });
    await waitLeafs(hub, 1);
    await waitLeafs(leaf, 1);
    nl = await connect({ servers: leaf.url });
    nh = await connect({ servers: hub.url });
    nl.subscribe('mon.a');
    nl.subscribe('mon.q', { queue: 'workers' });
    await nl.flush();
    await waitInterest(hub, 'mon.a');
    await waitInterest(hub, 'mon.q');
    const got: string[] = [];
    const s = nl.subscribe('mon.count');
    (async () => {
      for await (const m of s) got.push(m.string());
    })().catch(() => {});
    await nl.flush();
    await waitInterest(hub, 'mon.count');
    nh.publish('mon.count', 'x');
    await waitFor(() => got.length === 1);
  });
  after(async () => {
    await nl?.close();
    await nh?.close();
    await leaf?.stop();
    await hub?.stop();
  });

  it('/leafz on the hub lists the spoke with Go\'s fields', async () => {
    const z = await json(`${hub.monitorUrl}/leafz`);
    assert.equal(z.server_id, hub.server.id);
    assert.equal(typeof z.now, 'string');
    assert.equal(z.leafnodes, 1);
    const l = z.leafs[0];
    assert.deepEqual(Object.keys(l), ['id', 'name', 'is_spoke', 'account', 'ip', 'port', 'rtt', 'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes', 'subscriptions', 'compression']);
    assert.equal(l.name, 'spoke1');
    assert.equal(l.is_spoke, false);
    assert.equal(l.account, '$G');
    assert.equal(l.ip, '127.0.0.1');
    assert.ok(l.port > 0);
    assert.match(l.rtt, /^[0-9.]+(µs|ms|s)$/);
    assert.equal(l.out_msgs, 1);
    assert.equal(l.out_bytes, 1);
    // mon.a, mon.q workers, mon.count, the spoke's $LDS subject and its account's system service imports (as Go sends them)
    const listed = (await json(`${hub.monitorUrl}/leafz?subs=1`)).leafs[0].subscriptions_list as string[];
    assert.equal(l.subscriptions, listed.length);
    assert.equal(listed.filter((s) => s.startsWith('$LDS.')).length, 1);
    assert.equal(l.subscriptions_list, undefined);
  });

  it('/leafz?subs=1 lists the subjects; acc filters by account', async () => {
    const z = await json(`${hub.monitorUrl}/leafz?subs=1`);
    const list = z.leafs[0].subscriptions_list as string[];
    assert.deepEqual(list.filter((s) => !s.startsWith('$LDS.') && !s.startsWith('$SYS.')).sort(), ['mon.a', 'mon.count', 'mon.q']);
    assert.equal((await json(`${hub.monitorUrl}/leafz?acc=OTHER`)).leafnodes, 0);
    assert.equal((await json(`${hub.monitorUrl}/leafz?acc=$G`)).leafnodes, 1);
    const bad = await fetch(`${hub.monitorUrl}/leafz?subs=maybe`);
    assert.equal(bad.status, 400);
  });

  it('/leafz on the spoke shows the hub side as is_spoke', async () => {
    const z = await json(`${leaf.monitorUrl}/leafz`);
    assert.equal(z.leafnodes, 1);
    assert.equal(z.leafs[0].is_spoke, true);
    assert.equal(z.leafs[0].name, hub.server.name);
    assert.equal(z.leafs[0].in_msgs, 1);
  });

  it('/varz has the leaf section and the leafnodes count', async () => {
    const v = await json(`${hub.monitorUrl}/varz`);
    assert.equal(v.leafnodes, 1);
    assert.deepEqual(v.leaf, { host: '127.0.0.1', port: hub.server.leafnodes!.port, auth_timeout: 2, tls_timeout: 2 });
    const sv = await json(`${leaf.monitorUrl}/varz`);
    assert.equal(sv.leafnodes, 1);
    assert.deepEqual(sv.leaf, {
      remotes: [{ local_account: '$G', urls: [`127.0.0.1:${hub.server.leafnodes!.port}`], deny: { imports: ['secret.>'] } }],
    });
  });

  it('/connz does not list leaf connections', async () => {
    const c = await json(`${hub.monitorUrl}/connz`);
    assert.equal(c.num_connections, 1);
    assert.equal(c.connections.length, 1);
  });
});
