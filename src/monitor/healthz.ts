/**
 * /healthz (Go monitor.go HandleHealthz, healthz) for a server without
 * JetStream clustering: "ok" with 200; JetStream configured but not running
 * is "unavailable" with 503; `account`/`stream`/`consumer` check that the
 * named JetStream assets exist (404 when not; 400 when a stream is named
 * without its account, or a consumer without its stream). `details=true`
 * reports failures as `errors[]` with Go's error type names and status
 * "error". The body is compact JSON (Go uses json.Marshal here, not
 * MarshalIndent), and the status code is the HTTP status, not a field.
 */
import type { Server } from '../server/server.js';
import { jetStreamOf } from './jsz.js';
import { boolParam } from './query.js';

export interface HealthStatus {
  status: string;
  status_code?: number;
  error?: string;
  errors?: { type: string; account?: string; stream?: string; consumer?: string; error?: string }[];
}

export interface HealthzOptions {
  jsEnabledOnly: boolean;
  jsServerOnly: boolean;
  account: string;
  stream: string;
  consumer: string;
  details: boolean;
}

export function healthzOptions(q: URLSearchParams): HealthzOptions {
  const jsEnabled = boolParam(q, 'js-enabled'); // deprecated alias
  const jsEnabledOnly = boolParam(q, 'js-enabled-only');
  const jsServerOnly = boolParam(q, 'js-server-only');
  boolParam(q, 'js-meta-only'); // validated; a single server has no meta group to check
  return {
    jsEnabledOnly: jsEnabledOnly || jsEnabled,
    jsServerOnly,
    account: q.get('account') ?? '',
    stream: q.get('stream') ?? '',
    consumer: q.get('consumer') ?? '',
    details: boolParam(q, 'details'),
  };
}

/** The health status with `status_code` set (the HTTP layer moves it to the response status). */
export function healthz(srv: Server, o: HealthzOptions): HealthStatus {
  const h: HealthStatus = { status: 'ok' };
  let code = 0;
  const fail = (status: number, type: string, msg: string, where: { account?: string; stream?: string; consumer?: string } = {}, replace = false) => {
    code = status;
    if (!o.details) {
      h.status = status === 400 || status === 500 ? 'error' : 'unavailable';
      h.error = msg;
    } else {
      const e = { type, ...where, error: msg };
      h.errors = replace ? [e] : [...(h.errors ?? []), e];
    }
  };
  check();
  if (o.details) h.status = h.errors && h.errors.length > 0 ? 'error' : 'ok';
  if (code === 0) code = h.error || (h.errors && h.errors.length > 0) ? 503 : 200;
  h.status_code = code;
  return h;

  function check(): void {
    if (o.account === '' && o.stream !== '') return fail(400, 'BAD_REQUEST', '"account" must not be empty when checking stream health');
    if (o.stream === '' && o.consumer !== '') return fail(400, 'BAD_REQUEST', '"stream" must not be empty when checking consumer health');
    if (!srv.isRunning()) return fail(500, 'CONNECTION', 'server not ready for connections');
    if (o.jsServerOnly || !srv.opts.jetstream) return;
    const js = jetStreamOf(srv);
    if (js === null) return fail(503, 'JETSTREAM', 'JetStream not enabled');
    if (o.jsEnabledOnly) return;
    if (o.account === '') return;
    const ja = js.accounts.get(o.account);
    if (ja === undefined) return fail(404, 'ACCOUNT', `JetStream account ${JSON.stringify(o.account)} not found`, { account: o.account }, true);
    if (o.stream === '') return;
    const st = ja.streams.get(o.stream);
    if (st === undefined) {
      return fail(404, 'STREAM', `JetStream stream ${JSON.stringify(o.stream)} not found on account ${JSON.stringify(o.account)}`, { account: o.account, stream: o.stream }, true);
    }
    if (o.consumer !== '' && !st.consumers.has(o.consumer)) {
      const msg = `JetStream consumer ${JSON.stringify(o.consumer)} not found for stream ${JSON.stringify(o.stream)} on account ${JSON.stringify(o.account)}`;
      return fail(404, 'CONSUMER', msg, { account: o.account, stream: o.stream, consumer: o.consumer }, true);
    }
  }
}
