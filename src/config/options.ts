/**
 * The one typed options object of the server. Defaults live here and only here
 * (values match the Go server's `server/const.go` and `opts.go` setBaselineOptions).
 * Order of precedence: defaults, then config file, then CLI flags (Go re-applies flags last).
 */
import type { RaftTiming } from '../raft/config.js';

export interface UserPermissionsSpec {
  publish?: SubjectPermission;
  subscribe?: SubjectPermission;
  /** `allow_responses`: true, or limits for reply permissions. */
  allow_responses?: ResponsePermission;
}

export interface SubjectPermission {
  allow?: string[];
  deny?: string[];
}

export interface ResponsePermission {
  /** max number of responses per request (default 1) */
  max: number;
  /** how long the reply subject stays allowed, in ms (default 2 minutes) */
  expires: number;
}

export interface UserSpec {
  user?: string;
  password?: string;
  nkey?: string;
  permissions?: UserPermissionsSpec;
  allowed_connection_types?: string[];
  account?: string;
}

export interface TlsOptions {
  cert_file?: string;
  key_file?: string;
  ca_file?: string;
  /** Require and verify client certificates. */
  verify: boolean;
  verify_and_map?: boolean;
  insecure?: boolean;
  /** Handshake timeout in ms (Go default 2s). */
  timeout: number;
  /** TLS before INFO. `true`, or a fallback delay in ms ("auto" = 50ms). */
  handshake_first: boolean | number;
  min_version?: string;
  cipher_suites?: string[];
  curve_preferences?: string[];
  pinned_certs?: string[];
  connection_rate_limit?: number;
}

export interface Options {
  // ---- listener ----
  host: string;
  /** 4222; -1 = random; 0 = random too (embedded default). */
  port: number;
  client_advertise?: string;
  server_name?: string;
  /** Do not listen for clients at all (embedding). */
  dont_listen: boolean;

  // ---- logging ----
  debug: boolean;
  trace: boolean;
  trace_verbose: boolean;
  logtime: boolean;
  logtime_utc: boolean;
  logfile?: string;
  log_size_limit: number;
  log_max_num: number;
  syslog: boolean;
  remote_syslog?: string;
  max_traced_msg_len: number;
  /** Embedded servers: log nothing unless asked. */
  no_log: boolean;

  // ---- files ----
  pidfile?: string;
  ports_file_dir?: string;

  // ---- monitoring ----
  http_host: string;
  /** 0 = disabled; -1 = random. */
  http_port: number;
  https_port: number;
  http_base_path: string;

  // ---- limits ----
  max_control_line: number;
  max_payload: number;
  max_pending: number;
  max_connections: number;
  max_subscriptions: number;
  max_sub_tokens: number;
  max_closed_clients: number;
  /** ms */
  ping_interval: number;
  ping_max: number;
  /** ms */
  write_deadline: number;
  write_timeout: 'default' | 'close' | 'retry';
  /** ms */
  lame_duck_duration: number;
  /** ms */
  lame_duck_grace_period: number;
  no_fast_producer_stall: boolean;
  disable_sublist_cache: boolean;
  no_header_support: boolean;

  // ---- auth (single account) ----
  username?: string;
  password?: string;
  authorization?: string; // token
  /** ms; Go default 2s (or tls.timeout + 1s when TLS is on). */
  auth_timeout: number;
  /** set when auth_timeout came from config, so TLS does not override it */
  auth_timeout_set: boolean;
  users: UserSpec[];
  nkeys: UserSpec[];
  default_permissions?: UserPermissionsSpec;
  no_auth_user?: string;
  /** `authorization { auth_callout {} }`: delegate client authentication to a service (Go AuthCallout, ADR-26) */
  auth_callout?: AuthCalloutSpec;

  // ---- TLS ----
  tls?: TlsOptions;
  allow_non_tls: boolean;

  // ---- leaf nodes ----
  /** the `leafnodes {}` block (alias `leaf`), when configured */
  leafnodes?: LeafNodeOptions;

  // ---- websocket ----
  /** the `websocket {}` block (alias `ws`), when configured */
  websocket?: WebsocketOptions;

  // ---- MQTT ----
  /** the `mqtt {}` block, when configured */
  mqtt?: MqttOptions;

  // ---- accounts ----
  /** the `accounts {}` block; empty when only the global account exists */
  accounts: AccountSpec[];
  /** `system_account` (default $SYS) */
  system_account?: string;
  no_system_account: boolean;
  /** top-level `mappings` (of the global account) */
  mappings: MappingSpec[];
  /** operator mode (decentralized JWT auth): `operator`, `trusted_keys`, `resolver`, `resolver_preload` */
  operator_mode?: OperatorModeOptions;

