// Subject transforms and account mappings: cases and expected values follow
// Go server/subject_transform_test.go (TestSubjectTransforms) and the code of
// subject_transform.go / accounts.go; error texts are Go's errors.go values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTransform,
  fnv1a32,
  tokenizeInto,
  tokensMatch,
  transformTokenize,
  validateMapping,
  ERR_BAD_SUBJECT,
  ERR_MAPPING_DESTINATION_INDEX_OUT_OF_RANGE,
  ERR_MAPPING_DESTINATION_INVALID_ARG,
  ERR_MAPPING_DESTINATION_NOT_ENOUGH_ARGS,
  ERR_MAPPING_DESTINATION_NOT_SUPPORTED_FOR_IMPORT,
  ERR_MAPPING_DESTINATION_NOT_USING_ALL_WILDCARDS,
  ERR_MAPPING_DESTINATION_TOO_MANY_ARGS,
  ERR_UNKNOWN_MAPPING_DESTINATION_FUNCTION,
  ERR_INVALID_MAPPING_DESTINATION_SUBJECT,
} from '../../src/sublist/transform.js';
import { AccountMappings } from '../../src/accounts/mappings.js';
import { Account } from '../../src/accounts/account.js';
import type { MappingSpec } from '../../src/config/options.js';

function map(src: string, dest: string, subject: string): string | null {
  return compileTransform(src, dest).apply(subject);
}

