/**
 * One subscription (Go client.go `subscription`). `subject`, `queue` and `sid`
 * are latin1 byte strings. Internal subscriptions (server-side consumers of
 * messages) carry `icb` and no client socket.
 */
import type { Client } from './client.js';
import type { Account } from '../accounts/account.js';
import type { PubArg } from '../protocol/parser.js';

/**
 * A server link (route) that holds remote interest. Its subscriptions sit in
 * the account sublists like local ones but carry `link`, and the router sends
 * one routed message per link instead of delivering to each of them.
 */
export interface RemoteLink {
  /** Forward one message; `queues` holds `nq` queue names picked for this link (Go routeTarget.qs). */
  sendRouted(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number, origin?: string): void;
}

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
  /** set on subscriptions a route announced (remote interest) */
  link: RemoteLink | null = null;
  /** not announced to routes (Go sub.si: a service import's subscription; each server applies its own imports) */
  local = false;
  /** queue weight of a remote queue subscription (Go sub.qw): members the remote server has */
  qw = 1;

  constructor(
    readonly client: Client,
    readonly subject: string,
    readonly queue: string | null,
    readonly sid: string,
    readonly icb: InternalMsgHandler | null = null,
  ) {}
}