  // ---- JetStream (issue 3) ----
  jetstream: boolean;
  store_dir?: string;
  /** the `jetstream {}` block beyond enable/store_dir */
  jetstream_opts: JetStreamOptions;

  /** Config keys this build parses but does not act on yet (kept for reload/varz). */
  extra: Record<string, unknown>;
  /** Go options given that this server accepts but ignores (config/unsupported.ts), warned at start-up. */
  unsupported: UnsupportedSetting[];
  /** The config file in use, if any. */
  config_file?: string;
  config_digest?: string;

  // ---- misc ----
  tags: string[];
  metadata: Record<string, string>;
  connect_error_reports: number;
  reconnect_error_reports: number;
}

/** A config key path (as written) or a command line flag that is accepted and ignored. */
export interface UnsupportedSetting {
  kind: 'config' | 'flag';
  name: string;
}

export const DEFAULT_PORT = 4222;
export const DEFAULT_HTTP_PORT = 8222;
export const DEFAULT_MAX_CONTROL_LINE = 4096;
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
export const MAX_PAYLOAD_WARN = 8 * 1024 * 1024;
export const DEFAULT_MAX_PENDING = 64 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 64 * 1024;
export const DEFAULT_PING_INTERVAL_MS = 2 * 60 * 1000;
export const DEFAULT_PING_MAX = 2;
export const DEFAULT_WRITE_DEADLINE_MS = 10 * 1000;
export const DEFAULT_AUTH_TIMEOUT_MS = 2 * 1000;
export const DEFAULT_TLS_TIMEOUT_MS = 2 * 1000;
export const DEFAULT_MAX_CLOSED_CLIENTS = 10000;
export const DEFAULT_LAME_DUCK_DURATION_MS = 2 * 60 * 1000;
export const DEFAULT_LAME_DUCK_GRACE_MS = 10 * 1000;
export const DEFAULT_ALLOW_RESPONSES: ResponsePermission = { max: 1, expires: 2 * 60 * 1000 };

export function defaultTlsOptions(): TlsOptions {
  return { verify: false, timeout: DEFAULT_TLS_TIMEOUT_MS, handshake_first: false };
}

export function defaultOptions(): Options {
  return {
    host: '0.0.0.0',
    port: DEFAULT_PORT,
    dont_listen: false,
    debug: false,
    trace: false,
    trace_verbose: false,
    logtime: true,
    logtime_utc: false,
    log_size_limit: 0,
    log_max_num: 0,
    syslog: false,
    max_traced_msg_len: 0,
    no_log: false,
    http_host: '',
    http_port: 0,
    https_port: 0,
    http_base_path: '',
    max_control_line: DEFAULT_MAX_CONTROL_LINE,
    max_payload: DEFAULT_MAX_PAYLOAD,
    max_pending: DEFAULT_MAX_PENDING,
    max_connections: DEFAULT_MAX_CONNECTIONS,
    max_subscriptions: 0,
    max_sub_tokens: 0,
    max_closed_clients: DEFAULT_MAX_CLOSED_CLIENTS,
    ping_interval: DEFAULT_PING_INTERVAL_MS,
    ping_max: DEFAULT_PING_MAX,
    write_deadline: DEFAULT_WRITE_DEADLINE_MS,
    write_timeout: 'default',
    lame_duck_duration: DEFAULT_LAME_DUCK_DURATION_MS,
    lame_duck_grace_period: DEFAULT_LAME_DUCK_GRACE_MS,
    no_fast_producer_stall: false,
    disable_sublist_cache: false,
    no_header_support: false,
    auth_timeout: DEFAULT_AUTH_TIMEOUT_MS,
    auth_timeout_set: false,
    users: [],
    nkeys: [],
    allow_non_tls: false,
    accounts: [],
    no_system_account: false,
    mappings: [],
    jetstream: false,
    jetstream_opts: {},
    extra: {},
    unsupported: [],
    tags: [],
    metadata: {},
    connect_error_reports: 3600,
    reconnect_error_reports: 1,
  };
}

/** `jetstream {}` settings (Go JetStreamConfig + JSLimitOpts). Sizes in bytes, durations in ms. */
export interface JetStreamOptions {
  max_memory_store?: number;
  max_file_store?: number;
  domain?: string;
  /** ms, or 'always' */
  sync_interval?: number | 'always';
  strict?: boolean;
  unique_tag?: string;
  /** limits {} block */
  max_request_batch?: number;
  max_ack_pending?: number;
  /** ms */
  duplicate_window?: number;
  request_queue_limit?: number;
  /** Embedding and tests only (no config-file key): RAFT timers of the meta group instead of Go's. */
  raft_timing?: Partial<RaftTiming>;
}

