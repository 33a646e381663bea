/**
 * The @nats-io/kv and @nats-io/obj clients against our server (file storage,
 * including a restart): KV put/get/create/update/delete/purge/history/watch/
 * keys/TTL/status, object put/get of multi-MB objects, links, list, watch,
 * delete.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { startServer, type RunningServer } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';

describe('KV and object store clients', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-kv-'));
    srv = await startServer({ jetstream: true, store_dir: dir });
    nc = await connect({ servers: srv.url });
  });
  after(async () => {
    await nc.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('KV: put/get/create/update with revisions, delete, purge, history, keys, status', async () => {
    const kv: KV = await new Kvm(nc).create('cfg', { history: 3 });
    const r1 = await kv.put('a', 'one');
    const r2 = await kv.put('a', 'two');
    assert.equal(r2, r1 + 1);
    const e = await kv.get('a');
    assert.deepEqual([e?.string(), e?.revision, e?.operation], ['two', r2, 'PUT']);
    await assert.rejects(kv.create('a', 'x'), /wrong last sequence|exists/);
    await assert.rejects(kv.update('a', 'x', r1), /wrong last sequence/);
    const r3 = await kv.update('a', 'three', r2);
    await kv.put('a', 'four');
    const hist: string[] = [];
    for await (const h of await kv.history({ key: 'a' })) hist.push(h.string());
    assert.deepEqual(hist, ['two', 'three', 'four'], 'history keeps 3');
    await kv.create('b', 'bee');
    await kv.delete('b');
    assert.equal((await kv.get('b'))?.operation, 'DEL');
    const r4 = await kv.create('b', 'again');
    assert.ok(r4 > r3);
    await kv.put('c', 'see');
    await kv.purge('c');
    assert.equal((await kv.get('c'))?.operation, 'PURGE');
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    assert.deepEqual(keys.sort(), ['a', 'b']);
    const st = await kv.status();
    assert.equal(st.bucket, 'cfg');
    assert.equal(st.history, 3);
    assert.ok(st.values >= 3);
  });

  it('KV: watch delivers current values and later updates', async () => {
    const kv = await new Kvm(nc).create('w');
    await kv.put('k1', 'v1');
    const seen: string[] = [];
    const w = await kv.watch();
    const done = (async () => {
      for await (const e of w) {
        seen.push(`${e.key}=${e.string()}:${e.operation}`);
        if (seen.length === 3) break;
      }
    })();
    await waitFor(() => seen.length >= 1);
    await kv.put('k2', 'v2');
    await kv.delete('k1');
    await done;
    assert.deepEqual(seen, ['k1=v1:PUT', 'k2=v2:PUT', 'k1=:DEL']);
  });

  it('KV: per-key TTL and bucket max age', async () => {
    const kv = await new Kvm(nc).create('ttl', { ttl: 300, markerTTL: 1000 } as any);
    await kv.put('short', 'x');
    await waitFor(async () => (await kv.get('short')) === null, 5000, 50);
  });

  it('object store: multi-MB put/get, info, links, list, delete, watch', async () => {
    const os = await new Objm(nc).create('files');
    const data = new Uint8Array(5 * 1024 * 1024 + 123).map((_, i) => (i * 7) % 256);
    const info = await os.putBlob({ name: 'big.bin' }, data);
    assert.equal(info.size, data.length);
    assert.ok(info.chunks > 1);
    const got = await os.getBlob('big.bin');
    assert.equal(got?.length, data.length);
    assert.ok(got!.every((v, i) => v === data[i]));
    await os.link('alias', info);
    const viaLink = await os.getBlob('alias');
    assert.equal(viaLink?.length, data.length);
    await os.putBlob({ name: 'small.txt' }, new TextEncoder().encode('hi'));
    const names = (await os.list()).map((o) => o.name).sort();
    assert.deepEqual(names, ['alias', 'big.bin', 'small.txt']);
    const changes: string[] = [];
    const w = await os.watch({ includeHistory: false } as any);
    const p = (async () => {
      for await (const e of w) {
        if (e === null) continue;
        changes.push(`${e.name}:${e.deleted}`);
        if (changes.length === 1) break;
      }
    })();
    await os.delete('small.txt');
    await p;
    assert.deepEqual(changes, ['small.txt:true']);
    assert.equal(await os.get('small.txt'), null);
    const st = await os.status();
    assert.equal(st.bucket, 'files');
  });

  it('KV data survives a server restart (file store)', async () => {
    const kv = await new Kvm(nc).create('persist');
    await kv.put('x', '1');
    await kv.put('x', '2');
    await kv.put('y', 'why');
    await nc.close();
    await srv.stop();
    srv = await startServer({ jetstream: true, store_dir: dir });
    nc = await connect({ servers: srv.url });
    const kv2 = await new Kvm(nc).open('persist');
    const e: KvEntry | null = await kv2.get('x');
    assert.equal(e?.string(), '2');
    assert.equal(e?.revision, 2);
    assert.equal((await kv2.get('y'))?.string(), 'why');
    const os = await new Objm(nc).open('files');
    const got = await os.getBlob('big.bin');
    assert.equal(got?.length, 5 * 1024 * 1024 + 123);
  });
});
