/**
 * /varz (Go monitor.go Varz): server identity, configuration limits, runtime
 * figures and traffic counters, with Go's field names and units
 * (ping_interval and write_deadline in nanoseconds, timeouts in seconds).
 */
import os from 'node:os';
import type { Server } from '../server/server.js';
import { RUNTIME_VERSION } from '../server/info.js';
import { VERSION, GO_COMPAT_VERSION } from '../util/version.js';
import { goTime, goUptime } from './format.js';
import { varzJetStream } from './jsz.js';
import { varzCluster } from './routez.js';
import { varzGateway } from './gatewayz.js';

const NS_PER_MS = 1_000_000;

/** Process CPU percentage between successive calls (Go reports the process's recent CPU use). */
class CpuMeter {
  private last = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  percent(): number {
    const now = process.hrtime.bigint();
    const u = process.cpuUsage(this.last);
    const elapsedUs = Number(now - this.lastAt) / 1000;
    this.last = process.cpuUsage();
    this.lastAt = now;
    if (elapsedUs <= 0) return 0;
    return Math.round(((u.user + u.system) / elapsedUs) * 1000) / 10;
  }
}

export class VarzBuilder {
  private readonly cpu = new CpuMeter();
  constructor(private readonly srv: Server, private readonly httpReqStats: Map<string, number>, private readonly httpPort: () => number) {}

  build(): Record<string, unknown> {
    const s = this.srv;
    const o = s.opts;
    const now = new Date();
    const st = s.stats;
    const info = s.baseInfo();
    const tls = o.tls;
    const v: Record<string, unknown> = {
      server_id: s.id,
      server_name: s.name,
      version: GO_COMPAT_VERSION,
      proto: 1,
      go: RUNTIME_VERSION,
      host: o.host,
      port: s.port,
      auth_required: info.auth_required || undefined,
      tls_required: info.tls_required || undefined,
      tls_verify: info.tls_verify || undefined,
      max_connections: o.max_connections,
      max_subscriptions: o.max_subscriptions || undefined,
      ping_interval: o.ping_interval * NS_PER_MS,
      ping_max: o.ping_max,
      http_host: o.http_host || o.host,
      http_port: this.httpPort(),
      http_base_path: o.http_base_path,
      https_port: o.https_port,
      auth_timeout: s.authTimeoutMs() / 1000,
      max_control_line: o.max_control_line,
      max_payload: o.max_payload,
      max_pending: o.max_pending,
      cluster: varzCluster(s),
      gateway: varzGateway(s),
      leaf: varzLeaf(s),
      mqtt: s.mqtt?.varz() ?? {},
      websocket: varzWebsocket(s),
      jetstream: varzJetStream(s),
      tls_timeout: (tls?.timeout ?? 2000) / 1000,
      write_deadline: o.write_deadline * NS_PER_MS,
      // Go WriteTimeoutPolicy.String: empty (omitted) for the default policy
      write_timeout: o.write_timeout === 'default' ? undefined : o.write_timeout,
      start: goTime(s.start),
      now: goTime(now),
      uptime: goUptime(now.getTime() - s.start.getTime()),
      mem: process.memoryUsage.rss(),
      cores: os.availableParallelism(),
      gomaxprocs: os.availableParallelism(),
      gomemlimit: undefined,
      cpu: this.cpu.percent(),
      connections: s.clients.size,
      total_connections: s.totalConnections,
      routes: s.cluster?.numRoutes() ?? 0,
      remotes: 0,
      leafnodes: s.leafnodes?.count() ?? 0,
      in_msgs: st.inMsgs,
      out_msgs: st.outMsgs,
      in_bytes: st.inBytes,
      out_bytes: st.outBytes,
      in_client_msgs: st.inMsgs,
      in_client_bytes: st.inBytes,
      out_client_msgs: st.outMsgs,
      out_client_bytes: st.outBytes,
      slow_consumers: st.slowConsumers,
      stale_connections: st.staleConnections,
      stalled_clients: st.stalls,
      subscriptions: s.numSubscriptions(),
      http_req_stats: Object.fromEntries(this.httpReqStats),
      config_load_time: goTime(s.configLoadTime),
      config_digest: o.config_digest,
      tags: o.tags.length > 0 ? o.tags : undefined,
      metadata: Object.keys(o.metadata).length > 0 ? o.metadata : undefined,
      system_account: o.no_system_account ? undefined : s.systemAccount.name,
      slow_consumer_stats: { clients: st.slowConsumersClients, routes: st.slowConsumersRoutes, gateways: st.slowConsumersGateways, leafs: st.slowConsumersLeafs },
      stale_connection_stats: { clients: st.staleConnectionsClients, routes: 0, gateways: st.staleConnectionsGateways, leafs: 0 },
      // Go's disk I/O semaphore has no counterpart (file I/O goes through libuv's pool): always zero
      disk_io_wait_stats: { waiters: 0, waits: 0, wait_time: 0, max_wait_time: 0 },
    };
    for (const k of Object.keys(v)) if (v[k] === undefined) delete v[k];
    return v;
  }
}

