/**
 * Authorization callout in server-config mode (Go auth_callout.go, ADR-26):
 * an auth service written here with nats.js answers `$SYS.REQ.USER.AUTH`
 * with response JWTs built by @nats-io/jwt, and real clients log in through
 * it. Debian's Go nats-server is 2.9.10, older than auth callout (2.10), so
 * these tests follow the newest Go release's behaviour as its source and
 * tests (server/auth_callout_test.go) describe it, not a live differential.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { decode, encodeAuthorizationResponse, encodeUser } from '@nats-io/jwt';
import { createAccount, createCurve, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import { startServer, defaultOptions, Server, type RunningServer } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { RawConn } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';

const AUTH_SUBJECT = '$SYS.REQ.USER.AUTH';
const enc = new TextEncoder();
const dec = new TextDecoder();

interface AuthRequestNats {
  server_id: { name: string; host: string; id: string; version?: string; xkey?: string };
  user_nkey: string;
  client_info: { host?: string; id?: number; user?: string; name?: string; kind?: string; type?: string };
  connect_opts: { user?: string; pass?: string; auth_token?: string; name?: string; lang?: string; version?: string; protocol: number };
  type: string;
  version: number;
}
interface AuthRequest {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  exp?: number;
  nats: AuthRequestNats;
}

/** Every test server's files live here. */
const dir = mkdtempSync(join(tmpdir(), 'auth-callout-'));
let confSeq = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

async function startFromConfig(conf: string): Promise<RunningServer> {
  const f = join(dir, `s${++confSeq}.conf`);
  writeFileSync(f, conf);
  return startServer({ ...loadConfigFile(f, defaultOptions()), port: 0, host: '127.0.0.1', no_log: true });
}

