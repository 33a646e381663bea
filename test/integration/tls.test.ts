/**
 * Client TLS: INFO-then-upgrade, client certificate verification,
 * handshake_first and allow_non_tls, driven by nats.js; INFO flags compared
 * with the Go server using the same certificates.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startServer, defaultOptions, type RunningServer } from '../../src/index.js';
import { RawConn } from '../helpers/raw.js';
import { startGoServer, GO_SERVER_BIN } from '../helpers/go-server.js';

const dir = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/tls');
const f = (n: string) => join(dir, n);
const baseTls = () => ({ ...defaultOptions().tls, verify: false, timeout: 2000, handshake_first: false as boolean | number, cert_file: f('server-cert.pem'), key_file: f('server-key.pem') });

describe('TLS', () => {
  const servers: RunningServer[] = [];
  const start = async (o: Parameters<typeof startServer>[0]) => {
    const s = await startServer(o);
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('requires TLS: INFO says tls_required and a TLS client can pub/sub', async () => {
    const srv = await start({ tls: baseTls() });
    const raw = await RawConn.connect(srv.port);
    const info = await raw.info();
    raw.close();
    assert.equal(info.tls_required, true);
    const nc = await connect({ servers: srv.url, tls: { caFile: f('ca.pem') } });
    const sub = nc.subscribe('secure', { max: 1 });
    nc.publish('secure', 'hello');
    for await (const m of sub) assert.equal(m.string(), 'hello');
    const c = [...srv.server.clients.values()].at(-1)!;
    assert.match(c.tlsVersion, /^1\.[23]$/);
    assert.ok(c.tlsCipher.length > 0);
    await nc.close();
  });

  it('closes a plaintext client that ignores tls_required', async () => {
    const srv = await start({ tls: baseTls() });
    const raw = await RawConn.connect(srv.port);
    await raw.info();
    raw.send('CONNECT {}\r\nPING\r\n');
    const out = await raw.waitClosed(5000);
    assert.ok(!out.includes('PONG'), 'no plaintext protocol is served');
    assert.equal(raw.closed, true);
  });

  it('verify: rejects a client without a certificate, accepts one signed by the CA', async () => {
    const srv = await start({ tls: { ...baseTls(), verify: true, ca_file: f('ca.pem') } });
    await assert.rejects(connect({ servers: srv.url, tls: { caFile: f('ca.pem') }, reconnect: false }));
    const nc = await connect({ servers: srv.url, tls: { caFile: f('ca.pem'), certFile: f('client-cert.pem'), keyFile: f('client-key.pem') } });
    assert.equal(nc.info?.tls_verify, true);
    await nc.flush();
    await nc.close();
  });

  it('verify: refuses a client certificate the CA did not sign', async () => {
    const logs: string[] = [];
    const srv = await start({ tls: { ...baseTls(), verify: true, ca_file: f('ca.pem') }, no_log: true, logSink: (l: string) => logs.push(l) });
    await assert.rejects(async () => {
      const nc = await connect({ servers: srv.url, tls: { caFile: f('ca.pem'), certFile: f('untrusted-cert.pem'), keyFile: f('untrusted-key.pem') }, reconnect: false });
      await nc.flush();
    });
    assert.ok(logs.some((l) => l.includes('TLS handshake error')));
    assert.equal(srv.server.clients.size, 0);
  });

  it('handshake_first: TLS before INFO', async () => {
    const srv = await start({ tls: { ...baseTls(), handshake_first: true } });
    const nc = await connect({ servers: srv.url, tls: { caFile: f('ca.pem'), handshakeFirst: true } });
    await nc.flush();
    const c = [...srv.server.clients.values()].at(-1)!;
    assert.equal(c.tlsFirst, true);
    await nc.close();
  });

  it('allow_non_tls: plaintext and TLS clients both work', async () => {
    const srv = await start({ tls: baseTls(), allow_non_tls: true });
    const secure = await connect({ servers: srv.url, tls: { caFile: f('ca.pem') } });
    const sub = secure.subscribe('mixed', { max: 1 });
    await secure.flush();
    // nats.js upgrades whenever tls_available is set, so the plaintext side is a raw socket.
    const plain = await RawConn.connect(srv.port);
    const info = await plain.info();
    assert.equal(info.tls_available, true);
    assert.equal(info.tls_required, undefined);
    plain.send('CONNECT {"verbose":false}\r\nPUB mixed 9\r\nplaintext\r\n');
    assert.equal(await plain.flush(), '');
    for await (const m of sub) assert.equal(m.string(), 'plaintext');
    plain.close();
    await secure.close();
  });

  it('INFO TLS flags match the Go server', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async () => {
    const conf = `tls { cert_file: "${f('server-cert.pem')}", key_file: "${f('server-key.pem')}", ca_file: "${f('ca.pem')}", verify: true }\n`;
    const go = await startGoServer([], conf);
    try {
      const ours = await start({ tls: { ...baseTls(), verify: true, ca_file: f('ca.pem') } });
      const read = async (port: number) => {
        const r = await RawConn.connect(port);
        const i = await r.info();
        r.close();
        return { tls_required: i.tls_required, tls_verify: i.tls_verify, tls_available: i.tls_available };
      };
      assert.deepEqual(await read(ours.port), await read(go.port));
    } finally {
      await go.stop();
    }
  });
});
