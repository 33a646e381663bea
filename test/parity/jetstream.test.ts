/**
 * Differential JetStream tests: the same API requests go to Debian's Go
 * nats-server 2.9.10 (-js) and to ours. For what 2.9.10 shares with the newest
 * release we compare response types, error code/err_code pairs, the fields Go
 * returns (ours must have each of them, with the same value where values are
 * deterministic), PubAck bytes and pull status replies.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createInbox, headers, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { startGoServer, GO_SERVER_BIN, type GoServer } from '../helpers/go-server.js';
import { startServer, type RunningServer } from '../../src/index.js';

type Json = Record<string, any>;

/** Values that differ between two runs by nature (times, ids, versions). */
const VOLATILE = new Set(['created', 'ts', 'first_ts', 'last_ts', 'time', 'last_active', 'name_id', 'leader', 'metadata', 'cluster']);

/** Every field Go returned must exist in ours with an equal value (recursively, volatile values skipped). */
function assertCovers(go: unknown, ours: unknown, path = ''): void {
  if (go === null || typeof go !== 'object' || Array.isArray(go)) {
    assert.deepEqual(ours, go, `value at ${path || '<root>'}`);
    return;
  }
  assert.ok(ours !== null && typeof ours === 'object', `object expected at ${path}`);
  for (const [k, v] of Object.entries(go as Json)) {
    const p = path ? `${path}.${k}` : k;
    assert.ok(k in (ours as Json), `missing field ${p}`);
    if (VOLATILE.has(k)) continue;
    assertCovers(v, (ours as Json)[k], p);
  }
}

async function api(nc: NatsConnection, subject: string, body?: unknown, hdrs?: Record<string, string>): Promise<Json> {
  const h = hdrs ? headers() : undefined;
  if (hdrs) for (const [k, v] of Object.entries(hdrs)) h!.set(k, v);
  const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const m = await nc.request(subject, payload, { timeout: 3000, headers: h });
  return m.json();
}

async function pullStatus(nc: NatsConnection, stream: string, consumer: string, req: unknown): Promise<string> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, { max: 1, timeout: 3000 });
  nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify(req), { reply: inbox });
  for await (const m of sub) return statusOf(m);
  return '';
}

function statusOf(m: Msg): string {
  const h = m.headers;
  if (!h) return 'data';
  const extra = ['Nats-Pending-Messages', 'Nats-Pending-Bytes'].map((k) => `${k}=${h.get(k)}`).join(',');
  return `${h.code} ${h.description} ${extra}`;
}

