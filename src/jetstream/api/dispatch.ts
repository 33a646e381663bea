/**
 * The `$JS.API.>` surface (Go jetstream_api.go): one internal subscription
 * per API pattern (unknown subjects get no responders, as with Go), requests
 * queued off the publisher's read cycle, JSON responses with their `type`,
 * and the account's API counters.
 */
import type { Subscription } from '../../conn/subscription.js';
import { getHeader } from '../../protocol/headers.js';
import { API_LEVEL } from '../stream/config.js';
import { ApiError, jsError } from './errors.js';
import type { JsAccount } from '../account.js';
import { respond, type ApiRequest, type ApiRoute } from './request.js';
import { STREAM_HANDLERS } from './stream-api.js';
import { CONSUMER_HANDLERS } from './consumer-api.js';
import { ACCOUNT_HANDLERS } from './account-api.js';
import { matchLiteral } from '../../sublist/subject.js';
import type { Client } from '../../conn/client.js';

/** Go jsAllAPI: the API as the system account carries it. */
const FORWARDED_PREFIX = '$JS.API';
const FORWARDED_DEPTH = 2;

export const ROUTES: ApiRoute[] = [...ACCOUNT_HANDLERS, ...STREAM_HANDLERS, ...CONSUMER_HANDLERS];

const REQUIRED_API_LEVEL = 'Nats-Required-Api-Level';
/** Go JSDefaultRequestQueueLimit */
export const DEFAULT_REQUEST_QUEUE_LIMIT = 10_000;

export class ApiDispatcher {
  private subs: Subscription[] = [];
  private readonly queue: (() => void)[] = [];
  private draining = false;
  inflight = 0;
  /**
   * Clustered JetStream (cluster/clustered-api.ts): sees each request before
   * its handler and returns true when it took it (proposed to the meta group
   * or forwarded to the server that holds the stream).
   */
  interceptor: ((r: ApiRoute, req: ApiRequest) => boolean) | null = null;
  /** Clustered JetStream: sees each result served here (to keep the meta assignments in step). */
  observer: ((r: ApiRoute, req: ApiRequest, out: Record<string, unknown> | ApiError | null) => void) | null = null;

  /**
   * `limit`: Go's `request_queue_limit` (default 10000) — when that many
   * requests wait, all waiting ones are dropped and `onLimit(dropped)` runs
   * (the API_LIMIT_REACHED advisory).
   */
  constructor(
    private readonly jsa: JsAccount,
    private readonly limit = DEFAULT_REQUEST_QUEUE_LIMIT,
    private readonly onLimit: (dropped: number) => void = () => {},
  ) {}

  /**
   * Subscribe every API pattern under each prefix (`$JS.API`, `$JS.<domain>.API`).
   * `local`: not announced to routes and gateways (Go reaches an account's
   * API only through its import into the system account, whose subscription
   * is the one other servers see).
   */
  start(prefixes: string[], local = false): void {
    for (const prefix of prefixes) {
      const depth = prefix.split('.').length;
      for (const r of ROUTES) {
        this.subs.push(
          this.jsa.subscribe(`${prefix}.${r.pattern}`, null, (subject, reply, hdr, payload, from) => this.accept(r, subject, depth, reply, hdr, payload, from, null), local),
        );
      }
    }
  }

  /**
   * A request for this account that came through the system account (Go
   * apiDispatch on a request forwarded by a server without JetStream): served
   * like the account's own, answered by `via` (in the system account).
   * Subjects that are no API call here (Go apiSubs) are ignored.
   */
  forwarded(subject: string, reply: string, hdr: Buffer | null, payload: Buffer, from: Client | null, via: (reply: string, body: Buffer) => void): boolean {
    for (const r of ROUTES) {
      if (!matchLiteral(subject, `${FORWARDED_PREFIX}.${r.pattern}`)) continue;
      this.accept(r, subject, FORWARDED_DEPTH, reply, hdr, payload, from, via);
      return true;
    }
    return false;
  }

  /**
   * Serve a request here, past the interceptor (the server a request was
   * forwarded to, or that a meta assignment names), answering in the
   * account; `done` sees the handler's result.
   */
  runLocal(
    subject: string, reply: string, hdr: Buffer | null, body: Buffer,
    done?: (out: Record<string, unknown> | ApiError | null) => void, intercept = false, via: ApiRequest['via'] = null,
  ): boolean {
    for (const r of ROUTES) {
      if (!matchLiteral(subject, `${FORWARDED_PREFIX}.${r.pattern}`)) continue;
      const req: ApiRequest = { jsa: this.jsa, subject, tokens: subject.split('.').slice(FORWARDED_DEPTH), reply, hdr, body, from: null, via };
      this.enqueue(() => {
        const out = this.run(r, req, intercept);
        if (done) done(out);
      });
      return true;
    }
    return false;
  }

  private accept(r: ApiRoute, subject: string, depth: number, reply: string, hdr: Buffer | null, payload: Buffer, from: Client | null, via: ApiRequest['via']): void {
    // Copy out of the socket buffer before deferring.
    const req: ApiRequest = {
      jsa: this.jsa,
      subject,
      tokens: subject.split('.').slice(depth),
      reply,
      hdr: hdr === null ? null : Buffer.from(hdr),
      body: Buffer.from(payload),
      from,
      via,
    };
    this.enqueue(() => this.run(r, req));
  }

  stop(): void {
    for (const s of this.subs) this.jsa.unsubscribe(s);
    this.subs = [];
    this.queue.length = 0;
  }

  private enqueue(fn: () => void): void {
    this.queue.push(fn);
    this.inflight++;
    if (this.queue.length >= this.limit) {
      const dropped = this.queue.length;
      this.queue.length = 0;
      this.inflight -= dropped;
      this.jsa.log.warn(`JetStream API queue limit reached, dropping ${dropped} requests`);
      this.onLimit(dropped);
      return;
    }
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    const q = this.queue.splice(0);
    for (const fn of q) {
      try {
        fn();
      } catch (e) {
        this.jsa.log.error(`JetStream API request failed: ${(e as Error).stack ?? e}`);
      } finally {
        this.inflight--;
      }
    }
    if (this.queue.length > 0) setImmediate(() => this.drain());
    else this.draining = false;
  }

  private run(r: ApiRoute, req: ApiRequest, intercept = true): Record<string, unknown> | ApiError | null {
    this.jsa.apiTotal++;
    let out: Record<string, unknown> | ApiError | null;
    const lvl = getHeader(req.hdr, REQUIRED_API_LEVEL);
    if (lvl !== null && lvl !== '' && !(Number(lvl) <= API_LEVEL)) out = jsError('JSRequiredApiLevelErr');
    else if (intercept && !req.via && this.interceptor !== null && this.interceptor(r, req)) return null;
    else {
      try {
        out = r.handler(req);
      } catch (e) {
        out = e instanceof ApiError ? e : jsError('JSStreamGeneralErrorF', { err: (e as Error).message });
        if (!(e instanceof ApiError)) this.jsa.log.error(`JetStream API ${req.subject}: ${(e as Error).stack}`);
      }
    }
    if (this.observer !== null) this.observer(r, req, out);
    if (out === null || req.reply === '') return out;
    respond(req, r.type, out);
    return out;
  }
}

