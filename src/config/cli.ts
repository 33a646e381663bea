/**
 * Command-line flags, parsed the way the Go server parses them (main.go +
 * opts.go ConfigureOptions, with Go's `flag` package syntax): `-f v`, `--f v`,
 * `-f=v`, `--f=v`; booleans take no separate value but accept `-f=false`;
 * parsing stops at `--` or at the first argument that is not a flag.
 *
 * Flags are applied after the config file (Go parses the flags again once
 * the file is loaded), so `parseArgs` returns them as a `Partial<Options>` that
 * `mergeOptions` lays over whatever the file produced.
 *
 * Cluster, route and profiling flags are parsed and validated like Go's but
 * land in `overrides.extra` until those subsystems exist:
 *   extra.cluster_listen (raw URL), extra.cluster_host, extra.cluster_port
 *   (-1 = random, 0 = clustering off), extra.cluster_username/cluster_password,
 *   extra.cluster_name, extra.cluster_advertise, extra.cluster_no_advertise,
 *   extra.cluster_connect_retries, extra.routes (string[]), extra.prof_port.
 */
import { ConfigError } from '../util/errors.js';
import { GO_COMPAT_VERSION } from '../util/version.js';
import { UNSUPPORTED_FLAGS } from './unsupported.js';
import { DEFAULT_PORT, defaultOptions, defaultTlsOptions, type Options, type TlsOptions } from './options.js';

export interface CliResult {
  action: 'run' | 'version' | 'help' | 'help_tls' | 'test_config' | 'signal';
  configFile?: string;
  signal?: { command: string; target?: string };
  /** Option overrides from flags, applied AFTER the config file (Go re-applies flags). Empty unless action is 'run'. */
  overrides: Partial<Options>;
  /** Names of Options fields explicitly set by flags (`extra.<key>` for extra keys). */
  setFields: Set<string>;
}

/**
 * A malformed command line (unknown flag, missing or bad value). Go prints the
 * message alone on stderr, then the usage text on stdout, and exits with 0;
 * other CLI errors are printed as `nats-server: <message>` with exit code 1.
 */
export class FlagSyntaxError extends ConfigError {
  readonly showUsage = true;
  constructor(message: string) {
    super(message);
    this.name = 'FlagSyntaxError';
  }
}

/**
 * `nats-server: v<version>` as printed by `-v`: the Go release whose behaviour
 * we follow (the one INFO and /varz report), because client test harnesses
 * (nats.c, nats.go) read `-v` to decide which server features to test.
 */
export function versionString(): string {
  return `nats-server: v${GO_COMPAT_VERSION}`;
}

type Kind = 'bool' | 'int' | 'string';
type Value = boolean | number | string;

/** flag name -> [kind, destination]; aliases share a destination, the last one given wins. */
const FLAGS: ReadonlyMap<string, readonly [Kind, string]> = new Map<string, readonly [Kind, string]>([
  ['h', ['bool', 'help']], ['help', ['bool', 'help']],
  ['v', ['bool', 'version']], ['version', ['bool', 'version']],
  ['help_tls', ['bool', 'help_tls']],
  ['p', ['int', 'port']], ['port', ['int', 'port']],
  ['n', ['string', 'server_name']], ['name', ['string', 'server_name']], ['server_name', ['string', 'server_name']],
  ['a', ['string', 'host']], ['addr', ['string', 'host']], ['net', ['string', 'host']],
  ['client_advertise', ['string', 'client_advertise']],
  ['D', ['bool', 'debug']], ['debug', ['bool', 'debug']],
  ['V', ['bool', 'trace']], ['trace', ['bool', 'trace']],
  ['VV', ['bool', 'VV']], ['DV', ['bool', 'DV']], ['DVV', ['bool', 'DVV']],
  ['T', ['bool', 'logtime']], ['logtime', ['bool', 'logtime']],
  ['logtime_utc', ['bool', 'logtime_utc']],
  ['user', ['string', 'username']], ['pass', ['string', 'password']], ['auth', ['string', 'authorization']],
  ['m', ['int', 'http_port']], ['http_port', ['int', 'http_port']],
  ['ms', ['int', 'https_port']], ['https_port', ['int', 'https_port']],
  ['c', ['string', 'config']], ['config', ['string', 'config']],
  ['t', ['bool', 'check_config']],
  ['sl', ['string', 'signal']], ['signal', ['string', 'signal']],
  ['P', ['string', 'pidfile']], ['pid', ['string', 'pidfile']],
  ['ports_file_dir', ['string', 'ports_file_dir']],
  ['l', ['string', 'logfile']], ['log', ['string', 'logfile']],
  ['log_size_limit', ['int', 'log_size_limit']],
  ['s', ['bool', 'syslog']], ['syslog', ['bool', 'syslog']],
  ['r', ['string', 'remote_syslog']], ['remote_syslog', ['string', 'remote_syslog']],
  ['profile', ['int', 'prof_port']],
  ['routes', ['string', 'routes']],
  ['cluster', ['string', 'cluster_listen']], ['cluster_listen', ['string', 'cluster_listen']],
  ['cluster_advertise', ['string', 'cluster_advertise']],
  ['no_advertise', ['bool', 'cluster_no_advertise']],
  ['connect_retries', ['int', 'cluster_connect_retries']],
  ['cluster_name', ['string', 'cluster_name']],
  ['tls', ['bool', 'tls']], ['tlsverify', ['bool', 'tlsverify']],
  ['tlscert', ['string', 'tlscert']], ['tlskey', ['string', 'tlskey']], ['tlscacert', ['string', 'tlscacert']],
  ['max_traced_msg_len', ['int', 'max_traced_msg_len']],
  ['js', ['bool', 'jetstream']], ['jetstream', ['bool', 'jetstream']],
  ['sd', ['string', 'store_dir']], ['store_dir', ['string', 'store_dir']],
]);