describe('JetStream parity with Go nats-server 2.9.10', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, () => {
  let go: GoServer;
  let ours: RunningServer;
  let gnc: NatsConnection;
  let onc: NatsConnection;
  let goDir: string;
  let ourDir: string;

  before(async () => {
    goDir = mkdtempSync(join(tmpdir(), 'gojs-'));
    ourDir = mkdtempSync(join(tmpdir(), 'nsts-pjs-'));
    go = await startGoServer(['-js', '-sd', goDir]);
    ours = await startServer({ jetstream: true, store_dir: ourDir });
    gnc = await connect({ servers: go.url });
    onc = await connect({ servers: ours.url });
  });
  after(async () => {
    await gnc?.close();
    await onc?.close();
    await go?.stop();
    await ours?.stop();
    rmSync(goDir, { recursive: true, force: true });
    rmSync(ourDir, { recursive: true, force: true });
  });

  /** Send to both, return [go, ours]. */
  async function both(subject: string, body?: unknown): Promise<[Json, Json]> {
    return [await api(gnc, subject, body), await api(onc, subject, body)];
  }

  it('stream create/info/update/delete: types and shared fields match', async () => {
    const cfg = { name: 'P1', subjects: ['p1.>'], storage: 'file', max_msgs: 100, max_msgs_per_subject: 5, discard: 'old' };
    let [g, o] = await both('$JS.API.STREAM.CREATE.P1', cfg);
    assert.equal(o.type, g.type);
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.INFO.P1');
    assert.equal(o.type, g.type);
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.UPDATE.P1', { ...cfg, max_msgs: 200, description: 'updated' });
    assert.equal(o.type, g.type);
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.NAMES', {});
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.LIST', {});
    assert.equal(o.type, g.type);
    assert.equal(o.total, g.total);
    [g, o] = await both('$JS.API.STREAM.DELETE.P1');
    assertCovers(g, o);
  });

  it('error code pairs match for bad stream requests', async () => {
    await both('$JS.API.STREAM.CREATE.E1', { name: 'E1', subjects: ['e1.>'] });
    const cases: [string, unknown][] = [
      ['$JS.API.STREAM.CREATE.E2', '{not json'],
      ['$JS.API.STREAM.CREATE.E2', { name: 'E3' }],
      ['$JS.API.STREAM.CREATE.E1', { name: 'E1', subjects: ['other.>'] }],
      ['$JS.API.STREAM.CREATE.E4', { name: 'E4', subjects: ['e1.x'] }],
      ['$JS.API.STREAM.CREATE.E5', { name: 'E5', subjects: ['e5'], storage: 'memory', max_age: 1000 }],
      ['$JS.API.STREAM.CREATE.E6', { name: 'E6', subjects: ['e6'], num_replicas: 7 }],
      ['$JS.API.STREAM.CREATE.E8', { name: 'E8', subjects: ['e8'], num_replicas: 3 }],
      ['$JS.API.STREAM.CREATE.E7', { name: 'E7', subjects: ['e7'], discard_new_per_subject: true }],
      ['$JS.API.STREAM.INFO.NOPE', ''],
      ['$JS.API.STREAM.DELETE.NOPE', ''],
      ['$JS.API.STREAM.PURGE.NOPE', ''],
      ['$JS.API.STREAM.MSG.GET.E1', { seq: 1 }],
      ['$JS.API.STREAM.MSG.GET.E1', {}],
      ['$JS.API.STREAM.MSG.DELETE.E1', { seq: 1 }],
      ['$JS.API.STREAM.UPDATE.E1', { name: 'E1', subjects: ['e1.>'], storage: 'memory' }],
      ['$JS.API.STREAM.UPDATE.NOPE', { name: 'NOPE' }],
      ['$JS.API.CONSUMER.INFO.E1.nope', ''],
      ['$JS.API.CONSUMER.INFO.NOPE.nope', ''],
      ['$JS.API.CONSUMER.DELETE.E1.nope', ''],
      ['$JS.API.CONSUMER.CREATE.NOPE', { stream_name: 'NOPE', config: { ack_policy: 'none' } }],
      ['$JS.API.CONSUMER.CREATE.E1', { stream_name: 'E2', config: { ack_policy: 'none' } }],
      ['$JS.API.CONSUMER.CREATE.E1', { stream_name: 'E1', config: { ack_policy: 'none', deliver_policy: 'by_start_sequence' } }],
      ['$JS.API.CONSUMER.CREATE.E1', { stream_name: 'E1', config: { ack_policy: 'none', deliver_subject: 'e1.loop' } }],
      ['$JS.API.CONSUMER.CREATE.E1', { stream_name: 'E1', config: { ack_policy: 'none', idle_heartbeat: 5_000_000_000 } }],
      ['$JS.API.CONSUMER.CREATE.E1', { stream_name: 'E1', config: { ack_policy: 'explicit', deliver_subject: 'd.x', max_waiting: 5 } }],
      ['$JS.API.CONSUMER.CREATE.E1', { stream_name: 'E1', config: { ack_policy: 'none', flow_control: true, deliver_subject: 'd.y' } }],
      ['$JS.API.CONSUMER.DURABLE.CREATE.E1.d1', { stream_name: 'E1', config: { durable_name: 'd2', ack_policy: 'none' } }],
      ['$JS.API.STREAM.LEADER.STEPDOWN.E1', ''],
    ];
    for (const [subject, body] of cases) {
      const [g, o] = await both(subject, body);
      const what = `${subject} ${JSON.stringify(body)}`;
      assert.ok(g.error, `Go answered without error for ${what}: ${JSON.stringify(g)}`);
      assert.ok(o.error, `we answered without error for ${what}: ${JSON.stringify(o)}`);
      assert.equal(o.type, g.type, what);
      assert.deepEqual([o.error.code, o.error.err_code], [g.error.code, g.error.err_code], `${what}: go=${g.error.description} ours=${o.error.description}`);
      // the zero-valued fields Go's response struct carries besides the error
      assert.deepEqual(Object.keys(o).sort(), Object.keys(g).sort(), `${what}: fields`);
    }
  });

  // 2.9.10 wrote `{"stream":"PA", "seq":1}` (a space); the newest release has no space, so compare as JSON.
  it('PubAcks, duplicates and precondition failures match', async () => {
    await both('$JS.API.STREAM.CREATE.PA', { name: 'PA', subjects: ['pa.>'], storage: 'memory', max_msgs: 3, discard: 'new' });
    const pub = async (nc: NatsConnection, subject: string, data: string, h?: Record<string, string>) => {
      const hh = h ? headers() : undefined;
      if (h) for (const [k, v] of Object.entries(h)) hh!.set(k, v);
      return (await nc.request(subject, data, { headers: hh, timeout: 3000 })).json();
    };
    const script: [string, string, Record<string, string>?][] = [
      ['pa.a', 'one', { 'Nats-Msg-Id': 'x1' }],
      ['pa.a', 'dup', { 'Nats-Msg-Id': 'x1' }],
      ['pa.b', 'two', { 'Nats-Expected-Last-Sequence': '1' }],
      ['pa.b', 'bad', { 'Nats-Expected-Last-Sequence': '1' }],
      ['pa.b', 'bad', { 'Nats-Expected-Stream': 'OTHER' }],
      ['pa.c', 'three', { 'Nats-Expected-Last-Subject-Sequence': '0' }],
      ['pa.c', 'full'],
    ];
    for (const [subj, data, h] of script) {
      const g = await pub(gnc, subj, data, h);
      const o = await pub(onc, subj, data, h);
      assert.deepEqual(o, g, `${subj} ${JSON.stringify(h)}`);
    }
  });

  it('purge and message get responses match', async () => {
    await both('$JS.API.STREAM.CREATE.PG', { name: 'PG', subjects: ['pg.>'], storage: 'file' });
    for (const nc of [gnc, onc]) {
      const h = headers();
      h.set('X-A', 'b');
      for (let i = 0; i < 6; i++) await nc.request(`pg.${i % 2}`, `v${i}`, { headers: i === 0 ? h : undefined, timeout: 3000 });
    }
    let [g, o] = await both('$JS.API.STREAM.MSG.GET.PG', { seq: 1 });
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.MSG.GET.PG', { last_by_subj: 'pg.1' });
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.MSG.DELETE.PG', { seq: 2 });
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.INFO.PG', { deleted_details: true });
    assertCovers(g.state, o.state);
    [g, o] = await both('$JS.API.STREAM.PURGE.PG', { filter: 'pg.0', keep: 1 });
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.PURGE.PG', {});
    assertCovers(g, o);
    [g, o] = await both('$JS.API.STREAM.INFO.PG');
    assertCovers(g.state, o.state);
  });

  it('consumer create/info/list/delete and pull status replies match', async () => {
    await both('$JS.API.STREAM.CREATE.PC', { name: 'PC', subjects: ['pc.>'], storage: 'memory' });
    for (const nc of [gnc, onc]) for (let i = 0; i < 3; i++) await nc.request('pc.x', `m${i}`);
    const ccfg = { stream_name: 'PC', config: { durable_name: 'dur', ack_policy: 'explicit', max_deliver: 3, filter_subject: 'pc.>' } };
    let [g, o] = await both('$JS.API.CONSUMER.DURABLE.CREATE.PC.dur', ccfg);
    assert.equal(o.type, g.type);
    assertCovers(g, o);
    [g, o] = await both('$JS.API.CONSUMER.INFO.PC.dur');
    assertCovers(g, o);
    [g, o] = await both('$JS.API.CONSUMER.NAMES.PC', {});
    assertCovers(g, o);
    [g, o] = await both('$JS.API.CONSUMER.LIST.PC', {});
    assert.equal(o.type, g.type);
    assert.equal(o.total, g.total);

    const gm = await gnc.request('$JS.API.CONSUMER.MSG.NEXT.PC.dur', JSON.stringify({ batch: 1 }), { timeout: 3000, noMux: true });
    const om = await onc.request('$JS.API.CONSUMER.MSG.NEXT.PC.dur', JSON.stringify({ batch: 1 }), { timeout: 3000, noMux: true });
    assert.equal(om.subject, gm.subject);
    assert.equal(om.reply!.split('.').slice(0, 7).join('.'), gm.reply!.split('.').slice(0, 7).join('.'));
    assert.equal(om.reply!.split('.').length, gm.reply!.split('.').length);
    assert.equal(om.reply!.split('.').at(-1), gm.reply!.split('.').at(-1), 'pending count token');

    await both('$JS.API.CONSUMER.DURABLE.CREATE.PC.empty', { stream_name: 'PC', config: { durable_name: 'empty', ack_policy: 'explicit', deliver_policy: 'new' } });
    for (const req of [{ batch: 1, no_wait: true }, { batch: 2, expires: 100_000_000 }]) {
      const gs = await pullStatus(gnc, 'PC', 'empty', req);
      const os = await pullStatus(onc, 'PC', 'empty', req);
      assert.equal(os, gs, JSON.stringify(req));
    }
    [g, o] = await both('$JS.API.CONSUMER.DELETE.PC.dur');
    assertCovers(g, o);
    [g, o] = await both('$JS.API.INFO');
    assert.equal(o.type, g.type);
    for (const k of Object.keys(g)) assert.ok(k in o, `account info field ${k}`);
  });

  it('KV-style streams (max_msgs_per_subject, rollup, direct get) behave the same', async () => {
    const cfg = {
      name: 'KV_b',
      subjects: ['$KV.b.>'],
      max_msgs_per_subject: 1,
      discard: 'new',
      allow_rollup_hdrs: true,
      deny_delete: true,
      allow_direct: true,
      storage: 'file',
      duplicate_window: 120_000_000_000,
      max_consumers: -1,
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
      num_replicas: 1,
    };
    const [g, o] = await both('$JS.API.STREAM.CREATE.KV_b', cfg);
    assertCovers(g.config, o.config);
    for (const nc of [gnc, onc]) {
      await nc.request('$KV.b.k', 'v1');
      await nc.request('$KV.b.k', 'v2');
      const h = headers();
      h.set('KV-Operation', 'PURGE');
      h.set('Nats-Rollup', 'sub');
      await nc.request('$KV.b.gone', '', { headers: h, timeout: 3000 });
    }
    const gd = await gnc.request('$JS.API.DIRECT.GET.KV_b.$KV.b.k', '');
    const od = await onc.request('$JS.API.DIRECT.GET.KV_b.$KV.b.k', '');
    assert.equal(od.string(), gd.string());
    for (const k of ['Nats-Stream', 'Nats-Subject', 'Nats-Sequence']) assert.equal(od.headers?.get(k), gd.headers?.get(k), k);
    const gn = await gnc.request('$JS.API.DIRECT.GET.KV_b.$KV.b.none', '');
    const on = await onc.request('$JS.API.DIRECT.GET.KV_b.$KV.b.none', '');
    assert.equal(`${on.headers?.code} ${on.headers?.description}`, `${gn.headers?.code} ${gn.headers?.description}`);
    const [gi, oi] = await both('$JS.API.STREAM.INFO.KV_b');
    assertCovers(gi.state, oi.state);
  });
});
