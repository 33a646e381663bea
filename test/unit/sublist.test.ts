// Sublist behaviour (Go server/sublist.go); every matching test runs with the
// result cache on and off, and a randomized run checks both against a naive
// linear matcher.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CACHE_MAX, EMPTY_RESULT, Sublist, type SublistResult } from '../../src/sublist/sublist.js';
import { rng } from '../helpers/rng.js';

class Sub {
  static seq = 0;
  readonly id: number;
  constructor(
    readonly subject: string,
    readonly queue: string | null = null,
    readonly name = subject + (queue === null ? '' : ` q:${queue}`),
  ) {
    this.id = ++Sub.seq;
  }
}

/** Normalised view: sorted plain names, queue groups as "queue: sorted names". */
function view(r: SublistResult<Sub>): { p: string[]; q: string[] } {
  const p = r.psubs.map((s) => s.name).sort();
  const q = r.qsubs.map((g) => `${g[0].queue}: ${g.map((s) => s.name).sort().join(', ')}`).sort();
  return { p, q };
}

/** The reference: does subscription subject `pattern` match `literal` (taken literally)? */
function naiveMatch(pattern: string, literal: string): boolean {
  const l = literal.split('.');
  if (l.some((t) => t.length === 0)) return false;
  const p = pattern.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return l.length > i;
    if (i >= l.length) return false;
    if (p[i] !== '*' && p[i] !== l[i]) return false;
  }
  return p.length === l.length;
}

function naiveView(subs: Iterable<Sub>, literal: string): { p: string[]; q: string[] } {
  const p: string[] = [];
  const groups = new Map<string, string[]>();
  for (const s of subs) {
    if (!naiveMatch(s.subject, literal)) continue;
    if (s.queue === null) p.push(s.name);
    else {
      const g = groups.get(s.queue) ?? [];
      g.push(s.name);
      groups.set(s.queue, g);
    }
  }
  const q = [...groups].map(([k, g]) => `${k}: ${g.sort().join(', ')}`).sort();
  return { p: p.sort(), q };
}

const TABLE_SUBS = [
  'foo',
  'foo.bar',
  'foo.baz',
  'foo.bar.baz',
  '*',
  '>',
  'foo.*',
  '*.bar',
  '*.*',
  'foo.*.baz',
  'foo.>',
  'foo.*.>',
  '*.>',
  'foo.*-',
  'foo.>-',
  'a*',
  '*a',
  'bar',
];

// published subject -> subscription subjects that must receive it
const TABLE: [string, string[]][] = [
  ['foo', ['foo', '*', '>']],
  ['bar', ['bar', '*', '>']],
  ['baz', ['*', '>']],
  ['foo.bar', ['foo.bar', '>', 'foo.*', '*.bar', '*.*', 'foo.>', '*.>']],
  ['foo.baz', ['foo.baz', '>', 'foo.*', '*.*', 'foo.>', '*.>']],
  ['x.bar', ['>', '*.bar', '*.*', '*.>']],
  ['foo.bar.baz', ['foo.bar.baz', '>', 'foo.*.baz', 'foo.>', 'foo.*.>', '*.>']],
  ['foo.x.baz', ['>', 'foo.*.baz', 'foo.>', 'foo.*.>', '*.>']],
  ['foo.bar.baz.qux', ['>', 'foo.>', 'foo.*.>', '*.>']],
  ['a*', ['a*', '*', '>']],
  ['*a', ['*a', '*', '>']],
  ['ab', ['*', '>']],
  // published wildcard tokens are literal text
  ['*', ['*', '>']],
  ['>', ['*', '>']],
  ['foo.*', ['>', 'foo.*', '*.*', 'foo.>', '*.>']],
  ['foo.>', ['>', 'foo.*', '*.*', 'foo.>', '*.>']],
  ['foo.*-', ['foo.*-', '>', 'foo.*', '*.*', 'foo.>', '*.>']],
  ['foo.>-', ['foo.>-', '>', 'foo.*', '*.*', 'foo.>', '*.>']],
  // empty tokens match nothing, not even '>'
  ['', []],
  ['.', []],
  ['.foo', []],
  ['foo.', []],
  ['foo..bar', []],
  ['..foo', []],
];

