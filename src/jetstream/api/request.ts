/**
 * The request/response plumbing shared by the API handlers: the request
 * record, body parsing with Go's error, typed responses, paging.
 */
import { ApiError, jsError } from './errors.js';
import type { JsAccount } from '../account.js';
import type { Client } from '../../conn/client.js';

export interface ApiRequest {
  jsa: JsAccount;
  /** full request subject */
  subject: string;
  /** tokens after the API prefix (`$JS.API` or `$JS.<domain>.API`) */
  tokens: string[];
  reply: string;
  hdr: Buffer | null;
  body: Buffer;
  /** the client that sent the request (null when published internally) */
  from: Client | null;
  /** how to answer a request forwarded through the system account (null: in the request's account) */
  via?: ((reply: string, body: Buffer) => void) | null;
}

/** A handler returns the response fields (without `type`), an ApiError, or null when it answers by itself / stays silent. */
export type ApiHandler = (req: ApiRequest) => Record<string, unknown> | ApiError | null;

export interface ApiRoute {
  /** pattern after `$JS.API.` */
  pattern: string;
  /** response type suffix, e.g. `stream_create_response` */
  type: string;
  handler: ApiHandler;
}

/** Parse a JSON request body; empty bodies give `{}` only when `allowEmpty`. */
export function parseBody<T>(body: Buffer, allowEmpty: boolean): T | ApiError {
  if (body.length === 0) {
    if (allowEmpty) return {} as T;
    return jsError('JSInvalidJSONErr', { err: 'unexpected end of JSON input' });
  }
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return jsError('JSInvalidJSONErr', { err: `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type struct` });
    }
    return v as T;
  } catch (e) {
    return jsError('JSInvalidJSONErr', { err: (e as Error).message });
  }
}

const PAGED_ZERO = { total: 0, offset: 0, limit: 0 };

/**
 * Fields Go's response structs carry without `omitempty`: an error response
 * still has them, at their zero values, after `type` and `error`.
 */
const ERROR_ZERO_FIELDS: Record<string, Record<string, unknown>> = {
  stream_info_response: PAGED_ZERO,
  stream_names_response: { ...PAGED_ZERO, streams: null },
  stream_list_response: { ...PAGED_ZERO, streams: null },
  stream_purge_response: { purged: 0 },
  stream_restore_response: { deliver_subject: '' },
  consumer_names_response: { ...PAGED_ZERO, consumers: null },
  consumer_list_response: { ...PAGED_ZERO, consumers: null },
  consumer_pause_response: { paused: false, pause_until: '0001-01-01T00:00:00Z' },
  consumer_reset_response: { reset_seq: 0 },
};

/** The JSON body of a response: `{"type": ..., ...}` or `{"type": ..., "error": {...}, <zero fields>}`. */
export function responseBody(type: string, out: Record<string, unknown> | ApiError): string {
  const t = `io.nats.jetstream.api.v1.${type}`;
  if (out instanceof ApiError) return JSON.stringify({ type: t, error: out.toJSON(), ...ERROR_ZERO_FIELDS[type] });
  return JSON.stringify({ type: t, ...out });
}

/** Send the response to the request's reply. */
export function respond(req: ApiRequest, type: string, out: Record<string, unknown> | ApiError): void {
  if (out instanceof ApiError) req.jsa.apiErrors++;
  const body = responseBody(type, out);
  if (req.reply !== '') {
    if (req.via) req.via(req.reply, Buffer.from(body));
    else req.jsa.publish(req.reply, '', null, Buffer.from(body));
  }
  audit(req, body);
}

const AUDIT_SUBJECT = '$JS.EVENT.ADVISORY.API';

/** Go's API audit advisory, published only when someone listens. */
function audit(req: ApiRequest, response: string): void {
  if (!req.jsa.acc.sl.hasInterest(AUDIT_SUBJECT)) return;
  req.jsa.advisory(AUDIT_SUBJECT, {
    type: 'io.nats.jetstream.advisory.v1.api_audit',
    server: req.jsa.serverName,
    client: { acc: req.jsa.acc.name, server: req.jsa.serverName },
    subject: req.subject,
    request: req.body.toString('utf8'),
    response,
  });
}

/** Go's paging for NAMES/LIST. */
export function page<T>(items: T[], offset: number, limit: number): { total: number; offset: number; limit: number; items: T[] } {
  const off = Math.max(0, Math.min(offset, items.length));
  return { total: items.length, offset: off, limit, items: items.slice(off, off + limit) };
}
