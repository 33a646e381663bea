/**
 * TLS on gateway connections (Go gateway.go createGateway ->
 * doTLSHandshake): unlike client connections the handshake comes first, on
 * both sides, before any INFO. The accepting side uses the `gateway { tls }`
 * block and, as Go, always requires and verifies the dialing side's
 * certificate; the dialing side uses the remote's own `tls` block, else the
 * gateway's.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

export interface GatewayTls {
  cert_file: string;
  key_file: string;
  ca_file: string;
  verify: boolean;
  insecure: boolean;
  /** ms */
  timeout: number;
}

/** The raw `tls {}` map of the gateway block or of a remote. */
export function gatewayTls(raw: Record<string, unknown> | null): GatewayTls | null {
  if (raw === null) return null;
  const s = (k: string): string => (typeof raw[k] === 'string' ? (raw[k] as string) : '');
  const t = typeof raw.timeout === 'number' ? raw.timeout * 1000 : 2000;
  return { cert_file: s('cert_file'), key_file: s('key_file'), ca_file: s('ca_file'), verify: raw.verify === true, insecure: raw.insecure === true, timeout: t };
}

/** Server side of the handshake; `done(null)` when it failed (socket destroyed). */
export function acceptTls(o: GatewayTls, sock: net.Socket, done: (t: tls.TLSSocket | null, err: string) => void): void {
  let t: tls.TLSSocket;
  try {
    // Go lets a tls block without a certificate through; the handshake then fails.
    if (!o.cert_file || !o.key_file) throw new Error('no certificate configured');
    t = new tls.TLSSocket(sock, {
      isServer: true,
      secureContext: tls.createSecureContext({
        cert: readFileSync(o.cert_file),
        key: readFileSync(o.key_file),
        ca: o.ca_file ? readFileSync(o.ca_file) : undefined,
      }),
      // Go getTLSConfig: gateways always require and verify the dialing side's certificate.
      requestCert: true,
      rejectUnauthorized: true,
    });
  } catch (e) {
    sock.destroy();
    done(null, (e as Error).message);
    return;
  }
  settle(t, o.timeout, 'secure', done);
}

/** Client side of the handshake on a connected socket. */
export function dialTls(o: GatewayTls, host: string, sock: net.Socket, done: (t: tls.TLSSocket | null, err: string) => void): void {
  let t: tls.TLSSocket;
  try {
    t = tls.connect({
      socket: sock,
      servername: net.isIP(host) ? undefined : host,
      ca: o.ca_file ? readFileSync(o.ca_file) : undefined,
      cert: o.cert_file ? readFileSync(o.cert_file) : undefined,
      key: o.key_file ? readFileSync(o.key_file) : undefined,
      rejectUnauthorized: !o.insecure,
      checkServerIdentity: net.isIP(host) ? (_h, cert) => tls.checkServerIdentity(host, cert) : undefined,
    });
  } catch (e) {
    sock.destroy();
    done(null, (e as Error).message);
    return;
  }
  settle(t, o.timeout, 'secureConnect', done);
}

function settle(t: tls.TLSSocket, timeoutMs: number, ev: string, done: (t: tls.TLSSocket | null, err: string) => void): void {
  let finished = false;
  const timer = setTimeout(() => {
    if (finished) return;
    finished = true;
    t.destroy();
    done(null, 'timeout');
  }, timeoutMs);
  timer.unref?.();
  t.once(ev, () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(t, '');
  });
  t.once('error', (e) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    t.destroy();
    done(null, e.message);
  });
}
