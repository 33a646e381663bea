/**
 * Consumer deliveries carry the stored bytes exactly: the file store hands
 * the next message to the consumer in place (large bodies copied), the ack
 * reply is written as bytes, and the multi-filter, redelivery and
 * headers_only paths go through a copy. Every message is checked byte for
 * byte, with and without headers, small and past the in-place limit, for
 * file and memory streams.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { withJetStream } from '../helpers/jetstream.js';

const SIZES = [0, 1, 128, 8191, 8192, 8193, 70000];

function body(i: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let k = 0; k < size; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

/** Raw pull: `n` messages (or a status) for one request. */
async function pull(nc: NatsConnection, stream: string, consumer: string, n: number): Promise<Msg[]> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, { timeout: 5000 });
  nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify({ batch: n, expires: 4e9 }), { reply: inbox });
  const out: Msg[] = [];
  for await (const m of sub) {
    out.push(m);
    if ((m.headers?.code ?? 0) >= 400 || out.length >= n) break;
  }
  sub.unsubscribe();
  return out;
}

interface Sent {
  subject: string;
  hdr: string | null;
  data: Uint8Array;
}

async function fill(nc: NatsConnection, name: string, storage: 'file' | 'memory'): Promise<Sent[]> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name, subjects: [`${name}.>`], storage: storage as never });
  const sent: Sent[] = [];
  let i = 0;
  for (const size of SIZES) {
    for (const withHdr of [false, true]) {
      const subject = `${name}.${i % 2 ? 'a' : 'b'}`;
      const data = body(i, size);
      const h = withHdr ? headers() : undefined;
      if (h) h.set('X-N', `v${i}`);
      await js.publish(subject, data, { headers: h });
      sent.push({ subject, hdr: withHdr ? `v${i}` : null, data });
      i++;
    }
  }
  return sent;
}

function check(got: Msg[], sent: Sent[], stream: string, consumer: string, firstDelivery = 1): void {
  assert.equal(got.length, sent.length);
  got.forEach((m, k) => {
    const s = sent[k];
    assert.equal(m.subject, s.subject, `subject of ${k + 1}`);
    assert.equal(m.headers?.get('X-N') ?? null, s.hdr, `header of ${k + 1}`);
    assert.ok(Buffer.from(m.data).equals(Buffer.from(s.data)), `payload of ${k + 1} (${s.data.length} bytes)`);
    const t = m.reply!.split('.');
    assert.deepEqual(t.slice(0, 4), ['$JS', 'ACK', stream, consumer]);
    assert.equal(t.length, 9);
    assert.equal(t[4], String(firstDelivery), 'delivery count');
    assert.equal(t[5], String(k + 1), 'stream sequence');
    assert.match(t[7], /^\d{19}$/, 'timestamp digits');
    assert.equal(t[8], String(sent.length - k - 1), 'pending');
  });
}

for (const storage of ['file', 'memory'] as const) {
  describe(`consumer deliveries are the stored bytes (${storage} stream)`, () => {
    it('single-filter pull consumer, then a redelivery of everything after a nak', () =>
      withJetStream(async ({ nc }) => {
        const sent = await fill(nc, 'DL', storage);
        const jsm = await jetstreamManager(nc);
        await jsm.consumers.add('DL', { durable_name: 'C', ack_policy: AckPolicy.Explicit, ack_wait: 30e9 });
        const got = await pull(nc, 'DL', 'C', sent.length);
        check(got, sent, 'DL', 'C');
        for (const m of got) m.respond('-NAK');
        await nc.flush();
        const again = await pull(nc, 'DL', 'C', sent.length);
        assert.equal(again.length, sent.length);
        again.forEach((m, k) => {
          assert.ok(Buffer.from(m.data).equals(Buffer.from(sent[k].data)), `redelivered payload of ${k + 1}`);
          assert.equal(m.reply!.split('.')[4], '2', 'second delivery');
        });
      }));

    it('multi-filter and headers_only consumers', () =>
      withJetStream(async ({ nc }) => {
        const sent = await fill(nc, 'DM', storage);
        const jsm = await jetstreamManager(nc);
        await jsm.consumers.add('DM', { durable_name: 'M', ack_policy: AckPolicy.None, filter_subjects: ['DM.a', 'DM.b'] });
        check(await pull(nc, 'DM', 'M', sent.length), sent, 'DM', 'M');
        await jsm.consumers.add('DM', { durable_name: 'H', ack_policy: AckPolicy.None, headers_only: true });
        const got = await pull(nc, 'DM', 'H', sent.length);
        assert.equal(got.length, sent.length);
        got.forEach((m, k) => {
          assert.equal(m.data.length, 0);
          assert.equal(m.headers?.get('Nats-Msg-Size'), String(sent[k].data.length));
          assert.equal(m.headers?.has('X-N') ? m.headers.get('X-N') : null, sent[k].hdr);
        });
      }));
  });
}
