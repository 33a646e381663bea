/**
 * The route INFO and CONNECT documents (Go server.go Info with its
 * route-specific fields, route.go sendRouteConnect), in Go's field order.
 */
import type { SubjectPermission } from '../../config/options.js';
import { orderedInfoJSON, type InfoHead } from '../../protocol/info-json.js';

/** Route INFO as exchanged between servers (the fields this server reads or sends). */
export interface RouteInfo extends InfoHead {
  server_id: string;
  jetstream?: boolean;
  /** the route URL gossip hands to other servers (`nats-route://host:port/`) */
  ip?: string;
  nonce?: string;
  cluster?: string;
  cluster_dynamic?: boolean;
  connect_urls?: string[];
  ws_connect_urls?: string[];
  ldm?: boolean;
  compression?: string;
  /** route permissions of the sender (Go Info Import/Export) */
  import?: SubjectPermission;
  export?: SubjectPermission;
  lnoc?: boolean;
  info_on_connect?: boolean;
  route_pool_size?: number;
  route_pool_idx?: number;
  route_account?: string;
  gossip_mode?: number;
  /** gateway fields: this server's gateway URL, and gateway gossip forwarded over routes (Go forwardNewGatewayToLocalCluster) */
  gateway?: string;
  gateway_urls?: string[];
  gateway_url?: string;
  gateway_cmd?: number;
}

const ORDER: (keyof RouteInfo)[] = [
  'server_id', 'server_name', 'version', 'proto', 'go', 'host', 'port', 'headers', 'auth_required',
  'tls_required', 'tls_verify', 'max_payload', 'jetstream', 'ip', 'nonce', 'cluster', 'cluster_dynamic',
  'connect_urls', 'ws_connect_urls', 'ldm', 'compression', 'import', 'export', 'lnoc', 'info_on_connect', 'route_pool_size', 'route_pool_idx',
  'route_account', 'gossip_mode', 'gateway', 'gateway_urls', 'gateway_url', 'gateway_cmd',
];

/** JSON in Go's field order without empty omitempty fields. */
export function routeInfoJSON(info: RouteInfo): string {
  return orderedInfoJSON(info, ORDER);
}

/** The CONNECT a dialing server sends (Go sendRouteConnect). */
export function routeConnectJSON(p: { user: string; pass: string; tls: boolean; id: string; headers: boolean; cluster: string; dynamic: boolean }): string {
  const o: Record<string, unknown> = { echo: true, verbose: false, pedantic: false };
  if (p.user) o.user = p.user;
  if (p.pass) o.pass = p.pass;
  o.tls_required = p.tls;
  o.name = p.id;
  o.headers = p.headers;
  o.cluster = p.cluster;
  if (p.dynamic) o.dynamic = true;
  o.lnoc = true;
  return JSON.stringify(o);
}
