/**
 * Who made an API request, as Go's JetStream advisories name it (the
 * `client` field). Go reaches the API through a service import into the
 * system account, which stamps the request with the caller's short client
 * info plus this server's name (client.go processServiceImport:
 * getClientInfo(false) + addServerAndClusterInfo): `acc`, `rtt` when measured,
 * `server`. Internal publishers have no client info (Go marshals null).
 */
import { clientInfo } from '../../server/event-info.js';
import type { ApiRequest } from './request.js';

export function requesterInfo(req: ApiRequest): Record<string, unknown> | null {
  if (req.from === null) return null;
  return clientInfo(req.from, false, { acc: req.jsa.acc.name, server: req.jsa.serverName });
}
