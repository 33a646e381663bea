/**
 * Nonce-based nkey authentication (Go nkey.go): INFO carries a random nonce
 * (11 random bytes, base64url without padding = 15 chars); the client signs
 * it with its nkey seed and sends the public key and signature in CONNECT.
 */
import { randomFillSync } from 'node:crypto';
import { fromPublic } from '@nats-io/nkeys';

const NONCE_LEN = 11;
/** random bytes for 372 nonces, refilled when used up: one CSPRNG call per 372 connections, not per connection */
const noncePool = Buffer.alloc(NONCE_LEN * 372);
let nonceAt = noncePool.length;

export function generateNonce(): string {
  if (nonceAt === noncePool.length) {
    randomFillSync(noncePool);
    nonceAt = 0;
  }
  const s = noncePool.toString('base64url', nonceAt, nonceAt + NONCE_LEN);
  nonceAt += NONCE_LEN;
  return s;
}

/** Verify `sig` (base64url, or standard base64 as a fallback) over `nonce` for user public key `nkey`. */
export function verifyNonceSignature(nkey: string, nonce: string, sig: string | undefined): boolean {
  if (!sig) return false;
  let raw: Buffer;
  if (/^[A-Za-z0-9_-]+$/.test(sig)) raw = Buffer.from(sig, 'base64url');
  else if (/^[A-Za-z0-9+/]+=*$/.test(sig)) raw = Buffer.from(sig, 'base64');
  else return false;
  try {
    const kp = fromPublic(nkey);
    return kp.verify(new TextEncoder().encode(nonce), raw);
  } catch {
    return false;
  }
}
