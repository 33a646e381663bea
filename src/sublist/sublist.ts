/**
 * The subscription index (Go server/sublist.go).
 *
 * A tree of levels, one per subject token. Each level maps literal tokens to
 * nodes and keeps the '*' and '>' nodes in dedicated fields; a node holds the
 * plain subscriptions ending there, its queue subscriptions grouped by queue
 * name, and the next level. Matching a literal subject walks the literal path
 * and forks into every '*' branch, picking up '>' nodes on the way.
 *
 * Results are pre-grouped (plain subs, then one array per queue group) and
 * kept in a bounded cache keyed by subject, so a cache hit costs one Map
 * lookup and allocates nothing. Results are shared and never mutated: an
 * insert replaces every cached result the new subscription matches with an
 * extended copy (Go addToCache), a remove drops the cached results it touches
 * (Go removeFromCache), and `genid` moves on every change so per-connection
 * L1 caches can tell they are stale.
 *
 * Generic over the subscriber type so it has no dependency on the server.
 */
import { isValidSublistSubject, matchLiteral, subjectHasWildcard } from './subject.js';

export interface SublistSub {
  readonly subject: string;
  readonly queue: string | null;
}

export interface SublistResult<S> {
  readonly psubs: S[];
  /** one array per queue group, each holding that group's members */
  readonly qsubs: S[][];
}

/** Field names as Go's SublistStats JSON (/subsz, /accountz). */
export interface SublistStats {
  num_subscriptions: number;
  num_cache: number;
  num_inserts: number;
  num_removes: number;
  num_matches: number;
  cache_hit_rate: number;
  max_fanout: number;
  avg_fanout: number;
}

/** The shared "no interest" result; callers may compare against it by identity. */
export const EMPTY_RESULT: SublistResult<never> = Object.freeze({
  psubs: Object.freeze([]) as unknown as never[],
  qsubs: Object.freeze([]) as unknown as never[][],
});

/** Go slCacheMax / slCacheSweep: past CACHE_MAX entries, trim down to CACHE_SWEEP. */
export const CACHE_MAX = 1024;
export const CACHE_SWEEP = 256;

interface QGroup<S> {
  readonly name: string;
  readonly members: S[];
}

const EMPTY_LIST: never[] = Object.freeze([]) as unknown as never[];

class SlNode<S> {
  next: SlLevel<S> | null = null;
  psubs: Set<S> | null = null;
  qsubs: Map<string, Set<S>> | null = null;
  /** Array snapshots of psubs/qsubs for the match walk, rebuilt lazily after a change. */
  plist: S[] | null = null;
  qlist: QGroup<S>[] | null = null;

  snapshot(): void {
    this.plist = this.psubs === null ? EMPTY_LIST : [...this.psubs];
    if (this.qsubs === null) {
      this.qlist = EMPTY_LIST;
      return;
    }
    const ql: QGroup<S>[] = [];
    for (const [name, set] of this.qsubs) ql.push({ name, members: [...set] });
    this.qlist = ql;
  }

  isEmpty(): boolean {
    return (
      (this.psubs === null || this.psubs.size === 0) &&
      (this.qsubs === null || this.qsubs.size === 0) &&
      (this.next === null || this.next.numNodes() === 0)
    );
  }

  hasSubs(): boolean {
    return (this.psubs !== null && this.psubs.size > 0) || (this.qsubs !== null && this.qsubs.size > 0);
  }
}

class SlLevel<S> {
  readonly nodes = new Map<string, SlNode<S>>();
  pwc: SlNode<S> | null = null;
  fwc: SlNode<S> | null = null;

  numNodes(): number {
    return this.nodes.size + (this.pwc !== null ? 1 : 0) + (this.fwc !== null ? 1 : 0);
  }

  /** The child node for `token` ('*' and '>' use their own fields), created on demand. */
  child(token: string, create: boolean): SlNode<S> | null {
    if (token.length === 1) {
      const c = token.charCodeAt(0);
      if (c === 42) {
        if (this.pwc === null && create) this.pwc = new SlNode<S>();
        return this.pwc;
      }
      if (c === 62) {
        if (this.fwc === null && create) this.fwc = new SlNode<S>();
        return this.fwc;
      }
    }
    let n = this.nodes.get(token);
    if (n === undefined) {
      if (!create) return null;
      n = new SlNode<S>();
      this.nodes.set(token, n);
    }
    return n;
  }

  prune(n: SlNode<S>, token: string): void {
    if (n === this.fwc) this.fwc = null;
    else if (n === this.pwc) this.pwc = null;
    else this.nodes.delete(token);
  }
}

