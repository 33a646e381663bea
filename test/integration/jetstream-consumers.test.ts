/**
 * JetStream consumers through the real @nats-io/jetstream client: pull and
 * push delivery, deliver policies, ack kinds and redelivery, limits on pull
 * requests and their status replies, retention policies, pause and
 * inactivity cleanup, and the $JS.ACK reply format.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createInbox, type NatsConnection, type Msg } from '@nats-io/transport-node';
import {
  jetstream,
  jetstreamManager,
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamManager,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { startServer, type RunningServer } from '../../src/index.js';
import { withJetStream } from '../helpers/jetstream.js';
import { waitFor } from '../helpers/wait.js';

async function errCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof JetStreamApiError) return e.apiError().err_code;
    throw e;
  }
  throw new Error('expected an API error');
}

/** Collect raw replies to one pull request until a status message or `n` messages arrive. */
async function pull(nc: NatsConnection, stream: string, consumer: string, req: unknown, n: number, timeoutMs = 3000): Promise<Msg[]> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, { timeout: timeoutMs });
  nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, typeof req === 'string' ? req : JSON.stringify(req), { reply: inbox });
  const out: Msg[] = [];
  for await (const m of sub) {
    out.push(m);
    if ((m.headers?.code ?? 0) >= 400 || out.length >= n) break;
  }
  sub.unsubscribe();
  return out;
}

