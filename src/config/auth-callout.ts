/**
 * The `auth_callout` (alias `auth_hook`) block of `authorization` (Go opts.go
 * parseAuthCallout): issuer, account, auth_users, xkey, allowed_accounts, with
 * Go's error texts. The allowed accounts are checked against the `accounts`
 * block once the whole file is read (Go does it after processConfigFileLine).
 */
import { fromPublic } from '@nats-io/nkeys';
import type { ConfValue, Pos } from './parser.js';
import type { AuthCalloutSpec, Options } from './options.js';
import { Ctx, describe, forEachKey, str } from './values.js';

/** A valid public nkey whose first letter is `prefix` (A = account, X = curve). */
function validPublic(key: string, prefix: string): boolean {
  if (key.length !== 56 || key[0] !== prefix) return false;
  try {
    fromPublic(key);
    return true;
  } catch {
    return false;
  }
}

function names(ctx: Ctx, p: Pos | undefined, v: ConfValue, what: string): string[] {
  if (!Array.isArray(v)) ctx.err(p, `Expected ${what} field to be an array, got ${describe(v)}`);
  return v.map((x) => str(ctx, p, x));
}

export function parseAuthCallout(ctx: Ctx, p: Pos | undefined, v: ConfValue): AuthCalloutSpec {
  const ac: AuthCalloutSpec = { issuer: '', account: '', auth_users: [], xkey: '', allowed_accounts: [] };
  forEachKey(ctx, p, v, 'authorization callout', (k, val, kp, raw) => {
    switch (k) {
      case 'issuer':
        ac.issuer = str(ctx, kp, val);
        if (!validPublic(ac.issuer, 'A')) ctx.err(kp, `Expected callout user to be a valid public account nkey, got "${ac.issuer}"`);
        break;
      case 'account': case 'acc':
        ac.account = str(ctx, kp, val);
        break;
      case 'auth_users': case 'users':
        ac.auth_users.push(...names(ctx, kp, val, 'auth_users'));
        break;
      case 'xkey': case 'key':
        ac.xkey = str(ctx, kp, val);
        if (!validPublic(ac.xkey, 'X')) ctx.err(kp, `Expected callout xkey to be a valid public xkey, got "${ac.xkey}"`);
        break;
      case 'allowed_accounts':
        ac.allowed_accounts.push(...names(ctx, kp, val, 'allowed accounts'));
        break;
      default:
        ctx.err(kp, `Unknown field "${raw}" parsing authorization callout`);
    }
  });
  if (ac.account === '') ac.account = '$G';
  if (ac.issuer === '') ctx.err(p, 'Authorization callouts require an issuer to be specified');
  if (ac.auth_users.length === 0) ctx.err(p, 'Authorization callouts require authorized users to be specified');
  return ac;
}

/** Go's post-processing: every allowed account must be configured. */
export function checkAuthCalloutAccounts(ctx: Ctx, o: Options): void {
  const ac = o.auth_callout;
  if (ac === undefined) return;
  const known = new Set(o.accounts.map((a) => a.name));
  for (const name of ac.allowed_accounts) {
    if (!known.has(name)) ctx.err(undefined, `auth_callout allowed account "${name}" not found in configured accounts`);
  }
}
