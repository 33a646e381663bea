/**
 * Options the Go server knows that this server accepts but does not act on.
 * A config written for Go must still load (Go's key set is the contract), but
 * a feature that is silently absent is worse than a refused config: each key
 * below, when present, is named in a `[WRN]` line at start-up
 * (`Config option "mqtt" is not supported by this server and is ignored`).
 * Keys neither server knows still fail with `unknown field`, as Go fails.
 *
 * This is the one list. The parsers (from-file.ts and the block parsers)
 * accept these keys and drop or merely validate their values;
 * test/unit/unsupported.test.ts loads a config holding every entry, checks
 * it parses and that each entry is reported.
 */
import { ConfMap, type ConfValue } from './parser.js';
import type { UnsupportedSetting } from './options.js';

export interface UnsupportedOption {
  /**
   * Key path: segments joined by `.`, aliases by `|`, `*` for any key (an
   * account name), a `[]` suffix for a key whose value is an array of blocks.
   */
  path: string;
  /** what the Go server does with it */
  go: string;
}

/** Keys of a `tls {}` block that no TLS block here acts on. */
const TLS_IGNORED: readonly [string, string][] = [
  ['verify_and_map', 'maps the peer certificate to a user'],
  ['verify_cert_and_check_known_urls', 'checks the certificate against the known URLs'],
  ['curve_preferences', 'restricts the key exchange curves'],
  ['pinned_certs', 'accepts only the listed certificates'],
  ['connection_rate_limit', 'limits new TLS connections per second'],
  ['certs|certificates', 'serves several certificates by SNI'],
  ['cert_store', 'reads the certificate from the OS store'],
  ['cert_match_by', 'selects a certificate from the OS store'],
  ['cert_match', 'selects a certificate from the OS store'],
  ['ca_certs_match', 'reads CAs from the OS store'],
  ['cert_match_skip_invalid', 'skips invalid OS store certificates'],
  ['ocsp_peer', 'checks the peer certificate with OCSP'],
  ['allow_insecure_cipher_suites', 'allows insecure cipher suites'],
];

/** TLS blocks, each with the keys only that block ignores beyond TLS_IGNORED, and the TLS_IGNORED keys it does act on. */
const TLS_BLOCKS: readonly [string, readonly [string, string][], (readonly string[])?][] = [
  ['tls', []],
  ['cluster.tls', []],
  ['gateway.tls', [['min_version', 'sets the minimum TLS version'], ['cipher_suites', 'restricts the cipher suites']]],
  ['gateway.gateways[].tls', [['min_version', 'sets the minimum TLS version'], ['cipher_suites', 'restricts the cipher suites']]],
  ['leafnodes|leaf.tls', [['handshake_first|first|immediate', 'does the TLS handshake before INFO']]],
  ['leafnodes|leaf.remotes[].tls', [
    ['handshake_first|first|immediate', 'does the TLS handshake before INFO'],
    ['cipher_suites', 'restricts the cipher suites'],
  ]],
  ['websocket|ws.tls', [['cipher_suites', 'restricts the cipher suites']]],
  // MQTT maps a verified client certificate to a user (Go verify_and_map for MQTT clients)
  ['mqtt.tls', [['handshake_first|first|immediate', 'does the TLS handshake before INFO'], ['cipher_suites', 'restricts the cipher suites']], ['verify_and_map']],
];

