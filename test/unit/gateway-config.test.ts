/**
 * `gateway {}` turned into the gateway layer's options (Go parseGateway,
 * parseGateways, validateGatewayOptions): keys, defaults and the error texts
 * Go 2.9.10 stops with at start-up (checked by starting it on each config).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayOptions } from '../../src/config/gateway.js';
import { clusterOptions } from '../../src/config/cluster.js';
import { defaultOptions, type Options } from '../../src/config/options.js';

function withExtra(extra: Record<string, unknown>): Options {
  return { ...defaultOptions(), extra };
}

describe('gateway options', () => {
  it('is off without a gateway block, name and port', () => {
    assert.equal(gatewayOptions(defaultOptions()), null);
    assert.equal(gatewayOptions(withExtra({ gateway: {} })), null);
  });

  it('reads every key', () => {
    const g = gatewayOptions(withExtra({
      gateway: {
        name: 'A', listen: '127.0.0.1:7222', advertise: 'gw.example.com:7000', connect_retries: 3, connect_backoff: true,
        authorization: { user: 'gw', password: 'pw', timeout: 1.5 }, reject_unknown_cluster: true,
        gateways: [{ name: 'B', url: 'nats://10.0.0.1:7222' }, { name: 'C', urls: ['nats://u:p@10.0.0.2:7222', '10.0.0.3:7222'] }],
      },
    }))!;
    assert.equal(g.name, 'A');
    assert.equal(g.host, '127.0.0.1');
    assert.equal(g.port, 7222);
    assert.equal(g.advertise, 'gw.example.com:7000');
    assert.equal(g.connect_retries, 3);
    assert.equal(g.connect_backoff, true);
    assert.equal(g.reject_unknown, true);
    assert.deepEqual([g.username, g.password, g.auth_timeout], ['gw', 'pw', 1.5]);
    assert.deepEqual(g.gateways.map((r) => [r.name, r.urls.map((u) => u.host)]), [['B', ['10.0.0.1:7222']], ['C', ['10.0.0.2:7222', '10.0.0.3:7222']]]);
    assert.equal(g.gateways[1].urls[0].username, 'u');
    assert.equal(gatewayOptions(withExtra({ gateway: { name: 'A', port: -1, reject_unknown: true } }))!.reject_unknown, true);
  });

  it('refuses what Go refuses, with its texts', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ gateway: { listen: '127.0.0.1:-1' } }, 'gateway has no name'],
      [{ gateway: { name: 'A' } }, 'gateway "A" has no port specified (select -1 for random port)'],
      [{ gateway: { name: 'A', port: -1, gateways: [{ name: 'B' }] } }, 'gateway "B" has no URL'],
      [{ gateway: { name: 'A', port: -1, gateways: [{ url: 'nats://h:1' }] } }, 'gateway in the list 0 has no name'],
      [{ gateway: { name: 'A', port: -1 }, cluster: { name: 'X', port: -1 } }, 'cluster name conflicts between cluster and gateway definitions'],
      // newest release (2.9.10 accepts it)
      [{ gateway: { name: 'a b', port: -1 } }, 'gateway name cannot contain spaces'],
      [{ gateway: { name: 'A', port: -1, foo: 1 } }, 'unknown field "foo"'],
      [{ gateway: { name: 'A', port: -1, authorization: { token: 'x' } } }, 'Gateway authorization does not support tokens'],
      [{ gateway: { name: 'A', port: -1, tls: { cert_file: '/x.pem' } } }, "missing 'key_file' in TLS configuration"],
      [{ gateway: { name: 'A', port: -1, gateways: [{ name: 'B', url: 'nats://h:1', tls: { key_file: '/k.pem' } }] } }, "missing 'cert_file' in TLS configuration"],
    ];
    for (const [extra, text] of bad) assert.throws(() => gatewayOptions(withExtra(extra)), (e: Error) => e.message === text, text);
  });

  it('gives a cluster without a name the gateway name', () => {
    const c = clusterOptions(withExtra({ gateway: { name: 'A', port: -1 }, cluster: { port: -1 } }))!;
    assert.equal(c.name, 'A');
  });
});
