/**
 * The memory store (Go memstore.go): messages in a map keyed by sequence,
 * per-subject state in a SubjectIndex, limits (max msgs/bytes/age/per
 * subject, discard old) enforced on every store, and per-message TTLs.
 */
import {
  memStoreMsgSize,
  nowNs,
  emptyConsumerState,
  viewOfStored,
  type MsgView,
  type ConsumerState,
  type ExpiryHandler,
  type ConsumerStore,
  type SimpleState,
  type StorageUpdateHandler,
  type StoreConfig,
  type StoredMsg,
  type StreamState,
  type StreamStore,
} from './store.js';
import { SubjectIndex, subjectMatches, wantsSeqTracking } from './subject-index.js';
import { SeqMap } from './seq-map.js';

export class MemStore implements StreamStore {
  readonly type = 'memory' as const;
  private cfg: StoreConfig;
  private readonly msgs = new SeqMap<StoredMsg>();
  private readonly fss = new SubjectIndex();
  private first = 0;
  private last = 0;
  private firstTs = 0;
  private lastTs = 0;
  private bytes = 0;
  private cb: StorageUpdateHandler | null = null;
  private ageTimer: NodeJS.Timeout | null = null;
  /** seq -> expiry ns for per-message TTLs */
  private readonly ttls = new Map<number, number>();
  private ttlTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private expiryCb: ExpiryHandler | null = null;
  private readonly consumers = new Map<string, MemConsumerStore>();

  constructor(cfg: StoreConfig) {
    this.cfg = { ...cfg };
    this.fss.setTracking(wantsSeqTracking(cfg.max_msgs_per_subject), () => []);
    if (cfg.first_seq && cfg.first_seq > 1) {
      this.first = cfg.first_seq;
      this.last = cfg.first_seq - 1;
    }
  }

  storeMsg(subj: string, hdr: Buffer | null, msg: Buffer, ttlSec = 0): [number, number] {
    const seq = this.last + 1;
    const ts = nowNs();
    this.put(subj, hdr, msg, seq, ts);
    if (ttlSec > 0) this.addTTL(seq, ts + ttlSec * 1e9);
    this.enforceLimits(subj);
    return [seq, ts];
  }

  storeRawMsg(subj: string, hdr: Buffer | null, msg: Buffer, seq: number, ts: number): void {
    if (seq <= this.last) throw new Error(`sequence ${seq} is not beyond last ${this.last}`);
    if (this.msgs.size === 0) this.first = seq;
    this.last = seq - 1;
    this.put(subj, hdr, msg, seq, ts);
    this.enforceLimits(subj);
  }

  private put(subj: string, hdr: Buffer | null, msg: Buffer, seq: number, ts: number): void {
    // Copy out of the socket chunk: one allocation for header block and payload.
    const hl = hdr ? hdr.length : 0;
    const b = Buffer.allocUnsafe(hl + msg.length);
    if (hl > 0) hdr!.copy(b, 0);
    msg.copy(b, hl);
    this.insert({ subj, hdr: hl > 0 ? b.subarray(0, hl) : null, msg: b.subarray(hl), seq, ts });
  }

  private insert(sm: StoredMsg): void {
    const { subj, seq, ts } = sm;
    this.msgs.set(seq, sm);
    if (this.msgs.size === 1) {
      this.first = seq;
      this.firstTs = ts;
    }
    this.last = seq;
    this.lastTs = ts;
    const sz = memStoreMsgSize(subj, sm.hdr, sm.msg);
    this.bytes += sz;
    this.fss.add(subj, seq);
    if (this.cfg.max_age > 0 && this.ageTimer === null) this.armAgeTimer(this.cfg.max_age);
    if (this.cb !== null) this.cb(1, sz, seq, subj);
  }

  skipMsg(): number {
    const seq = ++this.last;
    this.lastTs = nowNs();
    if (this.msgs.size === 0) {
      this.first = seq + 1;
      this.firstTs = 0;
    }
    return seq;
  }

  loadMsg(seq: number): StoredMsg | null {
    return this.msgs.get(seq) ?? null;
  }

