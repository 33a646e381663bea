/**
 * The subscription index (Go sublist.go): a tree of subject levels, each node
 * holding literal children in a Map plus dedicated '*' and '>' children, and
 * a bounded cache of match results keyed by subject. Results are shared
 * between callers and never mutated: inserting or removing a subscription
 * drops the cached results it affects, so a later match rebuilds them.
 * Generic over the subscriber type so it can be tested and benchmarked alone.
 */
import { isValidSubject, subjectHasWildcard, subjectIsSubsetMatch } from './subject.js';

export interface SublistSub {
  readonly subject: string;
  readonly queue: string | null;
}

export interface SublistResult<S> {
  readonly psubs: S[];
  /** one array per queue group */
  readonly qsubs: S[][];
}

export const EMPTY_RESULT: SublistResult<never> = Object.freeze({ psubs: [], qsubs: [] }) as SublistResult<never>;

/** Go slCacheMax / slCacheSweep */
const CACHE_MAX = 1024;
const CACHE_SWEEP = 256;

class SlNode<S> {
  next: SlLevel<S> | null = null;
  readonly psubs = new Set<S>();
  qsubs: Map<string, Set<S>> | null = null;

  isEmpty(): boolean {
    return this.psubs.size === 0 && (this.qsubs === null || this.qsubs.size === 0) && (this.next === null || this.next.isEmpty());
  }
}

class SlLevel<S> {
  readonly nodes = new Map<string, SlNode<S>>();
  pwc: SlNode<S> | null = null;
  fwc: SlNode<S> | null = null;

  isEmpty(): boolean {
    return this.nodes.size === 0 && this.pwc === null && this.fwc === null;
  }
}

export class Sublist<S extends SublistSub> {
  genid = 0;
  private readonly root = new SlLevel<S>();
  private readonly cache: Map<string, SublistResult<S>> | null;
  private subCount = 0;
  private inserts = 0;
  private removes = 0;
  private matches = 0;
  private cacheHits = 0;

  constructor(cacheEnabled = true) {
    this.cache = cacheEnabled ? new Map() : null;
  }

