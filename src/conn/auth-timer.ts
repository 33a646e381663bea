/**
 * The auth timer of an accepted connection (Go setAuthTimer /
 * authTimeout): CONNECT must arrive within the auth timeout, else the
 * connection gets `-ERR 'Authentication Timeout'` and is closed. Used by
 * client connections and by route and gateway links alike.
 */
import * as E from '../protocol/errors.js';
import { ClosedReason } from './closed-reason.js';

/** What the timer needs of the connection it watches. */
export interface AuthTimed {
  readonly closed: boolean;
  readonly connectReceived: boolean;
  sendErr(text: string): void;
  closeConnection(reason: ClosedReason): void;
}

export class AuthTimer {
  private timer: NodeJS.Timeout | null = null;

  start(conn: AuthTimed, ms: number): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (conn.closed || conn.connectReceived) return;
      conn.sendErr(E.ERR_AUTH_TIMEOUT);
      conn.closeConnection(ClosedReason.AuthenticationTimeout);
    }, ms);
    this.timer.unref?.();
  }

  clear(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