/** Copy of `r` with `sub` added (results are shared, so never extend in place). */
function withSub<S extends SublistSub>(r: SublistResult<S>, sub: S): SublistResult<S> {
  const psubs = r.psubs.slice();
  const qsubs: S[][] = new Array(r.qsubs.length);
  for (let i = 0; i < r.qsubs.length; i++) qsubs[i] = r.qsubs[i].slice();
  const q = sub.queue;
  if (q === null) {
    psubs.push(sub);
  } else {
    let i = 0;
    while (i < qsubs.length && qsubs[i][0].queue !== q) i++;
    if (i < qsubs.length) qsubs[i].push(sub);
    else qsubs.push([sub]);
  }
  return { psubs, qsubs };
}

/** Receives the subscriptions a sublist really added or removed (see Sublist.listener). */
export interface SublistListener<S> {
  changed(sub: S, added: boolean): void;
}

export class Sublist<S extends SublistSub> {
  /** Moves on every insert/remove/removeBatch; per-connection caches compare it. */
  genid = 0;
  /**
   * Tells `listener` of every subscription actually added (true) or removed (false),
   * after the tree changed: the hook interest propagation to other servers
   * (routes, leaf nodes, gateways) hangs on. Null when nobody listens.
   */
  listener: SublistListener<S> | null = null;
  private readonly root = new SlLevel<S>();
  private cache: Map<string, SublistResult<S>> | null;
  private subCount = 0;
  private inserts = 0;
  private removes = 0;
  private matches = 0;
  private cacheHits = 0;
  // Scratch state for the walk on a cache miss (match/hasInterest are not re-entrant).
  private readonly toks: string[] = [];
  private rp: S[] | null = null;
  private rq: S[][] | null = null;
  private readonly pathLevels: SlLevel<S>[] = [];
  private readonly pathNodes: SlNode<S>[] = [];

  constructor(cacheEnabled = true) {
    this.cache = cacheEnabled ? new Map() : null;
  }

  cacheEnabled(): boolean {
    return this.cache !== null;
  }

  /**
   * Adds `sub`; false when its subject has an empty token or a '>' that is not
   * last (Go Insert's only checks: SUB gets -ERR 'Invalid Subject' from it).
   * Inserting the same object twice is a no-op that returns true.
   */
  insert(sub: S): boolean {
    const subject = sub.subject;
    if (!isValidSublistSubject(subject)) return false;
    let level = this.root;
    let node: SlNode<S> | null = null;
    let start = 0;
    for (;;) {
      let end = subject.indexOf('.', start);
      const last = end < 0;
      if (last) end = subject.length;
      node = level.child(start === 0 && last ? subject : subject.slice(start, end), true)!;
      if (last) break;
      level = node.next ??= new SlLevel<S>();
      start = end + 1;
    }
    const q = sub.queue;
    if (q === null) {
      const set = (node.psubs ??= new Set());
      if (set.has(sub)) return true;
      set.add(sub);
    } else {
      const groups = (node.qsubs ??= new Map());
      let set = groups.get(q);
      if (set === undefined) {
        set = new Set();
        groups.set(q, set);
      } else if (set.has(sub)) {
        return true;
      }
      set.add(sub);
    }
    node.plist = null;
    this.subCount++;
    this.inserts++;
    this.addToCache(subject, sub);
    this.genid++;
    if (this.listener !== null) this.listener.changed(sub, true);
    return true;
  }

  /** Removes `sub`; false when it is not present (or its subject is invalid). */
  remove(sub: S): boolean {
    if (!this.removeSub(sub)) return false;
    this.removeFromCache(sub.subject);
    this.genid++;
    if (this.listener !== null) this.listener.changed(sub, false);
    return true;
  }

  /**
   * Removes many subscriptions at once (a closing connection). Like Go's
   * RemoveBatch the whole result cache is dropped instead of being updated
   * per subscription, and genid moves once.
   */
  removeBatch(subs: Iterable<S>): void {
    let removed: S[] | null = null;
    const notify = this.listener;
    let any = false;
    for (const s of subs) {
      any = true;
      if (this.removeSub(s) && notify !== null) (removed ??= []).push(s);
    }
    if (!any) return;
    if (this.cache !== null) this.cache.clear();
    this.genid++;
    if (removed !== null) for (let k = 0; k < removed.length; k++) notify!.changed(removed[k], false);
  }

