/**
 * /metrics: Prometheus text exposition with the prometheus-nats-exporter's
 * metric names. The body is parsed as the format requires (HELP and TYPE
 * before each family's samples, valid names, escaped label values) and the
 * values must follow the server's activity.
 */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startServer, type RunningServer } from '../../src/index.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Parsed {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A strict-enough parser of the 0.0.4 text format. */
function parse(text: string): Parsed {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  assert.ok(text.endsWith('\n'));
  for (const line of text.split('\n').filter((l) => l !== '')) {
    let m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m) {
      assert.ok(!help.has(m[1]), `HELP twice for ${m[1]}`);
      help.set(m[1], m[2]);
      continue;
    }
    m = /^# TYPE (\S+) (gauge|counter|untyped|summary|histogram)$/.exec(line);
    if (m) {
      assert.ok(help.has(m[1]), `TYPE before HELP for ${m[1]}`);
      types.set(m[1], m[2]);
      continue;
    }
    m = /^([^{\s]+)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `bad sample line: ${line}`);
    const name = m[1];
    assert.match(name, NAME);
    assert.ok(types.has(name), `sample before TYPE: ${name}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/g)) labels[lm[1]] = lm[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    assert.ok(m[4] === 'NaN' || !Number.isNaN(value), `bad value: ${line}`);
    samples.push({ name, labels, value });
  }
  return { types, help, samples };
}

const one = (p: Parsed, name: string, labels: Record<string, string> = {}): number => {
  const s = p.samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  assert.equal(s.length, 1, `${name} ${JSON.stringify(labels)}: ${s.length} samples`);
  return s[0].value;
};

describe('/metrics', () => {
  let dir: string;
  let srv: RunningServer;
  const scrape = async (q = '') => {
    const r = await fetch(`${srv.monitorUrl}/metrics${q}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return parse(await r.text());
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monm-'));
    srv = await startServer({ http_port: -1, jetstream: true, store_dir: join(dir, 'js') });
  });
  after(async () => {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exposes the exporter names with server_id, and values follow the traffic', async () => {
    const before = await scrape();
    const id = srv.server.id;
    for (const s of before.samples) assert.equal(s.labels.server_id, id, s.name);
    assert.equal(one(before, 'gnatsd_varz_connections'), 0);
    assert.equal(one(before, 'gnatsd_varz_max_payload'), 1048576);
    assert.equal(before.types.get('gnatsd_varz_in_msgs'), 'gauge');
    assert.equal(before.help.get('gnatsd_varz_in_msgs'), 'in_msgs');
    for (const n of ['mem', 'cpu', 'subscriptions', 'slow_consumers', 'total_connections', 'out_bytes', 'jetstream_stats_memory', 'jetstream_config_max_memory', 'start']) {
      assert.ok(before.samples.some((s) => s.name === `gnatsd_varz_${n}`), n);
    }
    assert.equal(one(before, 'gnatsd_varz_server_name', { value: srv.server.name }), 1);
    const inMsgs0 = one(before, 'gnatsd_varz_in_msgs');

    const nc = await connect({ servers: srv.url, name: 'metric-client' });
    nc.subscribe('m.x');
    for (let i = 0; i < 7; i++) nc.publish('m.x', 'abc');
    await nc.flush();
    const after1 = await scrape();
    assert.equal(one(after1, 'gnatsd_varz_connections'), 1);
    assert.equal(one(after1, 'gnatsd_varz_in_msgs'), inMsgs0 + 7);
    assert.equal(one(after1, 'gnatsd_connz_num_connections'), 1);
    assert.equal(after1.types.get('gnatsd_connz_in_msgs'), 'counter');
    assert.equal(one(after1, 'gnatsd_connz_in_msgs'), 7);
    assert.ok(one(after1, 'gnatsd_subsz_num_subscriptions') >= 1);
    assert.equal(one(after1, 'gnatsd_routez_num_routes'), 0);
    assert.equal(one(after1, 'gnatsd_leafz_conn_nodes_total'), 0);
    assert.equal(one(after1, 'gnatsd_healthz_status'), 0);
    assert.equal(one(after1, 'gnatsd_healthz_status_value', { value: 'ok' }), 1);
    assert.equal(one(after1, 'gnatsd_accstatz_current_connections', { account: '$G' }), 1);
    assert.equal(one(after1, 'gnatsd_accstatz_received_messages', { account: '$G' }), 7);

    const detailed = await scrape('?connz_detailed=true');
    const cid = String([...srv.server.clients.keys()][0]);
    assert.equal(one(detailed, 'gnatsd_connz_in_msgs', { cid, name: 'metric-client' }), 7);
    assert.ok(detailed.samples.some((s) => s.name === 'gnatsd_connz_uptime' && s.labels.cid === cid));
    await nc.close();
  });

  it('JetStream server, account, stream and consumer metrics', async () => {
    const nc = await connect({ servers: srv.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], max_msgs: 1000 });
    await jsm.consumers.add('ORDERS', { durable_name: 'proc', description: 'processor' });
    const js = jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish(`orders.${i}`, 'x');
    const p = await scrape();
    assert.equal(one(p, 'jetstream_server_total_streams'), 1);
    assert.equal(one(p, 'jetstream_server_total_consumers'), 1);
    assert.equal(one(p, 'jetstream_server_total_messages'), 3);
    assert.equal(one(p, 'jetstream_server_jetstream_disabled'), 0);
    assert.ok(one(p, 'jetstream_account_memory_used', { account: '$G' }) >= 0);
    assert.equal(one(p, 'jetstream_stream_total_messages', { stream_name: 'ORDERS' }), 3);
    assert.equal(one(p, 'jetstream_stream_last_seq', { stream_name: 'ORDERS' }), 3);
    assert.equal(one(p, 'jetstream_stream_limit_messages', { stream_name: 'ORDERS' }), 1000);
    assert.equal(one(p, 'jetstream_consumer_num_pending', { consumer_name: 'proc', consumer_desc: 'processor' }), 3);
    const l = p.samples.find((s) => s.name === 'jetstream_consumer_num_pending')!.labels;
    for (const k of ['server_name', 'cluster', 'domain', 'meta_leader', 'is_meta_leader', 'account', 'account_name', 'account_id', 'stream_leader', 'is_stream_leader', 'stream_raft_group', 'consumer_leader', 'is_consumer_leader']) {
      assert.ok(k in l, k);
    }
    await nc.close();
  });
});
