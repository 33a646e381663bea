/**
 * Per-user permissions (Go client.go setPermissions, canSubscribe,
 * pubAllowedFullCheck, checkDenySub). Each allow/deny list is a sublist of
 * patterns, so a subject is allowed when a pattern matches it exactly as a
 * subscription would. Subjects are latin1 byte strings.
 */
import { Sublist } from '../sublist/sublist.js';
import { isValidSubject, subjectHasWildcard, subjectIsSubsetMatch } from '../sublist/subject.js';
import { byteString } from '../util/bytes.js';
import type { UserPermissionsSpec } from '../config/options.js';
import { DEFAULT_ALLOW_RESPONSES } from '../config/options.js';
import type { ClientPermissions } from './types.js';

interface Pattern {
  readonly subject: string;
  readonly queue: string | null;
}

/** Go caps its publish-permission result cache at this many subjects. */
const PUB_CACHE_MAX = 128;

/** "subject" or "subject queue" (Go splitSubjectQueue). */
export function splitSubjectQueue(entry: string): Pattern | null {
  const parts = entry.trim().split(/[ \t]+/);
  if (parts.length === 1 && isValidSubject(parts[0])) return { subject: parts[0], queue: null };
  if (parts.length === 2 && isValidSubject(parts[0])) return { subject: parts[0], queue: parts[1] };
  return null;
}

function buildList(entries: string[] | undefined, allowQueue: boolean): Sublist<Pattern> | null {
  if (entries === undefined) return null;
  const sl = new Sublist<Pattern>(false);
  for (const e of entries) {
    const p = allowQueue ? splitSubjectQueue(byteString(e)) : { subject: byteString(e), queue: null };
    if (p !== null && isValidSubject(p.subject)) sl.insert(p);
  }
  return sl;
}

/** Does a queue group in the match results name this queue (wildcard queue names allowed)? */
function queueMatches(queue: string, qsubs: Pattern[][]): boolean {
  for (const g of qsubs) {
    const qn = g[0]?.queue;
    if (qn === null || qn === undefined) continue;
    if (qn === queue) return true;
    if (subjectHasWildcard(qn) && subjectIsSubsetMatch(queue, qn)) return true;
  }
  return false;
}

export class Permissions implements ClientPermissions {
  readonly hasPub: boolean;
  readonly hasSub: boolean;
  hasSubDeny = false;
  readonly hasResponses: boolean;
  private readonly pubAllow: Sublist<Pattern> | null;
  private readonly pubDeny: Sublist<Pattern> | null;
  private readonly subAllow: Sublist<Pattern> | null;
  private readonly subDeny: Sublist<Pattern> | null;
  private readonly denyPatterns: string[];
  private readonly pubCache = new Map<string, boolean>();
  private readonly respMax: number;
  private readonly respTtl: number;
  /** reply subjects this client may answer: count of uses and when it was granted */
  private readonly replies = new Map<string, { n: number; t: number }>();

  constructor(readonly spec: UserPermissionsSpec, private readonly now: () => number = Date.now) {
    let pubAllowList = spec.publish?.allow;
    const resp = spec.allow_responses;
    // Go: allow_responses without an explicit publish allow list turns the blanket allow off.
    if (resp && pubAllowList === undefined) pubAllowList = [];
    this.pubAllow = buildList(pubAllowList, false);
    this.pubDeny = spec.publish?.deny && spec.publish.deny.length > 0 ? buildList(spec.publish.deny, false) : null;
    const subAllow = spec.subscribe?.allow;
    this.subAllow = subAllow && subAllow.length > 0 ? buildList(subAllow, true) : null;
    const subDeny = spec.subscribe?.deny;
    this.subDeny = subDeny && subDeny.length > 0 ? buildList(subDeny, true) : null;
    this.denyPatterns = (subDeny ?? []).map((d) => splitSubjectQueue(byteString(d))?.subject).filter((s): s is string => !!s);
    this.hasPub = this.pubAllow !== null || this.pubDeny !== null;
    this.hasSub = this.subAllow !== null || this.subDeny !== null;
    this.hasResponses = !!resp;
    this.respMax = resp ? resp.max || DEFAULT_ALLOW_RESPONSES.max : 0;
    this.respTtl = resp ? resp.expires || DEFAULT_ALLOW_RESPONSES.expires : 0;
  }

  canPublish(subject: string): boolean {
    let allowed = this.pubCache.get(subject);
    if (allowed === undefined) {
      allowed = true;
      if (this.pubAllow !== null) allowed = this.pubAllow.match(subject).psubs.length > 0;
      if (allowed && this.pubDeny !== null) allowed = this.pubDeny.match(subject).psubs.length === 0;
      if (this.pubCache.size >= PUB_CACHE_MAX) this.pubCache.clear();
      this.pubCache.set(subject, allowed);
    }
    if (!allowed && this.hasResponses) {
      const r = this.replies.get(subject);
      if (r !== undefined) {
        r.n++;
        if ((this.respMax > 0 && r.n > this.respMax) || (this.respTtl > 0 && this.now() - r.t > this.respTtl)) {
          this.replies.delete(subject);
        } else {
          return true;
        }
      }
    }
    return allowed;
  }

  canSubscribe(subject: string, queue: string | null): boolean {
    let allowed = true;
    if (this.subAllow !== null) {
      const r = this.subAllow.match(subject);
      allowed = r.psubs.length > 0;
      if (queue !== null && r.qsubs.length > 0) allowed = queueMatches(queue, r.qsubs);
    }
    if (allowed && this.subDeny !== null) {
      const r = this.subDeny.match(subject);
      allowed = r.psubs.length === 0;
      if (queue !== null && r.qsubs.length > 0) allowed = !queueMatches(queue, r.qsubs);
      // A wildcard subscription that overlaps a deny entry needs delivery-time filtering.
      if (allowed && !this.hasSubDeny && subjectHasWildcard(subject)) {
        for (const d of this.denyPatterns) {
          if (subjectIsSubsetMatch(d, subject)) {
            this.hasSubDeny = true;
            break;
          }
        }
      }
    }
    return allowed;
  }

  denyDelivery(subject: string, queue: string | null): boolean {
    if (this.subDeny === null) return false;
    const r = this.subDeny.match(subject);
    if (r.psubs.length > 0) return true;
    return queue !== null && r.qsubs.length > 0 && queueMatches(queue, r.qsubs);
  }

  onReplyDelivered(reply: string): void {
    this.replies.set(reply, { n: 0, t: this.now() });
    // Keep the map bounded: drop expired grants when it grows.
    if (this.replies.size > 10000) {
      const now = this.now();
      for (const [k, v] of this.replies) if (now - v.t > this.respTtl) this.replies.delete(k);
    }
  }
}
