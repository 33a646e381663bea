/**
 * Gateways over TLS (Go: the handshake comes first on both sides, before any
 * INFO): two of ours, and ours with Go 2.9.10 (Go dials ours, ours dials Go
 * back); a plain remote cannot join a TLS gateway.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN } from '../helpers/go-server.js';
import { RawConn } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';
import { gwOf, gwURL, startGoGateway, startGwServer, waitGwInterest } from '../helpers/gateway.js';

const dir = join(import.meta.dirname, '../../../test/fixtures/tls');
// One certificate for both roles (server and client usages), as gateways need.
const tlsBlock = { cert_file: join(dir, 'gateway-cert.pem'), key_file: join(dir, 'gateway-key.pem'), ca_file: join(dir, 'ca.pem'), timeout: 2 };

async function roundTrip(pubURL: string, subURL: string, subject: string, waitInterest: () => Promise<void>): Promise<void> {
  const sub = await connect({ servers: subURL });
  const pub = await connect({ servers: pubURL });
  try {
    const got: string[] = [];
    sub.subscribe(subject, { callback: (_e, m) => { got.push(m.string()); } });
    await sub.flush();
    await waitInterest();
    pub.publish(subject, 'over-tls');
    await waitFor(() => got.includes('over-tls'), 5000);
  } finally {
    await sub.close();
    await pub.close();
  }
}

describe('gateways over TLS', () => {
  it('two of ours: INFO says tls_required, messages flow both ways', async () => {
    const A = await startGwServer('A', [], { gateway: { tls: tlsBlock } });
    const B = await startGwServer('B', [{ name: 'A', urls: [gwURL(A)] }], { gateway: { tls: tlsBlock } });
    try {
      await waitFor(() => gwOf(A).out.size === 1 && gwOf(B).out.size === 1, 10000);
      assert.equal(gwOf(A).info().tls_required, true);
      assert.equal(gwOf(A).out.get('B')!.socket.constructor.name, 'TLSSocket');
      await roundTrip(A.url, B.url, 'tls.ab', () => waitGwInterest(A, 'B', 'tls.ab'));
      await roundTrip(B.url, A.url, 'tls.ba', () => waitGwInterest(B, 'A', 'tls.ba'));
    } finally {
      await Promise.all([A.stop(), B.stop()]);
    }
  });

  it('a dialing side without a client certificate is refused (Go: always RequireAndVerifyClientCert)', async () => {
    const A = await startGwServer('A', [], { gateway: { tls: tlsBlock } });
    const B = await startGwServer('B', [{ name: 'A', urls: [gwURL(A)] }], { gateway: { tls: { ca_file: tlsBlock.ca_file, timeout: 2 } } });
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(gwOf(A).inbound.size, 0);
      assert.equal(gwOf(B).out.size, 0);
    } finally {
      await Promise.all([A.stop(), B.stop()]);
    }
  });

  it('a plain connection to a TLS gateway port gets no INFO and no registration', async () => {
    const A = await startGwServer('A', [], { gateway: { tls: tlsBlock } });
    const B = await startGwServer('B', [{ name: 'A', urls: [gwURL(A)] }]);
    try {
      const c = await RawConn.connect(gwOf(A).port);
      c.send('CONNECT {"gateway":"X"}\r\n');
      const out = await c.waitClosed(3000);
      assert.equal(out.includes('INFO'), false);
      c.close();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(gwOf(A).inbound.size, 0);
      assert.equal(gwOf(B).out.size, 0);
    } finally {
      await Promise.all([A.stop(), B.stop()]);
    }
  });

  it('with Go 2.9.10 over TLS in both directions', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async () => {
    const A = await startGwServer('A', [], { gateway: { tls: tlsBlock } });
    const tlsConf = `tls { cert_file: "${tlsBlock.cert_file}", key_file: "${tlsBlock.key_file}", ca_file: "${tlsBlock.ca_file}", timeout: 2 }`;
    const G = await startGoGateway('B', [{ name: 'A', urls: [gwURL(A)] }], '', tlsConf);
    try {
      await waitFor(() => gwOf(A).out.has('B') && gwOf(A).inbound.size === 1, 15000);
      await roundTrip(A.url, G.url, 'tls.go', () => waitGwInterest(A, 'B', 'tls.go'));
      // Go's side learns our interest by RS+ on its outbound: probe until it flows.
      const sub = await connect({ servers: A.url });
      const pub = await connect({ servers: G.url });
      let n = 0;
      sub.subscribe('tls.ours', { callback: () => { n++; } });
      await sub.flush();
      await waitFor(async () => {
        pub.publish('tls.ours');
        await pub.flush();
        return n > 0;
      }, 10000, 100);
      await sub.close();
      await pub.close();
    } finally {
      await A.stop();
      await G.stop();
    }
  });
});
