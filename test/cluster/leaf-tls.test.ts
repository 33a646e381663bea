/**
 * TLS on leaf links: INFO in plain text with tls_required, then the
 * soliciting side's handshake (Go leafnode.go). Our hub with our leaf, a Go
 * 2.9.10 leaf into our TLS hub, and our leaf into a Go TLS hub.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GO_SERVER_BIN, startGoServer } from '../helpers/go-server.js';
import { RawConn } from '../helpers/raw.js';
import { startHub, startLeaf, remote, leafURL, waitLeafs, waitLinked, waitInterest, goLeafPort } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';
import { collect, connectEach } from '../helpers/clients.js';
import { serverTls, clientTls, CA_FILE } from '../helpers/tls.js';

const CA = CA_FILE;
const hubTls = serverTls({ ca_file: CA });
const leafTls = clientTls();

describe('leaf nodes over TLS', () => {
  it('our hub with TLS: INFO says tls_required, our leaf handshakes and messages flow', async (t) => {
    const hub = await startHub({}, { tls: hubTls });
    t.after(() => hub.stop());
    const raw = await RawConn.connect(hub.server.leafnodes!.port);
    const info = await raw.info();
    raw.sock.destroy();
    assert.equal(info.tls_required, true);
    const leaf = await startLeaf([remote(leafURL(hub), { tls: leafTls })]);
    t.after(() => leaf.stop());
    await waitLinked(hub, leaf);
    assert.match(leaf.server.leafnodes!.list()[0].tlsVersion, /^1\.[23]$/);
    const [nh, nl] = await connectEach(t, hub, leaf);
    const got = collect(nh.subscribe('tls.x'));
    await nh.flush();
    await waitInterest(leaf, 'tls.x');
    nl.publish('tls.x', 'secure');
    await waitFor(() => got.length === 1);
    assert.deepEqual(got, ['secure']);
  });

  it('a leaf that does not trust the hub certificate is refused and not connected', async (t) => {
    const logs: string[] = [];
    const hub = await startHub({}, { tls: hubTls });
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub))], { no_log: true, logSink: (l) => logs.push(l) });
    t.after(() => leaf.stop());
    await waitFor(() => logs.some((l) => l.includes('TLS handshake error')));
    assert.equal(hub.server.leafnodes!.count(), 0);
  });

  it('a Go leaf connects to our TLS hub', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async (t) => {
    const hub = await startHub({}, { tls: hubTls });
    t.after(() => hub.stop());
    const go = await startGoServer([], `leafnodes { remotes [ { url: "${leafURL(hub)}", tls { ca_file: "${CA}" } } ] }\n`);
    t.after(() => go.stop());
    await waitLeafs(hub, 1);
    const [nh, ng] = await connectEach(t, hub, go);
    const got = collect(ng.subscribe('gotls'));
    await ng.flush();
    await waitInterest(hub, 'gotls');
    nh.publish('gotls', 'to-go');
    await waitFor(() => got.length === 1);
    assert.deepEqual(got, ['to-go']);
  });

  it('our leaf connects to a Go TLS hub', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async (t) => {
    const go = await startGoServer(
      [],
      `leafnodes { listen: "127.0.0.1:-1", tls { cert_file: "${hubTls.cert_file}", key_file: "${hubTls.key_file}", ca_file: "${CA}" } }\n`,
    );
    t.after(() => go.stop());
    const leaf = await startLeaf([remote(`nats-leaf://127.0.0.1:${await goLeafPort(go)}`, { tls: leafTls })]);
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    const [nl, ng] = await connectEach(t, leaf, go);
    const got = collect(nl.subscribe('fromgo'));
    await nl.flush();
    // the Go hub's interest reaches us as LS+; ours reaches Go: prove both with a round trip
    const svc = ng.subscribe('gosvc');
    (async () => {
      for await (const x of svc) x.respond('pong');
    })().catch(() => {});
    await ng.flush();
    await waitInterest(leaf, 'gosvc');
    const r = await nl.request('gosvc', '', { timeout: 3000 });
    assert.equal(r.string(), 'pong');
    ng.publish('fromgo', 'hi');
    await waitFor(() => got.length === 1);
  });
});
