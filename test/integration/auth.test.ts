/**
 * Authentication and permissions with real clients (token, user/password,
 * bcrypt, nkeys, users with permissions, allow_responses, no_auth_user), and
 * the exact permission -ERR texts compared with the Go server.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { createUser } from '@nats-io/nkeys';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';
import { RawConn } from '../helpers/raw.js';
import { startGoServer, GO_SERVER_BIN } from '../helpers/go-server.js';
import { waitFor } from '../helpers/wait.js';

describe('authentication', () => {
  const servers: RunningServer[] = [];
  const start = async (o: StartOptions) => {
    const s = await startServer(o);
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) await s.stop();
  });
  const refused = (url: string, o: Record<string, unknown>) =>
    assert.rejects(connect({ servers: url, reconnect: false, ...o }), (e: Error) => /authorization/i.test(e.message) || /auth/i.test(String((e as { code?: string }).code)));

  it('token', async () => {
    const s = await start({ authorization: 'abc' });
    await refused(s.url, {});
    await refused(s.url, { token: 'nope' });
    const nc = await connect({ servers: s.url, token: 'abc' });
    assert.equal(nc.info?.auth_required, true);
    await nc.close();
  });

  it('user and password, plain and bcrypt', async () => {
    const s = await start({ username: 'alice', password: 'pw' });
    await refused(s.url, { user: 'alice', pass: 'bad' });
    await (await connect({ servers: s.url, user: 'alice', pass: 'pw' })).close();
    const hash = bcrypt.hashSync('s3cret', 4);
    const b = await start({ users: [{ user: 'bob', password: hash }] });
    await refused(b.url, { user: 'bob', pass: 'wrong' });
    const nc = await connect({ servers: b.url, user: 'bob', pass: 's3cret' });
    await nc.flush();
    const c = [...b.server.clients.values()].at(-1)!;
    assert.equal(c.authorizedUser, 'bob');
    await nc.close();
  });

  it('nkeys: a signed nonce authenticates, a wrong key does not', async () => {
    const kp = createUser();
    const s = await start({ nkeys: [{ nkey: kp.getPublicKey() }] });
    const raw = await RawConn.connect(s.port);
    const info = await raw.info();
    raw.close();
    assert.equal(typeof info.nonce, 'string');
    assert.equal((info.nonce as string).length, 15);
    const nc = await connect({ servers: s.url, authenticator: nkeyAuthenticator(kp.getSeed()) });
    await nc.flush();
    await nc.close();
    await refused(s.url, { authenticator: nkeyAuthenticator(createUser().getSeed()) });
  });

  it('no_auth_user logs in clients without credentials', async () => {
    const s = await start({ users: [{ user: 'anon', password: 'x', permissions: { publish: { allow: ['public.>'] } } }], no_auth_user: 'anon' });
    const nc = await connect({ servers: s.url });
    await nc.flush();
    assert.equal([...s.server.clients.values()].at(-1)!.authorizedUser, 'anon');
    await nc.close();
    // telnet style: no CONNECT at all
    const raw = await RawConn.connect(s.port);
    const info = await raw.info();
    assert.equal(info.auth_required, undefined, 'Go hides auth_required from the first INFO when no_auth_user is set');
    assert.equal(await raw.flush(), '');
    raw.close();
  });

  it('enforces publish and subscribe permissions per user', async () => {
    const s = await start({
      users: [
        { user: 'svc', password: 'p', permissions: { publish: { allow: ['orders.>'], deny: ['orders.secret'] }, subscribe: { allow: ['orders.*', 'jobs q1'], deny: ['orders.hidden'] } } },
      ],
    });
    const raw = await RawConn.connect(s.port);
    await raw.info();
    raw.send('CONNECT {"verbose":false,"user":"svc","pass":"p"}\r\n');
    raw.send('PUB orders.new 1\r\na\r\nPUB orders.secret 1\r\na\r\nPUB other 1\r\na\r\n');
    raw.send('SUB orders.* 1\r\nSUB orders.hidden 2\r\nSUB jobs q1 3\r\nSUB jobs q2 4\r\nSUB jobs 5\r\n');
    const out = await raw.flush();
    assert.equal(
      out,
      `-ERR 'Permissions Violation for Publish to "orders.secret"'\r\n` +
        `-ERR 'Permissions Violation for Publish to "other"'\r\n` +
        `-ERR 'Permissions Violation for Subscription to "orders.hidden"'\r\n` +
        `-ERR 'Permissions Violation for Subscription to "jobs" using queue "q2"'\r\n` +
        `-ERR 'Permissions Violation for Subscription to "jobs"'\r\n`,
    );
    // a wildcard subscription overlapping a deny entry does not get the denied subject
    raw.send('PUB orders.hidden 1\r\nh\r\nPUB orders.seen 1\r\ns\r\n');
    assert.equal(await raw.flush(), 'MSG orders.seen 1 1\r\ns\r\n');
    raw.close();
  });

  it('allow_responses lets a responder answer requests it received, once', async () => {
    const s = await start({
      users: [
        { user: 'svc', password: 'p', permissions: { subscribe: { allow: ['svc.>'] }, allow_responses: { max: 1, expires: 60000 } } },
        { user: 'cli', password: 'p' },
      ],
    });
    const svc = await connect({ servers: s.url, user: 'svc', pass: 'p' });
    const cli = await connect({ servers: s.url, user: 'cli', pass: 'p' });
    svc.subscribe('svc.echo', { callback: (_e, m) => { m.respond(m.data); m.respond(m.data); } });
    await svc.flush();
    const r = await cli.request('svc.echo', 'hi', { timeout: 2000 });
    assert.equal(r.string(), 'hi');
    await waitFor(async () => {
      // the second respond is a publish violation (the server reports it asynchronously)
      return s.server.stats.inMsgs >= 3;
    });
    await svc.close();
    await cli.close();
  });

  it('permission -ERR texts match the Go server', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async () => {
    const conf = 'authorization { users: [ { user: u, password: p, permissions: { publish: { deny: ["a.>"] }, subscribe: { deny: ["b.*", "c q"] } } } ] }\n';
    const go = await startGoServer([], conf);
    const ours = await start({ users: [{ user: 'u', password: 'p', permissions: { publish: { deny: ['a.>'] }, subscribe: { deny: ['b.*', 'c q'] } } }] });
    const script = 'CONNECT {"verbose":false,"user":"u","pass":"p"}\r\nPUB a.b 1\r\nx\r\nSUB b.x 1\r\nSUB c q 2\r\nSUB c r 3\r\nPUB ok 1\r\nx\r\n';
    const run = async (port: number) => {
      const c = await RawConn.connect(port);
      await c.info();
      c.send(script);
      const o = await c.flush();
      c.close();
      return o;
    };
    try {
      assert.equal(await run(ours.port), await run(go.port));
      // and a wrong password
      const bad = async (port: number) => {
        const c = await RawConn.connect(port);
        await c.info();
        c.send('CONNECT {"verbose":false,"user":"u","pass":"x"}\r\nPING\r\n');
        return c.waitClosed();
      };
      assert.equal(await bad(ours.port), await bad(go.port));
    } finally {
      await go.stop();
    }
  });
});