for (const cacheOn of [true, false]) {
  const mk = () => new Sublist<Sub>(cacheOn);
  describe(`Sublist (cache ${cacheOn ? 'on' : 'off'})`, () => {
    it('matches the literal / * / > table (twice, to hit the cache)', () => {
      const sl = mk();
      for (const s of TABLE_SUBS) assert.equal(sl.insert(new Sub(s)), true, s);
      assert.equal(sl.count(), TABLE_SUBS.length);
      for (let pass = 0; pass < 2; pass++) {
        for (const [subject, want] of TABLE) {
          assert.deepEqual(view(sl.match(subject)), { p: [...want].sort(), q: [] }, `${subject} pass ${pass}`);
          assert.equal(sl.hasInterest(subject), want.length > 0, `hasInterest ${subject}`);
        }
      }
    });

    it('tells its listener of each real insert and removal, and nothing else', () => {
      const sl = mk();
      const seen: string[] = [];
      sl.listener = { changed: (sub, added) => seen.push(`${added ? '+' : '-'}${sub.subject}${sub.queue ? ' ' + sub.queue : ''}`) };
      const a = new Sub('foo.bar');
      const b = new Sub('foo.*', 'q');
      const c = new Sub('baz');
      assert.equal(sl.insert(a), true);
      assert.equal(sl.insert(a), true); // the same object again: no change
      assert.equal(sl.insert(b), true);
      assert.equal(sl.insert(new Sub('foo..bar')), false); // invalid: no change
      assert.equal(sl.insert(c), true);
      assert.equal(sl.remove(a), true);
      assert.equal(sl.remove(a), false); // already gone: no change
      sl.removeBatch([b, c, new Sub('never.added')]);
      assert.deepEqual(seen, ['+foo.bar', '+foo.* q', '+baz', '-foo.bar', '-foo.* q', '-baz']);
      assert.equal(sl.count(), 0);
    });

    it('groups queue subscribers by queue name across nodes', () => {
      const sl = mk();
      const subs = [
        new Sub('foo.bar'),
        new Sub('foo.bar', 'g1', 'A'),
        new Sub('foo.*', 'g1', 'B'),
        new Sub('foo.>', 'g2', 'C'),
        new Sub('foo.bar', 'g2', 'D'),
        new Sub('>', 'g3', 'E'),
        new Sub('foo.baz', 'g1', 'F'),
      ];
      for (const s of subs) sl.insert(s);
      for (let pass = 0; pass < 2; pass++) {
        const r = sl.match('foo.bar');
        assert.deepEqual(view(r), { p: ['foo.bar'], q: ['g1: A, B', 'g2: C, D', 'g3: E'] });
        for (const g of r.qsubs) assert.ok(g.every((s) => s.queue === g[0].queue));
      }
      assert.deepEqual(view(sl.match('foo.baz')), { p: [], q: ['g1: B, F', 'g2: C', 'g3: E'] });
      sl.remove(subs[1]);
      sl.remove(subs[2]);
      assert.deepEqual(view(sl.match('foo.bar')), { p: ['foo.bar'], q: ['g2: C, D', 'g3: E'] });
      assert.equal(sl.count(), 5);
      // same object in a queue group twice is one member
      assert.equal(sl.insert(subs[3]), true);
      assert.deepEqual(view(sl.match('foo.bar')), { p: ['foo.bar'], q: ['g2: C, D', 'g3: E'] });
    });

    it('distinct subscriptions on the same subject are all returned; a duplicate insert is a no-op', () => {
      const sl = mk();
      const a = new Sub('foo', null, 'a');
      const b = new Sub('foo', null, 'b');
      sl.insert(a);
      sl.insert(b);
      const gen = sl.genid;
      assert.equal(sl.insert(a), true);
      assert.equal(sl.genid, gen);
      assert.equal(sl.count(), 2);
      assert.deepEqual(view(sl.match('foo')).p, ['a', 'b']);
      assert.equal(sl.remove(a), true);
      assert.deepEqual(view(sl.match('foo')).p, ['b']);
      assert.equal(sl.remove(a), false);
      assert.equal(sl.count(), 1);
    });

    it('rejects invalid subjects on insert and remove (Go Insert rules)', () => {
      const sl = mk();
      for (const s of ['', '.foo', 'foo.', 'foo..bar', 'foo.bar..baz', 'foo.>.bar', 'a.>.b', '>.>', '.']) {
        const sub = new Sub(s);
        assert.equal(sl.insert(sub), false, s);
        assert.equal(sl.remove(sub), false, s);
      }
      assert.equal(sl.count(), 0);
      assert.equal(sl.genid, 0);
      // Go's Insert does not look at whitespace; SUB "foo\fbar" is accepted by the Go server.
      assert.equal(sl.insert(new Sub('foo\fbar')), true);
      assert.equal(sl.match('foo\fbar').psubs.length, 1);
    });

    it('remove of a missing subscription changes nothing', () => {
      const sl = mk();
      const s = new Sub('foo.*-');
      sl.insert(s);
      sl.match('foo.*-');
      const gen = sl.genid;
      assert.equal(sl.remove(new Sub('foo.bar')), false);
      assert.equal(sl.remove(new Sub('foo.*-')), false); // same subject, other object
      assert.equal(sl.remove(new Sub('foo.*-', 'q')), false);
      assert.equal(sl.remove(new Sub('nope.never.there')), false);
      assert.equal(sl.count(), 1);
      assert.equal(sl.genid, gen);
      assert.equal(sl.stats().num_removes, 0);
      assert.equal(sl.match('foo.*-').psubs[0], s);
    });

    it('prunes the tree on remove and rebuilds it on re-insert', () => {
      const sl = mk();
      const subs = ['a.b.c.d', 'a.b.*.d', 'a.b.>', 'a.*', '*.*.c'].map((s) => new Sub(s));
      for (const s of subs) sl.insert(s);
      for (const s of subs) assert.equal(sl.remove(s), true);
      assert.equal(sl.count(), 0);
      assert.deepEqual(sl.all([]), []);
      for (const subj of ['a.b.c.d', 'a.b', 'x.y.c']) {
        assert.equal(sl.match(subj).psubs.length, 0);
        assert.equal(sl.hasInterest(subj), false);
      }
      sl.insert(subs[1]);
      assert.deepEqual(view(sl.match('a.b.c.d')).p, ['a.b.*.d']);
      // removing a leaf under a still-populated node keeps the parent
      const parent = new Sub('a.b');
      const child = new Sub('a.b.c');
      sl.insert(parent);
      sl.insert(child);
      sl.remove(child);
      assert.deepEqual(view(sl.match('a.b')).p, ['a.b']);
      assert.deepEqual(view(sl.match('a.b.x.d')).p, ['a.b.*.d']);
    });

    it('returns the shared EMPTY_RESULT when nothing matches', () => {
      const sl = mk();
      sl.insert(new Sub('foo'));
      assert.equal(sl.match('bar'), EMPTY_RESULT);
      assert.equal(sl.match('baz.qux'), EMPTY_RESULT);
      assert.equal(sl.match('foo..'), EMPTY_RESULT);
      assert.ok(Object.isFrozen(EMPTY_RESULT.psubs) && Object.isFrozen(EMPTY_RESULT.qsubs));
    });

    it('all() returns every subscription', () => {
      const sl = mk();
      const subs = [new Sub('foo.bar.baz'), new Sub('foo'), new Sub('baz'), new Sub('*', 'q'), new Sub('>', 'q')];
      for (const s of subs) sl.insert(s);
      const out: Sub[] = [];
      assert.equal(sl.all(out), out);
      assert.deepEqual(out.map((s) => s.id).sort(), subs.map((s) => s.id).sort());
    });

    it('bumps genid on every successful insert/remove, once per removeBatch', () => {
      const sl = mk();
      const a = new Sub('a');
      const b = new Sub('b.*');
      const c = new Sub('c', 'q');
      assert.equal(sl.genid, 0);
      sl.insert(a);
      sl.insert(b);
      sl.insert(c);
      assert.equal(sl.genid, 3);
      sl.match('a');
      assert.equal(sl.genid, 3);
      sl.remove(a);
      assert.equal(sl.genid, 4);
      sl.insert(new Sub('x..y'));
      sl.remove(a);
      assert.equal(sl.genid, 4);
      sl.removeBatch([b, c, a]);
      assert.equal(sl.genid, 5);
      assert.equal(sl.count(), 0);
      sl.removeBatch([]);
      assert.equal(sl.genid, 5);
    });

    it('removeBatch removes present subs even when some are missing', () => {
      const sl = mk();
      const [s1, s2, s3] = [new Sub('foo'), new Sub('bar'), new Sub('baz')];
      for (const s of [s1, s2, s3]) sl.insert(s);
      sl.match('foo');
      sl.match('bar');
      sl.removeBatch(new Set([new Sub('not.inserted'), s1, s3]).values());
      assert.equal(sl.count(), 1);
      assert.equal(sl.cacheCount(), 0);
      assert.deepEqual(view(sl.match('bar')).p, ['bar']);
      assert.equal(sl.match('foo').psubs.length, 0);
      assert.equal(sl.match('baz').psubs.length, 0);
      assert.equal(sl.stats().num_removes, 2);
    });

    it('hasInterest follows the same rules as match', () => {
      const sl = mk();
      const checks: [string, string[], boolean][] = [
        ['foo.*', ['foo', 'foo.bar.baz'], false],
        ['foo.*', ['foo.bar'], true],
        ['foo.>', ['foo'], false],
        ['foo.>', ['foo.bar', 'foo.bar.baz'], true],
        ['*.>', ['foo'], false],
        ['*.>', ['foo.bar', 'foo.baz'], true],
        ['*.bar', ['foo', 'foo.baz'], false],
        ['*.bar', ['foo.bar'], true],
        ['*', ['foo'], true],
        ['*', ['foo.bar'], false],
      ];
      for (const [subject, subjects, want] of checks) {
        for (const queue of [null, 'q']) {
          const s = new Sub(subject, queue);
          sl.insert(s);
          for (const t of subjects) assert.equal(sl.hasInterest(t), want, `${subject} ${queue} vs ${t}`);
          sl.remove(s);
          for (const t of subjects) assert.equal(sl.hasInterest(t), false);
        }
      }
      // an intermediate node without subscriptions is not interest
      sl.insert(new Sub('foo.bar.baz'));
      assert.equal(sl.hasInterest('foo.bar'), false);
      assert.equal(sl.hasInterest('foo'), false);
      assert.equal(sl.hasInterest('foo..baz'), false);
    });

    it('stats without matches', () => {
      const sl = mk();
      sl.insert(new Sub('foo'));
      sl.insert(new Sub('bar'));
      sl.match('a.b.c');
      sl.match('bar');
      const st = sl.stats();
      assert.equal(st.num_subscriptions, 2);
      assert.equal(st.num_inserts, 2);
      assert.equal(st.num_matches, 2);
      assert.equal(st.num_cache, cacheOn ? 2 : 0);
      assert.equal(sl.cacheCount(), cacheOn ? 2 : 0);
      assert.equal(st.cache_hit_rate, 0);
    });
  });
}