/** The `auth_callout` block of `authorization` (Go AuthCallout). */
export interface AuthCalloutSpec {
  /** public account nkey that signs the service's responses and the user JWTs it issues */
  issuer: string;
  /** account the requests are sent in (default $G) */
  account: string;
  /** users that skip the callout (the service's own logins) */
  auth_users: string[];
  /** public curve key of the service: requests are encrypted to it ('' = plain) */
  xkey: string;
  /** accounts whose users are delegated to the service (empty = every account) */
  allowed_accounts: string[];
}

/** One entry of the `accounts {}` block (Go parseAccounts). */
export interface AccountSpec {
  name: string;
  nkey?: string;
  /** undefined: no `jetstream` key; null: disabled; otherwise enabled with these limits (-1 = unlimited) */
  jetstream?: AccountJetStreamSpec | null;
  limits: AccountLimitsSpec;
  default_permissions?: UserPermissionsSpec;
  exports: ExportSpec[];
  imports: ImportSpec[];
  mappings: MappingSpec[];
}

/** Go JetStreamAccountLimits from an account's `jetstream {}` block. */
export interface AccountJetStreamSpec {
  max_memory: number;
  max_storage: number;
  max_streams: number;
  max_consumers: number;
  max_ack_pending: number;
  memory_max_stream_bytes: number;
  storage_max_stream_bytes: number;
  max_bytes_required: boolean;
}

/** JetStream account limits with nothing limited (Go's `jetstream: enabled`). */
export function unlimitedJetStream(): AccountJetStreamSpec {
  return {
    max_memory: -1,
    max_storage: -1,
    max_streams: -1,
    max_consumers: -1,
    max_ack_pending: -1,
    memory_max_stream_bytes: -1,
    storage_max_stream_bytes: -1,
    max_bytes_required: false,
  };
}

/** Account `limits {}` (0 = no limit of its own). */
export interface AccountLimitsSpec {
  max_connections?: number;
  max_subscriptions?: number;
  max_payload?: number;
  max_leafnodes?: number;
}

export type ResponseType = 'Singleton' | 'Stream' | 'Chunked';

export interface ExportSpec {
  kind: 'stream' | 'service';
  subject: string;
  /** accounts allowed to import; empty = public */
  accounts: string[];
  response_type: ResponseType;
  /** ms; 0 = default (2 min) */
  response_threshold: number;
  latency?: { sampling: number; subject: string };
  account_token_position: number;
  allow_trace: boolean;
}

export interface ImportSpec {
  kind: 'stream' | 'service';
  /** exporting account */
  account: string;
  subject: string;
  /** stream imports: prefix prepended to the exported subject */
  prefix?: string;
  /** the local subject (service: what local clients request; stream: remapped subject) */
  to?: string;
  share: boolean;
  allow_trace: boolean;
}

/** A subject mapping: source subject to one or more weighted destinations. */
export interface MappingSpec {
  source: string;
  dests: { subject: string; weight: number; cluster?: string }[];
}

/** Operator mode settings (Go opts.go TrustedOperators, TrustedKeys, AccountResolver, resolverPreloads). */
export interface OperatorModeOptions {
  /** operator JWTs, read from the files (or given inline) under `operator` */
  operator_jwts: string[];
  /** `trusted_keys`: operator public keys trusted without a JWT */
  trusted_keys: string[];
  /** the account resolver; undefined when none was configured */
  resolver?: ResolverOptions;
  /** `resolver_preload`: account public key -> account JWT */
  resolver_preload: Record<string, string>;
}

export type ResolverOptions =
  | { type: 'memory' }
  | { type: 'url'; url: string }
  | {
      type: 'full' | 'cache';
      dir: string;
      allow_delete: boolean;
      /** ms; 0 = default (1 minute) */
      interval: number;
      limit: number;
      /** ms; 0 = default (1.9 s) */
      timeout: number;
      /** ms (cache only) */
      ttl: number;
    };

/** One `authorization { users [...] }` entry of the leafnodes block. */
export interface LeafUserSpec {
  user: string;
  password: string;
  /** account the leaf connection is bound to ('' = the global account) */
  account: string;
}

