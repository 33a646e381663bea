/**
 * The `mqtt {}` block (Go opts.go parseMQTT) and the start-up checks of Go's
 * validateMQTTOptions; the refusal texts are compared with Go 2.9.10's when
 * its binary is installed (the same config given to both CLIs).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/from-file.js';
import { defaultOptions, type Options } from '../../src/config/options.js';
import { validateMqttOptions } from '../../src/config/mqtt.js';
import { GO_SERVER_BIN, OURS_CMD } from '../helpers/go-server.js';

function withConf<T>(text: string, fn: (file: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'mqttconf-'));
  try {
    const f = join(dir, 'x.conf');
    writeFileSync(f, text.replaceAll('$DIR', dir));
    return fn(f, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = (text: string): Options => withConf(text, (f) => loadConfigFile(f, defaultOptions()));

/** The refusal of a config by a CLI: its message without the `nats-server: ` / `[FTL] ` prefix and file position. */
function refusal(cmd: string[], text: string): string {
  return withConf(text, (f) => {
    const r = spawnSync(cmd[0], [...cmd.slice(1), '-c', f, '-p', '-1'], { encoding: 'utf8', timeout: 5000 });
    const out = `${r.stderr}${r.stdout}`;
    const m = /(?:nats-server: |\[FTL\] )(.*)/.exec(out);
    return m ? m[1].replace(/^.*?\.conf:\d+:\d+: /, '').trim() : `(started: ${out.slice(0, 200)})`;
  });
}

const JS = 'server_name: x\njetstream { store_dir: "$DIR" }\n';

describe('mqtt config block', () => {
  it('parses every option of Go MQTTOpts', () => {
    const o = load(`${JS}
mqtt {
  listen: "127.0.0.1:1884"
  tls { cert_file: "c.pem", key_file: "k.pem", verify_and_map: true, timeout: 3 }
  authorization { username: u, password: p, timeout: 1.5 }
  ack_wait: "10s"
  js_api_timeout: "2s"
  max_inflight: 50
  js_domain: hub
  stream_replicas: 3
  consumer_replicas: 1
  consumer_memory_storage: true
  consumer_auto_cleanup: "1h"
  reject_qos2_publish: true
  downgrade_qos2_subscribe: true
}`);
    const m = o.mqtt!;
    assert.equal(m.host, '127.0.0.1');
    assert.equal(m.port, 1884);
    assert.equal(m.tls?.verify_and_map, true);
    assert.equal(m.tls?.verify, true);
    assert.equal(m.tls?.timeout, 3000);
    assert.deepEqual([m.username, m.password, m.auth_timeout], ['u', 'p', 1500]);
    assert.deepEqual([m.ack_wait, m.js_api_timeout, m.max_ack_pending, m.js_domain], [10_000, 2000, 50, 'hub']);
    assert.deepEqual([m.stream_replicas, m.consumer_replicas, m.consumer_memory_storage, m.consumer_inactive_threshold], [3, 1, true, 3_600_000]);
    assert.deepEqual([m.reject_qos2_publish, m.downgrade_qos2_subscribe], [true, true]);
    assert.deepEqual(o.unsupported, [], 'mqtt is no longer an unsupported option');
    const t = load(`${JS}mqtt { port: 1, host: "::1", no_auth_user: bob, authentication { token: t }, ack_wait: 5, max_ack_pending: 0 }`).mqtt!;
    assert.deepEqual([t.host, t.port, t.no_auth_user, t.token, t.ack_wait], ['::1', 1, 'bob', 't', 5000]);
  });

  it('refuses bad values at parse time with Go texts', () => {
    assert.throws(() => load(`${JS}mqtt { port: -1, max_ack_pending: 70000 }`), /x\.conf:3:18: invalid value 70000, should in \[0\.\.65535\] range/);
    assert.throws(() => load(`${JS}mqtt { port: -1, max_ack_pending: -1 }`), /invalid value -1, should in \[0\.\.65535\] range/);
    assert.throws(() => load(`${JS}mqtt { port: -1, foo: 1 }`), /x\.conf:3:18: unknown field "foo"/);
    assert.throws(() => load(`${JS}mqtt { port: -1, ack_wait: "abc" }`), /error parsing ack_wait: time: invalid duration "abc"/);
    assert.throws(() => load(`${JS}mqtt: 5`), /Expected mqtt to be a map, got int64/);
  });

  it('start-up checks (Go validateMQTTOptions)', () => {
    const check = (text: string): string => {
      try {
        validateMqttOptions(load(text));
        return 'ok';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.equal(check('jetstream { store_dir: "$DIR" }\nmqtt { port: -1 }'), 'mqtt requires server name to be explicitly set');
    assert.equal(check('server_name: x\nmqtt { port: -1 }'), 'mqtt requires JetStream to be enabled if running in standalone mode');
    assert.equal(check('server_name: x\nleafnodes { port: -1 }\nmqtt { port: -1 }'), 'ok', 'leaf nodes may bring JetStream');
    assert.equal(check('server_name: x\nmqtt { port: 0 }'), 'ok', 'no port: nothing to check');
    assert.equal(check(`${JS}mqtt { port: -1, no_auth_user: bob }`), 'no_auth_user: "bob" present, but users/nkeys are not defined');
    assert.equal(check(`${JS}authorization { users: [{user: a, password: b}] }\nmqtt { port: -1, no_auth_user: bob }`), 'no_auth_user: "bob" not present as user or nkey in authorization block or account configuration');
    assert.equal(check(`${JS}authorization { users: [{user: a, password: b}] }\nmqtt { port: -1, no_auth_user: a }`), 'ok');
    assert.equal(check(`${JS}authorization { users: [{user: a, password: b}] }\nmqtt { port: -1, authorization { username: x, password: y } }`), 'mqtt authentication username not compatible with presence of users/nkeys');
    assert.equal(check(`${JS}authorization { users: [{user: a, password: b}] }\nmqtt { port: -1, authorization { token: x } }`), 'mqtt authentication token not compatible with presence of users/nkeys');
    assert.equal(check(`${JS}mqtt { port: -1, ack_wait: "-1s" }`), 'ack wait must be a positive value');
    assert.equal(check(`${JS}mqtt { port: -1, js_api_timeout: "-1s" }`), 'JS API timeout must be a positive value');
    assert.equal(check(`${JS}mqtt { port: -1, stream_replicas: 1, consumer_replicas: 3 }`), 'mqtt: consumer_replicas (3) cannot be higher than stream_replicas (1)');
  });

  it('the CLIs refuse to start as Go 2.9.10 does (same texts)', { skip: GO_SERVER_BIN === undefined ? 'Go nats-server not installed' : false }, () => {
    const cases = [
      'jetstream { store_dir: "$DIR" }\nmqtt { port: -1 }',
      'server_name: x\nmqtt { port: -1 }',
      `${JS}authorization { users: [{user: a, password: b}] }\nmqtt { port: -1, authorization { username: x, password: y } }`,
      `${JS}authorization { users: [{user: a, password: b}] }\nmqtt { port: -1, authorization { token: x } }`,
      `${JS}mqtt { port: -1, ack_wait: "-1s" }`,
      `${JS}mqtt { port: -1, stream_replicas: 1, consumer_replicas: 3 }`,
      `${JS}mqtt { port: -1, max_ack_pending: 70000 }`,
      `${JS}mqtt { port: -1, foo: 1 }`,
      `${JS}mqtt: 5`,
    ];
    for (const c of cases) assert.equal(refusal(OURS_CMD, c), refusal([GO_SERVER_BIN!], c), c);
  });
});
