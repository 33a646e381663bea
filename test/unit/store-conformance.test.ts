/**
 * One behaviour suite run against both stream stores (memory and file, the
 * latter also with s2-compressed sealed blocks):
 * sequences, loads with filters, removal, purge variants, limits, expiry,
 * per-subject state, storage update deltas and consumer state — plus a
 * randomized run checked against a small reference model. The file store
 * uses tiny blocks so every case also crosses block boundaries.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemStore } from '../../src/jetstream/store/memstore.js';
import { FileStore } from '../../src/jetstream/store/filestore/filestore.js';
import { subjectMatches } from '../../src/jetstream/store/subject-index.js';
import {
  emptyConsumerState,
  fileStoreMsgSize,
  memStoreMsgSize,
  type SimpleState,
  type StoreConfig,
  type StreamStore,
} from '../../src/jetstream/store/store.js';
import { rng } from '../helpers/rng.js';
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

type Sizer = (subj: string, hdr: Buffer | null, msg: Buffer) => number;

const dirs: string[] = [];
const stores: StreamStore[] = [];

/** `extra` is part of every config the suite gives the store (updates included). */
const kinds: { kind: 'memory' | 'file'; label: string; extra: Partial<StoreConfig>; sizer: Sizer; make: (cfg: StoreConfig) => StreamStore }[] = [
  { kind: 'memory', label: 'memory', extra: {}, sizer: memStoreMsgSize, make: (cfg) => new MemStore(cfg) },
  {
    kind: 'file',
    label: 'file',
    extra: {},
    sizer: fileStoreMsgSize,
    make: (cfg) => {
      const d = mkdtempSync(join(tmpdir(), 'nsts-conf-'));
      dirs.push(d);
      return new FileStore(d, { ...cfg, storage: 'file' }, { blockSize: 1024, log: () => {} });
    },
  },
  {
    // Sealed blocks are compressed: every case also reads, removes and erases through compressed blocks.
    kind: 'file',
    label: 'file, s2 compression',
    extra: { compression: 's2' },
    sizer: fileStoreMsgSize,
    make: (cfg) => {
      const d = mkdtempSync(join(tmpdir(), 'nsts-conf-'));
      dirs.push(d);
      return new FileStore(d, { ...cfg, storage: 'file' }, { blockSize: 512, log: () => {} });
    },
  },
];

const b = (s: string) => Buffer.from(s);
const HDR = b('NATS/1.0\r\nA: 1\r\n\r\n');
const tick = () => new Promise<void>((r) => setImmediate(r));


/** The obvious implementation of the contract, for the randomized comparison. */
class Model {
  readonly msgs = new Map<number, { subj: string; data: string; hdr: boolean }>();
  last = 0;
  constructor(private readonly sizer: Sizer) {}
  get first(): number {
    if (this.msgs.size === 0) return this.last + 1;
    let m = Infinity;
    for (const k of this.msgs.keys()) if (k < m) m = k;
    return m;
  }
  get bytes(): number {
    let n = 0;
    for (const m of this.msgs.values()) n += this.sizer(m.subj, m.hdr ? HDR : null, b(m.data));
    return n;
  }
  live(filter: string): number[] {
    return [...this.msgs.keys()].filter((q) => subjectMatches(this.msgs.get(q)!.subj, filter)).sort((x, y) => x - y);
  }
  filtered(start: number, filter: string): SimpleState {
    const seqs = this.live(filter).filter((q) => q >= start);
    return seqs.length === 0 ? { msgs: 0, first: 0, last: 0 } : { msgs: seqs.length, first: seqs[0], last: seqs[seqs.length - 1] };
  }
  subjects(): Map<string, SimpleState> {
    const out = new Map<string, SimpleState>();
    for (const q of this.live('')) {
      const s = this.msgs.get(q)!.subj;
      const e = out.get(s);
      if (e === undefined) out.set(s, { msgs: 1, first: q, last: q });
      else {
        e.msgs++;
        e.last = q;
      }
    }
    return out;
  }
  removeBelow(seq: number, filter: string, limit = Infinity): number {
    let n = 0;
    for (const q of this.live(filter)) {
      if (q >= seq || n >= limit) break;
      this.msgs.delete(q);
      n++;
    }
    return n;
  }
}

