/**
 * Config reload of the `leafnodes {}` block (Go 2.14+ getLeafNodeOptionsChanges):
 * on our leaf, a remote added by reload connects to the hub (ours, or Go
 * 2.9.10) and messages flow; removed or disabled, its link closes and is not
 * redialed; enabled again, it reconnects. Changes Go refuses (listen port,
 * users, a remote's other fields) fail, with the newest Go's text on ours and
 * the same prefix on Go 2.9.10 for the port.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import type { RemoteLeafOptions } from '../../src/config/options.js';
import { GO_SERVER_BIN, OURS_CMD, startGoServer } from '../helpers/go-server.js';
import { leafOpts, leafURL, remote, startHub, startLeaf, goLeafPort, goLeafCount } from '../helpers/leaf.js';
import { startServer } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reloadRemotes(leaf: RunningServer, remotes: RemoteLeafOptions[]): void {
  const o = leaf.server.opts;
  leaf.server.reload({ ...o, leafnodes: { ...o.leafnodes!, remotes } });
}

for (const hubKind of ['ours', 'go'] as const) {
  describe(`leaf remotes changed by reload (our leaf, ${hubKind} hub)`, { skip: hubKind === 'go' && !GO_SERVER_BIN }, () => {
    const stops: (() => Promise<void>)[] = [];
    const conns: NatsConnection[] = [];
    after(async () => {
      await Promise.all(conns.map((c) => c.close().catch(() => {})));
      for (const s of stops.reverse()) await s();
    });

    /** a hub of the kind under test: its client URL, leaf URL and live link count */
    const hub = async () => {
      if (hubKind === 'ours') {
        const h = await startHub();
        stops.push(() => h.stop());
        return { url: h.url, leaf: leafURL(h), links: async () => h.server.leafnodes!.count() };
      }
      const g = await startGoServer(['-m', '-1'], 'leafnodes { listen: "127.0.0.1:-1" }\n');
      stops.push(() => g.stop());
      return { url: g.url, leaf: `nats-leaf://127.0.0.1:${await goLeafPort(g)}`, links: () => goLeafCount(g) };
    };

    it('a remote added by reload connects and carries messages; removed, its link closes and is not redialed', async () => {
      const h = await hub();
      const lines: string[] = [];
      const leaf = await startLeaf([], { no_log: false, logSink: (l) => { lines.push(l); } });
      stops.push(() => leaf.stop());
      const nl = await connect({ servers: leaf.url });
      const nh = await connect({ servers: h.url });
      conns.push(nl, nh);
      const got: string[] = [];
      nl.subscribe('lr.>', { callback: (_e, m) => { got.push(m.subject); } });
      await nl.flush();

      reloadRemotes(leaf, [remote(h.leaf)]);
      await waitFor(async () => leaf.server.leafnodes!.count() === 1 && (await h.links()) === 1, 5000);
      await waitFor(async () => {
        nh.publish('lr.a');
        await nh.flush();
        await delay(20);
        return got.length > 0;
      }, 5000);

      reloadRemotes(leaf, []);
      assert.ok(lines.some((l) => l.includes(`Reloaded: LeafNode Remote urls=["${h.leaf}"], account="$G" removed`)), lines.join('\n'));
      await waitFor(async () => leaf.server.leafnodes!.count() === 0 && (await h.links()) === 0, 5000);
      // five times the reconnect interval (100 ms): no new link
      await delay(500);
      assert.equal(leaf.server.leafnodes!.conns.size, 0);
      assert.equal(await h.links(), 0);
    });

    it('remotes added by reload to a server started without leafnodes are dialed', async () => {
      const h = await hub();
      const plain = await startServer({});
      stops.push(() => plain.stop());
      assert.equal(plain.server.leafnodes, null);
      plain.server.reload({ ...plain.server.opts, leafnodes: leafOpts({ remotes: [remote(h.leaf)] }) });
      await waitFor(async () => plain.server.leafnodes?.count() === 1 && (await h.links()) === 1, 5000);
    });

    it('a remote disabled by reload disconnects and stays down; enabled again, it reconnects', async () => {
      const h = await hub();
      const leaf = await startLeaf([remote(h.leaf)]);
      stops.push(() => leaf.stop());
      await waitFor(async () => leaf.server.leafnodes!.count() === 1 && (await h.links()) === 1, 5000);
      reloadRemotes(leaf, [remote(h.leaf, { disabled: true })]);
      await waitFor(async () => leaf.server.leafnodes!.count() === 0 && (await h.links()) === 0, 5000);
      await delay(500);
      assert.equal(leaf.server.leafnodes!.conns.size, 0);
      reloadRemotes(leaf, [remote(h.leaf)]);
      await waitFor(async () => leaf.server.leafnodes!.count() === 1 && (await h.links()) === 1, 5000);
      // messages cross the new link
      const nl = await connect({ servers: leaf.url });
      const nh = await connect({ servers: h.url });
      conns.push(nl, nh);
      let got = 0;
      nl.subscribe('back.x', { callback: () => { got++; } });
      await nl.flush();
      await waitFor(async () => {
        nh.publish('back.x');
        await nh.flush();
        await delay(20);
        return got > 0;
      }, 5000);
    });
  });
}

