/**
 * MQTT 5.0 (beyond the Go server; the OASIS standard is the reference, and
 * Debian's mosquitto broker the runnable one: where the standard leaves no
 * choice the same scenario runs on both and must look the same). Each test
 * names the normative statements it checks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { collect, endAll, MOSQUITTO, mqttConnect, RawMqtt, startMosquitto, startMqtt } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';
import * as E from '../../src/mqtt/codec/encode.js';
import * as C from '../../src/mqtt/codec/constants.js';
import type { ConnackPacket, ConnectPacket, DisconnectPacket, Properties, PublishPacket, SubackPacket } from '../../src/mqtt/codec/packets.js';

const V5 = { protocolVersion: 5 as const };
const noMosq = MOSQUITTO === undefined ? 'mosquitto not installed' : false;

function connect5(id: string, o: Partial<Omit<ConnectPacket, 'type'>> = {}): Buffer {
  return E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 5, clean: true, keepAlive: 0, clientId: id, will: null, username: null, password: null, properties: {}, ...o });
}

function sub5(pi: number, topic: string, qos: number, o: { nl?: boolean; rap?: boolean; rh?: number; id?: number } = {}): Buffer {
  return E.encodeSubscribe({ packetId: pi, subscriptions: [{ topic, qos, noLocal: !!o.nl, retainAsPublished: !!o.rap, retainHandling: o.rh ?? 0 }], properties: o.id ? { subscriptionIdentifiers: [o.id] } : {} }, 5);
}

function pub5(topic: string, payload: string, qos: number, pi: number, props: Properties = {}, retain = false): Buffer {
  return E.encodePublish({ qos, dup: false, retain, topic, packetId: pi, payload: Buffer.from(payload), properties: props }, 5);
}

async function raw5(port: number, id: string, o: Partial<Omit<ConnectPacket, 'type'>> = {}): Promise<[RawMqtt, ConnackPacket]> {
  const r = await RawMqtt.open(port, 5);
  r.send(connect5(id, o));
  return [r, (await r.next(C.CONNACK)) as ConnackPacket];
}

/** Run `scenario` on mosquitto and on our server; their results must be equal. */
async function sameOnBoth<T>(t: { after(fn: () => unknown): void }, scenario: (port: number) => Promise<T>): Promise<T> {
  const m = await startMosquitto();
  t.after(() => m.stop());
  const s = await startMqtt();
  t.after(() => s.stop());
  const ref = await scenario(m.port);
  const ours = await scenario(s.port);
  assert.deepEqual(ours, ref);
  return ours;
}

const pubs = (r: RawMqtt): PublishPacket[] => r.packets.filter((p): p is PublishPacket => p.type === C.PUBLISH);

