/**
 * Per-subject message counts with first/last sequence (Go's psim/fss role),
 * shared by both stores. `first` may go stale after removals; callers fix it
 * lazily through `firstNeedsUpdate` and a forward scan of their own data.
 */
import { matchLiteral, subjectHasWildcard } from '../../sublist/subject.js';

export interface SubjectEntry {
  msgs: number;
  first: number;
  last: number;
  /** first may point at a removed message */
  stale: boolean;
}

export class SubjectIndex {
  readonly map = new Map<string, SubjectEntry>();

  get size(): number {
    return this.map.size;
  }

  add(subj: string, seq: number): SubjectEntry {
    let e = this.map.get(subj);
    if (e === undefined) {
      e = { msgs: 1, first: seq, last: seq, stale: false };
      this.map.set(subj, e);
      return e;
    }
    e.msgs++;
    e.last = seq;
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
    if (seq === e.first) e.stale = true;
    if (seq === e.last) e.last = -1; // recomputed by the owner
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
