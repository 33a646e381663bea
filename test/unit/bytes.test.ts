// Number writers of the delivery path: writeUint and writeNsDigits must give
// exactly the digits String()/nsDigits give (they build MSG lines and
// JetStream ack subjects as bytes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeUint } from '../../src/util/bytes.js';
import { nsDigits, nowNs, writeNsDigits } from '../../src/util/time.js';

const buf = Buffer.alloc(64);
const uint = (n: number): string => buf.latin1Slice(3, writeUint(buf, n, 3));
const ns = (n: number): string => buf.latin1Slice(1, writeNsDigits(buf, n, 1));

describe('writeUint', () => {
  it('writes every digit count, the int32 edge and larger safe integers', () => {
    const cases = [0, 1, 9, 10, 11, 99, 100, 999, 1000, 65535, 99999, 100000, 999999, 1e6, 9999999, 1e7, 99999999, 1e8, 999999999, 1e9];
    cases.push(0x7fffffff - 1, 0x7fffffff, 0x7fffffff + 1, 2 ** 32, 1e12 + 7, 1764800000123, Number.MAX_SAFE_INTEGER);
    for (const n of cases) assert.equal(uint(n), String(n), `writeUint(${n})`);
  });

  it('matches String() over random values of every magnitude', () => {
    for (let i = 0; i < 20000; i++) {
      const n = Math.floor(Math.random() * 10 ** (1 + (i % 15)));
      assert.equal(uint(n), String(n));
    }
  });
});

describe('writeNsDigits', () => {
  it('gives the same digits as nsDigits', () => {
    const cases = [nowNs(), 1764800000000000000, 1764800000000000256, 1764800000999999744, 1e9, 1e9 + 1, 5, 0, 1.5, 123456789];
    for (let i = 0; i < 5000; i++) cases.push(Math.round(1.7e18 + Math.random() * 1e17));
    for (const n of cases) assert.equal(ns(n), nsDigits(n), `writeNsDigits(${n})`);
  });
});
