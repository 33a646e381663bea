/**
 * /routez (Go monitor.go Routez): the registered routes with their traffic
 * counters; `subs=1` lists each route's remote subscriptions, `subs=detail`
 * their details. `subs` is validated as Go's decodeSubs does.
 */
import type { Server } from '../server/server.js';
import type { RouteManager } from '../cluster/route/routes.js';
import { goDuration, goTime, goUptime } from './format.js';
import { subsParam } from './query.js';
import { subDetail } from './connz.js';

export function routez(srv: Server, q: URLSearchParams): Record<string, unknown> {
  const mode = subsParam(q);
  const now = new Date();
  const rm = srv.cluster as RouteManager | null;
  const routes: Record<string, unknown>[] = [];
  if (rm !== null) {
    for (const r of rm.allRoutes()) {
      const ri: Record<string, unknown> = {
        rid: r.cid,
        remote_id: r.remoteId,
        remote_name: r.remoteName,
        did_solicit: r.didSolicit,
        is_configured: r.isConfigured,
        ip: r.host.replace(/^::ffff:/, ''),
        port: r.port,
        start: goTime(r.start),
        last_activity: goTime(new Date(r.lastIn)),
        rtt: goDuration(r.rtt),
        uptime: goUptime(now.getTime() - r.start.getTime()),
        idle: goUptime(now.getTime() - r.lastIn),
        // Go RouteInfo: the remote's route permissions
        import: r.remoteInfo?.import,
        export: r.remoteInfo?.export,
        pending_size: r.pendingBytes(),
        in_msgs: r.inMsgs,
        out_msgs: r.outMsgs,
        in_bytes: r.inBytes,
        out_bytes: r.outBytes,
        subscriptions: r.subs.size,
      };
      if (r.subs.size > 0) {
        if (mode === 'detail') ri.subscriptions_list_detail = [...r.subs.values()].map((s) => subDetail(s, r.cid));
        else if (mode === 'list') ri.subscriptions_list = [...r.subs.values()].map((s) => s.subject);
      }
      // Go RouteInfo: the pinned account, and the compression state (we never compress)
      if (r.accName !== '') ri.account = r.accName;
      ri.compression = r.remoteInfo?.compression ? 'off' : 'not supported';
      routes.push(ri);
    }
  }
  const out: Record<string, unknown> = { server_id: srv.id, server_name: srv.name, now: goTime(now) };
  const perms = rm?.opts.permissions;
  if (perms?.import) out.import = perms.import;
  if (perms?.export) out.export = perms.export;
  out.num_routes = routes.length;
  out.routes = routes;
  return out;
}

/** The /varz `cluster` section (Go ClusterOptsVarz), empty when not clustered. */
export function varzCluster(srv: Server): Record<string, unknown> {
  const rm = srv.cluster as RouteManager | null;
  if (rm === null) return {};
  const o = rm.opts;
  const out: Record<string, unknown> = {
    name: rm.clusterName,
    addr: o.host,
    cluster_port: rm.port,
    auth_timeout: rm.authTimeoutMs() / 1000,
  };
  if (o.routes.length > 0) out.urls = o.routes.map((u) => u.host);
  out.tls_timeout = o.tls_timeout;
  if (o.tls !== null) {
    out.tls_required = true;
    out.tls_verify = true;
  }
  if (o.pool_size !== 0) out.pool_size = o.pool_size;
  return out;
}
