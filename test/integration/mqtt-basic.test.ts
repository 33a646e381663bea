/**
 * MQTT 3.1.1 with MQTT.js (protocol 4) against our server: QoS 0/1 both
 * ways, wildcards, `#` matching its parent level [MQTT-4.7.1-2], `$` topics
 * and wildcards [MQTT-4.7.2-1], overlapping subscriptions, unsubscribe, NATS
 * <-> MQTT in both directions with Go's subject translation, the client id
 * rules and keep alive, on a raw socket where bytes matter.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { collect, endAll, mqttConnect, RawMqtt, startMqtt } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';
import * as E from '../../src/mqtt/codec/encode.js';
import * as C from '../../src/mqtt/codec/constants.js';
import type { ConnackPacket, PublishPacket } from '../../src/mqtt/codec/packets.js';

describe('MQTT 3.1.1 publish/subscribe', () => {
  it('QoS 0 and 1 with + and #; # also matches the parent level [MQTT-4.7.1-2]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const sub = await mqttConnect(s.url, { clientId: 'sub' });
    const pub = await mqttConnect(s.url, { clientId: 'pub' });
    t.after(() => endAll(sub, pub));
    const got = collect(sub);
    const granted = await sub.subscribeAsync({ 'a/+/c': { qos: 0 }, 'x/#': { qos: 1 } });
    assert.deepEqual(granted.map((g) => g.qos), [0, 1]);
    await pub.publishAsync('a/b/c', 'm1');
    await pub.publishAsync('a/b/d', 'no');
    await pub.publishAsync('x', 'parent', { qos: 1 });
    await pub.publishAsync('x/y/z', 'deep', { qos: 1 });
    await waitFor(() => got.length >= 3);
    assert.deepEqual(got.map((m) => [m.topic, m.payload, m.packet.qos]).sort(), [['a/b/c', 'm1', 0], ['x', 'parent', 1], ['x/y/z', 'deep', 1]]);
    const q1 = got.filter((m) => m.packet.qos === 1);
    assert.ok(q1.every((m) => (m.packet.messageId ?? 0) > 0 && !m.packet.dup && !m.packet.retain));
  });

  it('a QoS 1 message to a QoS 0 subscription arrives at QoS 0; QoS 0 to a QoS 1 subscription at QoS 0', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const c = await mqttConnect(s.url, { clientId: 'c' });
    t.after(() => endAll(c));
    const got = collect(c);
    await c.subscribeAsync('q0', { qos: 0 });
    await c.subscribeAsync('q1', { qos: 1 });
    await c.publishAsync('q0', 'a', { qos: 1 });
    await c.publishAsync('q1', 'b', { qos: 0 });
    await waitFor(() => got.length === 2);
    assert.deepEqual(got.map((m) => [m.topic, m.packet.qos]).sort(), [['q0', 0], ['q1', 0]]);
  });

  it('$ topics are not matched by filters starting with a wildcard [MQTT-4.7.2-1]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const c = await mqttConnect(s.url, { clientId: 'c' });
    t.after(() => endAll(c));
    const got = collect(c);
    await c.subscribeAsync(['#', '+/x', '$SYS/#'], { qos: 0 });
    await c.publishAsync('$SYS/x', 'sys');
    await c.publishAsync('$other/x', 'other');
    await c.publishAsync('plain/x', 'plain');
    await waitFor(() => got.length >= 2);
    await c.publishAsync('end', 'end');
    await waitFor(() => got.some((m) => m.topic === 'end'));
    const topics = got.map((m) => m.topic);
    assert.ok(topics.includes('$SYS/x'), 'the explicit $SYS/# filter matches');
    assert.ok(!topics.includes('$other/x'), 'no wildcard match on $ topics');
    assert.equal(topics.filter((x) => x === 'plain/x').length, 1, 'overlapping # and +/x deliver once');
  });

  it('overlapping subscriptions deliver once, at the highest QoS [MQTT-3.3.5-1]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const c = await mqttConnect(s.url, { clientId: 'c' });
    const p = await mqttConnect(s.url, { clientId: 'p' });
    t.after(() => endAll(c, p));
    const got = collect(c);
    await c.subscribeAsync('o/#', { qos: 0 });
    await c.subscribeAsync('o/+', { qos: 1 });
    await c.subscribeAsync('o/x', { qos: 0 });
    await p.publishAsync('o/x', 'q1', { qos: 1 });
    await p.publishAsync('o/x', 'q0', { qos: 0 });
    await p.publishAsync('o/y/z', 'deep', { qos: 1 });
    await waitFor(() => got.length >= 3);
    await p.publishAsync('o', 'end', { qos: 0 });
    await waitFor(() => got.some((m) => m.payload === 'end'));
    const by = (pl: string) => got.filter((m) => m.payload === pl).map((m) => m.packet.qos);
    assert.deepEqual(by('q1'), [1], 'once, at QoS 1 (o/+)');
    assert.deepEqual(by('q0'), [0], 'once');
    assert.deepEqual(by('deep'), [0], 'only o/# matches: QoS 0');
  });

  it('unsubscribe stops delivery; a repeated SUBSCRIBE replaces the QoS [MQTT-3.8.4-3]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const c = await mqttConnect(s.url, { clientId: 'c' });
    t.after(() => endAll(c));
    const got = collect(c);
    await c.subscribeAsync('u/+', { qos: 1 });
    await c.subscribeAsync('u/+', { qos: 0 });
    await c.publishAsync('u/1', 'a', { qos: 1 });
    await waitFor(() => got.length === 1);
    assert.equal(got[0].packet.qos, 0, 'downgraded to QoS 0');
    await c.unsubscribeAsync('u/+');
    await c.subscribeAsync('other', { qos: 0 });
    await c.publishAsync('u/1', 'b', { qos: 1 });
    await c.publishAsync('other', 'end');
    await waitFor(() => got.length === 2);
    assert.deepEqual(got.map((m) => m.payload), ['a', 'end']);
  });
});

describe('MQTT <-> NATS', () => {
  it('an MQTT publish reaches NATS subscribers on the translated subject, with the Nmqtt-Pub header', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const nc = await connect({ servers: s.srv.url });
    const c = await mqttConnect(s.url, { clientId: 'c' });
    t.after(async () => {
      await endAll(c);
      await nc.close();
    });
    const got: [string, string, string | undefined][] = [];
    nc.subscribe('>', { callback: (_e, m) => { if (!m.subject.startsWith('$')) got.push([m.subject, m.string(), m.headers?.get('Nmqtt-Pub')]); } });
    await nc.flush();
    // Go's translation: / -> ., . -> //, an empty level kept by a /
    const cases: [string, string][] = [['a/b', 'a.b'], ['a.b', 'a//b'], ['/a', '/.a'], ['a/', 'a./'], ['a//b', 'a./.b'], ['ü/x', 'ü.x']];
    for (const [topic] of cases) await c.publishAsync(topic, topic, { qos: 1 });
    await waitFor(() => got.length === cases.length);
    assert.deepEqual(got.map((g) => [g[0], g[1]]), cases.map(([topic, subj]) => [subj, topic]));
    assert.ok(got.every((g) => g[2] === '1'));
  });

  it('a NATS publish reaches MQTT subscribers with the reverse translation', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const nc = await connect({ servers: s.srv.url });
    const c = await mqttConnect(s.url, { clientId: 'c' });
    t.after(async () => {
      await endAll(c);
      await nc.close();
    });
    const got = collect(c);
    await c.subscribeAsync('#', { qos: 1 });
    for (const subj of ['foo.bar', 'a//b', '/.a', 'x./']) nc.publish(subj, subj);
    const h = natsHeaders();
    h.set('X', 'y');
    nc.publish('with.hdr', 'h', { headers: h });
    await waitFor(() => got.length === 5);
    assert.deepEqual(got.map((m) => [m.topic, m.payload, m.packet.qos]), [['foo/bar', 'foo.bar', 0], ['a.b', 'a//b', 0], ['/a', '/.a', 0], ['x/', 'x./', 0], ['with/hdr', 'h', 0]]);
  });

  it('account subject mappings apply to MQTT publishes (the topic follows the mapped subject)', async (t) => {
    const s = await startMqtt({ mappings: [{ source: 'old.*', dests: [{ subject: 'new.$1', weight: 100 }] }] });
    t.after(() => s.stop());
    const c = await mqttConnect(s.url, { clientId: 'c' });
    t.after(() => endAll(c));
    const got = collect(c);
    await c.subscribeAsync('new/#', { qos: 1 });
    await c.subscribeAsync('old/#', { qos: 1 });
    await c.publishAsync('old/x', 'q0');
    await c.publishAsync('old/y', 'q1', { qos: 1 });
    await waitFor(() => got.length === 2);
    assert.deepEqual(got.map((m) => [m.topic, m.payload]).sort(), [['new/x', 'q0'], ['new/y', 'q1']]);
  });

  it('a QoS 1 MQTT publish can be consumed from the $MQTT_msgs stream', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const c = await mqttConnect(s.url, { clientId: 'c' });
    t.after(() => endAll(c));
    // a QoS 1 subscriber keeps the interest stream's message until it acks
    const r = await mqttConnect(s.url, { clientId: 'r' });
    t.after(() => endAll(r));
    await r.subscribeAsync('js/t', { qos: 1 });
    await c.publishAsync('js/t', 'stored', { qos: 1 });
    const nc = await connect({ servers: s.srv.url });
    t.after(() => nc.close());
    const info = await nc.request('$JS.API.STREAM.INFO.$MQTT_msgs', '');
    const si = JSON.parse(info.string());
    assert.deepEqual(si.config.subjects, ['$MQTT.msgs.>']);
    assert.equal(si.config.retention, 'interest');
    assert.ok(si.state.last_seq >= 1);
    const names = JSON.parse((await nc.request('$JS.API.STREAM.NAMES', '')).string()).streams.sort();
    assert.deepEqual(names, ['$MQTT_msgs', '$MQTT_out', '$MQTT_qos2in', '$MQTT_rmsgs', '$MQTT_sess']);
  });
});

describe('MQTT 3.1.1 CONNECT on a raw socket', () => {
  const connectPkt = (o: Partial<Parameters<typeof E.encodeConnect>[0]> = {}) =>
    E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean: true, keepAlive: 0, clientId: 'raw', will: null, username: null, password: null, properties: {}, ...o });

  it('client id rules: empty needs clean session [MQTT-3.1.3-7]; NATS-invalid characters are refused; empty + clean is accepted', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    for (const [o, rc] of [[{ clientId: '', clean: false }, 2], [{ clientId: 'a.b' }, 2], [{ clientId: 'a b' }, 2], [{ clientId: '' }, 0], [{ protocolLevel: 6 }, 1]] as [Record<string, unknown>, number][]) {
      const r = await RawMqtt.open(s.port);
      r.send(connectPkt(o));
      const ack = (await r.next(C.CONNACK)) as ConnackPacket;
      assert.equal(ack.reasonCode, rc, JSON.stringify(o));
      assert.equal(ack.sessionPresent, false);
      if (rc !== 0) await r.waitClosed();
      r.close();
    }
  });

  it('the first packet must be CONNECT; a second CONNECT closes the connection [MQTT-3.1.0-2]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const a = await RawMqtt.open(s.port);
    a.send(E.PINGREQ_BYTES);
    await a.waitClosed();
    const b = await RawMqtt.open(s.port);
    b.send(connectPkt());
    await b.next(C.CONNACK);
    b.send(connectPkt());
    await b.waitClosed();
  });

  it('keep alive: no packet within 1.5 times the interval closes the connection [MQTT-3.1.2-24]; PINGREQ keeps it', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const r = await RawMqtt.open(s.port);
    r.send(connectPkt({ keepAlive: 1 }));
    await r.next(C.CONNACK);
    const t0 = Date.now();
    r.send(E.PINGREQ_BYTES);
    await r.next(C.PINGRESP);
    await r.waitClosed(4000);
    const dt = Date.now() - t0;
    assert.ok(dt >= 900 && dt < 3500, `closed after ${dt} ms`);
  });

  it('PUBLISH with a wildcard in the topic closes the connection [MQTT-3.3.2-2]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const r = await RawMqtt.open(s.port);
    r.send(connectPkt());
    await r.next(C.CONNACK);
    r.send(E.encodePublish({ qos: 0, dup: false, retain: false, topic: 'a/+', packetId: 0, payload: Buffer.alloc(0), properties: {} }, 4));
    await r.waitClosed();
  });

  it('QoS 1: the delivered PUBLISH has a packet id; PUBACK is answered for our publish', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const r = await RawMqtt.open(s.port);
    r.send(connectPkt());
    await r.next(C.CONNACK);
    r.send(E.encodeSubscribe({ packetId: 1, subscriptions: [{ topic: 't', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }], properties: {} }, 4));
    const sa = await r.next(C.SUBACK);
    assert.deepEqual(sa.type === C.SUBACK && sa.reasonCodes, [1]);
    r.send(E.encodePublish({ qos: 1, dup: false, retain: false, topic: 't', packetId: 7, payload: Buffer.from('x'), properties: {} }, 4));
    const ack = await r.next(C.PUBACK);
    assert.equal(ack.type === C.PUBACK && ack.packetId, 7);
    const p = (await r.next(C.PUBLISH)) as PublishPacket;
    assert.equal(p.qos, 1);
    assert.ok(p.packetId > 0);
    r.send(E.encodeAck(C.PUBACK, p.packetId, 4));
    r.close();
  });
});
