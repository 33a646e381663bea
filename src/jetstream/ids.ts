/**
 * Random alphanumeric ids (Go uses nuid for advisory ids, pin ids and
 * generated consumer names).
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `len` random characters from [0-9A-Za-z]. */
export function randomId(len = 22): string {
  const b = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[b[i] % 62];
  return s;
}
