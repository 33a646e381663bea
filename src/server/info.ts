/**
 * The INFO document sent to clients (Go server.go Info), with Go's field
 * order and omitempty rules.
 */
import { orderedInfoJSON } from '../protocol/info-json.js';
import { GO_COMPAT_VERSION } from '../util/version.js';

export interface ServerInfo {
  server_id: string;
  server_name: string;
  version: string;
  proto: number;
  git_commit?: string;
  go: string;
  host: string;
  port: number;
  headers: boolean;
  auth_required?: boolean;
  tls_required?: boolean;
  tls_verify?: boolean;
  tls_available?: boolean;
  max_payload: number;
  jetstream?: boolean;
  ip?: string;
  client_id?: number;
  client_ip?: string;
  nonce?: string;
  cluster?: string;
  cluster_dynamic?: boolean;
  domain?: string;
  connect_urls?: string[];
  ws_connect_urls?: string[];
  ldm?: boolean;
  compression?: string;
  connect_info?: boolean;
  remote_account?: string;
  acc_is_sys?: boolean;
  api_lvl?: number;
  xkey?: string;
}

/** What this runtime puts in the `go` field: the truthful runtime, in Go's "go1.x" slot. */
export const RUNTIME_VERSION = `node${process.versions.node}`;

/** The fields every INFO this server sends begins with: client, route and gateway INFO (Go Info). */
export function infoIdentity(
  s: { readonly id: string; readonly name: string; readonly opts: { readonly no_header_support: boolean } },
  host: string, port: number,
): { server_id: string; server_name: string; version: string; proto: number; go: string; host: string; port: number; headers: boolean } {
  return {
    server_id: s.id, server_name: s.name, version: GO_COMPAT_VERSION, proto: 1, go: RUNTIME_VERSION,
    host, port, headers: !s.opts.no_header_support,
  };
}

const ORDER: (keyof ServerInfo)[] = [
  'server_id', 'server_name', 'version', 'proto', 'git_commit', 'go', 'host', 'port', 'headers',
  'auth_required', 'tls_required', 'tls_verify', 'tls_available', 'max_payload', 'jetstream', 'ip',
  'client_id', 'client_ip', 'nonce', 'cluster', 'cluster_dynamic', 'domain', 'connect_urls',
  'ws_connect_urls', 'ldm', 'compression', 'connect_info', 'remote_account', 'acc_is_sys', 'api_lvl', 'xkey',
];

/** JSON in Go's field order, leaving out empty omitempty fields. */
export function infoToJSON(info: ServerInfo): string {
  return orderedInfoJSON(info, ORDER);
}

const CLIENT_ID_AT = ORDER.indexOf('client_id');
const AFTER_NONCE = ORDER.indexOf('nonce') + 1;

/**
 * The INFO line accepted clients get, generated once and cut around its
 * per-connection fields (client_id, client_ip, nonce): a connect storm
 * then costs one string concatenation per client instead of an object and
 * a JSON.stringify. Produces exactly what infoToJSON would.
 */
export class ClientInfoTemplate {
  private readonly head: string;
  private readonly tail: string;

  constructor(info: ServerInfo) {
    const head = orderedInfoJSON(info, ORDER.slice(0, CLIENT_ID_AT));
    const tail = orderedInfoJSON(info, ORDER.slice(AFTER_NONCE));
    this.head = `INFO ${head.slice(0, -1)}`;
    this.tail = tail === '{}' ? '}\r\n' : `,${tail.slice(1)}\r\n`;
  }

  /** `INFO {...}\r\n` for client `cid` at `ip`, with its nonce when one is required. */
  line(cid: number, ip: string, nonce: string | null): string {
    let s = `${this.head},"client_id":${cid}`;
    if (ip !== '') s += `,"client_ip":${JSON.stringify(ip)}`;
    if (nonce) s += `,"nonce":${JSON.stringify(nonce)}`;
    return s + this.tail;
  }
}