/** Go LeafNodeOptsVarz: the leafnodes block as configured, with the bound port (empty when not configured). */
function varzLeaf(s: Server): Record<string, unknown> {
  const lo = s.opts.leafnodes;
  const ln = s.leafnodes;
  if (!lo || !ln) return {};
  const v: Record<string, unknown> = {};
  if (lo.port !== 0) {
    v.host = lo.host;
    v.port = ln.port;
    v.auth_timeout = (lo.auth_timeout || 2000) / 1000;
    v.tls_timeout = (lo.tls?.timeout ?? 2000) / 1000;
    if (lo.tls) v.tls_required = true;
    if (lo.tls?.verify) v.tls_verify = true;
  }
  const remotes = lo.remotes.map((r) => {
    const o: Record<string, unknown> = { local_account: r.account || '$G' };
    if (r.tls) o.tls_timeout = (r.tls.timeout ?? 2000) / 1000;
    o.urls = r.urls.map(urlHost);
    if (r.deny_exports.length > 0 || r.deny_imports.length > 0) {
      const d: Record<string, unknown> = {};
      if (r.deny_exports.length > 0) d.exports = r.deny_exports;
      if (r.deny_imports.length > 0) d.imports = r.deny_imports;
      o.deny = d;
    }
    return o;
  });
  if (remotes.length > 0) v.remotes = remotes;
  return v;
}

/** Go WebsocketOptsVarz: the websocket block as configured, with the bound port; empty fields omitted. */
function varzWebsocket(s: Server): Record<string, unknown> {
  const wo = s.opts.websocket;
  const l = s.websocket as { port?: number } | null;
  if (!wo || wo.port === 0) return {};
  const v: Record<string, unknown> = {
    host: wo.host || undefined,
    port: l?.port ?? wo.port,
    advertise: wo.advertise || undefined,
    no_auth_user: wo.no_auth_user || undefined,
    jwt_cookie: wo.jwt_cookie || undefined,
    handshake_timeout: wo.handshake_timeout > 0 ? wo.handshake_timeout * NS_PER_MS : undefined,
    auth_timeout: wo.auth_timeout > 0 ? wo.auth_timeout / 1000 : undefined,
    no_tls: wo.no_tls || undefined,
    tls_map: wo.tls?.verify_and_map || undefined,
    same_origin: wo.same_origin || undefined,
    allowed_origins: wo.allowed_origins.length > 0 ? wo.allowed_origins : undefined,
    compression: wo.compression || undefined,
  };
  for (const k of Object.keys(v)) if (v[k] === undefined) delete v[k];
  return v;
}

/** Go urlsToStrings: each remote URL as host:port. */
function urlHost(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return u;
  }
}
