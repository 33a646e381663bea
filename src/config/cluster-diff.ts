/**
 * What a config reload changes in the `cluster {}` block (Go reload.go
 * diffOptions for the "cluster" and "routes" fields, validateClusterOpts,
 * clusterOption.diffPoolAndAccounts and diffRoutes). Pure: the route layer
 * applies the result.
 */
import type { ClusterOptions } from './cluster.js';

export interface ClusterDiff {
  /** anything at all differs (the route layer then takes the new options) */
  changed: boolean;
  routesAdded: URL[];
  routesRemoved: URL[];
  permsChanged: boolean;
  /** user, password or auth timeout */
  authChanged: boolean;
  poolSizeChanged: boolean;
  accountsAdded: string[];
  accountsRemoved: string[];
  compressionChanged: boolean;
  tlsChanged: boolean;
  /** a new configured name (Go setClusterName); '' when unchanged or not set */
  newName: string;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Go urlsAreEqual: same scheme, user info, host and path. */
export function routeURLsEqual(a: URL, b: URL): boolean {
  return a.href === b.href;
}

/**
 * Go validateClusterOpts + the field diffs. `cur`/`next` null means no
 * cluster listener; `boundPort` is the port the running listener has (a
 * `-1` in the new file keeps it, as Go does). Throws Go's texts.
 */
export function diffCluster(cur: ClusterOptions | null, next: ClusterOptions | null, boundPort: number): ClusterDiff {
  const oldHost = cur?.host ?? '';
  const newHost = next?.host ?? '';
  if (oldHost !== newHost) throw new Error(`config reload not supported for cluster host: old=${oldHost}, new=${newHost}`);
  const oldPort = cur === null ? 0 : boundPort;
  let newPort = next?.port ?? 0;
  if (newPort === -1 && cur !== null) newPort = boundPort;
  if (oldPort !== newPort) throw new Error(`config reload not supported for cluster port: old=${oldPort}, new=${newPort}`);
  const d: ClusterDiff = {
    changed: false, routesAdded: [], routesRemoved: [], permsChanged: false, authChanged: false, poolSizeChanged: false,
    accountsAdded: [], accountsRemoved: [], compressionChanged: false, tlsChanged: false, newName: '',
  };
  if (cur === null || next === null) return d;
  if (next.advertise !== '' && !/^(\[[^\]]+\]|[^:]*)(:\d+)?$/.test(next.advertise)) {
    throw new Error(`invalid Cluster.Advertise value of ${next.advertise}, err=address ${next.advertise}: too many colons in address`);
  }
  d.routesRemoved = cur.routes.filter((o) => !next.routes.some((n) => routeURLsEqual(o, n)));
  d.routesAdded = next.routes.filter((n) => !cur.routes.some((o) => routeURLsEqual(o, n)));
  d.permsChanged = !same(cur.permissions, next.permissions);
  d.authChanged = cur.username !== next.username || cur.password !== next.password || cur.auth_timeout !== next.auth_timeout;
  d.poolSizeChanged = cur.pool_size !== next.pool_size;
  d.accountsAdded = next.pinned_accounts.filter((a) => !cur.pinned_accounts.includes(a));
  d.accountsRemoved = cur.pinned_accounts.filter((a) => !next.pinned_accounts.includes(a));
  d.compressionChanged = cur.compression !== next.compression;
  d.tlsChanged = !same(cur.tls, next.tls);
  if (next.name !== '' && next.name !== cur.name) d.newName = next.name;
  d.changed = !same({ ...cur, routes: cur.routes.map((u) => u.href) }, { ...next, routes: next.routes.map((u) => u.href) });
  return d;
}