  loadNextMsg(filter: string, start: number): StoredMsg | null {
    if (this.msgs.size === 0) return null;
    let s = Math.max(start, this.first);
    const all = filter === '' || filter === '>';
    if (!all) {
      // Narrow the scan with the per-subject index.
      let lo = Infinity;
      let hi = -1;
      for (const [subj, e] of this.fss.matching(filter)) {
        const f = this.subjFirst(subj, e);
        if (e.last !== -1 && e.last < s) continue;
        if (f < lo) lo = f;
        const l = this.subjLast(subj, e);
        if (l > hi) hi = l;
      }
      if (hi < 0 || hi < s) return null;
      if (lo > s) s = lo;
      for (let q = s; q <= hi; q++) {
        const m = this.msgs.get(q);
        if (m !== undefined && subjectMatches(m.subj, filter)) return m;
      }
      return null;
    }
    for (let q = s; q <= this.last; q++) {
      const m = this.msgs.get(q);
      if (m !== undefined) return m;
    }
    return null;
  }

  peekNextMsg(filter: string, start: number, out: MsgView): boolean {
    const m = this.loadNextMsg(filter, start);
    if (m === null) return false;
    viewOfStored(m, out);
    return true;
  }

  loadLastMsg(filter: string): StoredMsg | null {
    if (this.msgs.size === 0) return null;
    if (filter === '' || filter === '>') return this.loadPrevMsg(this.last);
    let best = -1;
    for (const [subj, e] of this.fss.matching(filter)) {
      const l = this.subjLast(subj, e);
      if (l > best) best = l;
    }
    return best < 0 ? null : (this.msgs.get(best) ?? null);
  }

  loadPrevMsg(start: number): StoredMsg | null {
    for (let q = Math.min(start, this.last); q >= this.first; q--) {
      const m = this.msgs.get(q);
      if (m !== undefined) return m;
    }
    return null;
  }

  /** First live sequence of a subject, fixing a stale entry by scanning forward. */
  private subjFirst(subj: string, e: { first: number; stale: boolean; last: number }): number {
    if (!e.stale) return e.first;
    const end = e.last === -1 ? this.last : e.last;
    for (let q = Math.max(e.first, this.first); q <= end; q++) {
      const m = this.msgs.get(q);
      if (m !== undefined && m.subj === subj) {
        e.first = q;
        e.stale = false;
        return q;
      }
    }
    e.stale = false;
    return e.first;
  }

  private subjLast(subj: string, e: { first: number; last: number }): number {
    if (e.last !== -1) return e.last;
    for (let q = this.last; q >= this.first; q--) {
      const m = this.msgs.get(q);
      if (m !== undefined && m.subj === subj) {
        e.last = q;
        return q;
      }
    }
    return e.first;
  }

  removeMsg(seq: number): boolean {
    const m = this.msgs.get(seq);
    if (m === undefined) return false;
    this.msgs.delete(seq);
    const sz = memStoreMsgSize(m.subj, m.hdr, m.msg);
    this.bytes -= sz;
    this.fss.remove(m.subj, seq);
    if (this.ttls.size > 0) this.ttls.delete(seq);
    if (seq === this.first) this.advanceFirst();
    if (this.cb !== null) this.cb(-1, -sz, seq, m.subj);
    return true;
  }

  eraseMsg(seq: number): boolean {
    const m = this.msgs.get(seq);
    if (m === undefined) return false;
    m.msg.fill(0);
    return this.removeMsg(seq);
  }

  private advanceFirst(): void {
    if (this.msgs.size === 0) {
      this.first = this.last + 1;
      this.firstTs = 0;
      return;
    }
    for (let q = this.first + 1; q <= this.last; q++) {
      const m = this.msgs.get(q);
      if (m !== undefined) {
        this.first = q;
        this.firstTs = m.ts;
        return;
      }
    }
  }

  purge(): number {
    const n = this.msgs.size;
    const bytes = this.bytes;
    this.msgs.clear();
    this.fss.clear();
    this.ttls.clear();
    this.bytes = 0;
    this.first = this.last + 1;
    this.firstTs = 0;
    if (this.cb !== null && n > 0) this.cb(-n, -bytes, this.last, '');
    return n;
  }

  purgeEx(subject: string, seq: number, keep: number): number {
    const all = subject === '' || subject === '>';
    if (all && seq === 0 && keep === 0) return this.purge();
    if (all && keep === 0) return this.compact(seq);
    let purged = 0;
    if (keep > 0) {
      // Keep the newest `keep` messages per the filter (Go: per the filter as a whole).
      const ss = this.filteredState(0, subject);
      if (ss.msgs <= keep) return 0;
      let toRemove = ss.msgs - keep;
      for (let q = ss.first; q <= ss.last && toRemove > 0; q++) {
        const m = this.msgs.get(q);
        if (m !== undefined && subjectMatches(m.subj, subject) && (seq === 0 || q < seq)) {
          this.removeMsg(q);
          purged++;
          toRemove--;
        }
      }
      return purged;
    }
    const end = seq > 0 ? Math.min(seq - 1, this.last) : this.last;
    for (let q = this.first; q <= end; q++) {
      const m = this.msgs.get(q);
      if (m !== undefined && subjectMatches(m.subj, subject)) {
        this.removeMsg(q);
        purged++;
      }
    }
    return purged;
  }

