/**
 * The source reader's consumer health (Go processInboundSourceMsg): a gap in
 * delivery sequences, or an idle heartbeat whose `Nats-Last-Consumer` is not
 * the last delivery received, drops the consumer and creates a new one from
 * the origin sequence after the last one received. Clients may not publish
 * with `$JS.ACK` replies, so the reader is driven here through a stand-in
 * for its stream (the subscribe/publish surface it uses) instead of sockets.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildHeaders } from '../../src/protocol/headers.js';
import { MemStore } from '../../src/jetstream/store/memstore.js';
import { SourceReader, SOURCE_TIMING } from '../../src/jetstream/stream/sources.js';
import { waitFor } from '../helpers/wait.js';

type Cb = (subject: string, reply: string, hdr: Buffer | null, payload: Buffer) => void;

function fakeStream() {
  const subs = new Map<string, Cb>();
  const published: { subject: string; reply: string; body: string }[] = [];
  const stored: { subject: string; body: string }[] = [];
  const store = new MemStore({ name: 'AGG', storage: 'memory', max_msgs: -1, max_bytes: -1, max_age: 0, max_msgs_per_subject: -1, discard: 'old' });
  const stream = {
    name: 'AGG',
    store,
    host: {
      acc: { name: '$G' },
      log: { debugEnabled: false, debug() {} },
      subscribe: (subject: string, _q: string | null, cb: Cb) => {
        subs.set(subject, cb);
        return { subject };
      },
      unsubscribe: (sub: { subject: string }) => void subs.delete(sub.subject),
      publish: (subject: string, reply: string, _hdr: Buffer | null, payload: Buffer) => {
        published.push({ subject, reply, body: payload.toString() });
        return true;
      },
    },
    processMsg: (subject: string, _reply: string, _hdr: Buffer | null, payload: Buffer) => {
      stored.push({ subject, body: payload.toString() });
      return store.storeMsg(subject, null, payload)[0];
    },
    afterExternalStore() {},
  };
  const creates = () => published.filter((p) => p.subject === '$JS.API.CONSUMER.CREATE.ORIG').map((p) => ({ ...p, req: JSON.parse(p.body) }));
  /** answer the n-th create as consumer `name` and return its deliver subject */
  const answer = (n: number, name: string) => {
    const c = creates()[n];
    subs.get(c.reply)!('', '', null, Buffer.from(JSON.stringify({ name, config: c.req.config })));
    return c.req.config.deliver_subject as string;
  };
  const answerWith = (n: number, body: unknown) => subs.get(creates()[n].reply)!('', '', null, Buffer.from(JSON.stringify(body)));
  const deliver = (subj: string, c: string, sseq: number, dseq: number, body: string) =>
    subs.get(subj)?.('o.x', `$JS.ACK.ORIG.${c}.1.${sseq}.${dseq}.${Date.now() * 1e6}.0`, null, Buffer.from(body));
  const heartbeat = (subj: string, lastConsumer: number) =>
    subs.get(subj)?.(subj, '', buildHeaders([['Nats-Last-Consumer', String(lastConsumer)], ['Nats-Last-Stream', '0']], 100, 'Idle Heartbeat'), Buffer.alloc(0));
  return { stream, published, stored, creates, answer, answerWith, deliver, heartbeat };
}

describe('source reader health', () => {
  const saved = { ...SOURCE_TIMING };
  before(() => Object.assign(SOURCE_TIMING, { healthCheckMs: 60_000, retryThresholdMs: 50, retryBackoffMs: 50 }));
  after(() => Object.assign(SOURCE_TIMING, saved));

  it('recreates the consumer after a delivery gap and after a heartbeat reporting other deliveries', async () => {
    const f = fakeStream();
    const r = new SourceReader(f.stream as any, { name: 'ORIG' }, false);
    r.start();
    try {
      assert.equal(f.creates().length, 1);
      assert.equal(f.creates()[0].req.config.deliver_policy, 'all');
      const d1 = f.answer(0, 'c1');
      f.deliver(d1, 'c1', 1, 1, 'm1');
      f.deliver(d1, 'c1', 2, 2, 'm2');
      // delivery 3 never came: m4 is refused, c1 deleted, a consumer from origin seq 3 requested
      f.deliver(d1, 'c1', 4, 4, 'm4');
      assert.deepEqual(f.stored.map((m) => m.body), ['m1', 'm2']);
      assert.ok(f.published.some((p) => p.subject === '$JS.API.CONSUMER.DELETE.ORIG.c1'));
      await waitFor(() => f.creates().length === 2, 3000, 5);
      assert.equal(f.creates()[1].req.config.deliver_policy, 'by_start_sequence');
      assert.equal(f.creates()[1].req.config.opt_start_seq, 3);
      const d2 = f.answer(1, 'c2');
      f.deliver(d2, 'c2', 3, 1, 'm3');
      f.deliver(d2, 'c2', 4, 2, 'm4');
      // a heartbeat that agrees changes nothing; one saying 5 were delivered (we got 2) recreates from seq 5
      f.heartbeat(d2, 2);
      assert.equal(f.creates().length, 2);
      f.heartbeat(d2, 5);
      await waitFor(() => f.creates().length === 3, 3000, 5);
      assert.equal(f.creates()[2].req.config.opt_start_seq, 5);
      assert.ok(f.published.some((p) => p.subject === '$JS.API.CONSUMER.DELETE.ORIG.c2'));
      const d3 = f.answer(2, 'c3');
      f.deliver(d3, 'c3', 5, 1, 'm5');
      assert.deepEqual(f.stored.map((m) => m.body), ['m1', 'm2', 'm3', 'm4', 'm5']);
      // the old deliver subjects are gone
      f.deliver(d1, 'c1', 6, 5, 'stale');
      assert.equal(f.stored.length, 5);
    } finally {
      r.stop();
    }
  });

  it('an error answer is shown in info and retried with back-off; success clears it', async () => {
    const f = fakeStream();
    const r = new SourceReader(f.stream as any, { name: 'ORIG' }, false);
    r.start();
    try {
      const err = { code: 404, err_code: 10059, description: 'stream not found' };
      f.answerWith(0, { error: err });
      assert.deepEqual(r.info().error, err);
      await waitFor(() => f.creates().length === 2, 3000, 5);
      f.answer(1, 'c1');
      assert.equal(r.info().error, undefined);
    } finally {
      r.stop();
    }
  });
});
