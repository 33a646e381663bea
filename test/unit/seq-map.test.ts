/**
 * SeqMap (the memory store's sequence index) against a plain Map model:
 * random appends, removals from the front, middle and end, re-inserts,
 * out-of-order inserts and a huge gap that switches it to Map mode.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeqMap } from '../../src/jetstream/store/seq-map.js';
import { rng } from '../helpers/rng.js';

function check(m: SeqMap<number>, model: Map<number, number>, probe: number[]): void {
  assert.equal(m.size, model.size);
  const sorted = [...model.keys()].sort((a, b) => a - b);
  assert.deepEqual([...m.values()], sorted.map((k) => model.get(k)));
  for (const q of probe) {
    assert.equal(m.get(q), model.get(q), `get(${q})`);
    assert.equal(m.has(q), model.has(q), `has(${q})`);
  }
}

describe('SeqMap', () => {
  for (const seed of [1, 2, 3, 42, 99]) {
    it(`behaves like a Map keyed by sequence (seed ${seed})`, () => {
      const r = rng(seed);
      const m = new SeqMap<number>();
      const model = new Map<number, number>();
      let next = 1 + Math.floor(r() * 1000);
      for (let step = 0; step < 20000; step++) {
        const x = r();
        if (x < 0.55) {
          m.set(next, next * 2);
          model.set(next, next * 2);
          next++;
        } else if (x < 0.75 && model.size > 0) {
          // remove the first (limits) or a random one (acks, deletes)
          const keys = [...model.keys()];
          const k = r() < 0.6 ? Math.min(...keys) : keys[Math.floor(r() * keys.length)];
          assert.equal(m.delete(k), true);
          model.delete(k);
        } else if (x < 0.8) {
          assert.equal(m.delete(next + 5), false);
        } else if (x < 0.83 && model.size > 0) {
          // re-insert an old or out-of-order sequence
          const k = Math.max(1, Math.min(...model.keys()) - 1 - Math.floor(r() * 3));
          m.set(k, -k);
          model.set(k, -k);
        } else if (x < 0.84) {
          next += Math.floor(r() * 50); // a small gap (skipped sequences)
        } else if (x < 0.845) {
          m.clear();
          model.clear();
        }
        if (step % 500 === 0) check(m, model, [next - 1, next, next - 10, 0, 1]);
      }
      check(m, model, [...model.keys()].slice(0, 50));
    });
  }

  it('a huge gap switches to Map mode without allocating the hole', () => {
    const m = new SeqMap<string>();
    m.set(1, 'a');
    m.set(2, 'b');
    m.set(5_000_000_000, 'far');
    assert.equal(m.size, 3);
    assert.equal(m.get(5_000_000_000), 'far');
    assert.deepEqual([...m.values()], ['a', 'b', 'far']);
    assert.equal(m.delete(1), true);
    assert.equal(m.get(1), undefined);
    m.clear();
    m.set(7, 'x');
    assert.deepEqual([...m.values()], ['x']);
  });
});
