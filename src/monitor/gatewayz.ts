/**
 * /gatewayz (Go monitor.go Gatewayz): the outbound connection per remote
 * gateway and the inbound ones, with `accs=1` the per-account interest state
 * (`acc_name` one account, `subs=1`/`subs=detail` the remote subscriptions
 * of an outbound), `gw_name` one remote gateway. Without gateways: Go's
 * answer with empty maps and no name/host/port. Also the /varz `gateway`
 * section (Go GatewayOptsVarz).
 */
import type { Server } from '../server/server.js';
import type { GatewayManager } from '../cluster/gateway/manager.js';
import type { GatewayConn } from '../cluster/gateway/connection.js';
import { MODE_INTEREST_ONLY, modeName } from '../cluster/gateway/interest.js';
import { goDuration, goTime, goUptime } from './format.js';
import { boolParam, subsParam } from './query.js';
import { displayString } from '../util/bytes.js';

/** Go gatewayMaxRUnsubBeforeSwitch */
const INTEREST_ONLY_THRESHOLD = 1000;

export function gatewayz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  const mode = subsParam(q);
  let accs = boolParam(q, 'accs');
  const gwName = q.get('gw_name') ?? '';
  const accName = q.get('acc_name') ?? '';
  if (accName !== '') accs = true;
  const now = new Date();
  const gm = srv.gateway as GatewayManager | null;
  if (gm === null) return { server_id: srv.id, now: goTime(now), outbound_gateways: {}, inbound_gateways: {} };
  const i = gm.url.lastIndexOf(':');
  const outbound: Record<string, unknown> = {};
  for (const c of gm.outo) {
    if (gwName !== '' && c.name !== gwName) continue;
    const r: Record<string, unknown> = { configured: !c.cfg!.implicit, connection: connInfo(c, now) };
    if (accs) {
      const list = outboundAccounts(c, accName, mode);
      if (list.length > 0) r.accounts = list;
    }
    outbound[c.name] = r;
  }
  const inbound: Record<string, unknown[]> = {};
  for (const c of gm.inbound.values()) {
    if (gwName !== '' && c.name !== gwName) continue;
    const r: Record<string, unknown> = { configured: false, connection: connInfo(c, now) };
    if (accs) {
      const list: Record<string, unknown>[] = [];
      for (const a of c.interestOnlyAccounts) {
        if (accName !== '' && a !== accName) continue;
        list.push({ name: a, interest_mode: modeName(MODE_INTEREST_ONLY), interest_only_threshold: INTEREST_ONLY_THRESHOLD });
      }
      if (list.length > 0) r.accounts = list;
    }
    (inbound[c.name] ??= []).push(r);
  }
  return {
    server_id: srv.id,
    now: goTime(now),
    name: gm.name,
    host: gm.url.slice(0, i).replace(/^\[|\]$/g, ''),
    port: Number(gm.url.slice(i + 1)),
    outbound_gateways: gwName !== '' && Object.keys(outbound).length === 0 ? null : outbound,
    inbound_gateways: inbound,
  };
}

function outboundAccounts(c: GatewayConn, accName: string, mode: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [name, e] of c.interest!.accounts) {
    if (accName !== '' && name !== accName) continue;
    const a: Record<string, unknown> = { name, interest_mode: modeName(e === null ? 0 : e.mode) };
    if (e !== null && e.ni !== null && e.ni.size > 0) a.no_interest_count = e.ni.size;
    a.interest_only_threshold = INTEREST_ONLY_THRESHOLD;
    if (e !== null) {
      if (e.subs.size > 0) a.num_subs = e.subs.size;
      if (e.qsubs > 0) a.num_queue_subs = e.qsubs;
      if (mode === 'list') a.subscriptions_list = [...e.subs.values()].map((s) => displayString(s.subject));
      else if (mode === 'detail') {
        a.subscriptions_list_detail = [...e.subs.values()].map((s) => {
          const d: Record<string, unknown> = { subject: displayString(s.subject) };
          if (s.queue !== null) d.qgroup = displayString(s.queue);
          d.sid = '';
          d.msgs = 0;
          d.cid = c.cid;
          return d;
        });
      }
    }
    out.push(a);
  }
  return out;
}

/** Go ConnInfo.fill for a gateway connection. */
function connInfo(c: GatewayConn, now: Date): Record<string, unknown> {
  let subs = 0;
  if (c.interest !== null) for (const e of c.interest.accounts.values()) if (e !== null) subs += e.subs.size;
  return {
    cid: c.cid,
    kind: 'Gateway',
    ip: c.host.replace(/^::ffff:/, ''),
    port: c.port,
    start: goTime(c.start),
    last_activity: goTime(new Date(c.lastIn)),
    rtt: goDuration(c.rtt),
    uptime: goUptime(now.getTime() - c.start.getTime()),
    idle: goUptime(now.getTime() - c.lastIn),
    pending_bytes: c.pendingBytes(),
    in_msgs: c.inMsgs,
    out_msgs: c.outMsgs,
    in_bytes: c.inBytes,
    out_bytes: c.outBytes,
    subscriptions: subs,
    name: c.remoteId,
  };
}

/** The /varz `gateway` section (Go GatewayOptsVarz), empty without gateways. */
export function varzGateway(srv: Server): Record<string, unknown> {
  const gm = srv.gateway as GatewayManager | null;
  if (gm === null) return {};
  const o = gm.opts;
  const out: Record<string, unknown> = { name: gm.name, host: o.host, port: gm.port, auth_timeout: gm.authTimeoutMs() / 1000, tls_timeout: o.tls_timeout };
  if (o.advertise) out.advertise = o.advertise;
  if (o.connect_retries) out.connect_retries = o.connect_retries;
  const remotes: Record<string, unknown>[] = [];
  for (const r of gm.remotes.values()) {
    const e: Record<string, unknown> = { name: r.name };
    const urls = r.urlStrings();
    if (urls.length > 0) e.urls = urls;
    remotes.push(e);
  }
  if (remotes.length > 0) out.gateways = remotes;
  if (o.reject_unknown) out.reject_unknown = true;
  return out;
}
