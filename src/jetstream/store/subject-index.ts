/**
 * Per-subject message counts with first/last sequence (Go's psim/fss role),
 * shared by both stores. `first` may go stale after removals and `last` may be
 * -1; callers fix them lazily by scanning their own data.
 *
 * With sequence tracking on (the stores turn it on when max_msgs_per_subject
 * is small, e.g. KV history), every entry also keeps its sequences, so first
 * and last stay exact and the per-subject limit never has to scan for the
 * next oldest message.
 */
import { matchLiteral, subjectHasWildcard } from '../../sublist/subject.js';

export interface SubjectEntry {
  /** the subject (one shared string per subject; the file store's index points at it) */
  readonly subj: string;
  msgs: number;
  first: number;
  last: number;
  /** first may point at a removed message */
  stale: boolean;
  /** ascending sequences of the subject's messages, when tracking is on */
  seqs: number[] | null;
}

/** Per-subject limits up to this size keep exact per-subject sequence lists. */
export const TRACK_SEQS_MAX = 4096;

/** Whether a store with this per-subject limit should track sequences. */
export function wantsSeqTracking(maxMsgsPerSubject: number): boolean {
  return maxMsgsPerSubject > 0 && maxMsgsPerSubject <= TRACK_SEQS_MAX;
}

export class SubjectIndex {
  readonly map = new Map<string, SubjectEntry>();
  private tracking = false;

  get size(): number {
    return this.map.size;
  }

  get tracksSeqs(): boolean {
    return this.tracking;
  }

  /**
   * Turn sequence tracking on or off. Turning it on needs every stored
   * (subject, seq) pair in ascending sequence order.
   */
  setTracking(on: boolean, all: () => Iterable<[string, number]>): void {
    if (on === this.tracking) return;
    this.tracking = on;
    for (const e of this.map.values()) e.seqs = on ? [] : null;
    if (!on) return;
    for (const [subj, seq] of all()) this.map.get(subj)?.seqs!.push(seq);
    for (const e of this.map.values()) {
      const q = e.seqs!;
      if (q.length === 0) continue;
      e.first = q[0];
      e.last = q[q.length - 1];
      e.stale = false;
    }
  }

  add(subj: string, seq: number): SubjectEntry {
    let e = this.map.get(subj);
    if (e === undefined) {
      e = { subj, msgs: 1, first: seq, last: seq, stale: false, seqs: this.tracking ? [seq] : null };
      this.map.set(subj, e);
      return e;
    }
    e.msgs++;
    e.last = seq;
    if (e.seqs !== null) e.seqs.push(seq);
    return e;
  }

  /** Returns the entry after removal, or null when the subject is gone. */
  remove(subj: string, seq: number): SubjectEntry | null {
    const e = this.map.get(subj);
    if (e === undefined) return null;
    if (--e.msgs <= 0) {
      this.map.delete(subj);
      return null;
    }
    const q = e.seqs;
    if (q !== null) {
      if (q[0] === seq) q.shift();
      else {
        const i = q.indexOf(seq);
        if (i >= 0) q.splice(i, 1);
      }
      e.first = q[0];
      e.last = q[q.length - 1];
      e.stale = false;
      return e;
    }
    if (seq === e.first) e.stale = true;
    if (seq === e.last) e.last = -1; // recomputed by the owner
    if (e.msgs === 1) {
      // One message left: it is both first and last, so whichever end is still known gives the other.
      if (e.last !== -1) {
        e.first = e.last;
        e.stale = false;
      } else if (!e.stale) e.last = e.first;
    }
    return e;
  }

  get(subj: string): SubjectEntry | undefined {
    return this.map.get(subj);
  }

  clear(): void {
    this.map.clear();
  }

  /** Entries whose subject matches filter ('' or '>' = all). */
  *matching(filter: string): IterableIterator<[string, SubjectEntry]> {
    if (filter === '' || filter === '>') {
      yield* this.map.entries();
      return;
    }
    if (!subjectHasWildcard(filter)) {
      const e = this.map.get(filter);
      if (e !== undefined) yield [filter, e];
      return;
    }
    for (const kv of this.map) if (matchLiteral(kv[0], filter)) yield kv;
  }
}

/** True when a stored subject passes a consumer/API filter ('' and '>' match all). */
export function subjectMatches(subj: string, filter: string): boolean {
  if (filter === '' || filter === '>') return true;
  if (filter === subj) return true;
  return subjectHasWildcard(filter) && matchLiteral(subj, filter);
}
