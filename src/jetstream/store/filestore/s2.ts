/**
 * A block codec in the Snappy block format, which every S2 decoder reads (S2
 * is a superset of Snappy). Written from the format description:
 *
 *   varint   uncompressed length (little-endian base 128, at most 5 bytes)
 *   then elements, each starting with a tag byte whose low 2 bits say what it is:
 *     00 literal  length-1 in the upper 6 bits when < 60; 60..63 = the length-1
 *                 follows in 1..4 bytes (little endian); then the bytes
 *     01 copy-1   length 4..11 in bits 2-4, offset bits 8-10 in bits 5-7, then
 *                 one byte with offset bits 0-7
 *     10 copy-2   length 1..64 in the upper 6 bits, then a u16 offset
 *     11 copy-4   length 1..64 in the upper 6 bits, then a u32 offset
 *
 * A copy repeats `length` bytes starting `offset` bytes back in the output;
 * the ranges may overlap (offset < length repeats a pattern).
 *
 * The decoder also reads S2's one extension to the block format, the repeat
 * copy: a copy-1 with offset 0 reuses the previous copy's offset, and its
 * 3-bit length code means 4..8, or 5/6/7 = 8 + u8 / 260 + u16 / 65540 + u24.
 *
 * The encoder is a greedy LZ77 matcher: a hash table of 4-byte sequences
 * holding their last position, matches up to 64 KiB back (copy-1 / copy-2
 * only), and a lookup stride that grows while nothing matches, so
 * incompressible input costs little.
 */

/** Default ceiling on a decoded block (the decoder never allocates more than the caller allows). */
export const MAX_DECODED = 64 * 1024 * 1024 + 1024 * 1024;

const TAG_LITERAL = 0;
const TAG_COPY1 = 1;
const TAG_COPY2 = 2;
const TAG_COPY4 = 3;

/** Up to this many bytes a JS loop beats a native copy call. */
const SHORT_COPY = 16;

/** Longest match offset the encoder uses (copy-2). */
const MAX_OFFSET = 0xffff;
/** Inputs shorter than this are emitted as one literal. */
const MIN_INPUT = 16;
const MIN_TABLE_BITS = 8;
const MAX_TABLE_BITS = 15;

/** Upper bound of compressBlock's output for `n` input bytes (the worst case is all literals). */
export function maxCompressedLen(n: number): number {
  return 32 + n + Math.ceil(n / 6);
}

/** Compress `src` into one Snappy-format block. */
export function compressBlock(input: Buffer): Buffer {
  const n = input.length;
  if (n > 0x7ffffffe) throw new Error(`s2: input of ${n} bytes is too large for one block`);
  const res = Buffer.allocUnsafe(maxCompressedLen(n));
  // Plain Uint8Array views: element access on them is what the JIT optimises best.
  const src = new Uint8Array(input.buffer, input.byteOffset, n);
  const dst = new Uint8Array(res.buffer, res.byteOffset, res.length);
  let d = putVarint(dst, 0, n);
  if (n < MIN_INPUT) {
    if (n > 0) d = emitLiteral(dst, d, src, 0, n);
    return res.subarray(0, d);
  }

  let bits = MIN_TABLE_BITS;
  while (bits < MAX_TABLE_BITS && 1 << bits < n) bits++;
  const shift = 32 - bits;
  // Positions + 1 (0 = empty), so a fresh zeroed table needs no fill.
  const table = new Int32Array(1 << bits);

  // Every 4-byte read below stays inside src: the last position looked up is limit - 1.
  const limit = n - 4;
  let lit = 0; // start of the bytes not yet emitted
  let s = 1;
  table[hash(load32(src, 0), shift)] = 1;
  while (s < limit) {
    // Find a match: skip faster the longer nothing matches.
    let skip = 32;
    let cand = -1;
    let cur = load32(src, s);
    for (;;) {
      const h = hash(cur, shift);
      const c = table[h] - 1;
      table[h] = s + 1;
      if (c >= 0 && s - c <= MAX_OFFSET && load32(src, c) === cur) {
        cand = c;
        break;
      }
      s += skip++ >> 5;
      if (s >= limit) break;
      cur = load32(src, s);
    }
    if (cand < 0) break;

    // Extend backwards over bytes not yet emitted, then forwards.
    while (cand > 0 && s > lit && src[cand - 1] === src[s - 1]) {
      cand--;
      s--;
    }
    if (s > lit) d = emitLiteral(dst, d, src, lit, s);
    let m = s + 4;
    let c = cand + 4;
    while (m + 4 <= n && load32(src, m) === load32(src, c)) {
      m += 4;
      c += 4;
    }
    while (m < n && src[m] === src[c]) {
      m++;
      c++;
    }
    d = emitCopy(dst, d, s - cand, m - s);
    s = m;
    lit = m;
    if (s >= limit) break;
    // Index the position just before the match end, then look for a match right here next.
    table[hash(load32(src, s - 1), shift)] = s;
  }
  if (lit < n) d = emitLiteral(dst, d, src, lit, n);
  return res.subarray(0, d);
}

