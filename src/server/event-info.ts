/**
 * The identity blocks of the server's own messages (Go events.go):
 * ServerInfo, stamped on every system-account message with one sequence per
 * server, and ClientInfo as system events, service import requests
 * (`Nats-Request-Info`) and service latency metrics carry it.
 */
import type { Client } from '../conn/client.js';
import { GO_COMPAT_VERSION } from '../util/version.js';
import { rfc3339 } from '../util/time.js';
import type { Server } from './server.js';

/** Go ServerInfo; each call takes the next sequence number of the server's system messages. */
export function serverInfo(srv: Server): Record<string, unknown> {
  const o = srv.opts;
  const js = o.jetstream;
  return {
    name: srv.name,
    host: o.host,
    id: srv.id,
    domain: o.jetstream_opts.domain || undefined,
    ver: GO_COMPAT_VERSION,
    tags: o.tags.length > 0 ? o.tags : undefined,
    metadata: Object.keys(o.metadata).length > 0 ? o.metadata : undefined,
    jetstream: js,
    flags: js ? 1 : 0,
    seq: ++srv.sysSeq,
    time: rfc3339(Date.now() * 1e6),
  };
}

/** Go ClientInfo: the account and RTT always; `detailed` adds who and what the client is, in Go's field order. */
export interface ClientInfoExtra {
  /** account to name instead of the client's own (a service import names its importer) */
  acc?: string;
  /** include the RTT (default true; Go's connect event leaves it out) */
  rtt?: boolean;
  server?: string;
  stop?: string;
}

export function clientInfo(c: Client, detailed: boolean, x: ClientInfoExtra = {}): Record<string, unknown> {
  const ci: Record<string, unknown> = {};
  if (detailed) {
    ci.start = rfc3339(c.start.getTime() * 1e6);
    if (c.host) ci.host = c.host;
    ci.id = c.cid;
  }
  ci.acc = x.acc ?? c.acc.name;
  if (detailed) {
    if (c.authorizedUser) ci.user = c.authorizedUser;
    if (c.opts.name) ci.name = c.opts.name;
    if (c.opts.lang) ci.lang = c.opts.lang;
    if (c.opts.version) ci.ver = c.opts.version;
  }
  if (x.rtt !== false) {
    const rtt = Math.round(c.rtt * 1e6);
    if (rtt > 0) ci.rtt = rtt;
  }
  if (x.server) ci.server = x.server;
  if (x.stop) ci.stop = x.stop;
  if (detailed) {
    ci.kind = 'Client';
    ci.client_type = 'nats';
  }
  return ci;
}
