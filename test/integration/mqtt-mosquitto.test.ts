/**
 * Debian's mosquitto tools against our server (mosquitto_pub / mosquitto_sub
 * over 3.1.1 and 5.0, QoS 0/1/2, retained), and the mosquitto broker as the
 * reference for what Go 2.9.10 lacks: the QoS 2 exchange, packet by packet,
 * must look the same on both brokers. Skipped when the binaries are absent.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MOSQUITTO, MOSQUITTO_PUB, MOSQUITTO_SUB, RawMqtt, mosquittoPub, mosquittoSub, startMosquitto, startMqtt } from '../helpers/mqtt.js';
import * as E from '../../src/mqtt/codec/encode.js';
import * as C from '../../src/mqtt/codec/constants.js';
import type { Packet, PublishPacket } from '../../src/mqtt/codec/packets.js';

const noClients = MOSQUITTO_PUB === undefined || MOSQUITTO_SUB === undefined ? 'mosquitto-clients not installed' : false;
const noBroker = MOSQUITTO === undefined ? 'mosquitto not installed' : false;

describe('mosquitto_pub / mosquitto_sub against our server', { skip: noClients }, () => {
  for (const v of ['mqttv311', 'mqttv5']) {
    it(`QoS 0/1/2 and a retained message reach mosquitto_sub (${v})`, async (t) => {
      const s = await startMqtt();
      t.after(() => s.stop());
      assert.equal((await mosquittoPub(s.port, ['-V', v, '-t', 'm/ret', '-m', 'kept', '-q', '1', '-r'])).status, 0);
      const sub = mosquittoSub(s.port, ['-V', v, '-t', 'm/#', '-q', '2', '-v', '-C', '4', '-W', '10', '-i', `sub-${v}`]);
      await sub.ready;
      for (const q of ['0', '1', '2']) {
        const r = await mosquittoPub(s.port, ['-V', v, '-t', `m/q${q}`, '-m', `qos${q}`, '-q', q, '-d']);
        assert.equal(r.status, 0, r.out);
        if (q === '1') assert.match(r.out, /received PUBACK/);
        if (q === '2') assert.match(r.out, /received PUBREC[\s\S]*sending PUBREL[\s\S]*received PUBCOMP/);
      }
      const out = await sub.done;
      const lines = out.split('\n').filter((l) => /^m\//.test(l));
      assert.deepEqual(lines.sort(), ['m/q0 qos0', 'm/q1 qos1', 'm/q2 qos2', 'm/ret kept']);
      assert.match(out, /received PUBLISH \(d0, q1, r1, m\d+, 'm\/ret'/, 'the retained message has RETAIN set');
      assert.match(out, /received PUBLISH \(d0, q2, r0, m\d+, 'm\/q2'[\s\S]*sending PUBREC[\s\S]*received PUBREL[\s\S]*sending PUBCOMP/);
    });
  }
});

/** The QoS 2 exchange seen by a raw publisher and a raw subscriber (packet types and flags only). */
async function qos2Exchange(port: number): Promise<{ pub: unknown[]; sub: unknown[] }> {
  const conn = (id: string) => E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean: true, keepAlive: 0, clientId: id, will: null, username: null, password: null, properties: {} });
  const s = await RawMqtt.open(port);
  s.send(conn('q2sub'));
  await s.next(C.CONNACK);
  s.send(E.encodeSubscribe({ packetId: 1, subscriptions: [{ topic: 'q2/t', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }], properties: {} }, 4));
  const sa = await s.next(C.SUBACK);
  const p = await RawMqtt.open(port);
  p.send(conn('q2pub'));
  await p.next(C.CONNACK);
  const pubSeen: unknown[] = [];
  const subSeen: unknown[] = [sa.type === C.SUBACK ? ['SUBACK', sa.reasonCodes] : null];
  p.send(E.encodePublish({ qos: 2, dup: false, retain: false, topic: 'q2/t', packetId: 9, payload: Buffer.from('exactly once'), properties: {} }, 4));
  const rec = await p.next(C.PUBREC);
  pubSeen.push([C.PACKET_NAMES[rec.type], 'packetId' in rec ? rec.packetId : 0]);
  p.send(E.encodeAck(C.PUBREL, 9, 4));
  const comp = await p.next(C.PUBCOMP);
  pubSeen.push([C.PACKET_NAMES[comp.type], 'packetId' in comp ? comp.packetId : 0]);
  const m = (await s.next(C.PUBLISH)) as PublishPacket;
  subSeen.push(['PUBLISH', m.topic, m.payload.toString(), m.qos, m.dup, m.retain]);
  s.send(E.encodeAck(C.PUBREC, m.packetId, 4));
  const rel: Packet = await s.next(C.PUBREL);
  subSeen.push(['PUBREL', 'packetId' in rel && rel.packetId === m.packetId]);
  s.send(E.encodeAck(C.PUBCOMP, m.packetId, 4));
  await new Promise((r) => setTimeout(r, 200));
  subSeen.push(['extra', s.packets.length]);
  s.close();
  p.close();
  return { pub: pubSeen, sub: subSeen };
}

describe('QoS 2 against the mosquitto broker (the reference Go 2.9.10 lacks)', { skip: noBroker }, () => {
  it('PUBLISH/PUBREC/PUBREL/PUBCOMP both ways, packet for packet', async (t) => {
    const m = await startMosquitto();
    t.after(() => m.stop());
    const s = await startMqtt();
    t.after(() => s.stop());
    const ref = await qos2Exchange(m.port);
    const ours = await qos2Exchange(s.port);
    assert.deepEqual(ours, ref);
    assert.deepEqual(ours.pub, [['PUBREC', 9], ['PUBCOMP', 9]]);
  });
});
