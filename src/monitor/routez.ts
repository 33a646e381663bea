/**
 * /routez (Go monitor.go Routez) for a server without a cluster: no routes.
 * `subs` is validated as Go's decodeSubs does.
 */
import type { Server } from '../server/server.js';
import { goTime } from './format.js';
import { subsParam } from './query.js';

export function routez(srv: Server, q: URLSearchParams): Record<string, unknown> {
  subsParam(q);
  return { server_id: srv.id, server_name: srv.name, now: goTime(new Date()), num_routes: 0, routes: [] };
}
