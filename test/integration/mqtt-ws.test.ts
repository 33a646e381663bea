/**
 * MQTT over WebSocket on the websocket listener's `/mqtt` path (Go
 * startWebsocketServer -> createMQTTClient with ws): MQTT.js over ws talks to
 * TCP MQTT clients and NATS clients; /connz shows it as an mqtt connection;
 * without an MQTT listener the path answers 404 as in Go.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collect, endAll, mqttConnect, startMqtt } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';
import { defaultWebsocketOptions } from '../../src/config/options.js';
import { startServer } from '../../src/index.js';
import { WebSocket } from 'ws';

describe('MQTT over WebSocket', () => {
  it('MQTT.js over ws://host/mqtt exchanges messages with TCP MQTT clients (3.1.1 and 5.0)', async (t) => {
    const s = await startMqtt({ http_port: -1, websocket: { ...defaultWebsocketOptions(), host: '127.0.0.1', port: -1, no_tls: true } });
    t.after(() => s.stop());
    const wsPort = (s.srv.server.websocket as unknown as { port: number }).port;
    for (const v of [4, 5] as const) {
      const ws = await mqttConnect(`ws://127.0.0.1:${wsPort}/mqtt`, { clientId: `ws${v}`, protocolVersion: v });
      const tcp = await mqttConnect(s.url, { clientId: `tcp${v}` });
      const gw = collect(ws);
      const gt = collect(tcp);
      await ws.subscribeAsync('w/#', { qos: 1 });
      await tcp.subscribeAsync('t/#', { qos: 1 });
      await tcp.publishAsync('w/1', 'to-ws', { qos: 1 });
      await ws.publishAsync('t/1', 'to-tcp', { qos: 1 });
      await ws.publishAsync('t/big', Buffer.alloc(200_000, 7), { qos: 0 });
      await waitFor(() => gw.length === 1 && gt.length === 2);
      assert.deepEqual([gw[0].topic, gw[0].payload, gw[0].packet.qos], ['w/1', 'to-ws', 1]);
      assert.equal(gt[0].payload, 'to-tcp');
      assert.equal(gt[1].packet.payload.length, 200_000);
      const connz = await (await fetch(`${s.srv.monitorUrl}/connz?mqtt_client=ws${v}`)).json() as { connections: { type: string; mqtt_client: string }[] };
      assert.deepEqual(connz.connections.map((c) => [c.type, c.mqtt_client]), [['mqtt', `ws${v}`]]);
      await endAll(ws, tcp);
    }
  });

  it('without an MQTT listener /mqtt answers 404 (Go: mqtt websocket endpoint not enabled)', async (t) => {
    const srv = await startServer({ websocket: { ...defaultWebsocketOptions(), host: '127.0.0.1', port: -1, no_tls: true } });
    t.after(() => srv.stop());
    const wsPort = (srv.server.websocket as unknown as { port: number }).port;
    const status = await new Promise<number>((resolve, reject) => {
      const w = new WebSocket(`ws://127.0.0.1:${wsPort}/mqtt`, 'mqtt');
      w.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        w.terminate();
      });
      w.on('open', () => reject(new Error('upgraded')));
      w.on('error', () => {});
    });
    assert.equal(status, 404);
  });
});