describe('Sublist cache', () => {
  it('cache hits return the identical result object', () => {
    const sl = new Sublist<Sub>();
    sl.insert(new Sub('foo.*'));
    const r1 = sl.match('foo.bar');
    assert.equal(sl.match('foo.bar'), r1);
    assert.equal(sl.cacheCount(), 1);
  });

  it('an insert extends matching cached results with a copy and leaves others alone', () => {
    const sl = new Sublist<Sub>();
    sl.insert(new Sub('foo.*'));
    sl.insert(new Sub('foo.bar'));
    const rBaz = sl.match('foo.baz');
    const rBar = sl.match('foo.bar');
    const rOther = sl.match('other.subject');
    assert.equal(rBaz.psubs.length, 1);
    assert.equal(rBar.psubs.length, 2);
    const gt = new Sub('foo.>');
    sl.insert(gt);
    assert.equal(sl.cacheCount(), 3);
    const rBar2 = sl.match('foo.bar');
    assert.notEqual(rBar2, rBar);
    assert.equal(rBar2.psubs.length, 3);
    assert.equal(rBar.psubs.length, 2, 'old result not mutated');
    assert.equal(sl.match('foo.baz').psubs.length, 2);
    assert.equal(sl.match('other.subject'), rOther, 'unrelated entry kept as is');
    // literal insert touches only its own key
    sl.insert(new Sub('foo.baz', 'q'));
    assert.deepEqual(view(sl.match('foo.baz')), { p: ['foo.*', 'foo.>'], q: ['q: foo.baz q:q'] });
    assert.equal(sl.match('foo.bar').psubs.length, 3);
    // a queue member joins an existing cached group
    sl.insert(new Sub('foo.*', 'q'));
    assert.deepEqual(view(sl.match('foo.baz')).q, ['q: foo.* q:q, foo.baz q:q']);
    assert.equal(sl.stats().num_matches, 9);
  });

  it('a remove drops exactly the cached results it matched', () => {
    const sl = new Sublist<Sub>();
    const wc = new Sub('foo.*');
    const lit = new Sub('foo.bar');
    sl.insert(wc);
    sl.insert(lit);
    sl.insert(new Sub('baz'));
    for (const s of ['foo.bar', 'foo.baz', 'baz', 'nothing']) sl.match(s);
    assert.equal(sl.cacheCount(), 4);
    sl.remove(lit);
    assert.equal(sl.cacheCount(), 3);
    assert.deepEqual(view(sl.match('foo.bar')).p, ['foo.*']);
    sl.remove(wc);
    assert.equal(sl.cacheCount(), 2); // foo.bar and foo.baz gone
    assert.equal(sl.match('foo.bar'), EMPTY_RESULT);
    assert.equal(sl.match('foo.baz'), EMPTY_RESULT);
  });

  it('a full cycle leaves the cache empty (Go TestSublistCache)', () => {
    const sl = new Sublist<Sub>();
    const subject = 'a.b.c.d';
    const sub = new Sub(subject);
    const psub = new Sub('a.b.*.d');
    const fsub = new Sub('a.b.>');
    sl.insert(sub);
    assert.equal(sl.match(subject).psubs.length, 1);
    sl.insert(psub);
    sl.insert(fsub);
    assert.equal(sl.match(subject).psubs.length, 3);
    sl.remove(sub);
    sl.remove(fsub);
    sl.remove(psub);
    assert.equal(sl.count(), 0);
    assert.equal(sl.cacheCount(), 0);
  });

  it('stays bounded', () => {
    const sl = new Sublist<Sub>();
    sl.insert(new Sub('>'));
    for (let i = 0; i < 2 * CACHE_MAX + 7; i++) {
      sl.match(`foo-${i}`);
      assert.ok(sl.cacheCount() <= CACHE_MAX);
    }
    assert.ok(sl.cacheCount() >= 256);
    // the newest entries survive a sweep
    const r = sl.match(`foo-${2 * CACHE_MAX + 6}`);
    assert.equal(sl.match(`foo-${2 * CACHE_MAX + 6}`), r);
  });

  it('does not cache subjects with empty tokens', () => {
    const sl = new Sublist<Sub>();
    sl.insert(new Sub('>'));
    sl.match('foo..bar');
    sl.match('.x');
    assert.equal(sl.cacheCount(), 0);
    assert.equal(sl.stats().num_matches, 2);
  });

  it('cache off never caches', () => {
    const sl = new Sublist<Sub>(false);
    assert.equal(sl.cacheEnabled(), false);
    sl.insert(new Sub('foo'));
    sl.match('foo');
    sl.match('foo');
    sl.removeBatch([new Sub('bar')]);
    sl.match('foo');
    assert.equal(sl.cacheCount(), 0);
    assert.equal(sl.cacheEnabled(), false);
    const st = sl.stats();
    assert.equal(st.num_cache, 0);
    assert.equal(st.cache_hit_rate, 0);
    assert.equal(st.max_fanout, 0);
    assert.equal(st.avg_fanout, 0);
  });
});