describe('leafnodes reload: refused changes', () => {
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const s of stops) await s();
  });

  it('users, a listen port or a remote\'s other fields: Go\'s text, nothing changes', async () => {
    const hub = await startHub({}, { users: [{ user: 'u', password: 'p', account: '' }] });
    stops.push(() => hub.stop());
    const o = hub.server.opts;
    const lo = o.leafnodes!;
    const port = hub.server.leafnodes!.port;
    assert.throws(() => hub.server.reload({ ...o, leafnodes: { ...lo, users: [{ user: 'u', password: 'q', account: '' }] } }), {
      message: 'config reload not supported for LeafNode: field "Users": old=[u], new=[u]',
    });
    assert.throws(() => hub.server.reload({ ...o, leafnodes: { ...lo, port: port + 1 } }), {
      message: `config reload not supported for LeafNode: field "Port": old=${port}, new=${port + 1}`,
    });
    const leaf = await startServer({ leafnodes: leafOpts({ remotes: [remote(leafURL(hub, 'u:p'))] }) });
    stops.push(() => leaf.stop());
    const lo2 = leaf.server.opts.leafnodes!;
    const r = lo2.remotes[0];
    assert.throws(() => leaf.server.reload({ ...leaf.server.opts, leafnodes: { ...lo2, remotes: [{ ...r, deny_imports: ['foo'] }] } }), {
      message: `config reload not supported for LeafNode: remote urls=["nats-leaf://u:xxxxx@127.0.0.1:${port}"], account="$G": field "DenyImports": old=[], new=[foo]`,
    });
    const plain = await startServer({});
    stops.push(() => plain.stop());
    assert.throws(() => plain.server.reload({ ...plain.server.opts, leafnodes: leafOpts({ port: -1 }) }), {
      message: 'config reload not supported for LeafNode: field "Host": old=, new=127.0.0.1',
    });
    assert.equal(plain.server.leafnodes, null);
    assert.equal(hub.server.opts.leafnodes, lo);
    assert.equal(hub.server.leafnodes!.opts, lo);
  });

  for (const kind of ['ours', 'go'] as const) {
    it(`a new leafnodes listen port fails on SIGHUP (${kind})`, { skip: kind === 'go' && !GO_SERVER_BIN }, async () => {
      const conf = (port: string) => `leafnodes { listen: "127.0.0.1:${port}" }\n`;
      const s = await startGoServer([], conf('-1'), kind === 'ours' ? OURS_CMD : undefined);
      stops.push(() => s.stop());
      const port = await goLeafPort(s);
      writeFileSync(join(s.dir, 'server.conf'), conf(String(port + 1)));
      const before = s.logs().length;
      s.proc.kill('SIGHUP');
      await waitFor(() => /config reload not supported for LeafNode/.test(s.logs().slice(before)), 5000);
      if (kind === 'ours') assert.match(s.logs().slice(before), new RegExp(`config reload not supported for LeafNode: field "Port": old=${port}, new=${port + 1}`));
    });
  }
});
