/**
 * The `leafnodes {}` config block: what it sets, and Go's errors for bad
 * values (texts checked against Go 2.9.10's `nats-server -t`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/from-file.js';
import { defaultOptions, type Options } from '../../src/config/options.js';

function load(text: string): Options {
  const dir = mkdtempSync(join(tmpdir(), 'leafconf-'));
  const p = join(dir, 's.conf');
  writeFileSync(p, text);
  try {
    return loadConfigFile(p, defaultOptions());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('leafnodes config block', () => {
  it('parses listen, authorization, reconnect and remotes (alias leaf)', () => {
    const o = load(`leaf {
      listen: "127.0.0.1:-1"
      advertise: "example.com:7422"
      no_advertise: true
      reconnect: "250ms"
      authorization { timeout: 3, users [ { user: x, password: y, account: A } ] }
      remotes [
        { urls: ["nats-leaf://u:p@h:1", "nats-leaf://h2:2"], account: A, credentials: "/tmp/x.creds", deny_imports: "x.>", deny_exports: ["y", "z.*"], hub: true, first_info_timeout: "3s" }
        { url: "nats-leaf://h3:3" }
      ]
    }
    accounts { A {} }`);
    const l = o.leafnodes!;
    assert.equal(l.host, '127.0.0.1');
    assert.equal(l.port, -1);
    assert.equal(l.advertise, 'example.com:7422');
    assert.equal(l.no_advertise, true);
    assert.equal(l.reconnect, 250);
    assert.equal(l.auth_timeout, 3000);
    assert.deepEqual(l.users, [{ user: 'x', password: 'y', account: 'A' }]);
    assert.equal(l.remotes.length, 2);
    const r = l.remotes[0];
    assert.deepEqual(r.urls, ['nats-leaf://u:p@h:1', 'nats-leaf://h2:2']);
    assert.equal(r.account, 'A');
    assert.equal(r.credentials, '/tmp/x.creds');
    assert.deepEqual(r.deny_imports, ['x.>']);
    assert.deepEqual(r.deny_exports, ['y', 'z.*']);
    assert.equal(r.hub, true);
    assert.equal(r.first_info_timeout, 3000);
    assert.deepEqual(l.remotes[1].urls, ['nats-leaf://h3:3']);
    assert.equal(l.remotes[1].first_info_timeout, 1000);
    assert.equal(o.extra.leaf, undefined);
  });

  const bad: [string, string][] = [
    ['leafnodes: 1', 'Expected map to define a leafnode, got int64'],
    ['leafnodes { remotes: "x" }', 'Expected remotes field to be an array, got string'],
    ['leafnodes { authorization { user: a, password: b, users: [{user: c, password: d}] } }', 'can not have a single user/pass and a users array'],
    ['leafnodes { foo: 1 }', 'unknown field "foo"'],
    ['leafnodes { authorization { users: [{user: c, password: d},{user: c, password: e}] } }', 'duplicate user "c" detected in leafnode authorization'],
    ['leafnodes { remotes [ { url: "nats://a b" } ] }', 'error parsing leafnode url ["nats://a b"]'],
    ['leafnodes { remotes [ { bogus: 1 } ] }', 'unknown field "bogus"'],
    ['leafnodes { remotes [ "x" ] }', 'Expected remote leafnode entry to be a map/struct, got x'],
  ];
  for (const [text, msg] of bad) {
    it(`rejects ${text}`, () => {
      assert.throws(() => load(text + '\n'), (e: Error) => e.message.endsWith(': ' + msg));
    });
  }
});
