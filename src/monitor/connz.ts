/**
 * /connz (Go monitor.go Connz, ConnInfo, monitor_sort_opts.go): open and/or
 * closed connections with Go's sort options, paging, per-connection
 * subscriptions, and the cid / user / acc / mqtt_client / filter_subject
 * filters.
 *
 * Go behaviours kept on purpose:
 * - only `cid`/`start` sort ascending; `uptime` sorts shortest first;
 *   `reason` alphabetically; every other key (and `stop`) descending;
 * - `stop` and `reason` are only valid with state=closed (not "any");
 * - `total` counts the connections of the chosen state (and `acc`), before
 *   the user, mqtt_client, subject and cid filters;
 * - with `cid` the limit becomes 1;
 * - `account` (under auth) is omitted for the global account;
 * - an unknown `acc` answers an empty object (Go returns before filling the
 *   server id or the list).
 */
import type { Server } from '../server/server.js';
import type { Client } from '../conn/client.js';
import { byteString, displayString } from '../util/bytes.js';
import { subjectsCollide } from '../sublist/subject.js';
import { GLOBAL_ACCOUNT } from '../accounts/account.js';
import { goDuration, goTime, goUptime } from './format.js';
import { HttpError, boolParam, intParam, stateParam, subsParam, uintParam, type ConnState, type SubsMode } from './query.js';

export { HttpError } from './query.js';

/** Go DefaultConnListSize */
export const DEFAULT_CONN_LIST_SIZE = 1024;

const SORTS = new Set(['cid', 'start', 'subs', 'pending', 'msgs_to', 'msgs_from', 'bytes_to', 'bytes_from', 'last', 'idle', 'uptime', 'stop', 'reason', 'rtt']);

/** Parsed /connz options (Go ConnzOptions). */
export interface ConnzOptions {
  sort: string;
  auth: boolean;
  subs: SubsMode;
  offset: number;
  limit: number;
  cid: number;
  state: ConnState;
  user: string;
  acc: string;
  mqttClient: string;
  filterSubject: string;
}

/** Decode the query string as Go's HandleConnz does (400 on bad values). */
export function connzOptions(q: URLSearchParams): ConnzOptions {
  return {
    sort: q.get('sort') ?? '',
    auth: boolParam(q, 'auth'),
    subs: subsParam(q),
    offset: intParam(q, 'offset'),
    limit: intParam(q, 'limit'),
    cid: uintParam(q, 'cid'),
    state: stateParam(q),
    user: q.get('user') ?? '',
    acc: q.get('acc') ?? '',
    mqttClient: q.get('mqtt_client') ?? '',
    // Go's HTTP handler does not read this one; the $SYS CONNZ request does.
    filterSubject: q.get('filter_subject') ?? '',
  };
}

interface Row {
  c: Client;
  closed: boolean;
  reason: string;
  stop: Date | null;
}

export function connz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  return connzWith(srv, connzOptions(q));
}

export function connzWith(srv: Server, o: ConnzOptions): Record<string, unknown> {
  const sort = o.sort === '' ? 'cid' : o.sort;
  if (!SORTS.has(sort)) throw new HttpError(400, `invalid sorting option: ${sort}`);
  const offset = Math.max(0, o.offset);
  let limit = o.limit <= 0 ? DEFAULT_CONN_LIST_SIZE : o.limit;
  if (sort === 'stop' && o.state !== 'closed') throw new HttpError(400, 'sort by stop only valid on closed connections');
  if (sort === 'reason' && o.state !== 'closed') throw new HttpError(400, 'sort by reason only valid on closed connections');
  if (o.cid > 0) limit = 1;
  let filter = '';
  if (o.filterSubject !== '' && o.filterSubject !== '>') {
    if (o.acc === '') throw new HttpError(400, 'filter by subject only valid with account filtering');
    filter = o.filterSubject;
  }
  const now = new Date();
  if (o.acc !== '' && !srv.accounts.has(o.acc)) {
    return { server_id: '', now: goTime(now), num_connections: 0, total: 0, offset, limit, connections: null };
  }

  let open: Client[] = [];
  let closed: Row[] = [];
  if (o.state !== 'closed') for (const c of srv.clients.values()) if (o.acc === '' || c.acc.name === o.acc) open.push(c);
  if (o.state !== 'open') {
    for (const e of srv.closedClients.list()) {
      if (o.acc !== '' && e.client.acc.name !== o.acc) continue;
      closed.push({ c: e.client, closed: true, reason: e.reason, stop: e.stop });
    }
  }
  const total = open.length + closed.length;

  if (o.cid > 0) {
    const hit = open.find((c) => c.cid === o.cid);
    open = hit ? [hit] : [];
    closed = hit ? [] : closed.filter((r) => r.c.cid === o.cid).slice(0, 1);
  } else {
    // Go: user, then MQTT client id (a byte string here, as subjects are)
    const mq = o.mqttClient === '' ? '' : byteString(o.mqttClient);
    open = open.filter((c) => (o.user === '' || c.authorizedUser === o.user) && (mq === '' || c.mqttClient === mq));
  }
  if (filter !== '') open = open.filter((c) => [...c.subs.values()].some((s) => subjectsCollide(filter, s.subject)));
  const mqc = o.mqttClient === '' ? '' : byteString(o.mqttClient);
  closed = closed.filter((r) => (o.user === '' || r.c.authorizedUser === o.user) && (mqc === '' || r.c.mqttClient === mqc));

  const rows: Row[] = open.map((c) => ({ c, closed: false, reason: '', stop: null }));
  rows.push(...closed);
  sortRows(rows, sort, now);
  const from = Math.min(offset, rows.length);
  const page = rows.slice(from, from + Math.min(limit, rows.length - from));
  return {
    server_id: srv.id,
    now: goTime(now),
    num_connections: page.length,
    total,
    offset,
    limit,
    connections: page.map((r) => connInfo(r, now, o.subs, o.auth)),
  };
}

