/**
 * The per-stream scheduler (Go scheduler.go MsgScheduling): due schedules come
 * out oldest first with the scheduler's headers, one schedule per subject
 * (the newest replaces), removed or vanished schedules are dropped, a fired
 * schedule is not fired again until moved on, and one timer serves them all.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildHeaders, getHeader } from '../../src/protocol/headers.js';
import { MemStore } from '../../src/jetstream/store/memstore.js';
import { MsgScheduler } from '../../src/jetstream/stream/schedules.js';
import { waitFor } from '../helpers/wait.js';

const store = () =>
  new MemStore({ name: 'T', storage: 'memory', max_msgs: -1, max_bytes: -1, max_age: 0, max_msgs_per_subject: -1, discard: 'old' });

const sched = (pattern: string, target: string, extra: [string, string][] = []) =>
  buildHeaders([['Nats-Schedule', pattern], ['Nats-Schedule-Target', target], ['Nats-Rollup', 'sub'], ...extra]);

describe('MsgScheduler', () => {
  it('collects due schedules in sequence order, each once, and drops vanished ones', () => {
    const st = store();
    const s = new MsgScheduler(() => {});
    const now = Date.now() * 1e6;
    const subjects = ['a', 'b', 'c', 'd'];
    const seqs = subjects.map((x) => st.storeMsg(`sch.${x}`, sched('@every 1s', `out.${x}`, [['X-Keep', x], ['Nats-Msg-Id', 'id']]), Buffer.from(x))[0]);
    // due times out of sequence order; d is not due yet
    s.init(seqs[2], 'sch.c', now - 3e9);
    s.init(seqs[0], 'sch.a', now - 1e9);
    s.init(seqs[1], 'sch.b', now - 2e9);
    s.init(seqs[3], 'sch.d', now + 60e9);
    st.removeMsg(seqs[1]);
    const due = s.collectDue(st, now);
    assert.deepEqual(due.map((m) => m.subject), ['out.a', 'out.c']);
    assert.equal(getHeader(due[0].hdr, 'Nats-Scheduler'), 'sch.a');
    assert.equal(getHeader(due[0].hdr, 'X-Keep'), 'a');
    assert.equal(getHeader(due[0].hdr, 'Nats-Msg-Id'), null);
    assert.equal(getHeader(due[0].hdr, 'Nats-Rollup'), null);
    assert.match(getHeader(due[0].hdr, 'Nats-Schedule-Next') ?? '', /Z$/);
    assert.equal(s.size, 3); // b's message is gone: dropped
    // in flight: not again until it moves on
    assert.deepEqual(s.collectDue(st, now + 1), []);
    s.update('sch.a', now + 5e8);
    assert.deepEqual(s.collectDue(st, now + 1e9).map((m) => m.subject), ['out.a']);
    s.stop();
  });

  it('keeps one schedule per subject and arms one timer for the earliest', async () => {
    const st = store();
    let fired = 0;
    const s = new MsgScheduler(() => fired++);
    const now = Date.now() * 1e6;
    const [s1] = st.storeMsg('sch.x', sched('@at 2100-01-01T00:00:00Z', 'out.x'), Buffer.from('old'));
    s.add(s1, 'sch.x', now + 3600e9);
    const [s2] = st.storeMsg('sch.x', sched('@at 2100-01-01T00:00:00Z', 'out.x'), Buffer.from('new'));
    s.add(s2, 'sch.x', now + 300e6);
    for (let i = 0; i < 100; i++) s.add(st.storeMsg(`sch.far${i}`, sched('@every 1h', 'out.f'), Buffer.alloc(0))[0], `sch.far${i}`, now + 3600e9 + i);
    assert.equal(s.size, 101);
    await waitFor(() => fired >= 1, 3000, 10);
    const due = s.collectDue(st);
    assert.equal(due.length, 1);
    assert.equal(due[0].msg.toString(), 'new');
    assert.equal(getHeader(due[0].hdr, 'Nats-Schedule-Next'), 'purge');
    s.removeSubject('sch.x');
    assert.equal(s.size, 100);
    s.stop();
  });
});
