/**
 * MQTT over TLS (Go: the handshake first, no INFO): `mqtt { tls {} }` with
 * user/password, and `verify_and_map` logging a client in as the user named
 * by its verified certificate (Go checkClientTLSCertSubject: e-mail, DNS
 * and URI names, then the RFC 2253 subject).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { collect, endAll, mqttConnect, RawMqtt, startMqtt } from '../helpers/mqtt.js';
import * as E from '../../src/mqtt/codec/encode.js';
import { waitFor } from '../helpers/wait.js';
import { CA_FILE, serverTls, TLS_DIR } from '../helpers/tls.js';

const ca = readFileSync(CA_FILE);
const cert = readFileSync(join(TLS_DIR, 'client-cert.pem'));
const key = readFileSync(join(TLS_DIR, 'client-key.pem'));

describe('MQTT over TLS', () => {
  it('mqtts with user name and password; a plain TCP client gets nothing', async (t) => {
    const s = await startMqtt({ users: [{ user: 'u', password: 'p' }], mqttOpts: { tls: serverTls() } });
    t.after(() => s.stop());
    const c = await mqttConnect(`mqtts://localhost:${s.port}`, { clientId: 'tls', username: 'u', password: 'p', ca });
    t.after(() => endAll(c));
    const got = collect(c);
    await c.subscribeAsync('t/#', { qos: 1 });
    await c.publishAsync('t/x', 'over tls', { qos: 1 });
    await waitFor(() => got.length === 1);
    const connz = await s.srv.server.clients;
    const mq = [...connz.values()].find((x) => x.mqttClient === 'tls')!;
    assert.match(mq.tlsVersion, /^TLSv1\.[23]$/);
    const plain = await RawMqtt.open(s.port);
    plain.send(E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean: true, keepAlive: 0, clientId: 'plain', will: null, username: 'u', password: Buffer.from('p'), properties: {} }));
    await plain.waitClosed();
    assert.equal(plain.packets.length, 0);
  });

  it('verify_and_map: the certificate subject names the user (permissions apply); a certificate naming no user is refused', async (t) => {
    const s = await startMqtt({
      users: [{ user: 'CN=test-client', permissions: { publish: { allow: ['mapped.>'] }, subscribe: { allow: ['mapped.>', 'mapped'] } } }],
      mqttOpts: { tls: serverTls({ ca_file: CA_FILE, verify: true, verify_and_map: true }) },
    });
    t.after(() => s.stop());
    const c = await mqttConnect(`mqtts://localhost:${s.port}`, { clientId: 'mapped', ca, cert, key });
    t.after(() => endAll(c));
    const got = collect(c);
    await c.subscribeAsync('mapped/#', { qos: 1 });
    await c.publishAsync('mapped/x', 'ok', { qos: 1 });
    await c.publishAsync('other', 'dropped', { qos: 1 });
    await waitFor(() => got.length === 1);
    const mq = [...s.srv.server.clients.values()].find((x) => x.mqttClient === 'mapped')!;
    assert.equal(mq.authorizedUser, 'CN=test-client');
    // without a client certificate the handshake fails (verify)
    const failed = await new Promise<boolean>((resolve) => {
      const sock = tls.connect({ host: 'localhost', port: s.port, ca }, () => {
        sock.write(Buffer.from([0xc0, 0]));
      });
      sock.on('data', () => resolve(false));
      sock.on('error', () => resolve(true));
      sock.on('close', () => resolve(true));
    });
    assert.equal(failed, true);
    const other = await startMqtt({ users: [{ user: 'CN=someone-else' }], mqttOpts: { tls: serverTls({ ca_file: CA_FILE, verify: true, verify_and_map: true }) } });
    t.after(() => other.stop());
    await assert.rejects(mqttConnect(`mqtts://localhost:${other.port}`, { clientId: 'x', ca, cert, key }), /Not authorized/);
  });
});
