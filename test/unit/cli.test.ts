import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import {
  parseArgs,
  mergeOptions,
  versionString,
  parseGoInt,
  checkRoutesNeedCluster,
  FlagSyntaxError,
} from '../../src/config/cli.js';
import { usage, tlsHelp } from '../../src/config/help.js';
import { VERSION, GO_COMPAT_VERSION } from '../../src/util/version.js';
import { defaultOptions, defaultTlsOptions, DEFAULT_PORT, type Options } from '../../src/config/options.js';
import { ConfigError } from '../../src/util/errors.js';

const GO_SERVER = '/usr/sbin/nats-server';

function run(argv: string[]): Partial<Options> {
  const r = parseArgs(argv);
  assert.equal(r.action, 'run');
  return r.overrides;
}

describe('flag syntax forms', () => {
  const forms: string[][] = [
    ['-p', '5222'],
    ['--p', '5222'],
    ['-p=5222'],
    ['--p=5222'],
    ['-port', '5222'],
    ['--port', '5222'],
    ['-port=5222'],
    ['--port=5222'],
  ];
  for (const argv of forms) {
    it(`${argv.join(' ')} sets port`, () => {
      assert.equal(run(argv).port, 5222);
    });
  }

  it('a non-boolean flag takes the next argument even if it starts with a dash', () => {
    assert.equal(run(['-p', '-1']).port, -1);
    assert.equal(run(['-n', '-x']).server_name, '-x');
  });

  it('values may contain "="', () => {
    assert.equal(run(['--auth=a=b']).authorization, 'a=b');
  });

  it('parsing stops at "--" and the rest must be a known command', () => {
    assert.equal(parseArgs(['-D', '--', 'version']).action, 'version');
    assert.throws(() => parseArgs(['-D', '--', '-V']), { message: 'unrecognized command: "-V"' });
  });

  it('a lone "-" ends flag parsing as a positional', () => {
    assert.throws(() => parseArgs(['-']), { message: 'unrecognized command: "-"' });
  });

  it('no arguments runs with no overrides', () => {
    const r = parseArgs([]);
    assert.equal(r.action, 'run');
    assert.deepEqual(r.overrides, {});
    assert.equal(r.setFields.size, 0);
  });
});

describe('boolean flags', () => {
  const cases: Array<[string[], Partial<Options>]> = [
    [['-D'], { debug: true }],
    [['--debug'], { debug: true }],
    [['-D=false'], { debug: false }],
    [['-D=0'], { debug: false }],
    [['-D=1'], { debug: true }],
    [['-D=t'], { debug: true }],
    [['-D=F'], { debug: false }],
    [['-D=TRUE'], { debug: true }],
    [['-D=False'], { debug: false }],
    [['-V'], { trace: true }],
    [['--trace'], { trace: true }],
    [['-VV'], { trace: true, trace_verbose: true }],
    [['-DV'], { debug: true, trace: true }],
    [['-DV=false'], { debug: false, trace: false }],
    [['-DVV'], { debug: true, trace: true, trace_verbose: true }],
    [['-DVV', '-VV=false'], { debug: true, trace: false, trace_verbose: false }],
    [['-T=false'], { logtime: false }],
    [['--logtime=false'], { logtime: false }],
    [['-T'], { logtime: true }],
    [['--logtime_utc'], { logtime_utc: true }],
    [['-s'], { syslog: true, unsupported: [{ kind: 'flag', name: '--syslog' }] }],
    [['--syslog'], { syslog: true, unsupported: [{ kind: 'flag', name: '--syslog' }] }],
    [['-js'], { jetstream: true }],
    [['--jetstream=false'], { jetstream: false }],
  ];
  for (const [argv, want] of cases) {
    it(argv.join(' '), () => {
      assert.deepEqual(run(argv), want);
    });
  }

  it('a boolean flag does not consume the next argument', () => {
    assert.throws(() => parseArgs(['-D', 'false']), { message: 'unrecognized command: "false"' });
  });
});

