/**
 * MQTT's JetStream API client for one account (Go mqttJSA): requests go out
 * as messages from an internal client of the account, on the `$JS.API`
 * subjects (or `$JS.<domain>.API` with `js_domain`), with replies on
 * `$MQTT.JSA.<server hash>.<kind>.<token>`. JetStream in this process
 * usually answers a message store within the publish (the stream ingests
 * synchronously), so the common QoS 1 path costs no timer and no promise: a
 * timer is armed only for a request still unanswered once sent.
 */
import type { Account } from '../accounts/account.js';
import type { Subscription } from '../conn/subscription.js';
import type { InternalClient } from '../server/internal-client.js';
import { nextToken } from './ids.js';

/** Go's request kinds (the token after the server hash in the reply subject). */
export const JSA_STREAM_CREATE = 'SC';
export const JSA_STREAM_UPDATE = 'SU';
export const JSA_STREAM_LOOKUP = 'SL';
export const JSA_CONSUMER_CREATE = 'CC';
export const JSA_CONSUMER_DELETE = 'CD';
export const JSA_MSG_STORE = 'MS';
export const JSA_MSG_LOAD = 'ML';
export const JSA_MSG_DELETE = 'MD';
export const JSA_SESSION_PERSIST = 'SP';

export const JSA_REPLY_PREFIX = '$MQTT.JSA.';

/** A JetStream API error (the `error` object of a response), or a timeout (code 0). */
export class JsaError extends Error {
  constructor(
    readonly code: number,
    readonly errCode: number,
    description: string,
  ) {
    super(description);
  }
}

/** JSONable response of the JetStream API. */
export type JsaResponse = Record<string, any>;
export type JsaCallback = (err: JsaError | null, resp: JsaResponse) => void;

interface Pending {
  cb: JsaCallback;
  timer: NodeJS.Timeout | null;
  desc: string;
}

/** Go: JSStreamNotFoundErr, JSNoMessageFoundErr, JSConsumerNotFoundErr, JSStreamNameExistErr */
export const ERR_STREAM_NOT_FOUND = 10059;
export const ERR_NO_MESSAGE_FOUND = 10037;
export const ERR_CONSUMER_NOT_FOUND = 10014;
export const ERR_STREAM_NAME_EXIST = 10058;
export const ERR_SEQUENCE_NOT_FOUND = 10043;
export const ERR_STREAM_STORE_FAILED = 10077;

const EMPTY = Buffer.alloc(0);
const NAK = Buffer.from('-NAK');

export class MqttJsa {
  readonly replyPrefix: string;
  private readonly pending = new Map<string, Pending>();
  private readonly sub: Subscription;
  private readonly apiPrefix: string;
  private closed = false;

