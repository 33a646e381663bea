/**
 * HighwayHash-64 (Alakuijala, Cox, Wassenberg; the keyed hash the Go server
 * takes from github.com/minio/highwayhash): Go's raft.go checksums its
 * snapshot files with it (key = sha256 of the group name), its file store its
 * message records. Written from the algorithm's description; checked against
 * the published test vectors (test/unit/highwayhash.test.ts).
 *
 * The state is sixteen 64-bit lanes (v0, v1, mul0, mul1, four each), kept as
 * 32-bit halves (lo at 2i, hi at 2i + 1) so no BigInt is needed.
 */

const V0 = 0;
const V1 = 4;
const MUL0 = 8;
const MUL1 = 12;

// The algorithm's initial constants (lanes of mul0 and mul1), as [hi, lo].
const INIT0: [number, number][] = [[0xdbe6d5d5, 0xfe4cce2f], [0xa4093822, 0x299f31d0], [0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3]];
const INIT1: [number, number][] = [[0x3bd39e10, 0xcb0ef593], [0xc0acf169, 0xb5f18a8c], [0xbe5466cf, 0x34e90c6c], [0x452821e6, 0x38d01377]];

const TWO32 = 0x100000000;

export class HighwayHash64 {
  private readonly s = new Uint32Array(32);
  private readonly key: Buffer;
  private readonly buf = Buffer.alloc(32);
  private off = 0;
  private readonly block = Buffer.alloc(32);

