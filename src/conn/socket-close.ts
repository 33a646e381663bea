/**
 * How a connection's socket is let go once the connection is closed (Go
 * client.go closeConnection -> flushAndClose): the last output (a final
 * -ERR) is written, then the connection is closed and nothing more is read.
 *
 * Reading stops at once: a peer that keeps sending (a 50 MB control line
 * before CONNECT, cut after max_control_line) fills the socket buffers and
 * is reset when the socket closes, instead of being read to the end and
 * thrown away; before this the 100 ms grace below read ~20 MB of such input
 * on loopback. A TCP (or TLS) socket is closed as soon as the final output
 * and the FIN are handed to the kernel; the grace remains for a peer whose
 * socket does not take our output, and for other streams (the websocket
 * adapter runs its own closing handshake on end()).
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** the longest a closed connection's socket waits for its final output to be written */
const CLOSE_GRACE_MS = 100;

/** End `sock` after its last output; `now` destroys it at once (a slow consumer's backlog is dropped, as in Go). */
export function releaseSocket(sock: Duplex, now: boolean): void {
  if (sock.destroyed) return;
  sock.pause();
  if (now) {
    sock.destroy();
    return;
  }
  const t = setTimeout(() => sock.destroy(), CLOSE_GRACE_MS);
  t.unref?.();
  sock.once('close', () => clearTimeout(t));
  if (sock instanceof net.Socket) sock.end(() => sock.destroy());
  else sock.end();
}
