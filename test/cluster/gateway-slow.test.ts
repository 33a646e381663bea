/**
 * A remote gateway that stops reading (Go queueOutbound for a GATEWAY
 * connection): once what we hold for it passes max_pending the connection is
 * closed as a slow consumer and counted in /varz `slow_consumers` and
 * `slow_consumer_stats.gateways`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { waitFor } from '../helpers/wait.js';
import { gwOf, startGwServer } from '../helpers/gateway.js';

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