  /** Tree removal with pruning of emptied nodes; no cache or genid work. */
  private removeSub(sub: S): boolean {
    const subject = sub.subject;
    if (!isValidSublistSubject(subject)) return false;
    const levels = this.pathLevels;
    const nodes = this.pathNodes;
    const toks = this.toks;
    let depth = 0;
    let level: SlLevel<S> | null = this.root;
    let node: SlNode<S> | null = null;
    let start = 0;
    for (;;) {
      if (level === null) return false;
      let end = subject.indexOf('.', start);
      const last = end < 0;
      if (last) end = subject.length;
      const tok = start === 0 && last ? subject : subject.slice(start, end);
      node = level.child(tok, false);
      if (node === null) return false;
      levels[depth] = level;
      nodes[depth] = node;
      toks[depth] = tok;
      depth++;
      if (last) break;
      level = node.next;
      start = end + 1;
    }
    const q = sub.queue;
    if (q === null) {
      if (node.psubs === null || !node.psubs.delete(sub)) return false;
      if (node.psubs.size === 0) node.psubs = null;
    } else {
      const set = node.qsubs?.get(q);
      if (set === undefined || !set.delete(sub)) return false;
      if (set.size === 0) {
        node.qsubs!.delete(q);
        if (node.qsubs!.size === 0) node.qsubs = null;
      }
    }
    node.plist = null;
    this.subCount--;
    this.removes++;
    for (let i = depth - 1; i >= 0; i--) {
      const n = nodes[i];
      if (n.next !== null && n.next.numNodes() === 0) n.next = null;
      if (n.isEmpty()) levels[i].prune(n, toks[i]);
    }
    return true;
  }

  /** Go addToCache: extend every cached result the new subscription matches. */
  private addToCache(subject: string, sub: S): void {
    const c = this.cache;
    if (c === null || c.size === 0) return;
    if (!subjectHasWildcard(subject)) {
      const r = c.get(subject);
      if (r !== undefined) c.set(subject, withSub(r, sub));
      return;
    }
    for (const [key, r] of c) {
      if (matchLiteral(key, subject)) c.set(key, withSub(r, sub));
    }
  }

  /** Go removeFromCache: drop every cached result the removed subscription matched. */
  private removeFromCache(subject: string): void {
    const c = this.cache;
    if (c === null || c.size === 0) return;
    if (!subjectHasWildcard(subject)) {
      c.delete(subject);
      return;
    }
    for (const key of c.keys()) {
      if (matchLiteral(key, subject)) c.delete(key);
    }
  }

