/**
 * Config reload of the `cluster {}` block on a running route layer (Go
 * reload.go clusterOption / routesOption Apply, reloadClusterPermissions,
 * reloadClusterPoolAndAccounts, reloadAuthorization's route check, and
 * route.go updateRemoteRoutePerms on the receiving side).
 */
import type { Options, SubjectPermission } from '../../config/options.js';
import { clusterOptions, type ClusterOptions } from '../../config/cluster.js';
import { diffCluster, type ClusterDiff } from '../../config/cluster-diff.js';
import { Permissions } from '../../auth/permissions.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { TlsSetup } from '../../server/tls.js';
import { DialRun } from './backoff.js';
import { InterestMap } from './interest-map.js';
import type { RouteConn } from './route-conn.js';
import { routeInfoJSON, type RouteInfo } from './route-info.js';
import type { RouteManager } from './routes.js';

/** Go setRoutePermissions: import is checked as publish, export as subscribe. */
export function routePerms(o: ClusterOptions): Permissions | null {
  const p = o.permissions;
  return p !== null ? new Permissions({ publish: p.import, subscribe: p.export }) : null;
}

export function samePerm(a: SubjectPermission | undefined, b: SubjectPermission | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The new cluster options and what changed; throws Go's text for what cannot change. */
function diff(rm: RouteManager, next: Options): { co: ClusterOptions | null; d: ClusterDiff } {
  const co = clusterOptions(next);
  return { co, d: diffCluster(rm.opts, co, rm.port) };
}

/** Go diffOptions "cluster": validateClusterOpts, and added pinned accounts must already exist (before this reload's accounts). */
export function checkClusterReload(rm: RouteManager, next: Options): void {
  const { d } = diff(rm, next);
  for (const a of d.accountsAdded) {
    if (rm.server.lookupAccount(a) === null) {
      throw new Error(`unable to add account ${JSON.stringify(a)} to the list of dedicated routes: account missing`);
    }
  }
}

export function applyClusterReload(rm: RouteManager, next: Options): void {
  const { co, d } = diff(rm, next);
  if (co === null || !d.changed) return;
  const log = rm.server.log;
  const prev = rm.opts;
  rm.opts = co;
  if (d.tlsChanged) rm.tls = co.tls !== null ? new TlsSetup(co.tls) : null;
  // Go clusterOption.Apply: setClusterName when a (different) name is configured
  if (d.newName !== '') {
    rm.clusterName = d.newName;
    rm.dynamicName = false;
  }
  if (d.compressionChanged && !['off', 'disabled', 'false'].includes(co.compression)) {
    log.warn(`Route compression "${co.compression}" is not supported by this server: routes run uncompressed (compression "off" is announced)`);
  }
  // Go reloadAuthorization: accepted routes whose CONNECT credentials no longer pass are closed (dialed ones cannot be judged)
  if (co.username !== '') {
    for (const rc of [...rm.conns]) {
      if (rc.didSolicit || !rc.connectReceived) continue;
      if (rc.connectUser !== co.username || rc.connectPass !== co.password) {
        rc.noReconnect = true;
        rc.authViolation();
      }
    }
  }
  log.info('Reloaded: cluster');
  if (d.permsChanged) reloadPermissions(rm);
  const pinnedChanged = d.accountsAdded.length > 0 || d.accountsRemoved.length > 0 || (co.pool_size < 0) !== (prev.pool_size < 0);
  if (d.poolSizeChanged || pinnedChanged) reloadPool(rm, co);
  if (d.routesAdded.length > 0 || d.routesRemoved.length > 0) reloadRoutes(rm, d);
}

/** Go routesOption.Apply: removed routes close for good ("Route Removed"), added ones are dialed. */
function reloadRoutes(rm: RouteManager, d: ClusterDiff): void {
  for (const u of d.routesRemoved) {
    for (const rc of [...rm.conns]) {
      if (rc.url === null || rc.url.host !== u.host) continue;
      rc.noReconnect = true;
      rc.closeConnection(ClosedReason.RouteRemoved);
      rm.server.log.info(`Removed route ${u.href}`);
    }
  }
  for (const u of d.routesAdded) rm.connect(u, true, new DialRun(true), '');
  rm.server.log.info('Reloaded: cluster routes');
}

/**
 * Go reloadClusterPermissions: new import/export filters; interest now
 * importable is sent (RS+), interest no longer importable is withdrawn
 * (RS-), remote interest no longer exportable is dropped, and every route
 * gets an INFO with the new permissions so that the remote re-sends what it
 * may now export to us.
 */
function reloadPermissions(rm: RouteManager): void {
  rm.perms = routePerms(rm.opts);
  const old = rm.interest;
  const fresh = new InterestMap();
  for (const acc of rm.server.accounts.values()) {
    for (const sub of acc.sl.all()) {
      if (sub.link === null && !sub.local && rm.canImport(sub.subject)) fresh.change(acc.name, sub.subject, sub.queue, 1);
    }
  }
  rm.interest = fresh;
  for (const rc of rm.conns) rc.dropRemoteSubs((subject) => !rm.canExport(subject));
  for (const rc of rm.allRoutes()) rc.enqueue(Buffer.from(`INFO ${routeInfoJSON(rm.info(false, Math.max(0, rc.poolIdx), rc.accName))}\r\n`));
  for (const { account, line } of fresh.diff(old)) rm.sendInterest(account, line);
}

/**
 * Go updateRemoteRoutePerms: the remote changed its permissions; local
 * interest it may now export (and could not before) is sent to it.
 */
export function updateRemoteRoutePerms(rm: RouteManager, rc: RouteConn, info: RouteInfo): void {
  const ri = rc.remoteInfo!;
  const before = new Permissions({ subscribe: ri.export });
  const now = new Permissions({ subscribe: info.export });
  ri.import = info.import;
  ri.export = info.export;
  const lines = rm.interest.linesFor(
    (acc) => rm.pool.carries(rc, acc),
    rc.accName === '',
    (subject) => now.canSubscribe(subject, null) && !before.canSubscribe(subject, null),
  );
  if (lines.length > 0) rc.enqueue(Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'));
}

/**
 * Go reloadClusterPoolAndAccounts, simplified: every route closes with
 * "Route Removed" (routes of an account no longer pinned are not redialed),
 * the pool is rebuilt for the new size and pinned accounts, and the dialed
 * routes connect again into it. Go moves an added pinned account to its
 * dedicated route in place; here the routes are re-formed instead.
 */
function reloadPool(rm: RouteManager, co: ClusterOptions): void {
  const fresh = rm.newPool(co);
  for (const rc of [...rm.conns]) {
    if (rc.accName !== '' && !fresh.isPinned(rc.accName)) rc.noReconnect = true;
    rc.closeConnection(ClosedReason.RouteRemoved);
  }
  rm.pool = fresh;
}
