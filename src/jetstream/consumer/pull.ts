/**
 * Pull requests (Go waitingRequest / nextReqFromMsg): the body of
 * `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` is empty (batch 1), a
 * number (batch) or a JSON request.
 */

export interface PriorityGroupReq {
  group?: string;
  min_pending?: number;
  min_ack_pending?: number;
  id?: string;
  priority?: number;
}

export interface PullRequest {
  reply: string;
  /** messages still wanted */
  n: number;
  /** bytes still allowed, 0 = no limit */
  b: number;
  /** messages delivered so far */
  d: number;
  noWait: boolean;
  /** ms since epoch, 0 = none */
  expires: number;
  /** idle heartbeat interval ms, 0 = none */
  hb: number;
  hbTimer: NodeJS.Timeout | null;
  /** ms of the last message or heartbeat sent to this request */
  lastSent: number;
  received: number;
  group: PriorityGroupReq | null;
  /** delivery turn in which expiry and interest were last checked */
  checkedTurn: number;
  /** this request holds the consumer's pin (pinned_client policy) */
  pinned: boolean;
}

export interface ParsedNext {
  batch: number;
  expires: number;
  maxBytes: number;
  noWait: boolean;
  hb: number;
  group: PriorityGroupReq | null;
}

/** Parse a next-message request; throws with Go's text on bad input. */
export function parseNextRequest(body: Buffer): ParsedNext {
  const out: ParsedNext = { batch: 1, expires: 0, maxBytes: 0, noWait: false, hb: 0, group: null };
  const s = body.toString('utf8').trim();
  if (s === '') return out;
  if (s[0] !== '{') {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
    out.batch = n > 0 ? n : 1;
    return out;
  }
  const r = JSON.parse(s) as Record<string, unknown>;
  const num = (k: string): number => {
    const v = r[k];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number') throw new Error(`json: cannot unmarshal ${typeof v} into Go struct field JSApiConsumerGetNextRequest.${k} of type int`);
    return v;
  };
  const batch = num('batch');
  out.batch = batch > 0 ? batch : 1;
  const exp = num('expires');
  out.expires = exp > 0 ? exp : 0;
  const mb = num('max_bytes');
  out.maxBytes = mb > 0 ? mb : 0;
  out.noWait = r.no_wait === true;
  const hb = num('idle_heartbeat');
  if (hb > 0) {
    if (out.expires === 0) throw new Error('heartbeat value given without expires');
    if (hb * 2 > out.expires) throw new Error('heartbeat value too large');
    out.hb = hb;
  }
  if (r.group !== undefined || r.min_pending !== undefined || r.min_ack_pending !== undefined || r.id !== undefined || r.priority !== undefined) {
    out.group = {
      group: typeof r.group === 'string' ? r.group : undefined,
      min_pending: typeof r.min_pending === 'number' ? r.min_pending : 0,
      min_ack_pending: typeof r.min_ack_pending === 'number' ? r.min_ack_pending : 0,
      id: typeof r.id === 'string' ? r.id : undefined,
      priority: typeof r.priority === 'number' ? r.priority : 0,
    };
  }
  return out;
}

/** The status-only reply Go sends to pull requests (`NATS/1.0 408 Request Timeout` etc.). */
export function statusHeader(code: number, desc: string, pending?: { msgs: number; bytes: number }): Buffer {
  let s = `NATS/1.0 ${code} ${desc}\r\n`;
  if (pending) s += `Nats-Pending-Messages: ${pending.msgs}\r\nNats-Pending-Bytes: ${pending.bytes}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}
