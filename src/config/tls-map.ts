/**
 * A `tls {}` block kept as a plain object (the `cluster` block is passed
 * through raw) turned into TlsOptions, with the checks Go parseTLS and
 * GenTLSConfig make for the fields this server uses.
 */
import { defaultTlsOptions, type TlsOptions } from './options.js';
import { parseGoDuration } from './durations.js';
import { ConfigError } from '../util/errors.js';

/** Keys of Go's parseTLS that these blocks accept without acting on them (see unsupported.ts). */
const IGNORED = new Set([
  'verify_and_map', 'verify_cert_and_check_known_urls', 'curve_preferences', 'connection_rate_limit', 'handshake_first',
  'first', 'immediate', 'certs', 'certificates', 'cert_store', 'cert_match_by', 'cert_match', 'ca_certs_match', 'cert_match_skip_invalid',
  'ocsp_peer', 'allow_insecure_cipher_suites',
]);

/** Every key Go's parseTLS knows; any other fails as Go fails. */
const GO_TLS_KEYS = new Set([...IGNORED, 'cert_file', 'key_file', 'ca_file', 'verify', 'insecure', 'timeout', 'min_version', 'cipher_suites', 'pinned_certs']);

/** Go parseTLS: a key it does not know is an error. */
export function checkTlsKeys(v: Record<string, unknown>): void {
  for (const k of Object.keys(v)) {
    if (!GO_TLS_KEYS.has(k.toLowerCase())) throw new ConfigError(`error parsing tls config, unknown field "${k}"`);
  }
}

export function tlsFromMap(v: unknown): TlsOptions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('tls should be a map');
  const t = defaultTlsOptions();
  const fail = (m: string): never => {
    throw new ConfigError(m);
  };
  const s = (k: string, x: unknown): string => (typeof x === 'string' ? x : fail(`error parsing tls config, expected '${k}' to be filename`));
  for (const [raw, x] of Object.entries(v as Record<string, unknown>)) {
    const k = raw.toLowerCase();
    switch (k) {
      case 'cert_file': t.cert_file = s(k, x); break;
      case 'key_file': t.key_file = s(k, x); break;
      case 'ca_file': t.ca_file = s(k, x); break;
      case 'verify': t.verify = x === true; break;
      case 'insecure': t.insecure = x === true; break;
      case 'timeout': {
        if (typeof x === 'number') t.timeout = Math.round(x * 1000);
        else {
          const d = typeof x === 'string' ? parseGoDuration(x) : null;
          if (d === null) fail('error parsing tls config, timeout should be a number or a duration');
          t.timeout = d!;
        }
        break;
      }
      case 'min_version': {
        const m = String(x);
        if (m !== '1.2' && m !== '1.3') fail(`unsupported TLS version "${m}"`);
        t.min_version = m;
        break;
      }
      case 'cipher_suites': t.cipher_suites = (Array.isArray(x) ? x : [x]).map(String); break;
      case 'pinned_certs': t.pinned_certs = (Array.isArray(x) ? x : [x]).map(String); break;
      default:
        if (!IGNORED.has(k)) fail(`error parsing tls config, unknown field "${raw}"`);
    }
  }
  if (!t.cert_file || !t.key_file) fail("error parsing tls config, missing 'cert_file' or 'key_file'");
  return t;
}
