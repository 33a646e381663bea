/**
 * The `accounts {}` block and top-level `mappings` (Go parseAccounts and the
 * parsers it calls): accounts with their users, exports, imports, subject
 * mappings, limits and JetStream limits. Users declared in an account are
 * added to the server-wide user lists bound to that account. Cross-account
 * references (exports/imports naming accounts) are checked once every
 * account is known.
 */
import { ConfMap, type ConfValue, type Pos } from './parser.js';
import { unlimitedJetStream, type AccountJetStreamSpec, type AccountSpec, type ExportSpec, type ImportSpec, type MappingSpec, type Options, type ResponseType, type UserSpec } from './options.js';
import { type Ctx, bool, describe, duration, forEachKey, int, str, strList } from './values.js';
import { parsePermissions, parseUser } from './users.js';

export const GLOBAL_ACCOUNT_NAME = '$G';
const DEFAULT_LATENCY_SAMPLING = 100;

export function parseAccountsBlock(ctx: Ctx, p: Pos | undefined, v: ConfValue, o: Options): void {
  const seen = new Set(o.accounts.map((a) => a.name));
  const add = (name: string, np: Pos | undefined): AccountSpec => {
    if (name === GLOBAL_ACCOUNT_NAME) ctx.err(np, `"${name}" is a Reserved Account`);
    if (seen.has(name)) ctx.err(np, `Duplicate Account Entry: ${name}`);
    seen.add(name);
    const a: AccountSpec = { name, limits: {}, exports: [], imports: [], mappings: [] };
    o.accounts.push(a);
    return a;
  };
  if (Array.isArray(v)) {
    for (const n of v) add(str(ctx, p, n), p);
    return;
  }
  if (!(v instanceof ConfMap)) ctx.err(p, `Expected accounts to be a map/struct or an array, got ${describe(v)}`);
  // user names and nkeys are unique across the authorization block and every account
  const taken = new Set<string>([...o.users.map((u) => u.user!), ...o.nkeys.map((u) => u.nkey!)]);
  for (const [name, av] of v.values) {
    if (v.usedVars.has(name)) continue;
    const ap = v.keyPos.get(name);
    if (!(av instanceof ConfMap)) ctx.err(ap, 'Expected map entries for accounts');
    const acc = add(name, ap);
    let users: UserSpec[] = [];
    let usersPos: Pos | undefined;
    forEachKey(ctx, ap, av, 'account', (k, val, kp, raw) => {
      switch (k) {
        case 'nkey': {
          const nk = typeof val === 'string' ? val : '';
          if (!/^A[A-Z2-7]{55}$/.test(nk)) ctx.err(kp, `Not a valid public nkey for an account: "${String(val)}"`);
          acc.nkey = nk;
          break;
        }
        case 'users':
          if (!Array.isArray(val)) ctx.err(kp, `Expected users field to be an array, got ${describe(val)}`);
          usersPos = kp;
          users = val.map((u) => parseUser(ctx, kp, u));
          break;
        case 'default_permissions':
          acc.default_permissions = parsePermissions(ctx, kp, val);
          break;
        case 'exports':
          if (!Array.isArray(val)) ctx.err(kp, `Exports should be an array, got ${describe(val)}`);
          for (const e of val) acc.exports.push(parseExport(ctx, kp, e));
          break;
        case 'imports':
          if (!Array.isArray(val)) ctx.err(kp, `Imports should be an array, got ${describe(val)}`);
          for (const i of val) acc.imports.push(parseImport(ctx, kp, i, acc.imports));
          break;
        case 'jetstream':
          acc.jetstream = parseAccountJetStream(ctx, kp, val);
          break;
        case 'mappings': case 'maps':
          acc.mappings.push(...parseMappings(ctx, kp, val));
          break;
        case 'limits':
          forEachKey(ctx, kp, val, 'account limits', (lk, lv, lp, lraw) => {
            switch (lk) {
              case 'max_connections': case 'max_conn': acc.limits.max_connections = int(ctx, lp, lv); break;
              case 'max_subscriptions': case 'max_subs': acc.limits.max_subscriptions = int(ctx, lp, lv); break;
              case 'max_payload': case 'max_pay': acc.limits.max_payload = int(ctx, lp, lv); break;
              case 'max_leafnodes': case 'max_leafs': acc.limits.max_leafnodes = int(ctx, lp, lv); break;
              default: ctx.err(lp, `Unknown field "${lraw}" parsing account limits`);
            }
          });
          break;
        case 'msg_trace': case 'trace_dest':
          break;
        default:
          ctx.err(kp, `unknown field "${raw}"`);
      }
    });
    if (users.length > 0) {
      if (o.username) ctx.err(usersPos, 'Can not have a single user/pass and accounts');
      if (o.authorization) ctx.err(usersPos, 'Can not have a token and accounts');
    }
    for (const u of users) {
      const id = u.nkey ?? u.user!;
      if (taken.has(id)) ctx.err(usersPos, u.nkey ? `Duplicate nkey "${id}" detected` : `Duplicate user "${id}" detected`);
      taken.add(id);
      u.account = acc.name;
      if (!u.permissions && acc.default_permissions) u.permissions = acc.default_permissions;
      if (u.nkey) o.nkeys.push(u);
      else o.users.push(u);
    }
  }
}

