/**
 * Start-up warnings of the nats-server binary: every Go option it accepts
 * but ignores is named (config/unsupported.ts), and Go's "Plaintext
 * passwords detected" warning appears under the same conditions as in the
 * Go server (differential against 2.9.10, on the cases where 2.9.10 and the
 * newest release agree).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GO_SERVER_BIN, OURS_CMD, startGoServer, type GoServer } from '../helpers/go-server.js';
import { TLS_DIR } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const PLAINTEXT = /^\[\d+\] \S+ \S+ \[WRN\] Plaintext passwords detected, use nkeys or bcrypt$/m;
const BCRYPT = '$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG';

/** Start, wait for the end of start-up, return the log and stop. */
async function startupLog(args: string[], config: string | undefined, cmd?: string[]): Promise<string> {
  const s: GoServer = await startGoServer(args, config, cmd);
  try {
    await waitFor(() => s.logs().includes('Server is ready'), 10000);
    return s.logs();
  } finally {
    await s.stop();
  }
}

/** The [WRN] lines of a log, without pid and time. */
function warnings(log: string): string[] {
  return log.split('\n').filter((l) => l.includes('[WRN]')).map((l) => l.replace(/^.*?\[WRN\] /, ''));
}

/** PING on the client port answers PONG. */
async function pingPong(port: number): Promise<void> {
  const sock = createConnection({ port, host: '127.0.0.1' });
  try {
    let buf = '';
    sock.on('data', (d) => (buf += d.toString()));
    await waitFor(() => buf.startsWith('INFO '), 5000);
    sock.write('CONNECT {"verbose":false}\r\nPING\r\n');
    await waitFor(() => buf.includes('PONG\r\n'), 5000);
  } finally {
    sock.destroy();
  }
}

describe('start-up warnings for options accepted but not supported', () => {
  it('names each unsupported config key and flag in a [WRN] line, and still serves clients', async (t) => {
    const store = mkdtempSync(join(tmpdir(), 'unsup-js-'));
    t.after(() => rmSync(store, { recursive: true, force: true }));
    const conf = `
prof_port: 6060
syslog: true
ocsp { mode: always }
proxy_protocol: true
jetstream { store_dir: "${store}", cipher: chachapoly, key: "s3cr3t" }
cluster { listen: "127.0.0.1:-1", ping_max: 3 }
leafnodes { listen: "127.0.0.1:-1", compression: s2_auto }
websocket { listen: "127.0.0.1:-1", no_tls: true, ping_interval: "30s" }
`;
    const s = await startGoServer(['--syslog', '--profile', '6060'], conf, OURS_CMD);
    try {
      await waitFor(() => s.logs().includes('Server is ready'), 10000);
      await pingPong(s.port);
      // (the cluster name and plain websocket warnings of Go come too)
      assert.deepEqual(warnings(s.logs()).filter((w) => w.includes('is not supported')), [
        'Config option "prof_port" is not supported by this server and is ignored',
        'Config option "syslog" is not supported by this server and is ignored',
        'Config option "ocsp" is not supported by this server and is ignored',
        'Config option "proxy_protocol" is not supported by this server and is ignored',
        'Config option "jetstream.cipher" is not supported by this server and is ignored',
        'Config option "jetstream.key" is not supported by this server and is ignored',
        'Config option "cluster.ping_max" is not supported by this server and is ignored',
        'Config option "leafnodes.compression" is not supported by this server and is ignored',
        'Config option "websocket.ping_interval" is not supported by this server and is ignored',
        'Command line flag "--syslog" is not supported by this server and is ignored',
        'Command line flag "--profile" is not supported by this server and is ignored',
      ]);
      // the warnings come with the banner, before the listeners
      const log = s.logs();
      assert.ok(log.indexOf('is not supported') > log.indexOf('  ID:'), log);
      assert.ok(log.indexOf('is not supported') < log.indexOf('Listening for client connections'), log);
    } finally {
      await s.stop();
    }
  });

  it('a config of supported keys logs no warning', async () => {
    const log = await startupLog([], 'max_payload: 2MB\nping_interval: "30s"\nauthorization { token: s3cr3t }\n', OURS_CMD);
    assert.deepEqual(warnings(log), []);
  });
});

const tls = `tls { cert_file: "${join(TLS_DIR, 'server-cert.pem')}", key_file: "${join(TLS_DIR, 'server-key.pem')}", ca_file: "${join(TLS_DIR, 'ca.pem')}", verify_and_map: true }`;

/** [name, flags, config, Go warns] */
const CASES: [string, string[], string | undefined, boolean][] = [
  ['single user, plain password', [], 'authorization { user: a, password: b }', true],
  ['single user, bcrypt password', [], `authorization { user: a, password: "${BCRYPT}" }`, false],
  ['--user/--pass flags', ['--user', 'a', '--pass', 'b'], undefined, true],
  ['users table, one plain password', [], `authorization { users: [ { user: a, password: "${BCRYPT}" }, { user: b, password: c } ] }`, true],
  ['users table, all bcrypt', [], `authorization { users: [ { user: a, password: "${BCRYPT}" } ] }`, false],
  ['account users, plain password', [], 'accounts { A: { users: [ { user: a, password: b } ] } }', true],
  ['user without a password', [], 'authorization { users: [ { user: a } ] }', true],
  ['user without a password, client certificates mapped', [], `${tls}\nauthorization { users: [ { user: a } ] }`, false],
  ['nkey users', [], 'authorization { users: [ { nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 } ] }', false],
  ['token', [], 'authorization { token: s3cr3t }', false],
  ['leafnode credentials only', [], 'leafnodes { listen: "127.0.0.1:-1", authorization { user: a, password: b } }', false],
  ['websocket credentials only', [], 'websocket { listen: "127.0.0.1:-1", no_tls: true, authorization { user: a, password: b } }', false],
  ['cluster credentials only', [], 'cluster { listen: "127.0.0.1:-1", authorization { user: a, password: b } }', false],
];

describe('Plaintext passwords warning, differential against Go 2.9.10', { skip: !GO_SERVER_BIN && 'Go nats-server not installed' }, () => {
  for (const [name, flags, conf, want] of CASES) {
    it(`${name}: ${want ? 'warns' : 'no warning'}`, async () => {
      const [go, ours] = await Promise.all([startupLog(flags, conf), startupLog(flags, conf, OURS_CMD)]);
      assert.equal(PLAINTEXT.test(go), want, `Go:\n${go}`);
      assert.equal(PLAINTEXT.test(ours), want, `ours:\n${ours}`);
      // once at most, right after the banner as Go prints it
      assert.ok(ours.split('Plaintext passwords').length <= 2);
      if (want) assert.ok(ours.indexOf('Plaintext passwords') < ours.indexOf('Listening for client connections'), ours);
    });
  }
});