const OPTIONS: readonly UnsupportedOption[] = [
  // top level
  { path: 'syslog', go: 'logs to syslog' },
  { path: 'remote_syslog', go: 'logs to a remote syslog' },
  { path: 'logfile_size_limit|log_size_limit', go: 'rotates the log file' },
  { path: 'logfile_max_num|log_max_num', go: 'keeps this many rotated log files' },
  { path: 'trace_headers', go: 'traces only message headers' },
  { path: 'prof_port', go: 'Go profiler HTTP port' },
  { path: 'prof_block_rate', go: 'Go profiler block rate' },
  { path: 'https_port', go: 'monitoring over HTTPS' },
  { path: 'https', go: 'monitoring over HTTPS' },
  { path: 'proxy_protocol', go: 'PROXY protocol on the client port' },
  { path: 'proxies', go: 'trusted proxies' },
  { path: 'ocsp', go: 'OCSP stapling' },
  { path: 'ocsp_cache', go: 'OCSP response cache' },
  { path: 'resolver_tls', go: 'TLS for the URL account resolver' },
  { path: 'resolver_pinned_accounts', go: 'accounts pinned by the resolver' },
  { path: 'default_sentinel', go: 'sentinel user JWT for clients without credentials' },
  { path: 'default_js_domain', go: 'default JetStream domain per account' },
  { path: 'feature_flags', go: 'feature flags' },
  // authorization and users
  { path: 'authorization.proxy_required', go: 'users must connect through a trusted proxy' },
  { path: 'authorization.users[].proxy_required', go: 'the user must connect through a trusted proxy' },
  { path: 'accounts.*.users[].proxy_required', go: 'the user must connect through a trusted proxy' },
  // accounts
  { path: 'accounts.*.msg_trace|trace_dest', go: 'message tracing destination' },
  { path: 'accounts.*.exports[].allow_trace', go: 'message tracing through the export' },
  { path: 'accounts.*.imports[].allow_trace', go: 'message tracing through the import' },
  { path: 'accounts.*.exports[].account_token_position', go: 'the account token of the subject must be the importer' },
  { path: 'accounts.*.limits.max_leafnodes|max_leafs', go: 'limits leaf node connections of the account' },
  { path: 'accounts.*.jetstream.cluster_traffic', go: 'clustered JetStream traffic account' },
  // jetstream
  { path: 'jetstream.key|ek|encryption_key', go: 'encryption at rest' },
  { path: 'jetstream.prev_key|prev_ek|prev_encryption_key', go: 'encryption at rest key rotation' },
  { path: 'jetstream.cipher', go: 'encryption at rest cipher' },
  { path: 'jetstream.tpm', go: 'encryption key sealed by a TPM' },
  { path: 'jetstream.extension_hint', go: 'JetStream extension hint' },
  { path: 'jetstream.max_outstanding_catchup', go: 'clustered stream catch-up limit' },
  { path: 'jetstream.max_buffered_msgs', go: 'limits messages buffered for a stream' },
  { path: 'jetstream.max_buffered_size', go: 'limits bytes buffered for a stream' },
  { path: 'jetstream.info_queue_limit', go: 'limits queued info requests' },
  { path: 'jetstream.meta_compact', go: 'clustered meta log compaction' },
  { path: 'jetstream.meta_compact_size', go: 'clustered meta log compaction' },
  { path: 'jetstream.meta_compact_sync', go: 'clustered meta log compaction' },
  { path: 'jetstream.max_concurrent_io', go: 'limits concurrent store I/O' },
  { path: 'jetstream.limits.max_ha_assets', go: 'limits clustered assets per server' },
  { path: 'jetstream.limits.batch', go: 'atomic batch publish limits' },
  // cluster and gateway
  { path: 'cluster.ping_interval', go: 'route ping interval' },
  { path: 'cluster.ping_max', go: 'route pings outstanding' },
  { path: 'cluster.write_deadline', go: 'route write deadline' },
  { path: 'cluster.write_timeout', go: 'route write timeout policy' },
  { path: 'gateway.write_deadline', go: 'gateway write deadline' },
  { path: 'gateway.write_timeout', go: 'gateway write timeout policy' },
  // leaf nodes
  { path: 'leafnodes|leaf.dial_timeout', go: 'leaf dial timeout' },
  { path: 'leafnodes|leaf.compression', go: 'leaf link compression' },
  { path: 'leafnodes|leaf.write_deadline', go: 'leaf write deadline' },
  { path: 'leafnodes|leaf.write_timeout', go: 'leaf write timeout policy' },
  { path: 'leafnodes|leaf.min_version|minimum_version', go: 'refuses leaf servers older than this' },
  { path: 'leafnodes|leaf.authorization.nkey', go: 'leaf nkey authentication' },
  { path: 'leafnodes|leaf.authorization.proxy_required', go: 'leafs must connect through a trusted proxy' },
  { path: 'leafnodes|leaf.authorization.users[].proxy_required', go: 'the leaf user must connect through a trusted proxy' },
  { path: 'leafnodes|leaf.remotes[].dial_timeout', go: 'remote dial timeout' },
  { path: 'leafnodes|leaf.remotes[].compression', go: 'leaf link compression' },
  { path: 'leafnodes|leaf.remotes[].ws_no_masking|websocket_no_masking', go: 'unmasked websocket frames' },
  { path: 'leafnodes|leaf.remotes[].isolate_leafnode_interest|isolate', go: 'isolates the remote interest' },
  { path: 'leafnodes|leaf.remotes[].request_isolation', go: 'asks the hub to isolate interest' },
  { path: 'leafnodes|leaf.remotes[].nkey|seed', go: 'nkey authentication to the hub' },
  { path: 'leafnodes|leaf.remotes[].proxy', go: 'connects through an HTTP proxy' },
  { path: 'leafnodes|leaf.remotes[].jetstream_cluster_migrate|js_cluster_migrate', go: 'clustered JetStream migration' },
  // websocket
  { path: 'websocket|ws.jwt_cookie', go: 'JWT login from a cookie' },
  { path: 'websocket|ws.user_cookie', go: 'user login from a cookie' },
  { path: 'websocket|ws.pass_cookie', go: 'password login from a cookie' },
  { path: 'websocket|ws.token_cookie', go: 'token login from a cookie' },
  { path: 'websocket|ws.ping_interval', go: 'websocket ping interval' },
  // every TLS block
  ...TLS_BLOCKS.flatMap(([block, extra, supported]) =>
    [...TLS_IGNORED.filter(([key]) => !supported?.includes(key)), ...extra].map(([key, go]) => ({ path: `${block}.${key}`, go }))),
];

