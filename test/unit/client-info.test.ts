import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientInfoTemplate, infoToJSON, type ServerInfo } from '../../src/server/info.js';
import { generateNonce } from '../../src/auth/nkeys.js';

const base: ServerInfo = {
  server_id: 'NABC', server_name: 'n1', version: '2.14.5', proto: 1, go: 'node20', host: '0.0.0.0', port: 4222,
  headers: true, max_payload: 1048576,
};

describe('ClientInfoTemplate (accept-time INFO)', () => {
  const cases: [string, Partial<ServerInfo>][] = [
    ['plain', {}],
    ['auth, tls, jetstream', { auth_required: true, tls_required: true, tls_available: false, jetstream: true }],
    ['cluster and connect_urls after the client fields', { cluster: 'c1', connect_urls: ['127.0.0.1:4222', '127.0.0.1:4223'], ldm: true, api_lvl: 1 }],
  ];
  for (const [name, extra] of cases) {
    for (const ip of ['127.0.0.1', '::1', '']) {
      for (const nonce of [null, generateNonce()]) {
        it(`${name}, ip ${JSON.stringify(ip)}, ${nonce ? 'nonce' : 'no nonce'}: same text as infoToJSON`, () => {
          const info: ServerInfo = { ...base, ...extra };
          const t = new ClientInfoTemplate(info);
          const full: ServerInfo = { ...info, client_id: 42, client_ip: ip, nonce: nonce ?? undefined };
          assert.equal(t.line(42, ip, nonce), `INFO ${infoToJSON(full)}\r\n`);
        });
      }
    }
  }

  it('nonces are 15 base64url characters and do not repeat across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const n = generateNonce();
      assert.match(n, /^[A-Za-z0-9_-]{15}$/);
      seen.add(n);
    }
    assert.equal(seen.size, 2000);
  });
});
