/**
 * Config reload of the `cluster {}` and `gateway {}` blocks. The reloaded
 * server X is either our CLI or Go's nats-server (2.9.10), given the same
 * config files and a SIGHUP; its route peer P is one of our servers in
 * process. Routes added and removed, cluster permissions and cluster
 * authorization changed by reload, and the changes Go refuses, with its text.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { startGoServer, GO_SERVER_BIN, OURS_CMD, type GoServer } from '../helpers/go-server.js';
import { startClustered, routeURL, routesOf, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

function clusterConf(routes: string[], more = '', top = ''): string {
  return `${top}\ncluster {\n  name: test-cluster\n  listen: "127.0.0.1:-1"\n  routes: [${routes.map((r) => `"${r}"`).join(', ')}]\n  ${more}\n}\n`;
}

/** true when `s` has a route subscription matching `subject` (interest it got from a route) */
function hasRemoteInterest(s: RunningServer, subject: string): boolean {
  const r = s.server.globalAccount.sl.match(subject);
  return r.psubs.some((x) => x.link !== null);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of ['ours', 'go'] as const) {
  describe(`cluster reload on SIGHUP (${kind} server reloaded, ours as its route peer)`, { skip: kind === 'go' && !GO_SERVER_BIN }, () => {
    const procs: GoServer[] = [];
    const peers: RunningServer[] = [];
    const conns: NatsConnection[] = [];
    after(async () => {
      await Promise.all(conns.map((c) => c.close().catch(() => {})));
      for (const s of procs) await s.stop();
      for (const p of peers) await p.stop();
    });
    const start = async (config: string) => {
      const s = await startGoServer([], config, kind === 'ours' ? OURS_CMD : undefined);
      procs.push(s);
      return s;
    };
    const peer = async (routes: string[] = [], cluster: Record<string, unknown> = {}) => {
      const p = await startClustered(routes, { server_name: `P${peers.length}` }, cluster);
      peers.push(p);
      return p;
    };
    const open = async (url: string) => {
      const nc = await connect({ servers: url });
      conns.push(nc);
      return nc;
    };
    /** rewrite the config, SIGHUP, and wait for `logLine` in what the server logs from then on */
    const hup = async (s: GoServer, config: string, logLine: RegExp) => {
      writeFileSync(join(s.dir, 'server.conf'), config);
      const before = s.logs().length;
      s.proc.kill('SIGHUP');
      await waitFor(() => logLine.test(s.logs().slice(before)), 5000).catch((e: Error) => {
        throw new Error(`${e.message}: ${logLine} not logged after SIGHUP; log since: ${s.logs().slice(before)}`);
      });
      return s.logs().slice(before);
    };

    it('a route added by reload is dialed (interest and messages flow); a removed one closes with "Route Removed" and is not redialed', async () => {
      const p = await peer();
      const x = await start(clusterConf([]));
      const xc = await open(x.url);
      const pc = await open(p.url);
      const got: string[] = [];
      xc.subscribe('rl.>', { callback: (_e, m) => { got.push(m.subject); } });
      await xc.flush();
      await hup(x, clusterConf([routeURL(p)]), /Reloaded: cluster routes/);
      await waitFor(() => routesOf(p).numRemotes() === 1, 5000);
      await waitRemoteInterest(p, 'rl.a');
      pc.publish('rl.a');
      await waitFor(() => got.length === 1, 5000);

      const log = await hup(x, clusterConf([]), /Reloaded: cluster routes/);
      assert.match(log, /Removed route nats-route:\/\/127\.0\.0\.1:\d+/);
      await waitFor(() => /Router connection closed: Route Removed/.test(x.logs()), 5000);
      await waitFor(() => routesOf(p).numRemotes() === 0 && !hasRemoteInterest(p, 'rl.a'), 5000);
      // past the configured-route reconnect delay (1 s): X did not dial P again
      await delay(1500);
      assert.equal(routesOf(p).conns.size, 0);
      pc.publish('rl.b');
      await pc.flush();
      assert.deepEqual(got, ['rl.a']);
    });

    it('import permissions changed by reload withdraw and re-send interest; messages stop and start', async () => {
      const p = await peer();
      const x = await start(clusterConf([routeURL(p)]));
      await waitFor(() => routesOf(p).numRemotes() === 1, 5000);
      const xc = await open(x.url);
      const pc = await open(p.url);
      const got: string[] = [];
      for (const subj of ['imp.a', 'imp.b']) xc.subscribe(subj, { callback: (_e, m) => { got.push(m.subject); } });
      await xc.flush();
      await waitRemoteInterest(p, 'imp.b');
      // X may no longer import imp.b: it withdraws its interest, P stops sending imp.b
      await hup(x, clusterConf([routeURL(p)], 'permissions { import { deny: "imp.b" } }'), /Reloaded server configuration/);
      await waitFor(() => !hasRemoteInterest(p, 'imp.b'), 5000);
      assert.ok(hasRemoteInterest(p, 'imp.a'));
      pc.publish('imp.b');
      pc.publish('imp.a');
      await waitFor(() => got.length === 1, 5000);
      assert.deepEqual(got, ['imp.a']); // imp.b would have come first on the one route
      // back to no permissions: the interest is sent again
      await hup(x, clusterConf([routeURL(p)]), /Reloaded server configuration/);
      await waitRemoteInterest(p, 'imp.b');
      pc.publish('imp.b');
      await waitFor(() => got.length === 2, 5000);
      assert.deepEqual(got, ['imp.a', 'imp.b']);
    });

    it('export permissions changed by reload drop the peer\'s interest; lifting them makes the peer send it again', async () => {
      const p = await peer();
      const x = await start(clusterConf([routeURL(p)]));
      await waitFor(() => routesOf(p).numRemotes() === 1, 5000);
      const xc = await open(x.url);
      const pc = await open(p.url);
      const got: string[] = [];
      for (const subj of ['exp.a', 'exp.b']) pc.subscribe(subj, { callback: (_e, m) => { got.push(m.subject); } });
      await pc.flush();
      await waitFor(async () => {
        xc.publish('exp.a');
        await xc.flush();
        await delay(20);
        return got.length > 0;
      }, 5000);
      got.length = 0;
      // X may not export exp.b any more: P's interest in it is dropped at X
      await hup(x, clusterConf([routeURL(p)], 'permissions { export { deny: "exp.b" } }'), /Reloaded server configuration/);
      // P learns X's new permissions from X's INFO
      await waitFor(() => [...routesOf(p).allRoutes()].some((rc) => rc.remoteInfo?.export !== undefined), 5000);
      xc.publish('exp.b');
      xc.publish('exp.a');
      await waitFor(() => got.length === 1, 5000);
      assert.deepEqual(got, ['exp.a']);
      // lifted: X's INFO says so, P sends its interest in exp.b again
      await hup(x, clusterConf([routeURL(p)]), /Reloaded server configuration/);
      await waitFor(async () => {
        got.length = 0;
        xc.publish('exp.b');
        await xc.flush();
        await delay(20);
        return got.includes('exp.b');
      }, 5000);
    });

    it('changed cluster credentials close an accepted route that no longer passes; the peer gets in again with the new ones', async () => {
      const x = await start(clusterConf([], 'authorization { user: ru, password: one }'));
      const auth = (pw: string) => `nats-route://ru:${pw}@127.0.0.1:${x.clusterPort}`;
      assert.ok(x.clusterPort);
      const p = await peer([auth('one')]);
      await waitFor(() => routesOf(p).numRemotes() === 1, 5000);
      await hup(x, clusterConf([], 'authorization { user: ru, password: two }'), /Reloaded server configuration/);
      await waitFor(() => routesOf(p).numRemotes() === 0, 5000);
      // X closed the route as an authentication error, and refuses P's redial with the old password too
      const refusals = () => (x.logs().match(/authentication error/g) ?? []).length;
      await waitFor(() => refusals() > 0, 5000);
      const atClose = refusals();
      await waitFor(() => refusals() > atClose, 5000);
      assert.equal(routesOf(p).numRemotes(), 0);
      // P's redials with the old password keep failing; P's own reload to the new password gets it back in
      const opts = p.server.opts;
      const cluster = { ...(opts.extra.cluster as Record<string, unknown>), routes: [auth('two')] };
      p.server.reload({ ...opts, extra: { ...opts.extra, cluster } });
      await waitFor(() => routesOf(p).numRemotes() === 1, 5000);
      assert.ok(!routesOf(p).opts.routes.some((u) => u.password === 'one'));
    });

    it('cluster host or port changes and any gateway change fail with Go\'s text; the running config stays', async () => {
      const p = await peer();
      const x = await start(clusterConf([], '', 'gateway { name: "test-cluster", listen: "127.0.0.1:-1" }'));
      const port = x.clusterPort!;
      let log = await hup(x, clusterConf([routeURL(p)]).replace('127.0.0.1:-1', `127.0.0.1:${port + 1}`) + 'gateway { name: "test-cluster", listen: "127.0.0.1:-1" }', /config reload not supported/);
      assert.match(log, new RegExp(`config reload not supported for cluster port: old=${port}, new=${port + 1}`));
      log = await hup(x, clusterConf([routeURL(p)]).replace('127.0.0.1:-1', '127.0.0.2:-1') + 'gateway { name: "test-cluster", listen: "127.0.0.1:-1" }', /config reload not supported/);
      assert.match(log, /config reload not supported for cluster host: old=127\.0\.0\.1, new=127\.0\.0\.2/);
      log = await hup(x, clusterConf([routeURL(p)], '', 'gateway { name: "test-cluster", listen: "127.0.0.1:-1", connect_retries: 3 }'), /config reload not supported/);
      assert.match(log, /config reload not supported for Gateway: old=/);
      // none of the three failed reloads dialed the route they also added
      await delay(300);
      assert.equal(routesOf(p).conns.size, 0);
      assert.doesNotMatch(x.logs(), /Reloaded: cluster routes/);
    });
  });
}