/** After the whole file is read: every account an export/import/user names must exist. */
export function checkAccountReferences(ctx: Ctx, o: Options): void {
  if (o.accounts.length === 0) return;
  const inAccounts = o.users.some((u) => u.account !== undefined) || o.nkeys.some((u) => u.account !== undefined);
  if (inAccounts && o.username) ctx.err(undefined, 'Can not have a single user/pass and accounts');
  if (inAccounts && o.authorization) ctx.err(undefined, 'Can not have a token and accounts');
  const names = new Set(o.accounts.map((a) => a.name));
  names.add(GLOBAL_ACCOUNT_NAME);
  if (o.system_account) names.add(o.system_account);
  for (const a of o.accounts) {
    for (const e of a.exports) {
      for (const n of e.accounts) if (!names.has(n)) ctx.err(undefined, `"${n}" account not defined for ${e.kind} export`);
    }
    for (const i of a.imports) {
      if (!names.has(i.account)) ctx.err(undefined, `"${i.account}" account not defined for ${i.kind} import`);
    }
  }
}

function parseExport(ctx: Ctx, p: Pos | undefined, v: ConfValue): ExportSpec {
  if (!(v instanceof ConfMap)) ctx.err(p, `Export Items should be a map with type entry, got ${describe(v)}`);
  let kind: 'stream' | 'service' | null = null;
  const e: ExportSpec = { kind: 'stream', subject: '', accounts: [], response_type: 'Singleton', response_threshold: 0, account_token_position: 0, allow_trace: false };
  let sawResponse = false;
  let sawThreshold = false;
  forEachKey(ctx, p, v, 'export', (k, val, kp, raw) => {
    switch (k) {
      case 'stream': case 'service': {
        if (kind !== null && kind !== k) ctx.err(kp, `Detected ${k} "${String(val)}" but already saw a ${kind}`);
        if (typeof val !== 'string') ctx.err(kp, `Expected ${k} name to be string, got ${describe(val)}`);
        kind = k;
        e.kind = k;
        e.subject = val;
        break;
      }
      case 'response': case 'response_type': {
        if (sawResponse) ctx.err(kp, 'Duplicate response type definition');
        sawResponse = true;
        if (typeof val !== 'string') ctx.err(kp, `Expected response type to be string, got ${describe(val)}`);
        const t = val.toLowerCase();
        const rt: ResponseType | null = t === 'single' || t === 'singleton' ? 'Singleton' : t === 'stream' ? 'Stream' : t === 'chunk' || t === 'chunked' ? 'Chunked' : null;
        if (rt === null) ctx.err(kp, `Unknown response type: "${val}"`);
        e.response_type = rt;
        break;
      }
      case 'threshold': case 'response_threshold': case 'response_max_time': case 'response_time': {
        if (sawThreshold) ctx.err(kp, 'Duplicate response threshold detected');
        sawThreshold = true;
        if (typeof val !== 'string') ctx.err(kp, `Expected response threshold to be a parseable time duration, got ${describe(val)}`);
        e.response_threshold = duration(ctx, kp, val, 'response threshold');
        break;
      }
      case 'accounts':
        e.accounts = strList(ctx, kp, val);
        break;
      case 'latency':
        e.latency = parseLatency(ctx, kp, val);
        break;
      case 'account_token_position':
        e.account_token_position = int(ctx, kp, val);
        break;
      case 'allow_trace':
        e.allow_trace = bool(ctx, kp, val);
        break;
      default:
        ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  if (kind === null) ctx.err(p, 'Export Items should be a map with type entry');
  if (kind === 'stream') {
    if (sawResponse || sawThreshold) ctx.err(p, 'Detected response directive on non-service');
    if (e.latency) ctx.err(p, 'Detected latency directive on non-service');
    if (e.allow_trace) ctx.err(p, 'Detected allow_trace directive on non-service');
  }
  return e;
}

function parseLatency(ctx: Ctx, p: Pos | undefined, v: ConfValue): { sampling: number; subject: string } {
  if (typeof v === 'string') return { sampling: DEFAULT_LATENCY_SAMPLING, subject: v };
  if (!(v instanceof ConfMap)) ctx.err(p, `Expected latency entry to be a map/struct or string, got ${describe(v)}`);
  let sampling = DEFAULT_LATENCY_SAMPLING;
  let subject: string | null = null;
  forEachKey(ctx, p, v, 'latency', (k, val, kp) => {
    if (k === 'sampling') {
      if (typeof val === 'string' && val.trim().toLowerCase() === 'headers') {
        sampling = 0;
        return;
      }
      const n = typeof val === 'number' ? val : typeof val === 'string' ? Number.parseInt(val.replace(/%$/, ''), 10) : NaN;
      if (!Number.isInteger(n)) ctx.err(kp, `Failed to parse latency sample: ${String(val)}`);
      if (n < 1 || n > 100) ctx.err(kp, 'sampling rate must be from 1 to 100');
      sampling = n;
    } else if (k === 'subject') {
      if (typeof val !== 'string') ctx.err(kp, `Expected latency subject to be a string, got ${describe(val)}`);
      subject = val;
    }
  });
  if (subject === null) ctx.err(p, 'Latency subject required, but missing');
  return { sampling, subject };
}

function parseImport(ctx: Ctx, p: Pos | undefined, v: ConfValue, earlier: ImportSpec[]): ImportSpec {
  if (!(v instanceof ConfMap)) ctx.err(p, `Import Items should be a map with type entry, got ${describe(v)}`);
  let kind: 'stream' | 'service' | null = null;
  const i: ImportSpec = { kind: 'stream', account: '', subject: '', share: false, allow_trace: false };
  forEachKey(ctx, p, v, 'import', (k, val, kp, raw) => {
    switch (k) {
      case 'stream': case 'service': {
        if (kind !== null && kind !== k) ctx.err(kp, `Detected ${k} but already saw a ${kind}`);
        if (!(val instanceof ConfMap)) ctx.err(kp, `${k === 'stream' ? 'Stream' : 'Service'} entry should be an account map, got ${describe(val)}`);
        kind = k;
        i.kind = k;
        forEachKey(ctx, kp, val, 'import source', (sk, sv, sp, sraw) => {
          if (sk === 'account') i.account = str(ctx, sp, sv);
          else if (sk === 'subject') i.subject = str(ctx, sp, sv);
          else ctx.err(sp, `unknown field "${sraw}"`);
        });
        if (!i.account || !i.subject) ctx.err(kp, 'Expect an account name and a subject');
        break;
      }
      case 'prefix': i.prefix = str(ctx, kp, val); break;
      case 'to': i.to = str(ctx, kp, val); break;
      case 'share': i.share = bool(ctx, kp, val); break;
      case 'allow_trace': i.allow_trace = bool(ctx, kp, val); break;
      default:
        ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  if (kind === null) ctx.err(p, 'Import Items should be a map with type entry');
  if (kind === 'stream' && i.prefix !== undefined && i.to !== undefined) ctx.err(p, "Stream import can not have a 'prefix' and a 'to' property");
  if (kind === 'service' && i.allow_trace) ctx.err(p, 'Detected allow_trace directive on a non-stream');
  if (kind === 'service') {
    const local = i.to ?? i.subject;
    const dup = earlier.find((x) => x.kind === 'service' && (x.to ?? x.subject) === local);
    if (dup) ctx.err(p, `Duplicate service import subject "${local}", previously used in import for account "${dup.account}", subject "${dup.subject}"`);
  }
  return i;
}

/** Go parseJetStreamForAccount: true/"enabled" (unlimited), false/"disabled", or a limits map. */
function parseAccountJetStream(ctx: Ctx, p: Pos | undefined, v: ConfValue): AccountJetStreamSpec | null {
  if (typeof v === 'boolean') return v ? unlimitedJetStream() : null;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'enabled' || s === 'enable') return unlimitedJetStream();
    if (s === 'disabled' || s === 'disable') return null;
    ctx.err(p, `Expected 'enabled' or 'disabled' for string value, got '${v}'`);
  }
  const l = unlimitedJetStream();
  const size = (kp: Pos | undefined, k: string, val: ConfValue): number => {
    if (typeof val !== 'number') ctx.err(kp, `Expected a parseable size for "${k}", got ${String(val)}`);
    return Math.trunc(val);
  };
  forEachKey(ctx, p, v, 'account jetstream', (k, val, kp, raw) => {
    switch (k) {
      case 'max_memory': case 'max_mem': case 'mem': case 'memory': l.max_memory = size(kp, raw, val); break;
      case 'max_store': case 'max_file': case 'max_disk': case 'store': case 'disk': l.max_storage = size(kp, raw, val); break;
      case 'max_streams': case 'streams': l.max_streams = size(kp, raw, val); break;
      case 'max_consumers': case 'consumers': l.max_consumers = size(kp, raw, val); break;
      case 'max_bytes_required': case 'max_stream_bytes': case 'max_bytes':
        if (typeof val !== 'boolean') ctx.err(kp, `Expected a parseable bool for "${raw}", got ${String(val)}`);
        l.max_bytes_required = val;
        break;
      case 'mem_max_stream_bytes': case 'memory_max_stream_bytes': l.memory_max_stream_bytes = size(kp, raw, val); break;
      case 'disk_max_stream_bytes': case 'store_max_stream_bytes': l.storage_max_stream_bytes = size(kp, raw, val); break;
      case 'max_ack_pending': l.max_ack_pending = size(kp, raw, val); break;
      case 'cluster_traffic': {
        const s = typeof val === 'string' ? val : null;
        if (s !== 'system' && s !== 'owner' && s !== '') ctx.err(kp, `Expected 'system' or 'owner' string value for "${raw}", got ${String(val)}`);
        break;
      }
      default:
        ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  return l;
}

/** Go parseAccountMappings: `src: dest`, `src: {dest, weight}` or `src: [{dest, weight, cluster}, ...]`. */
export function parseMappings(ctx: Ctx, p: Pos | undefined, v: ConfValue): MappingSpec[] {
  const out: MappingSpec[] = [];
  forEachKey(ctx, p, v, 'mappings', (_k, val, kp, src) => {
    if (!validSubject(src)) ctx.err(kp, `Subject "${src}" is not a valid subject`);
    if (typeof val === 'string') out.push({ source: src, dests: [{ subject: val, weight: 100 }] });
    else if (Array.isArray(val)) out.push({ source: src, dests: val.map((d) => parseMapDest(ctx, kp, d)) });
    else out.push({ source: src, dests: [parseMapDest(ctx, kp, val)] });
  });
  return out;
}

function parseMapDest(ctx: Ctx, p: Pos | undefined, v: ConfValue): { subject: string; weight: number; cluster?: string } {
  if (!(v instanceof ConfMap)) ctx.err(p, 'Expected an entry for the mapping destination');
  const d: { subject: string; weight: number; cluster?: string } = { subject: '', weight: -1 };
  forEachKey(ctx, p, v, 'mapping destination', (k, val, kp, raw) => {
    switch (k) {
      case 'dest': case 'destination': d.subject = str(ctx, kp, val); break;
      case 'weight': {
        let w: number;
        if (typeof val === 'number') w = val;
        else if (typeof val === 'string') {
          const s = val.replace(/%$/, '');
          w = /^-?\d+$/.test(s) ? Number(s) : NaN;
          if (Number.isNaN(w)) ctx.err(kp, `Invalid weight "${s}" for mapping destination`);
        } else return ctx.err(kp, `Unknown entry type for weight of ${String(val)}`);
        if (w > 100 || w < 0) ctx.err(kp, `Invalid weight ${w} for mapping destination`);
        d.weight = w;
        break;
      }
      case 'cluster': d.cluster = str(ctx, kp, val); break;
      default:
        ctx.err(kp, `Unknown field "${raw}" for mapping destination`);
    }
  });
  if (d.weight < 0) ctx.err(p, `Missing weight for mapping destination "${d.subject}"`);
  return d;
}

function validSubject(s: string): boolean {
  if (s === '' || /\s/.test(s)) return false;
  const t = s.split('.');
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '') return false;
    if (t[i] === '>' && i !== t.length - 1) return false;
  }
  return true;
}