describe('MQTT 5: CONNECT and CONNACK', () => {
  it('an empty client id gets an Assigned Client Identifier [MQTT-3.2.2-16]; CONNACK announces what is supported', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const [r, ack] = await raw5(s.port, '');
    t.after(() => r.close());
    assert.equal(ack.reasonCode, 0);
    assert.match(ack.properties.assignedClientIdentifier ?? '', /^\w{22}$/);
    assert.equal(ack.properties.sharedSubscriptionAvailable, 1);
    assert.equal(ack.properties.subscriptionIdentifierAvailable, 1);
    assert.equal(ack.properties.retainAvailable, 1);
    assert.ok((ack.properties.topicAliasMaximum ?? 0) > 0);
  });

  it('enhanced authentication is refused cleanly: CONNECT with an Authentication Method gets 0x8C [MQTT-4.12.0-1]; an AUTH packet is a Protocol Error [MQTT-4.13.1-1]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const [a, ack] = await raw5(s.port, 'x', { properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    assert.equal(ack.reasonCode, C.ReasonCode.BadAuthenticationMethod);
    await a.waitClosed();
    const [b] = await raw5(s.port, 'y');
    b.send(E.encodeAuth(0x19, { authenticationMethod: 'SCRAM-SHA-1' }));
    const d = (await b.next(C.DISCONNECT)) as DisconnectPacket;
    assert.equal(d.reasonCode, C.ReasonCode.ProtocolError);
    await b.waitClosed();
  });

  it('bad credentials: CONNACK 0x86 Bad User Name or Password; none: 0x87 Not authorized', async (t) => {
    const s = await startMqtt({ users: [{ user: 'u', password: 'p' }] });
    t.after(() => s.stop());
    assert.equal((await raw5(s.port, 'a', { username: 'u', password: Buffer.from('x') }))[1].reasonCode, 0x86);
    assert.equal((await raw5(s.port, 'b'))[1].reasonCode, 0x87);
    assert.equal((await raw5(s.port, 'c', { username: 'u', password: Buffer.from('p') }))[1].reasonCode, 0);
  });

  it('a malformed packet gets DISCONNECT 0x81 [MQTT-4.13.1-1]; a session taken over gets DISCONNECT 0x8E [MQTT-3.1.4-3]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const [a] = await raw5(s.port, 'm');
    a.send([0x30, 3, 0, 9, 0x61]); // topic length beyond the packet
    assert.equal(((await a.next(C.DISCONNECT)) as DisconnectPacket).reasonCode, C.ReasonCode.MalformedPacket);
    await a.waitClosed();
    const [b] = await raw5(s.port, 'same');
    const [c2] = await raw5(s.port, 'same');
    t.after(() => c2.close());
    assert.equal(((await b.next(C.DISCONNECT)) as DisconnectPacket).reasonCode, C.ReasonCode.SessionTakenOver);
    await b.waitClosed();
  });

  it('server DISCONNECT reasons: keep alive timeout 0x8D, server shutting down 0x8B [MQTT-3.14.2.1]', async () => {
    const s = await startMqtt();
    const [k] = await raw5(s.port, 'ka', { keepAlive: 1 });
    assert.equal(((await k.next(C.DISCONNECT, 4000)) as DisconnectPacket).reasonCode, C.ReasonCode.KeepAliveTimeout);
    await k.waitClosed();
    const [r] = await raw5(s.port, 'sd');
    await s.stop();
    assert.equal(((await r.next(C.DISCONNECT)) as DisconnectPacket).reasonCode, C.ReasonCode.ServerShuttingDown);
    await r.waitClosed();
  });

  it('a packet above our Maximum Packet Size gets DISCONNECT 0x95 [MQTT-3.2.2-15]', async (t) => {
    const s = await startMqtt({ max_payload: 1024 });
    t.after(() => s.stop());
    const [r, ack] = await raw5(s.port, 'big');
    const max = ack.properties.maximumPacketSize!;
    assert.ok(max > 1024);
    r.send(pub5('t', 'x'.repeat(max + 10), 0, 0));
    assert.equal(((await r.next(C.DISCONNECT)) as DisconnectPacket).reasonCode, C.ReasonCode.PacketTooLarge);
  });
});

describe('MQTT 5: session expiry', () => {
  it('Clean Start and Session Expiry Interval decide Session Present [MQTT-3.1.2-4..6] [MQTT-3.1.2-23] (same as mosquitto)', { skip: noMosq }, async (t) => {
    await sameOnBoth(t, async (port) => {
      const out: boolean[] = [];
      const [a, a1] = await raw5(port, 'se', { clean: true, properties: { sessionExpiryInterval: 60 } });
      out.push(a1.sessionPresent);
      a.send(sub5(1, 'se/x', 1));
      await a.next(C.SUBACK);
      a.send([0xe0, 0]);
      await a.waitClosed();
      const [b, b1] = await raw5(port, 'se', { clean: false, properties: { sessionExpiryInterval: 1 } });
      out.push(b1.sessionPresent);
      b.send([0xe0, 0]);
      await b.waitClosed();
      await new Promise((r) => setTimeout(r, 2100));
      const [c, c1] = await raw5(port, 'se', { clean: false });
      out.push(c1.sessionPresent);
      c.send([0xe0, 0]);
      await c.waitClosed();
      const [d, d1] = await raw5(port, 'se', { clean: false });
      out.push(d1.sessionPresent); // expiry 0: ended with the previous connection
      d.close();
      return out;
    });
  });
});

