/**
 * The JetStream meta group (`_meta_`) on three of our servers in a cluster:
 * it elects a leader, /jsz reports `meta_cluster` as Go does (name, leader,
 * peer = getHash(leader), replicas on the leader, cluster_size), its log sits
 * under `<store>/jetstream/<system account>/_js_/_meta_`, a system user's
 * `$JS.API.META.LEADER.STEPDOWN` moves leadership, stream assignments in Go's
 * encoding proposed on any server are applied on all of them, and after the
 * leader's server stops the other two elect a new leader.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startServer, defaultOptions, type RunningServer } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { routeURL, waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import type { JetStream } from '../../src/jetstream/jetstream.js';
import { nodeHash } from '../../src/jetstream/cluster/meta.js';
import { encodeAddStreamAssignment, decodeMetaEntry, EntryOp, type StreamAssignment } from '../../src/jetstream/cluster/assignments.js';

const TIMING = { minElectionTimeout: 400, maxElectionTimeout: 900, heartbeatInterval: 100, lostQuorumInterval: 2000, lostQuorumCheck: 500 };

async function jsz(s: RunningServer): Promise<any> {
  const r = await fetch(`${s.monitorUrl}/jsz`);
  return r.json();
}

describe('JetStream meta group', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsts-meta-'));
  const servers: RunningServer[] = [];
  const running = new Set<RunningServer>();
  after(async () => {
    await Promise.all([...running].map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(i: number, routes: string[]): Promise<RunningServer> {
    const f = join(dir, `s${i}.conf`);
    writeFileSync(f, `server_name: S${i + 1}
accounts {
  SYS: { users: [{ user: sys, password: sys }] }
  A: { jetstream: enabled, users: [{ user: a, password: a }] }
}
system_account: SYS
jetstream { store_dir: "${join(dir, `d${i}`)}" }
cluster { name: meta-test, listen: "127.0.0.1:-1", routes: [${routes.map((r) => `"${r}"`).join(', ')}] }
`);
    const o = loadConfigFile(f, defaultOptions());
    o.jetstream_opts = { ...o.jetstream_opts, raft_timing: TIMING };
    const s = await startServer({ ...o, port: 0, host: '127.0.0.1', http_port: -1 });
    running.add(s);
    return s;
  }

  const metaOf = (s: RunningServer) => (s.server.jetstream as JetStream).meta!;

  it('elects, reports, steps down, applies assignments, survives the leader stopping', async () => {
    servers.push(await start(0, []));
    for (let i = 1; i < 3; i++) servers.push(await start(i, [routeURL(servers[0])]));
    await waitMeshed(servers);

    // one leader, known to all, with both others as current replicas on the leader
    const agreed = async (alive: RunningServer[], size: number) => waitFor(async () => {
      const all = await Promise.all(alive.map(jsz));
      const l = all[0].meta_cluster?.leader;
      if (!l || !all.every((j) => j.meta_cluster.leader === l && j.meta_cluster.cluster_size === size)) return null;
      const lj = all[alive.findIndex((s) => s.server.name === l)];
      if (!lj || (lj.meta_cluster.replicas ?? []).filter((r: any) => r.current).length !== size - 1) return null;
      return { leader: l as string, all };
    }, 20000, 50);
    const first = (await agreed(servers, 3))!;
    for (const j of first.all) {
      const mc = j.meta_cluster;
      assert.equal(mc.name, 'meta-test');
      assert.equal(mc.peer, nodeHash(first.leader));
      assert.equal(mc.pending, 0);
      assert.equal(j.ha_assets, 1);
    }
    const lj = first.all[servers.findIndex((s) => s.server.name === first.leader)];
    assert.deepEqual(lj.meta_cluster.replicas.map((r: any) => r.name).sort(), ['S1', 'S2', 'S3'].filter((n) => n !== first.leader));
    for (const r of lj.meta_cluster.replicas) {
      assert.equal(r.peer, nodeHash(r.name));
      assert.equal(typeof r.active, 'number');
    }
    // followers do not list replicas (Go 2.9.10)
    for (const j of first.all) if (j.meta_cluster.leader !== j.server_name && j !== lj) assert.equal(j.meta_cluster.replicas, undefined);
    for (let i = 0; i < 3; i++) assert.ok(existsSync(join(dir, `d${i}`, 'jetstream', 'SYS', '_js_', '_meta_', 'tav.idx')));

    // $JS.API.META.LEADER.STEPDOWN from the system account
    const sys = await connect({ servers: servers[0].url, user: 'sys', pass: 'sys' });
    try {
      const r = (await sys.request('$JS.API.META.LEADER.STEPDOWN', '', { timeout: 5000 })).json<any>();
      assert.deepEqual(r, { type: 'io.nats.jetstream.api.v1.meta_leader_stepdown_response', success: true });
    } finally {
      await sys.close();
    }
    const second = (await waitFor(async () => {
      const a = (await agreed(servers, 3))!;
      return a.leader !== first.leader ? a : null;
    }, 20000, 50))!;
    assert.notEqual(second.leader, first.leader);
    // an account user gets no answer (Go answers only the system account)
    const user = await connect({ servers: servers[1].url, user: 'a', pass: 'a' });
    try {
      await assert.rejects(user.request('$JS.API.META.LEADER.STEPDOWN', '', { timeout: 500 }));
    } finally {
      await user.close();
    }

    // a stream assignment (Go's encoding) proposed on a follower is applied everywhere
    const follower = servers.find((s) => s.server.name !== second.leader)!;
    const sa: StreamAssignment = {
      client: { acc: 'A', server: follower.server.name },
      created: '2026-12-07T00:00:00.000000001Z',
      stream: { name: 'ORDERS', subjects: ['orders.>'], retention: 'limits', storage: 'file', num_replicas: 1 },
      group: { name: 'S-R1F-abcdefgh', peers: [nodeHash(follower.server.name)], store: 'file', cluster: 'meta-test' },
      sync: '_INBOX.sync',
    };
    const entry = encodeAddStreamAssignment(sa);
    assert.equal(entry[0], EntryOp.assignStream);
    assert.equal(entry[entry.length - 1], 0x0a);
    assert.deepEqual(decodeMetaEntry(entry), { op: EntryOp.assignStream, sa });
    metaOf(follower).propose(entry);
    await waitFor(() => servers.every((s) => metaOf(s).streamAssignment('A', 'ORDERS')?.group.name === 'S-R1F-abcdefgh'), 10000);

    // stop the leader's server: the other two elect a new leader and still apply
    const leaderSrv = servers.find((s) => s.server.name === second.leader)!;
    await leaderSrv.stop();
    running.delete(leaderSrv);
    const alive = servers.filter((s) => s !== leaderSrv);
    const third = await waitFor(async () => {
      const all = await Promise.all(alive.map(jsz));
      const l = all[0].meta_cluster?.leader;
      return l && l !== second.leader && all.every((j) => j.meta_cluster.leader === l) ? l : null;
    }, 20000, 50);
    assert.ok(alive.some((s) => s.server.name === third));
    metaOf(alive[0]).proposeStream({ ...sa, stream: { ...sa.stream, name: 'AFTER', subjects: ['after.>'] } });
    await waitFor(() => alive.every((s) => metaOf(s).streamAssignment('A', 'AFTER') !== undefined), 10000);
  });
});
