/**
 * Route compression negotiation, the part this server does (Go
 * selectCompressionMode): it announces compression "off", so a peer in any
 * mode keeps the route uncompressed; /routez says "off" for a peer that
 * negotiates and "not supported" for one that announces nothing (Go 2.9.10).
 * A configured compression mode is refused with a warning, not run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { GO_SERVER_BIN, startGoServer } from '../helpers/go-server.js';
import { RawConn } from '../helpers/raw.js';
import { startClustered, routeURL, routesOf, waitMeshed, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

describe('route compression', () => {
  it('announces "off"; a configured s2 mode warns and the route still carries plain messages', async (t) => {
    const logs: string[] = [];
    const a = await startClustered([], { server_name: 'CA', http_port: -1, no_log: true, logSink: (l) => logs.push(l) }, { compression: 's2_fast' });
    t.after(() => a.stop());
    assert.ok(logs.some((l) => l.includes('[WRN] Route compression "s2_fast" is not supported by this server')));
    const c = await RawConn.connect(routesOf(a).port);
    const info = await c.info();
    c.close();
    assert.equal(info.compression, 'off');
    const b = await startClustered([routeURL(a)], { server_name: 'CB' }, { compression: 'accept' });
    t.after(() => b.stop());
    await waitMeshed([a, b]);
    const nb = await connect({ servers: b.url });
    const na = await connect({ servers: a.url });
    t.after(() => nb.close());
    t.after(() => na.close());
    const got: string[] = [];
    nb.subscribe('cz', { callback: (_e, m) => { got.push(m.string()); } });
    await nb.flush();
    await waitRemoteInterest(a, 'cz');
    na.publish('cz', 'plain');
    await waitFor(() => got.length === 1);
    const rz = (await (await fetch(`${a.monitorUrl}/routez`)).json()) as { routes: { compression: string }[] };
    assert.ok(rz.routes.length > 0 && rz.routes.every((r) => r.compression === 'off'));
  });

  it('with Go 2.9.10 (no compression field): "not supported" in /routez, as the newest Go reports an old peer', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async (t) => {
    const a = await startClustered([], { server_name: 'CG', http_port: -1 });
    t.after(() => a.stop());
    const go = await startGoServer([], `cluster {\n name: test-cluster\n listen: "127.0.0.1:-1"\n routes: ["${routeURL(a)}"]\n}\n`);
    t.after(() => go.stop());
    await waitFor(() => routesOf(a).numRemotes() === 1, 8000);
    const rz = (await (await fetch(`${a.monitorUrl}/routez`)).json()) as { routes: { compression: string }[] };
    assert.deepEqual(rz.routes.map((r) => r.compression), ['not supported']);
  });
});
