/**
 * Operator mode (decentralized JWT auth): operator, accounts and users made
 * here with @nats-io/jwt + @nats-io/nkeys, a config with a trusted operator,
 * the system account and the full nats resolver preloaded with the account
 * JWTs. Every case runs against our server and Go's nats-server 2.9.10 with
 * the same expectations (accept/refuse and the exact -ERR texts).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { encodeAccount, encodeOperator, encodeUser, fmtCreds, newScopedSigner } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import { startServer, defaultOptions } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { RawConn } from '../helpers/raw.js';
import { startGoServer, GO_SERVER_BIN } from '../helpers/go-server.js';
import { waitFor } from '../helpers/wait.js';

/** nsc's defaults: every limit off. (A limit absent from the JWT reads as 0 in Go.) */
const NO_LIMITS = { subs: -1, data: -1, payload: -1, conn: -1, leaf: -1, imports: -1, exports: -1, wildcards: true };
const now = () => Math.floor(Date.now() / 1000);

interface User {
  kp: KeyPair;
  jwt: string;
  creds: Uint8Array;
}

async function user(name: string, issuer: KeyPair, data: Record<string, unknown> = {}, opts: Record<string, unknown> = {}): Promise<User> {
  const kp = createUser();
  const jwt = await encodeUser(name, kp, issuer, data, opts);
  return { kp, jwt, creds: fmtCreds(jwt, kp) };
}

/** Everything the cases need: keys, JWTs, and the users of each case. */
async function makeEnv() {
  const op = createOperator();
  const opSk = createOperator();
  const sys = createAccount();
  const a = createAccount();
  const aSk = createAccount();
  const aScope = createAccount();
  const b = createAccount();
  const d = createAccount();
  const e = createAccount();
  const untrustedOp = createOperator();
  const c = createAccount();

  const opJwt = await encodeOperator('OP', op, { system_account: sys.getPublicKey(), signing_keys: [opSk.getPublicKey()] });
  const sysJwt = await encodeAccount('SYS', sys, { limits: NO_LIMITS }, { signer: op });
  const revokedUser = await user('revoked', a);
  const scope = newScopedSigner(aScope, 'scoped', { pub: { allow: ['scoped.>'], deny: [] }, sub: { allow: ['scoped.>', '_INBOX.>'], deny: [] } });
  const aJwt = await encodeAccount(
    'A',
    a,
    { limits: NO_LIMITS, signing_keys: [aSk.getPublicKey(), scope], revocations: { [revokedUser.kp.getPublicKey()]: now() + 5 } },
    { signer: opSk },
  );
  const bJwt = await encodeAccount('B', b, { limits: NO_LIMITS }, { signer: op });
  const dJwt = await encodeAccount('D', d, { limits: { ...NO_LIMITS, conn: 1 } }, { signer: op });
  const eJwt = await encodeAccount('E', e, { limits: NO_LIMITS }, { signer: op });
  const cJwt = await encodeAccount('C', c, { limits: NO_LIMITS }, { signer: untrustedOp });

  return {
    op, sys, a, b, d, c, e,
    opJwt, sysJwt, aJwt, bJwt, dJwt, cJwt,
    preload: { [sys.getPublicKey()]: sysJwt, [a.getPublicKey()]: aJwt, [b.getPublicKey()]: bJwt, [d.getPublicKey()]: dJwt, [e.getPublicKey()]: eJwt, [c.getPublicKey()]: cJwt },
    users: {
      sys: await user('sys', sys),
      a1: await user('a1', a),
      b1: await user('b1', b),
      b2: await user('b2', b),
      expired: await user('expired', a, {}, { exp: now() - 10 }),
      notYet: await user('later', a, {}, { nbf: now() + 3600 }),
      revoked: revokedUser,
      untrusted: await user('c1', c),
      signed: await user('sk', a, { pub: { allow: ['sk.>'] }, sub: { allow: ['sk.>'] } }, { signer: aSk }),
      scoped: await user('scoped', a, {}, { signer: aScope, scopedUser: true }),
      scopedWithPerms: await user('scoped2', a, { pub: { allow: ['>'] } }, { signer: aScope, scopedUser: true }),
      d1: await user('d1', d),
      d2: await user('d2', d),
      e1: await user('e1', e),
      bearer: await user('bearer', a, { bearer_token: true }),
      limited: await user('limited', a, { subs: 1, payload: 10 }),
      // permissions long enough that the CONNECT carrying the JWT is a few KB (under max_control_line)
      long: await user('long', a, {
        pub: { allow: Array.from({ length: 40 }, (_, i) => `orders.region-${i}.>`) },
        sub: { allow: [...Array.from({ length: 40 }, (_, i) => `orders.region-${i}.>`), '_INBOX.>'] },
      }),
    },
  };
}
type Env = Awaited<ReturnType<typeof makeEnv>>;