function loadError(conf: string): string {
  const f = join(dir, `bad${++confSeq}.conf`);
  writeFileSync(f, conf);
  try {
    loadConfigFile(f, defaultOptions());
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

/**
 * The auth service: logs in as an auth user, answers each request with what
 * `decide` returns (a response JWT, raw bytes, or null for no answer).
 */
class AuthService {
  readonly requests: AuthRequest[] = [];
  readonly headers: (string | undefined)[] = [];
  answered = 0;
  private constructor(readonly nc: NatsConnection) {}

  static async start(
    url: string,
    decide: (req: AuthRequest, raw: Msg) => Promise<Uint8Array | null> | Uint8Array | null,
    open?: (m: Msg) => Uint8Array,
  ): Promise<AuthService> {
    const nc = await connect({ servers: url, user: 'auth', pass: 'pwd', reconnect: false });
    const svc = new AuthService(nc);
    nc.subscribe(AUTH_SUBJECT, {
      callback: (err, m) => {
        if (err) return;
        const data = open ? open(m) : m.data;
        const req = decode<AuthRequestNats>(dec.decode(data)) as unknown as AuthRequest;
        svc.requests.push(req);
        svc.headers.push(m.headers?.get('Nats-Server-Xkey'));
        void Promise.resolve(decide(req, m)).then((out) => {
          if (out === null) return;
          svc.answered++;
          m.respond(out);
        });
      },
    });
    await nc.flush();
    return svc;
  }

  get count(): number {
    return this.requests.length;
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

/** A response carrying a user JWT for the request's user nkey, placed in `account`. */
async function allow(req: AuthRequest, issuer: KeyPair, account: string, user: Record<string, unknown> = {}, signer: KeyPair = issuer, exp = 0): Promise<Uint8Array> {
  const ujwt = await encodeUser('', req.nats.user_nkey, signer, user, exp > 0 ? { aud: account, exp } : { aud: account });
  return enc.encode(await encodeAuthorizationResponse(req.nats.user_nkey, req.nats.server_id.id, signer, { jwt: ujwt }, {}));
}

async function deny(req: AuthRequest, issuer: KeyPair, error: string): Promise<Uint8Array> {
  return enc.encode(await encodeAuthorizationResponse(req.nats.user_nkey, req.nats.server_id.id, issuer, { error }, {}));
}

const isAuthViolation = (e: Error) => /authorization violation/i.test(e.message) || /AUTHORIZATION_VIOLATION/i.test(String((e as { code?: string }).code));

/** CONNECT raw as user/pass with `extra` ops in the same write; returns the connection. */
async function rawLogin(port: number, user: string, pass: string, extra = 'PING\r\n', verbose = false): Promise<RawConn> {
  const c = await RawConn.connect(port);
  await c.info();
  c.send(`CONNECT ${JSON.stringify({ verbose, pedantic: false, user, pass })}\r\n${extra}`);
  return c;
}

describe('auth callout (server-config mode)', () => {
  const issuer = createAccount();
  const wrongIssuer = createAccount();
  const conf = (extra = '') => `
    authorization {
      timeout: 0.5
      auth_callout {
        issuer: "${issuer.getPublicKey()}"
        account: AUTH
        auth_users: [ auth ]
        ${extra}
      }
    }
    accounts {
      AUTH { users: [ { user: auth, password: pwd } ] }
      A {}
      B {}
    }
  `;
  let s: RunningServer;
  let svc: AuthService;
  let release: (() => void) | null = null;

  before(async () => {
    s = await startFromConfig(conf());
    svc = await AuthService.start(s.url, async (req) => {
      const o = req.nats.connect_opts;
      const who = o.user ?? (o.auth_token ? `token:${o.auth_token}` : '');
      switch (who) {
        case 'alice': return o.pass === 'pa' ? allow(req, issuer, 'A', { pub: { deny: ['a.denied'] } }) : deny(req, issuer, 'bad password');
        case 'bob': return allow(req, issuer, 'B');
        case 'token:tok-a': return allow(req, issuer, 'A');
        case 'named': {
          const ujwt = await encodeUser('renamed', req.nats.user_nkey, issuer, {}, { aud: 'A' });
          return enc.encode(await encodeAuthorizationResponse(req.nats.user_nkey, req.nats.server_id.id, issuer, { jwt: ujwt }, {}));
        }
        case 'silent': return null;
        case 'empty': return new Uint8Array(0);
        case 'wrongkey': return allow(req, wrongIssuer, 'A');
        case 'nowhere': return allow(req, issuer, 'NOPE');
        case 'otheruser': {
          const ujwt = await encodeUser('', createUser().getPublicKey(), issuer, {}, { aud: 'A' });
          return enc.encode(await encodeAuthorizationResponse(req.nats.user_nkey, req.nats.server_id.id, issuer, { jwt: ujwt }, {}));
        }
        case 'slow':
          await new Promise<void>((r) => (release = r));
          return allow(req, issuer, 'A');
        default: return deny(req, issuer, 'unknown user');
      }
    });
  });
  after(async () => {
    await svc?.close();
    await s?.stop();
  });

  it('sends a server-signed authorization_request with the client and CONNECT details', async () => {
    const before = svc.count;
    const nc = await connect({ servers: s.url, user: 'alice', pass: 'pa', name: 'alice-app', reconnect: false });
    await nc.flush();
    assert.equal(svc.count, before + 1);
    const req = svc.requests.at(-1)!;
    // decode() above already verified the signature against `iss`: the server's own key
    assert.equal(req.iss, s.server.id);
    assert.equal(req.sub, issuer.getPublicKey());
    assert.equal(req.aud, 'nats-authorization-request');
    assert.ok(req.exp! > 0 && req.exp! - req.iat <= 1, 'expires after the auth timeout');
    assert.equal(req.nats.type, 'authorization_request');
    assert.equal(req.nats.version, 2);
    assert.match(req.nats.user_nkey, /^U[A-Z2-7]{55}$/);
    assert.equal(req.nats.server_id.id, s.server.id);
    assert.equal(req.nats.server_id.name, s.server.name);
    assert.equal(req.nats.client_info.host, '127.0.0.1');
    assert.equal(req.nats.client_info.user, 'alice');
    assert.equal(req.nats.client_info.name, 'alice-app');
    assert.equal(req.nats.client_info.kind, 'Client');
    assert.equal(req.nats.client_info.type, 'nats');
    assert.equal(typeof req.nats.client_info.id, 'number');
    assert.equal(req.nats.connect_opts.user, 'alice');
    assert.equal(req.nats.connect_opts.pass, 'pa');
    assert.equal(req.nats.connect_opts.protocol, 1);
    assert.equal(req.nats.connect_opts.lang, 'nats.js');
    assert.equal(svc.headers.at(-1), undefined, 'no xkey header without xkey');
    // a fresh user nkey per request
    const nc2 = await connect({ servers: s.url, user: 'alice', pass: 'pa', reconnect: false });
    await nc2.flush();
    assert.notEqual(svc.requests.at(-1)!.nats.user_nkey, req.nats.user_nkey);
    await nc.close();
    await nc2.close();
  });

  it('places the user in the account named by the user JWT audience: it sees that account only', async () => {
    const a1 = await connect({ servers: s.url, user: 'alice', pass: 'pa', reconnect: false });
    const a2 = await connect({ servers: s.url, token: 'tok-a', reconnect: false });
    const b = await connect({ servers: s.url, user: 'bob', pass: 'pb', reconnect: false });
    const gotA: string[] = [];
    const gotB: string[] = [];
    a1.subscribe('x', { callback: (_e, m) => void gotA.push(m.string()) });
    b.subscribe('x', { callback: (_e, m) => void gotB.push(m.string()) });
    await a1.flush();
    await b.flush();
    a2.publish('x', 'from-a');
    b.publish('x', 'from-b');
    await a2.flush();
    await b.flush();
    await waitFor(() => gotA.length === 1 && gotB.length === 1);
    assert.deepEqual(gotA, ['from-a']);
    assert.deepEqual(gotB, ['from-b']);
    // who the server thinks they are ($SYS.REQ.USER.INFO), as Go's callout tests ask
    const info = (await a1.request('$SYS.REQ.USER.INFO')).json<{ data: { user: string; account: string } }>();
    assert.equal(info.data.account, 'A');
    assert.equal(info.data.user, 'alice');
    const tinfo = (await a2.request('$SYS.REQ.USER.INFO')).json<{ data: { user: string; account: string } }>();
    assert.equal(tinfo.data.user, '[REDACTED]', 'a token is never shown');
    assert.equal((await b.request('$SYS.REQ.USER.INFO')).json<{ data: { account: string } }>().data.account, 'B');
    await Promise.all([a1.close(), a2.close(), b.close()]);
  });

  it('a name in the user JWT replaces the user name', async () => {
    const nc = await connect({ servers: s.url, user: 'named', pass: 'x', reconnect: false });
    const info = (await nc.request('$SYS.REQ.USER.INFO')).json<{ data: { user: string; account: string } }>();
    assert.equal(info.data.user, 'renamed');
    await nc.close();
  });

  it('enforces the permissions of the issued user JWT', async () => {
    const c = await rawLogin(s.port, 'alice', 'pa', 'PUB a.denied 2\r\nhi\r\nPUB a.ok 2\r\nhi\r\nPING\r\n');
    const d = await c.waitUntil((x) => x.includes('PONG'));
    assert.equal(d, `-ERR 'Permissions Violation for Publish to "a.denied"'\r\nPONG\r\n`);
    c.close();
  });

  it('an error in the response, an empty response, a wrong signer, a wrong user or an unknown account: Authorization Violation', async () => {
    for (const user of ['mallory', 'empty', 'wrongkey', 'otheruser', 'nowhere']) {
      const before = svc.count;
      await assert.rejects(connect({ servers: s.url, user, pass: 'x', reconnect: false }), isAuthViolation, user);
      assert.equal(svc.count, before + 1, `${user} went through the callout`);
    }
    // on the wire: Go's exact text, then the close
    const c = await rawLogin(s.port, 'mallory', 'x');
    const d = await c.waitUntil(() => c.closed);
    assert.equal(d, `-ERR 'Authorization Violation'\r\n`);
    assert.ok(c.closed);
  });

  it('no answer within the auth timeout: Authorization Violation', async () => {
    const t0 = Date.now();
    const c = await rawLogin(s.port, 'silent', 'x');
    const d = await c.waitUntil(() => c.closed, 5000);
    const took = Date.now() - t0;
    assert.equal(d, `-ERR 'Authorization Violation'\r\n`);
    assert.ok(took >= 450 && took < 2500, `closed after ${took}ms (auth timeout 500ms)`);
  });

  it('auth_users log in with their own password, without a callout; a wrong password is refused without one', async () => {
    const before = svc.count;
    const nc = await connect({ servers: s.url, user: 'auth', pass: 'pwd', reconnect: false });
    await nc.flush();
    await assert.rejects(connect({ servers: s.url, user: 'auth', pass: 'nope', reconnect: false }), isAuthViolation);
    assert.equal(svc.count, before);
    await nc.close();
  });

  it('a user in the callout account may not publish to the callout subject', async () => {
    const c = await rawLogin(s.port, 'auth', 'pwd', `PUB ${AUTH_SUBJECT} 0\r\n\r\nPING\r\n`);
    const d = await c.waitUntil((x) => x.includes('PONG'));
    assert.equal(d, `-ERR 'Permissions Violation for Publish to "${AUTH_SUBJECT}"'\r\nPONG\r\n`);
    c.close();
  });

  it('holds the connection\'s later input until the callout answers, then processes it in order', async () => {
    release = null;
    const c = await rawLogin(s.port, 'slow', 'x', 'SUB q 1\r\nPUB q 2\r\nhi\r\nPING\r\n', true);
    await waitFor(() => release !== null);
    // pending: nothing answered, and not placed in any account yet
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.take(), '');
    const pending = [...s.server.clients.values()].find((x) => x.port === c.sock.localPort)!;
    assert.equal(pending.acc.name, '$G');
    release!();
    const d = await c.waitUntil((x) => x.includes('PONG'));
    assert.equal(d, '+OK\r\n+OK\r\n+OK\r\nMSG q 1 2\r\nhi\r\nPONG\r\n');
    assert.equal(pending.acc.name, 'A');
    c.close();
  });

  it('a client that leaves while the callout is pending is cleaned up', async () => {
    release = null;
    const c = await rawLogin(s.port, 'slow', 'x');
    await waitFor(() => release !== null);
    c.close();
    await waitFor(() => ![...s.server.clients.values()].some((x) => x.port === c.sock.localPort && !x.closed));
    release!();
  });
});

describe('auth callout options', () => {
  const issuer = createAccount();

  it('rejects bad auth_callout blocks with Go\'s errors', () => {
    assert.match(loadError(`authorization { users: [{user: a, password: b}], auth_callout { issuer: "nope", auth_users: [a] } }`), /Expected callout user to be a valid public account nkey, got "nope"/);
    assert.match(loadError(`authorization { users: [{user: a, password: b}], auth_callout { auth_users: [a] } }`), /Authorization callouts require an issuer to be specified/);
    assert.match(loadError(`authorization { auth_callout { issuer: "${issuer.getPublicKey()}" } }`), /Authorization callouts require authorized users to be specified/);
    assert.match(loadError(`authorization { users: [{user: a, password: b}], auth_callout { issuer: "${issuer.getPublicKey()}", auth_users: [a], xkey: "${issuer.getPublicKey()}" } }`), /Expected callout xkey to be a valid public xkey/);
    assert.match(loadError(`authorization { users: [{user: a, password: b}], auth_callout { issuer: "${issuer.getPublicKey()}", auth_users: [a], bogus: 1 } }`), /Unknown field "bogus" parsing authorization callout/);
    assert.match(loadError(`authorization { users: [{user: a, password: b}], auth_callout { issuer: "${issuer.getPublicKey()}", auth_users: [a], allowed_accounts: [Z] } }`), /auth_callout allowed account "Z" not found in configured accounts/);
  });

  it('defaults the callout account to $G; auth_hook is an alias', async () => {
    const f = join(dir, 'alias.conf');
    writeFileSync(f, `authorization { users: [{user: auth, password: pwd}], auth_hook { issuer: "${issuer.getPublicKey()}", users: [auth] } }`);
    const o = loadConfigFile(f, defaultOptions());
    assert.deepEqual(o.auth_callout, { issuer: issuer.getPublicKey(), account: '$G', auth_users: ['auth'], xkey: '', allowed_accounts: [] });
  });

  it('global account: the request goes out in $G and users land in $G (Go TestAuthCalloutBasics shape)', async () => {
    const s = await startFromConfig(`authorization { timeout: 1, users: [{user: auth, password: pwd}], auth_callout { issuer: "${issuer.getPublicKey()}", auth_users: [auth] } }`);
    const svc = await AuthService.start(s.url, (req) => (req.nats.connect_opts.user === 'dlc' ? allow(req, issuer, '$G', { pub: { allow: ['$SYS.>'] } }) : null));
    const nc = await connect({ servers: s.url, user: 'dlc', pass: 'zzz', reconnect: false });
    const info = (await nc.request('$SYS.REQ.USER.INFO')).json<{ data: { user: string; account: string; permissions: { publish: { allow: string[]; deny: string[] } } } }>();
    assert.equal(info.data.user, 'dlc');
    assert.equal(info.data.account, '$G');
    // Go adds the callout-subject deny to every user of the callout account
    assert.deepEqual(info.data.permissions.publish, { allow: ['$SYS.>'], deny: [AUTH_SUBJECT] });
    await nc.close();
    await svc.close();
    await s.stop();
  });

  it('allowed_accounts: users of other configured accounts log in without the callout', async () => {
    const s = await startFromConfig(`
      accounts { AUTH { users: [{user: auth, password: pwd}] }, FOO { users: [{user: foo, password: pwd}] }, BAR {} }
      authorization { timeout: 1, auth_callout { issuer: "${issuer.getPublicKey()}", account: AUTH, auth_users: [auth], allowed_accounts: [BAR] } }`);
    const svc = await AuthService.start(s.url, (req) => (req.nats.connect_opts.user === 'dlc' ? allow(req, issuer, 'BAR') : deny(req, issuer, 'no')));
    const foo = await connect({ servers: s.url, user: 'foo', pass: 'pwd', reconnect: false });
    await foo.flush();
    assert.equal(svc.count, 0);
    const dlc = await connect({ servers: s.url, user: 'dlc', pass: 'zzz', reconnect: false });
    assert.equal((await dlc.request('$SYS.REQ.USER.INFO')).json<{ data: { account: string } }>().data.account, 'BAR');
    assert.equal(svc.count, 1);
    await Promise.all([foo.close(), dlc.close(), svc.close()]);
    await s.stop();
  });

  it('no_auth_user without CONNECT still goes through the callout (Go TestAuthCalloutNoAuthUserPreConnectInvokesCallout)', async () => {
    const s = await startFromConfig(`
      accounts { AUTH { users: [{user: auth, password: pwd}] }, FOO { users: [{user: foo, password: pwd}] } }
      no_auth_user: foo
      authorization { timeout: 1, auth_callout { issuer: "${issuer.getPublicKey()}", account: AUTH, auth_users: [auth] } }`);
    const svc = await AuthService.start(s.url, () => new Uint8Array(0));
    const c = await RawConn.connect(s.port);
    await c.info();
    c.send('PING\r\n');
    const d = await c.waitUntil(() => c.closed);
    assert.equal(d, `-ERR 'Authorization Violation'\r\n`);
    assert.equal(svc.count, 1);
    await svc.close();
    await s.stop();
  });

  it('xkey: requests are encrypted to the service; responses may be plain or encrypted to the server', async () => {
    const svcKey = createCurve();
    const s = await startFromConfig(`authorization { timeout: 1, users: [{user: auth, password: pwd}], auth_callout { issuer: "${issuer.getPublicKey()}", auth_users: [auth], xkey: "${svcKey.getPublicKey()}" } }`);
    let sawPlainJwt = false;
    const svc = await AuthService.start(
      s.url,
      async (req) => {
        const r = await allow(req, issuer, '$G');
        if (req.nats.connect_opts.pass === 'sealed') return svcKey.seal(r, req.nats.server_id.xkey!);
        return r;
      },
      (m) => {
        sawPlainJwt ||= dec.decode(m.data).startsWith('eyJ');
        const opened = svcKey.open(m.data, m.headers!.get('Nats-Server-Xkey'));
        assert.ok(opened, 'the service can open the request with its key and the header key');
        return opened;
      },
    );
    const a = await connect({ servers: s.url, user: 'dlc', pass: 'plain', reconnect: false });
    const b = await connect({ servers: s.url, user: 'dlc', pass: 'sealed', reconnect: false });
    await a.flush();
    await b.flush();
    assert.equal(sawPlainJwt, false, 'the request is not sent in the clear');
    const req = svc.requests.at(-1)!;
    assert.match(req.nats.server_id.xkey ?? '', /^X/);
    assert.equal(svc.headers.at(-1), req.nats.server_id.xkey, 'the header carries the signed server xkey');
    await Promise.all([a.close(), b.close(), svc.close()]);
    await s.stop();
  });

  it('user JWT expiry disconnects the client', async () => {
    const s = await startFromConfig(`authorization { timeout: 1, users: [{user: auth, password: pwd}], auth_callout { issuer: "${issuer.getPublicKey()}", auth_users: [auth] } }`);
    const svc = await AuthService.start(s.url, (req) => allow(req, issuer, '$G', {}, issuer, Math.floor(Date.now() / 1000) + 2));
    const c = await rawLogin(s.port, 'dlc', 'x');
    await c.waitUntil((x) => x.includes('PONG'));
    const d = await c.waitUntil(() => c.closed, 5000);
    assert.match(d, /-ERR 'User Authentication Expired'\r\n$/);
    await svc.close();
    await s.stop();
  });

  it('operator mode refuses a configured callout', () => {
    const spec = { issuer: issuer.getPublicKey(), account: '$G', auth_users: ['a'], xkey: '', allowed_accounts: [] };
    const op = createOperator();
    // the Go message, from validateTrustedOperators
    assert.throws(
      () => new Server({ operator_mode: { operator_jwts: [], trusted_keys: [op.getPublicKey()], resolver: { type: 'memory' }, resolver_preload: {} }, auth_callout: spec }),
      /operators do not allow authorization callouts to be configured directly/,
    );
  });
});
