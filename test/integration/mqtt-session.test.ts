/**
 * MQTT 3.1.1 sessions and state on JetStream: retained messages (set,
 * delivered on subscribe with RETAIN, cleared by an empty payload), persistent
 * sessions (Session Present, offline queueing), clean sessions, takeover,
 * wills, QoS 2 both ways with the exchange state kept across a reconnect,
 * max in flight and redelivery after ack_wait with DUP, and a restart of the
 * server on the same store (sessions and retained messages survive).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, endAll, mqttConnect, RawMqtt, startMqtt } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';
import * as E from '../../src/mqtt/codec/encode.js';
import * as C from '../../src/mqtt/codec/constants.js';
import type { ConnackPacket, PublishPacket } from '../../src/mqtt/codec/packets.js';

const rawConnect = (id: string, clean: boolean, o: Partial<Parameters<typeof E.encodeConnect>[0]> = {}) =>
  E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean, keepAlive: 0, clientId: id, will: null, username: null, password: null, properties: {}, ...o });
const rawSub = (pi: number, topic: string, qos: number) =>
  E.encodeSubscribe({ packetId: pi, subscriptions: [{ topic, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }], properties: {} }, 4);

describe('MQTT retained messages', () => {
  it('set, delivered on subscribe with RETAIN [MQTT-3.3.1-8] at the lower QoS, cleared by an empty payload [MQTT-3.3.1-10]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const p = await mqttConnect(s.url, { clientId: 'p' });
    t.after(() => endAll(p));
    await p.publishAsync('r/a', 'A', { qos: 1, retain: true });
    await p.publishAsync('r/b', 'B', { qos: 0, retain: true });
    await p.publishAsync('r/a', 'A2', { qos: 1, retain: true }); // replaces [MQTT-3.3.1-5]
    const c = await mqttConnect(s.url, { clientId: 'c' });
    t.after(() => endAll(c));
    const got = collect(c);
    await c.subscribeAsync('r/+', { qos: 1 });
    await waitFor(() => got.length === 2);
    assert.deepEqual(got.map((m) => [m.topic, m.payload, m.packet.retain, m.packet.qos]).sort(), [['r/a', 'A2', true, 1], ['r/b', 'B', true, 0]]);
    // a live message on an established subscription has RETAIN 0 [MQTT-3.3.1-9]
    await p.publishAsync('r/a', 'live', { qos: 1, retain: true });
    await waitFor(() => got.length === 3);
    assert.equal(got[2].packet.retain, false);
    // empty payload clears, and is still delivered as a normal message [MQTT-3.3.1-11]
    await p.publishAsync('r/a', '', { qos: 1, retain: true });
    await waitFor(() => got.length === 4);
    assert.equal(got[3].payload, '');
    const c2 = await mqttConnect(s.url, { clientId: 'c2' });
    t.after(() => endAll(c2));
    const got2 = collect(c2);
    await c2.subscribeAsync('r/#', { qos: 0 });
    await waitFor(() => got2.length === 1);
    await p.publishAsync('r/end', 'x');
    await waitFor(() => got2.length === 2);
    assert.deepEqual(got2.map((m) => m.topic), ['r/b', 'r/end']);
  });

  it('SUBACK comes before the retained messages [MQTT-3.3.1-6]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const p = await mqttConnect(s.url, { clientId: 'p' });
    t.after(() => endAll(p));
    await p.publishAsync('o/1', 'x', { qos: 1, retain: true });
    const r = await RawMqtt.open(s.port);
    t.after(() => r.close());
    r.send(rawConnect('raw', true));
    await r.next(C.CONNACK);
    r.send(rawSub(1, 'o/1', 1));
    await waitFor(() => r.packets.length >= 2);
    assert.deepEqual(r.packets.map((x) => x.type), [C.SUBACK, C.PUBLISH]);
  });
});

describe('MQTT sessions', () => {
  it('persistent session: Session Present, offline QoS 1 queueing, subscriptions restored [MQTT-3.1.2-4]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    let c = await mqttConnect(s.url, { clientId: 'pers', clean: false });
    assert.equal((c as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent ?? false, false);
    await c.subscribeAsync('q/#', { qos: 1 });
    await c.endAsync();
    const p = await mqttConnect(s.url, { clientId: 'p' });
    t.after(() => endAll(p));
    for (let i = 0; i < 5; i++) await p.publishAsync(`q/${i}`, `m${i}`, { qos: 1 });
    await p.publishAsync('q/zero', 'lost', { qos: 0 }); // QoS 0 is not queued for an offline session
    const r = await RawMqtt.open(s.port);
    t.after(() => r.close());
    r.send(rawConnect('pers', false));
    const ack = (await r.next(C.CONNACK)) as ConnackPacket;
    assert.equal(ack.sessionPresent, true);
    const msgs: PublishPacket[] = [];
    await waitFor(() => {
      while (r.packets.length > 0) msgs.push(r.packets.shift() as PublishPacket);
      return msgs.length >= 5;
    });
    assert.deepEqual(msgs.map((m) => m.payload.toString()).sort(), ['m0', 'm1', 'm2', 'm3', 'm4']);
    for (const m of msgs) r.send(E.encodeAck(C.PUBACK, m.packetId, 4));
    // the restored subscription gets live messages too
    await p.publishAsync('q/live', 'live', { qos: 1 });
    const live = (await r.next(C.PUBLISH)) as PublishPacket;
    assert.equal(live.payload.toString(), 'live');
    r.send(E.encodeAck(C.PUBACK, live.packetId, 4));
    void c;
    c = undefined as never;
  });

  it('clean session: no Session Present, and nothing kept [MQTT-3.1.2-6] [MQTT-3.2.2-1]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const c = await mqttConnect(s.url, { clientId: 'x', clean: false });
    await c.subscribeAsync('k', { qos: 1 });
    await c.endAsync();
    const r = await RawMqtt.open(s.port);
    r.send(rawConnect('x', true));
    assert.equal(((await r.next(C.CONNACK)) as ConnackPacket).sessionPresent, false);
    r.send([0xe0, 0]);
    await r.waitClosed();
    const r2 = await RawMqtt.open(s.port);
    t.after(() => r2.close());
    r2.send(rawConnect('x', false));
    assert.equal(((await r2.next(C.CONNACK)) as ConnackPacket).sessionPresent, false, 'the clean session was deleted when it ended');
  });

  it('takeover: a second connection with the same client id closes the first [MQTT-3.1.4-2], without its will', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const w = await mqttConnect(s.url, { clientId: 'watch' });
    t.after(() => endAll(w));
    const got = collect(w);
    await w.subscribeAsync('will/#');
    const a = await RawMqtt.open(s.port);
    a.send(rawConnect('dup', true, { will: { topic: 'will/a', payload: Buffer.from('a died'), qos: 0, retain: false, properties: {} } }));
    await a.next(C.CONNACK);
    const b = await RawMqtt.open(s.port);
    t.after(() => b.close());
    b.send(rawConnect('dup', true));
    await b.next(C.CONNACK);
    await a.waitClosed();
    assert.equal(b.closed, false);
    await w.publishAsync('will/end', 'end');
    await waitFor(() => got.length === 1);
    assert.deepEqual(got.map((m) => m.payload), ['end'], 'no will from the replaced client');
    const connz = await (await fetch(`${s.srv.monitorUrl ?? ''}`).catch(() => null))?.text().catch(() => '');
    void connz;
  });

  it("takeover flapping: the replaced client reconnecting within a second is held a second, then closed (Go's jail)", async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const a = await RawMqtt.open(s.port);
    a.send(rawConnect('flap', true));
    await a.next(C.CONNACK);
    const b = await RawMqtt.open(s.port);
    t.after(() => b.close());
    b.send(rawConnect('flap', true));
    await b.next(C.CONNACK);
    await a.waitClosed();
    const again = await RawMqtt.open(s.port);
    const t0 = Date.now();
    again.send(rawConnect('flap', true));
    await again.waitClosed(4000);
    assert.ok(Date.now() - t0 >= 900, 'held about a second');
    assert.equal(again.packets.length, 0, 'no CONNACK');
    assert.equal(b.closed, false, 'the session stays with its current client');
  });

  it('will: published when the connection drops [MQTT-3.1.2-8], retained when asked; not after DISCONNECT', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const w = await mqttConnect(s.url, { clientId: 'watch' });
    t.after(() => endAll(w));
    const got = collect(w);
    await w.subscribeAsync('w/#', { qos: 1 });
    const a = await RawMqtt.open(s.port);
    a.send(rawConnect('a', true, { will: { topic: 'w/a', payload: Buffer.from('gone'), qos: 1, retain: true, properties: {} } }));
    await a.next(C.CONNACK);
    a.close();
    await waitFor(() => got.length === 1);
    assert.deepEqual([got[0].topic, got[0].payload, got[0].packet.qos], ['w/a', 'gone', 1]);
    const b = await RawMqtt.open(s.port);
    b.send(rawConnect('b', true, { will: { topic: 'w/b', payload: Buffer.from('no'), qos: 0, retain: false, properties: {} } }));
    await b.next(C.CONNACK);
    b.send([0xe0, 0]);
    await b.waitClosed();
    const late = await mqttConnect(s.url, { clientId: 'late' });
    t.after(() => endAll(late));
    const got2 = collect(late);
    await late.subscribeAsync('w/#');
    await waitFor(() => got2.length === 1);
    assert.deepEqual([got2[0].topic, got2[0].payload, got2[0].packet.retain], ['w/a', 'gone', true], 'the will was retained');
    await w.publishAsync('w/end', 'end');
    await waitFor(() => got.some((m) => m.payload === 'end'));
    assert.ok(!got.some((m) => m.topic === 'w/b'), 'no will after DISCONNECT');
  });
});

describe('MQTT QoS 1/2 delivery state', () => {
  it('QoS 2 in: PUBREC, held until PUBREL, PUBCOMP; a resent PUBLISH is delivered once [MQTT-4.3.3-2]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const w = await mqttConnect(s.url, { clientId: 'watch' });
    t.after(() => endAll(w));
    const got = collect(w);
    await w.subscribeAsync('q2', { qos: 2 });
    const r = await RawMqtt.open(s.port);
    t.after(() => r.close());
    r.send(rawConnect('pub2', false));
    await r.next(C.CONNACK);
    const pub = E.encodePublish({ qos: 2, dup: false, retain: false, topic: 'q2', packetId: 10, payload: Buffer.from('once'), properties: {} }, 4);
    r.send(pub);
    assert.equal((await r.next(C.PUBREC)).type, C.PUBREC);
    r.send(E.encodePublish({ qos: 2, dup: true, retain: false, topic: 'q2', packetId: 10, payload: Buffer.from('once'), properties: {} }, 4));
    await r.next(C.PUBREC);
    assert.equal(got.length, 0, 'not delivered before PUBREL');
    r.send(E.encodeAck(C.PUBREL, 10, 4));
    const comp = await r.next(C.PUBCOMP);
    assert.equal(comp.type === C.PUBCOMP && comp.packetId, 10);
    await waitFor(() => got.length === 1);
    assert.deepEqual([got[0].payload, got[0].packet.qos], ['once', 2]);
    r.send(E.encodeAck(C.PUBREL, 10, 4)); // a resent PUBREL: PUBCOMP again, no second delivery
    await r.next(C.PUBCOMP);
    await w.publishAsync('q2', 'end', { qos: 0 });
    await waitFor(() => got.length === 2);
    assert.deepEqual(got.map((m) => m.payload), ['once', 'end']);
  });

  it('QoS 2 out: PUBREC -> PUBREL -> PUBCOMP; the PUBREL is resent after a reconnect [MQTT-4.4.0-1]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const r = await RawMqtt.open(s.port);
    r.send(rawConnect('sub2', false));
    await r.next(C.CONNACK);
    r.send(rawSub(1, 'q2o', 2));
    await r.next(C.SUBACK);
    const p = await mqttConnect(s.url, { clientId: 'p' });
    t.after(() => endAll(p));
    await p.publishAsync('q2o', 'x', { qos: 2 });
    const m = (await r.next(C.PUBLISH)) as PublishPacket;
    assert.equal(m.qos, 2);
    r.send(E.encodeAck(C.PUBREC, m.packetId, 4));
    const rel = await r.next(C.PUBREL);
    assert.equal(rel.type === C.PUBREL && rel.packetId, m.packetId);
    r.close(); // no PUBCOMP
    const r2 = await RawMqtt.open(s.port);
    t.after(() => r2.close());
    r2.send(rawConnect('sub2', false));
    assert.equal(((await r2.next(C.CONNACK)) as ConnackPacket).sessionPresent, true);
    const rel2 = await r2.next(C.PUBREL, 10000);
    assert.equal(rel2.type === C.PUBREL && rel2.packetId, m.packetId, 'the same packet identifier');
    r2.send(E.encodeAck(C.PUBCOMP, m.packetId, 4));
    assert.ok(!r2.packets.some((x) => x.type === C.PUBLISH), 'the PUBLISH itself is not resent');
  });

  it('max_ack_pending limits messages in flight; unacked ones come again after ack_wait with DUP [MQTT-4.4.0-1]', async (t) => {
    const s = await startMqtt({ mqttOpts: { ack_wait: 1000, max_ack_pending: 2 } });
    t.after(() => s.stop());
    const r = await RawMqtt.open(s.port);
    t.after(() => r.close());
    r.send(rawConnect('slow', false));
    await r.next(C.CONNACK);
    r.send(rawSub(1, 'f', 1));
    await r.next(C.SUBACK);
    const p = await mqttConnect(s.url, { clientId: 'p' });
    t.after(() => endAll(p));
    for (let i = 0; i < 4; i++) await p.publishAsync('f', `m${i}`, { qos: 1 });
    const first = [(await r.next(C.PUBLISH)) as PublishPacket, (await r.next(C.PUBLISH)) as PublishPacket];
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.packets.filter((x) => x.type === C.PUBLISH).length, 0, 'two in flight at most');
    assert.ok(first.every((m) => !m.dup));
    // no PUBACK: after ack_wait the same messages come again, marked DUP, same packet ids
    const again = (await r.next(C.PUBLISH, 5000)) as PublishPacket;
    assert.equal(again.dup, true);
    assert.ok(first.some((m) => m.packetId === again.packetId && m.payload.equals(again.payload)));
    for (const m of first) r.send(E.encodeAck(C.PUBACK, m.packetId, 4));
    const seen = new Set(first.map((m) => m.payload.toString()));
    await waitFor(() => {
      for (const x of r.packets.splice(0)) {
        if (x.type !== C.PUBLISH) continue;
        seen.add(x.payload.toString());
        r.send(E.encodeAck(C.PUBACK, x.packetId, 4));
      }
      return seen.size === 4;
    }, 8000);
  });
});

describe('MQTT state across a restart', () => {
  it('sessions (subscriptions, queued messages) and retained messages survive a restart on the same store', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-mqtt-restart-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let s = await startMqtt({ dir });
    const c = await mqttConnect(s.url, { clientId: 'keep', clean: false });
    await c.subscribeAsync('rs/#', { qos: 1 });
    await c.endAsync();
    const p = await mqttConnect(s.url, { clientId: 'p' });
    await p.publishAsync('rs/ret', 'kept', { qos: 1, retain: true });
    await p.publishAsync('rs/q', 'queued', { qos: 1 });
    await p.endAsync();
    const port = s.port;
    await s.stop();
    s = await startMqtt({ dir, mqttOpts: { port } });
    t.after(() => s.stop());
    const r = await RawMqtt.open(s.port);
    t.after(() => r.close());
    r.send(rawConnect('keep', false));
    assert.equal(((await r.next(C.CONNACK)) as ConnackPacket).sessionPresent, true);
    const got: string[] = [];
    await waitFor(() => {
      for (const x of r.packets.splice(0)) {
        if (x.type !== C.PUBLISH) continue;
        got.push(x.payload.toString());
        r.send(E.encodeAck(C.PUBACK, x.packetId, 4));
      }
      return got.length >= 2;
    });
    assert.deepEqual(got.sort(), ['kept', 'queued']);
    const n = await mqttConnect(s.url, { clientId: 'new' });
    t.after(() => endAll(n));
    const g2 = collect(n);
    await n.subscribeAsync('rs/ret');
    await waitFor(() => g2.length === 1);
    assert.deepEqual([g2[0].payload, g2[0].packet.retain], ['kept', true]);
  });
});
