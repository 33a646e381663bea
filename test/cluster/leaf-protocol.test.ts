/**
 * The leaf port's wire protocol, raw: the INFO a hub sends, the handshake,
 * and bad input (garbage, a client PUB before CONNECT, an oversize line, a
 * client CONNECT). Each case runs against our hub and against Go 2.9.10 and
 * the -ERR lines must match; only that link is closed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { RawConn } from '../helpers/raw.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startHub } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';

interface Target {
  name: string;
  leafPort: number;
}

/** Send `input` after the INFO and return the first -ERR line (or '' when none) once the link closes. */
async function errFor(port: number, input: string | Buffer): Promise<string> {
  const c = await RawConn.connect(port);
  try {
    await c.info();
    c.send(input);
    const d = await c.waitUntil(() => c.closed, 4000);
    const m = /-ERR [^\r\n]*/.exec(d);
    return m ? m[0] : '';
  } finally {
    c.sock.destroy();
  }
}

describe('leaf port protocol', () => {
  let hub: RunningServer;
  let go: GoServer | null = null;
  const targets: Target[] = [];

  before(async () => {
    hub = await startHub();
    targets.push({ name: 'ours', leafPort: hub.server.leafnodes!.port });
    if (GO_SERVER_BIN) {
      go = await startGoServer([], 'leafnodes { listen: "127.0.0.1:-1" }\n');
      const m = await waitFor(() => /Listening for leafnode connections on [^\s]+:(\d+)/.exec(go!.logs()), 5000);
      targets.push({ name: 'go', leafPort: Number(m![1]) });
    }
  });
  after(async () => {
    await hub?.stop();
    await go?.stop();
  });

  it('sends a leaf INFO with a nonce, client id, leafnode_urls and info_on_connect', async () => {
    for (const t of targets) {
      const c = await RawConn.connect(t.leafPort);
      const info = await c.info();
      c.sock.destroy();
      assert.equal(info.auth_required, true, t.name);
      assert.equal(info.headers, true, t.name);
      assert.equal(info.info_on_connect, true, t.name);
      assert.equal(typeof info.nonce, 'string', t.name);
      assert.ok((info.client_id as number) > 0, t.name);
      assert.ok(Array.isArray(info.leafnode_urls) && (info.leafnode_urls as string[]).length === 1, t.name);
      assert.equal(info.max_payload, 1048576, t.name);
      assert.equal(info.connect_info, undefined, t.name);
    }
  });

  it('answers CONNECT with an INFO carrying connect_info and the bound account, then LS+ of its interest with the $LDS subject', async () => {
    for (const t of targets) {
      const c = await RawConn.connect(t.leafPort);
      await c.info();
      c.send('CONNECT {"name":"raw","headers":true}\r\nPING\r\n');
      const d = await c.waitUntil((x) => x.includes('PONG\r\n'));
      c.sock.destroy();
      const info = JSON.parse(/INFO (\{[^\r]*\}) ?\r\n/.exec(d)![1]) as Record<string, unknown>;
      assert.equal(info.connect_info, true, t.name);
      assert.equal(info.remote_account, '$G', t.name);
      assert.match(d, /LS\+ \$LDS\.[A-Za-z0-9]+\r\n/, t.name);
    }
  });

  const cases: [string, string | Buffer, string][] = [
    ['garbage before CONNECT', 'FOO BAR\r\n', "-ERR 'Authorization Violation'"],
    ['a client PUB before CONNECT', 'PUB foo 2\r\nhi\r\n', "-ERR 'Authorization Violation'"],
    ['garbage after CONNECT', 'CONNECT {}\r\nXYZ\r\n', "-ERR 'Unknown Protocol Operation'"],
    // Go reads RS+ from a leaf as LS+: the route form's extra account argument is a parse error, closed without -ERR
    ['an RS+ in route form', 'CONNECT {}\r\nRS+ $G foo\r\n', ''],
    ['an LS+ with a bad argument count', 'CONNECT {}\r\nLS+ foo bar\r\n', ''],
    ['an LMSG without a size', 'CONNECT {}\r\nLMSG foo\r\n', ''],
  ];
  for (const [what, input, want] of cases) {
    it(`closes the link with Go's error on ${what}`, async () => {
      for (const t of targets) assert.equal(await errFor(t.leafPort, input), want, t.name);
    });
  }

  it('closes on a control line over 16 x max_control_line (Go 2.14; 2.9.10 does not check leaf lines)', async () => {
    const port = hub.server.leafnodes!.port;
    assert.equal(await errFor(port, `CONNECT {}\r\nLS+ ${'a'.repeat(70000)}\r\n`), "-ERR 'maximum control line exceeded'");
    // 16 x 4096 is allowed: a long line below the limit is accepted
    const c = await RawConn.connect(port);
    await c.info();
    c.send(`CONNECT {}\r\nLS+ ${'b'.repeat(60000)}\r\nPING\r\n`);
    await c.waitUntil((x) => x.includes('PONG'));
    assert.equal(c.closed, false);
    c.sock.destroy();
  });

  it('closes a link that sends no CONNECT within the leafnodes authorization timeout', async (t) => {
    const h = await startHub({}, { auth_timeout: 300 });
    t.after(() => h.stop());
    const c = await RawConn.connect(h.server.leafnodes!.port);
    await c.info();
    const t0 = Date.now();
    const d = await c.waitUntil(() => c.closed, 1500);
    c.sock.destroy();
    assert.match(d, /-ERR 'Authentication Timeout'/);
    assert.ok(Date.now() - t0 < 1500);
  });

  it('rejects a client CONNECT (with lang) on the leaf port', async () => {
    for (const t of targets) {
      const e = await errFor(t.leafPort, 'CONNECT {"lang":"go","version":"1.0"}\r\n');
      assert.equal(e, "-ERR 'attempted to connect to leaf node port'", t.name);
    }
  });

  it('a bad link does not disturb clients or other links', async () => {
    const nc = await connect({ servers: hub.url });
    await errFor(hub.server.leafnodes!.port, 'FOO\r\n');
    await nc.flush();
    assert.equal(nc.isClosed(), false);
    await nc.close();
  });

  it('only leaf connections accept leaf ops: a client sending LS+ or LMSG gets Unknown Protocol Operation', async () => {
    const c = await RawConn.connect(hub.port);
    await c.info();
    c.send('CONNECT {"verbose":false}\r\nLS+ foo\r\n');
    const d = await c.waitUntil(() => c.closed, 3000);
    c.sock.destroy();
    assert.match(d, /-ERR 'Unknown Protocol Operation'/);
  });
});
