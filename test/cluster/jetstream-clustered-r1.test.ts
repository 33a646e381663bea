/**
 * R1 streams through the meta group on three of our servers: creates sent
 * to any server are placed by the meta leader on the least-loaded peer and
 * created there (Go stream assignments), and a client on any server can
 * publish with acks, read stream info, create a consumer and fetch from it,
 * and delete the stream, whichever server holds it. num_replicas 3 is still
 * refused with 10074.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startServer, defaultOptions, type RunningServer } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { routeURL, waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import type { JetStream } from '../../src/jetstream/jetstream.js';

const TIMING = { minElectionTimeout: 400, maxElectionTimeout: 900, heartbeatInterval: 100, lostQuorumInterval: 2000, lostQuorumCheck: 500 };

describe('R1 streams placed by the meta group', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsts-r1c-'));
  const servers: RunningServer[] = [];
  const conns: NatsConnection[] = [];
  after(async () => {
    for (const c of conns) if (!c.isClosed()) await c.close().catch(() => {});
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(i: number, routes: string[]): Promise<RunningServer> {
    const f = join(dir, `s${i}.conf`);
    writeFileSync(f, `server_name: S${i + 1}
server_tags: ["az:${i + 1}", "all"]
accounts {
  SYS: { users: [{ user: sys, password: sys }] }
  A: { jetstream: enabled, users: [{ user: a, password: a }] }
}
system_account: SYS
jetstream { store_dir: "${join(dir, `d${i}`)}" }
cluster { name: r1-test, listen: "127.0.0.1:-1", routes: [${routes.map((r) => `"${r}"`).join(', ')}] }
`);
    const o = loadConfigFile(f, defaultOptions());
    o.jetstream_opts = { ...o.jetstream_opts, raft_timing: TIMING };
    const s = await startServer({ ...o, port: 0, host: '127.0.0.1' });
    servers.push(s);
    return s;
  }
  const jsOf = (s: RunningServer) => s.server.jetstream as JetStream;
  const holder = (name: string) => servers.find((s) => jsOf(s).accounts.get('A')?.streams.has(name));

  it('creates on the least-loaded server and serves requests from any server', async () => {
    await start(0, []);
    for (let i = 1; i < 3; i++) await start(i, [routeURL(servers[0])]);
    await waitMeshed(servers);
    await waitFor(() => {
      const l = jsOf(servers[0]).meta!.node.leaderId;
      return l !== '' && servers.every((s) => jsOf(s).meta!.node.leaderId === l) && servers.some((s) => jsOf(s).meta!.node.clusterSize === 3 && jsOf(s).meta!.isLeader());
    }, 20000);
    for (const s of servers) conns.push(await connect({ servers: s.url, user: 'a', pass: 'a' }));
    const jsm = await jetstreamManager(conns[0]);
    for (let k = 0; k < 6; k++) {
      const si = await jsm.streams.add({ name: `ST${k}`, subjects: [`st${k}.>`] });
      assert.equal(si.config.name, `ST${k}`);
    }
    // every server applied the six assignments; each holds two streams
    await waitFor(() => servers.every((s) => jsOf(s).meta!.streams.get('A')?.size === 6), 5000);
    const perServer = servers.map((s) => jsOf(s).accounts.get('A')!.streams.size);
    assert.deepEqual(perServer, [2, 2, 2], `placement ${perServer}`);
    for (let k = 0; k < 6; k++) {
      const sa = jsOf(servers[0]).meta!.streamAssignment('A', `ST${k}`)!;
      assert.equal(sa.group.peers.length, 1);
      assert.match(sa.group.name, /^S-R1F-[A-Za-z0-9]{8}$/);
      assert.equal(sa.group.cluster, 'r1-test');
    }
    // a client on each server publishes to every stream (acked) and reads its info
    for (let c = 0; c < 3; c++) {
      const js = jetstream(conns[c]);
      const m = await jetstreamManager(conns[c]);
      for (let k = 0; k < 6; k++) {
        const ack = await js.publish(`st${k}.x`, `m${c}`);
        assert.equal(ack.stream, `ST${k}`);
        assert.equal(ack.seq, c + 1);
        const si = await m.streams.info(`ST${k}`);
        assert.equal(si.state.messages, c + 1);
        assert.deepEqual(si.cluster, { name: 'r1-test', leader: holder(`ST${k}`)!.server.name });
      }
    }
    // a consumer on a stream held elsewhere, created and fetched from another server
    const st = 'ST0';
    const far = servers.findIndex((s) => s !== holder(st));
    const m = await jetstreamManager(conns[far]);
    await m.consumers.add(st, { durable_name: 'D', ack_policy: AckPolicy.Explicit });
    const ci = await m.consumers.info(st, 'D');
    assert.equal(ci.num_pending, 3);
    const cons = await jetstream(conns[far]).consumers.get(st, 'D');
    const got: string[] = [];
    const it = await cons.fetch({ max_messages: 3, expires: 3000 });
    for await (const msg of it) {
      got.push(msg.string());
      msg.ack();
    }
    assert.deepEqual(got, ['m0', 'm1', 'm2']);
    // placement tags: only the server with the tag is a candidate; an unknown tag gets no peer
    await waitFor(() => servers.every((s) => [0, 1, 2].every((k) => jsOf(s).meta!.tagsOf(jsOf(servers[k]).meta!.id).includes(`az:${k + 1}`))), 10000);
    await m.streams.add({ name: 'TAGGED', subjects: ['tagged'], placement: { cluster: 'r1-test', tags: ['AZ:3'] } });
    assert.equal(holder('TAGGED'), servers[2]);
    await assert.rejects(m.streams.add({ name: 'NOWHERE', subjects: ['nowhere'], placement: { cluster: 'r1-test', tags: ['az:9'] } }), /insufficient resources/);
    assert.equal((await m.streams.delete('TAGGED')), true);
    await waitFor(() => servers.every((s) => jsOf(s).meta!.streamAssignment('A', 'TAGGED') === undefined), 5000);
    // R3 still refused
    await assert.rejects(m.streams.add({ name: 'R3', subjects: ['r3'], num_replicas: 3 }), /replicas > 1 not supported/);
    // delete from a server that does not hold it: gone there and from every server's assignments
    const st1 = 'ST1';
    const other = servers.findIndex((s) => s !== holder(st1));
    assert.equal(await (await jetstreamManager(conns[other])).streams.delete(st1), true);
    await waitFor(() => holder(st1) === undefined && servers.every((s) => jsOf(s).meta!.streamAssignment('A', st1) === undefined), 5000);
    // an update from another server reaches the holder and the assignment follows it
    const st3 = 'ST3';
    const notHolder3 = servers.findIndex((s) => s !== holder(st3));
    const up = await (await jetstreamManager(conns[notHolder3])).streams.update(st3, { max_msgs: 100 });
    assert.equal(up.config.max_msgs, 100);
    await waitFor(() => servers.every((s) => jsOf(s).meta!.streamAssignment('A', st3)?.stream.max_msgs === 100), 5000);
    // a stream deleted by a client of its own server leaves the assignments too
    await (await jetstreamManager(conns[0])).streams.add({ name: 'TMP', subjects: ['tmp'] });
    const th = servers.indexOf(holder('TMP')!);
    assert.equal(await (await jetstreamManager(conns[th])).streams.delete('TMP'), true);
    await waitFor(() => servers.every((s) => jsOf(s).meta!.streamAssignment('A', 'TMP') === undefined), 5000);
    // a duplicate create of an existing stream answers like the single server (idempotent)
    const again = await (await jetstreamManager(conns[2])).streams.add({ name: 'ST2', subjects: ['st2.>'] });
    assert.equal(again.state.messages, 3);
    // STREAM.NAMES on any server lists every stream of the account
    const expected = ['ST0', 'ST2', 'ST3', 'ST4', 'ST5'];
    for (const c of conns) {
      const r = (await c.request('$JS.API.STREAM.NAMES', '')).json<any>();
      assert.deepEqual(r.streams, expected);
      assert.equal(r.total, 5);
      // STREAM.LIST gathers the infos from the servers holding the streams
      const l = (await c.request('$JS.API.STREAM.LIST', '')).json<any>();
      assert.equal(l.type, 'io.nats.jetstream.api.v1.stream_list_response');
      assert.deepEqual(l.streams.map((x: any) => x.config.name), expected);
      assert.deepEqual(l.streams.map((x: any) => x.state.messages), [3, 3, 3, 3, 3]);
      assert.equal(l.missing, undefined);
      assert.equal(l.streams[0].type, undefined);
      // account info counts the streams of the whole cluster
      const ai = (await c.request('$JS.API.INFO', '')).json<any>();
      assert.equal(ai.type, 'io.nats.jetstream.api.v1.account_info_response');
      assert.equal(ai.streams, 5);
      assert.equal(ai.consumers, 1);
      assert.ok(ai.storage > 0);
    }

    // restart a server that is not the meta leader: its meta state comes back from its log,
    // its streams are served again to clients on the other servers
    const ri = [1, 2].find((i) => !jsOf(servers[i]).meta!.isLeader())!;
    const held = [...jsOf(servers[ri]).accounts.get('A')!.streams.keys()];
    assert.ok(held.length > 0);
    await conns[ri].close();
    await servers[ri].stop();
    servers[ri] = await start(ri, [routeURL(servers[0])]);
    servers.pop(); // start() appended it; it is back in its slot
    conns[ri] = await connect({ servers: servers[ri].url, user: 'a', pass: 'a' });
    await waitMeshed(servers);
    await waitFor(() => jsOf(servers[ri]).meta!.streams.get('A')?.size === 5 && jsOf(servers[ri]).meta!.node.leaderId !== '', 10000);
    assert.equal(jsOf(servers[ri]).meta!.recovering, false);
    // deleted streams stay deleted (the replay of their assign + remove creates nothing)
    for (const gone of ['ST1', 'TMP']) assert.equal(jsOf(servers[ri]).accounts.get('A')!.streams.has(gone), false);
    const m0 = await jetstreamManager(conns[0]);
    for (const name of held) {
      const si = await waitFor(async () => m0.streams.info(name).catch(() => null), 10000);
      assert.equal(si!.state.messages, 3);
    }

    // stop the meta leader's server: the other two elect a new one and creates keep working
    const li = servers.findIndex((s) => jsOf(s).meta!.isLeader());
    assert.ok(li >= 0);
    await conns[li].close();
    await servers[li].stop();
    const alive = [0, 1, 2].filter((i) => i !== li);
    await waitFor(() => alive.some((i) => jsOf(servers[i]).meta!.isLeader()) && alive.every((i) => {
      const l = jsOf(servers[i]).meta!.node.leaderId;
      return l !== '' && l !== jsOf(servers[li]).meta?.id;
    }), 20000);
    const c2 = conns[alive[0]];
    const after = await (await jetstreamManager(c2)).streams.add({ name: 'AFTER', subjects: ['after.>'] });
    assert.equal(after.config.name, 'AFTER');
    assert.ok(alive.some((i) => servers[i] === holder('AFTER')));
    const ack = await jetstream(conns[alive[1]]).publish('after.1', 'x');
    assert.equal(ack.stream, 'AFTER');
    assert.equal(ack.seq, 1);
  });
});
