/**
 * Gateway reply subjects (Go gateway.go getGWHash, getOldHash,
 * isGWRoutedSubjectAndIsOldPrefix, trackGWReply): a request leaving for
 * another cluster may carry its reply as `_GR_.<cluster hash>.<server hash>.<reply>`
 * so the answer comes straight back to the origin cluster and server; the old
 * `$GR.<hash>.<reply>` form is still understood. (The receiving side's
 * per-client memory of routed replies is conn/gw-replies.ts.)
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
