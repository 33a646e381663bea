/**
 * Contracts between connections and authentication (Go auth.go). The
 * connection hands the CONNECT fields plus what it knows of the transport;
 * the authenticator answers with the user label and permissions, or null.
 */
import type { UserPermissionsSpec } from '../config/options.js';

/** CONNECT JSON fields (inventory A.3), snake_case as on the wire. */
export interface ConnectOptions {
  verbose: boolean;
  pedantic: boolean;
  echo: boolean;
  tls_required: boolean;
  auth_token?: string;
  user?: string;
  pass?: string;
  nkey?: string;
  sig?: string;
  jwt?: string;
  name?: string;
  lang?: string;
  version?: string;
  protocol: number;
  headers: boolean;
  no_responders: boolean;
  account?: string;
  new_account?: boolean;
}

export type ConnectionType = 'STANDARD' | 'WEBSOCKET' | 'LEAFNODE' | 'LEAFNODE_WS' | 'MQTT' | 'MQTT_WS' | 'IN_PROCESS';

export interface AuthRequest {
  opts: ConnectOptions;
  /** nonce sent in INFO, when one was */
  nonce: string | null;
  connectionType: ConnectionType;
  /** DER of the verified TLS client certificate, when there is one */
  peerCertificate?: unknown;
  /** the client's remote address (operator mode: user JWT `src` CIDRs) */
  host?: string;
}

/** What a connection keeps of a user JWT login (operator mode). */
export interface JwtUserInfo {
  /** user public key */
  pub: string;
  /** the user JWT's issue time (s), for revocations */
  issuedAt: number;
  /** the key that signed the user JWT when it is an account signing key ('' otherwise) */
  signingKey: string;
  bearer: boolean;
  /** the user's own limits (-1 = none) */
  subs: number;
  payload: number;
  /** when the login stops being valid (ms since epoch; 0 = never): JWT expiry or end of its time window */
  expiresAt: number;
}

/** Permission checks a connection makes on its hot paths. */
export interface ClientPermissions {
  /** true when any publish restriction exists */
  readonly hasPub: boolean;
  /** true when any subscribe restriction exists */
  readonly hasSub: boolean;
  /** true when delivery must be filtered by subscribe-deny (deny list with wildcards) */
  readonly hasSubDeny: boolean;
  /** true when allow_responses is configured */
  readonly hasResponses: boolean;
  /** the configured permissions (for $SYS.REQ.USER.INFO) */
  readonly spec?: UserPermissionsSpec;
  canPublish(subject: string): boolean;
  canSubscribe(subject: string, queue: string | null): boolean;
  /** delivery-time deny check for wildcard subscriptions overlapping a deny (Go mperms) */
  denyDelivery(subject: string, queue: string | null): boolean;
  /** a message with this reply subject was delivered to the client (allow_responses bookkeeping) */
  onReplyDelivered(reply: string): void;
}

export interface AuthResult {
  /** label shown as authorized_user in /connz ('' when none, e.g. token) */
  user: string;
  permissions: ClientPermissions | null;
  /** account name the user belongs to ('$G' for the global account) */
  account: string;
  /** operator mode: the user JWT's limits, expiry and revocation identity */
  jwt?: JwtUserInfo;
}

export interface Authenticator {
  /** INFO auth_required */
  readonly authRequired: boolean;
  /** INFO nonce required (nkey users configured) */
  readonly nonceRequired: boolean;
  /** Authenticate a CONNECT. null = Authorization Violation. */
  authenticate(req: AuthRequest): AuthResult | null;
  /** The no_auth_user login for a connection whose first op is not CONNECT (or that gives no credentials). */
  noAuthUser(req: AuthRequest): AuthResult | null;
}