describe('MQTT 5: subscription options', () => {
  it('No Local [MQTT-3.8.3-3], Retain As Published [MQTT-3.8.3-4], Subscription Identifiers [MQTT-3.3.4-3] (same as mosquitto)', { skip: noMosq }, async (t) => {
    await sameOnBoth(t, async (port) => {
      const [r] = await raw5(port, 'opts');
      r.send(sub5(1, 'nl/#', 1, { nl: true, id: 7 }));
      await r.next(C.SUBACK);
      r.send(sub5(2, 'rap/#', 0, { rap: true, id: 9 }));
      await r.next(C.SUBACK);
      r.send(pub5('nl/own', 'own', 1, 1));
      await r.next(C.PUBACK);
      const [o] = await raw5(port, 'other');
      o.send(pub5('nl/theirs', 'theirs', 1, 1));
      await o.next(C.PUBACK);
      o.send(pub5('rap/r', 'kept-flag', 0, 0, {}, true));
      await waitFor(() => pubs(r).length >= 2);
      const got = pubs(r).map((p) => [p.topic, p.payload.toString(), p.retain, p.properties.subscriptionIdentifiers ?? []]);
      for (const p of pubs(r)) if (p.qos > 0) r.send(E.encodeAck(C.PUBACK, p.packetId, 5));
      r.close();
      o.close();
      return got.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    });
  });

  it('Retain Handling 0/1/2 [MQTT-3.3.1-9..11] (same as mosquitto)', { skip: noMosq }, async (t) => {
    await sameOnBoth(t, async (port) => {
      const [p] = await raw5(port, 'rp');
      p.send(pub5('rh/t', 'R', 1, 1, {}, true));
      await p.next(C.PUBACK);
      const [r] = await raw5(port, 'rh');
      const counts: number[] = [];
      for (const [pi, rh] of [[1, 0], [2, 1], [3, 1], [4, 2]]) {
        if (pi === 3) {
          r.send(E.encodeUnsubscribe({ packetId: 9, topics: ['rh/t'], properties: {} }, 5));
          await r.next(C.UNSUBACK);
        }
        const before = pubs(r).length;
        r.send(sub5(pi, 'rh/t', 0, { rh }));
        await r.next(C.SUBACK);
        await new Promise((res) => setTimeout(res, 150));
        counts.push(pubs(r).length - before);
      }
      r.close();
      p.close();
      return counts; // rh 0: sent; rh 1 on an existing subscription: not; rh 1 on a new one: sent; rh 2: never
    });
  });

  it('shared subscriptions: each message to one member of the group [MQTT-4.8.2-1..3], QoS 0 and QoS 1', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const a = await mqttConnect(s.url, { ...V5, clientId: 'ma' });
    const b = await mqttConnect(s.url, { ...V5, clientId: 'mb' });
    const plain = await mqttConnect(s.url, { ...V5, clientId: 'plain' });
    const p = await mqttConnect(s.url, { ...V5, clientId: 'p' });
    t.after(() => endAll(a, b, plain, p));
    const ga = collect(a);
    const gb = collect(b);
    const gp = collect(plain);
    await a.subscribeAsync('$share/g/sh/+', { qos: 1 });
    await b.subscribeAsync('$share/g/sh/+', { qos: 1 });
    await plain.subscribeAsync('sh/+', { qos: 1 });
    for (let i = 0; i < 20; i++) await p.publishAsync(`sh/${i % 3}`, `m${i}`, { qos: (i % 2) as 0 | 1 });
    await waitFor(() => ga.length + gb.length === 20 && gp.length === 20);
    const all = [...ga, ...gb].map((m) => m.payload).sort();
    assert.deepEqual(all, Array.from({ length: 20 }, (_, i) => `m${i}`).sort(), 'each once across the group');
    assert.ok(ga.length > 0 && gb.length > 0, `both members get some (${ga.length}/${gb.length})`);
  });
});

