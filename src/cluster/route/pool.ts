/**
 * Route pooling and pinned accounts (Go route.go computeRoutePoolIdx,
 * s.routes / s.accRoutes, forEachRoute, updateRouteSubscriptionMap's choice of
 * connection): per remote server a slice of `pool_size` connections, each
 * account bound to one slot by an FNV-1a hash of its name (the same slot on
 * every server with the same pool size, Go's too), and per pinned account one
 * dedicated connection per remote. A remote that announces no pool size (a Go
 * 2.9 server) gets a single connection that carries every account.
 */
import type { RouteConn } from './route-conn.js';
import type { RouteInfo } from './route-info.js';

/** Where Go addRoute puts a new (non pinned) route connection, or why it does not. */
export type Placement =
  | { kind: 'refuse'; err: string }
  | { kind: 'duplicate'; keep: RouteConn; noReconnect: boolean }
  | { kind: 'full' }
  | { kind: 'placed'; pool: boolean; idx: number; first: boolean; fillPool: boolean };

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Go computeRoutePoolIdx: FNV-1a 32 of the account name modulo the pool size (0 when the size is 1 or less). */
export function routePoolIdx(poolSize: number, account: string): number {
  if (poolSize <= 1) return 0;
  let h = FNV_OFFSET;
  const b = Buffer.from(account, 'utf8');
  for (let k = 0; k < b.length; k++) {
    h ^= b[k];
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h % poolSize;
}

/** The connections to one remote server (Go s.routes[id]). */
export class RemoteServer {
  readonly conns: (RouteConn | null)[];
  /** the remote announced no route_pool_size: its one connection (slot 0) carries every account */
  noPool = false;

  constructor(size: number) {
    this.conns = new Array<RouteConn | null>(Math.max(1, size)).fill(null);
  }

  /** Go's pool may grow when a remote with a larger pool size connects. */
  grow(size: number): void {
    while (this.conns.length < size) this.conns.push(null);
  }

  first(): RouteConn | null {
    for (const c of this.conns) if (c !== null) return c;
    return null;
  }

  empty(): boolean {
    return this.first() === null;
  }
}

export class RoutePool {
  readonly remotes = new Map<string, RemoteServer>();
  /** pinned account -> remote server id -> dedicated connection (Go s.accRoutes) */
  readonly accRoutes = new Map<string, Map<string, RouteConn>>();
  private readonly idxCache = new Map<string, number>();

  /** `poolSize`: Go routesPoolSize (pool_size, or 1 when pooling is off) */
  constructor(readonly poolSize: number, pinned: string[]) {
    for (const a of pinned) this.accRoutes.set(a, new Map());
  }

  isPinned(account: string): boolean {
    return this.accRoutes.has(account);
  }

  /** Go acc.routePoolIdx: the slot of an account, -1 for a pinned one. */
  accountIdx(account: string): number {
    let i = this.idxCache.get(account);
    if (i === undefined) {
      i = this.isPinned(account) ? -1 : routePoolIdx(this.poolSize, account);
      this.idxCache.set(account, i);
    }
    return i;
  }

  /** The connection that carries `account` to a remote (Go updateRouteSubscriptionMap), or null. */
  routeFor(remoteId: string, remote: RemoteServer, account: string): RouteConn | null {
    const idx = this.accountIdx(account);
    if (idx < 0) {
      const r = this.accRoutes.get(account)!.get(remoteId);
      if (r !== undefined) return r;
    } else if (idx < remote.conns.length) {
      const r = remote.conns[idx];
      if (r !== null) return r;
    }
    return remote.noPool ? remote.conns[0] : null;
  }

  /** Does this connection carry the interest of `account` (Go sendSubsToRoute's selection)? */
  carries(rc: RouteConn, account: string): boolean {
    if (rc.accName !== '') return rc.accName === account;
    if (rc.noPool) return true;
    return this.accountIdx(account) === rc.poolIdx;
  }

  /** Every registered connection, pooled then pinned (Go forEachRoute). */
  *all(): IterableIterator<RouteConn> {
    for (const r of this.remotes.values()) for (const c of r.conns) if (c !== null) yield c;
    for (const m of this.accRoutes.values()) yield* m.values();
  }

  /**
   * Go addRoute's slot choice for `rc` (not pinned): check the remote's
   * route_pool_idx, then take the slot it names (accepted) or the first free
   * one (dialed); a remote without pooling has one slot, and the route
   * registered first keeps it. `ourPoolSize` is the configured pool_size
   * (negative: pooling off). On 'placed' the connection is in the slot.
   */
  place(rc: RouteConn, info: RouteInfo, ourPoolSize: number): Placement {
    const id = rc.remoteId;
    const remotePool = info.route_pool_size ?? 0;
    const pool = remotePool > 0 && ourPoolSize > 0;
    // Go allows different pool sizes (rolling upgrades): the larger one is used.
    const effective = Math.max(this.poolSize, remotePool);
    const askedIdx = info.route_pool_idx ?? 0;
    if (!pool) rc.noPool = true;
    else if (rc.didSolicit) {
      if (askedIdx !== 0) return { kind: 'refuse', err: `Route pool index should not be set but is set to ${askedIdx}` };
    } else if (!Number.isInteger(askedIdx) || askedIdx < 0 || askedIdx >= effective) {
      return { kind: 'refuse', err: `Invalid route pool index: ${askedIdx} - pool size is ${remotePool}` };
    }
    let remote = this.remotes.get(id);
    let idx = -1;
    let sz = 0;
    if (remote === undefined) {
      remote = new RemoteServer(pool ? effective : 1);
      remote.noPool = !pool;
      this.remotes.set(id, remote);
      idx = pool && !rc.didSolicit ? askedIdx : 0;
    } else if (pool) {
      remote.grow(effective);
      if (!rc.didSolicit) {
        idx = askedIdx;
        const cur = remote.conns[idx];
        if (cur !== null) return { kind: 'duplicate', keep: cur, noReconnect: false };
        const sol = remote.conns.find((c) => c !== null && c.didSolicit);
        if (sol) upgradeToSolicited(rc, sol.url, sol.isConfigured);
      } else {
        for (const c of remote.conns) if (c !== null) upgradeToSolicited(c, rc.url, rc.isConfigured);
      }
      for (let i = 0; i < remote.conns.length; i++) {
        const c = remote.conns[i];
        if (idx === -1 && c === null) idx = i;
        else if (c !== null) sz++;
      }
      if (idx === -1) return { kind: 'full' };
    } else {
      // Go: without pooling the route registered first stays; the newcomer closes for good.
      const existing = remote.conns[0];
      if (existing !== null && existing !== rc) return { kind: 'duplicate', keep: existing, noReconnect: true };
      idx = 0;
    }
    rc.poolIdx = idx;
    remote.conns[idx] = rc;
    sz++;
    // Go: the dialing side fills the pool one connection at a time.
    return { kind: 'placed', pool, idx, first: !pool || sz === 1, fillPool: pool && rc.didSolicit && sz !== effective };
  }

  /** Take a placed connection out (Go removeRoute); returns true when it was the remote's last pooled one. */
  remove(rc: RouteConn): boolean {
    if (rc.accName !== '') {
      const m = this.accRoutes.get(rc.accName);
      if (m?.get(rc.remoteId) === rc) m.delete(rc.remoteId);
      return false;
    }
    const remote = this.remotes.get(rc.remoteId);
    if (remote === undefined || rc.poolIdx < 0 || remote.conns[rc.poolIdx] !== rc) return false;
    remote.conns[rc.poolIdx] = null;
    if (!remote.empty()) return false;
    this.remotes.delete(rc.remoteId);
    return true;
  }

  /** Go numRoutes: registered connections. */
  count(): number {
    let n = 0;
    for (const r of this.remotes.values()) for (const c of r.conns) if (c !== null) n++;
    for (const m of this.accRoutes.values()) n += m.size;
    return n;
  }
}

/** Go upgradeRouteToSolicited: a connection of a remote we dial counts as dialed, for reconnects. */
export function upgradeToSolicited(r: RouteConn, url: URL | null, configured: boolean): void {
  if (url === null) return;
  if (!r.didSolicit || (configured && !r.isConfigured)) r.url = url;
  r.didSolicit = true;
  if (configured) r.isConfigured = true;
}