  insert(sub: S): boolean {
    const subject = sub.subject;
    if (!isValidSubject(subject)) return false;
    const toks = subject.split('.');
    let level = this.root;
    let node: SlNode<S> | null = null;
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      if (t === '*') node = level.pwc ??= new SlNode<S>();
      else if (t === '>') node = level.fwc ??= new SlNode<S>();
      else {
        node = level.nodes.get(t) ?? null;
        if (node === null) {
          node = new SlNode<S>();
          level.nodes.set(t, node);
        }
      }
      if (i < toks.length - 1) level = node.next ??= new SlLevel<S>();
    }
    const n = node!;
    if (sub.queue === null) {
      if (n.psubs.has(sub)) return true;
      n.psubs.add(sub);
    } else {
      n.qsubs ??= new Map();
      let set = n.qsubs.get(sub.queue);
      if (set === undefined) {
        set = new Set();
        n.qsubs.set(sub.queue, set);
      }
      if (set.has(sub)) return true;
      set.add(sub);
    }
    this.subCount++;
    this.inserts++;
    this.genid++;
    this.invalidate(subject);
    return true;
  }

  remove(sub: S): boolean {
    const subject = sub.subject;
    const toks = subject.split('.');
    const path: { level: SlLevel<S>; node: SlNode<S>; tok: string }[] = [];
    let level: SlLevel<S> | null = this.root;
    let node: SlNode<S> | null = null;
    for (let i = 0; i < toks.length; i++) {
      if (level === null) return false;
      const t = toks[i];
      node = t === '*' ? level.pwc : t === '>' ? level.fwc : level.nodes.get(t) ?? null;
      if (node === null) return false;
      path.push({ level, node, tok: t });
      level = node.next;
    }
    const n = node!;
    let removed = false;
    if (sub.queue === null) {
      removed = n.psubs.delete(sub);
    } else if (n.qsubs !== null) {
      const set = n.qsubs.get(sub.queue);
      if (set !== undefined) {
        removed = set.delete(sub);
        if (set.size === 0) n.qsubs.delete(sub.queue);
      }
    }
    if (!removed) return false;
    // Prune empty nodes from the leaf up.
    for (let i = path.length - 1; i >= 0; i--) {
      const { level: l, node: nd, tok } = path[i];
      if (nd.next !== null && nd.next.isEmpty()) nd.next = null;
      if (!nd.isEmpty()) break;
      if (tok === '*') l.pwc = null;
      else if (tok === '>') l.fwc = null;
      else l.nodes.delete(tok);
    }
    this.subCount--;
    this.removes++;
    this.genid++;
    this.invalidate(subject);
    return true;
  }

  removeBatch(subs: Iterable<S>): void {
    for (const s of subs) this.remove(s);
  }

  /** Drop cached results that a change to `subject`'s subscriptions affects. */
  private invalidate(subject: string): void {
    const c = this.cache;
    if (c === null || c.size === 0) return;
    if (!subjectHasWildcard(subject)) {
      c.delete(subject);
      return;
    }
    for (const key of c.keys()) if (subjectIsSubsetMatch(key, subject)) c.delete(key);
  }

  match(subject: string): SublistResult<S> {
    this.matches++;
    const c = this.cache;
    if (c !== null) {
      const hit = c.get(subject);
      if (hit !== undefined) {
        this.cacheHits++;
        return hit;
      }
    }
    const toks = subject.split('.');
    const psubs: S[] = [];
    let groups: Map<string, S[]> | null = null;
    const collect = (n: SlNode<S>) => {
      for (const s of n.psubs) psubs.push(s);
      if (n.qsubs !== null && n.qsubs.size > 0) {
        groups ??= new Map();
        for (const [q, set] of n.qsubs) {
          let g = groups.get(q);
          if (g === undefined) {
            g = [];
            groups.set(q, g);
          }
          for (const s of set) g.push(s);
        }
      }
    };
    const walk = (level: SlLevel<S>, i: number): void => {
      const last = i === toks.length - 1;
      if (level.fwc !== null) collect(level.fwc);
      if (level.pwc !== null) {
        if (last) collect(level.pwc);
        else if (level.pwc.next !== null) walk(level.pwc.next, i + 1);
      }
      const n = level.nodes.get(toks[i]);
      if (n !== undefined) {
        if (last) collect(n);
        else if (n.next !== null) walk(n.next, i + 1);
      }
    };
    // Empty tokens cannot match anything (Go: invalid publish subjects find no interest).
    let valid = subject.length > 0;
    for (let i = 0; valid && i < toks.length; i++) if (toks[i].length === 0) valid = false;
    if (valid) walk(this.root, 0);
    const g = groups as Map<string, S[]> | null;
    const r: SublistResult<S> =
      psubs.length === 0 && g === null ? (EMPTY_RESULT as SublistResult<S>) : { psubs, qsubs: g === null ? [] : [...g.values()] };
    if (c !== null) {
      c.set(subject, r);
      if (c.size > CACHE_MAX) {
        let drop = c.size - (CACHE_MAX - CACHE_SWEEP);
        for (const key of c.keys()) {
          if (drop-- <= 0) break;
          c.delete(key);
        }
      }
    }
    return r;
  }

  hasInterest(subject: string): boolean {
    const r = this.match(subject);
    return r.psubs.length > 0 || r.qsubs.length > 0;
  }

  count(): number {
    return this.subCount;
  }

  cacheCount(): number {
    return this.cache === null ? 0 : this.cache.size;
  }

  all(out: S[] = []): S[] {
    const visit = (l: SlLevel<S>) => {
      const nodes = [...l.nodes.values()];
      if (l.pwc) nodes.push(l.pwc);
      if (l.fwc) nodes.push(l.fwc);
      for (const n of nodes) {
        for (const s of n.psubs) out.push(s);
        if (n.qsubs) for (const set of n.qsubs.values()) for (const s of set) out.push(s);
        if (n.next) visit(n.next);
      }
    };
    visit(this.root);
    return out;
  }

  stats(): {
    num_subscriptions: number;
    num_cache: number;
    num_inserts: number;
    num_removes: number;
    num_matches: number;
    cache_hit_rate: number;
    max_fanout: number;
    avg_fanout: number;
  } {
    let max = 0;
    let total = 0;
    let n = 0;
    if (this.cache !== null) {
      for (const r of this.cache.values()) {
        const f = r.psubs.length + r.qsubs.length;
        total += f;
        if (f > max) max = f;
        n++;
      }
    }
    return {
      num_subscriptions: this.subCount,
      num_cache: this.cacheCount(),
      num_inserts: this.inserts,
      num_removes: this.removes,
      num_matches: this.matches,
      cache_hit_rate: this.matches > 0 ? this.cacheHits / this.matches : 0,
      max_fanout: max,
      avg_fanout: n > 0 ? total / n : 0,
    };
  }
}