describe('flag to option mapping', () => {
  const cases: Array<[string[], Partial<Options>]> = [
    [['-a', '127.0.0.1'], { host: '127.0.0.1' }],
    [['--addr', '::1'], { host: '::1' }],
    [['--net', '10.0.0.1'], { host: '10.0.0.1' }],
    [['-a', ''], { host: '0.0.0.0' }],
    [['-p', '0'], { port: DEFAULT_PORT }],
    [['-p', '0x10'], { port: 16 }],
    [['-p', '1_000'], { port: 1000 }],
    [['-n', 'srv'], { server_name: 'srv' }],
    [['--name', 'srv'], { server_name: 'srv' }],
    [['--server_name', 'srv'], { server_name: 'srv' }],
    [['-P', '/tmp/x.pid'], { pidfile: '/tmp/x.pid' }],
    [['--pid', '/tmp/x.pid'], { pidfile: '/tmp/x.pid' }],
    [['-m', '8222'], { http_port: 8222 }],
    [['--http_port', '-1'], { http_port: -1 }],
    [['-ms', '8443'], { https_port: 8443, unsupported: [{ kind: 'flag', name: '--https_port' }] }],
    [['--https_port', '8443'], { https_port: 8443, unsupported: [{ kind: 'flag', name: '--https_port' }] }],
    [['--client_advertise', 'h:1'], { client_advertise: 'h:1' }],
    [['--ports_file_dir', '/tmp'], { ports_file_dir: '/tmp' }],
    [['-l', 'x.log'], { logfile: 'x.log' }],
    [['--log', 'x.log'], { logfile: 'x.log' }],
    [['-r', 'udp://h:514'], { remote_syslog: 'udp://h:514', unsupported: [{ kind: 'flag', name: '--remote_syslog' }] }],
    [['--remote_syslog', 'udp://h:514'], { remote_syslog: 'udp://h:514', unsupported: [{ kind: 'flag', name: '--remote_syslog' }] }],
    [['--log_size_limit', '1048576'], { log_size_limit: 1048576, unsupported: [{ kind: 'flag', name: '--log_size_limit' }] }],
    [['--max_traced_msg_len', '64'], { max_traced_msg_len: 64 }],
    [['-sd', '/data'], { store_dir: '/data' }],
    [['--store_dir', '/data'], { store_dir: '/data' }],
    [['--user', 'u', '--pass', 'p'], { username: 'u', password: 'p' }],
    [['--auth', 'tok'], { authorization: 'tok' }],
    [['--user', ''], { username: undefined }],
    [['-n', 'a', '--name', 'b'], { server_name: 'b' }],
  ];
  for (const [argv, want] of cases) {
    it(argv.join(' ') || '(empty)', () => {
      assert.deepEqual(run(argv), want);
    });
  }

  it('setFields lists every explicitly set field', () => {
    const r = parseArgs(['-DV', '-p', '1', '--profile', '6060', '--user', 'u']);
    assert.deepEqual([...r.setFields].sort(), ['debug', 'extra.prof_port', 'port', 'trace', 'username']);
  });

  it('config file and cluster flags', () => {
    const r = parseArgs([
      '-c', 'a.conf', '--cluster', 'nats://u:p@127.0.0.1:6222', '--cluster_name', 'C', '--no_advertise',
      '--cluster_advertise', 'h:1', '--connect_retries', '3', '--routes', 'nats://a:1, nats://b:2', '--profile', '6060',
    ]);
    assert.equal(r.configFile, 'a.conf');
    assert.deepEqual(r.overrides.extra, {
      cluster_listen: 'nats://u:p@127.0.0.1:6222',
      cluster_host: '127.0.0.1',
      cluster_port: 6222,
      cluster_username: 'u',
      cluster_password: 'p',
      cluster_name: 'C',
      cluster_no_advertise: true,
      cluster_advertise: 'h:1',
      cluster_connect_retries: 3,
      routes: ['nats://a:1', 'nats://b:2'],
      prof_port: 6060,
    });
  });

  it('cluster listen with random port and IPv6 host', () => {
    assert.equal(run(['--cluster_listen', 'nats://0.0.0.0:-1']).extra?.cluster_port, -1);
    assert.equal(run(['--cluster', 'nats://[::1]:5']).extra?.cluster_host, '::1');
    assert.equal(run(['--cluster', 'nats://:5']).extra?.cluster_host, '');
  });
});

