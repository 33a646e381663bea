/**
 * TLS on routes (Go route.go createRoute + doTLSHandshake "route"): the
 * handshake comes first on both the accepting and the dialing side, both ends
 * must present a certificate the other trusts, INFO says tls_required, and a
 * failed handshake leaves no route. Ours with ours, and mixed with Go 2.9.10.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, startGoServer } from '../helpers/go-server.js';
import { startClustered, routeURL, routesOf, waitMeshed, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const dir = join(import.meta.dirname, '../../../test/fixtures/tls');
const CA = join(dir, 'ca.pem');
const CERT = join(dir, 'route-cert.pem');
const KEY = join(dir, 'route-key.pem');
const BAD_CERT = join(dir, 'untrusted-cert.pem');
const BAD_KEY = join(dir, 'untrusted-key.pem');
const goSkip = GO_SERVER_BIN ? false : 'Go nats-server not installed';

const tlsBlock = (cert = CERT, key = KEY, ca = CA) => ({ cert_file: cert, key_file: key, ca_file: ca, timeout: 2 });
const goTls = (cert = CERT, key = KEY, ca = CA) => `tls { cert_file: "${cert}", key_file: "${key}", ca_file: "${ca}", timeout: 2 }`;

function goConf(routes: string[], tls = goTls()): string {
  return `cluster {\n  name: test-cluster\n  listen: "127.0.0.1:-1"\n  ${tls}\n  routes: [${routes.map((r) => `"${r}"`).join(', ')}]\n}\n`;
}

async function roundTrip(a: RunningServer | string, b: RunningServer | string, subject: string, t: { after: (f: () => unknown) => void }): Promise<void> {
  const na: NatsConnection = await connect({ servers: typeof a === 'string' ? a : a.url });
  const nb: NatsConnection = await connect({ servers: typeof b === 'string' ? b : b.url });
  t.after(() => na.close());
  t.after(() => nb.close());
  const got: string[] = [];
  nb.subscribe(subject, { callback: (_e, m) => { got.push(m.string()); } });
  await nb.flush();
  await waitFor(async () => {
    na.publish(subject, 'secure');
    await na.flush();
    await new Promise((r) => setTimeout(r, 20));
    return got.length > 0;
  }, 5000);
  assert.ok(got.every((x) => x === 'secure'));
}

describe('route TLS', () => {
  it('two of our servers route over TLS: INFO says tls_required/tls_verify, the links are TLS sockets, messages flow', async (t) => {
    const a = await startClustered([], { server_name: 'A' }, { tls: tlsBlock() });
    t.after(() => a.stop());
    const b = await startClustered([routeURL(a)], { server_name: 'B' }, { tls: tlsBlock() });
    t.after(() => b.stop());
    await waitMeshed([a, b]);
    for (const s of [a, b]) {
      const rc = [...routesOf(s).routes.values()][0];
      assert.ok(rc.socket instanceof TLSSocket, 'route socket is TLS');
      assert.equal(rc.remoteInfo?.tls_required, true);
      assert.equal(rc.remoteInfo?.tls_verify, true);
    }
    await roundTrip(a, b, 'tls.ab', t);
    await roundTrip(b, a, 'tls.ba', t);
  });

  it('a peer with an untrusted certificate is refused on both sides and keeps being retried', async (t) => {
    const logsA: string[] = [];
    const logsB: string[] = [];
    const a = await startClustered([], { server_name: 'A', no_log: true, logSink: (l) => logsA.push(l) }, { tls: tlsBlock() });
    t.after(() => a.stop());
    const b = await startClustered([routeURL(a)], { server_name: 'B', no_log: true, logSink: (l) => logsB.push(l) }, { tls: tlsBlock(BAD_CERT, BAD_KEY, BAD_CERT) });
    t.after(() => b.stop());
    // B trusts only its own self-signed certificate, and A only the test CA
    await waitFor(() => logsB.filter((l) => l.includes('TLS route handshake error')).length >= 2, 8000);
    assert.ok(logsB.some((l) => /\[ERR\] 127\.0\.0\.1:\d+ - rid:\d+ - TLS route handshake error: /.test(l)));
    await waitFor(() => logsA.some((l) => l.includes('TLS route handshake error')), 5000);
    assert.equal(routesOf(a).numRemotes(), 0);
    assert.equal(routesOf(b).numRemotes(), 0);
  });

  it('a route without TLS to a TLS route listener never registers', async (t) => {
    const a = await startClustered([], { server_name: 'A', no_log: true }, { tls: tlsBlock() });
    t.after(() => a.stop());
    const b = await startClustered([routeURL(a)], { server_name: 'B', no_log: true });
    t.after(() => b.stop());
    await waitFor(() => routesOf(b).pendingDials > 0 && routesOf(a).conns.size === 0, 5000);
    assert.equal(routesOf(a).numRemotes(), 0);
    assert.equal(routesOf(b).numRemotes(), 0);
  });

  it('mixed with Go 2.9.10: Go dials our TLS listener and we dial Go\'s, messages flow both ways', { skip: goSkip }, async (t) => {
    const ours = await startClustered([], { server_name: 'OURS' }, { tls: tlsBlock() });
    t.after(() => ours.stop());
    const go = await startGoServer([], goConf([routeURL(ours)]));
    t.after(() => go.stop());
    await waitFor(() => routesOf(ours).numRemotes() === 1, 8000);
    const rc = [...routesOf(ours).routes.values()][0];
    assert.ok(rc.socket instanceof TLSSocket);
    assert.equal(rc.remoteInfo?.tls_required, true, 'Go announces tls_required');
    assert.equal(rc.remoteInfo?.tls_verify, true, 'Go announces tls_verify');
    await roundTrip(go.url, ours, 'gotls.in', t);
    await roundTrip(ours, go.url, 'gotls.out', t);
    // and the other direction of dialing: a second server of ours solicits the Go server
    const ours2 = await startClustered([`nats-route://127.0.0.1:${go.clusterPort}`], { server_name: 'OURS2' }, { tls: tlsBlock() });
    t.after(() => ours2.stop());
    await waitFor(() => routesOf(ours2).numRemotes() === 2, 8000); // Go gossips ours, ours2 dials it too
    await waitRemoteInterest(ours2, '_INBOX.>').catch(() => {});
    await roundTrip(go.url, ours2, 'gotls.in2', t);
    await roundTrip(ours2, go.url, 'gotls.out2', t);
  });

  it('mixed with Go 2.9.10: an untrusted Go peer fails the handshake on both servers, with Go\'s own log line', { skip: goSkip }, async (t) => {
    const logs: string[] = [];
    const ours = await startClustered([], { server_name: 'OURS', no_log: true, logSink: (l) => logs.push(l) }, { tls: tlsBlock() });
    t.after(() => ours.stop());
    const go = await startGoServer([], goConf([routeURL(ours)], goTls(BAD_CERT, BAD_KEY, BAD_CERT)));
    t.after(() => go.stop());
    await waitFor(() => logs.some((l) => l.includes('TLS route handshake error')), 8000);
    await waitFor(() => /TLS route handshake error/.test(go.logs()), 8000);
    assert.equal(routesOf(ours).numRemotes(), 0);
  });
});
