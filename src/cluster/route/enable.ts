/**
 * Turn on cluster routes for a server whose options configure a cluster
 * listener (`cluster {}` or the -cluster/-routes flags). Called once the
 * client listener is up, since routes advertise the client URL.
 */
import type { Server } from '../../server/server.js';
import { clusterOptions } from '../../config/cluster.js';
import { RouteManager } from './routes.js';

export async function startRoutes(server: Server): Promise<RouteManager | null> {
  const co = clusterOptions(server.opts);
  if (co === null) return null;
  const rm = new RouteManager(server, co);
  await rm.start();
  return rm;
}
