/**
 * One behaviour suite run against both stores (memory and file): sequences,
 * loads with filters, removal, purge variants, limits, TTL, per-subject
 * state and consumer state.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemStore } from '../../src/jetstream/store/memstore.js';
import { FileStore } from '../../src/jetstream/store/filestore/filestore.js';
import { emptyConsumerState, type StoreConfig, type StreamStore } from '../../src/jetstream/store/store.js';
import { waitFor } from '../helpers/wait.js';

const base = (o: Partial<StoreConfig> = {}): StoreConfig => ({
  name: 'T',
  storage: 'memory',
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  max_msgs_per_subject: -1,
  discard: 'old',
  ...o,
});

const dirs: string[] = [];
const stores: StreamStore[] = [];

const kinds: [string, (cfg: StoreConfig) => StreamStore][] = [
  ['memory', (cfg) => new MemStore(cfg)],
  [
    'file',
    (cfg) => {
      const d = mkdtempSync(join(tmpdir(), 'nsts-fs-'));
      dirs.push(d);
      return new FileStore(d, { ...cfg, storage: 'file' }, { blockSize: 4096 });
    },
  ],
];

const b = (s: string) => Buffer.from(s);

for (const [kind, make] of kinds) {
  describe(`store conformance: ${kind}`, () => {
    const open = (o: Partial<StoreConfig> = {}) => {
      const s = make(base(o));
      stores.push(s);
      return s;
    };
    afterEach(() => {
      for (const s of stores.splice(0)) s.stop();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    it('stores with increasing sequences and timestamps; headers round-trip', () => {
      const s = open();
      const hdr = b('NATS/1.0\r\nA: 1\r\n\r\n');
      const [s1, t1] = s.storeMsg('a', hdr, b('one'));
      const [s2, t2] = s.storeMsg('b', null, b('two'));
      assert.deepEqual([s1, s2], [1, 2]);
      assert.ok(t2 > t1);
      const m = s.loadMsg(1)!;
      assert.equal(m.subj, 'a');
      assert.equal(m.hdr!.toString(), hdr.toString());
      assert.equal(m.msg.toString(), 'one');
      assert.equal(s.loadMsg(2)!.hdr, null);
      assert.equal(s.loadMsg(3), null);
      const st = s.state();
      assert.deepEqual([st.msgs, st.first_seq, st.last_seq, st.num_subjects], [2, 1, 2, 2]);
    });

    it('copies the caller buffers', () => {
      const s = open();
      const payload = b('abc');
      s.storeMsg('a', null, payload);
      payload.write('xyz');
      assert.equal(s.loadMsg(1)!.msg.toString(), 'abc');
    });

    it('loadNext / loadLast / loadPrev with filters and wildcards', () => {
      const s = open();
      for (const subj of ['a.1', 'b.1', 'a.2', 'b.2', 'a.1']) s.storeMsg(subj, null, b(subj));
      assert.equal(s.loadNextMsg('b.*', 1)!.seq, 2);
      assert.equal(s.loadNextMsg('b.*', 3)!.seq, 4);
      assert.equal(s.loadNextMsg('a.>', 4)!.seq, 5);
      assert.equal(s.loadNextMsg('', 3)!.seq, 3);
      assert.equal(s.loadNextMsg('c', 1), null);
      assert.equal(s.loadLastMsg('a.1')!.seq, 5);
      assert.equal(s.loadLastMsg('b.*')!.seq, 4);
      assert.equal(s.loadLastMsg('')!.seq, 5);
      s.removeMsg(3);
      assert.equal(s.loadPrevMsg(3)!.seq, 2);
    });

    it('removes and erases; deleted sequences are reported', () => {
      const s = open();
      for (let i = 0; i < 5; i++) s.storeMsg('x', null, b(`${i}`));
      assert.equal(s.removeMsg(2), true);
      assert.equal(s.removeMsg(2), false);
      assert.equal(s.eraseMsg(4), true);
      assert.deepEqual(s.deletedSeqs(), [2, 4]);
      assert.equal(s.state().num_deleted, 2);
      s.removeMsg(1);
      assert.equal(s.state().first_seq, 3);
    });

    it('purge keeps the sequence going; purgeEx by subject, seq and keep; compact', () => {
      const s = open();
      for (let i = 0; i < 10; i++) s.storeMsg(i % 2 ? 'odd' : 'even', null, b(`${i}`));
      assert.equal(s.purgeEx('odd', 0, 0), 5);
      assert.equal(s.purgeEx('even', 0, 2), 3);
      assert.equal(s.state().msgs, 2);
      assert.equal(s.purgeEx('', 9, 0), 1);
      assert.equal(s.state().first_seq, 9);
      assert.equal(s.purge(), 1);
      const st = s.state();
      assert.deepEqual([st.msgs, st.first_seq, st.last_seq], [0, 11, 10]);
      assert.equal(s.storeMsg('x', null, b('after'))[0], 11);
      for (let i = 0; i < 5; i++) s.storeMsg('y', null, b('y'));
      assert.equal(s.compact(14), 3);
      assert.equal(s.state().first_seq, 14);
    });

    it('enforces max_msgs, max_bytes and max_msgs_per_subject (discard old)', () => {
      const s = open({ max_msgs: 3 });
      for (let i = 0; i < 5; i++) s.storeMsg('a', null, b('x'));
      assert.deepEqual([s.state().msgs, s.state().first_seq], [3, 3]);
      const p = open({ max_msgs_per_subject: 2 });
      for (let i = 0; i < 5; i++) p.storeMsg(i < 4 ? 'a' : 'b', null, b('x'));
      assert.equal(p.filteredState(0, 'a').msgs, 2);
      assert.equal(p.filteredState(0, 'b').msgs, 1);
      const one = p.state().bytes / 3;
      const mb = open({ max_bytes: Math.ceil(one * 2) });
      for (let i = 0; i < 4; i++) mb.storeMsg('a', null, b('x'));
      assert.equal(mb.state().msgs, 2);
    });

    it('expires by max_age and by per-message TTL', async () => {
      const s = open({ max_age: 100e6 });
      s.storeMsg('a', null, b('x'));
      await waitFor(() => s.state().msgs === 0, 3000);
      const t = open({ allow_msg_ttl: true });
      t.storeMsg('a', null, b('short'), 1);
      t.storeMsg('a', null, b('forever'));
      await waitFor(() => t.state().msgs === 1, 4000);
      assert.equal(t.loadMsg(2)!.msg.toString(), 'forever');
    });

    it('honours first_seq, storeRawMsg and skipMsg', () => {
      const s = open({ first_seq: 100 });
      assert.equal(s.storeMsg('a', null, b('x'))[0], 100);
      s.storeRawMsg('a', null, b('raw'), 200, 123e9);
      assert.equal(s.loadMsg(200)!.ts, 123e9);
      assert.equal(s.skipMsg(), 201);
      assert.equal(s.storeMsg('a', null, b('y'))[0], 202);
    });

    it('filteredState, numPending (incl. last per subject) and subjectsState', () => {
      const s = open();
      for (const subj of ['a', 'b', 'a', 'c', 'a', 'b']) s.storeMsg(subj, null, b(subj));
      assert.deepEqual(s.filteredState(0, 'a'), { msgs: 3, first: 1, last: 5 });
      assert.deepEqual(s.filteredState(4, 'a'), { msgs: 1, first: 5, last: 5 });
      assert.equal(s.numPending(1, '', false), 6);
      assert.equal(s.numPending(3, 'a', false), 2);
      assert.equal(s.numPending(1, '>', true), 3);
      const ss = s.subjectsState('');
      assert.deepEqual(ss.get('b'), { msgs: 2, first: 2, last: 6 });
      assert.equal(ss.size, 3);
    });

    it('reports storage updates and tightens limits on updateConfig', () => {
      const s = open();
      let msgs = 0;
      s.registerStorageUpdates((md) => (msgs += md));
      for (let i = 0; i < 5; i++) s.storeMsg('a', null, b('x'));
      s.removeMsg(1);
      assert.equal(msgs, 4);
      s.updateConfig(base({ max_msgs: 2, storage: kind as 'file' }));
      assert.equal(s.state().msgs, 2);
    });

    it('keeps consumer config and state', () => {
      const s = open();
      const cs = s.consumerStore('c1', {});
      cs.setConfig({ durable_name: 'c1' }, 42);
      const st = emptyConsumerState();
      st.delivered = { consumer_seq: 3, stream_seq: 7 };
      st.pending.set(7, { sequence: 3, timestamp: 99 });
      cs.update(st);
      cs.flush();
      const got = cs.load()!;
      assert.deepEqual(got.config, { durable_name: 'c1' });
      assert.equal(got.created, 42);
      assert.equal(got.state.delivered.stream_seq, 7);
      assert.deepEqual(got.state.pending.get(7), { sequence: 3, timestamp: 99 });
    });
  });
}
