/**
 * User entries and permissions (Go parseUsers / parseUserPermissions), used
 * by the `authorization {}` block and by accounts' `users`.
 */
import type { ConfValue, Pos } from './parser.js';
import type { SubjectPermission, UserPermissionsSpec, UserSpec } from './options.js';
import { type Ctx, duration, forEachKey, int, str, strList } from './values.js';

export function parseUser(ctx: Ctx, p: Pos | undefined, v: ConfValue): UserSpec {
  const u: UserSpec = {};
  forEachKey(ctx, p, v, 'user entry', (k, val, kp, raw) => {
    switch (k) {
      case 'user': case 'username': u.user = str(ctx, kp, val); break;
      case 'pass': case 'password': u.password = str(ctx, kp, val); break;
      case 'nkey': {
        const n = str(ctx, kp, val);
        if (!/^U[A-Z2-7]{55}$/.test(n)) ctx.err(kp, `Not a valid public nkey for a user`);
        u.nkey = n;
        break;
      }
      case 'permission': case 'permissions': u.permissions = parsePermissions(ctx, kp, val); break;
      case 'allowed_connection_types': case 'connection_types': case 'clients':
        u.allowed_connection_types = strList(ctx, kp, val);
        break;
      case 'account': u.account = str(ctx, kp, val); break;
      case 'proxy_required': break;
      default:
        ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  if (!u.user && !u.nkey) ctx.err(p, 'User entry requires a user');
  return u;
}

export function parsePermissions(ctx: Ctx, p: Pos | undefined, v: ConfValue): UserPermissionsSpec {
  const perms: UserPermissionsSpec = {};
  forEachKey(ctx, p, v, 'permissions', (k, val, kp, raw) => {
    switch (k) {
      case 'pub': case 'publish': case 'import': perms.publish = parseSubjectPermission(ctx, kp, val); break;
      case 'sub': case 'subscribe': case 'export': perms.subscribe = parseSubjectPermission(ctx, kp, val); break;
      case 'publish_allow_responses': case 'allow_responses': {
        if (typeof val === 'boolean') {
          if (val) perms.allow_responses = { max: 1, expires: 2 * 60 * 1000 };
        } else {
          const rp = { max: 1, expires: 2 * 60 * 1000 };
          forEachKey(ctx, kp, val, 'allow_responses', (rk, rv, rkp, rraw) => {
            if (['max', 'max_msgs', 'max_messages', 'max_responses'].includes(rk)) rp.max = int(ctx, rkp, rv);
            else if (['expires', 'expiration', 'ttl'].includes(rk)) rp.expires = duration(ctx, rkp, rv, 'expires');
            else ctx.err(rkp, `unknown field "${rraw}"`);
          });
          perms.allow_responses = rp;
        }
        if (perms.allow_responses) {
          perms.publish ??= {};
          perms.publish.allow ??= [];
        }
        break;
      }
      default:
        ctx.err(kp, `Unknown field "${raw}" parsing permissions`);
    }
  });
  return perms;
}

function parseSubjectPermission(ctx: Ctx, p: Pos | undefined, v: ConfValue): SubjectPermission {
  if (typeof v === 'string' || Array.isArray(v)) return { allow: strList(ctx, p, v) };
  const sp: SubjectPermission = {};
  forEachKey(ctx, p, v, 'subject permission', (k, val, kp, raw) => {
    if (k === 'allow') sp.allow = strList(ctx, kp, val);
    else if (k === 'deny') sp.deny = strList(ctx, kp, val);
    else ctx.err(kp, `Unknown field name "${raw}" parsing subject permissions, only 'allow' or 'deny' are permitted`);
  });
  return sp;
}