function err(src: string, dest: string, strict = false): string {
  try {
    compileTransform(src, dest, strict);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('error texts', () => {
  it('Go errors.go messages, with the offending token', () => {
    assert.equal(ERR_MAPPING_DESTINATION_INDEX_OUT_OF_RANGE, 'invalid mapping destination: wildcard index out of range');
    assert.equal(ERR_UNKNOWN_MAPPING_DESTINATION_FUNCTION, 'invalid mapping destination: unknown function');
    assert.equal(ERR_MAPPING_DESTINATION_NOT_ENOUGH_ARGS, 'invalid mapping destination: not enough arguments passed to the function');
    assert.equal(ERR_MAPPING_DESTINATION_TOO_MANY_ARGS, 'invalid mapping destination: too many arguments passed to the function');
    assert.equal(ERR_MAPPING_DESTINATION_INVALID_ARG, 'invalid mapping destination: function argument is invalid or in the wrong format');
    assert.equal(ERR_MAPPING_DESTINATION_NOT_USING_ALL_WILDCARDS, 'invalid mapping destination: not using all of the token wildcard(s)');
    assert.equal(ERR_INVALID_MAPPING_DESTINATION_SUBJECT, 'invalid mapping destination: invalid transform');
    assert.equal(
      ERR_MAPPING_DESTINATION_NOT_SUPPORTED_FOR_IMPORT,
      'invalid mapping destination: the only mapping function allowed for import transforms is {{Wildcard()}}',
    );
  });

  it('invalid source or destination subjects', () => {
    assert.equal(err('foo..', 'bar'), ERR_BAD_SUBJECT);
    assert.equal(err('foo.*', 'bar.*'), ERR_BAD_SUBJECT); // no wildcards in the destination
    assert.equal(err('foo.*', 'bar.$1.>'), ERR_BAD_SUBJECT); // '>' must be on both sides
    assert.equal(err('foo.>', 'bar.baz'), ERR_BAD_SUBJECT);
    assert.equal(err('foo.>.bar', 'x.>'), ERR_BAD_SUBJECT);
  });

  it('wildcard index out of range', () => {
    assert.equal(err('foo.*', 'bar.$2'), 'invalid mapping destination: wildcard index out of range in $2: [2]');
    assert.equal(err('foo.*', 'foo.{{wildcard(2)}}'), 'invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]');
    assert.equal(err('foo.*', 'p.{{partition(3,1,2)}}'), 'invalid mapping destination: wildcard index out of range in {{partition(3,1,2)}}: [2]');
    // a literal source has no wildcards to take: the token alone is named
    assert.equal(err('foo', 'bla.{{wildcard(1)}}'), 'invalid mapping destination: wildcard index out of range in {{wildcard(1)}}');
    assert.equal(err('foo', 'bla.$1'), 'invalid mapping destination: wildcard index out of range in $1');
    assert.equal(err('foo', 'bla.{{splitfromleft(1,1)}}'), 'invalid mapping destination: wildcard index out of range in {{splitfromleft(1,1)}}');
  });

  it('unknown functions and malformed calls', () => {
    assert.equal(err('foo.*', 'foo.{{unimplemented(1)}}'), 'invalid mapping destination: unknown function in {{unimplemented(1)}}');
    assert.equal(err('foo.*', 'foo.{{ wildcard5) }}'), 'invalid mapping destination: unknown function in {{ wildcard5) }}');
    assert.equal(err('foo.*', 'foo.{{splitLeft(2,2}}'), 'invalid mapping destination: unknown function in {{splitLeft(2,2}}');
    // Go's patterns accept either case only at the camel-case letters
    assert.equal(err('*', '{{SPLITFROMLEFT(1,1)}}'), 'invalid mapping destination: unknown function in {{SPLITFROMLEFT(1,1)}}');
    assert.equal(err('*', '{{WILDCARD(1)}}'), 'invalid mapping destination: unknown function in {{WILDCARD(1)}}');
  });

  it('argument counts and formats', () => {
    assert.equal(err('foo.*', 'foo.{{wildcard()}}'), 'invalid mapping destination: not enough arguments passed to the function in {{wildcard()}}');
    assert.equal(err('foo.*', 'foo.{{wildcard(1,2)}}'), 'invalid mapping destination: too many arguments passed to the function in {{wildcard(1,2)}}');
    assert.equal(err('foo.*', 'foo.{{wildcard(foo)}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{wildcard(foo)}}');
    // partition() and random() with nothing in the parentheses: Go reports the empty argument as invalid
    assert.equal(err('foo.*', 'foo.{{partition()}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{partition()}}');
    assert.equal(err('foo.*', 'foo.{{random()}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{random()}}');
    assert.equal(err('foo.*', 'foo.{{random(1,2)}}'), 'invalid mapping destination: not enough arguments passed to the function in {{random(1,2)}}');
    assert.equal(err('foo.*', 'foo.{{partition(2147483648)}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{partition(2147483648)}}');
    assert.equal(err('foo.*', 'foo.{{random(2147483648)}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{random(2147483648)}}');
    assert.equal(err('foo.*', 'foo.{{partition(2,x)}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{partition(2,x)}}');
    assert.equal(err('*', '{{splitFromLeft(1)}}'), 'invalid mapping destination: not enough arguments passed to the function in {{splitFromLeft(1)}}');
    assert.equal(err('*', '{{sliceFromRight(1,2,3)}}'), 'invalid mapping destination: too many arguments passed to the function in {{sliceFromRight(1,2,3)}}');
    assert.equal(err('*', '{{left(1,2147483648)}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{left(1,2147483648)}}');
    assert.equal(err('*', '{{right(x,1)}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{right(x,1)}}');
    assert.equal(err('*', '{{split(1)}}'), 'invalid mapping destination: not enough arguments passed to the function in {{split(1)}}');
    assert.equal(err('*', '{{split(1,-,+)}}'), 'invalid mapping destination: too many arguments passed to the function in {{split(1,-,+)}}');
    assert.equal(err('*', '{{split(1,a b)}}'), 'invalid mapping destination: function argument is invalid or in the wrong format in {{split(1,a b)}}');
  });

  it('strict (import) transforms', () => {
    assert.equal(err('foo.*.*', 'bar.$2', true), 'invalid mapping destination: not using all of the token wildcard(s) in bar.$2');
    assert.equal(
      err('foo.*', 'bar.{{Partition(2,1)}}', true),
      'invalid mapping destination: the only mapping function allowed for import transforms is {{Wildcard()}} in {{Partition(2,1)}}',
    );
    assert.equal(err('foo.*', 'foo.$foo', true), 'invalid mapping destination: not using all of the token wildcard(s) in foo.$foo');
    assert.equal(compileTransform('foo.*', 'bar.{{Wildcard(1)}}', true).apply('foo.x'), 'bar.x');
  });
});

describe('compiles what Go accepts', () => {
  it('shouldBeOK cases', () => {
    for (const [s, d] of [
      ['foo.*.*', 'bar.$2'],
      ['foo.*.*', 'bar.{{wildcard(1)}}'],
      ['foo.*.*', 'bar.{{partition(1)}}'],
      ['foo.*.*', 'bar.{{random(5)}}'],
      ['foo', 'bar'],
      ['foo.*.bar.*.baz', 'req.$2.$1'],
      ['baz.>', 'mybaz.>'],
      ['*', '{{splitfromleft(1,1)}}'],
      ['', 'prefix.>'],
      ['*.*', '{{partition(10,1,2)}}'],
      ['foo.*.*', 'foo.{{wildcard(1)}}.{{wildcard(2)}}.{{partition(5,1,2)}}'],
      ['foo.*', 'foo.{{partition(2147483647)}}'],
      ['foo.*', 'foo.{{random(2147483647)}}'],
      ['foo.bar', 'foo.{{random(2147483647)}}'],
      ['foo.bar', 'baz.{{partition(10)}}'],
    ]) {
      assert.doesNotThrow(() => compileTransform(s, d), `${s} -> ${d}`);
    }
  });
});

describe('apply', () => {
  it('literal, wildcard and > mappings', () => {
    assert.equal(map('', 'prefix.>', 'foo'), 'prefix.foo');
    assert.equal(map('foo', '', 'foo'), 'foo');
    assert.equal(map('foo', 'bar', 'foo'), 'bar');
    assert.equal(map('foo.*.bar.*.baz', 'req.$2.$1', 'foo.A.bar.B.baz'), 'req.B.A');
    assert.equal(map('foo.*.bar.*.baz', 'req.{{wildcard(2)}}.{{wildcard(1)}}', 'foo.A.bar.B.baz'), 'req.B.A');
    assert.equal(map('baz.>', 'my.pre.>', 'baz.1.2.3'), 'my.pre.1.2.3');
    assert.equal(map('baz.>', 'foo.bar.>', 'baz.1.2.3'), 'foo.bar.1.2.3');
    assert.equal(map('*', 'foo.bar.$1', 'foo'), 'foo.bar.foo');
    assert.equal(map('*.>', '$1.x.>', 'a.b.c'), 'a.x.b.c');
    assert.equal(map('foo.*', 'one.two.{{wildcard(1)}}', 'foo.x'), 'one.two.x');
    // $0 and unknown indexes read the first token, as Go's map lookup does
    assert.equal(map('foo.*', 'x.$0', 'foo.bar'), 'x.foo');
    // a '$' token that is not a number stays literal
    assert.equal(map('foo.*', 'x.$foo.$1', 'foo.bar'), 'x.$foo.bar');
  });

  it('whitespace and case tolerance in function tokens', () => {
    assert.equal(map('*.*', '{{ Partition (10, 1, 2) }}', 'foo.bar'), '0');
    assert.equal(map('*', '{{ wildcard( 1 ) }}', 'x'), 'x');
    assert.equal(map('*', '{{SplitFromLeft(1,2)}}', 'abcd'), 'ab.cd');
    assert.equal(map('*', '{{splitfromleft(1,2)}}', 'abcd'), 'ab.cd');
    assert.equal(map('*', '{{SplitfromLeft(1,2)}}', 'abcd'), 'ab.cd');
  });

  it('returns null for subjects that do not match or are not literal', () => {
    const tr = compileTransform('foo.*', 'bar.$1');
    assert.equal(tr.apply('foo'), null);
    assert.equal(tr.apply('foo.a.b'), null);
    assert.equal(tr.apply('bar.a'), null);
    assert.equal(tr.apply('foo.*'), null);
    assert.equal(tr.apply('foo..'), null);
    assert.equal(compileTransform('foo.>', 'bar.>').apply('foo'), null);
    assert.equal(compileTransform('foo.>', 'bar.>').apply('foo.a.b'), 'bar.a.b');
  });

  it('splitFromLeft / splitFromRight', () => {
    assert.equal(map('*', '{{splitfromleft(1,3)}}', '12345'), '123.45');
    assert.equal(map('*', '{{SplitFromRight(1,3)}}', '12345'), '12.345');
    // position outside (0, len): the token is kept whole
    assert.equal(map('*', '{{splitFromLeft(1,5)}}', '12345'), '12345');
    assert.equal(map('*', '{{splitFromLeft(1,0)}}', '12345'), '12345');
    assert.equal(map('*', '{{splitFromRight(1,-1)}}', '12345'), '12345');
  });

  it('sliceFromLeft / sliceFromRight', () => {
    assert.equal(map('*', '{{SliceFromLeft(1,3)}}', '1234567890'), '123.456.789.0');
    assert.equal(map('*', '{{SliceFromRight(1,3)}}', '1234567890'), '1.234.567.890');
    assert.equal(map('*', '{{SliceFromLeft(1,2)}}', '123456'), '12.34.56');
    assert.equal(map('*', '{{SliceFromRight(1,2)}}', '123456'), '12.34.56');
    assert.equal(map('*', '{{SliceFromLeft(1,6)}}', '123456'), '123456');
    assert.equal(map('a.*', 'b.{{SliceFromLeft(1,4)}}.c', 'a.1234567'), 'b.1234.567.c');
  });

  it('split', () => {
    assert.equal(map('*', '{{split(1,-)}}', '-abc-def--ghi-'), 'abc.def.ghi');
    assert.equal(map('*', '{{split(1,-)}}', 'abc-def--ghi-'), 'abc.def.ghi');
    assert.equal(map('*.*', '{{split(2,-)}}.{{splitfromleft(1,2)}}', 'foo.-abc-def--ghij-'), 'abc.def.ghij.fo.o');
    assert.equal(map('*', '{{split(1,ab)}}', 'xabyabz'), 'x.y.z');
    assert.equal(map('*', '{{split(1,-)}}', 'nodelim'), 'nodelim');
    // an empty delimiter splits into characters (UTF-8 sequences) as Go's strings.Split does
    assert.equal(map('*', '{{split(1,)}}', 'abc'), 'a.b.c');
    const e = Buffer.from('é', 'utf8').toString('latin1');
    assert.equal(map('*', '{{split(1,)}}', `a${e}`), `a.${e}`);
  });

  it('left / right', () => {
    assert.equal(map('*', '{{right(1,1)}}', '1234'), '4');
    assert.equal(map('*', '{{right(1,3)}}', '1234'), '234');
    assert.equal(map('*', '{{right(1,6)}}', '1234'), '1234');
    assert.equal(map('*', '{{left(1,1)}}', '1234'), '1');
    assert.equal(map('*', '{{left(1,3)}}', '1234'), '123');
    assert.equal(map('*', '{{left(1,6)}}', '1234'), '1234');
    assert.equal(map('*', '{{Left(1,0)}}', '1234'), '1234');
  });

  it('random', () => {
    assert.equal(map('*', 'bar.{{random(0)}}', 'qux'), 'bar.0');
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) seen.add(map('*', 'bar.{{random(6)}}', 'qux')!);
    assert.deepEqual([...seen].sort(), ['bar.0', 'bar.1', 'bar.2', 'bar.3', 'bar.4', 'bar.5']);
    assert.match(map('foo.bar', 'x.{{random(3)}}', 'foo.bar')!, /^x\.[012]$/);
  });

  it('transformTokenize', () => {
    assert.equal(transformTokenize('foo.*.*'), 'foo.$1.$2');
    assert.equal(transformTokenize('*.bar.>'), '$1.bar.>');
  });
});

describe('partition (FNV-1a 32, as Go hash/fnv)', () => {
  it('FNV-1a reference vectors', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    // continuing a hash over pieces equals hashing their concatenation
    assert.equal(fnv1a32('bar', fnv1a32('foo')), 0xbf9cf968);
  });

  it('token positions hash the tokens concatenated with no separator', () => {
    // "foo" + "bar" = "foobar" -> 0xbf9cf968 = 3214735720
    assert.equal(map('*.*', 'p.{{partition(10,1,2)}}', 'foo.bar'), 'p.0');
    assert.equal(map('*.*', 'p.{{partition(3,1,2)}}', 'foo.bar'), 'p.1');
    assert.equal(map('*.*', 'p.{{partition(16,1,2)}}', 'foo.bar'), 'p.8');
    // order matters: "barfoo"
    assert.equal(map('*.*', 'p.{{partition(1000,2,1)}}', 'foo.bar'), `p.${fnv1a32('barfoo') % 1000}`);
    // index 0 (no such wildcard) reads the first token, as in Go
    assert.equal(map('*', 'bar.{{partition(10, 0)}}', 'foo'), 'bar.3');
  });

  it('partition(n) hashes the whole subject (Go TestSubjectTransforms values)', () => {
    assert.equal(map('*', 'bar.{{partition(0)}}', 'baz'), 'bar.0');
    assert.equal(map('*.*', 'bar.{{partition(10)}}', 'foo.bar'), 'bar.6');
    assert.equal(map('*', 'bar.{{partition(10)}}', 'foo'), 'bar.3');
    assert.equal(map('*', 'bar.{{partition(10)}}', 'baz'), 'bar.0');
    assert.equal(map('*', 'bar.{{partition(10)}}', 'qux'), 'bar.9');
    assert.equal(map('foo.bar', 'baz.{{partition(10)}}', 'foo.bar'), 'baz.6');
    assert.equal(map('foo.baz', 'qux.{{partition(10)}}', 'foo.baz'), 'qux.4');
    assert.equal(map('test.subject', 'result.{{partition(5)}}', 'test.subject'), 'result.0');
    assert.equal(map('foo.bar', 'baz.{{partition(10)}}', 'foo.bar'), `baz.${fnv1a32('foo.bar') % 10}`);
  });

  it('a literal source drops partition token positions and hashes the whole subject', () => {
    assert.equal(map('foo.bar', 'baz.{{partition(10,1)}}', 'foo.bar'), 'baz.6');
  });
});

describe('validateMapping (account mapping checks)', () => {
  function verr(src: string, dest: string): string {
    try {
      validateMapping(src, dest);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  }
  it('rejects what Go ValidateMapping rejects', () => {
    assert.equal(verr('foo', 'bar..baz'), 'invalid mapping destination: invalid transform');
    assert.equal(verr('foo.>', 'bar.>.baz'), 'invalid mapping destination: invalid transform in baz');
    assert.equal(verr('foo', 'bar\tbaz'), 'invalid mapping destination: invalid transform');
    assert.equal(verr('*', '{{nope(1)}}'), 'invalid mapping destination: unknown function in {{nope(1)}}');
    // Go's ValidateMapping does not list left() and right(): account mappings refuse them
    assert.equal(verr('*', '{{left(1,2)}}'), 'invalid mapping destination: unknown function in {{left(1,2)}}');
    assert.equal(verr('*', '{{right(1,2)}}'), 'invalid mapping destination: unknown function in {{right(1,2)}}');
    assert.equal(verr('foo.*', 'bar.$2'), 'invalid mapping destination: wildcard index out of range in $2: [2]');
    assert.equal(verr('foo.*', 'bar.{{wildcard(1)}}'), 'no error');
    assert.equal(verr('foo.*', 'bar.{{ partition(3, 1) }}'), 'no error');
  });
});

describe('tokens', () => {
  it('tokenizeInto reuses the array and tokensMatch follows Go subset matching', () => {
    const t: string[] = ['stale', 'stale', 'stale', 'stale'];
    const n = tokenizeInto('a.b', t);
    assert.equal(n, 2);
    assert.deepEqual(t.slice(0, n), ['a', 'b']);
    assert.equal(tokensMatch(t, n, ['a', '*']), true);
    assert.equal(tokensMatch(t, n, ['a', '*', 'stale']), false);
    assert.equal(tokensMatch(t, n, ['>']), true);
    assert.equal(tokensMatch(t, n, ['a']), false);
    const w: string[] = [];
    assert.equal(tokensMatch(w, tokenizeInto('a.*', w), ['a', '*']), true);
    assert.equal(tokensMatch(w, tokenizeInto('a.*', w), ['a', 'b']), false);
    assert.equal(tokensMatch(w, tokenizeInto('a.>', w), ['a', '*']), false);
  });
});

describe('account mappings (Go AddWeightedMappings / selectMappedSubject)', () => {
  const spec = (source: string, ...dests: [string, number, string?][]): MappingSpec => ({
    source,
    dests: dests.map(([subject, weight, cluster]) => (cluster ? { subject, weight, cluster } : { subject, weight })),
  });
  function addErr(...specs: MappingSpec[]): string {
    try {
      new AccountMappings(specs);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  }

  it('single destination, wildcard reorder, no match', () => {
    const m = new AccountMappings([spec('foo', ['bar', 100]), spec('a.*.*', ['b.$2.$1', 100])]);
    assert.equal(m.select('foo'), 'bar');
    assert.equal(m.select('a.1.2'), 'b.2.1');
    assert.equal(m.select('a.1'), null);
    assert.equal(m.select('other'), null);
  });

  it('config errors name the mapping', () => {
    assert.equal(addErr(spec('foo.*', ['bar.$2', 100])), 'Error adding mapping for "foo.*" to "bar.$2" : invalid mapping destination: wildcard index out of range in $2: [2]');
    assert.equal(addErr(spec('foo', ['a', 60], ['b', 50])), 'Error adding mapping for "foo" : total weight needs to be <= 100');
    assert.equal(addErr(spec('foo', ['a', 101])), 'Error adding mapping for "foo" : individual weights need to be <= 100');
    assert.equal(addErr(spec('foo', ['a', 50], ['a', 50])), 'Error adding mapping for "foo" : duplicate entry for "a"');
    assert.equal(addErr(spec('foo..bar', ['a', 100])), 'Error adding mapping for "foo..bar" to "a" : invalid subject');
    assert.equal(addErr(spec('foo.*', ['{{left(1,2)}}', 100])), 'Error adding mapping for "foo.*" to "{{left(1,2)}}" : invalid mapping destination: unknown function in {{left(1,2)}}');
    // weights are counted per cluster
    assert.equal(addErr(spec('foo', ['a', 60], ['b', 60, 'c1'])), 'no error');
    assert.equal(addErr(spec('foo', ['a', 60, 'c1'], ['b', 60, 'c1'])), 'Error adding mapping for "foo" : total weight needs to be <= 100');
  });

  it('an Account compiles its mappings from its config entry', () => {
    const a = new Account('A', false);
    assert.equal(a.mappings, null);
    a.configure({ name: 'A', limits: {}, exports: [], imports: [], mappings: [spec('x', ['y', 100])] });
    assert.equal(a.mappings!.select('x'), 'y');
    a.configure({ name: 'A', limits: {}, exports: [], imports: [], mappings: [] });
    assert.equal(a.mappings, null);
    assert.throws(() => a.setMappings([spec('x', ['y.$1', 100])]), { name: 'ConfigError', message: /Error adding mapping for "x" to "y.\$1"/ });
  });

  it('weights: 50/50 split, and a remainder that keeps the original subject', () => {
    const m = new AccountMappings([spec('w', ['w.a', 50], ['w.b', 50]), spec('r', ['r.a', 30])]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      for (const s of ['w', 'r']) {
        const d = m.select(s)!;
        counts.set(d, (counts.get(d) ?? 0) + 1);
      }
    }
    assert.deepEqual([...counts.keys()].sort(), ['r', 'r.a', 'w.a', 'w.b']);
    assert.ok(Math.abs(counts.get('w.a')! - 2000) < 300, `w.a ${counts.get('w.a')}`);
    assert.ok(Math.abs(counts.get('r.a')! - 1200) < 300, `r.a ${counts.get('r.a')}`);
    assert.ok(Math.abs(counts.get('r')! - 2800) < 300, `r ${counts.get('r')}`);
  });

  it('listing the source itself under 100 drops the remainder', () => {
    const m = new AccountMappings([spec('d', ['d', 50])]);
    const seen = new Set<string | null>();
    for (let i = 0; i < 500; i++) seen.add(m.select('d'));
    assert.deepEqual([...seen].sort(), ['', 'd']);
  });

  it('a wildcard source under 100 keeps the subject for the remainder', () => {
    const m = new AccountMappings([spec('k.*', ['k.$1.x', 20])]);
    const seen = new Set<string | null>();
    for (let i = 0; i < 500; i++) seen.add(m.select('k.1'));
    assert.deepEqual([...seen].sort(), ['k.1', 'k.1.x']);
  });

  it('cluster-scoped destinations do not apply on a server outside that cluster', () => {
    const none = new AccountMappings([spec('c', ['c.east', 100, 'east'])]);
    for (let i = 0; i < 50; i++) assert.equal(none.select('c'), 'c');
    const mixed = new AccountMappings([spec('c', ['c.any', 100], ['c.east', 100, 'east'])]);
    assert.equal(mixed.select('c'), 'c.any');
    const east = new AccountMappings([spec('c', ['c.any', 100], ['c.east', 100, 'east'])], 'east');
    assert.equal(east.select('c'), 'c.east');
  });

  it('first matching mapping wins, in configuration order', () => {
    const m = new AccountMappings([spec('a.*', ['first.$1', 100]), spec('a.>', ['second.>', 100])]);
    assert.equal(m.select('a.b'), 'first.b');
    assert.equal(m.select('a.b.c'), 'second.b.c');
  });

  it('partition in a literal mapping hashes what Go has tokenised so far', () => {
    // Go selectMappedSubject tokenises only after a mapping fails a literal
    // match: a literal hit on the first mapping hashes the empty key
    // (0x811c9dc5 % 3 = 1); behind another mapping it hashes the subject.
    const first = new AccountMappings([spec('foo.bar', ['p.{{partition(3)}}', 100])]);
    assert.equal(first.select('foo.bar'), 'p.1');
    const second = new AccountMappings([spec('zzz', ['y', 100]), spec('foo.bar', ['p.{{partition(10)}}', 100])]);
    assert.equal(second.select('foo.bar'), 'p.6');
  });
});
