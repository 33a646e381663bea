/**
 * What a config reload changes in the `leafnodes {}` block (Go reload.go
 * getLeafNodeOptionsChanges, usersHaveChanged, checkConfigsEqual and
 * RemoteLeafOpts.name/safeName). Pure: the leaf layer applies the result.
 * Remotes may be added, removed, disabled or enabled, TLS may change; any
 * other change of the block or of a remote fails with Go's text.
 */
import type { LeafNodeOptions, RemoteLeafOptions } from './options.js';

export interface LeafDiff {
  /** anything at all differs */
  changed: boolean;
  /** names (Go RemoteLeafOpts.name) of remotes no longer configured */
  removed: string[];
  added: RemoteLeafOptions[];
  /** remotes kept, by name, with their new options (TLS and `disabled` may differ) */
  kept: Map<string, RemoteLeafOptions>;
}

/** Go field names of the block, in LeafNodeOpts order; Users, Remotes and TLSConfig are judged apart. */
const BLOCK_FIELDS: [keyof LeafNodeOptions, string][] = [
  ['host', 'Host'], ['port', 'Port'], ['username', 'Username'], ['password', 'Password'], ['account', 'Account'],
  ['auth_timeout', 'AuthTimeout'], ['advertise', 'Advertise'], ['no_advertise', 'NoAdvertise'],
  ['reconnect', 'ReconnectInterval'], ['min_version', 'MinVersion'], ['isolate', 'IsolateLeafnodeInterest'],
];

/** Go fields of a remote that must stay (Compression, Disabled, TLS and TLSConfig may change). */
const REMOTE_FIELDS: [keyof RemoteLeafOptions, string][] = [
  ['hub', 'Hub'], ['deny_imports', 'DenyImports'], ['deny_exports', 'DenyExports'], ['first_info_timeout', 'FirstInfoTimeout'],
];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value as Go's %v prints it, near enough: lists in brackets, space separated. */
function goV(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Go generateRemoteLeafOptsName: `urls=["..."], account="..."[, credentials="..."]`, passwords redacted when `safe`. */
export function remoteLeafName(r: RemoteLeafOptions, safe = false): string {
  const urls = r.urls.map((u) => {
    if (!safe) return u;
    try {
      const x = new URL(u);
      if (x.password !== '') x.password = 'xxxxx';
      return x.href.replace(/\/$/, u.endsWith('/') ? '/' : '');
    } catch {
      return u;
    }
  });
  const cred = r.credentials !== '' ? `, credentials=${JSON.stringify(r.credentials)}` : '';
  return `urls=[${urls.map((u) => JSON.stringify(u)).join(' ')}], account=${JSON.stringify(r.account || '$G')}${cred}`;
}

/** Go usersHaveChanged: same names with the same password and account, order aside. */
function usersChanged(a: LeafNodeOptions['users'], b: LeafNodeOptions['users']): boolean {
  if (a.length !== b.length) return true;
  const nb = new Map(b.map((u) => [u.user, u]));
  return a.some((u) => {
    const n = nb.get(u.user);
    return n === undefined || n.password !== u.password || n.account !== u.account;
  });
}

/**
 * Go getLeafNodeOptionsChanges. `boundPort` is the running listener's port
 * (a `-1` keeps it, as Go's reload does). Throws the text that follows
 * "config reload not supported for LeafNode: ".
 */
export function diffLeafNodes(cur: LeafNodeOptions, next: LeafNodeOptions, boundPort: number): LeafDiff {
  if (usersChanged(cur.users, next.users)) {
    throw new Error(`field "Users": old=${goV(cur.users.map((u) => u.user))}, new=${goV(next.users.map((u) => u.user))}`);
  }
  const curPort = cur.port === -1 ? boundPort : cur.port;
  const n = { ...next, port: next.port === -1 ? curPort : next.port };
  const c = { ...cur, port: curPort };
  for (const [k, goName] of BLOCK_FIELDS) {
    if (!same(c[k], n[k])) throw new Error(`field "${goName}": old=${goV(c[k])}, new=${goV(n[k])}`);
  }
  const d: LeafDiff = { changed: !same(cur, next), removed: [], added: [], kept: new Map() };
  const fresh = new Map(next.remotes.map((r) => [remoteLeafName(r), r]));
  for (const old of cur.remotes) {
    const name = remoteLeafName(old);
    const r = fresh.get(name);
    if (r === undefined) {
      d.removed.push(name);
      continue;
    }
    fresh.delete(name);
    for (const [k, goName] of REMOTE_FIELDS) {
      if (!same(old[k], r[k])) throw new Error(`remote ${remoteLeafName(r, true)}: field "${goName}": old=${goV(old[k])}, new=${goV(r[k])}`);
    }
    d.kept.set(name, r);
  }
  d.added = [...fresh.values()];
  return d;
}
