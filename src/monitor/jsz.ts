/**
 * /jsz (Go Jsz): server-wide JetStream usage, config and limits, with
 * per-account, per-stream and per-consumer detail on request
 * (`accounts`, `acc`, `streams`, `consumers`, `config`, `offset`, `limit`).
 */
import type { Server } from '../server/server.js';
import type { JetStream } from '../jetstream/jetstream.js';
import { streamConfigJSON } from '../jetstream/stream/config.js';
import type { Consumer } from '../jetstream/consumer/consumer.js';
import { goTime } from './format.js';

function flag(q: URLSearchParams, k: string): boolean {
  const v = q.get(k);
  return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function jetStreamOf(srv: Server): JetStream | null {
  return (srv.jetstream as JetStream | null) ?? null;
}

export function jsz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  const js = jetStreamOf(srv);
  const out: Record<string, unknown> = { server_id: srv.id, now: goTime(new Date()) };
  if (js === null) {
    out.disabled = true;
    return { memory: 0, storage: 0, reserved_memory: 0, reserved_storage: 0, accounts: 0, ha_assets: 0, api: { level: 0, total: 0, errors: 0 }, ...out, config: { max_memory: 0, max_storage: 0 }, streams: 0, consumers: 0, messages: 0, bytes: 0, total: 0 };
  }
  const account = q.get('acc') ?? q.get('account') ?? '';
  const withConsumers = flag(q, 'consumers');
  const withStreams = flag(q, 'streams') || withConsumers;
  const withConfig = flag(q, 'config');
  const withAccounts = flag(q, 'accounts') || withStreams || account !== '';
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  const limit = Number(q.get('limit') ?? 0) || 1024;
  const u = js.usage();
  const res: Record<string, unknown> = {
    ...js.statsView(),
    ...out,
    config: js.configView(),
    limits: js.limitsView() ?? {},
    streams: u.streams,
    consumers: u.consumers,
    messages: u.messages,
    bytes: u.bytes,
  };
  if (js.meta !== null) res.meta_cluster = js.meta.clusterInfo();
  if (withAccounts) {
    let accs = [...js.accounts.values()].sort((a, b) => (a.acc.name < b.acc.name ? -1 : 1));
    if (account !== '') accs = accs.filter((a) => a.acc.name === account);
    const details = accs.slice(offset, offset + limit).map((a) => {
      const au = a.usage();
      const r = a.reserved();
      const d: Record<string, unknown> = {
        name: a.acc.name,
        id: a.acc.name,
        memory: au.memory,
        storage: au.storage,
        reserved_memory: r.memory,
        reserved_storage: r.storage,
        accounts: 0,
        ha_assets: 0,
        api: { level: 0, total: a.apiTotal, errors: a.apiErrors },
      };
      if (withStreams) {
        d.stream_detail = [...a.streams.values()].map((s) => {
          const sd: Record<string, unknown> = { name: s.name, created: s.infoJSON().created, cluster: { leader: srv.name } };
          if (withConfig) sd.config = streamConfigJSON(s.cfg, js.serverVersion);
          sd.state = s.stateJSON();
          if (withConsumers && s.consumers.size > 0) {
            sd.consumer_detail = [...s.consumers.values()].map((c) => {
              const ci = (c as Consumer).infoJSON();
              if (!withConfig) delete ci.config;
              return ci;
            });
          }
          return sd;
        });
      }
      return d;
    });
    if (details.length > 0) res.account_details = details;
  }
  res.total = js.accounts.size;
  return res;
}

/** The `jetstream` object of /varz. */
export function varzJetStream(srv: Server): Record<string, unknown> {
  const js = jetStreamOf(srv);
  if (js === null) return {};
  const o: Record<string, unknown> = { config: js.configView(), stats: js.statsView() };
  const lim = js.limitsView();
  if (lim) o.limits = lim;
  // Go JetStreamVarz.Meta: the same MetaClusterInfo as /jsz
  if (js.meta !== null) o.meta = js.meta.clusterInfo();
  return o;
}
