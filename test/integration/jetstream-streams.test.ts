/**
 * JetStream streams through the real @nats-io/jetstream client: create/info/
 * update/delete/list, publish acks and every publish precondition, dedupe,
 * limits and discard policies, rollups, purge variants, message get/delete,
 * direct get, and the API's error JSON.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager, type JetStreamClient, JetStreamApiError } from '@nats-io/jetstream';
import { startServer, type RunningServer } from '../../src/index.js';
import { withJetStream } from '../helpers/jetstream.js';
import { waitFor } from '../helpers/wait.js';

async function apiError(p: Promise<unknown>): Promise<{ code: number; err_code: number; description: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof JetStreamApiError) return e.apiError() as { code: number; err_code: number; description: string };
    throw e;
  }
  throw new Error('expected an API error');
}

async function rawApi(nc: NatsConnection, subject: string, body: unknown): Promise<Record<string, any>> {
  const m = await nc.request(subject, body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body), { timeout: 2000 });
  return m.json();
}

for (const storage of ['memory', 'file'] as const) {
  describe(`JetStream streams (${storage} storage)`, () => {
    let srv: RunningServer;
    let nc: NatsConnection;
    let jsm: JetStreamManager;
    let js: JetStreamClient;
    let dir: string;
    let n = 0;
    const name = () => `S${++n}`;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nsts-js-'));
      srv = await startServer({ jetstream: true, store_dir: dir });
      nc = await connect({ servers: srv.url });
      jsm = await jetstreamManager(nc);
      js = jetstream(nc);
    });
    after(async () => {
      await nc.close();
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates a stream with Go defaults and reports info', async () => {
      const s = name();
      const si = await jsm.streams.add({ name: s, subjects: [`${s}.>`], storage: storage as any });
      assert.equal(si.config.name, s);
      assert.equal(si.config.retention, 'limits');
      assert.equal(si.config.max_msgs, -1);
      assert.equal(si.config.max_bytes, -1);
      assert.equal(si.config.max_msgs_per_subject, -1);
      assert.equal(si.config.discard, 'old');
      assert.equal(si.config.num_replicas, 1);
      assert.equal(si.config.duplicate_window, 120_000_000_000);
      assert.equal(si.state.messages, 0);
      assert.equal(si.state.first_seq, 0);
      assert.equal((si.config.metadata as Record<string, string>)['_nats.level'], '5');
      const info = await jsm.streams.info(s);
      assert.equal(info.config.subjects?.[0], `${s}.>`);
      assert.equal(info.cluster?.leader, srv.server.name);
    });

    it('is idempotent for an identical config and rejects a different one (10058)', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`${s}.a`], storage: storage as any });
      await jsm.streams.add({ name: s, subjects: [`${s}.a`], storage: storage as any });
      const e = await apiError(jsm.streams.add({ name: s, subjects: [`${s}.b`], storage: storage as any }));
      assert.equal(e.err_code, 10058);
      assert.equal(e.code, 400);
    });

    it('rejects overlapping subjects (10065), bad names, and path-like names', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`ov${s}.>`], storage: storage as any });
      const e = await apiError(jsm.streams.add({ name: `${s}x`, subjects: [`ov${s}.a`], storage: storage as any }));
      assert.equal(e.err_code, 10065);
      const r = await rawApi(nc, '$JS.API.STREAM.CREATE.a', { name: 'b' });
      assert.equal(r.error.err_code, 10056);
      assert.equal(r.type, 'io.nats.jetstream.api.v1.stream_create_response');
      const bad = await rawApi(nc, '$JS.API.STREAM.CREATE.x', '{bad json');
      assert.equal(bad.error.err_code, 10025);
      const unk = await rawApi(nc, '$JS.API.STREAM.CREATE.x', { name: 'x', bogus: 1 });
      assert.equal(unk.error.err_code, 10025);
      assert.match(unk.error.description, /unknown field "bogus"/);
    });

    it('publishes with acks, dedupes Nats-Msg-Id, and enforces expectations', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`${s}.*`], storage: storage as any });
      const a1 = await js.publish(`${s}.a`, 'one', { msgID: 'id1' });
      assert.deepEqual([a1.stream, a1.seq, a1.duplicate], [s, 1, false]);
      const dup = await js.publish(`${s}.a`, 'one again', { msgID: 'id1' });
      assert.deepEqual([dup.seq, dup.duplicate], [1, true]);
      await js.publish(`${s}.b`, 'two', { expect: { lastSequence: 1 } });
      await assert.rejects(js.publish(`${s}.b`, 'x', { expect: { lastSequence: 1 } }), /wrong last sequence: 2/);
      await assert.rejects(js.publish(`${s}.b`, 'x', { expect: { streamName: 'other' } }), /expected stream does not match/);
      await js.publish(`${s}.a`, 'three', { expect: { lastSubjectSequence: 1 } });
      await assert.rejects(js.publish(`${s}.a`, 'x', { expect: { lastSubjectSequence: 1 } }), /wrong last sequence: 3/);
      await js.publish(`${s}.c`, 'four', { msgID: 'm4' });
      await js.publish(`${s}.c`, 'five', { expect: { lastMsgID: 'm4' } });
      await assert.rejects(js.publish(`${s}.c`, 'x', { expect: { lastMsgID: 'nope' } }), /wrong last msg ID/);
      const info = await jsm.streams.info(s);
      assert.equal(info.state.messages, 5);
      assert.equal(info.state.last_seq, 5);
      assert.equal(info.state.num_subjects, 3);
    });

    it('enforces max_msgs / max_msgs_per_subject with discard old and discard new', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`${s}.*`], storage: storage as any, max_msgs: 3 });
      for (let i = 0; i < 5; i++) await js.publish(`${s}.a`, `m${i}`);
      let info = await jsm.streams.info(s);
      assert.deepEqual([info.state.messages, info.state.first_seq, info.state.last_seq], [3, 3, 5]);

      const d = name();
      await jsm.streams.add({ name: d, subjects: [`${d}.*`], storage: storage as any, max_msgs: 2, discard: 'new' as any });
      await js.publish(`${d}.a`, '1');
      await js.publish(`${d}.a`, '2');
      const e = await apiError(js.publish(`${d}.a`, '3'));
      assert.equal(e.err_code, 10077);
      assert.equal(e.description, 'maximum messages exceeded');

      const p = name();
      await jsm.streams.add({ name: p, subjects: [`${p}.*`], storage: storage as any, max_msgs_per_subject: 2 });
      for (let i = 0; i < 4; i++) await js.publish(`${p}.a`, `a${i}`);
      await js.publish(`${p}.b`, 'b');
      info = await jsm.streams.info(p, { subjects_filter: '>' } as any);
      assert.equal(info.state.messages, 3);
      assert.deepEqual(info.state.subjects, { [`${p}.a`]: 2, [`${p}.b`]: 1 });

      const q = name();
      await jsm.streams.add({
        name: q,
        subjects: [`${q}.*`],
        storage: storage as any,
        max_msgs_per_subject: 1,
        discard: 'new' as any,
        discard_new_per_subject: true,
      });
      await js.publish(`${q}.a`, '1');
      const e2 = await apiError(js.publish(`${q}.a`, '2'));
      assert.equal(e2.description, 'maximum messages per subject exceeded');
      await js.publish(`${q}.b`, 'other subject still fits');
    });

    it('rejects messages over max_msg_size (10054)', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [s], storage: storage as any, max_msg_size: 10 });
      await js.publish(s, '0123456789');
      const e = await apiError(js.publish(s, '0123456789A'));
      assert.equal(e.err_code, 10054);
    });

    it('expires messages by max_age', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [s], storage: storage as any, max_age: 200_000_000 });
      await js.publish(s, 'x');
      const deadline = Date.now() + 5000;
      for (;;) {
        const info = await jsm.streams.info(s);
        if (info.state.messages === 0) break;
        if (Date.now() > deadline) assert.fail('message did not expire');
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    it('rolls up by subject and whole stream with Nats-Rollup when allowed', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`${s}.*`], storage: storage as any });
      const h = headers();
      h.set('Nats-Rollup', 'sub');
      await assert.rejects(js.publish(`${s}.a`, 'x', { headers: h }), /rollup not permitted/);
      const r = name();
      await jsm.streams.add({ name: r, subjects: [`${r}.*`], storage: storage as any, allow_rollup_hdrs: true });
      for (let i = 0; i < 3; i++) await js.publish(`${r}.a`, `a${i}`);
      await js.publish(`${r}.b`, 'b');
      await js.publish(`${r}.a`, 'rolled', { headers: h });
      let info = await jsm.streams.info(r);
      assert.equal(info.state.messages, 2);
      const all = headers();
      all.set('Nats-Rollup', 'all');
      await js.publish(`${r}.c`, 'everything', { headers: all });
      info = await jsm.streams.info(r);
      assert.equal(info.state.messages, 1);
      const m = await jsm.streams.getMessage(r, { last_by_subj: `${r}.c` });
      assert.equal(m?.string(), 'everything');
    });

    it('purges all, by subject, below a sequence and keeping N', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`${s}.*`], storage: storage as any });
      for (let i = 0; i < 10; i++) await js.publish(`${s}.${i % 2 ? 'odd' : 'even'}`, `${i}`);
      let r = await jsm.streams.purge(s, { filter: `${s}.odd` });
      assert.equal(r.purged, 5);
      r = await jsm.streams.purge(s, { filter: `${s}.even`, keep: 2 });
      assert.equal(r.purged, 3);
      r = await jsm.streams.purge(s, { seq: 9 });
      assert.equal(r.purged, 1);
      await js.publish(`${s}.odd`, 'after');
      r = await jsm.streams.purge(s);
      assert.equal(r.purged, 2);
      const info = await jsm.streams.info(s);
      assert.deepEqual([info.state.messages, info.state.first_seq, info.state.last_seq], [0, 12, 11]);
      const both = await rawApi(nc, `$JS.API.STREAM.PURGE.${s}`, { seq: 2, keep: 1 });
      assert.equal(both.error.err_code, 10003);
    });

    it('gets and deletes messages; deny_delete and sealed streams refuse', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`${s}.*`], storage: storage as any });
      const h = headers();
      h.set('X-Test', 'yes');
      await js.publish(`${s}.a`, 'first', { headers: h });
      await js.publish(`${s}.b`, 'second');
      await js.publish(`${s}.a`, 'third');
      const m = await jsm.streams.getMessage(s, { seq: 1 });
      assert.equal(m?.subject, `${s}.a`);
      assert.equal(m?.header.get('X-Test'), 'yes');
      assert.equal((await jsm.streams.getMessage(s, { last_by_subj: `${s}.a` }))?.seq, 3);
      assert.equal((await jsm.streams.getMessage(s, { next_by_subj: `${s}.b`, seq: 1 } as any))?.seq, 2);
      const missing = await rawApi(nc, `$JS.API.STREAM.MSG.GET.${s}`, { seq: 99 });
      assert.equal(missing.error.err_code, 10037);
      assert.equal(await jsm.streams.deleteMessage(s, 2), true);
      const gone = await rawApi(nc, `$JS.API.STREAM.MSG.GET.${s}`, { seq: 2 });
      assert.equal(gone.error.code, 404);
      const info = await jsm.streams.info(s, { deleted_details: true });
      assert.equal(info.state.num_deleted, 1);
      assert.deepEqual(info.state.deleted, [2]);

      const d = name();
      await jsm.streams.add({ name: d, subjects: [d], storage: storage as any, deny_delete: true, deny_purge: true });
      await js.publish(d, 'x');
      const e1 = await apiError(jsm.streams.deleteMessage(d, 1));
      assert.equal(e1.err_code, 10057);
      const e2 = await apiError(jsm.streams.purge(d));
      assert.equal(e2.err_code, 10110);

      const sealedErr = await rawApi(nc, `$JS.API.STREAM.CREATE.${d}x`, { name: `${d}x`, sealed: true, storage });
      assert.equal(sealedErr.error.err_code, 10052);
      const si = await jsm.streams.info(d);
      await jsm.streams.update(d, { ...si.config, sealed: true } as any);
      await assert.rejects(js.publish(d, 'y'), /invalid operation on sealed stream/);
    });

    it('updates allowed fields and refuses storage changes', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`${s}.a`], storage: storage as any });
      const u = await jsm.streams.update(s, { subjects: [`${s}.a`, `${s}.b`], max_msgs: 10, description: 'd' });
      assert.deepEqual(u.config.subjects, [`${s}.a`, `${s}.b`]);
      assert.equal(u.config.max_msgs, 10);
      await js.publish(`${s}.b`, 'now captured');
      const info = await jsm.streams.info(s);
      assert.equal(info.state.messages, 1);
      const e = await apiError(jsm.streams.update(s, { ...u.config, storage: storage === "file" ? "memory" : "file" } as any));
      assert.equal(e.err_code, 10052);
      const nf = await apiError(jsm.streams.update(`${s}nope`, { subjects: ['zz'] }));
      assert.equal(nf.err_code, 10059);
    });

    it('lists and names streams with subject filters, deletes them', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`lst${s}.>`], storage: storage as any });
      const names: string[] = [];
      for await (const x of jsm.streams.names(`lst${s}.x`)) names.push(x);
      assert.deepEqual(names, [s]);
      const infos: string[] = [];
      for await (const si of jsm.streams.list()) infos.push(si.config.name);
      assert.ok(infos.includes(s));
      assert.equal(await jsm.streams.delete(s), true);
      const e = await apiError(jsm.streams.info(s));
      assert.equal(e.err_code, 10059);
    });

    it('serves direct gets when allow_direct is set', async () => {
      const s = name();
      await jsm.streams.add({ name: s, subjects: [`${s}.*`], storage: storage as any, allow_direct: true });
      await js.publish(`${s}.a`, 'a1');
      await js.publish(`${s}.b`, 'b1');
      await js.publish(`${s}.a`, 'a2');
      const last = await jsm.direct.getMessage(s, { last_by_subj: `${s}.a` });
      assert.equal(last?.string(), 'a2');
      assert.equal(last?.seq, 3);
      const bySeq = await jsm.direct.getMessage(s, { seq: 2 });
      assert.equal(bySeq?.subject, `${s}.b`);
      const r = await nc.request(`$JS.API.DIRECT.GET.${s}.${s}.b`, '');
      assert.equal(r.headers?.get('Nats-Sequence'), '2');
      assert.equal(r.headers?.get('Nats-Stream'), s);
      const nf = await nc.request(`$JS.API.DIRECT.GET.${s}`, JSON.stringify({ seq: 99 }));
      assert.equal(nf.headers?.code, 404);
      const batch: number[] = [];
      const sub = nc.subscribe('_INBOX.dg.' + s);
      const done = (async () => {
        for await (const m of sub) {
          if (m.headers?.code === 204) break;
          batch.push(Number(m.headers?.get('Nats-Sequence')));
        }
      })();
      nc.publish(`$JS.API.DIRECT.GET.${s}`, JSON.stringify({ seq: 1, batch: 10 }), { reply: '_INBOX.dg.' + s });
      await done;
      assert.deepEqual(batch, [1, 2, 3]);
    });

    it('answers cluster-only subjects like a single Go server and counts API errors', async () => {
      const r = await rawApi(nc, '$JS.API.STREAM.LEADER.STEPDOWN.x', '');
      assert.equal(r.error.err_code, 10010);
      const ai = await jsm.getAccountInfo();
      assert.ok(ai.api.total > 0);
      assert.ok(ai.api.errors > 0);
      await assert.rejects(nc.request('$JS.API.NO.SUCH.THING', '', { timeout: 1000 }), /503|no responders/i);
    });
  });
}

describe('JetStream mirrors and sources', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-jsm-'));
    srv = await startServer({ jetstream: true, store_dir: dir });
    nc = await connect({ servers: srv.url });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });
  after(async () => {
    await nc.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitMsgs = async (name: string, n: number) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const si = await jsm.streams.info(name);
      if (si.state.messages === n) return si;
      if (Date.now() > deadline) assert.fail(`${name}: ${si.state.messages} messages, want ${n}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('a mirror copies the origin with its sequence numbers, before and after creation', async () => {
    await jsm.streams.add({ name: 'ORIG', subjects: ['orig.>'] });
    for (let i = 0; i < 5; i++) await js.publish(`orig.${i % 2}`, `o${i}`);
    await jsm.streams.deleteMessage('ORIG', 2);
    await jsm.streams.add({ name: 'MIR', mirror: { name: 'ORIG' } });
    await waitMsgs('MIR', 4);
    for (let i = 5; i < 8; i++) await js.publish(`orig.${i % 2}`, `o${i}`);
    const si = await waitMsgs('MIR', 7);
    assert.equal(si.state.last_seq, 8);
    assert.equal(si.mirror?.name, 'ORIG');
    const m = await jsm.streams.getMessage('MIR', { seq: 7 });
    assert.deepEqual([m?.subject, m?.string()], ['orig.0', 'o6']);
    assert.equal(await jsm.streams.getMessage('MIR', { seq: 2 }).catch(() => null), null);
    // the sourcing consumer is not listed on the origin
    assert.equal((await jsm.streams.info('ORIG')).state.consumer_count, 0);
  });

  it('sources merge streams with filters and subject transforms, marking Nats-Stream-Source', async () => {
    await jsm.streams.add({ name: 'SA', subjects: ['sa.>'] });
    await jsm.streams.add({ name: 'SB', subjects: ['sb.>'] });
    await js.publish('sa.x', 'a1');
    await js.publish('sb.keep', 'b1');
    await js.publish('sb.drop', 'b2');
    await jsm.streams.add({
      name: 'AGG',
      sources: [{ name: 'SA' }, { name: 'SB', subject_transforms: [{ src: 'sb.keep', dest: 'agg.kept' }] }],
    });
    await waitMsgs('AGG', 2);
    await js.publish('sa.y', 'a2');
    await waitMsgs('AGG', 3);
    const kept = await jsm.streams.getMessage('AGG', { last_by_subj: 'agg.kept' });
    assert.equal(kept?.string(), 'b1');
    assert.match(kept?.header.get('Nats-Stream-Source') ?? '', /^SB 1 /);
    const si = await jsm.streams.info('AGG');
    assert.deepEqual(si.sources?.map((s) => s.name).sort(), ['SA', 'SB']);
  });
});

describe('JetStream stream subject_transform', () => {
  it('stores messages under the transformed subject', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'TR', subjects: ['in.*.*'], subject_transform: { src: 'in.*.*', dest: 'out.{{wildcard(2)}}.$1' } } as any);
      const pa = await jetstream(nc).publish('in.a.b', 'x');
      assert.equal(pa.seq, 1);
      const m = await jsm.streams.getMessage('TR', { seq: 1 });
      assert.equal(m?.subject, 'out.b.a');
    });
  });
});

describe('JetStream snapshot and restore', () => {
  it('round-trips a stream (messages, sequences, deletes, consumers) through the API', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'SNAP', subjects: ['snap.>'] });
      const big = Buffer.from(Array.from({ length: 2000 }, () => Math.floor(Math.random() * 256))).toString('base64');
      for (let i = 0; i < 50; i++) await js.publish(`snap.${i % 5}`, `${i}-${big}`);
      await jsm.streams.deleteMessage('SNAP', 7);
      await jsm.consumers.add('SNAP', { durable_name: 'dur', ack_policy: 'explicit' as any });
      const c = await js.consumers.get('SNAP', 'dur');
      for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) m.ack();
      const before = await jsm.streams.info('SNAP');

      // snapshot: collect chunks, ack each, stop at the 204 status
      const chunks: Uint8Array[] = [];
      const inbox = '_INBOX.snap.' + Date.now();
      const sub = nc.subscribe(inbox);
      const done = (async () => {
        for await (const m of sub) {
          if (m.headers?.code === 204) break;
          assert.ok(!m.headers || m.data.length > 0, `unexpected status ${m.headers?.code} ${m.headers?.description}`);
          chunks.push(m.data);
          m.respond();
        }
      })();
      const sr = (await nc.request('$JS.API.STREAM.SNAPSHOT.SNAP', JSON.stringify({ deliver_subject: inbox, chunk_size: 4096 }))).json<any>();
      assert.equal(sr.type, 'io.nats.jetstream.api.v1.stream_snapshot_response');
      assert.equal(sr.config.name, 'SNAP');
      await done;
      assert.ok(chunks.length > 1, 'several chunks');

      await jsm.streams.delete('SNAP');
      const rr = (await nc.request('$JS.API.STREAM.RESTORE.SNAP', JSON.stringify({ config: sr.config, state: sr.state }))).json<any>();
      assert.equal(rr.type, 'io.nats.jetstream.api.v1.stream_restore_response');
      for (const ch of chunks) await nc.request(rr.deliver_subject, ch);
      const fin = (await nc.request(rr.deliver_subject, new Uint8Array(0))).json<any>();
      assert.equal(fin.config.name, 'SNAP');
      const after = await jsm.streams.info('SNAP');
      assert.deepEqual(
        [after.state.messages, after.state.first_seq, after.state.last_seq, after.state.num_deleted],
        [before.state.messages, before.state.first_seq, before.state.last_seq, before.state.num_deleted],
      );
      assert.equal((await jsm.streams.getMessage('SNAP', { seq: 50 }))?.string(), `49-${big}`);
      const ci = await jsm.consumers.info('SNAP', 'dur');
      assert.equal(ci.ack_floor.stream_seq, 3);
      const exists = (await nc.request('$JS.API.STREAM.RESTORE.SNAP', JSON.stringify({ config: sr.config }))).json<any>();
      assert.equal(exists.error.err_code, 10130);
    });
  });
});

describe('JetStream advisories', () => {
  it('publishes API audit and stream/consumer action advisories', async () => {
    await withJetStream(async ({ nc }) => {
      const seen: Record<string, any>[] = [];
      nc.subscribe('$JS.EVENT.ADVISORY.>', {
        callback: (_e, m) => {
          seen.push({ ...m.json<Record<string, unknown>>(), on: m.subject });
        },
      });
      await nc.flush();
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'ADV', subjects: ['adv'] });
      await jsm.consumers.add('ADV', { durable_name: 'c', ack_policy: 'explicit' as any });
      await jsm.streams.delete('ADV');
      const deadline = Date.now() + 3000;
      while (seen.filter((x) => x.type === 'io.nats.jetstream.advisory.v1.stream_action').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const audit = seen.find((x) => x.type === 'io.nats.jetstream.advisory.v1.api_audit' && x.on === '$JS.EVENT.ADVISORY.API' && x.subject === '$JS.API.STREAM.CREATE.ADV');
      assert.ok(audit, 'api audit advisory');
      assert.match(audit!.response, /stream_create_response/);
      assert.ok(seen.some((x) => x.on === '$JS.EVENT.ADVISORY.STREAM.CREATED.ADV' && x.action === 'create'));
      assert.ok(seen.some((x) => x.on === '$JS.EVENT.ADVISORY.CONSUMER.CREATED.ADV.c'));
      assert.ok(seen.some((x) => x.on === '$JS.EVENT.ADVISORY.STREAM.DELETED.ADV' && x.action === 'delete'));
      assert.match(String(seen[0].id), /^\w{22}$/);
    });
  });
});

describe('JetStream counters (Nats-Incr)', () => {
  it('adds increments per subject, returns the total in the PubAck, and rejects misuse', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'CTR', subjects: ['ctr.>'], allow_msg_counter: true } as any);
      await jsm.streams.add({ name: 'PLAIN', subjects: ['plain'] });
      const incr = async (subject: string, by: string, body = '') => {
        const h = headers();
        h.set('Nats-Incr', by);
        return (await nc.request(subject, body, { headers: h, timeout: 2000 })).json<any>();
      };
      assert.equal((await incr('ctr.a', '5')).val, '5');
      assert.equal((await incr('ctr.a', '-2')).val, '3');
      assert.equal((await incr('ctr.b', '+10')).val, '10');
      const big = await incr('ctr.a', '123456789012345678901234567890');
      assert.equal(big.val, '123456789012345678901234567893');
      const m = await jsm.streams.getMessage('CTR', { last_by_subj: 'ctr.a' });
      assert.deepEqual(m?.json(), { val: '123456789012345678901234567893' });
      assert.equal((await incr('ctr.a', 'x')).error.err_code, 10171);
      assert.equal((await incr('ctr.a', '1', 'payload')).error.err_code, 10170);
      assert.equal((await incr('plain', '1')).error.err_code, 10168);
      const plain = (await nc.request('ctr.a', 'no header', { timeout: 2000 })).json<any>();
      assert.equal(plain.error.err_code, 10169);
    });
  });
});

describe('JetStream subject delete markers', () => {
  for (const storage of ['memory', 'file'] as const) {
    it(`replaces the last message of a subject expired by max_age with a MaxAge marker (${storage})`, async () => {
      await withJetStream(async ({ nc }) => {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({
          name: 'SDM',
          subjects: ['sdm.>'],
          storage: storage as any,
          max_age: 300_000_000,
          allow_msg_ttl: true,
          subject_delete_marker_ttl: 1_000_000_000,
        } as any);
        const js = jetstream(nc);
        await js.publish('sdm.a', 'one');
        await js.publish('sdm.a', 'two');
        const deadline = Date.now() + 4000;
        let marker: Awaited<ReturnType<typeof jsm.streams.getMessage>> = null;
        for (;;) {
          const m = await jsm.streams.getMessage('SDM', { last_by_subj: 'sdm.a' }).catch(() => null);
          if (m && m.header.get('Nats-Marker-Reason') === 'MaxAge') {
            marker = m;
            break;
          }
          if (Date.now() > deadline) assert.fail('no delete marker');
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.equal(marker!.header.get('Nats-TTL'), '1s');
        assert.equal(marker!.data.length, 0);
        const si = await jsm.streams.info('SDM');
        assert.equal(si.state.messages, 1, 'only the marker is left');
        // the marker expires by its own TTL and is not replaced by another marker
        const end = Date.now() + 5000;
        while ((await jsm.streams.info('SDM')).state.messages !== 0) {
          if (Date.now() > end) assert.fail('marker did not expire');
          await new Promise((r) => setTimeout(r, 50));
        }
      });
    });
  }
});

describe('JetStream atomic batch publish', () => {
  it('stages a batch and stores it on commit; bad batches are refused whole', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'BAT', subjects: ['bat.>'], allow_atomic: true } as any);
      await jsm.streams.add({ name: 'NOBAT', subjects: ['nobat'] });
      const b = await js.startBatch('bat.a', 'one');
      b.add('bat.b', 'two');
      assert.equal((await jsm.streams.info('BAT')).state.messages, 0, 'nothing stored before commit');
      const ack = await b.commit('bat.c', 'three');
      assert.deepEqual([ack.stream, ack.seq, (ack as any).count, typeof (ack as any).batch], ['BAT', 3, 3, 'string']);
      const info = await jsm.streams.info('BAT');
      assert.equal(info.state.messages, 3);
      const m = await jsm.streams.getMessage('BAT', { seq: 2 });
      assert.equal(m?.string(), 'two');
      assert.equal(m?.header.get('Nats-Batch-Id'), '');

      await assert.rejects(js.startBatch('nobat', 'x'), /atomic publish is disabled/);
      // a gap in the sequence abandons the batch
      const raw = async (seq: number, commit?: string) => {
        const h = headers();
        h.set('Nats-Batch-Id', 'gap');
        h.set('Nats-Batch-Sequence', String(seq));
        if (commit) h.set('Nats-Batch-Commit', commit);
        const r = await nc.request('bat.g', 'g', { headers: h, timeout: 2000 });
        return r.data.length === 0 ? null : r.json<any>();
      };
      const abandoned: Record<string, unknown>[] = [];
      nc.subscribe('$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.BAT', { callback: (_e, m) => void abandoned.push(m.json()) });
      await nc.flush();
      assert.equal(await raw(1), null);
      assert.equal((await raw(3, '1')).error.err_code, 10176);
      await waitFor(() => abandoned.length === 1, 3000);
      assert.deepEqual(
        [abandoned[0].type, abandoned[0].stream, abandoned[0].batch, abandoned[0].reason],
        ['io.nats.jetstream.advisory.v1.stream_batch_abandoned', 'BAT', 'gap', 'incomplete'],
      );
      assert.equal((await raw(1)), null);
      assert.equal((await raw(2, 'yes')).error.err_code, 10200);
      assert.equal((await jsm.streams.info('BAT')).state.messages, 3, 'abandoned batches store nothing');
    });
  });
});

describe('JetStream mirror through a domain API prefix', () => {
  it('mirrors an origin reached via external.api $JS.<domain>.API', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc, { domain: 'hub' });
      const js = jetstream(nc, { domain: 'hub' });
      await jsm.streams.add({ name: 'DORIG', subjects: ['dorig'] });
      for (let i = 0; i < 3; i++) await js.publish('dorig', `d${i}`);
      await jsm.streams.add({ name: 'DMIR', mirror: { name: 'DORIG', external: { api: '$JS.hub.API' } } as any });
      const deadline = Date.now() + 5000;
      while ((await jsm.streams.info('DMIR')).state.messages !== 3) {
        if (Date.now() > deadline) assert.fail('mirror did not catch up');
        await new Promise((r) => setTimeout(r, 25));
      }
      const si = await jsm.streams.info('DMIR');
      assert.equal((si.mirror as { external?: { api: string } } | undefined)?.external?.api, '$JS.hub.API');
      const pa = await js.publish('dorig', 'after');
      assert.equal(pa.domain, 'hub');
    }, { jetstream_opts: { domain: 'hub' } });
  });
});

describe('JetStream multi-last direct get and consumer reset', () => {
  it('returns the last message per subject up to a sequence, and resets a consumer cursor', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'ML', subjects: ['ml.>'], allow_direct: true });
      for (const [s, v] of [['ml.a', 'a1'], ['ml.b', 'b1'], ['ml.a', 'a2'], ['ml.c', 'c1'], ['ml.b', 'b2']]) await js.publish(s, v);
      const inbox = '_INBOX.ml.' + Date.now();
      const got: string[] = [];
      const sub = nc.subscribe(inbox, { timeout: 3000 });
      const done = (async () => {
        for await (const m of sub) {
          if (m.headers?.code === 204) {
            assert.equal(m.headers.get('Nats-UpTo-Sequence'), '4');
            break;
          }
          got.push(`${m.headers?.get('Nats-Subject')}=${m.string()}`);
        }
      })();
      nc.publish('$JS.API.DIRECT.GET.ML', JSON.stringify({ multi_last: ['ml.>'], up_to_seq: 4 }), { reply: inbox });
      await done;
      assert.deepEqual(got, ['ml.b=b1', 'ml.a=a2', 'ml.c=c1']);

      // up_to_time: the first message at or after the time is the exclusive ceiling (Go); before everything, "No Results"
      const multi = async (body: Record<string, unknown>) => {
        const box = `_INBOX.mlt.${Math.random()}`;
        const out: string[] = [];
        const it = nc.subscribe(box, { timeout: 3000 });
        const finished = (async () => {
          for await (const m of it) {
            if (m.headers?.code === 204) return [...out, `EOB up to ${m.headers.get('Nats-UpTo-Sequence')}`];
            if (m.headers?.code === 404) return [...out, `${m.headers.code} ${m.headers.description}`];
            out.push(`${m.headers?.get('Nats-Subject')}=${m.string()}`);
          }
          return out;
        })();
        nc.publish('$JS.API.DIRECT.GET.ML', JSON.stringify(body), { reply: box });
        return finished;
      };
      // the stored time with its nanoseconds (a Date would cut it to the millisecond)
      const t4 = (await nc.request('$JS.API.STREAM.MSG.GET.ML', JSON.stringify({ seq: 4 }))).json<{ message: { time: string } }>().message.time;
      assert.deepEqual(await multi({ multi_last: ['ml.>'], up_to_time: t4 }), ['ml.b=b1', 'ml.a=a2', 'EOB up to 3']);
      assert.deepEqual(await multi({ multi_last: ['ml.>'], up_to_time: '2000-01-01T00:00:00Z' }), ['404 No Results']);

      await jsm.consumers.add('ML', { durable_name: 'rs', ack_policy: 'explicit' as any });
      const c = await js.consumers.get('ML', 'rs');
      for await (const m of await c.fetch({ max_messages: 5, expires: 1000 })) m.ack();
      await waitFor(async () => (await c.info()).ack_floor.stream_seq === 5);
      const r = (await nc.request('$JS.API.CONSUMER.RESET.ML.rs', JSON.stringify({ seq: 2 }))).json<any>();
      assert.equal(r.type, 'io.nats.jetstream.api.v1.consumer_reset_response');
      assert.equal(r.reset_seq, 2);
      assert.equal((await c.next({ expires: 1000 }))?.seq, 2);
    });
  });
});

describe('JetStream stream compression', () => {
  it('compression: s2 stores full blocks compressed on disk and reads them back, also after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-s2-'));
    let srv = await startServer({ jetstream: true, store_dir: dir });
    let nc = await connect({ servers: srv.url });
    try {
      const jsm = await jetstreamManager(nc);
      const si = await jsm.streams.add({ name: 'Z', subjects: ['z.>'], storage: 'file' as any, compression: 's2' as any });
      assert.equal(si.config.compression, 's2');
      const js = jetstream(nc);
      // ~10 MB of very compressible JSON: more than one 8 MiB block, so at least one block is sealed and compressed
      const body = (i: number) => JSON.stringify({ id: i, kind: 'order', status: 'shipped', note: 'x'.repeat(900) });
      const N = 10_500;
      const acks = [];
      for (let i = 0; i < N; i++) acks.push(js.publish(`z.${i % 10}`, body(i)));
      await Promise.all(acks);
      const info = await jsm.streams.info('Z');
      assert.equal(info.state.messages, N);
      const blocks = join(dir, 'jetstream', '$G', 'streams', 'Z', 'msgs');
      const onDisk = readdirSync(blocks).filter((f) => f.endsWith('.blk')).reduce((n, f) => n + statSync(join(blocks, f)).size, 0);
      assert.ok(onDisk < info.state.bytes / 2, `on disk ${onDisk} vs logical ${info.state.bytes}`);
      await nc.close();
      await srv.stop();
      srv = await startServer({ jetstream: true, store_dir: dir });
      nc = await connect({ servers: srv.url });
      const jsm2 = await jetstreamManager(nc);
      assert.equal((await jsm2.streams.info('Z')).state.messages, N);
      for (const seq of [1, 2, 5000, N]) assert.equal((await jsm2.streams.getMessage('Z', { seq }))?.string(), body(seq - 1));
    } finally {
      await nc.close();
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
