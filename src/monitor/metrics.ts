/**
 * /metrics: Prometheus text exposition (format 0.0.4) with the metric names
 * the prometheus-nats-exporter produces, so dashboards built on the exporter
 * work without running it. The values are read from this server's own
 * monitoring JSON, the same documents the exporter polls:
 *
 * - /varz, /subsz, /routez: every numeric field, flattened by path the way
 *   the exporter's generic collector names them (`gnatsd_<endpoint>_<path>`
 *   with nested keys joined by `_`, "/" turned into "_"), as gauges whose
 *   help text is the flattened name; the string fields server_id,
 *   server_name, version, name, domain and leader become `{value="..."} 1`
 *   gauges, and the start / config_load_time timestamps epoch milliseconds.
 * - /connz: gnatsd_connz_{num_connections,total,offset,limit,pending_bytes,
 *   subscriptions} gauges and gnatsd_connz_{in,out}_{msgs,bytes} counters;
 *   with `?connz_detailed=true` also one series per connection (labels cid,
 *   kind, type, ip, port, name, name_tag, account, account_id, lang, version,
 *   tls_version, tls_cipher_suite) plus start, last_activity, rtt (µs),
 *   uptime and idle (ms), as the exporter's connz_detailed mode.
 * - /healthz: gnatsd_healthz_status (0 = ok) and gnatsd_healthz_status_value.
 * - /accstatz: gnatsd_accstatz_* per account (labels account, account_id,
 *   account_name).
 * - /leafz: gnatsd_leafz_conn_nodes_total.
 * - /jsz (when JetStream is enabled): jetstream_server_*, jetstream_account_*,
 *   jetstream_stream_*, jetstream_consumer_* with the exporter's labels.
 *
 * Every series carries the `server_id` label (this server's id, as the
 * exporter's -use_internal_server_id gives).
 */
import type { Server } from '../server/server.js';
import type { VarzBuilder } from './varz.js';
import { connz } from './connz.js';
import { subsz } from './subsz.js';
import { routez } from './routez.js';
import { leafz } from './leafz.js';
import { accstatzFor } from './accstatz.js';
import { healthz, healthzOptions } from './healthz.js';
import { jsz } from './jsz.js';
import { boolParam } from './query.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;
type Kind = 'gauge' | 'counter' | 'untyped';

interface Family {
  help: string;
  type: Kind;
  samples: { labels: Labels; value: number }[];
}

/** Metric families in first-seen order, written in the text format. */
export class Exposition {
  private readonly families = new Map<string, Family>();