describe('TLS flags', () => {
  it('--tlscert/--tlskey build TLS from defaults', () => {
    const o = run(['--tlscert', 'c.pem', '--tlskey', 'k.pem']);
    assert.deepEqual(o.tls, { ...defaultTlsOptions(), cert_file: 'c.pem', key_file: 'k.pem', verify: false });
  });
  it('--tlsverify implies TLS with verification', () => {
    const o = run(['--tlsverify', '--tlscert', 'c.pem', '--tlskey', 'k.pem', '--tlscacert', 'ca.pem']);
    assert.deepEqual(o.tls, { ...defaultTlsOptions(), cert_file: 'c.pem', key_file: 'k.pem', ca_file: 'ca.pem', verify: true });
  });
  it('--tls=false disables TLS whatever else is given', () => {
    const r = parseArgs(['--tls=false', '--tlsverify', '--tlscert', 'c.pem']);
    assert.ok('tls' in r.overrides);
    assert.equal(r.overrides.tls, undefined);
    assert.ok(r.setFields.has('tls'));
  });
  it('missing certificate or key', () => {
    assert.throws(() => parseArgs(['--tls']), { message: 'TLS Server certificate must be present and valid' });
    assert.throws(() => parseArgs(['--tlsverify', '--tlscert', 'c']), {
      message: 'TLS Server private key must be present and valid',
    });
  });
});

describe('actions', () => {
  const cases: Array<[string[], string]> = [
    [['-v'], 'version'],
    [['--version'], 'version'],
    [['version'], 'version'],
    [['VERSION'], 'version'],
    [['-h'], 'help'],
    [['--help'], 'help'],
    [['help'], 'help'],
    [['--help_tls'], 'help_tls'],
    [['-v', '-h'], 'version'],
    [['-h', '--help_tls'], 'help'],
    [['-v', 'bogus'], 'version'],
    [['version', '-xyz'], 'version'],
    [['-p', '1', 'help', 'extra'], 'help'],
  ];
  for (const [argv, action] of cases) {
    it(`${argv.join(' ')} -> ${action}`, () => {
      const r = parseArgs(argv);
      assert.equal(r.action, action);
      assert.deepEqual(r.overrides, {});
    });
  }

  it('-t with -c checks the config', () => {
    const r = parseArgs(['-t', '-c', 'x.conf']);
    assert.equal(r.action, 'test_config');
    assert.equal(r.configFile, 'x.conf');
  });

  it('signal forms', () => {
    assert.deepEqual(parseArgs(['-sl', 'reload']).signal, { command: 'reload' });
    assert.deepEqual(parseArgs(['--signal=stop=123']).signal, { command: 'stop', target: '123' });
    assert.deepEqual(parseArgs(['--signal', 'ldm=/var/run/n.pid']).signal, { command: 'ldm', target: '/var/run/n.pid' });
    // a signal is sent before -t or flag validation is looked at
    assert.equal(parseArgs(['-t', '-sl', 'quit']).action, 'signal');
    assert.equal(parseArgs(['--tls', '-sl', 'quit']).action, 'signal');
    assert.equal(parseArgs(['-sl', '']).action, 'run');
  });
});

