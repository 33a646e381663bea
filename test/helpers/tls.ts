/** The test TLS fixtures (test/fixtures/tls): server certificate and key, and the CA that signed them. */
import { join } from 'node:path';
import { defaultTlsOptions, type TlsOptions } from '../../src/config/options.js';

/** Compiled tests run from dist/test/helpers; the fixtures stay in the source tree. */
export const TLS_DIR = join(import.meta.dirname, '../../../test/fixtures/tls');
export const CA_FILE = join(TLS_DIR, 'ca.pem');

/** A server's `tls {}` with the fixture certificate (and `extra`, e.g. `ca_file` or `verify`). */
export function serverTls(extra: Partial<TlsOptions> = {}): TlsOptions {
  return { ...defaultTlsOptions(), cert_file: join(TLS_DIR, 'server-cert.pem'), key_file: join(TLS_DIR, 'server-key.pem'), ...extra };
}

/** A dialing side's `tls {}` trusting the fixture CA. */
export function clientTls(extra: Partial<TlsOptions> = {}): TlsOptions {
  return { ...defaultTlsOptions(), ca_file: CA_FILE, ...extra };
}
