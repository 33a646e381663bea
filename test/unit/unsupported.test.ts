/**
 * The table of Go options accepted but not acted on (config/unsupported.ts),
 * its detection in a parsed config and on the command line, and the
 * plaintext password check (Go checkAuthforWarnings).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../../src/config/from-file.js';
import { parseConfig } from '../../src/config/parser.js';
import { clusterOptions } from '../../src/config/cluster.js';
import { gatewayOptions } from '../../src/config/gateway.js';
import { defaultOptions, type Options } from '../../src/config/options.js';
import { parseArgs, mergeOptions } from '../../src/config/cli.js';
import { UNSUPPORTED_OPTIONS, UNSUPPORTED_FLAGS, findUnsupported, unsupportedWarning } from '../../src/config/unsupported.js';
import { hasPlaintextPasswords } from '../../src/auth/auth-warnings.js';

const FIXTURE = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/config/go-unsupported.conf');
const BCRYPT = '$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG';

/** A table path as a regular expression over reported paths. */
function patternRe(path: string): RegExp {
  const segs = path.split('.').map((s) => {
    const names = s.replace(/\[\]$/, '').split('|');
    return names.includes('*') ? '[^.]+' : `(?:${names.map((n) => n.replace(/[^a-z0-9_]/gi, '\\$&')).join('|')})`;
  });
  return new RegExp(`^${segs.join('\\.')}$`, 'i');
}

