/**
 * JetStream across leaf links (Go addLeafNodeConnection): the plain
 * `$JS.API.>` does not cross a link (a leaf client without local JetStream
 * gets no responders), while the hub's domain API `$JS.<domain>.API.>` does,
 * so a leaf client reaches the hub's JetStream by naming its domain. Checked
 * with our hub and our leaf, a Go 2.9.10 hub and our leaf, and our hub and a
 * Go leaf.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { GO_SERVER_BIN, startGoServer } from '../helpers/go-server.js';
import { startHub, startLeaf, remote, leafURL, waitLeafs, waitInterest } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';

const skipGo = GO_SERVER_BIN ? false : 'Go nats-server not installed';
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'leafjs-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** From a client on the leaf side: the domain API works, the plain API has no responders. */
async function checkDomainAccess(nc: NatsConnection, stream: string): Promise<void> {
  // the hub's interest in its domain API has to reach the leaf first
  const jsm = (await waitFor(async () => {
    try {
      const m = await jetstreamManager(nc, { domain: 'hub', timeout: 1000 });
      await m.getAccountInfo();
      return m;
    } catch {
      return null;
    }
  }, 8000))!;
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  const js = jetstream(nc, { domain: 'hub' });
  // the stream's subject interest crosses the link too: publish and get the ack from the hub
  const ack = (await waitFor(async () => js.publish(`${stream}.a`, 'one', { timeout: 1000 }).catch(() => null), 8000))!;
  assert.equal(ack.stream, stream);
  assert.equal(ack.domain, 'hub');
  const info = await jsm.streams.info(stream);
  assert.equal(info.state.messages, 1);
  await assert.rejects(nc.request('$JS.API.INFO', '', { timeout: 1000 }), (e: Error) => /no responders|503/i.test(`${e.message} ${String((e as { code?: unknown }).code)}`));
}

describe('JetStream across leaf links', () => {
  it('our hub (domain hub) and our leaf', async (t) => {
    const hub = await startHub({ jetstream: true, store_dir: tmp(), jetstream_opts: { domain: 'hub' } });
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub))]);
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    await waitInterest(leaf, '$JS.hub.API.INFO');
    const link = hub.server.leafnodes!.list()[0];
    assert.ok(link.sendDeny.includes('$JS.API.>'));
    const nc = await connect({ servers: leaf.url });
    t.after(() => nc.close());
    await checkDomainAccess(nc, 'OURS');
  });

  it('a Go hub (domain hub) and our leaf', { skip: skipGo }, async (t) => {
    const go = await startGoServer([], `jetstream { store_dir: "${tmp()}", domain: hub }\nleafnodes { listen: "127.0.0.1:-1" }\n`);
    t.after(() => go.stop());
    const m = await waitFor(() => /Listening for leafnode connections on [^\s]+:(\d+)/.exec(go.logs()), 5000);
    const leaf = await startLeaf([remote(`nats-leaf://127.0.0.1:${m![1]}`)]);
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    const nc = await connect({ servers: leaf.url });
    t.after(() => nc.close());
    await checkDomainAccess(nc, 'GOHUB');
  });

  it('our hub (domain hub) and a Go leaf', { skip: skipGo }, async (t) => {
    const hub = await startHub({ jetstream: true, store_dir: tmp(), jetstream_opts: { domain: 'hub' } });
    t.after(() => hub.stop());
    const go = await startGoServer([], `leafnodes { remotes [ { url: "${leafURL(hub)}" } ] }\n`);
    t.after(() => go.stop());
    await waitLeafs(hub, 1);
    const nc = await connect({ servers: go.url });
    t.after(() => nc.close());
    await checkDomainAccess(nc, 'GOLEAF');
  });
});
