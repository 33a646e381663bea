/**
 * Gateway-routed replies a client was shown plainly (Go gwReplyMapping and
 * trackGWReply): a request that crossed a gateway carries its reply as
 * `_GR_.<cluster>.<server>.<reply>`; subscribers see `<reply>`, and when
 * they publish on it the server sends it on under the routed form.
 */
import type { GwReplyTracker } from '../accounts/account.js';

/** Go defaultGatewayRecentSubExpiration */
const GW_REPLY_TTL_MS = 2000;

/**
 * Routed replies delivered to one client, by the plain reply it saw (Go
 * gwReplyMapping): entries live 2 s (Go defaultGatewayRecentSubExpiration); expired ones
 * are dropped when looked up and swept every 64 new entries.
 */
export class GwReplyMap implements GwReplyTracker {
  private readonly m = new Map<string, { routed: string; exp: number }>();

  constructor(private readonly ttlMs = GW_REPLY_TTL_MS) {}

  track(plain: string, routed: string): void {
    const now = Date.now();
    // A client that never answers must not grow the map: sweep expired entries now and then.
    if (this.m.size >= 64 && (this.m.size & 63) === 0) for (const [k, v] of this.m) if (v.exp <= now) this.m.delete(k);
    this.m.set(plain, { routed, exp: now + this.ttlMs });
  }

  /** The routed form of `subject`, or null. */
  get(subject: string): string | null {
    if (this.m.size === 0) return null;
    const e = this.m.get(subject);
    const now = Date.now();
    if (e === undefined) return null;
    if (e.exp <= now) {
      this.m.delete(subject);
      return null;
    }
    return e.routed;
  }

  get size(): number {
    return this.m.size;
  }
}