describe('JetStream consumers', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let dir: string;
  let k = 0;
  const name = () => `C${++k}`;

  async function stream(msgs: number, subjects = 2, extra: Record<string, unknown> = {}): Promise<string> {
    const s = name();
    await jsm.streams.add({ name: s, subjects: [`${s}.>`], storage: 'memory' as any, ...extra });
    for (let i = 0; i < msgs; i++) await js.publish(`${s}.${i % subjects}`, `m${i + 1}`);
    return s;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-jsc-'));
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

  it('pull consumer: fetch, ack, info counters, and the $JS.ACK reply format', async () => {
    const s = await stream(10);
    const ci = await jsm.consumers.add(s, { durable_name: 'd', ack_policy: AckPolicy.Explicit });
    assert.equal(ci.num_pending, 10);
    assert.equal(ci.config.ack_wait, 30_000_000_000);
    assert.equal(ci.config.max_ack_pending, 1000);
    assert.equal(ci.config.max_waiting, 512);
    assert.equal(ci.config.max_deliver, -1);
    const c = await js.consumers.get(s, 'd');
    const got: number[] = [];
    const it = await c.fetch({ max_messages: 4, expires: 2000 });
    for await (const m of it) {
      got.push(m.seq);
      assert.match((m as unknown as { msg: Msg }).msg.reply!, new RegExp(`^\\$JS\\.ACK\\.${s}\\.d\\.1\\.${m.seq}\\.${m.seq}\\.\\d+\\.${10 - m.seq}$`));
      assert.equal(m.info.pending, 10 - m.seq);
      m.ack();
    }
    assert.deepEqual(got, [1, 2, 3, 4]);
    await waitFor(async () => (await c.info()).ack_floor.stream_seq === 4);
    const info = await c.info();
    assert.equal(info.delivered.consumer_seq, 4);
    assert.equal(info.num_pending, 6);
    assert.equal(info.num_ack_pending, 0);
  });

  it('ack floor follows out-of-order acks and a nak redelivery that keeps its place', async () => {
    const s = await stream(10);
    await jsm.consumers.add(s, { durable_name: 'floor', ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000 });
    const c = await js.consumers.get(s, 'floor');
    const msgs = new Map<number, JsMsg>();
    const it = await c.fetch({ max_messages: 10, expires: 2000 });
    for await (const m of it) msgs.set(m.seq, m);
    assert.equal(msgs.size, 10);
    const floor = async () => {
      const i = await c.info();
      return [i.ack_floor.stream_seq, i.ack_floor.consumer_seq, i.num_ack_pending];
    };
    for (const q of [2, 3, 5]) await msgs.get(q)!.ackAck();
    assert.deepEqual(await floor(), [0, 0, 7]);
    await msgs.get(1)!.ackAck();
    assert.deepEqual(await floor(), [3, 3, 6]);
    msgs.get(4)!.nak();
    for (const q of [6, 7, 8, 9, 10]) await msgs.get(q)!.ackAck();
    assert.deepEqual(await floor(), [3, 3, 1]);
    const again = await c.next({ expires: 2000 });
    assert.equal(again?.seq, 4);
    assert.equal(again?.info.deliveryCount, 2);
    // the ack reply carries the stored time as exact integer nanoseconds
    const ts = (again as unknown as { msg: Msg }).msg.reply!.split('.')[7];
    assert.match(ts, /^\d{19}$/);
    const sm = await jsm.streams.getMessage(s, { seq: 4 });
    assert.ok(Math.abs(Number(BigInt(ts) / 1_000_000n) - sm!.time.getTime()) <= 1);
    await again!.ackAck();
    assert.deepEqual(await floor(), [10, 11, 0]);
  });

  it('deliver policies: all, last, new, by_start_sequence, last_per_subject, by_start_time', async () => {
    const s = await stream(6, 3);
    const first = async (cfg: Record<string, unknown>) => {
      const ci = await jsm.consumers.add(s, { ack_policy: AckPolicy.None, ...cfg } as any);
      const c = await js.consumers.get(s, ci.name);
      const m = await c.next({ expires: 1000 });
      return [m?.seq, ci.num_pending];
    };
    assert.deepEqual(await first({ deliver_policy: DeliverPolicy.All }), [1, 6]);
    assert.deepEqual(await first({ deliver_policy: DeliverPolicy.Last }), [6, 1]);
    assert.deepEqual(await first({ deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 4 }), [4, 3]);
    assert.deepEqual(await first({ deliver_policy: DeliverPolicy.LastPerSubject, filter_subject: `${s}.>` }), [4, 3]);
    // the raw API keeps the nanoseconds a JS Date would lose
    const raw = (await nc.request(`$JS.API.STREAM.MSG.GET.${s}`, JSON.stringify({ seq: 3 }))).json<{ message: { time: string } }>();
    assert.deepEqual(await first({ deliver_policy: DeliverPolicy.StartTime, opt_start_time: raw.message.time }), [3, 4]);
    const ci = await jsm.consumers.add(s, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.New });
    assert.equal(ci.num_pending, 0);
    const c = await js.consumers.get(s, ci.name);
    const p = c.next({ expires: 2000 });
    await js.publish(`${s}.0`, 'fresh');
    assert.equal((await p)?.seq, 7);
    const bad = await errCode(jsm.consumers.add(s, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.StartSequence } as any));
    assert.equal(bad, 10094);
  });

  it('filters: filter_subject and filter_subjects; overlapping filters rejected', async () => {
    const s = await stream(9, 3);
    const ci = await jsm.consumers.add(s, { ack_policy: AckPolicy.None, filter_subjects: [`${s}.0`, `${s}.2`] });
    assert.equal(ci.num_pending, 6);
    const c = await js.consumers.get(s, ci.name);
    const seqs: number[] = [];
    for await (const m of await c.fetch({ max_messages: 6, expires: 1000 })) seqs.push(m.seq);
    assert.deepEqual(seqs, [1, 3, 4, 6, 7, 9]);
    assert.equal(await errCode(jsm.consumers.add(s, { ack_policy: AckPolicy.None, filter_subjects: [`${s}.*`, `${s}.1`] })), 10138);
  });

  it('nak redelivers (with delay), ack_wait expiry redelivers, term stops, max_deliver caps', async () => {
    const s = await stream(3);
    await jsm.consumers.add(s, { durable_name: 'r', ack_policy: AckPolicy.Explicit, ack_wait: 300_000_000, max_deliver: 2 });
    const c = await js.consumers.get(s, 'r');
    const m1 = await c.next({ expires: 1000 });
    assert.equal(m1?.seq, 1);
    m1!.nak();
    const again = await c.next({ expires: 1000 });
    assert.deepEqual([again?.seq, again?.info.deliveryCount, again?.info.redelivered], [1, 2, true]);
    again!.ack();
    const m2 = await c.next({ expires: 1000 });
    assert.equal(m2?.seq, 2);
    m2!.term('done with it');
    const m3 = await c.next({ expires: 1000 });
    assert.equal(m3?.seq, 3);
    // no ack: comes back after ack_wait, then max_deliver (2) stops it
    const t0 = Date.now();
    const m3b = await c.next({ expires: 2000 });
    assert.equal(m3b?.seq, 3);
    assert.equal(m3b?.info.deliveryCount, 2);
    assert.ok(Date.now() - t0 >= 250, 'redelivered only after ack_wait');
    const none = await c.next({ expires: 1000 });
    assert.equal(none, null);
    const info = await c.info();
    assert.equal(info.num_ack_pending, 0);

    await jsm.consumers.add(s, { durable_name: 'nd', ack_policy: AckPolicy.Explicit });
    const cd = await js.consumers.get(s, 'nd');
    const d1 = await cd.next({ expires: 1000 });
    const t1 = Date.now();
    d1!.nak(400);
    const d2 = await cd.next({ expires: 2000 });
    assert.equal(d2?.seq, 2, 'the nak-delayed message waits; the next one is delivered first');
    assert.equal((await cd.next({ expires: 2000 }))?.seq, 3);
    const d1b = await cd.next({ expires: 2000 });
    assert.equal(d1b?.seq, 1);
    assert.ok(Date.now() - t1 >= 350);
  });

  it('working (+WPI) extends ack wait; ackAck gets a reply; ack all acks below', async () => {
    const s = await stream(5);
    await jsm.consumers.add(s, { durable_name: 'w', ack_policy: AckPolicy.Explicit, ack_wait: 400_000_000 });
    const c = await js.consumers.get(s, 'w');
    const m = await c.next({ expires: 1000 });
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 200));
      m!.working();
    }
    assert.equal(await m!.ackAck(), true);
    assert.equal((await c.info()).num_redelivered, 0);

    await jsm.consumers.add(s, { durable_name: 'all', ack_policy: AckPolicy.All });
    const ca = await js.consumers.get(s, 'all');
    const msgs = [];
    for await (const x of await ca.fetch({ max_messages: 4, expires: 1000 })) msgs.push(x);
    assert.equal((await ca.info()).num_ack_pending, 4);
    await msgs[2].ackAck();
    const info = await ca.info();
    assert.equal(info.num_ack_pending, 1);
    assert.equal(info.ack_floor.stream_seq, 3);
  });

  it('pull request status replies: 404 no_wait, 408 expiry, 409 limits, 400 bad request', async () => {
    const s = await stream(0);
    await jsm.consumers.add(s, { durable_name: 'p', ack_policy: AckPolicy.Explicit, max_waiting: 1, max_batch: 5, max_bytes: 1000 });
    let r = await pull(nc, s, 'p', { batch: 1, no_wait: true }, 1);
    assert.equal(r[0].headers?.code, 404);
    assert.equal(r[0].headers?.description, 'No Messages');
    r = await pull(nc, s, 'p', { batch: 2, expires: 200_000_000 }, 1);
    assert.equal(r[0].headers?.code, 408);
    assert.equal(r[0].headers?.get('Nats-Pending-Messages'), '2');
    r = await pull(nc, s, 'p', { batch: 6 }, 1);
    assert.equal(r[0].headers?.description, 'Exceeded MaxRequestBatch of 5');
    r = await pull(nc, s, 'p', { batch: 1, max_bytes: 2000 }, 1);
    assert.equal(r[0].headers?.description, 'Exceeded MaxRequestMaxBytes of 1000');
    r = await pull(nc, s, 'p', '{"batch":"x"}', 1);
    assert.equal(r[0].headers?.code, 400);
    // one waiting request allowed
    const inbox = createInbox();
    const hold = nc.subscribe(inbox);
    nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${s}.p`, JSON.stringify({ batch: 1, expires: 5_000_000_000 }), { reply: inbox });
    await nc.flush();
    await waitFor(async () => (await jsm.consumers.info(s, 'p')).num_waiting === 1);
    r = await pull(nc, s, 'p', { batch: 1, expires: 1_000_000_000 }, 1);
    assert.equal(r[0].headers?.description, 'Exceeded MaxWaiting');
    hold.unsubscribe();
    // max_bytes too small for the next message
    await js.publish(`${s}.0`, 'x'.repeat(100));
    await jsm.consumers.add(s, { durable_name: 'mb', ack_policy: AckPolicy.None });
    r = await pull(nc, s, 'mb', { batch: 1, max_bytes: 10 }, 1);
    assert.equal(r[0].headers?.description, 'Message Size Exceeds MaxBytes');
    // a consumer that does not exist has no MSG.NEXT subscription
    r = await pull(nc, s, 'nope', { batch: 1 }, 1);
    assert.equal(r[0].headers?.code, 503, 'no such consumer: no responders');
  });

  it('push consumer delivers to the deliver subject with heartbeats and flow control', async () => {
    const s = await stream(5);
    const inbox = createInbox();
    const seen: number[] = [];
    let hb = 0;
    const sub = nc.subscribe(inbox, {
      callback: (_e, m) => {
        if (m.headers?.code === 100) {
          if (m.headers.description === 'Idle Heartbeat') hb++;
          if (m.reply) m.respond();
          return;
        }
        seen.push(Number(m.reply!.split('.')[5]));
        m.respond();
      },
    });
    const ci = await jsm.consumers.add(s, {
      deliver_subject: inbox,
      ack_policy: AckPolicy.Explicit,
      idle_heartbeat: 100_000_000,
      flow_control: true,
    });
    assert.equal(ci.push_bound, true);
    await waitFor(() => seen.length === 5);
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    await waitFor(() => hb >= 1, 3000);
    await waitFor(async () => (await jsm.consumers.info(s, ci.name)).num_ack_pending === 0);
    sub.unsubscribe();
    const bad = await errCode(jsm.consumers.add(s, { deliver_subject: inbox, ack_policy: AckPolicy.None, idle_heartbeat: 10_000_000 }));
    assert.equal(bad, 10083);
  });

  it('ordered consumer via the client reads everything in order', async () => {
    const s = await stream(50);
    const c = await js.consumers.get(s);
    const seqs: number[] = [];
    const it = await c.consume();
    for await (const m of it) {
      seqs.push(m.seq);
      if (m.seq === 50) break;
    }
    assert.equal(seqs.length, 50);
    assert.deepEqual(seqs.slice(0, 3), [1, 2, 3]);
  });

  it('max_ack_pending holds back delivery until acks arrive', async () => {
    const s = await stream(5);
    await jsm.consumers.add(s, { durable_name: 'map', ack_policy: AckPolicy.Explicit, max_ack_pending: 2 });
    const c = await js.consumers.get(s, 'map');
    const first = [];
    for await (const m of await c.fetch({ max_messages: 5, expires: 1000 })) first.push(m);
    assert.equal(first.length, 2);
    first[0].ack();
    const more = [];
    for await (const m of await c.fetch({ max_messages: 5, expires: 1000 })) more.push(m.seq);
    assert.deepEqual(more, [3]);
  });

  it('workqueue retention removes acked messages and enforces unique filters', async () => {
    const s = await stream(0, 2, { retention: 'workqueue' });
    for (let i = 0; i < 4; i++) await js.publish(`${s}.${i % 2}`, `w${i}`);
    await jsm.consumers.add(s, { durable_name: 'w0', ack_policy: AckPolicy.Explicit, filter_subject: `${s}.0` });
    assert.equal(await errCode(jsm.consumers.add(s, { durable_name: 'w1', ack_policy: AckPolicy.Explicit, filter_subject: `${s}.>` })), 10100);
    assert.equal(await errCode(jsm.consumers.add(s, { durable_name: 'wn', ack_policy: AckPolicy.None, filter_subject: `${s}.1` })), 10084);
    const c = await js.consumers.get(s, 'w0');
    for await (const m of await c.fetch({ max_messages: 2, expires: 1000 })) await m.ackAck();
    const info = await jsm.streams.info(s);
    assert.equal(info.state.messages, 2);
  });

  it('interest retention keeps messages until every consumer acked, drops with no consumers', async () => {
    const s = await stream(0, 1, { retention: 'interest' });
    await js.publish(`${s}.0`, 'nobody listening');
    assert.equal((await jsm.streams.info(s)).state.messages, 0);
    await jsm.consumers.add(s, { durable_name: 'a', ack_policy: AckPolicy.Explicit });
    await jsm.consumers.add(s, { durable_name: 'b', ack_policy: AckPolicy.Explicit });
    await js.publish(`${s}.0`, 'for both');
    const ca = await js.consumers.get(s, 'a');
    await (await ca.next({ expires: 1000 }))!.ackAck();
    assert.equal((await jsm.streams.info(s)).state.messages, 1);
    const cb = await js.consumers.get(s, 'b');
    await (await cb.next({ expires: 1000 }))!.ackAck();
    assert.equal((await jsm.streams.info(s)).state.messages, 0);
  });

  it('consumer create/update rules, names/list/delete, action create/update', async () => {
    const s = await stream(1);
    await jsm.consumers.add(s, { durable_name: 'u', ack_policy: AckPolicy.Explicit, description: 'a' });
    const upd = await jsm.consumers.update(s, 'u', { description: 'b', max_deliver: 5 });
    assert.equal(upd.config.description, 'b');
    assert.equal(upd.config.max_deliver, 5);
    const r = await nc.request(
      `$JS.API.CONSUMER.CREATE.${s}.u`,
      JSON.stringify({ stream_name: s, config: { durable_name: 'u', ack_policy: 'none' }, action: 'create' }),
    );
    assert.equal(r.json<any>().error.err_code, 10148);
    const r2 = await nc.request(
      `$JS.API.CONSUMER.CREATE.${s}.nope`,
      JSON.stringify({ stream_name: s, config: { name: 'nope', ack_policy: 'none' }, action: 'update' }),
    );
    assert.equal(r2.json<any>().error.err_code, 10149);
    const r3 = await nc.request(
      `$JS.API.CONSUMER.CREATE.${s}.f.${s}.0`,
      JSON.stringify({ stream_name: s, config: { name: 'f', ack_policy: 'none', filter_subject: `${s}.1` } }),
    );
    assert.equal(r3.json<any>().error.err_code, 10131);
    const names: string[] = [];
    for await (const n of jsm.consumers.list(s)) names.push(n.name);
    assert.deepEqual(names, ['u']);
    assert.equal(await jsm.consumers.delete(s, 'u'), true);
    assert.equal(await errCode(jsm.consumers.info(s, 'u')), 10014);
    assert.equal(await errCode(jsm.consumers.add(`${s}zz`, { ack_policy: AckPolicy.None })), 10059);
  });

  it('pause stops delivery until the deadline; resume restarts it', async () => {
    const s = await stream(2);
    await jsm.consumers.add(s, { durable_name: 'pz', ack_policy: AckPolicy.None });
    const until = new Date(Date.now() + 60_000);
    const pr = await jsm.consumers.pause(s, 'pz', until);
    assert.equal(pr.paused, true);
    const c = await js.consumers.get(s, 'pz');
    assert.equal(await c.next({ expires: 1000 }), null);
    const info = await c.info();
    assert.equal(info.paused, true);
    await jsm.consumers.resume(s, 'pz');
    assert.equal((await c.next({ expires: 1000 }))?.seq, 1);
  });

  it('ephemeral consumers are removed after inactive_threshold', async () => {
    const s = await stream(1);
    const ci = await jsm.consumers.add(s, { ack_policy: AckPolicy.None, inactive_threshold: 200_000_000 });
    await waitFor(async () => {
      try {
        await jsm.consumers.info(s, ci.name);
        return false;
      } catch {
        return true;
      }
    }, 5000, 50);
  });

  it('counts num_pending as messages arrive and after purge', async () => {
    const s = await stream(3);
    await jsm.consumers.add(s, { durable_name: 'np', ack_policy: AckPolicy.None, filter_subject: `${s}.0` });
    assert.equal((await jsm.consumers.info(s, 'np')).num_pending, 2);
    await js.publish(`${s}.0`, 'x');
    await js.publish(`${s}.1`, 'y');
    await waitFor(async () => (await jsm.consumers.info(s, 'np')).num_pending === 3);
    await jsm.streams.purge(s);
    assert.equal((await jsm.consumers.info(s, 'np')).num_pending, 0);
  });
});

describe('JetStream consumer metrics', () => {
  it('samples acks on $JS.EVENT.METRIC.CONSUMER.ACK with sample_freq 100%', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'MET', subjects: ['met'] });
      await js.publish('met', 'x');
      await jsm.consumers.add('MET', { durable_name: 'm', ack_policy: AckPolicy.Explicit, sample_freq: '100%' });
      const sub = nc.subscribe('$JS.EVENT.METRIC.CONSUMER.ACK.MET.m', { max: 1, timeout: 3000 });
      await nc.flush();
      const c = await js.consumers.get('MET', 'm');
      const m = await c.next({ expires: 1000 });
      m!.ack();
      for await (const ev of sub) {
        const j = ev.json<Record<string, any>>();
        assert.equal(j.type, 'io.nats.jetstream.metric.v1.consumer_ack');
        assert.equal(j.stream_seq, 1);
        assert.equal(j.deliveries, 1);
        assert.ok(j.ack_time > 0);
      }
    });
  });
});

describe('JetStream priority groups', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-prio-'));
    srv = await startServer({ jetstream: true, store_dir: dir });
    nc = await connect({ servers: srv.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PRIO', subjects: ['prio'] });
    const js = jetstream(nc);
    for (let i = 0; i < 6; i++) await js.publish('prio', `p${i}`);
  });
  after(async () => {
    await nc.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('overflow: a request is served only past its min_pending threshold', async () => {
    await jsm.consumers.add('PRIO', { durable_name: 'ov', ack_policy: AckPolicy.Explicit, priority_policy: 'overflow', priority_groups: ['A'] } as any);
    let r = await pull(nc, 'PRIO', 'ov', { batch: 1, group: 'A', min_pending: 10, expires: 300_000_000 }, 1);
    assert.equal(r[0].headers?.code, 408, 'not enough pending: waits and times out');
    r = await pull(nc, 'PRIO', 'ov', { batch: 1, group: 'A', min_pending: 3, expires: 1_000_000_000 }, 1);
    assert.equal(r[0].headers, undefined);
    assert.equal(r[0].string(), 'p0');
    r = await pull(nc, 'PRIO', 'ov', { batch: 1, expires: 300_000_000 }, 1);
    assert.equal(r[0].headers?.description, 'Bad Request - Priority Group missing');
  });

  it('pinned client: the first puller is pinned, others wait, wrong ids get 423, unpin moves the pin', async () => {
    await jsm.consumers.add('PRIO', { durable_name: 'pin', ack_policy: AckPolicy.None, priority_policy: 'pinned_client', priority_groups: ['G'] } as any);
    let r = await pull(nc, 'PRIO', 'pin', { batch: 1, group: 'G', expires: 1_000_000_000 }, 1);
    const pinId = r[0].headers?.get('Nats-Pin-Id');
    assert.ok(pinId && pinId.length > 0, 'pin id header on the first delivery');
    r = await pull(nc, 'PRIO', 'pin', { batch: 1, group: 'G', expires: 300_000_000 }, 1);
    assert.equal(r[0].headers?.code, 408, 'an unpinned client gets nothing while the pin holds');
    r = await pull(nc, 'PRIO', 'pin', { batch: 1, group: 'G', id: 'WRONG', expires: 300_000_000 }, 1);
    assert.equal(r[0].headers?.code, 423);
    r = await pull(nc, 'PRIO', 'pin', { batch: 1, group: 'G', id: pinId, expires: 1_000_000_000 }, 1);
    assert.equal(r[0].string(), 'p1');
    const ci = await jsm.consumers.info('PRIO', 'pin');
    assert.equal((ci as any).priority_groups[0].pinned_client_id, pinId);
    const u = (await nc.request('$JS.API.CONSUMER.UNPIN.PRIO.pin', JSON.stringify({ group: 'G' }))).json<any>();
    assert.equal(u.error, undefined);
    r = await pull(nc, 'PRIO', 'pin', { batch: 1, group: 'G', expires: 1_000_000_000 }, 1);
    const next = r[0].headers?.get('Nats-Pin-Id');
    assert.ok(next && next !== pinId, 'a new pin after unpin');
  });
});

describe('JetStream consumer pacing', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-pace-'));
    srv = await startServer({ jetstream: true, store_dir: dir });
    nc = await connect({ servers: srv.url });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function collect(deliver: string, n: number): Promise<number[]> {
    const times: number[] = [];
    const sub = nc.subscribe(deliver, { timeout: 5000 });
    for await (const m of sub) {
      if (m.headers?.code === 100) continue;
      times.push(Date.now());
      if (times.length >= n) break;
    }
    return times;
  }

  it('replay original keeps the publish spacing', async () => {
    await jsm.streams.add({ name: 'RPL', subjects: ['rpl'] });
    const js = jetstream(nc);
    await js.publish('rpl', 'a');
    await new Promise((r) => setTimeout(r, 300));
    await js.publish('rpl', 'b');
    const deliver = createInbox();
    const got = collect(deliver, 2);
    await jsm.consumers.add('RPL', { deliver_subject: deliver, ack_policy: AckPolicy.None, replay_policy: 'original' as any });
    const t = await got;
    assert.ok(t[1] - t[0] >= 250, `spacing ${t[1] - t[0]} ms`);
  });

  it('rate_limit_bps spreads delivery over time', async () => {
    await jsm.streams.add({ name: 'RATE', subjects: ['rate'] });
    const js = jetstream(nc);
    const payload = 'x'.repeat(1000);
    for (let i = 0; i < 4; i++) await js.publish('rate', payload);
    const deliver = createInbox();
    const got = collect(deliver, 4);
    // ~8 kbit per message, 16 kbit/s: two messages per second
    await jsm.consumers.add('RATE', { deliver_subject: deliver, ack_policy: AckPolicy.None, rate_limit_bps: 16_000 });
    const t = await got;
    assert.ok(t[3] - t[0] >= 900, `4 messages took ${t[3] - t[0]} ms`);
  });
});

describe('JetStream stream and consumer options', () => {
  it('republish, first_seq, headers_only, backoff, +NXT and delivery advisories', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const adv: string[] = [];
      nc.subscribe('$JS.EVENT.ADVISORY.CONSUMER.>', {
        callback: (_e, m) => {
          adv.push(m.subject.split('.').slice(0, 6).join('.'));
        },
      });
      const rp = nc.subscribe('copy.>', { max: 1, timeout: 3000 });
      await nc.flush();
      await jsm.streams.add({ name: 'OPT', subjects: ['opt.>'], first_seq: 100, republish: { src: 'opt.>', dest: 'copy.>' } } as any);
      const pa = await js.publish('opt.a', 'hello');
      assert.equal(pa.seq, 100, 'first_seq');
      for await (const m of rp) {
        assert.equal(m.subject, 'copy.a');
        assert.equal(m.string(), 'hello');
        assert.equal(m.headers?.get('Nats-Stream'), 'OPT');
        assert.equal(m.headers?.get('Nats-Sequence'), '100');
      }
      await js.publish('opt.b', 'second');

      await jsm.consumers.add('OPT', { durable_name: 'ho', ack_policy: AckPolicy.None, headers_only: true });
      let r = await pull(nc, 'OPT', 'ho', { batch: 1, expires: 1_000_000_000 }, 1);
      assert.equal(r[0].data.length, 0);
      assert.equal(r[0].headers?.get('Nats-Msg-Size'), '5');

      // backoff: the second delivery waits for backoff[1]; max_deliver 2 then ends it
      await jsm.consumers.add('OPT', { durable_name: 'bo', ack_policy: AckPolicy.Explicit, backoff: [100_000_000, 600_000_000], max_deliver: 2, filter_subject: 'opt.a' });
      const c = await js.consumers.get('OPT', 'bo');
      const first = await c.next({ expires: 1000 });
      assert.equal(first?.info.deliveryCount, 1);
      const t0 = Date.now();
      const second = await c.next({ expires: 2000 });
      assert.equal(second?.info.deliveryCount, 2);
      assert.ok(Date.now() - t0 >= 60, 'first redelivery after backoff[0]');
      assert.equal(await c.next({ expires: 1500 }), null, 'max_deliver reached');

      // +NXT acks and asks for the next message on the same reply
      await jsm.consumers.add('OPT', { durable_name: 'nx', ack_policy: AckPolicy.Explicit });
      r = await pull(nc, 'OPT', 'nx', { batch: 1, expires: 1_000_000_000 }, 1);
      const inbox = createInbox();
      const sub = nc.subscribe(inbox, { max: 1, timeout: 2000 });
      nc.publish(r[0].reply!, '+NXT', { reply: inbox });
      for await (const m of sub) assert.equal(m.string(), 'second');
      await waitFor(async () => (await jsm.consumers.info('OPT', 'nx')).ack_floor.stream_seq === 100);

      // nak and term advisories
      await jsm.consumers.add('OPT', { durable_name: 'nt', ack_policy: AckPolicy.Explicit });
      const cn = await js.consumers.get('OPT', 'nt');
      (await cn.next({ expires: 1000 }))!.nak();
      (await cn.next({ expires: 1000 }))!.term();
      await waitFor(() => ['MAX_DELIVERIES', 'MSG_NAKED', 'MSG_TERMINATED'].every((k) => adv.includes(`$JS.EVENT.ADVISORY.CONSUMER.${k}.OPT`)), 4000);
    });
  });
});
