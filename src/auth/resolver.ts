/**
 * Account resolvers for operator mode (Go accounts.go AccountResolver): where
 * account JWTs come from. `MEMORY` keeps the preloaded JWTs in a map; the
 * `full` nats-based resolver keeps one file per account, `<pubkey>.jwt`, in
 * its directory (Go dirstore.go, unsharded), and is updated through
 * `$SYS.REQ.CLAIMS.UPDATE` by the system account.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { isPublicKey } from './jwt.js';

export interface AccountResolver {
  readonly type: 'memory' | 'full';
  /** the stored account JWT, or null */
  fetch(pubKey: string): string | null;
  /**
   * Store only when newer than what is held (Go saveIfNewer: preloads).
   * Returns true when the stored JWT changed.
   */
  storeIfNewer(pubKey: string, jwt: string): boolean;
  /** Store unconditionally (Go save: claim update requests). Returns true when it changed. Throws on I/O errors. */
  save(pubKey: string, jwt: string): boolean;
  /** every stored account public key */
  list(): string[];
}

interface Generic {
  jti?: string;
  iat?: number;
  sub?: string;
}

/** Unverified peek at a JWT's id, issue time and subject (the store compares, the authenticator verifies). */
function peek(jwt: string): Generic | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Generic;
  } catch {
    return null;
  }
}

/** Go saveIfNewer's decision: replace `existing` with `next`? */
function isNewer(existing: string | null, next: string): boolean {
  if (existing === null) return true;
  const a = peek(existing);
  const b = peek(next);
  if (b === null) return false;
  if (a === null) return true;
  if (a.jti !== undefined && a.jti === b.jti) return false;
  return (a.iat ?? 0) <= (b.iat ?? 0);
}

export class MemAccResolver implements AccountResolver {
  readonly type = 'memory' as const;
  private readonly jwts = new Map<string, string>();

  fetch(pubKey: string): string | null {
    return this.jwts.get(pubKey) ?? null;
  }

  storeIfNewer(pubKey: string, jwt: string): boolean {
    // Go MemAccResolver.Store overwrites.
    return this.save(pubKey, jwt);
  }

  save(pubKey: string, jwt: string): boolean {
    const changed = this.jwts.get(pubKey) !== jwt;
    this.jwts.set(pubKey, jwt);
    return changed;
  }

  list(): string[] {
    return [...this.jwts.keys()];
  }
}

export interface DirResolverOptions {
  dir: string;
  allow_delete: boolean;
  /** ms between pack syncs with other servers (kept for parity; a single server has nobody to sync with) */
  interval: number;
  /** max number of JWTs kept (0 = no limit) */
  limit: number;
  /** ms to wait for a lookup from other servers */
  timeout: number;
}

export class DirAccResolver implements AccountResolver {
  readonly type = 'full' as const;
  readonly dir: string;

  constructor(readonly opts: DirResolverOptions) {
    this.dir = opts.dir;
    if (existsSync(this.dir)) {
      if (!statSync(this.dir).isDirectory()) throw new ConfigError('dir needs to point to an accessible directory');
    } else {
      mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    }
  }

  private path(pubKey: string): string | null {
    return isPublicKey(pubKey, 'A') ? join(this.dir, `${pubKey}.jwt`) : null;
  }

  fetch(pubKey: string): string | null {
    const p = this.path(pubKey);
    if (p === null) return null;
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  }

  storeIfNewer(pubKey: string, jwt: string): boolean {
    if (!isNewer(this.fetch(pubKey), jwt)) return false;
    return this.save(pubKey, jwt);
  }

  save(pubKey: string, jwt: string): boolean {
    const p = this.path(pubKey);
    if (p === null) throw new Error('invalid public key');
    if (this.fetch(pubKey) === jwt) return false;
    if (this.opts.limit > 0 && !existsSync(p) && this.list().length >= this.opts.limit) throw new Error('jwt store is full');
    // Write then rename so a reader never sees half a JWT.
    const tmp = `${p}.tmp`;
    writeFileSync(tmp, jwt, { mode: 0o644 });
    renameSync(tmp, p);
    return true;
  }

  delete(pubKey: string): void {
    const p = this.path(pubKey);
    if (p !== null && existsSync(p)) unlinkSync(p);
  }

  list(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.jwt'))
      .map((f) => f.slice(0, -4));
  }
}
