/**
 * Turn on the system account's events and request services (Go
 * initEventTracking), unless `no_system_account` is set.
 */
import type { Server } from '../server/server.js';
import { InternalClient } from '../server/internal-client.js';
import { SystemEvents } from './events.js';
import { SystemRequests } from './requests.js';

export function enableSystemAccount(server: Server): SystemEvents | null {
  if (server.opts.no_system_account) return null;
  const ic = new InternalClient(server, server.nextClientId(), server.systemAccount);
  const ev = new SystemEvents(server, ic);
  server.events = ev;
  const req = new SystemRequests(ev);
  server.onStart(() => {
    req.start();
    ev.start();
  });
  server.onShutdown(() => ev.stop());
  return ev;
}