function sortRows(rows: Row[], sort: string, now: Date): void {
  const t = now.getTime();
  const num = (f: (r: Row) => number, desc: boolean) => rows.sort((a, b) => (desc ? f(b) - f(a) : f(a) - f(b)) || a.c.cid - b.c.cid);
  rows.sort((a, b) => a.c.cid - b.c.cid);
  switch (sort) {
    case 'subs': return void num((r) => r.c.subs.size, true);
    case 'pending': return void num((r) => (r.closed ? 0 : r.c.pendingBytes()), true);
    case 'msgs_to': return void num((r) => r.c.outMsgs, true);
    case 'msgs_from': return void num((r) => r.c.inMsgs, true);
    case 'bytes_to': return void num((r) => r.c.outBytes, true);
    case 'bytes_from': return void num((r) => r.c.inBytes, true);
    case 'last': return void num((r) => r.c.lastActivity.getTime(), true);
    case 'idle': return void num((r) => t - r.c.lastActivity.getTime(), true);
    case 'uptime': return void num((r) => (r.stop?.getTime() ?? t) - r.c.start.getTime(), false);
    case 'stop': return void num((r) => r.stop?.getTime() ?? 0, true);
    case 'rtt': return void num((r) => r.c.rtt, true);
    case 'reason': return void rows.sort((a, b) => (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
    default: // cid, start
  }
}

function connInfo(r: Row, now: Date, subs: SubsMode, auth: boolean): Record<string, unknown> {
  const c = r.c;
  const end = r.stop ?? now;
  const o: Record<string, unknown> = {
    cid: c.cid,
    kind: 'Client',
    // Go clientTypeString: MQTT connections (over websocket too) are "mqtt"
    type: c.mqttClient !== '' || c.connectionType === 'MQTT' || c.connectionType === 'MQTT_WS' ? 'mqtt' : 'nats',
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
  if (c.stall.stalls > 0) o.stalls = c.stall.stalls;
  o.subscriptions = c.subs.size;
  if (c.opts.name) o.name = c.opts.name;
  if (c.opts.lang) o.lang = c.opts.lang;
  if (c.opts.version) o.version = c.opts.version;
  if (c.tlsVersion) o.tls_version = c.tlsVersion;
  if (c.tlsCipher) o.tls_cipher_suite = c.tlsCipher;
  if (c.tlsFirst) o.tls_first = true;
  if (auth) {
    if (c.authorizedUser) o.authorized_user = c.authorizedUser;
    if (c.acc.name !== GLOBAL_ACCOUNT) o.account = c.acc.name;
  }
  if (subs !== 'none' && c.subs.size > 0) {
    if (subs === 'list') o.subscriptions_list = [...c.subs.values()].map((s) => displayString(s.subject));
    // Go snapshots a closed connection's subscriptions with their account (newSubDetail), open ones without
    else if (r.closed) o.subscriptions_list_detail = [...c.subs.values()].map((s) => ({ account: c.acc.name, account_tag: c.acc.name, ...subDetail(s, c.cid) }));
    else o.subscriptions_list_detail = [...c.subs.values()].map((s) => subDetail(s, c.cid));
  }
  if (auth) {
    if (c.opts.jwt && !c.jwtUser?.bearer) o.jwt = c.opts.jwt;
    // Go issuerForClient: the signing key that issued the user, else the account's key
    if (c.jwtUser) o.issuer_key = c.jwtUser.signingKey || c.acc.name;
    // Go getNameTag: the account's name tag, else its name (open connections only, or non-$G closed ones)
    if (!r.closed || c.acc.name !== GLOBAL_ACCOUNT) o.name_tag = c.acc.name;
  }
  if (c.mqttClient !== '') o.mqtt_client = displayString(c.mqttClient);
  return o;
}

/** Go SubDetail for a connection's own subscription (no account fields). */
export function subDetail(s: { subject: string; queue: string | null; sid: string; nm: number; max: number }, cid: number): Record<string, unknown> {
  const d: Record<string, unknown> = { subject: displayString(s.subject) };
  if (s.queue) d.qgroup = displayString(s.queue);
  d.sid = displayString(s.sid);
  d.msgs = s.nm;
  if (s.max) d.max = s.max;
  d.cid = cid;
  return d;
}
