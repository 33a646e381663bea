/**
 * Authentication of an accepted leaf connection (Go isLeafNodeAuthorized):
 * the leafnodes `authorization {}` block when it has a user or users (each
 * may bind an account); otherwise the server's own client authentication
 * (users, nkeys, operator JWTs signed over the nonce); with no auth at all,
 * the leafnodes account or the global account.
 */
import { comparePasswords } from '../../auth/password.js';
import type { Authenticator, ConnectOptions } from '../../auth/types.js';
import type { LeafNodeOptions } from '../../config/options.js';
import { GLOBAL_ACCOUNT } from '../../accounts/account.js';
import { defaultConnectOptions } from '../../conn/connect.js';

export interface LeafAuthResult {
  user: string;
  account: string;
}

/** Is any authentication required on the leaf port? */
export function leafAuthRequired(lo: LeafNodeOptions, auth: Authenticator): boolean {
  return lo.username !== '' || lo.users.length > 0 || auth.authRequired;
}

export function authenticateLeaf(lo: LeafNodeOptions, auth: Authenticator, c: Record<string, unknown>, nonce: string, host: string): LeafAuthResult | null {
  const user = typeof c.user === 'string' ? c.user : '';
  const pass = typeof c.pass === 'string' ? c.pass : '';
  if (lo.username !== '') {
    if (user !== lo.username || !comparePasswords(lo.password, pass)) return null;
    return { user, account: lo.account || GLOBAL_ACCOUNT };
  }
  if (lo.users.length > 0) {
    const u = lo.users.find((x) => x.user === user);
    if (u === undefined || !comparePasswords(u.password, pass)) return null;
    return { user, account: u.account || lo.account || GLOBAL_ACCOUNT };
  }
  if (!auth.authRequired) return { user: '', account: lo.account || GLOBAL_ACCOUNT };
  const opts: ConnectOptions = defaultConnectOptions();
  for (const k of ['user', 'pass', 'auth_token', 'nkey', 'sig', 'jwt'] as const) {
    const v = c[k];
    if (typeof v === 'string' && v !== '') opts[k] = v;
  }
  const r = auth.authenticate({ opts, nonce, connectionType: 'LEAFNODE', host });
  if (r === null) return null;
  return { user: r.user, account: r.account };
}
