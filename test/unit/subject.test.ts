// Subject rules: verdicts follow Go server/sublist.go (and were spot-checked
// against the Go server: SUB "foo\fbar" is accepted, SUB "a.>.b" and "foo."
// get -ERR 'Invalid Subject', pedantic PUB "foo\fbar" gets no error).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isValidLiteralSubject,
  isValidPublishSubject,
  isValidQueueName,
  isValidSublistSubject,
  isValidSubject,
  matchLiteral,
  numTokens,
  subjectHasWildcard,
  subjectIsLiteral,
  subjectIsSubsetMatch,
  subjectMatchesFilter,
  subjectsCollide,
  tokenAt,
  tokenize,
} from '../../src/sublist/subject.js';

type Row = [subject: string, valid: boolean, literal: boolean, publish: boolean, sublist: boolean];

// subject, isValidSubject, isValidLiteralSubject, isValidPublishSubject, isValidSublistSubject
const TABLE: Row[] = [
  ['foo', true, true, true, true],
  ['foo.bar.baz', true, true, true, true],
  ['', false, false, false, false],
  ['.', false, false, false, false],
  ['.foo', false, false, false, false],
  ['foo.', false, false, false, false],
  ['foo..bar', false, false, false, false],
  ['foo.bar..baz', false, false, false, false],
  ['*', true, false, false, true],
  ['>', true, false, false, true],
  ['foo.*', true, false, false, true],
  ['foo.>', true, false, false, true],
  ['foo.*.>', true, false, false, true],
  ['*.*.*', true, false, false, true],
  ['>.bar', false, false, false, false],
  ['foo.>.bar', false, false, false, false],
  ['a.>.b', false, false, false, false],
  ['>.>', false, false, false, false],
  ['foo.>.', false, false, false, false],
  // wildcard characters inside longer tokens are plain characters
  ['foo*', true, true, true, true],
  ['foo**', true, true, true, true],
  ['foo.**', true, true, true, true],
  ['foo*bar', true, true, true, true],
  ['foo.*bar', true, true, true, true],
  ['foo*.bar', true, true, true, true],
  ['*bar', true, true, true, true],
  ['*a', true, true, true, true],
  ['a*', true, true, true, true],
  ['foo>', true, true, true, true],
  ['foo>>', true, true, true, true],
  ['foo.>>', true, true, true, true],
  ['foo>bar', true, true, true, true],
  ['foo.>bar', true, true, true, true],
  ['foo>.bar', true, true, true, true],
  ['>bar', true, true, true, true],
  ['>bar.baz', true, true, true, true],
  ['foo.*-', true, true, true, true],
  ['foo.>-', true, true, true, true],
  // whitespace: rejected by isValidSubject only (Go's literal and insert checks skip it)
  ['foo bar', false, true, false, true],
  ['foo\tbar', false, true, false, true],
  ['foo\nbar', false, true, false, true],
  ['foo\rbar', false, true, false, true],
  ['foo\fbar', false, true, false, true],
  [' ', false, true, false, true],
  ['foo. ', false, true, false, true],
  ['foo.\t.bar', false, true, false, true],
  ['foo. .>', false, false, false, true],
  // characters outside Go's whitespace set are fine
  ['foo\vbar', true, true, true, true],
  ['foo\u00a0bar', true, true, true, true],
  ['f\u00f6\u00f6.b\u00e4r', true, true, true, true],
  ['$JS.API.STREAM.INFO.x', true, true, true, true],
];

describe('subject validation', () => {
  for (const [subject, valid, literal, publish, sublist] of TABLE) {
    it(JSON.stringify(subject), () => {
      assert.equal(isValidSubject(subject), valid, 'isValidSubject');
      assert.equal(isValidLiteralSubject(subject), literal, 'isValidLiteralSubject');
      assert.equal(isValidPublishSubject(subject), publish, 'isValidPublishSubject');
      assert.equal(isValidSublistSubject(subject), sublist, 'isValidSublistSubject');
    });
  }
});

describe('wildcard detection', () => {
  const cases: [string, boolean][] = [
    ['foo', false],
    ['foo.bar', false],
    ['foo*.bar', false],
    ['*foo', false],
    ['foo.>bar', false],
    ['*', true],
    ['>', true],
    ['foo.*', true],
    ['foo.>', true],
    ['foo.*.>', true],
    ['foo.*.bar', true],
    ['*.bar', true],
    ['foo.bar.>', true],
    ['', false],
  ];
  for (const [s, wc] of cases) {
    it(JSON.stringify(s), () => {
      assert.equal(subjectHasWildcard(s), wc);
      assert.equal(subjectIsLiteral(s), !wc);
    });
  }
});

describe('tokens', () => {
  it('tokenize splits on dots, keeping empty tokens', () => {
    assert.deepEqual(tokenize('foo.bar.*'), ['foo', 'bar', '*']);
    assert.deepEqual(tokenize('foo'), ['foo']);
    assert.deepEqual(tokenize('a..b'), ['a', '', 'b']);
  });
  it('numTokens', () => {
    assert.equal(numTokens(''), 0);
    assert.equal(numTokens('foo'), 1);
    assert.equal(numTokens('foo.bar'), 2);
    assert.equal(numTokens('a.b.c.>'), 4);
    assert.equal(numTokens('a..'), 3);
  });
  it('tokenAt is one-based', () => {
    const s = 'foo.bar.baz.*';
    assert.equal(tokenAt(s, 0), '');
    assert.equal(tokenAt(s, 1), 'foo');
    assert.equal(tokenAt(s, 2), 'bar');
    assert.equal(tokenAt(s, 3), 'baz');
    assert.equal(tokenAt(s, 4), '*');
    assert.equal(tokenAt(s, 5), '');
    assert.equal(tokenAt('solo', 1), 'solo');
  });
});