function configText(env: Env, dir: string, jwtDir: string): string {
  const opFile = join(dir, 'op.jwt');
  writeFileSync(opFile, env.opJwt);
  const preload = Object.entries(env.preload).map(([k, v]) => `  ${k}: ${v}`).join('\n');
  return `
operator: "${opFile}"
system_account: ${env.sys.getPublicKey()}
resolver: { type: full, dir: "${jwtDir}", allow_delete: false, interval: "2m", timeout: "1.9s" }
resolver_preload: {
${preload}
}
`;
}

interface Target {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** Raw login: read INFO, CONNECT with the JWT and the nonce signed by `signer` (none for bearer), then PING. */
async function rawLogin(port: number, jwt: string, signer: KeyPair | null): Promise<{ conn: RawConn; out: string; info: Record<string, unknown> }> {
  const conn = await RawConn.connect(port);
  const info = await conn.info();
  const connect: Record<string, unknown> = { verbose: false, pedantic: false, protocol: 0, jwt };
  if (signer) connect.sig = Buffer.from(signer.sign(Buffer.from(String(info.nonce)))).toString('base64url');
  conn.send(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
  const out = await conn.waitUntil((x) => x.includes('PONG\r\n') || x.includes('-ERR'));
  if (out.includes('-ERR')) await conn.waitClosed(2000);
  else conn.take();
  return { conn, out, info };
}

const AUTH_ERR = "-ERR 'Authorization Violation'\r\n";

for (const kind of ['ours', 'go'] as const) {
  describe(`operator mode JWT auth (${kind})`, { skip: kind === 'go' && !GO_SERVER_BIN }, () => {
    let dir: string;
    let jwtDir: string;
    let env: Env;
    let t: Target;
    const open: { close(): unknown }[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nsts-jwt-'));
      jwtDir = join(dir, 'jwt');
      env = await makeEnv();
      const cfg = configText(env, dir, jwtDir);
      if (kind === 'ours') {
        const f = join(dir, 'server.conf');
        writeFileSync(f, cfg);
        const o = loadConfigFile(f, defaultOptions());
        const s = await startServer({ ...o, port: 0, host: '127.0.0.1' });
        t = { port: s.port, url: s.url, stop: () => s.stop() };
      } else {
        const g = await startGoServer([], cfg);
        t = { port: g.port, url: g.url, stop: () => g.stop() };
      }
    });
    after(async () => {
      for (const c of open) await c.close();
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    async function creds(u: User): Promise<NatsConnection> {
      const nc = await connect({ port: t.port, authenticator: credsAuthenticator(u.creds), reconnect: false });
      open.push(nc);
      return nc;
    }

    async function refused(u: User, signer: KeyPair | null = u.kp): Promise<void> {
      const r = await rawLogin(t.port, u.jwt, signer);
      assert.equal(r.out, AUTH_ERR);
      assert.ok(r.conn.closed);
    }

    it('INFO asks for auth and carries a nonce; a CONNECT without a JWT is refused', async () => {
      const c = await RawConn.connect(t.port);
      const info = await c.info();
      assert.equal(info.auth_required, true);
      assert.equal(typeof info.nonce, 'string');
      c.send('CONNECT {"verbose":false}\r\nPING\r\n');
      assert.equal(await c.waitClosed(), AUTH_ERR);
    });

    it('a creds file logs in, and the user lands in its own account (isolation between accounts)', async () => {
      const a1 = await creds(env.users.a1);
      const b1 = await creds(env.users.b1);
      const b2 = await creds(env.users.b2);
      const inA: string[] = [];
      const inB: string[] = [];
      const sa = a1.subscribe('iso');
      const sb = b1.subscribe('iso');
      (async () => { for await (const m of sa) inA.push(m.string()); })();
      (async () => { for await (const m of sb) inB.push(m.string()); })();
      await a1.flush();
      await b1.flush();
      b2.publish('iso', 'from-b');
      await b2.flush();
      a1.publish('iso', 'from-a');
      await a1.flush();
      await waitFor(() => inA.length === 1 && inB.length === 1);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(inA, ['from-a']);
      assert.deepEqual(inB, ['from-b']);
    });

    it('a user JWT of a few KB logs in (the CONNECT is under max_control_line)', async (tc) => {
      const u = env.users.long;
      tc.diagnostic(`user JWT of ${u.jwt.length} bytes`);
      const r = await rawLogin(t.port, u.jwt, u.kp);
      assert.equal(r.out, 'PONG\r\n');
      r.conn.close();
      assert.ok(u.jwt.length > 2500, `JWT of ${u.jwt.length} bytes`);
      const nc = await creds(u);
      const sub = nc.subscribe('orders.region-39.x', { max: 1 });
      nc.publish('orders.region-39.x', 'ok');
      for await (const m of sub) assert.equal(m.string(), 'ok');
    });

    it('the nonce signed by another key is refused', async () => {
      await refused(env.users.a1, createUser());
    });

    it('a CONNECT with the JWT but no signature is refused', async () => {
      await refused(env.users.a1, null);
    });

    it('an expired user JWT and a not-yet-valid one are refused', async () => {
      await refused(env.users.expired);
      await refused(env.users.notYet);
    });

    it('a user revoked in the account JWT is refused', async () => {
      await refused(env.users.revoked);
    });

    it("an account signed by an operator the server does not trust is refused", async () => {
      await refused(env.users.untrusted);
    });

    it('a user signed by an account signing key gets its own permissions', async () => {
      const r = await rawLogin(t.port, env.users.signed.jwt, env.users.signed.kp);
      assert.equal(r.out, 'PONG\r\n');
      r.conn.send('SUB sk.x 1\r\nSUB other 2\r\nPUB other 0\r\n\r\nPUB sk.x 2\r\nhi\r\n');
      const out = await r.conn.flush();
      assert.equal(
        out,
        "-ERR 'Permissions Violation for Subscription to \"other\"'\r\n-ERR 'Permissions Violation for Publish to \"other\"'\r\nMSG sk.x 1 2\r\nhi\r\n",
      );
      r.conn.close();
    });

    it("a user of a scoped signing key gets the scope's template permissions", async () => {
      const r = await rawLogin(t.port, env.users.scoped.jwt, env.users.scoped.kp);
      assert.equal(r.out, 'PONG\r\n');
      r.conn.send('SUB scoped.x 1\r\nSUB other 2\r\nPUB other 0\r\n\r\nPUB scoped.x 2\r\nhi\r\n');
      const out = await r.conn.flush();
      assert.equal(
        out,
        "-ERR 'Permissions Violation for Subscription to \"other\"'\r\n-ERR 'Permissions Violation for Publish to \"other\"'\r\nMSG scoped.x 1 2\r\nhi\r\n",
      );
      r.conn.close();
    });

    it('a scoped user whose JWT carries permissions of its own is refused', async () => {
      await refused(env.users.scopedWithPerms);
    });

    it('the account connection limit from its JWT applies', async () => {
      const r1 = await rawLogin(t.port, env.users.d1.jwt, env.users.d1.kp);
      assert.equal(r1.out, 'PONG\r\n');
      const r2 = await rawLogin(t.port, env.users.d2.jwt, env.users.d2.kp);
      assert.equal(r2.out, "-ERR 'maximum account active connections exceeded'\r\n");
      assert.ok(r2.conn.closed);
      r1.conn.close();
    });

    it('a bearer token user needs no signature', async () => {
      const r = await rawLogin(t.port, env.users.bearer.jwt, null);
      assert.equal(r.out, 'PONG\r\n');
      r.conn.close();
      const nc = await creds(env.users.bearer);
      await nc.flush();
    });

    it("the user JWT's subscription and payload limits apply", async () => {
      const r = await rawLogin(t.port, env.users.limited.jwt, env.users.limited.kp);
      assert.equal(r.out, 'PONG\r\n');
      r.conn.send('SUB a 1\r\nSUB b 2\r\n');
      assert.equal(await r.conn.flush(), "-ERR 'maximum subscriptions exceeded'\r\n");
      r.conn.send('PUB a 11\r\n01234567890\r\n');
      assert.equal(await r.conn.waitClosed(), "-ERR 'Maximum Payload Violation'\r\n");
    });

    it('a user whose JWT expires is disconnected when it does', async () => {
      // made here, not at setup: a busy machine could let a setup-time JWT expire before the login
      const soon = await user('soon', env.a, {}, { exp: now() + 2 });
      const r = await rawLogin(t.port, soon.jwt, soon.kp);
      assert.equal(r.out, 'PONG\r\n');
      assert.equal(await r.conn.waitClosed(6000), "-ERR 'User Authentication Expired'\r\n");
    });

    it('the resolver directory holds the preloaded account JWTs as <pubkey>.jwt', () => {
      assert.equal(readFileSync(join(jwtDir, `${env.a.getPublicKey()}.jwt`), 'utf8'), env.aJwt);
      assert.ok(existsSync(join(jwtDir, `${env.sys.getPublicKey()}.jwt`)));
    });

    it('CLAIMS.LOOKUP returns the stored account JWT', async () => {
      const nc = await creds(env.users.sys);
      const m = await nc.request(`$SYS.REQ.ACCOUNT.${env.a.getPublicKey()}.CLAIMS.LOOKUP`, '', { timeout: 2000 });
      assert.equal(m.string(), env.aJwt);
    });

    it('CLAIMS.UPDATE stores a new account JWT and a live revocation disconnects the user', async () => {
      const victim = await rawLogin(t.port, env.users.b1.jwt, env.users.b1.kp);
      assert.equal(victim.out, 'PONG\r\n');
      const other = await rawLogin(t.port, env.users.b2.jwt, env.users.b2.kp);
      assert.equal(other.out, 'PONG\r\n');
      const nc = await creds(env.users.sys);
      // iat has second resolution: make sure the new JWT is not older than the preloaded one.
      await new Promise((r) => setTimeout(r, 1100));
      const bKey = env.b.getPublicKey();
      const newB = await encodeAccount('B', env.b, { limits: NO_LIMITS, revocations: { [env.users.b1.kp.getPublicKey()]: now() } }, { signer: env.op });
      const m = await nc.request(`$SYS.REQ.ACCOUNT.${bKey}.CLAIMS.UPDATE`, newB, { timeout: 2000 });
      const resp = m.json<{ server: Record<string, unknown>; data: Record<string, unknown> }>();
      assert.deepEqual(resp.data, { account: bKey, code: 200, message: 'jwt updated' });
      assert.equal(typeof resp.server.id, 'string');
      assert.equal(await victim.conn.waitClosed(), "-ERR 'User Authentication Revoked'\r\n");
      assert.equal(await other.conn.flush(), '');
      other.conn.close();
      assert.equal(readFileSync(join(jwtDir, `${bKey}.jwt`), 'utf8'), newB);
      await refused(env.users.b1);
    });

    it('CLAIMS.UPDATE with a JWT for another account on the account subject is refused', async () => {
      const nc = await creds(env.users.sys);
      const m = await nc.request(`$SYS.REQ.ACCOUNT.${env.a.getPublicKey()}.CLAIMS.UPDATE`, env.bJwt, { timeout: 2000 });
      const resp = m.json<{ error: Record<string, unknown> }>();
      assert.deepEqual(resp.error, { account: env.a.getPublicKey(), code: 500, description: 'jwt update resulted in error - subject does not match jwt content' });
    });

    it('$SYS.REQ.CLAIMS.UPDATE lowering the connection limit drops the connections over it', async () => {
      const first = await rawLogin(t.port, env.users.e1.jwt, env.users.e1.kp);
      assert.equal(first.out, 'PONG\r\n');
      await new Promise((r) => setTimeout(r, 20));
      const second = await rawLogin(t.port, env.users.e1.jwt, env.users.e1.kp);
      assert.equal(second.out, 'PONG\r\n');
      await new Promise((r) => setTimeout(r, 1100));
      const nc = await creds(env.users.sys);
      const newE = await encodeAccount('E', env.e, { limits: { ...NO_LIMITS, conn: 1 } }, { signer: env.op });
      const m = await nc.request('$SYS.REQ.CLAIMS.UPDATE', newE, { timeout: 2000 });
      assert.deepEqual(m.json<{ data: unknown }>().data, { account: env.e.getPublicKey(), code: 200, message: 'jwt updated' });
      // Go 2.9.10 keeps the newest connection, newer Go releases the oldest: exactly one goes.
      await waitFor(() => first.conn.closed || second.conn.closed);
      const [gone, kept] = first.conn.closed ? [first, second] : [second, first];
      assert.equal(gone.conn.take(), "-ERR 'maximum account active connections exceeded'\r\n");
      assert.equal(await kept.conn.flush(), '');
      kept.conn.close();
    });
  });
}

describe('operator mode config errors (ours, and Go when installed)', () => {
  let dir: string;
  let env: Env;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-jwtcfg-'));
    env = await makeEnv();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function bothFail(cfg: string, text: string, goToo = true): Promise<void> {
    const f = join(dir, `bad-${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(f, cfg);
    await assert.rejects(async () => {
      const o = loadConfigFile(f, defaultOptions());
      const s = await startServer({ ...o, port: 0 });
      await s.stop();
    }, (e: Error) => e.message.includes(text));
    if (GO_SERVER_BIN && goToo) {
      const r = spawnSync(GO_SERVER_BIN, ['-c', f, '-p', '-1', '-a', '127.0.0.1'], { encoding: 'utf8', timeout: 10000 });
      assert.notEqual(r.status, 0);
      assert.ok(r.stderr.includes(text), r.stderr);
    }
  }

  it('operators with an accounts block', async () => {
    await bothFail(`operator: ${env.opJwt}\nresolver: MEMORY\naccounts { X { users: [{user: x, password: x}] } }\n`, 'operators do not allow Accounts to be configured directly');
  });

  it('operators with configured users', async () => {
    await bothFail(`operator: ${env.opJwt}\nresolver: MEMORY\nauthorization { users: [{user: x, password: x}] }\n`, 'operators do not allow users to be configured directly');
  });

  it('operators without a resolver', async () => {
    // Go falls back to a URL resolver built from the operator JWT's account server URL here.
    await bothFail(`operator: ${env.opJwt}\n`, 'operators require an account resolver to be configured', false);
  });

  it('a system account different from the operator JWT', async () => {
    await bothFail(`operator: ${env.opJwt}\nresolver: MEMORY\nsystem_account: ${env.a.getPublicKey()}\n`, 'system_account in config and operator JWT must be identical');
  });

  it('an operator that is neither a file nor a JWT', async () => {
    await bothFail(`operator: ${join(dir, 'missing.jwt')}\nresolver: MEMORY\n`, 'error parsing operator JWT');
  });
});
