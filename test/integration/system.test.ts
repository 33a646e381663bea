/**
 * The system account: connect/disconnect advisories, STATSZ, the PING and
 * per-server/per-account request services, USER.INFO, KICK, and that other
 * accounts cannot see $SYS traffic. Run against ours and Go's server.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { startServer, defaultOptions } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { startGoServer, GO_SERVER_BIN } from '../helpers/go-server.js';
import { waitFor } from '../helpers/wait.js';

const CONFIG = `
accounts {
  SYS: { users: [ {user: sys, password: sys} ] }
  A: { users: [ {user: a, password: a, permissions: { publish: { allow: ["x.>", "$SYS.REQ.USER.INFO", "$SYS.REQ.ACCOUNT.PING.CONNZ", "_INBOX.>"] } } } ] }
}
system_account: SYS
`;

type J = Record<string, any>;

for (const kind of ['ours', 'go'] as const) {
  describe(`system account (${kind})`, { skip: kind === 'go' && !GO_SERVER_BIN }, () => {
    let dir: string;
    let url: string;
    let stop: () => Promise<void>;
    let sys: NatsConnection;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nsts-sys-'));
      if (kind === 'go') {
        const g = await startGoServer([], CONFIG);
        url = g.url;
        stop = () => g.stop();
      } else {
        const f = join(dir, 's.conf');
        writeFileSync(f, CONFIG);
        const s = await startServer({ ...loadConfigFile(f, defaultOptions()), port: 0, host: '127.0.0.1' });
        url = s.url;
        stop = () => s.stop();
      }
      sys = await connect({ servers: url, user: 'sys', pass: 'sys' });
    });
    after(async () => {
      await sys.close();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const req = async (subject: string, body: unknown = '', timeout = 2000): Promise<J> =>
      (await sys.request(subject, body === '' ? '' : JSON.stringify(body), { timeout })).json<J>();

    it('connect and disconnect advisories for an account', async () => {
      const got: Msg[] = [];
      const sub = sys.subscribe('$SYS.ACCOUNT.A.*', { callback: (_e, m) => void got.push(m) });
      await sys.flush();
      const a = await connect({ servers: url, user: 'a', pass: 'a', name: 'adv' });
      await a.flush();
      await a.close();
      await waitFor(() => got.some((m) => m.subject.endsWith('.DISCONNECT')), 3000);
      const conn = got.find((m) => m.subject === '$SYS.ACCOUNT.A.CONNECT')!.json<J>();
      const disc = got.find((m) => m.subject === '$SYS.ACCOUNT.A.DISCONNECT')!.json<J>();
      assert.equal(conn.type, 'io.nats.server.advisory.v1.client_connect');
      assert.equal(disc.type, 'io.nats.server.advisory.v1.client_disconnect');
      for (const e of [conn, disc]) {
        assert.deepEqual(Object.keys(e.server).filter((k) => ['name', 'host', 'id', 'ver', 'seq', 'time', 'jetstream'].includes(k)).sort(), ['host', 'id', 'jetstream', 'name', 'seq', 'time', 'ver']);
        assert.equal(e.client.acc, 'A');
        assert.equal(e.client.user, 'a');
        assert.equal(e.client.name, 'adv');
        assert.equal(typeof e.client.id, 'number');
      }
      assert.equal(disc.reason, 'Client Closed');
      assert.ok(disc.received.msgs >= 0 && disc.sent.msgs >= 0);
      assert.ok(typeof disc.client.stop === 'string');
      sub.unsubscribe();
    });

    it('PING.STATSZ, IDZ, VARZ and CONNZ answer with the server envelope', async () => {
      const st = await req('$SYS.REQ.SERVER.PING.STATSZ');
      for (const k of ['start', 'mem', 'cores', 'cpu', 'connections', 'total_connections', 'active_accounts', 'subscriptions', 'sent', 'received', 'slow_consumers']) assert.ok(k in st.statsz, k);
      assert.ok(st.statsz.connections >= 1);
      const legacy = await req('$SYS.REQ.SERVER.PING');
      assert.ok('statsz' in legacy);
      // IDZ is newer than 2.9.10; HEALTHZ and ACCOUNTZ answer what /healthz and /accountz answer
      if (kind === 'ours') {
        const hz = await req('$SYS.REQ.SERVER.PING.HEALTHZ');
        assert.deepEqual(hz.data, { status: 'ok', status_code: 200 }); // the $SYS answer keeps the code HTTP moves to the status line
        const az = await req('$SYS.REQ.SERVER.PING.ACCOUNTZ', { account: 'A' });
        assert.equal(az.data.account_detail.account_name, 'A');
        assert.equal(az.data.system_account, 'SYS');
        const idz = await req('$SYS.REQ.SERVER.PING.IDZ');
        assert.deepEqual(Object.keys(idz.data).sort(), ['host', 'id', 'name']);
        assert.equal(idz.data.id, sys.info!.server_id);
      }
      const varz = await req(`$SYS.REQ.SERVER.${sys.info!.server_id}.VARZ`);
      assert.equal(varz.data.server_id, sys.info!.server_id);
      assert.equal(varz.server.id, sys.info!.server_id);
      const connz = await req('$SYS.REQ.SERVER.PING.CONNZ', { subscriptions: true });
      assert.ok(connz.data.num_connections >= 1);
      assert.ok(Array.isArray(connz.data.connections[0].subscriptions_list));
    });

    it('a request naming another server is not answered', async () => {
      await assert.rejects(req('$SYS.REQ.SERVER.PING.VARZ', { server_name: 'no-such-server' }, 500));
    });

    it('per-account requests: CONNZ, SUBSZ, STATZ', async () => {
      const a = await connect({ servers: url, user: 'a', pass: 'a' });
      a.subscribe('x.watch');
      await a.flush();
      const connz = await req('$SYS.REQ.ACCOUNT.A.CONNZ', { auth: true });
      assert.equal(connz.data.num_connections, 1);
      assert.equal(connz.data.connections[0].account, 'A');
      const subsz = await req('$SYS.REQ.ACCOUNT.A.SUBSZ');
      assert.ok(subsz.data.subscriptions_list.some((s: J) => s.subject === 'x.watch'));
      const statz = await req('$SYS.REQ.ACCOUNT.A.STATZ');
      const acc = statz.data.account_statz.find((x: J) => x.acc === 'A');
      assert.equal(acc.conns, 1);
      if (kind === 'ours') assert.ok(acc.num_subscriptions >= 1);
      // an account asks about itself through the system imports every account has
      const own = (await a.request('$SYS.REQ.ACCOUNT.PING.CONNZ', '', { timeout: 2000 })).json<J>();
      assert.equal(own.data.num_connections, 1);
      await a.close();
    });

    // USER.INFO is newer than 2.9.10
    it('USER.INFO tells a connection its user, account and permissions', { skip: kind === 'go' }, async () => {
      const a = await connect({ servers: url, user: 'a', pass: 'a' });
      const r = (await a.request('$SYS.REQ.USER.INFO', '', { timeout: 2000 })).json<J>();
      assert.equal(r.data.user, 'a');
      assert.equal(r.data.account, 'A');
      assert.deepEqual(r.data.permissions.publish.allow, ['x.>', '$SYS.REQ.USER.INFO', '$SYS.REQ.ACCOUNT.PING.CONNZ', '_INBOX.>']);
      await a.close();
    });

    it('other accounts do not see $SYS traffic', async () => {
      const a = await connect({ servers: url, user: 'a', pass: 'a', maxReconnectAttempts: 0 });
      const seen: string[] = [];
      a.subscribe('$SYS.>', { callback: (_e, m) => void seen.push(m.subject) });
      await a.flush();
      const b = await connect({ servers: url, user: 'a', pass: 'a' });
      await b.close();
      await req('$SYS.REQ.SERVER.PING.VARZ');
      await a.flush();
      assert.deepEqual(seen, []);
      await a.close();
    });
  });
}

describe('system account requests newer than 2.9.10 (ours)', () => {
  it('KICK closes a connection by id; an unknown id is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-sys-kick-'));
    const f = join(dir, 's.conf');
    writeFileSync(f, CONFIG);
    const s = await startServer({ ...loadConfigFile(f, defaultOptions()), port: 0, host: '127.0.0.1' });
    try {
      const sys = await connect({ servers: s.url, user: 'sys', pass: 'sys' });
      const a = await connect({ servers: s.url, user: 'a', pass: 'a', reconnect: false });
      const closed = a.closed();
      const connz = (await sys.request('$SYS.REQ.ACCOUNT.A.CONNZ', '', { timeout: 2000 })).json<J>();
      const cid = connz.data.connections[0].cid;
      const id = sys.info!.server_id;
      const ok = (await sys.request(`$SYS.REQ.SERVER.${id}.KICK`, JSON.stringify({ cid }), { timeout: 2000 })).json<J>();
      assert.equal(ok.error, undefined);
      await closed;
      const bad = (await sys.request(`$SYS.REQ.SERVER.${id}.KICK`, JSON.stringify({ cid: 999999 }), { timeout: 2000 })).json<J>();
      assert.deepEqual(bad.error, { code: 500, description: 'no such client or leafnode id' });
      const closedz = (await sys.request('$SYS.REQ.SERVER.PING.CONNZ', JSON.stringify({ state: 1 }), { timeout: 2000 })).json<J>();
      assert.ok(closedz.data.connections.some((c: J) => c.cid === cid && c.reason === 'Kicked'));
      await sys.close();
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('system account responses have Go\'s fields', { skip: !GO_SERVER_BIN }, () => {
  it('events, STATSZ and the PING/account request payloads carry every field 2.9.10 sends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-sys-fields-'));
    const f = join(dir, 's.conf');
    writeFileSync(f, CONFIG);
    const ours = await startServer({ ...loadConfigFile(f, defaultOptions()), port: 0, host: '127.0.0.1' });
    const go = await startGoServer([], CONFIG);
    /** every key path in `v` (objects only, arrays through their first element) */
    const paths = (v: unknown, pre = ''): string[] => {
      if (Array.isArray(v)) return v.length > 0 ? paths(v[0], pre + '[]') : [];
      if (v === null || typeof v !== 'object') return [];
      return Object.entries(v as J).flatMap(([k, x]) => [pre + k, ...paths(x, pre + k + '.')]);
    };
    const collect = async (url: string): Promise<Record<string, J>> => {
      const sys = await connect({ servers: url, user: 'sys', pass: 'sys' });
      const events: Msg[] = [];
      sys.subscribe('$SYS.ACCOUNT.A.*', { callback: (_e, m) => void events.push(m) });
      await sys.flush();
      const a = await connect({ servers: url, user: 'a', pass: 'a', name: 'fields' });
      a.subscribe('x.fields');
      await a.flush();
      const out: Record<string, J> = {};
      const ask = async (subject: string, body = '') => (await sys.request(subject, body, { timeout: 2000 })).json<J>();
      out.statsz = await ask('$SYS.REQ.SERVER.PING');
      out.varz = await ask('$SYS.REQ.SERVER.PING.VARZ');
      out.connz = await ask('$SYS.REQ.SERVER.PING.CONNZ', JSON.stringify({ subscriptions: true, auth: true }));
      out.subsz = await ask('$SYS.REQ.ACCOUNT.A.SUBSZ');
      out.statz = await ask('$SYS.REQ.ACCOUNT.A.STATZ');
      out.conns = await ask('$SYS.REQ.ACCOUNT.A.CONNS');
      await a.close();
      await waitFor(() => events.some((m) => m.subject.endsWith('.DISCONNECT')), 3000);
      out.connect = events.find((m) => m.subject.endsWith('.CONNECT'))!.json<J>();
      out.disconnect = events.find((m) => m.subject.endsWith('.DISCONNECT'))!.json<J>();
      await sys.close();
      return out;
    };
    try {
      const g = await collect(go.url);
      const o = await collect(ours.url);
      // fields whose presence depends on values (zero/empty omitted) or on Go-only internals
      const optional = /(^|\.)(rtt|tags|cluster|domain|gateways|routes|leafs|leafnodes|jwt|issuer_key|name_tag|mqtt_client|tls_[a-z_]+|slow_consumer_stats|stale_connection_stats|ping_interval|js_api_level|config_load_time|system_account|trusted_operators_[a-z_]+|[a-z_]+_url[s]?|websocket.*|mqtt.*|gateway.*|cluster.*|leaf.*|pinned_account_fails|http_req_stats.*|auth_timeout|tls_timeout|write_timeout|write_deadline|max_pending|max_subscriptions)$/;
      for (const what of Object.keys(g)) {
        const have = new Set(paths(o[what]));
        const missing = paths(g[what]).filter((p) => !have.has(p) && !optional.test(p));
        assert.deepEqual(missing, [], `${what}: fields Go sends that we do not`);
      }
    } finally {
      await ours.stop();
      await go.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
