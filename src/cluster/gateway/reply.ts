/**
 * Gateway reply subjects (Go gateway.go getGWHash, getOldHash,
 * isGWRoutedSubjectAndIsOldPrefix, trackGWReply): a request leaving for
 * another cluster may carry its reply as `_GR_.<cluster hash>.<server hash>.<reply>`
 * so the answer comes straight back to the origin cluster and server; the old
 * `$GR.<hash>.<reply>` form is still understood. The receiving server shows
 * subscribers the plain reply and remembers, per client, which routed reply
 * it stands for so a response published on it is sent back mapped.
 */
import { createHash } from 'node:crypto';

export const GW_REPLY_PREFIX = '_GR_.';
export const OLD_GW_REPLY_PREFIX = '$GR.';
const HASH_LEN = 6;
/** `_GR_.` + cluster hash + `.` + server hash + `.` */
export const GW_SUBJECT_OFFSET = GW_REPLY_PREFIX.length + HASH_LEN + 1 + HASH_LEN + 1;
/** `$GR.` + 4-char hash + `.` */
export const OLD_GW_SUBJECT_OFFSET = OLD_GW_REPLY_PREFIX.length + 5;

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Go getHashSize(name, 6): sha256, each of the first bytes mapped to a base-62 digit. */
export function gwHash(name: string): string {
  const b = createHash('sha256').update(name).digest();
  let s = '';
  for (let k = 0; k < HASH_LEN; k++) s += DIGITS[b[k] % 62];
  return s;
}

/** Go getOldHash: first 4 hex characters of the sha256. */
export function oldGwHash(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 4);
}

/** 0: not routed, 1: `_GR_.` form, 2: old `$GR.` form (Go isGWRoutedSubjectAndIsOldPrefix). */
export function routedReplyKind(subject: string): number {
  if (subject.length > GW_SUBJECT_OFFSET && subject.startsWith(GW_REPLY_PREFIX)) return 1;
  if (subject.length > OLD_GW_SUBJECT_OFFSET && subject.startsWith(OLD_GW_REPLY_PREFIX)) return 2;
  return 0;
}

/**
 * Routed replies delivered to one client, by the plain reply it saw (Go
 * gwReplyMapping): entries live GATEWAY_RECENT_SUB_MS like Go's; expired ones
 * are dropped when looked up and swept every 64 new entries.
 */
export class GwReplyMap {
  private readonly m = new Map<string, { routed: string; exp: number }>();

  constructor(private readonly ttlMs: number) {}

  track(plain: string, routed: string): void {
    const now = Date.now();
    // A client that never answers must not grow the map: sweep expired entries now and then.
    if (this.m.size >= 64 && (this.m.size & 63) === 0) for (const [k, v] of this.m) if (v.exp <= now) this.m.delete(k);
    this.m.set(plain, { routed, exp: now + this.ttlMs });
  }

  /** The routed form of `subject`, or null. */
  get(subject: string): string | null {
    if (this.m.size === 0) return null;
    const e = this.m.get(subject);
    const now = Date.now();
    if (e === undefined) return null;
    if (e.exp <= now) {
      this.m.delete(subject);
      return null;
    }
    return e.routed;
  }

  get size(): number {
    return this.m.size;
  }
}