  add(name: string, help: string, type: Kind, labels: Labels, value: number): void {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { help, type, samples: [] };
      this.families.set(name, f);
    }
    f.samples.push({ labels, value });
  }

  has(name: string): boolean {
    return this.families.has(name);
  }

  text(): string {
    let out = '';
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n`;
      for (const s of f.samples) out += `${name}${labelText(s.labels)} ${numText(s.value)}\n`;
    }
    return out;
  }
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function numText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Exporter fqName: path joined by "_", "/" as "_", outer "_" trimmed, runs of "_" collapsed (plus any other invalid character as "_"). */
export function flatName(path: readonly string[]): string {
  return path
    .join('_')
    .replace(/[^a-zA-Z0-9_:]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** String fields the exporter turns into metrics (labels or, when they are times, epoch ms). */
const LABEL_KEYS = new Set(['server_id', 'server_name', 'version', 'domain', 'leader', 'name', 'start', 'config_load_time']);
/** Flattened names the exporter's generic collector skips. */
const SKIP = new Set(['leaf', 'trusted_operators_claim', 'cluster_tls_timeout', 'cluster_cluster_port', 'cluster_auth_timeout', 'gateway_port', 'gateway_auth_timeout', 'gateway_tls_timeout', 'gateway_connect_retries']);
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** The exporter's generic collector over one endpoint's JSON document. */
export function flatten(exp: Exposition, endpoint: string, serverId: string, doc: Record<string, unknown>, path: string[] = []): void {
  for (const [k, v] of Object.entries(doc)) {
    const p = [...path, k];
    const fqn = flatName(p);
    if (SKIP.has(fqn) || fqn === '') continue;
    const name = `gnatsd_${endpoint}_${fqn}`;
    if (typeof v === 'number') {
      if (!exp.has(name)) exp.add(name, fqn, 'gauge', { server_id: serverId }, v);
    } else if (typeof v === 'string') {
      if (!LABEL_KEYS.has(k) || exp.has(name)) continue;
      if (RFC3339.test(v)) exp.add(name, fqn, 'gauge', { server_id: serverId }, Date.parse(v));
      else exp.add(name, fqn, 'gauge', { server_id: serverId, value: v }, 1);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      flatten(exp, endpoint, serverId, v as Record<string, unknown>, p);
    }
  }
}

/** Go-style duration text ("1.5ms", "2m3s") to a number of `unit` ms (NaN when unparsable). */
function durationMs(s: string): number {
  const re = /(\d+(?:\.\d+)?)(y|d|h|ms|m|s|µs|us|ns)/g;
  const scale: Record<string, number> = { y: 365 * 86400e3, d: 86400e3, h: 3600e3, m: 60e3, s: 1e3, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 };
  let total = 0;
  let any = false;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * scale[m[2]];
    any = true;
  }
  return any ? total : NaN;
}

export function metricsText(srv: Server, varz: VarzBuilder, q: URLSearchParams): string {
  const detailed = boolParam(q, 'connz_detailed');
  const id = srv.id;
  const exp = new Exposition();
  flatten(exp, 'varz', id, varz.build());

  // connz (the exporter reads the first page with default options)
  const cz = connz(srv, new URLSearchParams(detailed ? 'auth=true' : ''));
  const conns = (cz.connections as Record<string, unknown>[] | null) ?? [];
  const sum = (k: string) => conns.reduce((n, c) => n + ((c[k] as number) ?? 0), 0);
  const base = { server_id: id };
  for (const k of ['num_connections', 'total', 'offset', 'limit']) exp.add(`gnatsd_connz_${k}`, k, 'gauge', base, cz[k] as number);
  exp.add('gnatsd_connz_pending_bytes', 'pending_bytes', 'gauge', base, sum('pending_bytes'));
  exp.add('gnatsd_connz_subscriptions', 'subscriptions', 'gauge', base, sum('subscriptions'));
  for (const k of ['in_bytes', 'out_bytes', 'in_msgs', 'out_msgs']) exp.add(`gnatsd_connz_${k}`, k, 'counter', base, sum(k));
  if (detailed) {
    for (const c of conns) {
      const str = (k: string) => (c[k] === undefined ? '' : String(c[k]));
      const l: Labels = { server_id: id, cid: str('cid'), kind: str('kind'), type: str('type'), ip: str('ip'), port: str('port'), name: str('name'), name_tag: str('name_tag'), account: str('account'), account_id: str('account'), lang: str('lang'), version: str('version'), tls_version: str('tls_version'), tls_cipher_suite: str('tls_cipher_suite') };
      exp.add('gnatsd_connz_pending_bytes', 'pending_bytes', 'gauge', l, c.pending_bytes as number);
      exp.add('gnatsd_connz_subscriptions', 'subscriptions', 'gauge', l, c.subscriptions as number);
      for (const k of ['in_bytes', 'out_bytes', 'in_msgs', 'out_msgs']) exp.add(`gnatsd_connz_${k}`, k, 'counter', l, c[k] as number);
      exp.add('gnatsd_connz_start', 'epoch time (ms) at which the connection started', 'untyped', l, Date.parse(str('start')));
      exp.add('gnatsd_connz_last_activity', 'epoch time (ms) of the last activity', 'untyped', l, Date.parse(str('last_activity')));
      exp.add('gnatsd_connz_rtt', 'round trip time in microseconds', 'gauge', l, Math.trunc(durationMs(str('rtt')) * 1000));
      exp.add('gnatsd_connz_uptime', 'connection uptime in milliseconds', 'untyped', l, durationMs(str('uptime')));
      exp.add('gnatsd_connz_idle', 'connection idle time in milliseconds', 'gauge', l, durationMs(str('idle')));
    }
  }

  flatten(exp, 'subsz', id, subsz(srv, new URLSearchParams()));
  flatten(exp, 'routez', id, routez(srv, new URLSearchParams()));

  const lz = leafz(srv, new URLSearchParams());
  exp.add('gnatsd_leafz_conn_nodes_total', 'nodes_total', 'gauge', base, lz.leafnodes as number);

  const h = healthz(srv, healthzOptions(new URLSearchParams()));
  exp.add('gnatsd_healthz_status', 'status', 'gauge', base, h.status === 'ok' ? 0 : 1);
  exp.add('gnatsd_healthz_status_value', 'status', 'gauge', { server_id: id, value: h.status }, h.status === 'ok' ? 1 : 0);

  const az = accstatzFor(srv, [], true);
  for (const a of az.account_statz as Record<string, any>[]) {
    const l: Labels = { server_id: id, account: a.acc, account_id: a.acc, account_name: a.name };
    const put = (n: string, v: number) => exp.add(`gnatsd_accstatz_${n}`, n, 'gauge', l, v);
    put('current_connections', a.conns);
    put('total_connections', a.total_conns);
    put('subscriptions', a.num_subscriptions);
    put('leaf_nodes', a.leafnodes);
    put('sent_messages', a.sent.msgs);
    put('sent_bytes', a.sent.bytes);
    put('received_messages', a.received.msgs);
    put('received_bytes', a.received.bytes);
    put('slow_consumers', a.slow_consumers);
  }

  if (srv.jetstream !== null) jetStreamMetrics(exp, srv);
  return exp.text();
}

/** The exporter's jsz collector (jsz=all) over our /jsz document. */
function jetStreamMetrics(exp: Exposition, srv: Server): void {
  const j = jsz(srv, new URLSearchParams('accounts=true&streams=true&consumers=true&config=true')) as Record<string, any>;
  const server: Labels = { server_id: srv.id, server_name: srv.name, cluster: '', domain: j.config?.domain ?? '', meta_leader: '', is_meta_leader: 'true' };
  const put = (name: string, help: string, l: Labels, v: number | undefined) => {
    if (typeof v === 'number') exp.add(`jetstream_${name}`, help, 'gauge', l, v);
  };
  put('server_jetstream_disabled', 'JetStream disabled (1) or enabled (0)', server, j.disabled ? 1 : 0);
  put('server_total_streams', 'Streams in JetStream', server, j.streams);
  put('server_total_consumers', 'Consumers in JetStream', server, j.consumers);
  put('server_total_messages', 'Messages stored in JetStream', server, j.messages);
  put('server_total_message_bytes', 'Bytes stored in JetStream', server, j.bytes);
  put('server_max_memory', 'JetStream memory limit', server, j.config?.max_memory);
  put('server_max_storage', 'JetStream storage limit', server, j.config?.max_storage);
  for (const a of (j.account_details ?? []) as Record<string, any>[]) {
    const al: Labels = { ...server, account: a.name, account_name: a.name, account_id: a.id ?? a.name };
    put('account_max_memory', 'Memory reserved for the account in bytes', al, a.reserved_memory);
    put('account_max_storage', 'Storage reserved for the account in bytes', al, a.reserved_storage);
    put('account_storage_used', 'Bytes of file storage the account uses', al, a.storage);
    put('account_memory_used', 'Bytes of memory storage the account uses', al, a.memory);
    for (const s of (a.stream_detail ?? []) as Record<string, any>[]) {
      const leader = s.cluster?.leader ?? '';
      const sl: Labels = { ...al, stream_name: s.name, stream_leader: leader, is_stream_leader: leader === '' || leader === srv.name ? 'true' : 'false', stream_raft_group: s.stream_raft_group ?? '' };
      const st = s.state ?? {};
      put('stream_total_messages', 'Messages in the stream', sl, st.messages);
      put('stream_total_bytes', 'Bytes stored in the stream', sl, st.bytes);
      put('stream_first_seq', 'First sequence in the stream', sl, st.first_seq);
      put('stream_last_seq', 'Last sequence in the stream', sl, st.last_seq);
      put('stream_consumer_count', 'Consumers of the stream', sl, st.consumer_count);
      put('stream_subject_count', 'Subjects in the stream', sl, st.num_subjects ?? 0);
      if (s.config) {
        put('stream_limit_bytes', 'Configured byte limit of the stream (-1 = none)', sl, s.config.max_bytes);
        put('stream_limit_messages', 'Configured message limit of the stream (-1 = none)', sl, s.config.max_msgs);
      }
      for (const c of (s.consumer_detail ?? []) as Record<string, any>[]) {
        const cleader = c.cluster?.leader ?? '';
        const cl: Labels = { ...sl, consumer_name: c.name, consumer_leader: cleader, is_consumer_leader: cleader === '' || cleader === srv.name ? 'true' : 'false', consumer_desc: c.config?.description ?? '' };
        const ts = Date.parse(c.ts ?? '');
        const since = (t: string | undefined) => (t && !Number.isNaN(ts) ? (ts - Date.parse(t)) / 1000 : undefined);
        put('consumer_last_delivery_seconds', 'Seconds since the last delivery', cl, since(c.delivered?.last_active));
        put('consumer_last_ack_seconds', 'Seconds since the last acknowledgement', cl, since(c.ack_floor?.last_active));
        put('consumer_delivered_consumer_seq', 'Last delivered consumer sequence', cl, c.delivered?.consumer_seq);
        put('consumer_delivered_stream_seq', 'Last delivered stream sequence', cl, c.delivered?.stream_seq);
        put('consumer_num_ack_pending', 'Messages awaiting acknowledgement', cl, c.num_ack_pending);
        put('consumer_num_redelivered', 'Redelivered messages', cl, c.num_redelivered);
        put('consumer_num_waiting', 'Waiting pull requests', cl, c.num_waiting);
        put('consumer_num_pending', 'Messages not yet delivered', cl, c.num_pending);
        put('consumer_ack_floor_stream_seq', 'Ack floor stream sequence', cl, c.ack_floor?.stream_seq);
        put('consumer_ack_floor_consumer_seq', 'Ack floor consumer sequence', cl, c.ack_floor?.consumer_seq);
      }
    }
  }
}