  constructor(
    private readonly ic: InternalClient,
    readonly acc: Account,
    /** the server name hash (Go jsa.id) */
    readonly id: string,
    readonly domain: string,
    private readonly timeoutMs: number,
  ) {
    this.replyPrefix = `${JSA_REPLY_PREFIX}${id}.`;
    this.apiPrefix = domain ? `$JS.${domain}.API.` : '$JS.API.';
    this.sub = ic.subscribe(acc, `${this.replyPrefix}>`, null, (_s, subject, _r, _h, payload) => this.onReply(subject, payload));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ic.unsubscribe(this.acc, this.sub);
    const err = new JsaError(0, 0, 'server shutting down');
    for (const [k, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(k);
      p.cb(err, {});
    }
  }

  private onReply(subject: string, payload: Buffer): void {
    const p = this.pending.get(subject);
    if (p === undefined) return;
    this.pending.delete(subject);
    if (p.timer !== null) clearTimeout(p.timer);
    let resp: JsaResponse;
    try {
      resp = JSON.parse(payload.latin1Slice(0, payload.length)) as JsaResponse;
    } catch (e) {
      p.cb(new JsaError(500, 10025, `invalid JSON: ${(e as Error).message}`), {});
      return;
    }
    const er = resp.error as { code?: number; err_code?: number; description?: string } | undefined;
    if (er) p.cb(new JsaError(er.code ?? 500, er.err_code ?? 0, er.description ?? 'unknown error'), resp);
    else p.cb(null, resp);
  }

  /**
   * Publish `body` (with the header block `hdr`, or none) on `subject` with a
   * reply of `kind`; `cb` runs once with the decoded response, an API error,
   * or a timeout error after js_api_timeout. `api` prefixes the subject with
   * the JetStream API prefix. `cidHash` goes into the reply (session persist).
   */
  request(kind: string, subject: string, hdr: Buffer | null, body: Buffer, cb: JsaCallback, api = true, cidHash = ''): void {
    if (this.closed) {
      cb(new JsaError(0, 0, 'server shutting down'), {});
      return;
    }
    const reply = cidHash === '' ? `${this.replyPrefix}${kind}.${nextToken()}` : `${this.replyPrefix}${kind}.${cidHash}.${nextToken()}`;
    const subj = api ? this.apiPrefix + subject : subject;
    const p: Pending = { cb, timer: null, desc: `${kind} on ${JSON.stringify(subj)}` };
    this.pending.set(reply, p);
    this.ic.publish(this.acc, subj, reply, hdr, body);
    if (!this.pending.has(reply)) return; // answered within the publish
    const start = Date.now();
    p.timer = setTimeout(() => {
      if (!this.pending.delete(reply)) return;
      cb(new JsaError(0, 0, `timeout after ${Date.now() - start}ms: request type ${JSON.stringify(kind)} on ${JSON.stringify(subj)} (reply=${JSON.stringify(reply)})`), {});
    }, this.timeoutMs);
    p.timer.unref?.();
  }

  /** A JSON API request. */
  api(kind: string, subject: string, req: unknown, cb: JsaCallback): void {
    this.request(kind, subject, null, req === undefined ? EMPTY : Buffer.from(JSON.stringify(req)), cb);
  }

  /** Fire and forget (consumer acks, deletes without waiting). */
  send(subject: string, hdr: Buffer | null, body: Buffer, api = false): void {
    if (this.closed || subject === '') return;
    this.ic.publish(this.acc, api ? this.apiPrefix + subject : subject, '', hdr, body);
  }

  /** Ack a JetStream delivery (an empty message on its ack reply). */
  ack(ackReply: string): void {
    if (ackReply !== '') this.send(ackReply, null, EMPTY);
  }

  /** Ask for a JetStream delivery again now (a resumed session's messages in flight). */
  nak(ackReply: string): void {
    if (ackReply !== '') this.send(ackReply, null, NAK);
  }

  // ------------------------------------------------------------------ helpers

  streamInfo(name: string, cb: JsaCallback): void {
    this.api(JSA_STREAM_LOOKUP, `STREAM.INFO.${name}`, undefined, cb);
  }

  createStream(cfg: { name: string } & Record<string, unknown>, cb: JsaCallback): void {
    this.api(JSA_STREAM_CREATE, `STREAM.CREATE.${cfg.name}`, cfg, cb);
  }

  updateStream(cfg: { name: string } & Record<string, unknown>, cb: JsaCallback): void {
    this.api(JSA_STREAM_UPDATE, `STREAM.UPDATE.${cfg.name}`, cfg, cb);
  }

  createConsumer(stream: string, cfg: Record<string, unknown>, cb: JsaCallback): void {
    const durable = cfg.durable_name as string | undefined;
    const subject = durable ? `CONSUMER.DURABLE.CREATE.${stream}.${durable}` : `CONSUMER.CREATE.${stream}`;
    this.api(JSA_CONSUMER_CREATE, subject, { stream_name: stream, config: cfg }, cb);
  }

  deleteConsumer(stream: string, name: string, cb: JsaCallback | null): void {
    if (cb === null) this.send(`CONSUMER.DELETE.${stream}.${name}`, null, EMPTY, true);
    else this.api(JSA_CONSUMER_DELETE, `CONSUMER.DELETE.${stream}.${name}`, undefined, cb);
  }

  /** Store a message in whatever stream holds `subject` (Go jsa.storeMsg). */
  storeMsg(subject: string, hdr: Buffer | null, payload: Buffer, cb: JsaCallback): void {
    this.request(JSA_MSG_STORE, subject, hdr, payload, cb, false);
  }

  loadLastMsgFor(stream: string, subject: string, cb: JsaCallback): void {
    this.api(JSA_MSG_LOAD, `STREAM.MSG.GET.${stream}`, { last_by_subj: subject }, cb);
  }

  deleteMsg(stream: string, seq: number, cb: JsaCallback | null): void {
    const body = Buffer.from(JSON.stringify({ seq, no_erase: true }));
    if (cb === null) this.send(`STREAM.MSG.DELETE.${stream}`, null, body, true);
    else this.request(JSA_MSG_DELETE, `STREAM.MSG.DELETE.${stream}`, null, body, cb);
  }
}

/** The stored message of a STREAM.MSG.GET response: subject, sequence, header block and payload. */
export interface StoredMsg {
  subject: string;
  seq: number;
  hdr: Buffer | null;
  data: Buffer;
}

export function storedMsg(resp: JsaResponse): StoredMsg | null {
  const m = resp.message as { subject?: string; seq?: number; hdrs?: string; data?: string } | undefined;
  if (!m) return null;
  return {
    subject: m.subject ?? '',
    seq: m.seq ?? 0,
    hdr: m.hdrs ? Buffer.from(m.hdrs, 'base64') : null,
    data: m.data ? Buffer.from(m.data, 'base64') : EMPTY,
  };
}
