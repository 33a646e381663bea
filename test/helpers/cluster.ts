/**
 * In-process clusters of our servers for tests: each server listens for
 * clients and routes on random ports; the first is the seed the others route
 * to (gossip meshes the rest). `waitMeshed` waits until every server has a
 * route to every other.
 */
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';
import type { RouteManager } from '../../src/cluster/route/routes.js';
import { waitFor } from './wait.js';

export function routesOf(s: RunningServer): RouteManager {
  const rm = s.server.cluster as RouteManager | null;
  if (rm === null) throw new Error('server has no cluster');
  return rm;
}

export function routeURL(s: RunningServer): string {
  return `nats-route://127.0.0.1:${routesOf(s).port}`;
}

/** Start one clustered server; `routes` are the route URLs it solicits. */
export function startClustered(routes: string[], opts: StartOptions = {}, cluster: Record<string, unknown> = {}): Promise<RunningServer> {
  return startServer({
    ...opts,
    extra: { cluster: { name: 'test-cluster', listen: '127.0.0.1:-1', routes, ...cluster } },
  });
}

/** Start `n` servers, all routed to the first, and wait for the full mesh. */
export async function startCluster(n: number, opts: StartOptions = {}, cluster: Record<string, unknown> = {}): Promise<RunningServer[]> {
  const seed = await startClustered([], { server_name: 'S1', ...opts }, cluster);
  const out = [seed];
  for (let k = 1; k < n; k++) out.push(await startClustered([routeURL(seed)], { server_name: `S${k + 1}`, ...opts }, cluster));
  await waitMeshed(out);
  return out;
}

export async function waitMeshed(servers: RunningServer[], others = 0, timeoutMs = 10000): Promise<void> {
  await waitFor(() => servers.every((s) => routesOf(s).numRemotes() === servers.length - 1 + others), timeoutMs);
}

/** Wait until `s` knows of remote interest on `subject` (a route subscription in its sublist). */
export async function waitRemoteInterest(s: RunningServer, subject: string, account = '$G', timeoutMs = 5000): Promise<void> {
  await waitFor(() => {
    const acc = s.server.lookupAccount(account);
    if (acc === null) return false;
    const r = acc.sl.match(subject);
    return r.psubs.some((x) => x.link !== null) || r.qsubs.some((g) => g.some((x) => x.link !== null));
  }, timeoutMs);
}

export async function stopAll(servers: RunningServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}