/** argv -> exact Go error text; `usage` marks Go's flag-package errors (message + usage, exit 0). */
const ERROR_CASES: Array<[string[], string, boolean]> = [
  [['-xyz'], 'flag provided but not defined: -xyz', true],
  [['--xyz=1'], 'flag provided but not defined: -xyz', true],
  [['-p'], 'flag needs an argument: -p', true],
  [['--config'], 'flag needs an argument: -config', true],
  [['-p', 'abc'], 'invalid value "abc" for flag -p: parse error', true],
  [['-p=1.5'], 'invalid value "1.5" for flag -p: parse error', true],
  [['-p', '99999999999999999999'], 'invalid value "99999999999999999999" for flag -p: value out of range', true],
  [['--http_port', '_1'], 'invalid value "_1" for flag -http_port: parse error', true],
  [['-D=maybe'], 'invalid boolean value "maybe" for -D: parse error', true],
  [['-js='], 'invalid boolean value "" for -js: parse error', true],
  [['---p'], 'bad flag syntax: ---p', true],
  [['-=x'], 'bad flag syntax: -=x', true],
  [['foo'], 'unrecognized command: "foo"', false],
  [['-D', 'run'], 'unrecognized command: "run"', false],
  [['-t'], 'must specify [-c, --config] option to check configuration file syntax', false],
  [['-sl', 'a=b=c=d'], 'invalid signal parameters: [c d]', false],
  [['--routes', 'nats://a:1'], 'solicited routes require cluster capabilities, e.g. --cluster', false],
  [['--routes', 'nats://a:1', '--cluster', ''], 'solicited routes require cluster capabilities, e.g. --cluster', false],
  [['--cluster', 'nats://localhost'], 'address localhost: missing port in address', false],
  [['--cluster', 'localhost:4248'], 'missing port in address', false],
  [['--cluster', '127.0.0.1:4248'], 'parse "127.0.0.1:4248": first path segment in URL cannot contain colon', false],
  [['--cluster', 'nats://h:abc'], 'parse "nats://h:abc": invalid port ":abc" after host', false],
  [['--cluster', 'nats://a:b:c'], 'parse "nats://a:b:c": invalid port ":c" after host', false],
  [['--cluster', 'nats://[::1'], 'parse "nats://[::1": missing \']\' in host', false],
  [['--cluster', 'nats://h:'], 'EOF', false],
  [['--cluster', 'nats://u@localhost:1'], 'expected cluster password to be set', false],
  [['--tls', '--tlscert', 'x'], 'TLS Server private key must be present and valid', false],
];

describe('errors (exact Go texts)', () => {
  for (const [argv, msg, showUsage] of ERROR_CASES) {
    it(argv.join(' '), () => {
      assert.throws(
        () => parseArgs(argv),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.message, msg);
          assert.equal(e instanceof FlagSyntaxError, showUsage);
          return true;
        },
      );
    });
  }

  it('routes with a config file are checked after merging', () => {
    const r = parseArgs(['-c', 'a.conf', '--routes', 'nats://a:1']);
    const fromFile = defaultOptions();
    assert.throws(() => checkRoutesNeedCluster(mergeOptions(fromFile, r.overrides), r.overrides), {
      message: 'solicited routes require cluster capabilities, e.g. --cluster',
    });
    fromFile.extra.cluster = { listen: '127.0.0.1:6222' };
    checkRoutesNeedCluster(mergeOptions(fromFile, r.overrides), r.overrides);
  });
});

/**
 * Run the Go binary without blocking the event loop: a file of synchronous
 * tests that blocks for seconds piles its report up in the stdout pipe, and
 * the runner's --test-force-exit then cut the end of it (the last suites of
 * this file went missing from full runs).
 */
function runGo(argv: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(GO_SERVER, argv, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : null;
      resolve({ status: code, stdout, stderr });
    });
  });
}

describe('agreement with the Go binary', { skip: !existsSync(GO_SERVER) }, () => {
  for (const [argv, msg, showUsage] of ERROR_CASES) {
    it(argv.join(' '), async () => {
      const r = await runGo(argv);
      const firstLine = r.stderr.split('\n')[0];
      if (showUsage) {
        assert.equal(firstLine, msg);
        assert.equal(r.status, 0);
        assert.match(r.stdout, /Usage: nats-server \[options\]/);
      } else {
        assert.equal(firstLine, `nats-server: ${msg}`);
        assert.equal(r.status, 1);
      }
    });
  }
});

