/**
 * kill -9 with MQTT QoS 1: our server as a child process, a persistent QoS 1
 * subscriber session (its consumer keeps the messages), a publisher with a
 * window of QoS 1 publishes in flight, SIGKILL on the arrival of a randomly
 * chosen PUBACK, a restart on the same store, and the subscriber's session
 * resumed: every publish that was acknowledged must arrive. PUBACK is sent
 * only after the JetStream write (the socket flush runs the store's pending
 * writes first: src/util/write-barrier.ts). MQTT_KILL9_TRIALS widens a run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OURS_CMD } from '../helpers/go-server.js';
import { RawMqtt, startGoMqtt } from '../helpers/mqtt.js';
import { rng } from '../helpers/rng.js';
import { waitFor } from '../helpers/wait.js';
import * as E from '../../src/mqtt/codec/encode.js';
import * as C from '../../src/mqtt/codec/constants.js';
import type { AckPacket, PublishPacket } from '../../src/mqtt/codec/packets.js';

const TRIALS = Number(process.env.MQTT_KILL9_TRIALS ?? 3);
const conn = (id: string, clean: boolean) =>
  E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean, keepAlive: 0, clientId: id, will: null, username: null, password: null, properties: {} });

async function trial(seed: number): Promise<{ acked: number; lost: string[] }> {
  const r = rng(seed);
  const store = mkdtempSync(join(tmpdir(), 'nsts-mqtt-kill9-'));
  try {
    let srv = await startGoMqtt('', '', OURS_CMD, store);
    const sub = await RawMqtt.open(srv.mqttPort);
    sub.send(conn('k9sub', false));
    await sub.next(C.CONNACK);
    sub.send(E.encodeSubscribe({ packetId: 1, subscriptions: [{ topic: 'k9/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }], properties: {} }, 4));
    await sub.next(C.SUBACK);
    sub.close();
    const pub = await RawMqtt.open(srv.mqttPort);
    pub.send(conn('k9pub', true));
    await pub.next(C.CONNACK);
    const killAt = 50 + Math.floor(r() * 400);
    const window = 16;
    const inFlight = new Map<number, string>();
    const acked = new Set<string>();
    let next = 1;
    let killed = false;
    const exited = new Promise((res) => srv.proc.once('exit', res));
    const send = () => {
      const pi = next++;
      const payload = `m-${seed}-${pi}`;
      inFlight.set(pi, payload);
      pub.send(E.encodePublish({ qos: 1, dup: false, retain: false, topic: `k9/${pi % 8}`, packetId: pi, payload: Buffer.from(payload), properties: {} }, 4));
    };
    for (let k = 0; k < window; k++) send();
    pub.sock.on('data', () => {
      for (const p of pub.packets.splice(0)) {
        if (p.type !== C.PUBACK) continue;
        const pi = (p as AckPacket).packetId;
        const pl = inFlight.get(pi);
        if (pl === undefined) continue;
        inFlight.delete(pi);
        acked.add(pl);
        if (!killed && acked.size >= killAt) {
          killed = true;
          srv.proc.kill('SIGKILL');
          return;
        }
        if (!killed && next < 65000) send();
      }
    });
    await exited;
    pub.close();
    await srv.stop();
    srv = await startGoMqtt('', '', OURS_CMD, store);
    try {
      const back = await RawMqtt.open(srv.mqttPort);
      back.send(conn('k9sub', false));
      const ack = await back.next(C.CONNACK);
      assert.equal(ack.type === C.CONNACK && ack.sessionPresent, true);
      const got = new Set<string>();
      await waitFor(() => {
        for (const p of back.packets.splice(0)) {
          if (p.type !== C.PUBLISH) continue;
          got.add((p as PublishPacket).payload.toString());
          back.send(E.encodeAck(C.PUBACK, (p as PublishPacket).packetId, 4));
        }
        return [...acked].every((a) => got.has(a));
      }, 20000).catch(() => {});
      back.close();
      return { acked: acked.size, lost: [...acked].filter((a) => !got.has(a)) };
    } finally {
      await srv.stop();
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

describe('MQTT kill -9', () => {
  it(`acknowledged QoS 1 publishes survive a SIGKILL of the server (${TRIALS} trials)`, { timeout: 180_000 }, async () => {
    for (let k = 0; k < TRIALS; k++) {
      const res = await trial(1000 + k);
      assert.ok(res.acked >= 50, `acked ${res.acked}`);
      assert.deepEqual(res.lost, [], `trial ${k}: ${res.lost.length} of ${res.acked} acknowledged publishes lost`);
    }
  });
});
