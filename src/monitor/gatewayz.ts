/**
 * /gatewayz (Go monitor.go Gatewayz) for a server without gateways: Go's
 * answer when gateways are disabled, empty outbound and inbound maps and no
 * name/host/port. `subs` and `accs` are validated as Go does.
 */
import type { Server } from '../server/server.js';
import { goTime } from './format.js';
import { boolParam, subsParam } from './query.js';

export function gatewayz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  subsParam(q);
  boolParam(q, 'accs');
  return { server_id: srv.id, now: goTime(new Date()), outbound_gateways: {}, inbound_gateways: {} };
}