describe('mergeOptions', () => {
  it('flags win over the file, undefined clears, extra merges key by key', () => {
    const base = defaultOptions();
    base.port = 5000;
    base.username = 'file';
    base.extra = { cluster_name: 'F', other: 1 };
    const r = parseArgs(['-p', '6000', '--user', '', '--cluster_name', 'X', '-c', 'f.conf']);
    const m = mergeOptions(base, r.overrides);
    assert.equal(m.port, 6000);
    assert.equal('username' in m, false);
    assert.deepEqual(m.extra, { cluster_name: 'X', other: 1 });
    assert.equal(base.port, 5000, 'base is not modified');
    assert.deepEqual(base.extra, { cluster_name: 'F', other: 1 });
  });

  it('TLS from flags replaces certificates but keeps the file timeout and handshake settings', () => {
    const base = defaultOptions();
    base.tls = { ...defaultTlsOptions(), cert_file: 'f.pem', key_file: 'fk.pem', ca_file: 'fca.pem', verify: true, timeout: 5000, handshake_first: true };
    const m = mergeOptions(base, run(['--tlscert', 'c.pem', '--tlskey', 'k.pem']));
    assert.deepEqual(m.tls, { ...defaultTlsOptions(), cert_file: 'c.pem', key_file: 'k.pem', verify: false, timeout: 5000, handshake_first: true });
  });

  it('--tls=false removes the file TLS block', () => {
    const base = defaultOptions();
    base.tls = { ...defaultTlsOptions(), cert_file: 'f.pem', key_file: 'fk.pem' };
    const m = mergeOptions(base, run(['--tls=false']));
    assert.equal(m.tls, undefined);
  });
});

describe('parseGoInt', () => {
  const cases: Array<[string, number | string]> = [
    ['0', 0], ['42', 42], ['-1', -1], ['+7', 7], ['010', 8], ['0o17', 15], ['0b101', 5], ['0x1F', 31],
    ['1_000', 1000], ['0x_1F', 31], ['_1', 'parse error'], ['1_', 'parse error'], ['1__0', 'parse error'],
    ['09', 'parse error'], ['0x', 'parse error'], ['', 'parse error'], ['-', 'parse error'], [' 1', 'parse error'],
    ['9223372036854775807', 9223372036854775807], ['-9223372036854775808', -9223372036854775808],
    ['9223372036854775808', 'value out of range'],
  ];
  for (const [s, want] of cases) {
    it(JSON.stringify(s), () => assert.equal(parseGoInt(s), want));
  }
});

describe('version and help', () => {
  it('version string is the Go release we follow (as INFO and /varz report it)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
    assert.equal(versionString(), `nats-server: v${GO_COMPAT_VERSION}`);
    assert.match(GO_COMPAT_VERSION, /^2\.14\.\d+$/);
  });

  it('usage lists every flag the parser accepts', () => {
    const text = usage();
    assert.ok(text.startsWith('\nUsage: nats-server [options]\n'));
    const flags = text.match(/(?<![\w-])--?[A-Za-z_]+/g) ?? [];
    for (const f of flags) {
      const name = f.replace(/^-+/, '');
      if (['h', 'help', 'v', 'version', 'help_tls'].includes(name)) continue;
      // each flag in the help text must be known to the parser (only syntax errors are FlagSyntaxError)
      try {
        parseArgs([`-${name}=1`]);
      } catch (e) {
        assert.ok(!(e instanceof FlagSyntaxError && e.message.startsWith('flag provided but not defined')), `unknown flag ${f}`);
      }
    }
    for (const f of ['--addr', '--net', '--server_name', '-ms,--https_port', '-sl,--signal', '--ports_file_dir', '-VV', '-DVV', '--cluster_listen', '--profile', '--help_tls']) {
      assert.ok(text.includes(f), f);
    }
  });

  it('TLS help lists cipher suites and curves', () => {
    const t = tlsHelp();
    assert.match(t, /Available cipher suites include:\n {4}TLS_/);
    assert.match(t, /Available curve preferences include:\n(?: {4}\w+\n)+$/);
    assert.ok(t.includes('CurveP256'));
  });
});