describe('MQTT 5: properties', () => {
  it('User Properties travel MQTT 5 -> MQTT 5 and become NATS headers; NATS headers become User Properties', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const nc = await connect({ servers: s.srv.url });
    const c = await mqttConnect(s.url, { ...V5, clientId: 'up' });
    t.after(async () => {
      await endAll(c);
      await nc.close();
    });
    const got = collect(c);
    const seen: string[] = [];
    nc.subscribe('up.>', { callback: (_e, m) => { seen.push(`${m.subject} ${m.headers?.get('trace-id')} ${m.headers?.get('Nmqtt-Pub')}`); } });
    await nc.flush();
    await c.subscribeAsync('up/#', { qos: 1 });
    await c.publishAsync('up/a', 'x', { qos: 1, properties: { userProperties: { 'trace-id': 'abc', k: ['1', '2'] }, contentType: 'text/plain', payloadFormatIndicator: true } });
    const h = natsHeaders();
    h.set('trace-id', 'from-nats');
    nc.publish('up.b', 'y', { headers: h });
    await waitFor(() => got.length === 2 && seen.length >= 1);
    assert.deepEqual(seen[0], 'up.a abc 1');
    const a = got.find((m) => m.topic === 'up/a')!.packet.properties!;
    assert.deepEqual({ ...a.userProperties }, { 'trace-id': 'abc', k: ['1', '2'] });
    assert.equal(a.contentType, 'text/plain');
    assert.equal(a.payloadFormatIndicator, true);
    const b = got.find((m) => m.topic === 'up/b')!.packet.properties!;
    assert.equal((b.userProperties as Record<string, string>)['trace-id'], 'from-nats');
  });

  it('request/response: Response Topic and Correlation Data round trip, and meet NATS requests (reply subject = Response Topic)', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const nc = await connect({ servers: s.srv.url });
    const svc = await mqttConnect(s.url, { ...V5, clientId: 'svc' });
    const req = await mqttConnect(s.url, { ...V5, clientId: 'req' });
    t.after(async () => {
      await endAll(svc, req);
      await nc.close();
    });
    svc.on('message', (_topic, payload, packet) => {
      const p = packet.properties ?? {};
      if (p.responseTopic) svc.publish(p.responseTopic, `re:${payload}`, { qos: 1, properties: { correlationData: p.correlationData } });
    });
    await svc.subscribeAsync('svc/echo', { qos: 1 });
    const replies = collect(req);
    await req.subscribeAsync('replies/req', { qos: 1 });
    await req.publishAsync('svc/echo', 'hi', { qos: 1, properties: { responseTopic: 'replies/req', correlationData: Buffer.from('c-1') } });
    await waitFor(() => replies.length === 1);
    assert.equal(replies[0].payload, 're:hi');
    assert.equal(Buffer.from(replies[0].packet.properties!.correlationData!).toString(), 'c-1');
    const m = await nc.request('svc.echo', 'from-nats', { timeout: 3000 });
    assert.equal(m.string(), 're:from-nats', 'a NATS request is answered by the MQTT 5 responder');
  });

  /** Retained and queued messages with a 1 s and a 100 s expiry, looked at after 1.6 s. */
  async function expiryScenario(port: number): Promise<{ late: unknown[]; queued: unknown[] }> {
    const [q] = await raw5(port, 'offline', { clean: true, properties: { sessionExpiryInterval: 300 } });
    q.send(sub5(1, 'ex/#', 1));
    await q.next(C.SUBACK);
    q.send([0xe0, 0]);
    await q.waitClosed();
    const [p] = await raw5(port, 'exp');
    p.send(pub5('ex/ret', 'short', 1, 1, { messageExpiryInterval: 1 }, true));
    await p.next(C.PUBACK);
    p.send(pub5('ex/long', 'long', 1, 2, { messageExpiryInterval: 100 }, true));
    await p.next(C.PUBACK);
    await new Promise((r) => setTimeout(r, 1600));
    const [r] = await raw5(port, 'late');
    r.send(sub5(1, 'ex/#', 1));
    await r.next(C.SUBACK);
    const [back] = await raw5(port, 'offline', { clean: false, properties: { sessionExpiryInterval: 300 } });
    await waitFor(() => pubs(r).length >= 1 && pubs(back).length >= 1);
    await new Promise((res) => setTimeout(res, 200));
    const view = (x: RawMqtt) => pubs(x).map((m) => [m.topic, m.payload.toString(), (m.properties.messageExpiryInterval ?? 0) > 90 && (m.properties.messageExpiryInterval ?? 0) <= 100]);
    const out = { late: view(r), queued: view(back) };
    for (const x of [r, back]) for (const m of pubs(x)) x.send(E.encodeAck(C.PUBACK, m.packetId, 5));
    r.close();
    back.close();
    p.close();
    return out;
  }

  it('Message Expiry of retained messages: what remains is sent [MQTT-3.3.2-6], an expired one is not (same as mosquitto)', { skip: noMosq }, async (t) => {
    const m = await startMosquitto();
    t.after(() => m.stop());
    const ref = await expiryScenario(m.port);
    const s = await startMqtt();
    t.after(() => s.stop());
    const ours = await expiryScenario(s.port);
    assert.deepEqual(ours.late, ref.late);
    assert.deepEqual(ours.late, [['ex/long', 'long', true]]);
  });

  it('Message Expiry of queued messages: an expired one is not delivered to a resumed session [MQTT-3.3.2-5] (mosquitto 2.0.11 sends it)', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const ours = await expiryScenario(s.port);
    assert.deepEqual(ours.queued, [['ex/long', 'long', true]]);
  });

  it('Topic Alias: the client may replace a topic with an alias [MQTT-3.3.2-9..12]; the server uses aliases up to the client maximum', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const [r] = await raw5(s.port, 'alias', { properties: { topicAliasMaximum: 5 } });
    t.after(() => r.close());
    r.send(sub5(1, 'al/#', 0));
    await r.next(C.SUBACK);
    r.send(pub5('al/x', 'first', 0, 0, { topicAlias: 3 }));
    r.send(pub5('', 'second', 0, 0, { topicAlias: 3 }));
    await waitFor(() => pubs(r).length === 2);
    const [a, b] = pubs(r);
    assert.deepEqual([a.topic, a.properties.topicAlias, a.payload.toString()], ['al/x', 1, 'first']);
    assert.deepEqual([b.topic, b.properties.topicAlias, b.payload.toString()], ['', 1, 'second'], 'the second uses the alias alone');
    r.send(pub5('', 'unknown alias', 0, 0, { topicAlias: 4 }));
    assert.equal(((await r.next(C.DISCONNECT)) as DisconnectPacket).reasonCode, C.ReasonCode.ProtocolError);
  });

  it('Receive Maximum: no more QoS 1 messages in flight than the client allows [MQTT-3.3.4-9]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const [r] = await raw5(s.port, 'rm', { properties: { receiveMaximum: 2 } });
    t.after(() => r.close());
    r.send(sub5(1, 'rm/#', 1));
    await r.next(C.SUBACK);
    const p = await mqttConnect(s.url, { ...V5, clientId: 'p' });
    t.after(() => endAll(p));
    for (let i = 0; i < 5; i++) await p.publishAsync('rm/x', `m${i}`, { qos: 1 });
    await waitFor(() => pubs(r).length === 2);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(pubs(r).length, 2);
  });

  it('Maximum Packet Size of the client: bigger messages are not sent to it [MQTT-3.1.2-25]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const [r] = await raw5(s.port, 'mps', { properties: { maximumPacketSize: 64 } });
    t.after(() => r.close());
    r.send(sub5(1, 'm/#', 0));
    await r.next(C.SUBACK);
    const p = await mqttConnect(s.url, { ...V5, clientId: 'p' });
    t.after(() => endAll(p));
    await p.publishAsync('m/big', 'x'.repeat(100));
    await p.publishAsync('m/small', 'ok');
    await waitFor(() => pubs(r).length === 1);
    assert.equal(pubs(r)[0].topic, 'm/small');
  });

  it('a publish that is not allowed gets PUBACK 0x87 Not authorized [MQTT-3.4.2-1]', async (t) => {
    const s = await startMqtt({ users: [{ user: 'u', password: 'p', permissions: { publish: { allow: ['ok'] } } }] });
    t.after(() => s.stop());
    const [r] = await raw5(s.port, 'na', { username: 'u', password: Buffer.from('p') });
    t.after(() => r.close());
    r.send(pub5('no', 'x', 1, 4));
    const ack = await r.next(C.PUBACK);
    assert.deepEqual(ack.type === C.PUBACK && [ack.packetId, ack.reasonCode], [4, 0x87]);
  });

  it('Will Delay Interval: the will waits, and is dropped when the session is resumed in time [MQTT-3.1.3-9]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const w = await mqttConnect(s.url, { ...V5, clientId: 'watch' });
    t.after(() => endAll(w));
    const got = collect(w);
    await w.subscribeAsync('wd/#');
    const will = (id: string) => ({ topic: `wd/${id}`, payload: Buffer.from(`${id} gone`), qos: 0, retain: false, properties: { willDelayInterval: 1 } });
    const [a] = await raw5(s.port, 'a', { will: will('a'), properties: { sessionExpiryInterval: 30 } });
    const [b] = await raw5(s.port, 'b', { will: will('b'), properties: { sessionExpiryInterval: 30 } });
    const t0 = Date.now();
    a.close();
    b.close();
    await new Promise((r) => setTimeout(r, 200));
    const [b2] = await raw5(s.port, 'b', { clean: false, properties: { sessionExpiryInterval: 30 } });
    t.after(() => b2.close());
    await waitFor(() => got.length === 1, 4000);
    assert.ok(Date.now() - t0 >= 900, 'after the delay');
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(got.map((m) => m.payload), ['a gone'], 'b resumed its session in time: no will');
  });

  it('SUBACK and UNSUBACK reason codes [MQTT-3.9.3] [MQTT-3.11.3]', async (t) => {
    const s = await startMqtt();
    t.after(() => s.stop());
    const [r] = await raw5(s.port, 'codes');
    t.after(() => r.close());
    r.send(E.encodeSubscribe({ packetId: 1, subscriptions: ['ok/+', 'bad/#/x', '$share/g', '$MQTT/x'].map((topic, k) => ({ topic, qos: k % 3, noLocal: false, retainAsPublished: false, retainHandling: 0 })), properties: {} }, 5));
    const sa = (await r.next(C.SUBACK)) as SubackPacket;
    assert.deepEqual(sa.reasonCodes, [0, C.ReasonCode.TopicFilterInvalid, C.ReasonCode.TopicFilterInvalid, 0x80]);
    r.send(E.encodeUnsubscribe({ packetId: 2, topics: ['ok/+', 'never'], properties: {} }, 5));
    const ua = await r.next(C.UNSUBACK);
    assert.deepEqual(ua.type === C.UNSUBACK && ua.reasonCodes, [0, C.ReasonCode.NoSubscriptionExisted]);
  });
});

