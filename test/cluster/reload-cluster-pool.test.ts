/**
 * Config reload of the `cluster {}` block through `server.reload(options)`
 * on our servers (Go 2.9.10 has no route pooling to compare with): pool_size
 * and pinned accounts re-form the routes, an unknown pinned account and a
 * changed listen port fail and leave the running cluster config as it was,
 * and a new cluster name is taken.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { defaultOptions, startServer, type RunningServer } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import type { RouteConn } from '../../src/cluster/route/route-conn.js';
import { startClustered, routeURL, routesOf, waitMeshed, waitRemoteInterest, stopAll } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'reload-pool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function accountOpts(): Pick<ReturnType<typeof loadConfigFile>, 'accounts' | 'users'> {
  const f = join(dir, 'accounts.conf');
  writeFileSync(f, 'accounts {\n  ONE: { users: [{user: one, password: pw}] }\n  PIN: { users: [{user: pin, password: pw}] }\n}\n');
  const base = loadConfigFile(f, defaultOptions());
  return { accounts: base.accounts, users: base.users };
}

/** reload `s` with its cluster block changed by `change` */
function reloadCluster(s: RunningServer, change: Record<string, unknown>): void {
  const o = s.server.opts;
  s.server.reload({ ...o, extra: { ...o.extra, cluster: { ...(o.extra.cluster as Record<string, unknown>), ...change } } });
}

const toRemote = (s: RunningServer, other: RunningServer): RouteConn[] => [...routesOf(s).allRoutes()].filter((r) => r.remoteId === other.server.id);

describe('cluster reload: pool size, pinned accounts, name, failures (ours)', () => {
  const conns: NatsConnection[] = [];
  const servers: RunningServer[] = [];
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await stopAll(servers);
  });
  const pair = async (cluster: Record<string, unknown> = {}) => {
    const a = await startClustered([], { server_name: `A${servers.length}`, ...accountOpts() }, cluster);
    const b = await startClustered([routeURL(a)], { server_name: `B${servers.length}`, ...accountOpts() }, cluster);
    servers.push(a, b);
    await waitMeshed([a, b]);
    return [a, b] as const;
  };
  /** one message in `account` from `from` to a subscriber on `to` */
  const flows = async (from: RunningServer, to: RunningServer, account: string, subject: string) => {
    const user = account.toLowerCase();
    const nt = await connect({ servers: to.url, user, pass: 'pw' });
    const nf = await connect({ servers: from.url, user, pass: 'pw' });
    conns.push(nt, nf);
    let got = 0;
    nt.subscribe(subject, { callback: () => { got++; } });
    await nt.flush();
    await waitRemoteInterest(from, subject, account);
    nf.publish(subject);
    await waitFor(() => got === 1, 5000);
  };

  it('a new pool_size closes the routes ("Route Removed") and they form again with the new size', async () => {
    const [a, b] = await pair({ pool_size: 3 });
    await waitFor(() => toRemote(a, b).length === 4, 5000); // 3 pooled + $SYS
    const before = toRemote(a, b);
    reloadCluster(a, { pool_size: 2 });
    reloadCluster(b, { pool_size: 2 });
    assert.ok(before.every((r) => r.closed && r.closeReason === 'Route Removed'));
    await waitFor(() => toRemote(a, b).length === 3 && toRemote(b, a).length === 3, 10000);
    assert.equal(routesOf(a).pool.poolSize, 2);
    assert.deepEqual(toRemote(a, b).map((r) => r.poolIdx).sort(), [-1, 0, 1]);
    await flows(a, b, 'ONE', 'pool.one');
  });

  it('an account pinned by reload gets a dedicated route; unpinned again, that route closes and is not redialed', async () => {
    const [a, b] = await pair();
    await waitFor(() => toRemote(a, b).length === 4, 5000);
    reloadCluster(a, { pinned_accounts: ['PIN'] });
    reloadCluster(b, { pinned_accounts: ['PIN'] });
    await waitFor(() => toRemote(a, b).some((r) => r.accName === 'PIN') && toRemote(b, a).some((r) => r.accName === 'PIN'), 10000);
    await flows(b, a, 'PIN', 'pin.x');
    const pinned = toRemote(a, b).find((r) => r.accName === 'PIN')!;
    reloadCluster(a, { pinned_accounts: [] });
    reloadCluster(b, { pinned_accounts: [] });
    assert.equal(pinned.closeReason, 'Route Removed');
    await waitFor(() => toRemote(a, b).length === 4 && toRemote(b, a).length === 4, 10000);
    assert.ok(!toRemote(a, b).some((r) => r.accName === 'PIN'));
    await flows(a, b, 'PIN', 'pin.y');
  });

  it('pinning an account that does not exist, or a new listen port, fails with Go\'s text and changes nothing', async () => {
    const [a, b] = await pair();
    await waitFor(() => toRemote(a, b).length === 4, 5000);
    const rm = routesOf(a);
    const opts = rm.opts;
    assert.throws(() => reloadCluster(a, { pinned_accounts: ['NOPE'] }), {
      message: 'unable to add account "NOPE" to the list of dedicated routes: account missing',
    });
    const c = await startClustered([], { server_name: 'C' });
    servers.push(c);
    assert.throws(() => reloadCluster(a, { listen: `127.0.0.1:${rm.port + 1}`, routes: [routeURL(c)] }), {
      message: `config reload not supported for cluster port: old=${rm.port}, new=${rm.port + 1}`,
    });
    assert.equal(rm.opts, opts);
    assert.equal(routesOf(c).conns.size, 0); // the route in the failed reload was not dialed
    assert.equal(toRemote(a, b).length, 4);
    // a cluster block appearing on a server started without one
    const plain = await startServer({});
    servers.push(plain);
    assert.throws(() => plain.server.reload({ ...plain.server.opts, extra: { cluster: { listen: '127.0.0.1:-1' } } }), {
      message: 'config reload not supported for cluster host: old=, new=127.0.0.1',
    });
    assert.equal(plain.server.cluster, null);
  });

  it('a new cluster name is taken (Go setClusterName); a compression change is accepted and routes stay', async () => {
    const [a, b] = await pair();
    await waitFor(() => toRemote(a, b).length === 4, 5000);
    const before = toRemote(a, b);
    reloadCluster(a, { compression: 's2_fast' });
    assert.equal(routesOf(a).opts.compression, 's2_fast');
    assert.deepEqual(toRemote(a, b), before);
    reloadCluster(a, { name: 'renamed' });
    assert.equal(routesOf(a).clusterName, 'renamed');
    const nc = await connect({ servers: a.url, user: 'one', pass: 'pw' });
    conns.push(nc);
    assert.equal(nc.info?.cluster, 'renamed');
  });
});
