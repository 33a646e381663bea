/**
 * Account subject mappings (Go accounts.go AddWeightedMappings and
 * selectMappedSubject): a message a client publishes on a subject matching a
 * mapping's source is routed on one of its destinations, chosen by weight.
 *
 * Go's rules, kept here:
 * - a plain `src: dest` entry is one destination of weight 100;
 * - a destination weight above 100, a repeated destination, or destinations
 *   of one cluster (or of no cluster) weighing more than 100 together, fail;
 * - when the weights add up to less than 100 and the source itself is not a
 *   destination, the source fills the remainder: that share of messages keeps
 *   its subject. Listing the source explicitly means "drop the remainder";
 * - destinations with a `cluster` apply only on a server of that cluster; a
 *   server of another (or no) cluster uses the others, and with none left the
 *   subject is kept;
 * - the first mapping whose source matches wins. Ours are in file order; Go
 *   fills its list from the parsed map, so its order for overlapping sources
 *   is arbitrary.
 */
import {
  compileTransform,
  ERR_BAD_SUBJECT,
  tokenizeInto,
  tokensMatch,
  transformTokenize,
  validateMapping,
  type SubjectTransform,
} from '../sublist/transform.js';
import type { MappingSpec } from '../config/options.js';
import { ConfigError } from '../util/errors.js';

interface Destination {
  tr: SubjectTransform;
  /** cumulative weight after sorting: chosen when the 0..99 draw is below it */
  weight: number;
}

interface Mapping {
  src: string;
  /** source tokens, for wildcard sources */
  stoks: string[];
  wc: boolean;
  dests: Destination[];
}

/** Go IsValidSubject (non-strict). */
function isValidSubject(s: string): boolean {
  if (s === '' || /[\t\n\f\r ]/.test(s)) return false;
  const t = s.split('.');
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '') return false;
    if (t[i] === '>' && i !== t.length - 1) return false;
  }
  return true;
}

function hasWildcard(s: string): boolean {
  for (const t of s.split('.')) if (t === '*' || t === '>') return true;
  return false;
}

/** Go quotes subjects with %q; for the ASCII subjects of a config this is JSON quoting. */
function q(s: string): string {
  return JSON.stringify(s);
}

/** The compiled mappings of one account. */
export class AccountMappings {
  private readonly list: Mapping[] = [];
  /** scratch tokens for select() (not re-entrant) */
  private readonly toks: string[] = [];

  /** `cluster`: this server's cluster name ('' without clustering). */
  constructor(specs: readonly MappingSpec[], private readonly cluster = '') {
    for (const m of specs) this.add(m);
  }

  get size(): number {
    return this.list.length;
  }

  /**
   * Go AddWeightedMappings. Throws a ConfigError worded as Go's
   * (`Error adding mapping for "src" ...`).
   */
  private add(spec: MappingSpec): void {
    const src = spec.source;
    const single = spec.dests.length === 1 && spec.dests[0].weight === 100 && spec.dests[0].cluster === undefined;
    const where = single ? `${q(src)} to ${q(spec.dests[0].subject)}` : q(src);
    try {
      const m = this.build(src, spec.dests);
      const i = this.list.findIndex((e) => e.src === src);
      if (i >= 0) this.list[i] = m;
      else this.list.push(m);
    } catch (e) {
      throw new ConfigError(`Error adding mapping for ${where} : ${(e as Error).message}`, { cause: e });
    }
  }

  private build(src: string, specDests: MappingSpec['dests']): Mapping {
    if (!isValidSubject(src)) throw new Error(ERR_BAD_SUBJECT);
    const wc = hasWildcard(src);
    const seen = new Set<string>();
    const totals = new Map<string, number>();
    const main: { tr: SubjectTransform; weight: number }[] = [];
    const byCluster = new Map<string, { tr: SubjectTransform; weight: number }[]>();
    for (const d of specDests) {
      if (seen.has(d.subject)) throw new Error(`duplicate entry for ${q(d.subject)}`);
      seen.add(d.subject);
      if (d.weight > 100) throw new Error('individual weights need to be <= 100');
      const cl = d.cluster ?? '';
      const tw = (totals.get(cl) ?? 0) + d.weight;
      totals.set(cl, tw);
      if (tw > 100) throw new Error('total weight needs to be <= 100');
      // an empty destination would leave Go without a transform (and crash it on use)
      if (d.subject === '') throw new Error(ERR_BAD_SUBJECT);
      validateMapping(src, d.subject);
      const tr = compileTransform(src, d.subject);
      if (cl === '') main.push({ tr, weight: d.weight });
      else {
        let l = byCluster.get(cl);
        if (l === undefined) byCluster.set(cl, (l = []));
        l.push({ tr, weight: d.weight });
      }
    }
    const process = (dests: { tr: SubjectTransform; weight: number }[]): Destination[] => {
      let ltw = 0;
      for (const d of dests) ltw += d.weight;
      if (ltw !== 100 && !seen.has(src)) {
        const keep = compileTransform(src, wc ? transformTokenize(src) : src);
        dests.push({ tr: keep, weight: dests.length === 0 ? 100 : 100 - ltw });
      }
      dests.sort((a, b) => a.weight - b.weight);
      let lw = 0;
      return dests.map((d) => {
        lw += d.weight;
        return { tr: d.tr, weight: lw };
      });
    };
    // Go prepares every cluster's list and picks at publish time; only this
    // server's cluster can ever be picked, and any other falls back to the main list.
    let chosen = process(main);
    for (const [cl, l] of byCluster) {
      const p = process(l);
      if (cl === this.cluster) chosen = p;
    }
    return { src, stoks: src.split('.'), wc, dests: chosen };
  }

  /**
   * Go selectMappedSubject: the subject to route a publish on `subject`, or
   * null when no mapping applies. '' means the message is dropped (weights
   * under 100 with the source listed explicitly).
   */
  select(subject: string): string | null {
    const list = this.list;
    const t = this.toks;
    // Go tokenises lazily, the first time a mapping is not a literal hit; a
    // literal hit on the first mapping leaves no tokens, so a partition() in
    // its destination hashes the empty string there, as in Go.
    let n = 0;
    let m: Mapping | null = null;
    for (let k = 0; k < list.length; k++) {
      const rm = list[k];
      if (!rm.wc && rm.src === subject) {
        m = rm;
        break;
      }
      if (n === 0) n = tokenizeInto(subject, t);
      if (tokensMatch(t, n, rm.stoks)) {
        m = rm;
        break;
      }
    }
    if (m === null) return null;
    const dests = m.dests;
    let d: Destination | null = null;
    if (dests.length === 1 && dests[0].weight === 100) d = dests[0];
    else {
      const w = Math.floor(Math.random() * 100);
      for (let k = 0; k < dests.length; k++) {
        if (w < dests[k].weight) {
          d = dests[k];
          break;
        }
      }
    }
    if (d === null) return '';
    const tr = d.tr;
    return tr.constant ? tr.dest : tr.transformTokens(t, n);
  }
}