function load32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

function hash(u: number, shift: number): number {
  return Math.imul(u, 0x1e35a7bd) >>> shift;
}

function putVarint(dst: Uint8Array, d: number, v: number): number {
  while (v >= 0x80) {
    dst[d++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  dst[d++] = v;
  return d;
}

/** Emit src[from, to) as one literal. */
function emitLiteral(dst: Uint8Array, d: number, src: Uint8Array, from: number, to: number): number {
  const len = to - from;
  const n = len - 1;
  if (n < 60) dst[d++] = (n << 2) | TAG_LITERAL;
  else if (n < 0x100) {
    dst[d++] = (60 << 2) | TAG_LITERAL;
    dst[d++] = n;
  } else if (n < 0x10000) {
    dst[d++] = (61 << 2) | TAG_LITERAL;
    dst[d++] = n & 0xff;
    dst[d++] = n >>> 8;
  } else if (n < 0x1000000) {
    dst[d++] = (62 << 2) | TAG_LITERAL;
    dst[d++] = n & 0xff;
    dst[d++] = (n >>> 8) & 0xff;
    dst[d++] = n >>> 16;
  } else {
    dst[d++] = (63 << 2) | TAG_LITERAL;
    dst[d++] = n & 0xff;
    dst[d++] = (n >>> 8) & 0xff;
    dst[d++] = (n >>> 16) & 0xff;
    dst[d++] = n >>> 24;
  }
  if (len <= SHORT_COPY) for (let i = from; i < to; i++) dst[d++] = src[i];
  else {
    dst.set(src.subarray(from, to), d);
    d += len;
  }
  return d;
}

/** Emit a copy of `len` (>= 4) bytes from `off` (1..65535) back, split into elements of at most 64. */
function emitCopy(dst: Uint8Array, d: number, off: number, len: number): number {
  while (len >= 68) {
    d = emitCopy2(dst, d, off, 64);
    len -= 64;
  }
  if (len > 64) {
    // Leave at least 4 for the last element.
    d = emitCopy2(dst, d, off, 60);
    len -= 60;
  }
  if (len < 12 && off < 2048) {
    dst[d++] = ((off >>> 8) << 5) | ((len - 4) << 2) | TAG_COPY1;
    dst[d++] = off & 0xff;
    return d;
  }
  return emitCopy2(dst, d, off, len);
}

function emitCopy2(dst: Uint8Array, d: number, off: number, len: number): number {
  dst[d++] = ((len - 1) << 2) | TAG_COPY2;
  dst[d++] = off & 0xff;
  dst[d++] = off >>> 8;
  return d;
}

// ------------------------------------------------------------------ decode

/** The uncompressed length a block declares, and where its elements start. Throws when the varint is malformed. */
export function decodedLen(src: Uint8Array): { len: number; start: number } {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) throw new Error('s2: truncated length header');
    const c = src[i];
    v += (c & 0x7f) * mul;
    if (c < 0x80) {
      if (v > 0xffffffff) throw new Error('s2: length header out of range');
      return { len: v, start: i + 1 };
    }
    mul *= 128;
  }
  throw new Error('s2: length header too long');
}

/**
 * Decode one Snappy / S2 block. Throws an Error on any malformed or truncated
 * input, and when the declared length exceeds `maxLen` (nothing larger is
 * allocated). Work is linear in the output size.
 */
