/**
 * Names MQTT derives: Go's 8-character base-62 hash of a name (events.go
 * getHash: the first bytes of its SHA-256, each taken modulo 62) for the
 * server's JSA id and session subjects, and NUID-like unique tokens for
 * delivery subjects and consumer names.
 */
import { createHash, randomBytes } from 'node:crypto';

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function getHash(name: string, size = 8): string {
  const b = createHash('sha256').update(name).digest();
  let s = '';
  for (let i = 0; i < size; i++) s += DIGITS[b[i] % 62];
  return s;
}

/** A 22-character random base-62 token (the length of a NUID). */
export function nuid(): string {
  const b = randomBytes(22);
  let s = '';
  for (let i = 0; i < 22; i++) s += DIGITS[b[i] % 62];
  return s;
}

/** A cheaper unique token: a random prefix per process plus a counter (reply subjects). */
const PREFIX = nuid().slice(0, 12);
let counter = 0;
export function nextToken(): string {
  return PREFIX + (++counter).toString(36);
}