describe('queue names', () => {
  it('Go does not check queue names beyond being present', () => {
    assert.equal(isValidQueueName('workers'), true);
    assert.equal(isValidQueueName('a.b.*'), true);
    assert.equal(isValidQueueName('_sys_'), true);
    assert.equal(isValidQueueName('q\fx'), true);
    assert.equal(isValidQueueName(''), false);
  });
});

describe('subjectIsSubsetMatch', () => {
  const cases: [string, string, boolean][] = [
    ['foo.bar', 'foo.bar', true],
    ['foo.*', '>', true],
    ['foo.*', '*.*', true],
    ['foo.*', 'foo.*', true],
    ['foo.*', 'foo.bar', false],
    ['foo.>', '>', true],
    ['foo.>', '*.>', true],
    ['foo.>', 'foo.>', true],
    ['foo.>', 'foo.bar', false],
    ['foo.>', 'foo.*', false],
    ['foo.bar', 'foo.*', true],
    ['foo.bar', 'foo.>', true],
    ['foo.bar', '*.>', true],
    ['foo.bar.baz', 'foo.*', false],
    ['foo', 'foo.>', false],
    ['foo', 'foo.*', false],
    ['foo.bar', 'foo', false],
    ['foo', '>', true],
    ['*', '*', true],
    ['*', 'foo', false],
    ['>', '*', false],
    ['>', '>', true],
    ['foo..bar', 'foo.*', false],
    ['foo.*', 'foo..bar', false],
    ['', 'foo', false],
    ['foo', '', false],
    ['foo.', 'foo', false],
    ['foo.', 'foo.*', false],
    // Go quirk: a filter token that starts with '*' acts as '*'
    ['foo.bar', 'foo.*x', true],
    ['foo.*x', 'foo.*x', true],
    ['foo.*x', 'foo.*', true],
  ];
  for (const [subject, filter, want] of cases) {
    it(`${JSON.stringify(subject)} in ${JSON.stringify(filter)}`, () => {
      assert.equal(subjectIsSubsetMatch(subject, filter), want);
      assert.equal(subjectMatchesFilter(subject, filter), want);
    });
  }
});

describe('matchLiteral (cache layer and /subsz?test=)', () => {
  const cases: [string, string, boolean][] = [
    ['foo', 'foo', true],
    ['foo', 'bar', false],
    ['foo', '*', true],
    ['foo', '>', true],
    ['foo.bar', '>', true],
    ['foo.bar', 'foo.>', true],
    ['foo.bar', 'bar.>', false],
    ['stats.test.22', 'stats.>', true],
    ['stats.test.22', 'stats.*.*', true],
    ['foo.bar', 'foo', false],
    ['foo', 'foo.bar', false],
    ['foo', 'foo.>', false],
    ['stats.test.foos', 'stats.test.foos', true],
    ['stats.test.foos', 'stats.test.foo', false],
    ['stats.test.foo', 'stats.test.foos', false],
    ['stats.test', 'stats.test.*', false],
    ['stats.test.foos', 'stats.*', false],
    ['stats.test.foos', 'stats.*.*.foos', false],
    // wildcard characters that are not whole tokens are plain characters
    ['*bar', '*bar', true],
    ['xbar', '*bar', false],
    ['foo*', 'foo*', true],
    ['foox', 'foo*', false],
    ['foo*bar', 'foo*bar', true],
    ['foo.***.bar', 'foo.***.bar', true],
    ['>bar', '>bar', true],
    ['foo>', 'foo>', true],
    ['foo>bar', 'foo>bar', true],
    ['foo.>>>.bar', 'foo.>>>.bar', true],
    // a published wildcard token is literal text: only wildcards or the same text meet it
    ['foo.*', 'foo.*', true],
    ['foo.*', 'foo.>', true],
    ['foo.*', 'foo.bar', false],
    ['foo.>', 'foo.*', true],
    ['foo.>', 'foo.bar', false],
  ];
  for (const [literal, pattern, want] of cases) {
    it(`${JSON.stringify(literal)} ~ ${JSON.stringify(pattern)}`, () => {
      assert.equal(matchLiteral(literal, pattern), want);
    });
  }
});

describe('subjectsCollide', () => {
  const cases: [string, string, boolean][] = [
    ['foo.*', 'foo.*.bar.>', false],
    ['foo.*.bar.>', 'foo.*', false],
    ['foo.*', 'foo.foo', true],
    ['foo.*', '*.foo', true],
    ['foo.bar.>', '*.bar.foo', true],
    ['foo.bar', 'foo.bar', true],
    ['foo.bar', 'foo.baz', false],
    ['foo.>', 'bar.>', false],
    ['foo.>', '*.bar.baz', true],
    ['*.*', 'a.b.c', false],
    ['*.>', 'a', false],
    ['>', 'a.b', true],
    ['foo.*.baz', 'foo.bar.*', true],
    ['foo.*.baz', 'foo.bar.qux', false],
  ];
  for (const [a, b, want] of cases) {
    it(`${a} vs ${b}`, () => {
      assert.equal(subjectsCollide(a, b), want);
      assert.equal(subjectsCollide(b, a), want);
    });
  }
});