export function decompressBlock(input: Buffer, maxLen = MAX_DECODED): Buffer {
  const { len: n, start } = decodedLen(input);
  if (n > maxLen) throw new Error(`s2: declared length ${n} exceeds the limit of ${maxLen}`);
  const res = Buffer.allocUnsafe(n);
  // Plain Uint8Array views: element access on them is what the JIT optimises best.
  const src = new Uint8Array(input.buffer, input.byteOffset, input.length);
  const out = new Uint8Array(res.buffer, res.byteOffset, n);
  const sl = src.length;
  let s = start;
  let d = 0;
  let offset = 0;
  while (s < sl) {
    const tag = src[s];
    let length: number;
    switch (tag & 3) {
      case TAG_LITERAL: {
        let x = tag >>> 2;
        if (x < 60) s++;
        else {
          const extra = x - 59;
          if (s + 1 + extra > sl) throw new Error('s2: truncated literal length');
          x = src[s + 1];
          if (extra > 1) x |= src[s + 2] << 8;
          if (extra > 2) x |= src[s + 3] << 16;
          if (extra > 3) x = (x | (src[s + 4] << 24)) >>> 0;
          s += 1 + extra;
        }
        length = x + 1;
        if (length > sl - s) throw new Error('s2: literal runs past the end of the input');
        if (length > n - d) throw new Error('s2: literal runs past the declared length');
        if (length <= SHORT_COPY) for (let i = 0; i < length; i++) out[d++] = src[s++];
        else {
          out.set(src.subarray(s, s + length), d);
          d += length;
          s += length;
        }
        continue;
      }
      case TAG_COPY1: {
        if (s + 2 > sl) throw new Error('s2: truncated copy');
        const o = ((tag & 0xe0) << 3) | src[s + 1];
        const code = (tag >>> 2) & 7;
        s += 2;
        if (o !== 0) {
          offset = o;
          length = code + 4;
        } else {
          // S2 repeat: the previous offset, with a longer length encoding.
          if (code < 5) length = code + 4;
          else if (code === 5) {
            if (s + 1 > sl) throw new Error('s2: truncated repeat length');
            length = src[s] + 8;
            s += 1;
          } else if (code === 6) {
            if (s + 2 > sl) throw new Error('s2: truncated repeat length');
            length = (src[s] | (src[s + 1] << 8)) + 260;
            s += 2;
          } else {
            if (s + 3 > sl) throw new Error('s2: truncated repeat length');
            length = (src[s] | (src[s + 1] << 8) | (src[s + 2] << 16)) + 65540;
            s += 3;
          }
        }
        break;
      }
      case TAG_COPY2:
        if (s + 3 > sl) throw new Error('s2: truncated copy');
        length = (tag >>> 2) + 1;
        offset = src[s + 1] | (src[s + 2] << 8);
        s += 3;
        break;
      default:
        if (s + 5 > sl) throw new Error('s2: truncated copy');
        length = (tag >>> 2) + 1;
        offset = (src[s + 1] | (src[s + 2] << 8) | (src[s + 3] << 16) | (src[s + 4] << 24)) >>> 0;
        s += 5;
        break;
    }
    if (offset === 0) throw new Error('s2: copy with offset 0 and no previous offset');
    if (offset > d) throw new Error(`s2: copy offset ${offset} reaches before the start of the output (at ${d})`);
    if (length > n - d) throw new Error('s2: copy runs past the declared length');
    d = copyBack(out, d, offset, length);
  }
  if (d !== n) throw new Error(`s2: decoded ${d} bytes, the block declares ${n}`);
  return res;
}

/** out[d, d + len) = the bytes `off` back, overlapping ranges repeating the pattern. */
function copyBack(out: Uint8Array, d: number, off: number, len: number): number {
  const from = d - off;
  // Short copies, and overlapping ones of up to one copy-2 (64 bytes), byte by byte.
  if (len <= SHORT_COPY || (off < len && len <= 64)) {
    for (let i = 0; i < len; i++) out[d + i] = out[from + i];
    return d + len;
  }
  if (off >= len) {
    out.copyWithin(d, from, from + len);
    return d + len;
  }
  // The bytes from `from` on repeat with period `off`, so what has been written
  // can be copied again whole: the chunk doubles each round.
  const end = d + len;
  while (d < end) {
    const c = Math.min(d - from, end - d);
    out.copyWithin(d, from, from + c);
    d += c;
  }
  return d;
}