interface Parsed {
  values: Map<string, Value>;
  /** destinations in the order first given */
  seen: Set<string>;
  positional: string[];
}

/** Go strconv.Quote, near enough for error messages. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

function parseGoBool(s: string): boolean | undefined {
  if (s === '1' || s === 't' || s === 'T' || s === 'true' || s === 'TRUE' || s === 'True') return true;
  if (s === '0' || s === 'f' || s === 'F' || s === 'false' || s === 'FALSE' || s === 'False') return false;
  return undefined;
}

/** Underscores may only sit between digits (or right after a base prefix), as in Go. */
function underscoresOk(s: string): boolean {
  let i = s[0] === '+' || s[0] === '-' ? 1 : 0;
  let saw = '^';
  let hex = false;
  if (s.length - i >= 2 && s[i] === '0' && 'bBoOxX'.includes(s[i + 1])) {
    hex = s[i + 1] === 'x' || s[i + 1] === 'X';
    saw = '0';
    i += 2;
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

/** Go strconv.ParseInt(s, 0, 64): base prefixes 0x/0o/0b/0 and underscores allowed. */
export function parseGoInt(s: string): number | 'parse error' | 'value out of range' {
  if (s.length === 0) return 'parse error';
  let body = s;
  let neg = false;
  if (body[0] === '+' || body[0] === '-') {
    neg = body[0] === '-';
    body = body.slice(1);
    if (body.length === 0) return 'parse error';
  }
  let base = 10;
  if (body[0] === '0') {
    const p = body.length >= 3 ? body[1].toLowerCase() : '';
    base = p === 'b' ? 2 : p === 'o' ? 8 : p === 'x' ? 16 : 8;
    body = body.slice(p === 'b' || p === 'o' || p === 'x' ? 2 : 1);
  }
  let n = 0n;
  let sawUnderscore = false;
  for (const ch of body) {
    if (ch === '_') {
      sawUnderscore = true;
      continue;
    }
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= base) return 'parse error';
    n = n * BigInt(base) + BigInt(d);
  }
  if (sawUnderscore && !underscoresOk(s)) return 'parse error';
  if (neg ? n > 1n << 63n : n >= 1n << 63n) return 'value out of range';
  return Number(neg ? -n : n);
}

/** Go `flag.FlagSet.Parse` over our flag table; errors carry Go's exact texts. */
function parseFlags(argv: readonly string[]): Parsed {
  const values = new Map<string, Value>();
  const seen = new Set<string>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    if (arg.length < 2 || arg[0] !== '-') break;
    let name = arg.slice(1);
    if (arg[1] === '-') {
      if (arg.length === 2) {
        i++;
        break;
      }
      name = arg.slice(2);
    }
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new FlagSyntaxError(`bad flag syntax: ${arg}`);
    i++;
    let value: string | undefined;
    const eq = name.indexOf('=', 1);
    if (eq > 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const def = FLAGS.get(name);
    if (!def) throw new FlagSyntaxError(`flag provided but not defined: -${name}`);
    const [kind, dest] = def;
    let v: Value;
    if (kind === 'bool') {
      if (value === undefined) v = true;
      else {
        const b = parseGoBool(value);
        if (b === undefined) throw new FlagSyntaxError(`invalid boolean value ${goQuote(value)} for -${name}: parse error`);
        v = b;
      }
    } else {
      if (value === undefined) {
        if (i >= argv.length) throw new FlagSyntaxError(`flag needs an argument: -${name}`);
        value = argv[i++];
      }
      if (kind === 'int') {
        const n = parseGoInt(value);
        if (typeof n === 'string') throw new FlagSyntaxError(`invalid value ${goQuote(value)} for flag -${name}: ${n}`);
        v = n;
      } else v = value;
    }
    values.set(dest, v);
    seen.add(dest);
  }
  return { values, seen, positional: argv.slice(i) };
}

/** Parse the command line (without the node and script arguments). Throws ConfigError / FlagSyntaxError. */
export function parseArgs(argv: readonly string[]): CliResult {
  const p = parseFlags(argv);
  const empty = (): CliResult => ({ action: 'run', overrides: {}, setFields: new Set() });
  // Go checks version, then help, then TLS help, before looking at positional args.
  if (p.values.get('version') === true) return { ...empty(), action: 'version' };
  if (p.values.get('help') === true) return { ...empty(), action: 'help' };
  if (p.values.get('help_tls') === true) return { ...empty(), action: 'help_tls' };
  if (p.positional.length > 0) {
    const cmd = p.positional[0];
    const lc = cmd.toLowerCase();
    if (lc === 'version') return { ...empty(), action: 'version' };
    if (lc === 'help') return { ...empty(), action: 'help' };
    throw new ConfigError(`unrecognized command: ${goQuote(cmd)}`);
  }
  const configFile = (p.values.get('config') as string | undefined) || undefined;
  // A signal is sent (and the process exits) before the config file is read.
  const sig = (p.values.get('signal') as string | undefined) ?? '';
  if (sig !== '') {
    const parts = sig.split('=');
    if (parts.length > 2) throw new ConfigError(`invalid signal parameters: [${parts.slice(2).join(' ')}]`);
    const signal = parts.length === 2 ? { command: parts[0], target: parts[1] } : { command: parts[0] };
    return { ...empty(), action: 'signal', configFile, signal };
  }
  if (p.values.get('check_config') === true) {
    if (!configFile) throw new ConfigError('must specify [-c, --config] option to check configuration file syntax');
    return { ...empty(), action: 'test_config', configFile };
  }
  const { overrides, setFields } = buildOverrides(p);
  // Without a config file nothing else can supply cluster settings, so check now;
  // with one, the caller runs checkRoutesNeedCluster after loading it.
  if (!configFile) checkRoutesNeedCluster(mergeOptions(defaultOptions(), overrides), overrides);
  return { action: 'run', configFile, overrides, setFields };
}

function buildOverrides(p: Parsed): { overrides: Partial<Options>; setFields: Set<string> } {
  const o: Partial<Options> = {};
  const setFields = new Set<string>();
  const extra: Record<string, unknown> = {};
  const put = <K extends keyof Options>(k: K, v: Options[K]): void => {
    o[k] = v;
    setFields.add(k);
  };
  const putExtra = (k: string, v: unknown): void => {
    extra[k] = v;
    setFields.add(`extra.${k}`);
  };
  const str = (k: string): string | undefined => (p.values.get(k) as string) || undefined;
  const num = (k: string): number => p.values.get(k) as number;
  const bool = (k: string): boolean => p.values.get(k) as boolean;

  for (const dest of p.seen) {
    switch (dest) {
      // Go treats an empty host / port 0 as "use the default" (setBaselineOptions).
      case 'host': put('host', str(dest) ?? '0.0.0.0'); break;
      case 'port': put('port', num(dest) === 0 ? DEFAULT_PORT : num(dest)); break;
      case 'server_name': case 'client_advertise': case 'pidfile': case 'ports_file_dir':
      case 'logfile': case 'remote_syslog': case 'username': case 'password':
      case 'authorization': case 'store_dir':
        put(dest, str(dest));
        break;
      case 'debug': case 'trace': case 'logtime': case 'logtime_utc': case 'syslog': case 'jetstream':
        put(dest, bool(dest));
        break;
      case 'http_port': case 'https_port': case 'log_size_limit': case 'max_traced_msg_len':
        put(dest, num(dest));
        break;
      case 'prof_port': case 'cluster_connect_retries': putExtra(dest, num(dest)); break;
      case 'cluster_no_advertise': putExtra(dest, bool(dest)); break;
      case 'cluster_name': case 'cluster_advertise': putExtra(dest, str(dest)); break;
      case 'routes': putExtra('routes', routesFromString(p.values.get(dest) as string)); break;
      default: break; // composites, TLS and cluster listen are handled below
    }
  }
  // Go applies the combined switches after the single ones, in flag-name order.
  if (p.seen.has('DV')) {
    put('debug', bool('DV'));
    put('trace', bool('DV'));
  }
  if (p.seen.has('DVV')) {
    for (const k of ['debug', 'trace', 'trace_verbose'] as const) put(k, bool('DVV'));
  }
  if (p.seen.has('VV')) {
    put('trace', bool('VV'));
    put('trace_verbose', bool('VV'));
  }
  if (p.seen.has('cluster_listen')) {
    for (const [k, v] of Object.entries(clusterFromListen(p.values.get('cluster_listen') as string))) putExtra(k, v);
  }
  const tls = tlsFromFlags(p);
  if (tls !== null) put('tls', tls);
  if (Object.keys(extra).length > 0) o.extra = extra;
  const ignored = [...p.seen].filter((d) => UNSUPPORTED_FLAGS.has(d)).map((d) => ({ kind: 'flag' as const, name: UNSUPPORTED_FLAGS.get(d)! }));
  if (ignored.length > 0) o.unsupported = ignored;
  return { overrides: o, setFields };
}

/**
 * Any `--tls*` flag replaces the file's TLS settings with ones built from the
 * flags; `--tls=false` turns TLS off. Returns null when no TLS flag was given.
 */
function tlsFromFlags(p: Parsed): TlsOptions | undefined | null {
  if (p.seen.has('tls') && p.values.get('tls') === false) return undefined;
  const any = ['tls', 'tlsverify', 'tlscert', 'tlskey', 'tlscacert'].some((k) => p.seen.has(k));
  if (!any) return null;
  const cert = (p.values.get('tlscert') as string | undefined) || undefined;
  const key = (p.values.get('tlskey') as string | undefined) || undefined;
  if (!cert) throw new ConfigError('TLS Server certificate must be present and valid');
  if (!key) throw new ConfigError('TLS Server private key must be present and valid');
  const tls: TlsOptions = { ...defaultTlsOptions(), cert_file: cert, key_file: key };
  const ca = (p.values.get('tlscacert') as string | undefined) || undefined;
  if (ca) tls.ca_file = ca;
  tls.verify = p.values.get('tlsverify') === true;
  return tls;
}

/** Go RoutesFromStr: comma separated, each trimmed; an empty flag clears the routes. */
function routesFromString(s: string): string[] {
  if (s === '') return [];
  return s.split(',').map((r) => r.trim());
}

/** `--cluster nats://[user:pass@]host:port` as Go's overrideCluster reads it (`:-1` = random port). */
function clusterFromListen(raw: string): Record<string, unknown> {
  if (raw === '') return { cluster_listen: undefined, cluster_port: 0 };
  let s = raw;
  const random = s.endsWith(':-1');
  if (random) s = s.slice(0, -3) + ':0';
  const u = parseGoUrl(s);
  const [host, portStr] = splitHostPort(u.host);
  let port: number;
  if (random) port = -1;
  else if (portStr === '') throw new ConfigError('EOF');
  else {
    const n = BigInt(portStr);
    if (n >= 1n << 63n) throw new ConfigError(`strconv.ParseInt: parsing ${goQuote(portStr)}: value out of range`);
    port = Number(n);
  }
  const out: Record<string, unknown> = { cluster_listen: raw, cluster_host: host, cluster_port: port };
  if (u.user) {
    if (u.user.password === undefined) throw new ConfigError('expected cluster password to be set');
    out.cluster_username = u.user.username;
    out.cluster_password = u.user.password;
  } else {
    // flags without credentials clear any the config file gave
    out.cluster_username = undefined;
    out.cluster_password = undefined;
  }
  return out;
}

interface GoUrl {
  host: string;
  user?: { username: string; password?: string };
}

/** The parts of Go's net/url.Parse that overrideCluster depends on, with its error texts. */
function parseGoUrl(raw: string): GoUrl {
  const fail = (msg: string): never => {
    throw new ConfigError(`parse ${goQuote(raw)}: ${msg}`);
  };
  let rest = raw;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = m[1];
    rest = rest.slice(m[0].length);
  } else if (rest.startsWith(':')) fail('missing protocol scheme');
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('//')) {
    if (scheme === '' && /^[^/]*:/.test(rest)) fail('first path segment in URL cannot contain colon');
    return { host: '' };
  }
  const authority = rest.slice(2).split('/')[0];
  const at = authority.lastIndexOf('@');
  const hostPart = at >= 0 ? authority.slice(at + 1) : authority;
  let colonPort = '';
  if (hostPart.startsWith('[')) {
    const end = hostPart.lastIndexOf(']');
    if (end < 0) fail("missing ']' in host");
    colonPort = hostPart.slice(end + 1);
  } else {
    const c = hostPart.lastIndexOf(':');
    if (c >= 0) colonPort = hostPart.slice(c);
  }
  if (colonPort !== '' && !/^:[0-9]*$/.test(colonPort)) fail(`invalid port ${goQuote(colonPort)} after host`);
  const out: GoUrl = { host: unescape(hostPart, fail) };
  if (at >= 0) {
    const info = authority.slice(0, at);
    const c = info.indexOf(':');
    out.user = c < 0
      ? { username: unescape(info, fail) }
      : { username: unescape(info.slice(0, c), fail), password: unescape(info.slice(c + 1), fail) };
  }
  return out;
}

