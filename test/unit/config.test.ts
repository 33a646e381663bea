import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, ConfMap } from '../../src/config/parser.js';
import { loadConfigFile, toPlain } from '../../src/config/from-file.js';
import { parseGoDuration } from '../../src/config/durations.js';
import { defaultOptions } from '../../src/config/options.js';

const plain = (text: string, env: NodeJS.ProcessEnv = {}) => toPlain(parseConfig(text, { file: 't.conf', env }));
const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/config');

function withFile(text: string, fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'conf-'));
  const p = join(dir, 's.conf');
  writeFileSync(p, text);
  try {
    fn(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('config syntax', () => {
  it('accepts the three key/value separators and terminators', () => {
    assert.deepEqual(plain('a = 1\nb: 2\nc 3; d: 4, e: five'), { a: 1, b: 2, c: 3, d: 4, e: 'five' });
  });

  it('parses blocks, nested blocks and a whole-file wrapper', () => {
    assert.deepEqual(plain('{ a { b: { c: true } } }'), { a: { b: { c: true } } });
    assert.deepEqual(plain('x: {\n  y: 1\n  z: [1, 2,\n 3,\n]\n}'), { x: { y: 1, z: [1, 2, 3] } });
  });

  it('parses arrays separated by commas or newlines, with maps inside', () => {
    assert.deepEqual(plain('a: [\n  {u: x}\n  {u: y},\n]'), { a: [{ u: 'x' }, { u: 'y' }] });
  });

  it('handles comments, quoting and escapes', () => {
    assert.deepEqual(plain('# c\na: "q\\t\\"x\\x41" // c\nb: \'raw\\n\'\nc: bare/path.conf # c'), { a: 'q\t"xA', b: 'raw\\n', c: 'bare/path.conf' });
  });

  it('keeps URLs and host:port as strings', () => {
    assert.deepEqual(plain('a: nats://host:4222\nb: 127.0.0.1:4222'), { a: 'nats://host:4222', b: '127.0.0.1:4222' });
  });

  it('knows booleans and size suffixes; durations stay strings', () => {
    assert.deepEqual(plain('a: yes\nb: OFF\nc: True'), { a: true, b: false, c: true });
    assert.deepEqual(plain('a: 1k\nb: 1kb\nc: 2MB\nd: 1mib\ne: 1G\nf: 1.5\ng: 2m30s\nh: -1'), {
      a: 1000, b: 1024, c: 2 * 1024 * 1024, d: 1024 * 1024, e: 1e9, f: 1.5, g: '2m30s', h: -1,
    });
  });

  it('reads raw block strings', () => {
    assert.deepEqual(plain('jwt: (\n  eyJ0eXAi\n  abc\n)\nx: 1'), { jwt: 'eyJ0eXAi\n  abc', x: 1 });
  });

  it('resolves variables from enclosing blocks, then the environment (re-parsed)', () => {
    assert.deepEqual(plain('P: 4222\nb { port: $P }'), { b: { port: 4222 } });
    assert.deepEqual(plain('b { P: 1\n c { x: $P } }'), { b: { c: { x: 1 } } });
    assert.deepEqual(plain('port: $MYPORT', { MYPORT: '4333' }), { port: 4333 });
    assert.throws(() => plain('port: $NOPE'), /t\.conf:1:7: variable reference for 'NOPE' on line 1 can not be found/);
  });

  it('does not treat a bcrypt hash as a variable', () => {
    const h = '$2a$11$4kPKsCD8Yd0hx6oLXoaXh.ysPgPcK1xrGZRi55e/GSiHq1s8XKt7K';
    assert.deepEqual(plain(`p: ${h}`), { p: h });
  });

  it('reports syntax errors with file:line:col', () => {
    assert.throws(() => plain('a {\n b: 1\n'), /t\.conf:\d+:\d+: unexpected EOF/);
    assert.throws(() => plain('a: "unterminated\n'), /t\.conf:1:4: unterminated quoted string/);
  });

  it('parses Go durations', () => {
    assert.equal(parseGoDuration('2m'), 120000);
    assert.equal(parseGoDuration('1h30m'), 5400000);
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.equal(parseGoDuration('500ms'), 500);
    assert.equal(parseGoDuration('10'), null);
    assert.equal(parseGoDuration('abc'), null);
  });
});

describe('config file -> options', () => {
  it('loads a realistic file with include and variables', () => {
    const o = loadConfigFile(join(fixtures, 'full.conf'), defaultOptions());
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, 4222);
    assert.equal(o.http_host, '127.0.0.1');
    assert.equal(o.http_port, 8222);
    assert.equal(o.server_name, 'nats-ts-1');
    assert.equal(o.max_payload, 2 * 1024 * 1024);
    assert.equal(o.max_control_line, 8192);
    assert.equal(o.ping_interval, 30000);
    assert.equal(o.ping_max, 3);
    assert.equal(o.write_deadline, 5000);
    assert.equal(o.lame_duck_duration, 45000);
    assert.deepEqual(o.tags, ['region:eu', 'az:1']);
    assert.deepEqual(o.metadata, { team: 'core', tier: '1' });
    assert.equal(o.auth_timeout, 1500);
    assert.equal(o.users.length, 3);
    assert.equal(o.nkeys.length, 1);
    assert.equal(o.users[0].password, 't0ps3cret');
    assert.deepEqual(o.users[0].permissions, { publish: { allow: ['orders.>'] }, subscribe: { allow: ['orders.>', '_INBOX.>'] } });
    assert.deepEqual(o.users[2].permissions?.allow_responses, { max: 5, expires: 60000 });
    assert.deepEqual(o.users[2].permissions?.publish, { allow: [] });
    assert.deepEqual(o.default_permissions, { publish: { deny: ['$SYS.>'] } });
    assert.deepEqual(o.nkeys[0].allowed_connection_types, ['STANDARD']);
    assert.equal((o.extra.cluster as Record<string, unknown>).name, 'c1');
    assert.match(o.config_digest!, /^sha256:[0-9a-f]{64}$/);
  });

  it('rejects unknown fields with their position, except used variables', () => {
    withFile('port: 4222\n  bogus: 1\n', (p) => assert.throws(() => loadConfigFile(p, defaultOptions()), new RegExp(`${p}:2:3: unknown field "bogus"`)));
    withFile('authorization {\n  tokn: x\n}\n', (p) => assert.throws(() => loadConfigFile(p, defaultOptions()), /:2:3: unknown field "tokn"/));
    withFile('MYVAR: 5\nmax_subs: $MYVAR\n', (p) => assert.equal(loadConfigFile(p, defaultOptions()).max_subscriptions, 5));
  });

  it('applies Go rules: max_connections 0 means reject all, integer durations are seconds, limits checked', () => {
    withFile('max_connections: 0\nping_interval: 60\n', (p) => {
      const o = loadConfigFile(p, defaultOptions());
      assert.equal(o.max_connections, -1);
      assert.equal(o.ping_interval, 60000);
    });
    withFile('max_payload: 100MB\nmax_pending: 10MB\n', (p) => assert.throws(() => loadConfigFile(p, defaultOptions()), /max_payload .* cannot be higher than max_pending/));
    withFile('lame_duck_duration: "5s"\n', (p) => assert.throws(() => loadConfigFile(p, defaultOptions()), /minimum is 30 seconds/));
    withFile('listen: 4333\n', (p) => assert.equal(loadConfigFile(p, defaultOptions()).port, 4333));
    withFile('tls { cert_file: a }\n', (p) => assert.throws(() => loadConfigFile(p, defaultOptions()), /missing 'cert_file' or 'key_file'/));
    withFile('authorization { token: t, user: u }\n', (p) => assert.throws(() => loadConfigFile(p, defaultOptions()), /Cannot have a user\/pass and token/));
  });

  it('accepts keys of not-yet-implemented subsystems', () => {
    withFile('websocket { port: 8080 }\nmqtt { port: 1883 }\naccounts { A: { users: [{user: a, password: b}] } }\nsystem_account: SYS\n', (p) => {
      const o = loadConfigFile(p, defaultOptions());
      assert.equal(o.websocket?.port, 8080, 'websocket {} is parsed into its own options now');
      assert.equal(o.extra.websocket, undefined);
      assert.equal(o.mqtt?.port, 1883, 'mqtt {} is parsed into its own options now');
      assert.equal(o.extra.mqtt, undefined);
      assert.equal(o.system_account, 'SYS');
      assert.deepEqual(o.accounts.map((a) => a.name), ['A']);
      assert.deepEqual(o.users.map((u) => [u.user, u.account]), [['a', 'A']]);
    });
  });

  it('ConfMap records key positions', () => {
    const m = parseConfig('a: 1\n  b: 2', { file: 'x' });
    assert.ok(m instanceof ConfMap);
    assert.deepEqual(m.keyPos.get('b'), { file: 'x', line: 2, col: 3 });
  });
});
