/**
 * /connz (Go monitor.go Connz/ConnInfo): open and/or closed connections with
 * sorting, paging, per-connection subscriptions, and the cid/user/acc filters.
 */
import type { Server } from '../server/server.js';
import type { Client } from '../conn/client.js';
import { displayString } from '../util/bytes.js';
import { goDuration, goTime, goUptime } from './format.js';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const SORTS = new Set(['cid', 'start', 'subs', 'pending', 'msgs_to', 'msgs_from', 'bytes_to', 'bytes_from', 'last', 'idle', 'uptime', 'stop', 'reason', 'rtt']);

interface Row {
  c: Client;
  closed: boolean;
  reason: string;
  stop: Date | null;
}

export function subsOption(v: string | null): 'none' | 'list' | 'detail' {
  if (v === null || v === '' || v === 'false' || v === '0') return 'none';
  if (v === 'detail') return 'detail';
  if (v === 'true' || v === '1') return 'list';
  throw new HttpError(400, `invalid value for subs: ${v}`);
}

export function intParam(q: URLSearchParams, name: string, def: number): number {
  const v = q.get(name);
  if (v === null || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, `strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
  return n;
}

export function connz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  const sort = q.get('sort') || 'cid';
  if (!SORTS.has(sort)) throw new HttpError(400, `invalid sorting option: ${sort}`);
  const subs = subsOption(q.get('subs'));
  const auth = q.get('auth') === 'true' || q.get('auth') === '1';
  let offset = intParam(q, 'offset', 0);
  let limit = intParam(q, 'limit', 1024);
  if (offset < 0) offset = 0;
  if (limit <= 0) limit = 1024;
  const cidParam = q.get('cid');
  const state = (q.get('state') || 'open').toLowerCase();
  if (!['open', 'closed', 'any', 'all'].includes(state)) throw new HttpError(400, `invalid connection state: ${state}`);
  if ((sort === 'stop' || sort === 'reason') && state === 'open') {
    throw new HttpError(400, `invalid sorting option: ${sort} (only valid for closed connections)`);
  }
  const user = q.get('user');
  const acc = q.get('acc');

  let rows: Row[] = [];
  if (state !== 'closed') for (const c of srv.clients.values()) rows.push({ c, closed: false, reason: '', stop: null });
  if (state !== 'open') for (const e of srv.closedClients.list()) rows.push({ c: e.client, closed: true, reason: e.reason, stop: e.stop });
  if (cidParam !== null && cidParam !== '') {
    const cid = Number(cidParam);
    rows = rows.filter((r) => r.c.cid === cid);
  }
  if (user) rows = rows.filter((r) => r.c.authorizedUser === user);
  if (acc) rows = rows.filter((r) => r.c.acc.name === acc);

  const now = new Date();
  const key = (r: Row): number => {
    const c = r.c;
    switch (sort) {
      case 'start': return c.start.getTime();
      case 'subs': return c.subs.size;
      case 'pending': return r.closed ? 0 : c.pendingBytes();
      case 'msgs_to': return c.outMsgs;
      case 'msgs_from': return c.inMsgs;
      case 'bytes_to': return c.outBytes;
      case 'bytes_from': return c.inBytes;
      case 'last': return c.lastActivity.getTime();
      case 'idle': return now.getTime() - c.lastActivity.getTime();
      case 'uptime': return (r.stop ?? now).getTime() - c.start.getTime();
      case 'stop': return r.stop?.getTime() ?? 0;
      case 'rtt': return c.rtt;
      default: return c.cid;
    }
  };
  if (sort === 'reason') rows.sort((a, b) => a.reason.localeCompare(b.reason));
  else if (sort === 'cid' || sort === 'start' || sort === 'stop') rows.sort((a, b) => key(a) - key(b));
  else rows.sort((a, b) => key(b) - key(a)); // Go sorts the counters descending

  const total = rows.length;
  const page = rows.slice(offset, offset + limit);
  return {
    server_id: srv.id,
    now: goTime(now),
    num_connections: page.length,
    total,
    offset,
    limit,
    connections: page.map((r) => connInfo(r, now, subs, auth)),
  };
}

function connInfo(r: Row, now: Date, subs: 'none' | 'list' | 'detail', auth: boolean): Record<string, unknown> {
  const c = r.c;
  const end = r.stop ?? now;
  const o: Record<string, unknown> = {
    cid: c.cid,
    kind: 'Client',
    type: 'nats',
    ip: c.host,
    port: c.port,
    start: goTime(c.start),
    last_activity: goTime(c.lastActivity),
  };
  if (r.closed) {
    o.stop = goTime(end);
    o.reason = r.reason;
  }
  o.rtt = goDuration(c.rtt);
  o.uptime = goUptime(end.getTime() - c.start.getTime());
  o.idle = goUptime(end.getTime() - c.lastActivity.getTime());
  o.pending_bytes = r.closed ? 0 : c.pendingBytes();
  o.in_msgs = c.inMsgs;
  o.out_msgs = c.outMsgs;
  o.in_bytes = c.inBytes;
  o.out_bytes = c.outBytes;
  o.subscriptions = c.subs.size;
  if (c.opts.name) o.name = c.opts.name;
  if (c.opts.lang) o.lang = c.opts.lang;
  if (c.opts.version) o.version = c.opts.version;
  if (c.tlsVersion) o.tls_version = c.tlsVersion;
  if (c.tlsCipher) o.tls_cipher_suite = c.tlsCipher;
  if (c.tlsFirst) o.tls_first = true;
  if (auth && c.authorizedUser) o.authorized_user = c.authorizedUser;
  if (auth) o.account = c.acc.name;
  if (subs !== 'none' && c.subs.size > 0) {
    if (subs === 'list') o.subscriptions_list = [...c.subs.values()].map((s) => displayString(s.subject));
    else
      o.subscriptions_list_detail = [...c.subs.values()].map((s) => {
        const d: Record<string, unknown> = { account: c.acc.name, subject: displayString(s.subject) };
        if (s.queue) d.qgroup = displayString(s.queue);
        d.sid = displayString(s.sid);
        d.msgs = s.nm;
        if (s.max) d.max = s.max;
        d.cid = c.cid;
        return d;
      });
  }
  return o;
}