  /**
   * Subscriptions interested in `subject` (taken literally: a '*' token in it
   * only meets '*' and '>' subscriptions). The result is shared with the cache
   * and other callers: never mutate it.
   */
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
    const n = this.tokenizeInto(subject);
    // Empty tokens match nothing and are not cached (Go match).
    if (n < 0) return EMPTY_RESULT;
    this.rp = null;
    this.rq = null;
    this.matchLevel(this.root, 0, n);
    const psubs = this.rp;
    const qsubs = this.rq;
    this.rp = null;
    this.rq = null;
    const r: SublistResult<S> =
      psubs === null && qsubs === null ? EMPTY_RESULT : { psubs: psubs ?? [], qsubs: qsubs ?? [] };
    if (c !== null) {
      c.set(subject, r);
      if (c.size > CACHE_MAX) this.sweepCache(c);
    }
    return r;
  }

  /**
   * Is anyone interested in `subject`? Uses a cached result when there is one
   * (counted as a cache hit, not as a match, as Go does) and otherwise walks
   * the tree without building or caching a result.
   */
  hasInterest(subject: string): boolean {
    const c = this.cache;
    if (c !== null) {
      const hit = c.get(subject);
      if (hit !== undefined) {
        this.cacheHits++;
        return hit.psubs.length + hit.qsubs.length > 0;
      }
    }
    const n = this.tokenizeInto(subject);
    if (n < 0) return false;
    return this.matchAny(this.root, 0, n);
  }

  /** Drops the oldest entries (Go drops arbitrary ones) down to CACHE_SWEEP. */
  private sweepCache(c: Map<string, SublistResult<S>>): void {
    let drop = c.size - CACHE_SWEEP;
    for (const key of c.keys()) {
      if (drop-- <= 0) break;
      c.delete(key);
    }
  }

  /** Fills this.toks with the tokens of `subject`; -1 when a token is empty. */
  private tokenizeInto(subject: string): number {
    const len = subject.length;
    const toks = this.toks;
    let n = 0;
    let start = 0;
    let dot = subject.indexOf('.');
    if (dot < 0) {
      if (len === 0) return -1;
      toks[0] = subject;
      return 1;
    }
    while (dot >= 0) {
      if (dot === start) return -1;
      toks[n++] = subject.slice(start, dot);
      start = dot + 1;
      dot = subject.indexOf('.', start);
    }
    if (start >= len) return -1;
    toks[n++] = subject.slice(start);
    return n;
  }

  /** Go matchLevel: walk literal tokens, recursing into each '*' branch. */
  private matchLevel(l: SlLevel<S> | null, i: number, n: number): void {
    const toks = this.toks;
    let pwc: SlNode<S> | null = null;
    let node: SlNode<S> | null = null;
    for (; i < n; i++) {
      if (l === null) return;
      if (l.fwc !== null) this.collect(l.fwc);
      pwc = l.pwc;
      if (pwc !== null && pwc.next !== null) this.matchLevel(pwc.next, i + 1, n);
      node = l.nodes.size === 0 ? null : l.nodes.get(toks[i]) ?? null;
      l = node === null ? null : node.next;
    }
    if (node !== null) this.collect(node);
    if (pwc !== null) this.collect(pwc);
  }

  /** Go matchLevelForAny: stop at the first subscription found. */
  private matchAny(l: SlLevel<S> | null, i: number, n: number): boolean {
    const toks = this.toks;
    let pwc: SlNode<S> | null = null;
    let node: SlNode<S> | null = null;
    for (; i < n; i++) {
      if (l === null) return false;
      if (l.fwc !== null) return true;
      pwc = l.pwc;
      if (pwc !== null && pwc.next !== null && this.matchAny(pwc.next, i + 1, n)) return true;
      node = l.nodes.size === 0 ? null : l.nodes.get(toks[i]) ?? null;
      l = node === null ? null : node.next;
    }
    if (node !== null && node.hasSubs()) return true;
    return pwc !== null && pwc.hasSubs();
  }

  /** Go addNodeToResults: append a node's subs, merging queue groups by name. */
  private collect(node: SlNode<S>): void {
    if (node.plist === null) node.snapshot();
    const ps = node.plist!;
    if (ps.length > 0) {
      const out = (this.rp ??= []);
      for (let i = 0; i < ps.length; i++) out.push(ps[i]);
    }
    const qs = node.qlist!;
    if (qs.length > 0) {
      const groups = (this.rq ??= []);
      for (let j = 0; j < qs.length; j++) {
        const q = qs[j];
        let g: S[] | undefined;
        for (let k = 0; k < groups.length; k++) {
          if (groups[k][0].queue === q.name) {
            g = groups[k];
            break;
          }
        }
        if (g === undefined) {
          g = [];
          groups.push(g);
        }
        const m = q.members;
        for (let i = 0; i < m.length; i++) g.push(m[i]);
      }
    }
  }

  count(): number {
    return this.subCount;
  }

  cacheCount(): number {
    return this.cache === null ? 0 : this.cache.size;
  }

  /** Appends every subscription to `out` and returns it. */
  all(out: S[] = []): S[] {
    collectAll(this.root, out);
    return out;
  }

  /**
   * Go Sublist.Stats: fan-out is measured over the cached results (plain subs
   * plus queue groups per result); the hit rate divides cache hits (including
   * hasInterest's) by match calls only.
   */
  stats(): SublistStats {
    return Sublist.sumStats([this]);
  }

  /** Go SublistStats.add over several sublists (the per-account sublists of /subsz). */
  static sumStats(lists: Iterable<Sublist<SublistSub>>): SublistStats {
    const st: SublistStats = {
      num_subscriptions: 0,
      num_cache: 0,
      num_inserts: 0,
      num_removes: 0,
      num_matches: 0,
      cache_hit_rate: 0,
      max_fanout: 0,
      avg_fanout: 0,
    };
    let hits = 0;
    let totFanout = 0;
    let cacheCnt = 0;
    for (const sl of lists) {
      st.num_subscriptions += sl.subCount;
      st.num_inserts += sl.inserts;
      st.num_removes += sl.removes;
      st.num_matches += sl.matches;
      hits += sl.cacheHits;
      if (sl.cache === null) continue;
      st.num_cache += sl.cache.size;
      for (const r of sl.cache.values()) {
        const f = r.psubs.length + r.qsubs.length;
        totFanout += f;
        if (f > st.max_fanout) st.max_fanout = f;
        cacheCnt++;
      }
    }
    if (st.num_matches > 0) st.cache_hit_rate = hits / st.num_matches;
    if (totFanout > 0) st.avg_fanout = totFanout / cacheCnt;
    return st;
  }
}

function collectAll<S>(l: SlLevel<S>, out: S[]): void {
  for (const n of l.nodes.values()) collectNode(n, out);
  if (l.pwc !== null) collectNode(l.pwc, out);
  if (l.fwc !== null) collectNode(l.fwc, out);
}

function collectNode<S>(n: SlNode<S>, out: S[]): void {
  if (n.psubs !== null) for (const s of n.psubs) out.push(s);
  if (n.qsubs !== null) for (const set of n.qsubs.values()) for (const s of set) out.push(s);
  if (n.next !== null) collectAll(n.next, out);
}