/** The table, for tests and documentation. */
export const UNSUPPORTED_OPTIONS: readonly UnsupportedOption[] = OPTIONS;

/** Command line flags accepted but not acted on: parser destination -> flag as warned. */
export const UNSUPPORTED_FLAGS: ReadonlyMap<string, string> = new Map([
  ['syslog', '--syslog'],
  ['remote_syslog', '--remote_syslog'],
  ['log_size_limit', '--log_size_limit'],
  ['https_port', '--https_port'],
  ['prof_port', '--profile'],
]);

// ---------------------------------------------------------------- matching

/** A trie over key paths: one node per key, aliases sharing a node. */
interface Node {
  keys: Map<string, Node>;
  any: Node | null;
  /** the value is an array of blocks: descend into each element */
  array: boolean;
  /** an entry ends here */
  entry: boolean;
}

function node(): Node {
  return { keys: new Map(), any: null, array: false, entry: false };
}

function buildTrie(options: readonly UnsupportedOption[]): Node {
  const root = node();
  for (const o of options) {
    let level = [root];
    const segs = o.path.split('.');
    segs.forEach((seg, i) => {
      const array = seg.endsWith('[]');
      const names = (array ? seg.slice(0, -2) : seg).split('|');
      const next: Node[] = [];
      for (const parent of level) {
        for (const name of names) {
          let child = name === '*' ? parent.any : parent.keys.get(name);
          if (!child) {
            child = node();
            if (name === '*') parent.any = child;
            else parent.keys.set(name, child);
          }
          if (array) child.array = true;
          if (i === segs.length - 1) child.entry = true;
          if (!next.includes(child)) next.push(child);
        }
      }
      level = next;
    });
  }
  return root;
}

const TRIE = buildTrie(OPTIONS);

/**
 * The unsupported keys present in a parsed config, as written (the user's
 * spelling, array elements without an index), each once, in file order.
 */
export function findUnsupported(tree: ConfMap): string[] {
  const found: string[] = [];
  walk(tree, TRIE, '', found);
  return found;
}

function walk(m: ConfMap, at: Node, prefix: string, found: string[]): void {
  for (const [raw, v] of m.values) {
    if (m.usedVars.has(raw)) continue;
    const n = at.keys.get(raw.toLowerCase()) ?? at.any;
    if (!n) continue;
    const path = prefix + raw;
    if (n.entry) {
      if (!found.includes(path)) found.push(path);
      continue;
    }
    descend(v, n, path + '.', found);
  }
}

function descend(v: ConfValue, n: Node, prefix: string, found: string[]): void {
  if (v instanceof ConfMap) walk(v, n, prefix, found);
  else if (n.array && Array.isArray(v)) for (const e of v) if (e instanceof ConfMap) walk(e, n, prefix, found);
}

/** The start-up warning for one unsupported setting. */
export function unsupportedWarning(u: UnsupportedSetting): string {
  return u.kind === 'flag'
    ? `Command line flag "${u.name}" is not supported by this server and is ignored`
    : `Config option "${u.name}" is not supported by this server and is ignored`;
}