function unescape(s: string, fail: (msg: string) => never): string {
  if (!s.includes('%')) return s;
  const bad = /%(?![0-9A-Fa-f]{2})(.{0,2})/.exec(s);
  if (bad) fail(`invalid URL escape ${goQuote('%' + bad[1])}`);
  return decodeURIComponent(s);
}

/** Go net.SplitHostPort, with its error texts (`address X: ...`). */
function splitHostPort(hp: string): [string, string] {
  const fail = (msg: string): never => {
    throw new ConfigError(hp === '' ? msg : `address ${hp}: ${msg}`);
  };
  const i = hp.lastIndexOf(':');
  if (i < 0) fail('missing port in address');
  let host: string;
  let j = 0;
  let k = 0;
  if (hp[0] === '[') {
    const end = hp.indexOf(']');
    if (end < 0) fail("missing ']' in address");
    if (end + 1 === hp.length) fail('missing port in address');
    if (end + 1 !== i) fail(hp[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    host = hp.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hp.slice(0, i);
    if (host.includes(':')) fail('too many colons in address');
  }
  if (hp.indexOf('[', j) >= 0) fail("unexpected '[' in address");
  if (hp.indexOf(']', k) >= 0) fail("unexpected ']' in address");
  return [host, hp.slice(i + 1)];
}

function hasCluster(opts: Options): boolean {
  const x = opts.extra;
  if (x.cluster_listen || x.cluster_host || (typeof x.cluster_port === 'number' && x.cluster_port !== 0)) return true;
  // a `cluster { }` block from the config file, kept raw in extra.cluster
  const block = x.cluster;
  if (block && typeof block === 'object') {
    const b = block as Record<string, unknown>;
    return Boolean(b.listen || b.host || b.net || (typeof b.port === 'number' && b.port !== 0));
  }
  return false;
}

/**
 * Routes given by flag need a cluster listener from a flag or from the config
 * file (Go checks this after the file is loaded). Call with the merged options.
 */
export function checkRoutesNeedCluster(merged: Options, overrides: Partial<Options>): void {
  const routes = overrides.extra?.routes;
  if (Array.isArray(routes) && routes.length > 0 && !hasCluster(merged)) {
    throw new ConfigError('solicited routes require cluster capabilities, e.g. --cluster');
  }
}

/**
 * Lay flag overrides over `base` (defaults + config file). A key present with
 * `undefined` clears the base value (e.g. `--tls=false`, `--user ""`). A TLS
 * block from flags replaces the file's certificates and verification, but, as
 * in Go, the file's timeout, handshake_first, verify_and_map, pinned_certs and
 * connection_rate_limit are kept (Go keeps those outside its tls.Config).
 */
export function mergeOptions(base: Options, overrides: Partial<Options>): Options {
  const out: Options = { ...base, extra: { ...base.extra } };
  const rec = out as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(overrides)) {
    if (k === 'unsupported') {
      // flags add to what the config file reported
      out.unsupported = [...(base.unsupported ?? []), ...((v ?? []) as Options['unsupported'])];
    } else if (k === 'extra') {
      for (const [ek, ev] of Object.entries((v ?? {}) as Record<string, unknown>)) {
        if (ev === undefined) delete out.extra[ek];
        else out.extra[ek] = ev;
      }
    } else if (k === 'tls' && v !== undefined && base.tls) {
      const t = v as TlsOptions;
      const b = base.tls;
      const merged: TlsOptions = { ...t, timeout: b.timeout, handshake_first: b.handshake_first };
      if (b.verify_and_map !== undefined) merged.verify_and_map = b.verify_and_map;
      if (b.pinned_certs !== undefined) merged.pinned_certs = b.pinned_certs;
      if (b.connection_rate_limit !== undefined) merged.connection_rate_limit = b.connection_rate_limit;
      out.tls = merged;
    } else if (v === undefined) {
      delete rec[k];
    } else {
      rec[k] = Array.isArray(v) ? [...v] : v;
    }
  }
  return out;
}
