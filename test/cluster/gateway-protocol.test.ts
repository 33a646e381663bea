/**
 * The gateway port under bad input (the same bytes sent to ours and to Go
 * 2.9.10, answers compared), wrong gateway names, gateway authorization, and
 * a restarted server re-forming its gateways without duplicate deliveries.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, type GoServer } from '../helpers/go-server.js';
import { RawConn } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';
import { gwOf, gwURL, startGoGateway, startGwServer, waitGwInterest } from '../helpers/gateway.js';

/** Send `bytes` after the INFO; what came back (without the INFO) and whether the server closed. */
async function probe(port: number, bytes: string): Promise<{ out: string; closed: boolean }> {
  const c = await RawConn.connect(port);
  const info = await c.info();
  assert.equal(typeof info.gateway, 'string');
  c.send(bytes);
  const out = await c.waitUntil(() => false, 700);
  const closed = c.closed;
  c.close();
  return { out, closed };
}

describe('gateway protocol', () => {
  describe('bad input, compared with Go', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, () => {
    let A: RunningServer;
    let B: RunningServer;
    let G: GoServer & { gwPort: number };
    before(async () => {
      A = await startGwServer('A', []);
      B = await startGwServer('B', [{ name: 'A', urls: [gwURL(A)] }]);
      G = await startGoGateway('A', []);
      await waitFor(() => gwOf(A).out.size === 1 && gwOf(B).out.size === 1, 10000);
    });
    after(async () => {
      await B?.stop();
      await A?.stop();
      await G?.stop();
    });

    const cases: [string, string][] = [
      ['garbage before CONNECT', 'GARBAGE\r\n'],
      ['a client CONNECT', 'CONNECT {"lang":"node","verbose":false,"pedantic":false}\r\n'],
      ['an unknown op after a gateway CONNECT', 'CONNECT {"gateway":"X","name":"NX"}\r\nFOO BAR\r\n'],
      ['a PUB before CONNECT', 'PUB foo 2\r\nhi\r\n'],
    ];
    for (const [name, bytes] of cases) {
      it(`${name}: same -ERR and close as Go`, async () => {
        const ours = await probe(gwOf(A).port, bytes);
        const go = await probe(G.gwPort, bytes);
        assert.equal(ours.out, go.out);
        assert.equal(ours.closed, go.closed);
        assert.ok(ours.closed);
      });
    }

    it('PING after a gateway CONNECT gets PONG, and the server pings too (same as Go)', async () => {
      const run = async (port: number): Promise<string> => {
        const c = await RawConn.connect(port);
        await c.info();
        c.send('CONNECT {"gateway":"X","name":"NX"}\r\nPING\r\n');
        // Go's first PING follows about a second after the CONNECT (firstPingInterval).
        const out = await c.waitUntil((d) => d.includes('PING\r\n'), 3000);
        c.close();
        return out;
      };
      const ours = await run(gwOf(A).port);
      const go = await run(G.gwPort);
      assert.equal(go, 'PONG\r\nPING\r\n');
      assert.equal(ours, go);
    });

    it('a message for an unknown account is answered with one A- (same as Go)', async () => {
      const run = async (port: number): Promise<string> => {
        const c = await RawConn.connect(port);
        await c.info();
        c.send('CONNECT {"gateway":"X","name":"NX"}\r\nINFO {"server_id":"NX","gateway":"X","gateway_nrp":true,"gateway_iom":true}\r\n');
        // The switch of $G to interest-only ends with AllSubsComplete (gateway_cmd 3).
        await c.waitUntil((d) => /"gateway_cmd":3,"gateway_cmd_payload":"JEc="/.test(d), 3000);
        c.take();
        c.send('RMSG NOPE foo 2\r\nhi\r\nRMSG NOPE foo 2\r\nhi\r\n');
        const out = await c.flush();
        c.close();
        // Other accounts ($SYS) may still be switching to interest-only (RS+ dump, INFO commands) when
        // the RMSGs arrive: those lines are not the answer being checked, so they are left out.
        return out.split('\r\n').filter((l) => !l.startsWith('RS+ ') && !l.startsWith('INFO ')).join('\r\n');
      };
      const ours = await run(gwOf(A).port);
      const go = await run(G.gwPort);
      assert.equal(go, 'A- NOPE\r\n');
      assert.equal(ours, go);
    });

    it('an oversize control line is refused (Go >= 2.10: 16 x max_control_line) and the other links keep working', async () => {
      const c = await RawConn.connect(gwOf(A).port);
      await c.info();
      c.send('CONNECT {"gateway":"X","name":"NX"}\r\n');
      c.send(`PUB foo ${'x'.repeat(4096 * 16 + 10)}`);
      const out = await c.waitClosed(3000);
      assert.match(out, /-ERR 'maximum control line exceeded'/);
      assert.ok(c.closed);
      // The A-B link is untouched.
      const a = await connect({ servers: A.url });
      const b = await connect({ servers: B.url });
      const got: string[] = [];
      a.subscribe('still.up', { callback: (_e, m) => { got.push(m.string()); } });
      await a.flush();
      await waitGwInterest(B, 'A', 'still.up');
      b.publish('still.up', 'yes');
      await waitFor(() => got.length === 1, 3000);
      await a.close();
      await b.close();
    });
  });

  it('an outbound that reaches a gateway of another name is rejected with Go\'s text and the Wrong Gateway reason', async () => {
    const logs: string[] = [];
    // A fake remote that answers as gateway "B" and records what it receives.
    let received = '';
    const fake = net.createServer((sock) => {
      sock.write('INFO {"server_id":"NFAKE","server_name":"fake","version":"2.9.10","proto":1,"go":"","host":"127.0.0.1","port":1,"headers":true,"max_payload":1048576,"gateway":"B","gateway_nrp":true,"gateway_iom":true}\r\n');
      sock.on('data', (d) => { received += d.toString('latin1'); });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as net.AddressInfo).port;
    const A = await startGwServer('A', [{ name: 'Z', urls: [`nats://127.0.0.1:${port}`] }], { logSink: (l) => logs.push(l) });
    try {
      await waitFor(() => received.includes('-ERR'), 5000);
      assert.match(received, /^-ERR 'Connection from "A" rejected, wanted to connect to "Z", this is "B"'\r\n/);
      await waitFor(() => logs.some((l) => l.includes('Gateway connection closed: Wrong Gateway')), 3000);
      assert.ok(logs.some((l) => l.includes('Failing connection to gateway "Z", remote gateway name is "B"')));
      assert.equal(gwOf(A).out.size, 0);
    } finally {
      await A.stop();
      fake.close();
    }
  });

  it('gateway authorization: wrong credentials are refused, right ones connect', async () => {
    const B = await startGwServer('B', [], { gateway: { authorization: { user: 'gw', password: 'pw' } } });
    const bad = await startGwServer('A', [{ name: 'B', urls: [`nats://gw:nope@127.0.0.1:${gwOf(B).port}`] }]);
    const good = await startGwServer('C', [{ name: 'B', urls: [`nats://gw:pw@127.0.0.1:${gwOf(B).port}`] }]);
    try {
      await waitFor(() => gwOf(good).out.has('B') && gwOf(B).inbound.size === 1, 5000);
      const c = await RawConn.connect(gwOf(B).port);
      const info = await c.info();
      assert.equal(info.auth_required, true);
      c.send('CONNECT {"gateway":"X","user":"gw","pass":"wrong"}\r\n');
      assert.match(await c.waitClosed(), /-ERR 'Authorization Violation'/);
      assert.equal(gwOf(bad).out.has('B'), false);
      assert.equal([...gwOf(B).inbound.values()].filter((x) => x.name === 'A').length, 0);
    } finally {
      await Promise.all([bad.stop(), good.stop(), B.stop()]);
    }
  });

  it('reject_unknown_cluster refuses a gateway that is not configured', async () => {
    const logs: string[] = [];
    const B = await startGwServer('B', [], { gateway: { reject_unknown_cluster: true } });
    const A = await startGwServer('A', [{ name: 'B', urls: [gwURL(B)] }], { logSink: (l) => logs.push(l) });
    try {
      await waitFor(() => logs.some((l) => l.includes(`Connection to gateway "B" rejected`)), 5000);
      assert.equal(gwOf(B).inbound.size, 0);
    } finally {
      await Promise.all([A.stop(), B.stop()]);
    }
  });

  it('a restarted server re-forms its gateways and messages are delivered once', async () => {
    let A = await startGwServer('A', [], { server_name: 'A1' });
    const aPort = gwOf(A).port;
    const B = await startGwServer('B', [{ name: 'A', urls: [gwURL(A)] }], { server_name: 'B1' });
    try {
      await waitFor(() => gwOf(A).out.size === 1 && gwOf(B).out.size === 1, 5000);
      const sub = await connect({ servers: B.url });
      let n = 0;
      sub.subscribe('restart.>', { callback: () => { n++; } });
      await sub.flush();
      await A.stop();
      await waitFor(() => gwOf(B).out.size === 0 && gwOf(B).inbound.size === 0, 5000);
      // Same gateway port: B redials its configured URL, the new A dials B back implicitly.
      A = await startGwServer('A', [], { server_name: 'A1', gateway: { listen: `127.0.0.1:${aPort}` } });
      await waitFor(() => gwOf(A).out.size === 1 && gwOf(B).out.size === 1 && gwOf(B).inbound.size === 1, 10000);
      await waitGwInterest(A, 'B', 'restart.x');
      const pub = await connect({ servers: A.url });
      for (let k = 0; k < 50; k++) pub.publish(`restart.${k}`);
      await pub.flush();
      await waitFor(() => n === 50, 5000);
      await sub.flush();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(n, 50, 'no duplicates');
      assert.equal(gwOf(A).inbound.size, 1);
      await pub.close();
      await sub.close();
    } finally {
      await B.stop();
      await A.stop();
    }
  });
});
