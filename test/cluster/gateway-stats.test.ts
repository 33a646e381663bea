/**
 * Gateway statistics. A remote gateway that stops reading (Go queueOutbound
 * for a GATEWAY connection): once what we hold for it passes max_pending the
 * connection is closed as a slow consumer and counted in /varz
 * `slow_consumers` and `slow_consumer_stats.gateways`. Per-account gateway
 * traffic in /accstatz `sent.gateways` / `received.gateways` (Go
 * Account.statz, newest release; 2.9.10 has no per-kind counts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { waitFor } from '../helpers/wait.js';
import { gwOf, gwURL, startGwServer, waitGateways, waitGwInterest } from '../helpers/gateway.js';

describe('gateway slow consumer', () => {
  it('a remote gateway that does not read is closed and counted in slow_consumer_stats.gateways', async () => {
    let connected = false;
    const socks: net.Socket[] = [];
    // A fake remote "Z" in optimistic mode (every message is sent to it) that reads nothing after our CONNECT.
    const fake = net.createServer((sock) => {
      socks.push(sock);
      sock.on('error', () => {});
      sock.write('INFO {"server_id":"NFAKE","server_name":"fake","version":"2.9.10","proto":1,"go":"","host":"127.0.0.1","port":1,"headers":true,"max_payload":1048576,"gateway":"Z","gateway_nrp":true}\r\n');
      sock.once('data', () => {
        connected = true;
        sock.pause();
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as net.AddressInfo).port;
    const logs: string[] = [];
    const A = await startGwServer('A', [{ name: 'Z', urls: [`nats://127.0.0.1:${port}`] }], { http_port: -1, max_pending: 1 << 20, logSink: (l) => logs.push(l) });
    const nc = await connect({ servers: A.url });
    try {
      await waitFor(() => connected && gwOf(A).out.has('Z'), 5000);
      const payload = new Uint8Array(64 * 1024);
      // far more than max_pending plus what the kernel buffers on loopback
      for (let k = 0; k < 1000 && gwOf(A).out.has('Z'); k++) {
        nc.publish('flood', payload);
        if (k % 16 === 15) await nc.flush();
      }
      await waitFor(() => !gwOf(A).out.has('Z'), 10000);
      const v = (await (await fetch(`http://127.0.0.1:${A.server.monitorPort}/varz`)).json()) as Record<string, any>;
      assert.equal(v.slow_consumer_stats.gateways, 1);
      assert.equal(v.slow_consumer_stats.clients, 0);
      assert.equal(v.slow_consumers, 1);
      assert.ok(logs.some((l) => /gid:\d+ - "Z" - Slow Consumer Detected: MaxPending of 1048576 Exceeded/.test(l)), 'Go\'s notice');
    } finally {
      await nc.close();
      await A.stop();
      for (const s of socks) s.destroy();
      fake.close();
    }
  });
});

describe('gateway traffic per account in /accstatz', () => {
  it('counts the messages and payload bytes an account sent to and received from gateways', async () => {
    const A = await startGwServer('A', [], { http_port: -1 });
    const B = await startGwServer('B', [{ name: 'A', urls: [gwURL(A)] }], { http_port: -1 });
    const na = await connect({ servers: A.url });
    const nb = await connect({ servers: B.url });
    try {
      await waitGateways([A, B], 1);
      const got: string[] = [];
      nb.subscribe('st.x', { callback: (_e, m) => { got.push(m.string()); } });
      await nb.flush();
      await waitGwInterest(A, 'B', 'st.x');
      for (let k = 0; k < 3; k++) na.publish('st.x', '0123456789');
      na.publish('st.none', 'no interest, not sent');
      await waitFor(() => got.length === 3, 5000);
      const statz = async (s: typeof A) => {
        const r = (await (await fetch(`http://127.0.0.1:${s.server.monitorPort}/accstatz?unused=1`)).json()) as Record<string, any>;
        return r.account_statz.find((a: any) => a.acc === '$G');
      };
      const a = await statz(A);
      const b = await statz(B);
      assert.deepEqual(a.sent.gateways, { msgs: 3, bytes: 30 });
      assert.deepEqual(b.received.gateways, { msgs: 3, bytes: 30 });
      // part of the totals: A's client published 4 messages and its account sent 3 to the gateway; B's client got 3
      assert.equal(a.received.msgs, 4);
      assert.equal(a.sent.msgs, 3);
      assert.equal(b.received.msgs, 3);
      assert.equal(b.sent.msgs, 3);
    } finally {
      await na.close();
      await nb.close();
      await Promise.all([A.stop(), B.stop()]);
    }
  });
});
