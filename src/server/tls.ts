/**
 * TLS for client connections (Go server.go createClientEx + doTLSServerHandshake):
 * INFO goes out in plaintext, then the client starts the handshake on the
 * same socket; with `handshake_first` the handshake comes before INFO (with
 * an optional fallback delay); with `allow_non_tls` the first byte decides.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { TlsOptions } from '../config/options.js';
import type { Client } from '../conn/client.js';
import { ClosedReason } from '../conn/closed-reason.js';
import { errFrame, ERR_TLS_REQUIRED } from '../protocol/errors.js';
import { ConfigError } from '../util/errors.js';
import type { Server } from './server.js';

const TLS_RECORD_HANDSHAKE = 0x16;

export class TlsSetup {
  readonly context: tls.SecureContext;
  /** what the context was made from (a tls.Server builds its own context from it) */
  private readonly material: tls.SecureContextOptions;

  constructor(readonly opts: TlsOptions) {
    if (!opts.cert_file || !opts.key_file) throw new ConfigError('missing \'cert_file\' or \'key_file\' in TLS configuration');
    try {
      this.material = {
        cert: readFileSync(opts.cert_file),
        key: readFileSync(opts.key_file),
        ca: opts.ca_file ? readFileSync(opts.ca_file) : undefined,
        minVersion: opts.min_version === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
        ciphers: opts.cipher_suites && opts.cipher_suites.length > 0 ? opts.cipher_suites.join(':') : undefined,
      };
      this.context = tls.createSecureContext(this.material);
    } catch (e) {
      throw new ConfigError(`error parsing X509 certificate/key pair: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Server side without client certificates. */
  private wrap(sock: net.Socket): tls.TLSSocket {
    return new tls.TLSSocket(sock, { isServer: true, secureContext: this.context });
  }

  /**
   * Server side of a link that starts with the TLS handshake (routes: Go
   * createRoute + doTLSHandshake when not soliciting). `done` gets the TLS
   * socket, or null and the error text once the handshake failed or timed out
   * (the socket is then destroyed).
   */
  acceptFirst(sock: net.Socket, verify: boolean, done: (t: tls.TLSSocket | null, err: string) => void): void {
    // A one-off tls.Server is handed the socket so Node checks the peer certificate
    // (a bare server-side TLSSocket never judges it).
    const srv = tls.createServer({ ...this.material, requestCert: verify, rejectUnauthorized: false });
    let finished = false;
    const end = (t: tls.TLSSocket | null, err: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      srv.removeAllListeners();
      if (t === null) sock.destroy();
      done(t, err);
    };
    const timer = setTimeout(() => end(null, 'timeout'), this.opts.timeout);
    timer.unref?.();
    srv.once('secureConnection', (t: tls.TLSSocket) => {
      if (verify && !t.authorized) {
        t.destroy();
        end(null, String(t.authorizationError ?? 'peer certificate required'));
        return;
      }
      end(t, '');
    });
    srv.once('tlsClientError', (e: Error) => end(null, e.message));
    sock.once('close', () => end(null, 'connection closed'));
    srv.emit('connection', sock);
  }


  /** Handshake on `sock`; calls done with the TLS socket, or closes the client on failure/timeout. */
  private handshake(sock: net.Socket, srv: Server, c: Client | null, done: (t: tls.TLSSocket) => void): void {
    let finished = false;
    let wrapped: tls.TLSSocket | null = null;
    const timer = setTimeout(() => {
      if (finished) return;
      finished = true;
      srv.log.debug(`${sock.remoteAddress}:${sock.remotePort} - TLS handshake timeout`);
      if (c) {
        c.sendErr(ERR_TLS_REQUIRED);
        c.closeConnection(ClosedReason.TLSHandshakeError);
      } else {
        sock.end(errFrame(ERR_TLS_REQUIRED));
      }
      wrapped?.destroy();
    }, this.opts.timeout);
    const secure = (t: tls.TLSSocket): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (c) {
        c.tlsVersion = tlsVersion(t.getProtocol());
        c.tlsCipher = t.getCipher()?.standardName ?? '';
      }
      done(t);
    };
    const failed = (msg: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      srv.log.error(`${sock.remoteAddress}:${sock.remotePort} - TLS handshake error: ${msg}`);
      if (c) c.closeConnection(ClosedReason.TLSHandshakeError);
      wrapped?.destroy();
      sock.destroy();
    };
    if (!this.opts.verify) {
      const t = this.wrap(sock);
      wrapped = t;
      t.once('secure', () => secure(t));
      t.once('error', (e) => failed(e.message));
      return;
    }
    // verify: a bare server-side TLSSocket asks for the client certificate but never
    // judges it, so a one-off tls.Server runs the handshake and reports the verdict.
    const one = tls.createServer({ ...this.material, requestCert: true, rejectUnauthorized: false });
    one.once('secureConnection', (t: tls.TLSSocket) => {
      one.removeAllListeners();
      wrapped = t;
      if (!t.authorized) failed(String(t.authorizationError ?? 'client certificate required'));
      else secure(t);
    });
    one.once('tlsClientError', (e: Error) => {
      one.removeAllListeners();
      failed(e.message);
    });
    one.emit('connection', sock);
  }

  /** Normal mode: INFO was sent in plaintext; the client now upgrades (or, with allow_non_tls, may not). */
  upgradeAfterInfo(c: Client, sock: net.Socket, srv: Server, done: (s: net.Socket) => void): void {
    if (!srv.opts.allow_non_tls) {
      this.handshake(sock, srv, c, done);
      return;
    }
    // Sniff the first byte: a TLS record starts with 0x16.
    sock.once('data', (chunk: Buffer) => {
      sock.pause();
      sock.unshift(chunk);
      if (chunk[0] === TLS_RECORD_HANDSHAKE) this.handshake(sock, srv, c, done);
      else {
        done(sock);
        sock.resume();
      }
    });
  }

  /** handshake_first: TLS before INFO; with a fallback delay, plaintext clients get INFO-first after it. */
  handshakeFirst(sock: net.Socket, srv: Server, create: (s: net.Socket) => void): void {
    const hf = this.opts.handshake_first;
    if (hf === true || typeof hf !== 'number' || hf <= 0) {
      this.handshake(sock, srv, null, (t) => {
        const c = srv.createClient(t, true);
        if (c) {
          c.tlsFirst = true;
          c.tlsVersion = tlsVersion(t.getProtocol());
          c.tlsCipher = t.getCipher()?.standardName ?? '';
        }
      });
      return;
    }
    let decided = false;
    const timer = setTimeout(() => {
      if (decided) return;
      decided = true;
      sock.removeListener('data', onData);
      srv.createClient(sock, false);
    }, hf);
    const onData = (chunk: Buffer) => {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      sock.pause();
      sock.unshift(chunk);
      this.handshake(sock, srv, null, (t) => {
        const c = srv.createClient(t, true);
        if (c) c.tlsFirst = true;
      });
    };
    sock.once('data', onData);
    void create;
  }
}

/**
 * The soliciting side's handshake on an open socket (Go doTLSHandshake with
 * solicit set): our certificate when configured, the CA from `ca_file`, and
 * the host checked against the peer's certificate (IP SANs too, which Node's
 * SNI cannot carry). `done` as in TlsSetup.acceptFirst.
 */
export function dialTls(plain: net.Socket, host: string, to: TlsOptions | undefined, done: (t: tls.TLSSocket | null, err: string) => void): void {
  const h = host.replace(/^\[|\]$/g, '');
  let t: tls.TLSSocket;
  try {
    t = tls.connect({
      socket: plain,
      servername: net.isIP(h) ? undefined : h,
      ca: to?.ca_file ? readFileSync(to.ca_file) : undefined,
      cert: to?.cert_file ? readFileSync(to.cert_file) : undefined,
      key: to?.key_file ? readFileSync(to.key_file) : undefined,
      minVersion: to?.min_version === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
      rejectUnauthorized: !to?.insecure,
      checkServerIdentity: net.isIP(h) ? (_h, cert) => tls.checkServerIdentity(h, cert) : undefined,
    });
  } catch (e) {
    plain.destroy();
    done(null, (e as Error).message);
    return;
  }
  settleHandshake(t, plain, to?.timeout ?? 2000, done);
}

function settleHandshake(
  t: tls.TLSSocket, plain: net.Socket, timeoutMs: number,
  done: (t: tls.TLSSocket | null, err: string) => void,
): void {
  let finished = false;
  const fail = (err: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    t.destroy();
    plain.destroy();
    done(null, err);
  };
  const timer = setTimeout(() => fail('timeout'), timeoutMs);
  timer.unref?.();
  t.once('secureConnect', () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(t, '');
  });
  t.once('error', (e) => fail(e.message));
  plain.once('close', () => fail('connection closed'));
}

/** Node's "TLSv1.3" as Go prints it in /connz: "1.3". */
export function tlsVersion(p: string | null): string {
  return p ? p.replace(/^TLSv/, '') : '';
}