  /** `key` must be 32 bytes. */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('highwayhash: key must be 32 bytes');
    this.key = Buffer.from(key);
    this.reset();
  }

  reset(): void {
    const s = this.s;
    const k = this.key;
    for (let i = 0; i < 4; i++) {
      const klo = k.readUInt32LE(8 * i);
      const khi = k.readUInt32LE(8 * i + 4);
      s[2 * (MUL0 + i)] = INIT0[i][1];
      s[2 * (MUL0 + i) + 1] = INIT0[i][0];
      s[2 * (MUL1 + i)] = INIT1[i][1];
      s[2 * (MUL1 + i) + 1] = INIT1[i][0];
      s[2 * (V0 + i)] = INIT0[i][1] ^ klo;
      s[2 * (V0 + i) + 1] = INIT0[i][0] ^ khi;
      // v1 takes the key with its 32-bit halves swapped
      s[2 * (V1 + i)] = INIT1[i][1] ^ khi;
      s[2 * (V1 + i) + 1] = INIT1[i][0] ^ klo;
    }
    this.off = 0;
  }

  update(data: Uint8Array): this {
    const d = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let p = 0;
    if (this.off > 0) {
      const need = 32 - this.off;
      if (d.length < need) {
        d.copy(this.buf, this.off);
        this.off += d.length;
        return this;
      }
      d.copy(this.buf, this.off, 0, need);
      this.round(this.buf, 0);
      p = need;
      this.off = 0;
    }
    for (; p + 32 <= d.length; p += 32) this.round(d, p);
    if (p < d.length) {
      d.copy(this.buf, 0, p);
      this.off = d.length - p;
    }
    return this;
  }

  /** The 8-byte digest, little-endian as Go writes it (the hasher is left as it was). */
  digest(): Buffer {
    const saved = this.s.slice();
    if (this.off > 0) this.remainder();
    for (let i = 0; i < 4; i++) this.permuteAndUpdate();
    const s = this.s;
    let lo = 0;
    let hi = 0;
    for (const lane of [V0, V1, MUL0, MUL1]) {
      lo += s[2 * lane];
      hi += s[2 * lane + 1];
    }
    hi = (hi + Math.floor(lo / TWO32)) >>> 0;
    lo = lo >>> 0;
    const out = Buffer.alloc(8);
    out.writeUInt32LE(lo, 0);
    out.writeUInt32LE(hi, 4);
    this.s.set(saved);
    return out;
  }

  // lane[i] += (hi, lo)
  private add(i: number, lo: number, hi: number): void {
    const s = this.s;
    const l = s[2 * i] + lo;
    s[2 * i] = l;
    s[2 * i + 1] = s[2 * i + 1] + hi + (l >= TWO32 ? 1 : 0);
  }

  private addLane(i: number, j: number): void {
    this.add(i, this.s[2 * j], this.s[2 * j + 1]);
  }

  /** lane[i] ^= lo32(lane[a]) * hi32(lane[b]) (a full 64-bit product). */
  private mulXor(i: number, a: number, b: number): void {
    const s = this.s;
    const x = s[2 * a];
    const y = s[2 * b + 1];
    const xl = x & 0xffff;
    const xh = x >>> 16;
    const yl = y & 0xffff;
    const yh = y >>> 16;
    const mid = xl * yh + xh * yl;
    const lo = xl * yl + (mid % 65536) * 65536;
    const hi = xh * yh + Math.floor(mid / 65536) + Math.floor(lo / TWO32);
    s[2 * i] ^= lo >>> 0;
    s[2 * i + 1] ^= hi >>> 0;
  }

  /** The zipper merge of lanes a, b added into lanes da, db (a byte shuffle; no carries within it). */
  private zipper(a: number, b: number, da: number, db: number): void {
    const s = this.s;
    const a0 = s[2 * a];
    const a1 = s[2 * a + 1];
    const b0 = s[2 * b];
    const b1 = s[2 * b + 1];
    // addend for da, bytes 0..7: a3 b4 a2 a5 b6 a1 b7 a0
    const xlo = (a0 >>> 24) | ((b1 & 0xff) << 8) | (a0 & 0xff0000) | ((a1 & 0xff00) << 16);
    const xhi = ((b1 >>> 16) & 0xff) | (a0 & 0xff00) | ((b1 >>> 8) & 0xff0000) | ((a0 & 0xff) << 24);
    // addend for db, bytes 0..7: b3 a4 b2 b5 b1 a6 b0 a7
    const ylo = (b0 >>> 24) | ((a1 & 0xff) << 8) | (b0 & 0xff0000) | ((b1 & 0xff00) << 16);
    const yhi = ((b0 >>> 8) & 0xff) | ((a1 >>> 8) & 0xff00) | ((b0 & 0xff) << 16) | (a1 & 0xff000000);
    this.add(da, xlo >>> 0, xhi >>> 0);
    this.add(db, ylo >>> 0, yhi >>> 0);
  }

  private round(d: Buffer, p: number): void {
    for (let i = 0; i < 4; i++) this.add(V1 + i, d.readUInt32LE(p + 8 * i), d.readUInt32LE(p + 8 * i + 4));
    for (let i = 0; i < 4; i++) {
      this.addLane(V1 + i, MUL0 + i);
      this.mulXor(MUL0 + i, V1 + i, V0 + i);
    }
    for (let i = 0; i < 4; i++) {
      this.addLane(V0 + i, MUL1 + i);
      this.mulXor(MUL1 + i, V0 + i, V1 + i);
    }
    this.zipper(V1, V1 + 1, V0, V0 + 1);
    this.zipper(V1 + 2, V1 + 3, V0 + 2, V0 + 3);
    this.zipper(V0, V0 + 1, V1, V1 + 1);
    this.zipper(V0 + 2, V0 + 3, V1 + 2, V1 + 3);
  }

  /** The last partial block: size folded into the state, bytes packed into one block. */
  private remainder(): void {
    const n = this.off;
    const s = this.s;
    for (let i = 0; i < 4; i++) this.add(V0 + i, n, n);
    for (let i = 0; i < 4; i++) {
      const j = 2 * (V1 + i);
      s[j] = ((s[j] << n) | (s[j] >>> (32 - n))) >>> 0;
      s[j + 1] = ((s[j + 1] << n) | (s[j + 1] >>> (32 - n))) >>> 0;
    }
    const blk = this.block;
    blk.fill(0);
    const mod4 = n & 3;
    const whole = n - mod4;
    this.buf.copy(blk, 0, 0, whole);
    if (n >= 16) this.buf.copy(blk, 28, n - 4, n);
    else if (mod4 !== 0) {
      const last = this.buf[whole] | (this.buf[whole + (mod4 >> 1)] << 8) | (this.buf[n - 1] << 16);
      blk.writeUInt32LE(last >>> 0, 16);
    }
    this.round(blk, 0);
  }

  private permuteAndUpdate(): void {
    const s = this.s;
    const blk = this.block;
    // v0 lanes 2, 3, 0, 1, each with its halves swapped
    const order = [2, 3, 0, 1];
    for (let k = 0; k < 4; k++) {
      const lane = V0 + order[k];
      blk.writeUInt32LE(s[2 * lane + 1], 8 * k);
      blk.writeUInt32LE(s[2 * lane], 8 * k + 4);
    }
    this.round(blk, 0);
  }
}

/** One-shot HighwayHash-64 of data with a 32-byte key (8 bytes, little-endian). */
export function highwayHash64(key: Uint8Array, data: Uint8Array): Buffer {
  return new HighwayHash64(key).update(data).digest();
}