for (const { kind, label, extra, sizer, make } of kinds) {
  describe(`store conformance: ${label}`, () => {
    const conf = (o: Partial<StoreConfig> = {}) => base({ ...extra, ...o });
    const open = (o: Partial<StoreConfig> = {}) => {
      const s = make(conf(o));
      stores.push(s);
      return s;
    };
    afterEach(() => {
      for (const s of stores.splice(0)) s.stop();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    it('stores with increasing sequences and timestamps; headers round-trip; bytes use the store accounting', () => {
      const s = open();
      assert.deepEqual([s.state().msgs, s.state().first_seq, s.state().last_seq], [0, 0, 0], 'a new store');
      const [s1, t1] = s.storeMsg('a', HDR, b('one'));
      const [s2, t2] = s.storeMsg('b', null, b('two'));
      const [s3] = s.storeMsg('c', Buffer.alloc(0), b(''));
      assert.deepEqual([s1, s2, s3], [1, 2, 3]);
      assert.ok(t2 > t1);
      const m = s.loadMsg(1)!;
      assert.deepEqual([m.subj, m.seq, m.ts], ['a', 1, t1]);
      assert.equal(m.hdr!.toString(), HDR.toString());
      assert.equal(m.msg.toString(), 'one');
      assert.equal(s.loadMsg(2)!.hdr, null);
      assert.equal(s.loadMsg(3)!.hdr, null, 'an empty header block is stored as none');
      assert.equal(s.loadMsg(3)!.msg.length, 0);
      assert.equal(s.loadMsg(4), null);
      assert.equal(s.loadMsg(0), null);
      const st = s.state();
      assert.deepEqual(
        [st.msgs, st.first_seq, st.last_seq, st.num_subjects, st.num_deleted, st.first_ts, st.last_ts],
        [3, 1, 3, 3, 0, t1, s.loadMsg(3)!.ts],
      );
      assert.equal(st.bytes, sizer('a', HDR, b('one')) + sizer('b', null, b('two')) + sizer('c', null, b('')));
    });

    it('copies the caller buffers', () => {
      const s = open();
      const payload = b('abc');
      const hdr = Buffer.from(HDR);
      s.storeMsg('a', hdr, payload);
      payload.write('xyz');
      hdr.fill(0);
      assert.equal(s.loadMsg(1)!.msg.toString(), 'abc');
      assert.equal(s.loadMsg(1)!.hdr!.toString(), HDR.toString());
    });

    it('loadNext / loadLast / loadPrev with filters and wildcards', () => {
      const s = open();
      for (const subj of ['a.1', 'b.1', 'a.2', 'b.2', 'a.1', 'c.x.y']) s.storeMsg(subj, null, b(subj));
      assert.equal(s.loadNextMsg('b.*', 1)!.seq, 2);
      assert.equal(s.loadNextMsg('b.*', 3)!.seq, 4);
      assert.equal(s.loadNextMsg('a.>', 4)!.seq, 5);
      assert.equal(s.loadNextMsg('a.1', 2)!.seq, 5);
      assert.equal(s.loadNextMsg('*.1', 3)!.seq, 5);
      assert.equal(s.loadNextMsg('c.>', 1)!.seq, 6);
      assert.equal(s.loadNextMsg('c.*', 1), null, '* matches one token only');
      assert.equal(s.loadNextMsg('', 3)!.seq, 3);
      assert.equal(s.loadNextMsg('>', 0)!.seq, 1);
      assert.equal(s.loadNextMsg('', 7), null);
      assert.equal(s.loadNextMsg('z', 1), null);
      assert.equal(s.loadLastMsg('a.1')!.seq, 5);
      assert.equal(s.loadLastMsg('b.*')!.seq, 4);
      assert.equal(s.loadLastMsg('')!.seq, 6);
      assert.equal(s.loadLastMsg('z'), null);
      s.removeMsg(3);
      s.removeMsg(5);
      assert.equal(s.loadNextMsg('a.>', 2), null, 'the later a.* messages are gone');
      assert.equal(s.loadNextMsg('a.>', 0)!.seq, 1);
      assert.equal(s.loadLastMsg('a.*')!.seq, 1);
      assert.equal(s.loadPrevMsg(5)!.seq, 4);
      assert.equal(s.loadPrevMsg(3)!.seq, 2);
      assert.equal(s.loadPrevMsg(100)!.seq, 6);
      assert.equal(s.loadPrevMsg(0), null);
    });

    it('removes and erases; deleted sequences are reported', () => {
      const s = open();
      for (let i = 0; i < 6; i++) s.storeMsg('x', null, b(`payload-${i}`));
      assert.equal(s.removeMsg(2), true);
      assert.equal(s.removeMsg(2), false);
      assert.equal(s.removeMsg(99), false);
      assert.equal(s.eraseMsg(4), true);
      assert.equal(s.eraseMsg(4), false);
      assert.equal(s.loadMsg(4), null);
      assert.deepEqual(s.deletedSeqs(), [2, 4]);
      assert.equal(s.state().num_deleted, 2);
      assert.equal(s.state().msgs, 4);
      s.removeMsg(1);
      assert.equal(s.state().first_seq, 3, 'removing the first message moves first_seq past the gap');
      assert.deepEqual(s.deletedSeqs(), [4]);
      s.removeMsg(6);
      assert.equal(s.state().last_seq, 6, 'removing the last message keeps last_seq');
      assert.equal(s.loadLastMsg('')!.seq, 5);
      assert.equal(s.storeMsg('x', null, b('n'))[0], 7);
      assert.deepEqual(s.deletedSeqs(), [4, 6]);
    });

    it('purge keeps the sequence going; purgeEx by subject, wildcard, seq and keep', () => {
      const s = open();
      for (let i = 0; i < 10; i++) s.storeMsg(i % 2 ? 'odd' : 'even', null, b(`${i}`));
      assert.equal(s.purgeEx('odd', 0, 0), 5);
      assert.equal(s.filteredState(0, 'odd').msgs, 0);
      assert.equal(s.purgeEx('even', 0, 2), 3, 'keep the newest 2');
      assert.deepEqual(s.filteredState(0, 'even'), { msgs: 2, first: 7, last: 9 });
      assert.equal(s.purgeEx('', 9, 0), 1, 'everything below 9');
      assert.equal(s.state().first_seq, 9);
      assert.equal(s.purge(), 1);
      assert.equal(s.purge(), 0);
      const st = s.state();
      assert.deepEqual([st.msgs, st.bytes, st.first_seq, st.last_seq, st.num_subjects], [0, 0, 11, 10, 0]);
      assert.equal(s.loadNextMsg('', 0), null);
      assert.equal(s.storeMsg('x', null, b('after'))[0], 11);
      for (const subj of ['k.a', 'k.b', 'k.a', 'j.a', 'k.a']) s.storeMsg(subj, null, b(subj));
      assert.equal(s.purgeEx('k.*', 15, 0), 3, 'wildcard subject below seq 15');
      assert.deepEqual(
        [...s.subjectsState('')].sort(),
        [
          ['j.a', { msgs: 1, first: 15, last: 15 }],
          ['k.a', { msgs: 1, first: 16, last: 16 }],
          ['x', { msgs: 1, first: 11, last: 11 }],
        ],
      );
      assert.equal(s.purgeEx('nothing', 0, 0), 0);
      assert.equal(s.purgeEx('k.a', 0, 5), 0, 'fewer than keep');
    });

    it('compact removes below a sequence; past the end it resets the sequence', () => {
      const s = open();
      for (let i = 0; i < 10; i++) s.storeMsg(`s.${i % 3}`, null, b(`${i}`));
      assert.equal(s.compact(1), 0);
      assert.equal(s.compact(4), 3);
      assert.equal(s.state().first_seq, 4);
      assert.equal(s.loadMsg(3), null);
      assert.equal(s.compact(2), 0, 'already past');
      s.removeMsg(6);
      s.removeMsg(7);
      assert.equal(s.compact(7), 2, '4 and 5 (6 was already gone)');
      assert.equal(s.state().first_seq, 8);
      assert.equal(s.compact(20), 3);
      const st = s.state();
      assert.deepEqual([st.msgs, st.first_seq, st.last_seq], [0, 20, 19]);
      assert.equal(s.storeMsg('a', null, b('x'))[0], 20);
      // Compacting into a range whose remaining messages are all deleted leaves an empty store after last.
      for (let i = 0; i < 4; i++) s.storeMsg('a', null, b('x'));
      s.removeMsg(23);
      s.removeMsg(24);
      assert.equal(s.compact(23), 3);
      assert.deepEqual([s.state().msgs, s.state().first_seq, s.state().last_seq], [0, 25, 24]);
    });

    it('enforces max_msgs, max_bytes and max_msgs_per_subject (discard old)', () => {
      const s = open({ max_msgs: 3 });
      for (let i = 0; i < 5; i++) s.storeMsg('a', null, b(`${i}`));
      assert.deepEqual([s.state().msgs, s.state().first_seq, s.state().last_seq], [3, 3, 5]);
      assert.equal(s.loadMsg(2), null);
      assert.equal(s.loadMsg(3)!.msg.toString(), '2');

      const p = open({ max_msgs_per_subject: 2 });
      for (let i = 0; i < 6; i++) p.storeMsg(i < 4 ? 'a' : 'b', null, b(`${i}`));
      p.storeMsg('a', null, b('6'));
      assert.deepEqual(p.filteredState(0, 'a'), { msgs: 2, first: 4, last: 7 });
      assert.deepEqual(p.filteredState(0, 'b'), { msgs: 2, first: 5, last: 6 });
      assert.deepEqual(p.deletedSeqs(), []);
      assert.equal(p.state().first_seq, 4);

      const one = sizer('a', null, b('x'));
      const mb = open({ max_bytes: one * 2 + 1 });
      for (let i = 0; i < 4; i++) mb.storeMsg('a', null, b('x'));
      assert.deepEqual([mb.state().msgs, mb.state().first_seq, mb.state().bytes], [2, 3, one * 2]);
    });

    it('expires by max_age', async () => {
      const s = open({ max_age: 150e6 });
      s.storeMsg('a', null, b('x'));
      s.storeMsg('a', null, b('y'));
      assert.equal(s.state().msgs, 2);
      await waitFor(() => s.state().msgs === 0, 3000);
      assert.deepEqual([s.state().first_seq, s.state().last_seq], [3, 2]);
      s.storeMsg('a', null, b('z'));
      assert.equal(s.state().msgs, 1, 'a new message is not expired at once');
      await waitFor(() => s.state().msgs === 0, 3000);
    });

    it('expires messages with a per-message TTL only', async () => {
      const t = open({ allow_msg_ttl: true });
      t.storeMsg('a', null, b('short'), 1);
      t.storeMsg('a', null, b('forever'));
      assert.equal(t.state().msgs, 2);
      await waitFor(() => t.state().msgs === 1, 4000);
      assert.equal(t.loadMsg(1), null);
      assert.equal(t.loadMsg(2)!.msg.toString(), 'forever');
    });

    it('honours first_seq, storeRawMsg and skipMsg', () => {
      const s = open({ first_seq: 100 });
      assert.deepEqual([s.state().first_seq, s.state().last_seq], [100, 99]);
      assert.equal(s.storeMsg('a', null, b('x'))[0], 100);
      s.storeRawMsg('a', null, b('raw'), 200, 123e9);
      assert.equal(s.loadMsg(200)!.ts, 123e9);
      assert.equal(s.loadMsg(200)!.msg.toString(), 'raw');
      assert.equal(s.state().num_deleted, 99, 'the gap 101..199 counts as deleted');
      assert.throws(() => s.storeRawMsg('a', null, b('old'), 150, 1e9));
      assert.equal(s.skipMsg(), 201);
      assert.equal(s.storeMsg('a', null, b('y'))[0], 202);
      assert.equal(s.state().last_seq, 202);

      const e = open();
      assert.equal(e.skipMsg(), 1);
      assert.equal(e.skipMsg(), 2);
      assert.deepEqual([e.state().first_seq, e.state().last_seq, e.state().msgs], [3, 2, 0]);
      assert.equal(e.storeMsg('a', null, b('x'))[0], 3);
      const r = open();
      r.storeRawMsg('m', null, b('m'), 50, 5e9);
      assert.deepEqual([r.state().first_seq, r.state().last_seq, r.state().num_deleted], [50, 50, 0]);
    });

    it('filteredState, numPending (incl. last per subject) and subjectsState', () => {
      const s = open();
      for (const subj of ['a', 'b', 'a', 'c.1', 'a', 'b', 'c.2']) s.storeMsg(subj, null, b(subj));
      assert.deepEqual(s.filteredState(0, 'a'), { msgs: 3, first: 1, last: 5 });
      assert.deepEqual(s.filteredState(4, 'a'), { msgs: 1, first: 5, last: 5 });
      assert.deepEqual(s.filteredState(2, ''), { msgs: 6, first: 2, last: 7 });
      assert.deepEqual(s.filteredState(0, 'c.*'), { msgs: 2, first: 4, last: 7 });
      assert.deepEqual(s.filteredState(5, 'c.*'), { msgs: 1, first: 7, last: 7 });
      assert.deepEqual(s.filteredState(8, ''), { msgs: 0, first: 0, last: 0 });
      assert.deepEqual(s.filteredState(0, 'zz'), { msgs: 0, first: 0, last: 0 });
      assert.equal(s.numPending(1, '', false), 7);
      assert.equal(s.numPending(3, 'a', false), 2);
      assert.equal(s.numPending(3, '>', false), 5);
      assert.equal(s.numPending(1, '>', true), 4);
      assert.equal(s.numPending(6, '', true), 2, 'b (6) and c.2 (7) have their last message at or after 6');
      assert.equal(s.numPending(1, 'c.*', true), 2);
      const ss = s.subjectsState('');
      assert.deepEqual(ss.get('b'), { msgs: 2, first: 2, last: 6 });
      assert.equal(ss.size, 4);
      assert.deepEqual([...s.subjectsState('c.>').keys()].sort(), ['c.1', 'c.2']);
      s.removeMsg(1);
      s.removeMsg(5);
      assert.deepEqual(s.subjectsState('a').get('a'), { msgs: 1, first: 3, last: 3 });
      assert.deepEqual(s.filteredState(0, 'a'), { msgs: 1, first: 3, last: 3 });
      assert.equal(s.state().num_subjects, 4);
      s.removeMsg(3);
      assert.equal(s.state().num_subjects, 3);
      assert.equal(s.subjectsState('a').size, 0);
    });

    it('reports storage updates as deltas that add up to the state', () => {
      const s = open({ max_msgs: 4 });
      let msgs = 0;
      let bytes = 0;
      const seen: [number, number, string][] = [];
      s.registerStorageUpdates((md, bd, seq, subj) => {
        msgs += md;
        bytes += bd;
        seen.push([md, seq, subj]);
      });
      for (let i = 0; i < 6; i++) s.storeMsg(`s${i}`, null, b('x'.repeat(i)));
      assert.deepEqual(seen.slice(0, 2), [
        [1, 1, 's0'],
        [1, 2, 's1'],
      ]);
      assert.ok(seen.some(([md, seq, subj]) => md === -1 && seq === 1 && subj === 's0'), 'limit removals are reported');
      s.removeMsg(4);
      assert.deepEqual(seen.at(-1), [-1, 4, 's3']);
      s.purgeEx('s5', 0, 0);
      assert.deepEqual([msgs, bytes], [s.state().msgs, s.state().bytes]);
      s.purge();
      assert.deepEqual([msgs, bytes], [0, 0]);
    });

    it('tightens limits on updateConfig', () => {
      const s = open();
      for (let i = 0; i < 10; i++) s.storeMsg(i % 2 ? 'a' : 'b', null, b(`${i}`));
      s.updateConfig(conf({ max_msgs_per_subject: 3, storage: kind }));
      assert.deepEqual([s.filteredState(0, 'a').msgs, s.filteredState(0, 'b').msgs], [3, 3]);
      assert.deepEqual(s.filteredState(0, 'a'), { msgs: 3, first: 6, last: 10 });
      s.updateConfig(conf({ max_msgs: 2, storage: kind }));
      assert.deepEqual([s.state().msgs, s.state().first_seq], [2, 9]);
      const one = sizer('a', null, b('9'));
      s.updateConfig(conf({ max_bytes: one, storage: kind }));
      assert.deepEqual([s.state().msgs, s.state().first_seq], [1, 10]);
      s.storeMsg('a', null, b('x'));
      assert.equal(s.state().msgs, 1, 'the new limit applies to later stores');
    });

    it('keeps exact per-subject state under per-subject limits, also when they change', () => {
      const rnd = rng(3);
      const s = open({ max_msgs_per_subject: 3 });
      const model = new Map<number, string>();
      const check = (label: string) => {
        const want = new Map<string, SimpleState>();
        for (const q of [...model.keys()].sort((x, y) => x - y)) {
          const subj = model.get(q)!;
          const e = want.get(subj);
          if (e === undefined) want.set(subj, { msgs: 1, first: q, last: q });
          else {
            e.msgs++;
            e.last = q;
          }
        }
        assert.deepEqual(new Map([...s.subjectsState('')].sort()), new Map([...want].sort()), label);
        assert.equal(s.state().msgs, model.size, label);
      };
      const put = (limit: number) => {
        const subj = `kv.${Math.floor(rnd() * 20)}`;
        const [seq] = s.storeMsg(subj, null, b('v'));
        model.set(seq, subj);
        const mine = [...model].filter(([, x]) => x === subj).map(([q]) => q);
        if (limit > 0) for (const q of mine.slice(0, Math.max(0, mine.length - limit))) model.delete(q);
      };
      for (let i = 0; i < 300; i++) put(3);
      check('limit 3');
      for (const q of [...model.keys()].filter((_, i) => i % 4 === 1)) {
        s.removeMsg(q);
        model.delete(q);
      }
      check('after interior removals');
      for (let i = 0; i < 100; i++) put(3);
      check('limit 3 again');
      s.updateConfig(conf({ storage: kind }));
      for (let i = 0; i < 200; i++) put(-1);
      for (const q of [...model.keys()].filter((_, i) => i % 3 === 0)) {
        s.removeMsg(q);
        model.delete(q);
      }
      check('no limit');
      s.updateConfig(conf({ storage: kind, max_msgs_per_subject: 2 }));
      const bySubj = new Map<string, number[]>();
      for (const q of [...model.keys()].sort((x, y) => x - y)) bySubj.set(model.get(q)!, [...(bySubj.get(model.get(q)!) ?? []), q]);
      for (const qs of bySubj.values()) for (const q of qs.slice(0, Math.max(0, qs.length - 2))) model.delete(q);
      check('limit tightened to 2');
      for (let i = 0; i < 100; i++) put(2);
      check('limit 2');
    });

    it('tightens max_age on updateConfig', async () => {
      const s = open();
      s.storeMsg('a', null, b('x'));
      s.updateConfig(conf({ max_age: 50e6, storage: kind }));
      await waitFor(() => s.state().msgs === 0, 3000);
    });

    it('keeps consumer config and state', () => {
      const s = open();
      const cs = s.consumerStore('c1', {});
      assert.equal(cs.load(), null, 'nothing before setConfig');
      cs.setConfig({ durable_name: 'c1', ack_policy: 'explicit' }, 42);
      const st = emptyConsumerState();
      st.delivered = { consumer_seq: 3, stream_seq: 7 };
      st.ack_floor = { consumer_seq: 1, stream_seq: 5 };
      st.pending.set(7, { sequence: 3, timestamp: 99 });
      st.pending.set(6, { sequence: 2, timestamp: 98 });
      st.redelivered.set(6, 2);
      cs.update(st);
      cs.flush();
      const got = cs.load()!;
      assert.deepEqual(got.config, { durable_name: 'c1', ack_policy: 'explicit' });
      assert.equal(got.created, 42);
      assert.deepEqual(got.state.delivered, { consumer_seq: 3, stream_seq: 7 });
      assert.deepEqual(got.state.ack_floor, { consumer_seq: 1, stream_seq: 5 });
      assert.deepEqual([...got.state.pending].sort(), [
        [6, { sequence: 2, timestamp: 98 }],
        [7, { sequence: 3, timestamp: 99 }],
      ]);
      assert.deepEqual([...got.state.redelivered], [[6, 2]]);
      assert.deepEqual(s.consumerNames(), ['c1']);
      s.consumerStore('c2', {}).setConfig({ durable_name: 'c2' }, 1);
      assert.deepEqual(s.consumerNames(), ['c1', 'c2']);
      cs.delete();
      assert.deepEqual(s.consumerNames(), ['c2']);
      assert.equal(s.consumerStore('c1', {}).load(), null, 'a deleted consumer comes back empty');
    });

    it('matches a reference model over a randomized run', async () => {
      const rnd = rng(kind === 'memory' ? 7 : 11);
      const s = open();
      const m = new Model(sizer);
      const subjects = ['a.1', 'a.2', 'b.1', 'c', 'a.b.c'];
      const filters = ['', '>', 'a.*', 'a.>', '*.1', 'c', 'b.1', 'x'];
      const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
      for (let step = 0; step < 1500; step++) {
        const r = rnd();
        const span = () => Math.max(1, m.first - 2 + Math.floor(rnd() * (m.last - m.first + 5)));
        if (r < 0.55) {
          const subj = pick(subjects);
          const data = 'p'.repeat(Math.floor(rnd() * 40)) + step;
          const hdr = rnd() < 0.2;
          const [seq] = s.storeMsg(subj, hdr ? HDR : null, b(data));
          m.last++;
          assert.equal(seq, m.last);
          m.msgs.set(seq, { subj, data, hdr });
        } else if (r < 0.75) {
          const q = span();
          assert.equal(s.removeMsg(q), m.msgs.delete(q), `remove ${q}`);
        } else if (r < 0.78) {
          const q = span();
          assert.equal(s.eraseMsg(q), m.msgs.delete(q), `erase ${q}`);
        } else if (r < 0.81) {
          assert.equal(s.skipMsg(), ++m.last);
        } else if (r < 0.84) {
          const q = m.last + 1 + Math.floor(rnd() * 3);
          s.storeRawMsg('raw', null, b('raw'), q, 1e18 + q);
          m.last = q;
          m.msgs.set(q, { subj: 'raw', data: 'raw', hdr: false });
        } else if (r < 0.87) {
          const f = pick(['a.1', 'a.*', 'c', 'b.>']);
          const keep = rnd() < 0.5 ? Math.floor(rnd() * 3) : 0;
          const below = rnd() < 0.5 ? span() : 0;
          let want: number;
          if (keep > 0) {
            const total = m.live(f).length;
            want = total <= keep ? 0 : m.removeBelow(below || Infinity, f, total - keep);
          } else want = m.removeBelow(below || Infinity, f);
          assert.equal(s.purgeEx(f, below, keep), want, `purgeEx ${f} ${below} ${keep}`);
        } else if (r < 0.89) {
          const q = span();
          const want = q <= m.first ? 0 : m.removeBelow(q, '');
          assert.equal(s.compact(q), want, `compact ${q}`);
          if (q > m.last) m.last = q - 1;
        } else if (r < 0.895) {
          assert.equal(s.purge(), m.msgs.size);
          m.msgs.clear();
        } else if (r < 0.92) {
          await tick(); // let background writes and block compaction run
        }

        const st = s.state();
        assert.deepEqual(
          [st.msgs, st.first_seq, st.last_seq, st.bytes, st.num_subjects],
          [m.msgs.size, m.first, m.last, m.bytes, m.subjects().size],
          `state after step ${step}`,
        );
        assert.equal(st.num_deleted, m.msgs.size > 0 ? m.last - m.first + 1 - m.msgs.size : 0);
        if (step % 10 === 0 || step > 1450) {
          for (let q = m.first - 1; q <= m.last + 1; q++) {
            const got = s.loadMsg(q);
            const want = m.msgs.get(q);
            if (want === undefined) assert.equal(got, null, `load ${q}`);
            else {
              assert.ok(got !== null, `load ${q}`);
              assert.deepEqual([got.subj, got.msg.toString(), got.hdr !== null], [want.subj, want.data, want.hdr], `load ${q}`);
            }
          }
          const live = new Set(m.msgs.keys());
          const del: number[] = [];
          if (live.size > 0) for (let q = m.first; q <= m.last; q++) if (!live.has(q)) del.push(q);
          assert.deepEqual(s.deletedSeqs(), del);
          assert.deepEqual(new Map([...s.subjectsState('')].sort()), new Map([...m.subjects()].sort()));
          for (const f of filters) {
            const start = span();
            assert.deepEqual(s.filteredState(start, f), m.filtered(start, f), `filteredState ${start} ${f}`);
            assert.equal(s.numPending(start, f, false), m.filtered(start, f).msgs, `numPending ${start} ${f}`);
            const next = m.live(f).find((q) => q >= start);
            assert.equal(s.loadNextMsg(f, start)?.seq ?? null, next ?? null, `loadNext ${f} ${start}`);
            assert.equal(s.loadLastMsg(f)?.seq ?? null, m.live(f).at(-1) ?? null, `loadLast ${f}`);
            const lastPer = [...m.subjects()].filter(([subj, e]) => subjectMatches(subj, f) && e.last >= start).length;
            assert.equal(s.numPending(start, f, true), lastPer, `numPending last-per-subject ${start} ${f}`);
          }
          const start = span();
          const prev = m.live('').filter((q) => q <= start).at(-1);
          assert.equal(s.loadPrevMsg(start)?.seq ?? null, prev ?? null, `loadPrev ${start}`);
        }
      }
    });
  });
}