describe('Sublist stats (Go SublistStats)', () => {
  it('cache hit rate counts match calls (Go TestSublistAddCacheHitRate)', () => {
    const a = new Sublist<Sub>();
    a.insert(new Sub('foo'));
    for (let i = 0; i < 4; i++) a.match('foo');
    assert.equal(a.stats().cache_hit_rate, 0.75);
    const b = new Sublist<Sub>();
    b.insert(new Sub('bar'));
    for (let i = 0; i < 4; i++) b.match('bar');
    const sum = Sublist.sumStats([a, b]);
    assert.equal(sum.cache_hit_rate, 0.75);
    assert.equal(sum.num_matches, 8);
    assert.equal(sum.num_subscriptions, 2);
    assert.equal(sum.num_cache, 2);
  });

  it('hasInterest uses the cache, counting hits but not matches (Go TestSublistHasInterest)', () => {
    const sl = new Sublist<Sub>();
    sl.insert(new Sub('foo'));
    assert.equal(sl.hasInterest('foo'), true);
    assert.equal(sl.hasInterest('bar'), false);
    assert.equal(sl.cacheCount(), 0, 'hasInterest does not fill the cache');
    sl.match('foo');
    for (let i = 0; i < 5; i++) assert.equal(sl.hasInterest('foo'), true);
    assert.equal(sl.stats().cache_hit_rate, 5); // 5 hits over 1 match, as Go computes it
    sl.match('bar');
    assert.equal(sl.hasInterest('bar'), false); // negative result is cached too
    assert.equal(sl.stats().cache_hit_rate, 3);
  });

  it('fan-out is measured over cached results, queue groups counted once', () => {
    const sl = new Sublist<Sub>();
    sl.insert(new Sub('foo'));
    sl.insert(new Sub('*'));
    sl.insert(new Sub('>', 'q'));
    sl.insert(new Sub('*', 'q'));
    sl.insert(new Sub('foo', 'r'));
    sl.match('foo'); // 2 plain + groups q, r = 4
    sl.match('bar'); // 1 plain + group q = 2
    sl.match('x.y'); // group q = 1
    sl.match('x..y'); // not cached
    const st = sl.stats();
    assert.equal(st.num_cache, 3);
    assert.equal(st.max_fanout, 4);
    assert.equal(st.avg_fanout, 7 / 3);
    assert.equal(st.num_inserts, 5);
    assert.equal(st.num_matches, 4);
    assert.deepEqual(Object.keys(st), [
      'num_subscriptions',
      'num_cache',
      'num_inserts',
      'num_removes',
      'num_matches',
      'cache_hit_rate',
      'max_fanout',
      'avg_fanout',
    ]);
  });
});

