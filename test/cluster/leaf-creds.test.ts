/**
 * A leaf remote with a creds file (user JWT + seed; the hub's nonce signed
 * with the seed) into a hub in operator mode: our hub and Go 2.9.10's. The
 * link binds to the user's account: clients of that account on the hub and
 * the leaf see each other; another account on the hub does not. Over TCP and
 * over WebSocket (the hub's websocket port, `ws://` remote).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';
import { startServer, defaultOptions, type RunningServer } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startLeaf, remote, waitLeafs } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';
import { collect } from '../helpers/clients.js';

const NO_LIMITS = { subs: -1, data: -1, payload: -1, conn: -1, leaf: -1, imports: -1, exports: -1, wildcards: true };

async function makeEnv(dir: string) {
  const op = createOperator();
  const sys = createAccount();
  const a = createAccount();
  const b = createAccount();
  const opJwt = await encodeOperator('OP', op, { system_account: sys.getPublicKey() });
  const sysJwt = await encodeAccount('SYS', sys, { limits: NO_LIMITS }, { signer: op });
  const aJwt = await encodeAccount('A', a, { limits: NO_LIMITS }, { signer: op });
  const bJwt = await encodeAccount('B', b, { limits: NO_LIMITS }, { signer: op });
  const mk = async (name: string, acc: typeof a) => {
    const kp = createUser();
    const jwt = await encodeUser(name, kp, acc, {});
    return fmtCreds(jwt, kp);
  };
  const leafCreds = await mk('leaf', a);
  const credsFile = join(dir, 'leaf.creds');
  writeFileSync(credsFile, leafCreds);
  const opFile = join(dir, 'op.jwt');
  writeFileSync(opFile, opJwt);
  const preload = [
    [sys.getPublicKey(), sysJwt],
    [a.getPublicKey(), aJwt],
    [b.getPublicKey(), bJwt],
  ].map(([k, v]) => `  ${k}: ${v}`).join('\n');
  const config = `
operator: "${opFile}"
system_account: ${sys.getPublicKey()}
resolver: MEMORY
resolver_preload: {
${preload}
}
leafnodes { listen: "127.0.0.1:-1" }
websocket { listen: "127.0.0.1:-1", no_tls: true }
`;
  return { config, credsFile, userA: await mk('ua', a), userB: await mk('ub', b) };
}

for (const [kind, transport] of [['ours', 'tcp'], ['go', 'tcp'], ['ours', 'ws'], ['go', 'ws']] as const) {
  describe(`leaf remote with credentials into an operator-mode hub (${kind}, ${transport})`, { skip: kind === 'go' && !GO_SERVER_BIN ? 'Go nats-server not installed' : false }, () => {
    let dir: string;
    let env: Awaited<ReturnType<typeof makeEnv>>;
    let hubUrl = '';
    let leafPort = 0;
    let stopHub: () => Promise<void> = async () => {};
    let leaf: RunningServer;
    const conns: NatsConnection[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'leafcreds-'));
      env = await makeEnv(dir);
      if (kind === 'ours') {
        const f = join(dir, 'hub.conf');
        writeFileSync(f, env.config);
        const o = loadConfigFile(f, defaultOptions());
        const hub = await startServer({ ...o, port: 0, host: '127.0.0.1' });
        hubUrl = hub.url;
        leafPort = transport === 'ws' ? (hub.server.websocket as unknown as { port: number }).port : hub.server.leafnodes!.port;
        stopHub = () => hub.stop();
      } else {
        const g: GoServer = await startGoServer([], env.config);
        hubUrl = g.url;
        const re = transport === 'ws' ? /Listening for websocket clients on [^\s]+:(\d+)/ : /Listening for leafnode connections on [^\s]+:(\d+)/;
        const m = await waitFor(() => re.exec(g.logs()), 5000);
        leafPort = Number(m![1]);
        stopHub = () => g.stop();
      }
      const scheme = transport === 'ws' ? 'ws' : 'nats-leaf';
      leaf = await startLeaf([remote(`${scheme}://127.0.0.1:${leafPort}`, { credentials: env.credsFile })]);
      await waitLeafs(leaf, 1);
    });
    after(async () => {
      for (const c of conns) await c.close().catch(() => {});
      await leaf?.stop();
      await stopHub();
      rmSync(dir, { recursive: true, force: true });
    });

    it('binds the link to the creds user\'s account: that account sees the leaf, another does not', async () => {
      const ha = await connect({ servers: hubUrl, authenticator: credsAuthenticator(env.userA) });
      const hb = await connect({ servers: hubUrl, authenticator: credsAuthenticator(env.userB) });
      const nl = await connect({ servers: leaf.url });
      conns.push(ha, hb, nl);
      const onA = collect(ha.subscribe('creds.x'));
      const onB = collect(hb.subscribe('creds.x'));
      const onLeaf = collect(nl.subscribe('creds.y'));
      await ha.flush();
      await hb.flush();
      await nl.flush();
      await waitFor(() => leaf.server.globalAccount.sl.hasInterest('creds.x'));
      nl.publish('creds.x', 'from-leaf');
      await waitFor(() => onA.length === 1);
      // request/reply proves the other direction and that B got nothing meanwhile
      const svc = nl.subscribe('creds.svc');
      (async () => {
        for await (const m of svc) m.respond('ok');
      })().catch(() => {});
      await nl.flush();
      const r = await waitFor(async () => (await ha.request('creds.svc', '', { timeout: 500 }).catch(() => null)), 5000);
      assert.equal(r!.string(), 'ok');
      ha.publish('creds.y', 'from-hub');
      await waitFor(() => onLeaf.length === 1);
      await hb.flush();
      assert.deepEqual(onA, ['from-leaf']);
      assert.deepEqual(onB, []);
      assert.deepEqual(onLeaf, ['from-hub']);
    });
  });
}
