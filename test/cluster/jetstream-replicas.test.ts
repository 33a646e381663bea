/**
 * Until stream groups replicate (issue 16), no server of ours keeps fewer
 * copies than a stream asks for: three of our servers in a cluster, each with
 * JetStream, refuse a stream (and a consumer) with more than one replica with
 * Go's single-server error, and an update that raises replicas likewise;
 * R1 streams still work on each server.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { routeURL, startClustered, stopAll, waitMeshed } from '../helpers/cluster.js';

describe('replicated streams are refused, never kept as one copy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsts-r3-'));
  const servers: Awaited<ReturnType<typeof startClustered>>[] = [];
  after(async () => {
    await stopAll(servers);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a cluster of three of ours answers num_replicas 3 with 10074', async () => {
    for (let i = 0; i < 3; i++) {
      servers.push(await startClustered(servers.length ? [routeURL(servers[0])] : [], { server_name: `S${i + 1}`, jetstream: true, store_dir: join(dir, `s${i}`) }));
    }
    await waitMeshed(servers);
    const nc = await connect({ servers: servers[0].url });
    try {
      const ask = async (subj: string, body: unknown) => (await nc.request(subj, JSON.stringify(body))).json<any>();
      const r3 = await ask('$JS.API.STREAM.CREATE.R3', { name: 'R3', subjects: ['r3'], num_replicas: 3 });
      assert.deepEqual(r3.error, { code: 500, err_code: 10074, description: 'replicas > 1 not supported in non-clustered mode' });
      const r1 = await ask('$JS.API.STREAM.CREATE.R1', { name: 'R1', subjects: ['r1'] });
      assert.equal(r1.config.num_replicas, 1);
      const up = await ask('$JS.API.STREAM.UPDATE.R1', { name: 'R1', subjects: ['r1'], num_replicas: 3 });
      assert.equal(up.error?.err_code, 10074);
      const c = await ask('$JS.API.CONSUMER.CREATE.R1', { stream_name: 'R1', config: { ack_policy: 'explicit', num_replicas: 3 } });
      assert.ok(c.error, 'a replicated consumer is refused');
      const info = await ask('$JS.API.STREAM.INFO.R1', {});
      assert.equal(info.config.num_replicas, 1);
    } finally {
      await nc.close();
    }
  });
});
