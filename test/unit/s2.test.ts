/**
 * The S2/Snappy block codec: round trips over many shapes of input, hand-built
 * streams decoded per the format description (including S2's repeat copy),
 * and malformed input that must throw quickly instead of hanging or
 * allocating what it declares.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { compressBlock, decompressBlock, maxCompressedLen } from '../../src/jetstream/store/filestore/s2.js';
import { rng } from '../helpers/rng.js';

const roundTrip = (src: Buffer): Buffer => {
  const z = compressBlock(src);
  assert.ok(z.length <= maxCompressedLen(src.length), 'within the worst-case bound');
  const back = decompressBlock(z);
  assert.equal(back.length, src.length);
  assert.ok(back.equals(src), 'decodes to the input');
  return z;
};

/** Text-like data: words from a small vocabulary. */
function words(n: number, seed: number): Buffer {
  const rnd = rng(seed);
  const vocab = ['orders', 'created', 'customer', 'id', '"amount":', '{', '}', 'NATS/1.0', 'subject', 'payload', ' ', ',', '\n'];
  const out = Buffer.allocUnsafe(n);
  let p = 0;
  while (p < n) p += out.write(vocab[Math.floor(rnd() * vocab.length)], p, 'latin1');
  return out;
}

describe('s2 block codec', () => {
  it('round-trips empty, tiny, random, repetitive and large inputs', () => {
    assert.deepEqual([...compressBlock(Buffer.alloc(0))], [0], 'empty: just the zero length');
    assert.equal(decompressBlock(Buffer.from([0])).length, 0);
    roundTrip(Buffer.from([7]));
    for (let n = 0; n < 300; n++) roundTrip(randomBytes(n));
    for (let n = 0; n < 300; n++) roundTrip(Buffer.alloc(n, n & 0xff));
    for (const n of [1000, 65535, 65536, 65537, 200_000]) {
      roundTrip(randomBytes(n));
      roundTrip(words(n, n));
    }
    // Runs crossing 64 KiB boundaries, a long run then different data, short periods.
    const runs = Buffer.concat([Buffer.alloc(70_000, 0x61), Buffer.from('break'), Buffer.alloc(140_000, 0x62), randomBytes(100), Buffer.alloc(65_536 * 2 + 3, 0)]);
    roundTrip(runs);
    const periodic = Buffer.alloc(300_000);
    for (let i = 0; i < periodic.length; i++) periodic[i] = 'abcdefg'.charCodeAt(i % 7);
    roundTrip(periodic);
    // 1 MiB+ mixes
    const rnd = rng(3);
    const mix = Buffer.allocUnsafe(1_300_000);
    for (let p = 0; p < mix.length; ) {
      const len = Math.min(mix.length - p, 1 + Math.floor(rnd() * 5000));
      const kind = rnd();
      if (kind < 0.3) randomBytes(len).copy(mix, p);
      else if (kind < 0.6) mix.fill(Math.floor(rnd() * 256), p, p + len);
      else if (p > 70_000) {
        // repeats of earlier data, some too far back for the encoder's window
        const from = p - 1 - Math.floor(rnd() * 70_000);
        mix.copy(mix, p, from, from + len);
      }
      else words(len, p).copy(mix, p);
      p += len;
    }
    roundTrip(mix);
    roundTrip(randomBytes(1 << 20));
  });

  it('makes repetitive data much smaller and leaves random data about the same size', () => {
    const z = roundTrip(words(1 << 20, 1));
    assert.ok(z.length < (1 << 20) / 2, `text: ${z.length}`);
    const zeros = roundTrip(Buffer.alloc(1 << 20));
    assert.ok(zeros.length < (1 << 20) / 20, `zeros: ${zeros.length}`);
    const r = roundTrip(randomBytes(1 << 16));
    assert.ok(r.length < (1 << 16) + 100, `random: ${r.length}`);
    // Many similar records, as a message block holds.
    const recs = Buffer.from(Array.from({ length: 2000 }, (_, i) => `{"seq":${i},"subject":"orders.eu.created","status":"ok"}`).join(''));
    assert.ok(roundTrip(recs).length < recs.length / 3);
  });

  it('decodes hand-built streams: every literal length form, copy-1/2/4, overlaps and the S2 repeat copy', () => {
    // "abcd" literal, copy-1 offset 4 len 4, copy-2 offset 8 len 8, copy-4 offset 2 len 6 (overlapping)
    const v = Buffer.from([
      26, // uncompressed length 4 + 4 + 8 + 6 + 4 = 26
      (3 << 2) | 0, 0x61, 0x62, 0x63, 0x64, // literal "abcd"
      (0 << 5) | ((4 - 4) << 2) | 1, 4, // copy-1: len 4, off 4 -> "abcd"
      ((8 - 1) << 2) | 2, 8, 0, // copy-2: len 8, off 8 -> "abcdabcd"
      ((6 - 1) << 2) | 3, 2, 0, 0, 0, // copy-4: len 6, off 2 -> "cdcdcd"
      (0 << 2) | 1, 0, // S2 repeat (offset 0 = previous offset 2), length code 0 -> 4: "cdcd"
    ]);
    assert.equal(decompressBlock(v).toString(), 'abcdabcdabcdabcdcdcdcdcdcd');

    // A long literal with a 1-byte length (tag 60), then a copy-1 with an 11-bit offset.
    const lit = Buffer.alloc(300);
    for (let i = 0; i < 300; i++) lit[i] = i & 0xff;
    const v2 = Buffer.concat([
      Buffer.from([0xb8, 0x02]), // varint 312 = 0x138: 0xb8, 0x02
      Buffer.from([(61 << 2) | 0, (300 - 1) & 0xff, (300 - 1) >> 8]), // literal, 2-byte length
      lit,
      Buffer.from([(1 << 5) | ((11 - 4) << 2) | 1, 300 - 256]), // copy-1: len 11, offset 300
      Buffer.from([(0 << 2) | 1, 0]), // S2 repeat: len 4, offset 300 again
    ]);
    // 300 + 11 + 4 = 315, not the declared 312: the decoder must reject it ...
    assert.throws(() => decompressBlock(v2), /declared length/);
    // ... and with the right header it decodes.
    v2[0] = 0xbb; // 315
    const out2 = decompressBlock(v2);
    assert.ok(out2.subarray(0, 300).equals(lit));
    assert.ok(out2.subarray(300, 311).equals(lit.subarray(0, 11)));
    assert.ok(out2.subarray(311, 315).equals(lit.subarray(11, 15)));

    // S2 repeat with the extended length codes 5, 6 and 7.
    const rep = (code: number, extra: number[]) => Buffer.from([(code << 2) | 1, 0, ...extra]);
    const head = [Buffer.from([(0 << 2) | 0, 0x78]), Buffer.from([((1 - 1) << 2) | 2, 1, 0])]; // "x", copy-2 len 1 off 1 ("x")
    const build = (len: number, tail: Buffer) => {
      const lenBytes: number[] = [];
      for (let v3 = len; ; v3 = Math.floor(v3 / 128)) {
        if (v3 < 128) {
          lenBytes.push(v3);
          break;
        }
        lenBytes.push((v3 & 0x7f) | 0x80);
      }
      return Buffer.concat([Buffer.from(lenBytes), ...head, tail]);
    };
    assert.equal(decompressBlock(build(2 + 8 + 200, rep(5, [200]))).toString(), 'x'.repeat(210));
    assert.equal(decompressBlock(build(2 + 260 + 1000, rep(6, [1000 & 0xff, 1000 >> 8]))).toString(), 'x'.repeat(1262));
    assert.equal(decompressBlock(build(2 + 65540 + 5, rep(7, [5, 0, 0]))).toString(), 'x'.repeat(65547));
    // All four literal length forms.
    for (const n of [1, 60, 61, 256, 257, 65536, 65537, 70_000]) {
      const data = randomBytes(n);
      const x = n - 1;
      const tag =
        x < 60 ? [x << 2] : x < 0x100 ? [60 << 2, x] : x < 0x10000 ? [61 << 2, x & 0xff, x >> 8] : x < 0x1000000 ? [62 << 2, x & 0xff, (x >> 8) & 0xff, x >> 16] : [];
      const lenV: number[] = [];
      for (let v3 = n; ; v3 = Math.floor(v3 / 128)) {
        if (v3 < 128) {
          lenV.push(v3);
          break;
        }
        lenV.push((v3 & 0x7f) | 0x80);
      }
      assert.ok(decompressBlock(Buffer.concat([Buffer.from(lenV), Buffer.from(tag), data])).equals(data), `literal of ${n}`);
      const tag4 = Buffer.from([63 << 2, 0, 0, 0, 0]);
      tag4.writeUInt32LE(x, 1);
      assert.ok(decompressBlock(Buffer.concat([Buffer.from(lenV), tag4, data])).equals(data), `4-byte literal length, ${n}`);
    }
  });

  it('rejects malformed input with an error, quickly and without large allocations', () => {
    const good = compressBlock(words(100_000, 9));
    // every truncation of a valid stream fails (except the full one)
    for (let cut = 0; cut < good.length; cut += Math.max(1, Math.floor(good.length / 500))) {
      assert.throws(() => decompressBlock(good.subarray(0, cut)), Error, `cut at ${cut}`);
    }
    const bad: [string, Buffer, RegExp][] = [
      ['empty input', Buffer.alloc(0), /truncated length/],
      ['unterminated varint', Buffer.from([0x80, 0x80]), /truncated length/],
      ['varint too long', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /too long/],
      ['varint beyond 32 bits', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), /out of range|exceeds/],
      ['huge declared length', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]), /exceeds the limit/],
      ['copy before any output', Buffer.from([4, (0 << 2) | 1, 1]), /reaches before/],
      ['offset beyond the output', Buffer.from([6, (1 << 2) | 0, 0x61, 0x62, (0 << 2) | 1, 3]), /reaches before/],
      ['copy-2 offset 0', Buffer.from([3, 0, 0x61, (1 << 2) | 2, 0, 0]), /offset 0/],
      ['repeat without a previous offset', Buffer.from([5, 0, 0x61, (0 << 2) | 1, 0]), /offset 0/],
      ['literal past the input', Buffer.from([10, (9 << 2) | 0, 0x61]), /past the end of the input/],
      ['literal past the declared length', Buffer.from([1, (1 << 2) | 0, 0x61, 0x62]), /declared length/],
      ['copy past the declared length', Buffer.from([5, 0, 0x61, ((8 - 1) << 2) | 2, 1, 0]), /declared length/],
      ['output shorter than declared', Buffer.from([5, (1 << 2) | 0, 0x61, 0x62]), /declared 5|decoded 2/],
      ['truncated literal length', Buffer.from([100, 61 << 2, 1]), /truncated literal/],
      ['truncated copy-4', Buffer.from([9, 0, 0x61, 3, 1, 0]), /truncated copy/],
      ['truncated repeat length', Buffer.from([50, 0, 0x61, (0 << 2) | 2, 1, 0, (6 << 2) | 1, 0, 1]), /truncated repeat/],
    ];
    for (const [what, buf, re] of bad) assert.throws(() => decompressBlock(buf), re, what);
    // A caller's limit is enforced before allocating.
    assert.throws(() => decompressBlock(compressBlock(Buffer.alloc(5000)), 4096), /exceeds the limit/);
    // Random garbage never hangs: each attempt ends (almost always with an error) at once.
    const rnd = rng(5);
    const t0 = Date.now();
    for (let i = 0; i < 3000; i++) {
      const junk = randomBytes(1 + Math.floor(rnd() * 200));
      try {
        decompressBlock(junk, 1 << 20);
      } catch (e) {
        assert.ok(e instanceof Error && e.message.startsWith('s2: '), String(e));
      }
      // Flipped bytes in a valid stream: an error or a (wrong) result of the declared size.
      const f = Buffer.from(good);
      f[Math.floor(rnd() * f.length)] ^= 1 + Math.floor(rnd() * 255);
      try {
        const out = decompressBlock(f);
        assert.ok(out.length < 1 << 21, 'at most what a 3-byte length can declare');
      } catch (e) {
        assert.ok(e instanceof Error);
      }
    }
    assert.ok(Date.now() - t0 < 20_000);
  });
});
