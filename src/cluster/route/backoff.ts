/**
 * When a route is dialed again (Go route.go connectToRoute and
 * reConnectToRoute), as pure functions so the schedule is testable without
 * waiting: a failed dial waits DEFAULT_ROUTE_CONNECT (1s), doubled after each
 * wait up to DEFAULT_ROUTE_CONNECT_MAX (30s) with `connect_backoff`; configured
 * routes are dialed forever, gossiped ones `connect_retries` more times; a
 * route that closed is redialed after a random 0-99 ms, plus
 * DEFAULT_ROUTE_RECONNECT (1s) for a configured one.
 */
import { ROUTE_CONNECT_MS, ROUTE_CONNECT_MAX_MS } from '../../config/cluster.js';

/** Go DEFAULT_ROUTE_RECONNECT */
export const ROUTE_RECONNECT_MS = 1000;

/** One run of dial attempts (one Go connectToRoute call). */
export class DialRun {
  /** failed dials so far in this run */
  failures = 0;
  /** the wait before the next attempt */
  delay = ROUTE_CONNECT_MS;

  /** `first`: dialing at startup (errors reported every connect_error_reports), not after a route closed */
  constructor(readonly first: boolean) {}

  /** Record a failed dial; returns the wait before the next attempt, or -1 when this run gives up. */
  failed(configured: boolean, connectRetries: number, backoff: boolean): number {
    this.failures++;
    if (!shouldRetry(configured, this.failures, connectRetries)) return -1;
    const wait = this.delay;
    this.delay = nextDelay(this.delay, backoff);
    return wait;
  }
}

/** Go connectToRoute: explicit routes try forever; implicit ones stop once failures exceed connect_retries (none when it is 0). */
export function shouldRetry(configured: boolean, failures: number, connectRetries: number): boolean {
  if (configured) return true;
  return connectRetries > 0 && failures <= connectRetries;
}

/** The wait after `current` (Go: doubled with connect_backoff, capped at DEFAULT_ROUTE_CONNECT_MAX). */
export function nextDelay(current: number, backoff: boolean): number {
  return backoff ? Math.min(current * 2, ROUTE_CONNECT_MAX_MS) : current;
}

/** Go reConnectToRoute: the wait before redialing a solicited route that closed. */
export function reconnectDelay(configured: boolean, rand: () => number = Math.random): number {
  return Math.floor(rand() * 100) + (configured ? ROUTE_RECONNECT_MS : 0);
}

/** Go shouldReportConnectErr: which failed attempts are logged as errors (the others at debug). */
export function reportConnectError(first: boolean, failures: number, connectErrorReports: number, reconnectErrorReports: number): boolean {
  const every = first ? connectErrorReports : reconnectErrorReports;
  return failures === 1 || (every > 0 && failures % every === 0);
}
