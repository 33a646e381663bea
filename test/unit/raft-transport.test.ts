/**
 * The virtual clock and the in-memory RAFT hub: timers in time order, FIFO
 * links, drops, duplicates, reordering, partitions (one-way too), crashed
 * nodes, and the same schedule from the same seed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/raft/clock.js';
import { MemoryHub } from '../../src/raft/memory-transport.js';
import { RaftChannels, raftSubjects, type RaftHandlers } from '../../src/raft/transport.js';
import { rng } from '../helpers/rng.js';

function hub(seed = 1) {
  const clock = new VirtualClock();
  const h = new MemoryHub(clock, rng(seed));
  const got: Record<string, string[]> = { A: [], B: [], C: [] };
  const ep = Object.fromEntries(['A', 'B', 'C'].map((id) => {
    const t = h.endpoint(id);
    t.subscribe('s', (_s, reply, m) => got[id].push(m.toString() + (reply ? '@' + reply : '')));
    return [id, t];
  }));
  return { clock, h, got, ep };
}

describe('raft virtual clock', () => {
  it('runs timers in time order, ties in creation order, and skips cancelled ones', () => {
    const c = new VirtualClock(0);
    const out: string[] = [];
    c.setTimer(20, () => out.push('b'));
    c.setTimer(10, () => out.push('a'));
    const x = c.setTimer(15, () => out.push('x'));
    c.setTimer(20, () => out.push('c'));
    c.defer(() => out.push('now'));
    x.cancel();
    c.advance(19);
    assert.deepEqual(out, ['now', 'a']);
    assert.equal(c.now(), 19);
    c.advance(1);
    assert.deepEqual(out, ['now', 'a', 'b', 'c']);
    let n = 0;
    assert.equal(c.runUntil(() => ++n > 3, 1000, 10), true);
    assert.equal(c.runUntil(() => false, 100), false);
  });
});

describe('raft memory hub', () => {
  it('delivers to other subscribers after a delay, never back to the sender, FIFO per link', () => {
    const { clock, got, ep } = hub();
    for (let i = 0; i < 50; i++) ep.A.publish('s', 'r', Buffer.from(String(i)));
    assert.deepEqual(got.B, []);
    clock.advance(100);
    assert.deepEqual(got.A, []);
    assert.deepEqual(got.B, Array.from({ length: 50 }, (_, i) => `${i}@r`));
    assert.deepEqual(got.C, got.B);
  });

  it('drops, duplicates and reorders as configured', () => {
    const { clock, h, got, ep } = hub(3);
    h.faults = { drop: 0.3, duplicate: 0.2, minDelay: 1, maxDelay: 50, reorder: 0.5 };
    for (let i = 0; i < 400; i++) ep.A.publish('s', '', Buffer.from(String(i)));
    clock.advance(1000);
    const b = got.B.map(Number);
    assert.ok(b.length < 400 * 0.9 && b.length > 400 * 0.5, `delivered ${b.length}`);
    assert.ok(new Set(b).size < b.length, 'some duplicated');
    assert.ok(b.some((v, i) => i > 0 && v < b[i - 1]), 'some reordered');
    assert.ok(h.stats.dropped > 0 && h.stats.duplicated > 0);
  });

  it('cuts links one way, partitions groups, isolates and heals; a link cut in flight loses the message', () => {
    const { clock, h, got, ep } = hub();
    h.block('A', 'B');
    ep.A.publish('s', '', Buffer.from('1'));
    ep.B.publish('s', '', Buffer.from('2'));
    clock.advance(10);
    got.C.sort();
    assert.deepEqual([got.A, got.B, got.C], [['2'], [], ['1', '2']]);
    h.partition([['A'], ['B', 'C']]);
    ep.A.publish('s', '', Buffer.from('3'));
    ep.C.publish('s', '', Buffer.from('4'));
    clock.advance(10);
    assert.deepEqual([got.A, got.B, got.C], [['2'], ['4'], ['1', '2']]);
    h.heal();
    ep.A.publish('s', '', Buffer.from('5'));
    h.isolate('A', ['A', 'B', 'C']); // while in flight
    clock.advance(10);
    assert.deepEqual(got.B, ['4']);
    h.heal();
    h.setDown('C', true);
    ep.A.publish('s', '', Buffer.from('6'));
    clock.advance(10);
    assert.deepEqual([got.B, got.C], [['4', '6'], ['1', '2']]);
  });

  it('replays the same schedule from the same seed', () => {
    const run = (seed: number) => {
      const { clock, h, got, ep } = hub(seed);
      h.faults = { drop: 0.2, duplicate: 0.2, minDelay: 1, maxDelay: 30, reorder: 0.3 };
      for (let i = 0; i < 100; i++) ep[i % 2 ? 'A' : 'C'].publish('s', '', Buffer.from(String(i)));
      clock.advance(1000);
      return JSON.stringify(got);
    };
    assert.equal(run(9), run(9));
    assert.notEqual(run(9), run(10));
  });

  it('RaftChannels uses Go\'s $NRG subjects and routes each kind to its handler', () => {
    const clock = new VirtualClock();
    const h = new MemoryHub(clock, rng(1));
    const seen: string[] = [];
    const handlers = (who: string): RaftHandlers => ({
      voteRequest: (_m, r) => seen.push(`${who} vote ${r.startsWith('$NRG.R.')}`),
      preVoteRequest: () => seen.push(`${who} prevote`),
      voteResponse: () => seen.push(`${who} vresp`),
      preVoteResponse: () => seen.push(`${who} pvresp`),
      appendEntry: (_m, _r, inbox) => seen.push(`${who} ae ${inbox ? 'catchup' : 'group'}`),
      appendEntryResponse: (_m, r) => seen.push(`${who} aer ${r}`),
      proposal: () => seen.push(`${who} prop`),
      removePeerProposal: (m) => seen.push(`${who} rp ${m.toString()}`),
    });
    const a = new RaftChannels(h.endpoint('A'), 'G', handlers('A'), rng(2));
    const b = new RaftChannels(h.endpoint('B'), 'G', handlers('B'), rng(3));
    a.open();
    b.open();
    b.openLeader();
    assert.equal(a.vsubj, '$NRG.V.G');
    assert.equal(a.asubj, '$NRG.AE.G');
    assert.equal(a.psubj, '$NRG.P.G');
    assert.equal(a.rpsubj, '$NRG.RP.G');
    assert.equal(raftSubjects.catchupReply('x'), '$NRG.CR.x');
    assert.match(a.areply, /^\$NRG\.R\.[0-9A-Za-z]{8}$/);
    a.sendVoteRequest(Buffer.alloc(1));
    a.sendPreVoteRequest(Buffer.alloc(1));
    a.sendAppendEntry(Buffer.alloc(1));
    a.forwardProposal(Buffer.alloc(1));
    a.forwardRemovePeer('NODE0001');
    b.reply(a.vreply, Buffer.alloc(1));
    b.reply(a.areply, Buffer.alloc(1), '$NRG.CR.inbox');
    const inbox = a.openCatchup();
    b.sendCatchupEntry(inbox, Buffer.alloc(1));
    clock.advance(50);
    assert.deepEqual(seen.sort(), ['A aer $NRG.CR.inbox', 'A ae catchup', 'A vresp', 'B ae group', 'B prevote', 'B prop', 'B rp NODE0001', 'B vote true'].sort());
  });
});