describe('Sublist randomized against a naive matcher', () => {
  // spread: chance of a rare token, which pushes the cache past its bound
  for (const [seed, spread] of [[1, 0.04], [2, 0.04], [3, 0.04], [42, 0.6], [2024, 0.6]]) {
    it(`seed ${seed}`, () => {
      const rand = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
      const lits = ['a', 'b', 'c', 'a*', '*a'];
      const subSubject = (): string => {
        const n = 1 + Math.floor(rand() * 4);
        const t: string[] = [];
        for (let i = 0; i < n; i++) {
          const r = rand();
          if (i === n - 1 && r < 0.15) t.push('>');
          else if (r < 0.35) t.push('*');
          else t.push(pick(lits));
        }
        return t.join('.');
      };
      const pubSubject = (): string => {
        if (rand() < 0.02) return pick(['', 'a..b', '.a', 'a.']);
        const n = 1 + Math.floor(rand() * 5);
        const t: string[] = [];
        for (let i = 0; i < n; i++) {
          const r = rand();
          if (r < 0.05) t.push('*');
          else if (r < 0.08) t.push('>');
          else if (r < 0.08 + spread) t.push(`n${Math.floor(rand() * 3000)}`);
          else t.push(pick(lits));
        }
        return t.join('.');
      };
      const cached = new Sublist<Sub>(true);
      const plain = new Sublist<Sub>(false);
      const live = new Set<Sub>();
      const held: { r: SublistResult<Sub>; snap: { p: string[]; q: string[] } }[] = [];
      for (let step = 0; step < 6000; step++) {
        // wide-spread seeds alternate with match-only stretches, long enough to overflow the cache
        const r = spread > 0.1 && step % 2000 >= 400 ? 1 : rand();
        if (r < 0.25) {
          const s = new Sub(subSubject(), rand() < 0.3 ? pick(['q1', 'q2', 'q3']) : null, `s${step}`);
          assert.equal(cached.insert(s), true);
          assert.equal(plain.insert(s), true);
          live.add(s);
        } else if (r < 0.27 && live.size > 0) {
          const s = pick([...live]); // duplicate insert
          assert.equal(cached.insert(s), true);
          plain.insert(s);
        } else if (r < 0.42 && live.size > 0) {
          const s = pick([...live]);
          assert.equal(cached.remove(s), true);
          assert.equal(plain.remove(s), true);
          live.delete(s);
        } else if (r < 0.44) {
          const s = new Sub(subSubject());
          assert.equal(cached.remove(s), false);
          assert.equal(plain.remove(s), false);
        } else if (r < 0.45 && live.size > 0) {
          const batch = [...live].filter(() => rand() < 0.3);
          cached.removeBatch(batch);
          plain.removeBatch(batch);
          for (const s of batch) live.delete(s);
        } else {
          const subj = pubSubject();
          const want = naiveView(live, subj);
          const rc = cached.match(subj);
          assert.deepEqual(view(rc), want, `cached match ${subj} at step ${step}`);
          assert.deepEqual(view(plain.match(subj)), want, `uncached match ${subj} at step ${step}`);
          const interest = want.p.length + want.q.length > 0;
          assert.equal(cached.hasInterest(subj), interest);
          assert.equal(plain.hasInterest(subj), interest);
          if (rand() < 0.05) held.push({ r: rc, snap: view(rc) });
        }
        assert.equal(cached.count(), live.size);
        assert.ok(cached.cacheCount() <= CACHE_MAX);
      }
      for (const h of held) assert.deepEqual(view(h.r), h.snap, 'a handed-out result was mutated');
      assert.equal(plain.count(), live.size);
      assert.equal(cached.all([]).length, live.size);
      assert.ok(cached.stats().cache_hit_rate > 0);
    });
  }
});
