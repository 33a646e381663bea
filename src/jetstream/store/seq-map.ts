/**
 * A map from stream sequence to value for the memory store. Sequences are
 * (nearly) dense and grow at the end, so the values sit in an array indexed
 * by `seq - base`: inserting is a push (a Map spends most of a publish
 * re-hashing as it grows), removing from the front advances a head index and
 * the array is trimmed now and then. A sequence far beyond the others (a
 * mirror skipping a huge gap) would leave a huge hole, so past a gap bound
 * the map switches to a plain Map for good.
 */
const MAX_GAP = 1 << 20;
const TRIM_AT = 1024;

export class SeqMap<V> {
  private a: (V | undefined)[] = [];
  /** index of the first slot that may hold a value */
  private head = 0;
  /** sequence of a[0] */
  private base = 0;
  private n = 0;
  /** set once the sequences got too sparse for an array */
  private map: Map<number, V> | null = null;

  get size(): number {
    return this.map !== null ? this.map.size : this.n;
  }

  get(seq: number): V | undefined {
    if (this.map !== null) return this.map.get(seq);
    const i = seq - this.base;
    return i >= this.head && i < this.a.length ? this.a[i] : undefined;
  }

  has(seq: number): boolean {
    return this.get(seq) !== undefined;
  }

  set(seq: number, v: V): void {
    if (this.map !== null) {
      this.map.set(seq, v);
      return;
    }
    if (this.n === 0) {
      this.a.length = 0;
      this.head = 0;
      this.base = seq;
    }
    const i = seq - this.base;
    if (i >= this.head && i < this.a.length) {
      if (this.a[i] === undefined) this.n++;
      this.a[i] = v;
      return;
    }
    if (i === this.a.length) {
      this.a.push(v);
      this.n++;
      return;
    }
    const gap = i < this.head ? this.head - i : i - this.a.length;
    if (gap > MAX_GAP && gap > 8 * this.n) {
      this.toMap();
      this.map!.set(seq, v);
      return;
    }
    if (i > this.a.length) {
      while (this.a.length < i) this.a.push(undefined);
      this.a.push(v);
    } else {
      // before the head: move the window back (rare: out-of-order inserts)
      if (i >= 0) this.head = i;
      else {
        this.a = [...new Array<V | undefined>(-i), ...this.a];
        this.base += i;
        this.head = 0;
      }
      this.a[seq - this.base] = v;
    }
    this.n++;
  }

  delete(seq: number): boolean {
    if (this.map !== null) return this.map.delete(seq);
    const i = seq - this.base;
    if (i < this.head || i >= this.a.length || this.a[i] === undefined) return false;
    this.a[i] = undefined;
    this.n--;
    if (this.n === 0) {
      this.a.length = 0;
      this.head = 0;
      return true;
    }
    if (i === this.head) {
      let h = this.head;
      while (h < this.a.length && this.a[h] === undefined) h++;
      this.head = h;
      if (h >= TRIM_AT && h * 2 >= this.a.length) {
        this.a = this.a.slice(h);
        this.base += h;
        this.head = 0;
      }
    }
    // trailing holes (the last value removed) are dropped so pushes stay dense
    while (this.a.length > this.head && this.a[this.a.length - 1] === undefined) this.a.length--;
    return true;
  }

  clear(): void {
    this.a = [];
    this.head = 0;
    this.n = 0;
    if (this.map !== null) this.map = null;
  }

  *values(): IterableIterator<V> {
    if (this.map !== null) {
      yield* [...this.map.keys()].sort((x, y) => x - y).map((k) => this.map!.get(k)!);
      return;
    }
    for (let i = this.head; i < this.a.length; i++) {
      const v = this.a[i];
      if (v !== undefined) yield v;
    }
  }

  private toMap(): void {
    const m = new Map<number, V>();
    for (let i = this.head; i < this.a.length; i++) {
      const v = this.a[i];
      if (v !== undefined) m.set(this.base + i, v);
    }
    this.map = m;
    this.a = [];
    this.head = 0;
    this.n = 0;
  }
}
