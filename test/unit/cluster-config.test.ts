/**
 * `cluster {}` and the cluster flags turned into the route layer's options
 * (Go parseCluster / overrideCluster): defaults, every accepted key, flags
 * over the file, and Go's error texts for values it refuses.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterOptions } from '../../src/config/cluster.js';
import { parseArgs } from '../../src/config/cli.js';
import { defaultOptions, type Options } from '../../src/config/options.js';
import { ConfigError } from '../../src/util/errors.js';

function withExtra(extra: Record<string, unknown>): Options {
  return { ...defaultOptions(), extra };
}

describe('cluster options', () => {
  it('is off without a cluster listener', () => {
    assert.equal(clusterOptions(defaultOptions()), null);
    assert.equal(clusterOptions(withExtra({ cluster: { name: 'x' } })), null);
  });

  it('reads every key of the block', () => {
    const c = clusterOptions(withExtra({
      cluster: {
        name: 'c1', listen: '127.0.0.1:6333', advertise: 'example.com:7000', no_advertise: true,
        routes: ['nats-route://u:p@10.0.0.1:6222', 'nats://10.0.0.2:6222'],
        authorization: { user: 'ruser', password: 'rpass', timeout: 3 },
        connect_retries: 4, pool_size: 1, pinned_accounts: ['A'], compression: 'off', tls: { cert_file: 'c.pem', key_file: 'k.pem', timeout: 5 }, connect_backoff: true,
      },
    }))!;
    assert.equal(c.name, 'c1');
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 6333);
    assert.equal(c.advertise, 'example.com:7000');
    assert.equal(c.no_advertise, true);
    assert.deepEqual(c.routes.map((u) => u.host), ['10.0.0.1:6222', '10.0.0.2:6222']);
    assert.equal(c.routes[0].username, 'u');
    assert.equal(c.username, 'ruser');
    assert.equal(c.password, 'rpass');
    assert.equal(c.auth_timeout, 3);
    assert.equal(c.connect_retries, 4);
    assert.equal(c.pool_size, 1);
    assert.deepEqual(c.pinned_accounts, ['A']);
    assert.equal(c.compression, 'off');
    assert.equal(c.tls_timeout, 5);
    assert.equal(c.tls?.cert_file, 'c.pem');
    assert.equal(c.connect_backoff, true);
  });

  it('host and port as separate keys; Go defaults', () => {
    const c = clusterOptions(withExtra({ cluster: { host: '127.0.0.1', port: -1 } }))!;
    assert.equal(c.port, -1);
    assert.equal(c.name, '');
    assert.equal(c.pool_size, 3);
    assert.equal(c.connect_retries, 0);
    assert.equal(c.no_advertise, false);
  });

  it('takes the flags over the file', () => {
    const r = parseArgs(['--cluster', 'nats://ru:rp@127.0.0.1:-1', '--routes', 'nats-route://127.0.0.1:7001,nats-route://127.0.0.1:7002', '--cluster_name', 'flagged', '--cluster_advertise', 'adv:1', '--no_advertise', '--connect_retries', '7']);
    const o = { ...defaultOptions(), extra: { cluster: { name: 'file', listen: '0.0.0.0:9999' }, ...r.overrides.extra } };
    const c = clusterOptions(o)!;
    assert.equal(c.name, 'flagged');
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, -1);
    assert.equal(c.username, 'ru');
    assert.equal(c.password, 'rp');
    assert.equal(c.advertise, 'adv:1');
    assert.equal(c.no_advertise, true);
    assert.equal(c.connect_retries, 7);
    assert.deepEqual(c.routes.map((u) => u.port), ['7001', '7002']);
  });

  it('refuses what Go refuses, with Go\'s texts', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ listen: '127.0.0.1:-1', foo: 1 }, 'unknown field "foo"'],
      [{ listen: '127.0.0.1:-1', routes: ['nats://:::bad'] }, 'error parsing route url ["nats://:::bad"]'],
      [{ listen: '127.0.0.1:-1', authorization: { users: [{ user: 'a', password: 'b' }] } }, 'Cluster authorization does not allow multiple users'],
      [{ listen: '127.0.0.1:-1', name: 'a b' }, 'cluster name cannot contain spaces or new lines'],
    ];
    for (const [block, msg] of bad) {
      assert.throws(() => clusterOptions(withExtra({ cluster: block })), (e: unknown) => e instanceof ConfigError && e.message === msg, msg);
    }
  });
});
