/**
 * Differential: /jsz `meta_cluster` of three of our servers against three
 * Go 2.9.10 servers, each set a cluster with JetStream. The fields Go
 * reports (on the leader and on a follower, and per replica) are the ones we
 * report, with the same JSON types and meanings (leader = a server name,
 * peer = getHash(leader)); ours adds `pending` (newer Go has it).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { routeURL, startClustered, waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { nodeHash } from '../../src/jetstream/cluster/meta.js';
import type { RunningServer } from '../../src/index.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

const skipGo = GO_SERVER_BIN ? false : 'Go nats-server not installed';
type Jsz = { server_name?: string; meta_cluster?: Record<string, any> };

const shape = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? 'array' : typeof v]));

/** Leader's and a follower's meta_cluster once all agree on a leader with every replica current. */
async function metaViews(urls: string[], names: string[]): Promise<{ leader: Record<string, any>; follower: Record<string, any> }> {
  return waitFor(async () => {
    const all = await Promise.all(urls.map(async (u) => (await (await fetch(`${u}/jsz`)).json()) as Jsz));
    const l = all[0].meta_cluster?.leader;
    if (!l || !all.every((j) => j.meta_cluster?.leader === l && j.meta_cluster?.cluster_size === 3)) return null;
    const li = names.indexOf(l);
    const lm = all[li]?.meta_cluster;
    if (!lm || (lm.replicas ?? []).filter((r: any) => r.current).length !== 2) return null;
    return { leader: lm, follower: all[(li + 1) % 3].meta_cluster! };
  }, 30000, 100) as Promise<{ leader: Record<string, any>; follower: Record<string, any> }>;
}

describe('meta_cluster shape against Go 2.9.10', { skip: skipGo }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsts-metago-'));
  const gos: GoServer[] = [];
  const ours: RunningServer[] = [];
  after(async () => {
    await Promise.all([...gos.map((g) => g.stop()), ...ours.map((s) => s.stop())]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the fields Go reports', async () => {
    // Go refuses clustered JetStream without configured routes: every Go server lists all three
    const ports = await Promise.all([0, 1, 2].map(freePort));
    const routes = ports.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ');
    const goConf = (i: number) => `server_name: G${i + 1}\njetstream { store_dir: "${join(dir, `g${i}`)}" }\ncluster { name: test-cluster, listen: "127.0.0.1:${ports[i]}", routes: [${routes}] }\n`;
    for (let i = 0; i < 3; i++) gos.push(await startGoServer(['-m', '-1'], goConf(i)));
    for (let i = 0; i < 3; i++) {
      ours.push(await startClustered(i === 0 ? [] : [routeURL(ours[0])], { server_name: `S${i + 1}`, jetstream: true, store_dir: join(dir, `s${i}`), http_port: -1 }));
    }
    await waitMeshed(ours);
    const go = await metaViews(gos.map((g) => `http://127.0.0.1:${g.monitorPort}`), ['G1', 'G2', 'G3']);
    const us = await metaViews(ours.map((s) => s.monitorUrl!), ['S1', 'S2', 'S3']);

    const { pending, ...usLeader } = shape(us.leader);
    assert.equal(pending, 'number');
    assert.deepEqual(usLeader, shape(go.leader));
    const { pending: p2, ...usFollower } = shape(us.follower);
    assert.equal(p2, 'number');
    assert.deepEqual(usFollower, shape(go.follower));
    assert.deepEqual(us.leader.replicas.map(shape), go.leader.replicas.map(shape));
    // /varz jetstream.meta carries the same object
    const varzMeta = async (url: string) => ((await (await fetch(`${url}/varz`)).json()) as { jetstream?: { meta?: Record<string, unknown> } }).jetstream?.meta;
    const gv = await varzMeta(`http://127.0.0.1:${gos[0].monitorPort}`);
    const ov = await varzMeta(ours[0].monitorUrl!);
    assert.ok(gv && ov);
    const { pending: p3, replicas: _r1, ...ovShape } = shape(ov);
    const { replicas: _r2, ...gvShape } = shape(gv);
    assert.equal(p3, 'number');
    assert.deepEqual(ovShape, gvShape);
    for (const v of [go, us]) {
      assert.equal(v.leader.peer, nodeHash(v.leader.leader));
      for (const r of v.leader.replicas) assert.equal(r.peer, nodeHash(r.name));
      assert.equal(v.leader.name, 'test-cluster');
    }
  });
});
