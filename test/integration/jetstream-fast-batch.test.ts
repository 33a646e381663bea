/**
 * Fast (flow-controlled) batch publish (ADR-50 fast ingest), checked frame by
 * frame as Go's jetstream_batching_test.go does (TestJetStreamFastBatchPublish,
 * ...GapDetection, ...FlowControl, ...HeaderCheckError, ...Ping): the `$FI`
 * reply subject pattern, its API errors, flow acks, gap reports, per-message
 * errors and the final PubAck; then a whole batch through the real
 * @nats-io/jetstream client's fast ingest (startFastIngest).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createInbox, headers, type NatsConnection, type Msg, type Subscription } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { startFastIngest } from '@nats-io/jetstream/internal';
import { startServer, type RunningServer } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';

type Json = Record<string, any>;

const OP = { start: 0, append: 1, commit: 2, eob: 3, ping: 4 } as const;

/** Go generateFastBatchReply */
function fi(inbox: string, id: string, seq: number, flow: number, gap: string, op: number): string {
  return `${inbox}.${id}.${flow}.${gap}.${seq}.${op}.$FI`;
}

/** Everything the server sends back on `<inbox>.>`, in order. */
class Replies {
  readonly got: string[] = [];
  private read = 0;
  private readonly sub: Subscription;
  constructor(nc: NatsConnection, inbox: string) {
    this.sub = nc.subscribe(`${inbox}.>`, { callback: (_e, m: Msg) => void this.got.push(m.string()) });
  }
  async next(): Promise<Json> {
    await waitFor(() => this.got.length > this.read, 3000);
    return JSON.parse(this.got[this.read++]) as Json;
  }
  /** the raw text of the next reply */
  async nextRaw(): Promise<string> {
    await waitFor(() => this.got.length > this.read, 3000);
    return this.got[this.read++];
  }
  stop(): void {
    this.sub.unsubscribe();
  }
}

const err = (code: number, err_code: number, description: string) => ({ code, err_code, description });

