/**
 * JetStream monitoring: /jsz (with accounts/streams/consumers/config detail)
 * and the jetstream section of /varz, with Go 2.9.10's field names as the
 * reference for the fields it has.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { startServer, type RunningServer } from '../../src/index.js';
import { startGoServer, GO_SERVER_BIN } from '../helpers/go-server.js';

async function get(url: string): Promise<Record<string, any>> {
  const r = await fetch(url);
  assert.equal(r.status, 200);
  return (await r.json()) as Record<string, any>;
}

describe('JetStream monitoring', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-jsm-'));
    srv = await startServer({ jetstream: true, store_dir: dir, http_port: -1, jetstream_opts: { max_memory_store: 1 << 30, domain: 'hub' } });
    nc = await connect({ servers: srv.url });
    const jsm = await jetstreamManager(nc, { domain: 'hub' });
    await jsm.streams.add({ name: 'M', subjects: ['m.>'], storage: 'memory' as any });
    await jsm.consumers.add('M', { durable_name: 'c', ack_policy: AckPolicy.Explicit });
    for (let i = 0; i < 3; i++) await nc.request('m.x', 'hello', { timeout: 2000 });
  });
  after(async () => {
    await nc.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/jsz reports usage, config and totals', async () => {
    const j = await get(`${srv.monitorUrl}/jsz`);
    assert.equal(j.server_id, srv.server.id);
    assert.equal(j.streams, 1);
    assert.equal(j.consumers, 1);
    assert.equal(j.messages, 3);
    assert.ok(j.memory > 0);
    assert.equal(j.config.max_memory, 1 << 30);
    assert.equal(j.config.domain, 'hub');
    assert.equal(j.config.store_dir, join(dir, 'jetstream'));
    assert.ok(j.api.total >= 2);
    assert.equal(j.account_details, undefined);
  });

  it('/jsz?accounts&streams&consumers&config adds detail', async () => {
    const j = await get(`${srv.monitorUrl}/jsz?accounts=true&streams=true&consumers=true&config=true`);
    const a = j.account_details[0];
    assert.equal(a.name, '$G');
    const s = a.stream_detail[0];
    assert.equal(s.name, 'M');
    assert.equal(s.config.name, 'M');
    assert.equal(s.state.messages, 3);
    assert.equal(s.consumer_detail[0].name, 'c');
    assert.equal(s.consumer_detail[0].num_pending, 3);
  });

  it('/varz has a jetstream section with config and stats', async () => {
    const v = await get(`${srv.monitorUrl}/varz`);
    assert.equal(v.jetstream.config.max_memory, 1 << 30);
    assert.equal(v.jetstream.stats.accounts, 1);
    assert.ok(v.jetstream.stats.api.total >= 2);
  });

  it('has every /jsz and /varz.jetstream field Go 2.9.10 reports', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async () => {
    const gdir = mkdtempSync(join(tmpdir(), 'gojsm-'));
    const go = await startGoServer(['-js', '-sd', gdir, '-m', '-1']);
    try {
      const gj = await get(`http://127.0.0.1:${go.monitorPort}/jsz`);
      const oj = await get(`${srv.monitorUrl}/jsz`);
      for (const k of Object.keys(gj)) assert.ok(k in oj, `/jsz field ${k}`);
      for (const k of Object.keys(gj.config)) assert.ok(k in oj.config, `/jsz config.${k}`);
      const gv = await get(`http://127.0.0.1:${go.monitorPort}/varz`);
      const ov = await get(`${srv.monitorUrl}/varz`);
      for (const k of Object.keys(gv.jetstream)) assert.ok(k in ov.jetstream, `/varz jetstream.${k}`);
      for (const k of Object.keys(gv.jetstream.stats ?? {})) assert.ok(k in ov.jetstream.stats, `/varz jetstream.stats.${k}`);
    } finally {
      await go.stop();
      rmSync(gdir, { recursive: true, force: true });
    }
  });
});