  compact(seq: number): number {
    if (seq <= this.first) return 0;
    let purged = 0;
    if (seq > this.last) {
      purged = this.msgs.size;
      const bytes = this.bytes;
      this.msgs.clear();
      this.fss.clear();
      this.ttls.clear();
      this.bytes = 0;
      this.last = seq - 1;
      this.first = seq;
      this.firstTs = 0;
      if (this.cb !== null && purged > 0) this.cb(-purged, -bytes, seq, '');
      return purged;
    }
    for (let q = this.first; q < seq; q++) {
      if (this.msgs.has(q)) {
        this.removeMsg(q);
        purged++;
      }
    }
    // Nothing left (the rest were interior deletes): the store starts after its last sequence.
    if (this.msgs.size === 0) this.first = this.last + 1;
    return purged;
  }

  state(): StreamState {
    const n = this.msgs.size;
    return {
      msgs: n,
      bytes: this.bytes,
      first_seq: this.first,
      first_ts: n > 0 ? this.firstTs : 0,
      last_seq: this.last,
      last_ts: this.lastTs,
      num_subjects: this.fss.size,
      num_deleted: n > 0 ? this.last - this.first + 1 - n : 0,
      consumer_count: 0,
    };
  }

  filteredState(start: number, filter: string): SimpleState {
    const out: SimpleState = { msgs: 0, first: 0, last: 0 };
    const s = Math.max(start, this.first);
    for (const [subj, e] of this.fss.matching(filter)) {
      const f = this.subjFirst(subj, e);
      const l = this.subjLast(subj, e);
      if (l < s) continue;
      if (f >= s) {
        out.msgs += e.msgs;
        if (out.first === 0 || f < out.first) out.first = f;
      } else {
        // Count the part at or after `s`.
        let cnt = 0;
        let firstHit = 0;
        for (let q = s; q <= l; q++) {
          const m = this.msgs.get(q);
          if (m !== undefined && m.subj === subj) {
            if (firstHit === 0) firstHit = q;
            cnt++;
          }
        }
        out.msgs += cnt;
        if (firstHit > 0 && (out.first === 0 || firstHit < out.first)) out.first = firstHit;
      }
      if (l > out.last) out.last = l;
    }
    return out;
  }

  subjectsState(filter: string): Map<string, SimpleState> {
    const out = new Map<string, SimpleState>();
    for (const [subj, e] of this.fss.matching(filter)) {
      out.set(subj, { msgs: e.msgs, first: this.subjFirst(subj, e), last: this.subjLast(subj, e) });
    }
    return out;
  }

  numPending(start: number, filter: string, lastPerSubject: boolean): number {
    if (!lastPerSubject) {
      if ((filter === '' || filter === '>') && start <= this.first) return this.msgs.size;
      return this.filteredState(start, filter).msgs;
    }
    let n = 0;
    for (const [subj, e] of this.fss.matching(filter)) if (this.subjLast(subj, e) >= start) n++;
    return n;
  }

  deletedSeqs(): number[] {
    const out: number[] = [];
    if (this.msgs.size === 0) return out;
    for (let q = this.first; q <= this.last; q++) if (!this.msgs.has(q)) out.push(q);
    return out;
  }

  updateConfig(cfg: StoreConfig): void {
    this.cfg = { ...cfg };
    // Messages are in the map in sequence order (sequences only grow).
    this.fss.setTracking(wantsSeqTracking(cfg.max_msgs_per_subject), () => [...this.msgs.values()].map((m): [string, number] => [m.subj, m.seq]));
    if (this.ageTimer !== null) {
      clearTimeout(this.ageTimer);
      this.ageTimer = null;
    }
    this.enforceLimits(null);
    if (cfg.max_age > 0) this.expireAged();
  }

  registerStorageUpdates(cb: StorageUpdateHandler): void {
    this.cb = cb;
  }

  flush(): void {
    /* nothing buffered */
  }

