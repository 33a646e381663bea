/**
 * Counters aggregated through sources (ADR-49; Go
 * TestJetStreamAllowMsgCounterSource*): a counter stream sourcing counter
 * streams sums their totals per subject, keeps each origin's latest total in
 * `Nats-Counter-Sources` and rewrites `Nats-Incr` to the difference; a plain
 * stream stores sourced counter messages verbatim.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { withJetStream } from '../helpers/jetstream.js';
import { waitFor } from '../helpers/wait.js';

async function incr(nc: NatsConnection, subject: string, by: string, extra: Record<string, string> = {}): Promise<any> {
  const h = headers();
  h.set('Nats-Incr', by);
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return (await nc.request(subject, '', { headers: h, timeout: 2000 })).json<any>();
}

async function lastVal(jsm: JetStreamManager, stream: string, subject: string) {
  const m = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
  return m === null ? null : { val: m.json<{ val: string }>().val, sources: m.header.get('Nats-Counter-Sources'), incr: m.header.get('Nats-Incr'), seq: m.seq };
}

for (const storage of ['memory', 'file'] as const) {
  describe(`JetStream counters through sources (${storage} storage)`, () => {
    it('aggregates origin totals per subject with Nats-Counter-Sources', async () => {
      await withJetStream(async ({ nc }) => {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'O1', subjects: ['foo.1'], storage, allow_msg_counter: true } as any);
        await jsm.streams.add({ name: 'O2', subjects: ['foo.2'], storage, allow_msg_counter: true } as any);
        const tr = [{ src: 'foo.*', dest: 'foo' }];
        await jsm.streams.add({
          name: 'M',
          storage,
          allow_msg_counter: true,
          sources: [{ name: 'O1', subject_transforms: tr }, { name: 'O2', subject_transforms: tr }],
        } as any);
        assert.equal((await incr(nc, 'foo.1', '1')).seq, 1);
        assert.equal((await incr(nc, 'foo.2', '2')).seq, 1);
        const two = await waitFor(async () => {
          const v = await lastVal(jsm, 'M', 'foo');
          return v?.seq === 2 ? v : null;
        }, 5000, 20);
        assert.equal(two!.val, '3');
        assert.equal(two!.sources, '{"O1":{"foo.1":"1"},"O2":{"foo.2":"2"}}');
        // O1 goes to 6: the aggregate moves by the difference, and says so in Nats-Incr
        assert.equal((await incr(nc, 'foo.1', '5')).val, '6');
        const three = await waitFor(async () => {
          const v = await lastVal(jsm, 'M', 'foo');
          return v?.seq === 3 ? v : null;
        }, 5000, 20);
        assert.equal(three!.val, '8');
        assert.equal(three!.incr, '5');
        assert.equal(three!.sources, '{"O1":{"foo.1":"6"},"O2":{"foo.2":"2"}}');
        // a decrement at the origin too
        await incr(nc, 'foo.2', '-10');
        await waitFor(async () => (await lastVal(jsm, 'M', 'foo'))?.val === '-2', 5000, 20);
        assert.equal((await lastVal(jsm, 'M', 'foo'))?.sources, '{"O1":{"foo.1":"6"},"O2":{"foo.2":"-8"}}');
      });
    });

    it('adds origins that already count on top of local increments, and local increments keep the sources', async () => {
      await withJetStream(async ({ nc }) => {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'O1', subjects: ['foo.1'], storage, allow_msg_counter: true, max_msgs_per_subject: 1 } as any);
        await jsm.streams.add({ name: 'O2', subjects: ['foo.2'], storage, allow_msg_counter: true, max_msgs_per_subject: 1 } as any);
        for (let i = 0; i < 5; i++) {
          await incr(nc, 'foo.1', '1');
          await incr(nc, 'foo.2', '2');
        }
        const si = await jsm.streams.add({ name: 'M', subjects: ['foo'], storage, allow_msg_counter: true } as any);
        assert.equal((await incr(nc, 'foo', '1')).val, '1');
        const tr = [{ src: 'foo.*', dest: 'foo' }];
        await jsm.streams.update('M', { ...si.config, sources: [{ name: 'O1', subject_transforms: tr }, { name: 'O2', subject_transforms: tr }] } as any);
        await waitFor(async () => (await lastVal(jsm, 'M', 'foo'))?.val === '16', 5000, 20);
        // a local increment carries the per-source totals forward
        const ack = await incr(nc, 'foo', '4');
        assert.equal(ack.val, '20');
        const v = await lastVal(jsm, 'M', 'foo');
        assert.equal(v?.sources, '{"O1":{"foo.1":"5"},"O2":{"foo.2":"10"}}');
        assert.equal(v?.incr, '4');
      });
    });

    it('a plain stream sourcing a counter stream stores its messages verbatim', async () => {
      await withJetStream(async ({ nc }) => {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'O1', subjects: ['foo.1'], storage, allow_msg_counter: true } as any);
        await jsm.streams.add({ name: 'V', storage, sources: [{ name: 'O1' }] } as any);
        await incr(nc, 'foo.1', '1');
        await incr(nc, 'foo.1', '2');
        await waitFor(async () => (await jsm.streams.info('V')).state.messages === 2, 5000, 20);
        const m = await jsm.streams.getMessage('V', { seq: 2 });
        assert.deepEqual(m?.json(), { val: '3' });
        assert.equal(m?.header.get('Nats-Incr'), '2');
        assert.equal(m?.header.get('Nats-Counter-Sources'), '');
      });
    });
  });
}
