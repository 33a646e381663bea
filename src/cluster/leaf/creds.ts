/**
 * Credentials of a leaf remote (Go sendLeafConnect with `credentials`): a
 * creds file holds a user JWT and the user's nkey seed, each between dashed
 * banner lines; the JWT is sent as is and the seed signs the hub's nonce.
 */
import { readFileSync } from 'node:fs';
import { fromSeed } from '@nats-io/nkeys';

const BLOCK = /\s*(?:(?:-{3,}.*-{3,}\r?\n)([\w\-.=]+)(?:\r?\n-{3,}.*-{3,}(\r?\n|$)))/g;

export interface SignedCreds {
  jwt: string;
  sig: string;
}

/** Read the creds file and sign `nonce`. Throws with Go's message when the file is unusable. */
export function signWithCreds(path: string, nonce: string): SignedCreds {
  const text = readFileSync(path, 'utf8');
  const items = [...text.matchAll(BLOCK)].map((m) => m[1]);
  if (items.length < 2) throw new Error('Credentials file malformed');
  let kp;
  try {
    kp = fromSeed(new TextEncoder().encode(items[1]));
  } catch {
    throw new Error('Credentials file has malformed seed');
  }
  const sig = Buffer.from(kp.sign(new TextEncoder().encode(nonce))).toString('base64url');
  return { jwt: items[0], sig };
}