  stop(): void {
    this.stopped = true;
    if (this.ageTimer !== null) clearTimeout(this.ageTimer);
    if (this.ttlTimer !== null) clearTimeout(this.ttlTimer);
    this.ageTimer = null;
    this.ttlTimer = null;
  }

  delete(): void {
    this.stop();
    this.msgs.clear();
    this.fss.clear();
  }

  consumerStore(name: string, _cfg: unknown): ConsumerStore {
    const cs = new MemConsumerStore();
    this.consumers.set(name, cs);
    return cs;
  }

  // ------------------------------------------------------------------ limits

  private enforceLimits(subj: string | null): void {
    const c = this.cfg;
    if (subj !== null && c.max_msgs_per_subject > 0) {
      const e = this.fss.get(subj);
      while (e !== undefined && e.msgs > c.max_msgs_per_subject) {
        const f = this.subjFirst(subj, e);
        if (!this.removeMsg(f)) break;
      }
    } else if (subj === null && c.max_msgs_per_subject > 0) {
      for (const [s, e] of [...this.fss.map]) {
        while (e.msgs > c.max_msgs_per_subject) {
          if (!this.removeMsg(this.subjFirst(s, e))) break;
        }
      }
    }
    if (c.discard === 'new' && subj !== null) return; // the stream rejects before storing
    if (c.max_msgs > 0) while (this.msgs.size > c.max_msgs) this.removeMsg(this.first);
    if (c.max_bytes > 0) while (this.bytes > c.max_bytes && this.msgs.size > 0) this.removeMsg(this.first);
  }

  private armAgeTimer(ns: number): void {
    if (this.stopped) return;
    const ms = Math.max(1, Math.ceil(ns / 1e6));
    this.ageTimer = setTimeout(() => {
      this.ageTimer = null;
      this.expireAged();
    }, ms);
    this.ageTimer.unref?.();
  }

  private expireAged(): void {
    const maxAge = this.cfg.max_age;
    if (maxAge <= 0) return;
    const cutoff = nowNs() - maxAge;
    while (this.msgs.size > 0) {
      const m = this.msgs.get(this.first);
      if (m === undefined || m.ts > cutoff) break;
      this.expire(m.seq, m.subj);
    }
    if (this.msgs.size > 0 && this.ageTimer === null) {
      this.armAgeTimer(this.firstTs + maxAge - nowNs() + 1e6);
    }
  }

  /** Consumers opened through consumerStore that hold a config (memory streams do not outlive the process). */
  consumerNames(): string[] {
    return [...this.consumers]
      .filter(([, cs]) => cs.load() !== null)
      .map(([n]) => n)
      .sort();
  }

  registerExpiryHandler(cb: ExpiryHandler | null): void {
    this.expiryCb = cb;
  }

  /** Age/TTL expiry of one message: the owner may replace it with a delete marker. */
  private expire(seq: number, subj: string): void {
    if (this.expiryCb !== null && this.expiryCb(seq, subj) && !this.msgs.has(seq)) return;
    this.removeMsg(seq);
  }

  private addTTL(seq: number, expires: number): void {
    this.ttls.set(seq, expires);
    this.armTTL();
  }

  private armTTL(): void {
    if (this.ttlTimer !== null || this.ttls.size === 0 || this.stopped) return;
    let min = Infinity;
    for (const v of this.ttls.values()) if (v < min) min = v;
    const ms = Math.max(1, Math.ceil((min - nowNs()) / 1e6));
    this.ttlTimer = setTimeout(() => {
      this.ttlTimer = null;
      const now = nowNs();
      for (const [seq, exp] of [...this.ttls]) {
        if (exp > now) continue;
        const m = this.msgs.get(seq);
        if (m !== undefined) this.expire(seq, m.subj);
        else this.ttls.delete(seq);
      }
      this.armTTL();
    }, ms);
    this.ttlTimer.unref?.();
  }
}

/** Consumer state kept only in memory. */
export class MemConsumerStore implements ConsumerStore {
  private cfg: unknown = null;
  private created = 0;
  private st: ConsumerState | null = null;

  setConfig(cfg: unknown, created: number): void {
    this.cfg = cfg;
    this.created = created;
  }

  update(state: ConsumerState): void {
    this.st = state;
  }

  load(): { config: unknown; created: number; state: ConsumerState } | null {
    return this.cfg === null ? null : { config: this.cfg, created: this.created, state: this.st ?? emptyConsumerState() };
  }

  flush(): void {}
  stop(): void {}
  delete(): void {
    this.st = null;
    this.cfg = null;
  }
}