function withConf<T>(text: string, fn: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'unsup-'));
  try {
    const f = join(dir, 'x.conf');
    writeFileSync(f, text);
    return fn(f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = (text: string): Options => withConf(text, (f) => loadConfigFile(f, defaultOptions()));
const names = (o: Options): string[] => o.unsupported.map((u) => u.name);

describe('unsupported options table', () => {
  it('paths are unique and well formed', () => {
    const paths = UNSUPPORTED_OPTIONS.map((u) => u.path);
    assert.equal(new Set(paths).size, paths.length);
    for (const u of UNSUPPORTED_OPTIONS) {
      assert.match(u.path, /^[a-z0-9_|*]+(\[\])?(\.[a-z0-9_|*]+(\[\])?)*$/, u.path);
      assert.ok(u.go.length > 0, u.path);
    }
  });

  it('a Go config using every entry loads, and each entry is reported once', () => {
    const o = loadConfigFile(FIXTURE, defaultOptions());
    // the blocks parsed at launch accept them too
    clusterOptions(o);
    gatewayOptions(o);
    const reported = names(o);
    assert.equal(new Set(reported).size, reported.length, 'no duplicates');
    for (const u of UNSUPPORTED_OPTIONS) {
      const re = patternRe(u.path);
      const hits = reported.filter((r) => re.test(r));
      assert.equal(hits.length, 1, `${u.path}: ${JSON.stringify(hits)}`);
    }
    for (const r of reported) assert.ok(UNSUPPORTED_OPTIONS.some((u) => patternRe(u.path).test(r)), r);
    assert.ok(o.unsupported.every((u) => u.kind === 'config'));
  });

  it('names keys as written: the user spelling, aliases, account names, no array index', () => {
    const o = load(`
Prof_Port: 6060
leaf { remotes: [ { url: "nats://127.0.0.1:1", websocket_no_masking: true }, { url: "nats://127.0.0.1:2", websocket_no_masking: true } ] }
accounts { ORDERS: { trace_dest: "t" } }
Log_Size_Limit: 100
`);
    assert.deepEqual(names(o), ['Prof_Port', 'leaf.remotes.websocket_no_masking', 'accounts.ORDERS.trace_dest', 'Log_Size_Limit']);
  });

  it('reports nothing for a config of supported keys, nor for variables', () => {
    const o = load(`
pmqtt = 1883
port: $pmqtt
tls { cert_file: "c.pem", key_file: "k.pem", handshake_first: true, timeout: 2 }
leafnodes { port: -1, isolate: true, remotes: [ { url: "nats://127.0.0.1:1", tls: { ca_file: "ca.pem" } } ] }
jetstream { max_mem: 1MB, sync_interval: always, limits: { max_request_batch: 10 } }
`);
    assert.deepEqual(o.unsupported, []);
  });

  it('findUnsupported walks a parsed tree directly', () => {
    const tree = parseConfig('cluster { ping_max: 3, tls: { cert_file: a, key_file: b, pinned_certs: [] } }\nprof_port: 1\n', { file: 'x' });
    assert.deepEqual(findUnsupported(tree), ['cluster.ping_max', 'cluster.tls.pinned_certs', 'prof_port']);
  });

  it('keys neither server knows still fail, as Go fails', () => {
    assert.throws(() => load('bogus: 1\n'), /unknown field "bogus"/);
    assert.throws(() => load('leafnodes { bogus: 1 }\n'), /unknown field "bogus"/);
    assert.throws(() => load('jetstream { max_catchup: 1 }\n'), /unknown field "max_catchup"/);
    assert.throws(() => load('jetstream { limits: { max_request_expires: "1s" } }\n'), /unknown field "max_request_expires"/);
    assert.throws(() => load('tls { cert_file: a, key_file: b, bogus: 1 }\n'), /unknown field "bogus"/);
    assert.throws(() => clusterOptions(load('cluster { port: -1, authorization { user: a, password: b, bogus: 1 } }\n')), /unknown field "bogus"/);
    assert.throws(() => gatewayOptions(load('gateway { name: A, port: -1, authorization { user: a, password: b, bogus: 1 } }\n')), /unknown field "bogus"/);
    assert.throws(() => gatewayOptions(load('gateway { name: A, port: -1, tls { cert_file: a, key_file: b, bogus: 1 } }\n')), /error parsing tls config, unknown field "bogus"/);
    assert.throws(() => clusterOptions(load('cluster { port: -1, authorization { auth_callout: { issuer: x } } }\n')), /Cluster authorization does not support callouts/);
  });

  it('cluster authorization default_permissions apply as the route permissions (Go: deprecated spelling)', () => {
    const c = clusterOptions(load('cluster { port: -1, authorization { user: a, password: b, default_permissions: { import: "foo.>" } } }\n'));
    assert.deepEqual(c?.permissions, { import: { allow: ['foo.>'] } });
  });

  it('the warning wording', () => {
    assert.equal(unsupportedWarning({ kind: 'config', name: 'mqtt' }), 'Config option "mqtt" is not supported by this server and is ignored');
    assert.equal(unsupportedWarning({ kind: 'flag', name: '--syslog' }), 'Command line flag "--syslog" is not supported by this server and is ignored');
  });
});

describe('unsupported command line flags', () => {
  it('are listed in the overrides, once each, with their long name', () => {
    const r = parseArgs(['-s', '--syslog', '-r', 'udp://h:514', '--profile', '6060', '-ms', '8443', '--log_size_limit', '10', '-p', '1']);
    assert.deepEqual(r.overrides.unsupported?.map((u) => u.name).sort(), [...UNSUPPORTED_FLAGS.values()].sort());
    assert.equal(parseArgs(['-p', '1', '-DV']).overrides.unsupported, undefined);
  });

  it('add to what the config file reported', () => {
    const file = load('prof_port: 1\n');
    const merged = mergeOptions(file, parseArgs(['--syslog']).overrides);
    assert.deepEqual(merged.unsupported, [{ kind: 'config', name: 'prof_port' }, { kind: 'flag', name: '--syslog' }]);
  });
});

describe('plaintext passwords (Go checkAuthforWarnings)', () => {
  const cases: [string, string, boolean][] = [
    ['single user with a plain password', 'authorization { user: a, password: b }', true],
    ['single user with a bcrypt password', `authorization { user: a, password: "${BCRYPT}" }`, false],
    ['users with a plain password', 'authorization { users: [ { user: a, password: b } ] }', true],
    ['users all bcrypt', `authorization { users: [ { user: a, password: "${BCRYPT}" }, { user: b, password: "${BCRYPT}" } ] }`, false],
    ['one plain among bcrypt', `authorization { users: [ { user: a, password: "${BCRYPT}" }, { user: b, password: c } ] }`, true],
    ['account users with a plain password', 'accounts { A: { users: [ { user: a, password: b } ] } }', true],
    ['a user without a password', 'authorization { users: [ { user: a } ] }', true],
    ['a user without a password, certificates mapped', 'tls { cert_file: c, key_file: k, verify_and_map: true }\nauthorization { users: [ { user: a } ] }', false],
    ['a password left beside certificate mapping', 'tls { cert_file: c, key_file: k, verify_and_map: true }\nauthorization { users: [ { user: a, password: b } ] }', true],
    ['mapping only on a listener the user may not use', 'tls { cert_file: c, key_file: k, verify_and_map: true }\nauthorization { users: [ { user: a, allowed_connection_types: ["WEBSOCKET"] } ] }', true],
    ['websocket mapping for a websocket user', 'websocket { port: -1, tls: { cert_file: c, key_file: k, verify_and_map: true } }\nauthorization { users: [ { user: a, allowed_connection_types: ["WEBSOCKET"] } ] }', false],
    ['leafnode mapping for the users table', 'leafnodes { port: -1, tls: { cert_file: c, key_file: k, verify_and_map: true } }\nauthorization { users: [ { user: a } ] }', false],
    ['leafnode mapping with leaf credentials of its own', 'leafnodes { port: -1, tls: { cert_file: c, key_file: k, verify_and_map: true }, authorization: { user: l, password: "' + BCRYPT + '" } }\nauthorization { users: [ { user: a } ] }', true],
    ['nkeys only', 'authorization { users: [ { nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 } ] }', false],
    ['a token', 'authorization { token: s3cr3t }', false],
    ['leafnode credentials only', 'leafnodes { port: -1, authorization: { user: a, password: b } }', false],
    ['websocket credentials only', 'websocket { port: -1, no_tls: true, authorization: { user: a, password: b } }', false],
    ['cluster credentials only', 'cluster { port: -1, authorization: { user: a, password: b } }', false],
    ['no authorization', 'port: 4222', false],
  ];
  for (const [name, conf, want] of cases) {
    it(`${name}: ${want ? 'warns' : 'no warning'}`, () => assert.equal(hasPlaintextPasswords(load(conf + '\n')), want));
  }

  it('--user/--pass on the command line', () => {
    const o = mergeOptions(defaultOptions(), parseArgs(['--user', 'a', '--pass', 'b']).overrides);
    assert.equal(hasPlaintextPasswords(o), true);
    const b = mergeOptions(defaultOptions(), parseArgs(['--user', 'a', '--pass', BCRYPT]).overrides);
    assert.equal(hasPlaintextPasswords(b), false);
  });
});
