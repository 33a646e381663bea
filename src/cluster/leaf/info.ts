/**
 * Leaf node INFO and CONNECT documents (Go leafnode.go
 * startLeafNodeAcceptLoop / sendPermsAndAccountInfo / sendLeafConnect), in
 * the field order of Go's Info and leafConnectInfo structs, omitting empty
 * omitempty fields as Go's encoding/json does.
 */
import { GO_COMPAT_VERSION } from '../../util/version.js';
import { RUNTIME_VERSION } from '../../server/info.js';

/** Go's JSApiLevel of the release this server matches */
const JS_API_LEVEL = 1;

export interface LeafInfoInput {
  id: string;
  name: string;
  host: string;
  port: number;
  headers: boolean;
  tlsRequired: boolean;
  tlsVerify: boolean;
  maxPayload: number;
  jetstream: boolean;
  domain: string;
  ip: string;
  cid: number;
  nonce: string;
  cluster: string;
  connectInfo: boolean;
  remoteAccount: string;
  isSystemAccount: boolean;
  leafnodeURLs: string[];
}

/** The INFO a hub sends on accepting a leaf connection (and again, with connect_info, after its CONNECT). */
export function leafInfoJSON(i: LeafInfoInput): string {
  const o: Record<string, unknown> = {
    server_id: i.id,
    server_name: i.name,
    version: GO_COMPAT_VERSION,
    proto: 1,
    go: RUNTIME_VERSION,
    host: i.host,
    port: i.port,
    headers: i.headers,
    auth_required: true,
  };
  if (i.tlsRequired) o.tls_required = true;
  if (i.tlsVerify) o.tls_verify = true;
  o.max_payload = i.maxPayload;
  if (i.jetstream) o.jetstream = true;
  if (i.ip) o.ip = i.ip;
  if (i.cid) o.client_id = i.cid;
  if (i.nonce) o.nonce = i.nonce;
  if (i.cluster) o.cluster = i.cluster;
  if (i.domain) o.domain = i.domain;
  if (i.connectInfo) o.connect_info = true;
  if (i.remoteAccount) o.remote_account = i.remoteAccount;
  if (i.isSystemAccount) o.acc_is_sys = true;
  o.api_lvl = JS_API_LEVEL;
  o.info_on_connect = true;
  if (i.leafnodeURLs.length > 0) o.leafnode_urls = i.leafnodeURLs;
  return JSON.stringify(o);
}

/** What a leaf INFO tells the soliciting side. */
export interface RemoteLeafInfo {
  server_id: string;
  server_name: string;
  headers: boolean;
  tls_required: boolean;
  client_id: number;
  nonce: string;
  cluster: string;
  domain: string;
  connect_info: boolean;
  info_on_connect: boolean;
  remote_account: string;
  leafnode_urls: string[] | null;
}

export function decodeLeafInfo(text: string): RemoteLeafInfo | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const s = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
  const b = (k: string): boolean => o[k] === true;
  return {
    server_id: s('server_id'),
    server_name: s('server_name'),
    headers: b('headers'),
    tls_required: b('tls_required'),
    client_id: typeof o.client_id === 'number' ? o.client_id : 0,
    nonce: s('nonce'),
    cluster: s('cluster'),
    domain: s('domain'),
    connect_info: b('connect_info'),
    info_on_connect: b('info_on_connect'),
    remote_account: s('remote_account'),
    leafnode_urls: Array.isArray(o.leafnode_urls) ? (o.leafnode_urls as unknown[]).filter((x): x is string => typeof x === 'string') : null,
  };
}

/** The CONNECT a soliciting server sends (Go leafConnectInfo). */
export interface LeafConnectInfo {
  version: string;
  nkey?: string;
  jwt?: string;
  sig?: string;
  user?: string;
  pass?: string;
  auth_token?: string;
  id: string;
  domain?: string;
  name: string;
  hub?: boolean;
  cluster?: string;
  headers: boolean;
  jetstream?: boolean;
  deny_pub?: string[];
  isolate?: boolean;
  compression?: string;
  remote_account?: string;
  proto?: number;
}

export function leafConnectJSON(c: LeafConnectInfo): string {
  const o: Record<string, unknown> = { version: c.version };
  if (c.nkey) o.nkey = c.nkey;
  if (c.jwt) o.jwt = c.jwt;
  if (c.sig) o.sig = c.sig;
  if (c.user) o.user = c.user;
  if (c.pass) o.pass = c.pass;
  if (c.auth_token) o.auth_token = c.auth_token;
  o.server_id = c.id;
  if (c.domain) o.domain = c.domain;
  o.name = c.name;
  if (c.hub) o.is_hub = true;
  if (c.cluster) o.cluster = c.cluster;
  if (c.headers) o.headers = true;
  if (c.jetstream) o.jetstream = true;
  if (c.deny_pub && c.deny_pub.length > 0) o.deny_pub = c.deny_pub;
  if (c.compression) o.compress_mode = c.compression;
  if (c.remote_account) o.remote_account = c.remote_account;
  if (c.proto) o.protocol = c.proto;
  return JSON.stringify(o);
}

/** A CONNECT received from a soliciting leaf. Null when it is not a JSON object. */
export function decodeLeafConnect(text: string): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  return v as Record<string, unknown>;
}