/** A `leafnodes { remotes [...] }` entry (Go RemoteLeafOpts). */
export interface RemoteLeafOptions {
  urls: string[];
  /** local account the link is bound to ('' = the global account) */
  account: string;
  /** creds file (user JWT + nkey seed) used to sign the hub's nonce */
  credentials: string;
  deny_imports: string[];
  deny_exports: string[];
  /** this side acts as the hub of the link */
  hub: boolean;
  /** ms to wait for the remote's first INFO (Go default 1s) */
  first_info_timeout: number;
  disabled: boolean;
  tls?: TlsOptions;
  /** ws:// and wss:// remotes: offer permessage-deflate (Go remote `ws_compression`) */
  ws_compression?: boolean;
}

/** The `leafnodes {}` block (Go LeafNodeOpts). */
export interface LeafNodeOptions {
  host: string;
  /** 0 = do not accept leaf connections; -1 = random port */
  port: number;
  advertise: string;
  no_advertise: boolean;
  /** single user/password of `authorization {}` */
  username: string;
  password: string;
  /** account of the single user ('' = global) */
  account: string;
  users: LeafUserSpec[];
  /** ms; 0 = Go's default (the client auth timeout, 2s) */
  auth_timeout: number;
  /** ms between reconnect attempts of solicited links (Go DEFAULT_LEAF_NODE_RECONNECT, 1s) */
  reconnect: number;
  remotes: RemoteLeafOptions[];
  tls?: TlsOptions;
  min_version: string;
  isolate: boolean;
}

export function defaultLeafNodeOptions(): LeafNodeOptions {
  return {
    host: '0.0.0.0',
    port: 0,
    advertise: '',
    no_advertise: false,
    username: '',
    password: '',
    account: '',
    users: [],
    auth_timeout: 0,
    reconnect: 1000,
    remotes: [],
    min_version: '',
    isolate: false,
  };
}

/** The `websocket {}` block (Go WebsocketOpts). Durations in ms. */
export interface WebsocketOptions {
  host: string;
  /** 0 = no websocket listener; -1 = random port */
  port: number;
  advertise: string;
  no_tls: boolean;
  tls?: TlsOptions;
  same_origin: boolean;
  allowed_origins: string[];
  compression: boolean;
  /** ms; 0 = none */
  handshake_timeout: number;
  /** `authorization {}` of the block: overrides the server's single user/token for websocket clients */
  username: string;
  password: string;
  token: string;
  /** ms; 0 = the server's auth timeout */
  auth_timeout: number;
  no_auth_user: string;
  /** parsed; cookie logins are not implemented */
  jwt_cookie: string;
  user_cookie: string;
  pass_cookie: string;
  token_cookie: string;
  /** extra headers of the 101 response */
  headers: Record<string, string>;
}

export function defaultWebsocketOptions(): WebsocketOptions {
  return {
    host: '0.0.0.0',
    port: 0,
    advertise: '',
    no_tls: false,
    same_origin: false,
    allowed_origins: [],
    compression: false,
    handshake_timeout: 0,
    username: '',
    password: '',
    token: '',
    auth_timeout: 0,
    no_auth_user: '',
    jwt_cookie: '',
    user_cookie: '',
    pass_cookie: '',
    token_cookie: '',
    headers: {},
  };
}

/** The `mqtt {}` block (Go MQTTOpts). Durations in ms; 0 = Go's default. */
export interface MqttOptions {
  host: string;
  /** 0 = no MQTT listener; -1 = random port */
  port: number;
  tls?: TlsOptions;
  /** `authorization {}` of the block: overrides the server's single user/token for MQTT clients */
  username: string;
  password: string;
  token: string;
  /** ms; 0 = the server's auth timeout */
  auth_timeout: number;
  no_auth_user: string;
  /** redelivery of unacknowledged QoS 1/2 messages (default 30s) */
  ack_wait: number;
  /** timeout of the JetStream requests MQTT makes (default 5s) */
  js_api_timeout: number;
  /** QoS 1/2 messages in flight per subscription (0 = 1024) */
  max_ack_pending: number;
  js_domain: string;
  stream_replicas: number;
  consumer_replicas: number;
  consumer_memory_storage: boolean;
  /** ms; 0 = consumers never expire */
  consumer_inactive_threshold: number;
  reject_qos2_publish: boolean;
  downgrade_qos2_subscribe: boolean;
}

export function defaultMqttOptions(): MqttOptions {
  return {
    host: '0.0.0.0',
    port: 0,
    username: '',
    password: '',
    token: '',
    auth_timeout: 0,
    no_auth_user: '',
    ack_wait: 0,
    js_api_timeout: 0,
    max_ack_pending: 0,
    js_domain: '',
    stream_replicas: 0,
    consumer_replicas: 0,
    consumer_memory_storage: false,
    consumer_inactive_threshold: 0,
    reject_qos2_publish: false,
    downgrade_qos2_subscribe: false,
  };
}
