/**
 * /leafz (Go monitor.go Leafz) for a server without leafnode connections:
 * an empty list. `subs` is validated as Go's decodeBool does.
 */
import type { Server } from '../server/server.js';
import { goTime } from './format.js';
import { boolParam } from './query.js';

export function leafz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  boolParam(q, 'subs');
  return { server_id: srv.id, now: goTime(new Date()), leafnodes: 0, leafs: [] };
}
