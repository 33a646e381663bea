/**
 * Password and token checks (Go auth.go comparePasswords): a configured value
 * that looks like a bcrypt hash is verified with bcrypt, anything else is
 * compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

const BCRYPT_PREFIX = /^\$2[abxy]\$\d{2}\$.*/;

export function isBcrypt(password: string): boolean {
  return password.startsWith('$') && BCRYPT_PREFIX.test(password);
}

export function comparePasswords(server: string, client: string | undefined): boolean {
  const c = client ?? '';
  if (isBcrypt(server)) {
    try {
      return bcrypt.compareSync(c, server);
    } catch {
      return false;
    }
  }
  const a = Buffer.from(server, 'utf8');
  const b = Buffer.from(c, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