describe('JetStream fast batch publish', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string;
  let k = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-fastbatch-'));
    srv = await startServer({ jetstream: true, store_dir: dir });
    nc = await connect({ servers: srv.url });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function stream(extra: Json = {}): Promise<string> {
    const name = `FB${++k}`;
    await jsm.streams.add({ name, subjects: [`${name}.*`], allow_batched: true, ...extra } as any);
    return name;
  }

  it('pattern errors, an immediate commit, and a batch of 5 (Go TestJetStreamFastBatchPublish)', async () => {
    const s = await stream({ allow_batched: false });
    const inbox = createInbox();
    const r = new Replies(nc, inbox);
    nc.publish(`${s}.0`, `${s}.0`, { reply: fi(inbox, 'uuid', 0, 0, 'fail', OP.start) });
    assert.deepEqual(await r.next(), { error: err(400, 10205, 'batch publish is disabled'), stream: s, seq: 0 });

    await jsm.streams.update(s, { allow_batched: true } as any);
    const invalid = { error: err(400, 10206, 'batch publish pattern is invalid'), stream: s, seq: 0 };
    // batch sequence 0
    nc.publish(`${s}.0`, 'x', { reply: fi(inbox, 'uuid', 0, 0, 'fail', OP.start) });
    assert.deepEqual(await r.next(), invalid);
    // an end-of-batch commit as the first message
    nc.publish(`${s}.0`, 'x', { reply: fi(inbox, 'uuid', 1, 0, 'fail', OP.eob) });
    assert.deepEqual(await r.next(), invalid);
    // unknown gap mode, unknown operation
    nc.publish(`${s}.0`, 'x', { reply: fi(inbox, 'uuid', 1, 0, 'maybe', OP.start) });
    assert.deepEqual(await r.next(), invalid);
    nc.publish(`${s}.0`, 'x', { reply: fi(inbox, 'uuid', 1, 0, 'fail', 5) });
    assert.deepEqual(await r.next(), invalid);
    nc.publish(`${s}.0`, 'x', { reply: fi(inbox, 'A'.repeat(65), 1, 0, 'fail', OP.start) });
    assert.deepEqual(await r.next(), { error: err(400, 10207, 'batch publish ID is invalid'), stream: s, seq: 0 });
    nc.publish(`${s}.0`, 'x', { reply: fi(inbox, 'uuid', 2, 0, 'fail', OP.append) });
    assert.deepEqual(await r.next(), { error: err(400, 10208, 'batch publish ID unknown'), stream: s, seq: 0 });

    // A "batch" that commits at once gets only the PubAck.
    nc.publish(`${s}.0`, `${s}.0`, { reply: fi(inbox, 'uuid', 1, 0, 'fail', OP.commit) });
    assert.equal(await r.nextRaw(), `{"stream":"${s}","seq":1,"batch":"uuid","count":1}`);

    for (let seq = 1; seq <= 5; seq++) {
      const op = seq === 5 ? OP.commit : seq === 1 ? OP.start : OP.append;
      nc.publish(`${s}.${seq}`, `${s}.${seq}`, { reply: fi(inbox, 'uuid', seq, 0, 'fail', op) });
      // flow 0 means 10: the first message gets the flow to start at
      if (seq === 1) assert.equal(await r.nextRaw(), '{"type":"ack","seq":0,"msgs":10}');
    }
    assert.equal(await r.nextRaw(), `{"stream":"${s}","seq":6,"batch":"uuid","count":5}`);
    const info = await jsm.streams.info(s);
    assert.equal(info.state.messages, 6);
    for (let i = 0; i < 6; i++) {
      const m = await jsm.streams.getMessage(s, { seq: i + 1 });
      assert.equal(m?.subject, `${s}.${i}`);
      assert.equal(m?.string(), `${s}.${i}`);
    }
    r.stop();
  });

  for (const gap of ['fail', 'ok']) {
    it(`gap detection in "${gap}" mode (Go TestJetStreamFastBatchPublishGapDetection)`, async () => {
      const s = await stream();
      const inbox = createInbox();
      const r = new Replies(nc, inbox);
      nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 1, 0, gap, OP.start) });
      assert.deepEqual(await r.next(), { type: 'ack', seq: 0, msgs: 10 });
      nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 3, 0, gap, OP.append) });
      assert.equal(await r.nextRaw(), '{"type":"gap","last_seq":2,"seq":3}');
      if (gap === 'fail') {
        // the batch ends with what was persisted before the gap
        assert.deepEqual(await r.next(), { stream: s, seq: 1, batch: 'uuid', count: 1 });
        assert.equal((await jsm.streams.info(s)).state.messages, 1);
      } else {
        nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 4, 0, gap, OP.eob) });
        assert.deepEqual(await r.next(), { stream: s, seq: 2, batch: 'uuid', count: 3 });
        assert.equal((await jsm.streams.info(s)).state.messages, 2);
      }
      r.stop();
    });
  }

  it('flow acks every N stored messages (Go TestJetStreamFastBatchPublishFlowControl)', async () => {
    const s = await stream();
    const inbox = createInbox();
    const r = new Replies(nc, inbox);
    for (let seq = 1; seq <= 5; seq++) {
      const op = seq === 5 ? OP.commit : seq === 1 ? OP.start : OP.append;
      nc.publish(`${s}.a`, 'x', { reply: fi(inbox, 'uuid', seq, 2, 'fail', op) });
      if (seq === 1) assert.deepEqual(await r.next(), { type: 'ack', seq: 0, msgs: 2 });
      else if (seq % 2 === 0) assert.deepEqual(await r.next(), { type: 'ack', seq, msgs: 2 });
      else if (seq === 5) assert.deepEqual(await r.next(), { stream: s, seq: 5, batch: 'uuid', count: 5 });
    }
    r.stop();
  });

  for (const gap of ['fail', 'ok']) {
    it(`a failed header check reports {"type":"err"} in "${gap}" mode (Go TestJetStreamFastBatchPublishHeaderCheckError)`, async () => {
      const s = await stream();
      const inbox = createInbox();
      const r = new Replies(nc, inbox);
      nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 1, 0, gap, OP.start) });
      const h = headers();
      h.set('Nats-Expected-Last-Sequence', '100');
      nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 2, 0, gap, OP.append), headers: h });
      assert.deepEqual(await r.next(), { type: 'ack', seq: 0, msgs: 10 });
      assert.equal(await r.nextRaw(), '{"type":"err","seq":2,"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 1"}}');
      if (gap === 'ok') nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 3, 0, gap, OP.eob) });
      assert.deepEqual(await r.next(), { stream: s, seq: 1, batch: 'uuid', count: gap === 'ok' ? 2 : 1 });
      r.stop();
    });
  }

  it('a batch failing on its first message (gap fail) answers like a plain publish and is gone', async () => {
    const s = await stream();
    const inbox = createInbox();
    const r = new Replies(nc, inbox);
    const h = headers();
    h.set('Nats-Expected-Last-Sequence', '7');
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 1, 0, 'fail', OP.start), headers: h });
    // the start's flow ack goes out before the message is checked
    assert.deepEqual(await r.next(), { type: 'ack', seq: 0, msgs: 10 });
    assert.equal(await r.nextRaw(), `{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 0"},"stream":"${s}","seq":0}`);
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 2, 0, 'fail', OP.append) });
    assert.deepEqual((await r.next()).error, err(400, 10208, 'batch publish ID unknown'));
    r.stop();
  });

  it('duplicates (Nats-Msg-Id) count toward flow and the commit (Go TestJetStreamFastBatchPublishDuplicates)', async () => {
    const s = await stream();
    const inbox = createInbox();
    const r = new Replies(nc, inbox);
    const h = headers();
    h.set('Nats-Msg-Id', 'msgId');
    const first = (await nc.request(`${s}.a`, 'x', { headers: h, timeout: 3000 })).json<Json>();
    assert.deepEqual(first, { stream: s, seq: 1 });
    // a one-message batch that is a duplicate: the duplicate PubAck with batch and count
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 1, 0, 'fail', OP.commit), headers: h });
    assert.equal(await r.nextRaw(), `{"stream":"${s}","seq":1,"duplicate": true,"batch":"uuid","count":1}`);
    for (let seq = 1; seq <= 5; seq++) {
      const op = seq === 5 ? OP.commit : seq === 1 ? OP.start : OP.append;
      nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', seq, 3, 'fail', op), headers: h });
      if (seq === 1) assert.deepEqual(await r.next(), { type: 'ack', seq: 0, msgs: 3 });
      if (seq === 3) assert.deepEqual(await r.next(), { type: 'ack', seq: 3, msgs: 3 });
    }
    // nothing of this batch was stored: sequence 0
    assert.equal(await r.nextRaw(), `{"stream":"${s}","seq":0,"batch":"uuid","count":5}`);
    assert.equal((await jsm.streams.info(s)).state.messages, 1);
    r.stop();
  });

  it('ping resends the last flow ack and reports gaps (Go TestJetStreamFastBatchPublishPing)', async () => {
    const s = await stream();
    const inbox = createInbox();
    const r = new Replies(nc, inbox);
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 1, 2, 'ok', OP.start) });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 0, msgs: 2 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 2, 2, 'ok', OP.append) });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 2, msgs: 2 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 2, 2, 'ok', OP.ping) });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 2, msgs: 2 });
    // message 3 was lost: the ping says so, then repeats the last flow ack
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 3, 2, 'ok', OP.ping) });
    assert.deepEqual(await r.next(), { type: 'gap', last_seq: 3, seq: 4 });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 2, msgs: 2 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 4, 2, 'ok', OP.append) });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 4, msgs: 2 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 100, 2, 'ok', OP.ping) });
    assert.deepEqual(await r.next(), { type: 'gap', last_seq: 5, seq: 101 });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 100, msgs: 2 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'uuid', 101, 2, 'ok', OP.eob) });
    assert.deepEqual(await r.next(), { stream: s, seq: 3, batch: 'uuid', count: 100 });
    r.stop();
  });

  it('a second concurrent batch starts at one ack per message and ramps up', async () => {
    const s = await stream();
    const inbox = createInbox();
    const r = new Replies(nc, inbox);
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'one', 1, 100, 'fail', OP.start) });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 0, msgs: 100 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'two', 1, 100, 'fail', OP.start) });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 0, msgs: 1 });
    // 500 shared by two publishers, capped at the 100 asked for: each ack doubles the flow
    assert.deepEqual(await r.next(), { type: 'ack', seq: 1, msgs: 2 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'two', 2, 100, 'fail', OP.append) });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'two', 3, 100, 'fail', OP.append) });
    assert.deepEqual(await r.next(), { type: 'ack', seq: 3, msgs: 4 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'two', 4, 100, 'fail', OP.append) });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'two', 5, 100, 'fail', OP.eob) });
    assert.deepEqual(await r.next(), { stream: s, seq: 5, batch: 'two', count: 4 });
    nc.publish(`${s}.a`, '', { reply: fi(inbox, 'one', 2, 100, 'fail', OP.eob) });
    assert.deepEqual(await r.next(), { stream: s, seq: 1, batch: 'one', count: 1 });
    r.stop();
  });

  it('a mirror cannot allow batched publishing', async () => {
    const s = await stream();
    const res = (await nc.request('$JS.API.STREAM.CREATE.FBM', JSON.stringify({ name: 'FBM', mirror: { name: s }, allow_batched: true }))).json<Json>();
    assert.deepEqual(res.error, err(400, 10209, 'stream mirrors can not also use batch publishing'));
  });

  it('the jetstream client fast-ingests a batch of 200 with flow control', async () => {
    const s = await stream();
    const fast = await startFastIngest(nc, `${s}.a`, new TextEncoder().encode('m1'), { ackInterval: 20, allowGaps: false });
    const gaps: unknown[] = [];
    void (async () => {
      for await (const g of fast.gaps()) gaps.push(g);
    })();
    let acked = 0;
    for (let i = 2; i < 200; i++) {
      const a = await fast.add(`${s}.a`, new TextEncoder().encode(`m${i}`));
      assert.equal(a.batchSeq, i);
      acked = Math.max(acked, a.ackSeq);
    }
    assert.ok(acked > 0, 'flow acks arrived while publishing');
    const ack = await fast.last(`${s}.b`, new TextEncoder().encode('m200'));
    assert.equal(ack.stream, s);
    assert.equal(ack.seq, 200);
    assert.equal((ack as any).batch, fast.batch);
    assert.equal((ack as any).count, 200);
    assert.deepEqual(gaps, []);
    const info = await jsm.streams.info(s);
    assert.equal(info.state.messages, 200);
    assert.equal((await jsm.streams.getMessage(s, { seq: 200 }))?.string(), 'm200');
    assert.equal((await jsm.streams.getMessage(s, { seq: 1 }))?.string(), 'm1');
  });
});
