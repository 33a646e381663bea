/**
 * One subscription (Go client.go `subscription`). `subject`, `queue` and `sid`
 * are latin1 byte strings. Internal subscriptions (server-side consumers of
 * messages) carry `icb` and no client socket.
 */
import type { Client } from './client.js';

/**
 * Callback of an internal subscription: subject, reply, header block (or
 * null), payload, publishing client. Returning false means "not delivered"
 * (e.g. a service import nobody answered), which counts for no-responders.
 */
export type InternalMsgHandler = (
  sub: Subscription,
  subject: string,
  reply: string,
  hdr: Buffer | null,
  payload: Buffer,
  from: Client | null,
) => void | boolean;

export class Subscription {
  /** messages delivered */
  nm = 0;
  /** auto-unsubscribe limit, 0 = none */
  max = 0;
  closed = false;

  constructor(
    readonly client: Client,
    readonly subject: string,
    readonly queue: string | null,
    readonly sid: string,
    readonly icb: InternalMsgHandler | null = null,
  ) {}
}
