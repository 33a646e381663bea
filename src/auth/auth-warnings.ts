/**
 * Go auth.go checkAuthforWarnings: the start-up warning for passwords kept in
 * plain text. Go looks at the single user's password (`authorization { user
 * password }` or `--user/--pass`) and at every user of the users table
 * (`authorization { users }` and the accounts' users); a user without a
 * password is skipped when a listener with `verify_and_map` could map a
 * client certificate to it (Go canTLSMap). Leaf, websocket, route and gateway
 * credentials and tokens are not looked at, as in Go.
 */
import type { Options, UserSpec } from '../config/options.js';
import { isBcrypt } from './password.js';

export const PLAINTEXT_PASSWORDS_WARNING = 'Plaintext passwords detected, use nkeys or bcrypt';

/** True when Go would log {@link PLAINTEXT_PASSWORDS_WARNING} for these options. */
export function hasPlaintextPasswords(o: Options): boolean {
  if (o.password && !isBcrypt(o.password)) return true;
  return o.users.some((u) => {
    if (!u.password && canTlsMap(o, u)) return false;
    return !isBcrypt(u.password ?? '');
  });
}

/**
 * Go Options.canTLSMap: a started listener with verify_and_map that this
 * user's allowed connection types admit. Routes and gateways map onto their
 * own user, so they do not count; MQTT is not served here.
 */
function canTlsMap(o: Options, u: UserSpec): boolean {
  const types = new Set((u.allowed_connection_types ?? []).map((t) => t.toUpperCase()));
  const allowed = (...cts: string[]): boolean => types.size === 0 || cts.some((ct) => types.has(ct));
  if (o.tls?.verify_and_map && !o.dont_listen && allowed('STANDARD')) return true;
  const ws = o.websocket;
  if (ws?.tls?.verify_and_map && ws.port !== 0 && allowed('WEBSOCKET')) return true;
  // Go wsCanMapCerts: the websocket listener asks for client certificates
  const wsCerts = ws !== undefined && ws.port !== 0 && ws.tls !== undefined && ws.tls.verify;
  const ln = o.leafnodes;
  return Boolean(
    ln?.tls?.verify_and_map && ln.port !== 0 && ln.username === '' && ln.users.length === 0 &&
      (allowed('LEAFNODE') || (wsCerts && allowed('LEAFNODE_WS'))),
  );
}
