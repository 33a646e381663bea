/**
 * The pure MQTT codec (src/mqtt/codec): every packet of 3.1.1 and 5.0 round
 * trips; our bytes parse with mqtt-packet (MQTT.js's codec) and its bytes
 * decode with ours; each structural rule refuses with the 5.0 reason code its
 * normative statement gives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as mp from 'mqtt-packet';
import * as C from '../../src/mqtt/codec/constants.js';
import { decodePacket, readFixedHeader, FixedHeader, HEADER_OK, HEADER_INCOMPLETE, HEADER_MALFORMED, UnsupportedProtocolError } from '../../src/mqtt/codec/decode.js';
import { MqttDecodeError } from '../../src/mqtt/codec/reader.js';
import * as E from '../../src/mqtt/codec/encode.js';
import type { Packet, Properties } from '../../src/mqtt/codec/packets.js';

/** Split one encoded packet into header and body and decode it. */
function decode(b: Buffer, version: number): Packet {
  const h = new FixedHeader();
  assert.equal(readFixedHeader(b, 0, b.length, h), HEADER_OK);
  assert.equal(h.headerLen + h.remaining, b.length, 'remaining length covers the packet');
  return decodePacket(h.type, h.flags, b, h.headerLen, b.length, version);
}

function refuses(b: Buffer, version: number, code: number, re?: RegExp): void {
  assert.throws(() => decode(b, version), (e: unknown) => {
    assert.ok(e instanceof MqttDecodeError, `MqttDecodeError, got ${String(e)}`);
    assert.equal(e.reasonCode, code, `reason 0x${e.reasonCode.toString(16)}: ${e.message}`);
    if (re) assert.match(e.message, re);
    return true;
  });
}

/** mqtt-packet parses one buffer into packets. */
function mpParse(b: Buffer, protocolVersion: number): mp.Packet[] {
  const parser = mp.parser({ protocolVersion });
  const out: mp.Packet[] = [];
  const errs: Error[] = [];
  parser.on('packet', (p: mp.Packet) => out.push(p));
  parser.on('error', (e: Error) => errs.push(e));
  parser.parse(b);
  if (errs.length > 0) throw errs[0];
  return out;
}

const ALL_PUBLISH_PROPS: Properties = {
  payloadFormatIndicator: 1,
  messageExpiryInterval: 3600,
  topicAlias: 7,
  responseTopic: 'reply/to',
  correlationData: Buffer.from([1, 2, 3]),
  userProperties: [['a', '1'], ['a', '2'], ['ü', 'ß']],
  subscriptionIdentifiers: [5, 268435455],
  contentType: 'text/plain',
};

describe('mqtt codec: round trips', () => {
  it('CONNECT 3.1.1 with will, user name and password', () => {
    const b = E.encodeConnect({
      protocolName: 'MQTT', protocolLevel: 4, clean: true, keepAlive: 30, clientId: 'c1',
      will: { topic: 'w/t', payload: Buffer.from('bye'), qos: 1, retain: true, properties: {} },
      username: 'u', password: Buffer.from('p'), properties: {},
    });
    const p = decode(b, 4);
    assert.equal(p.type, C.CONNECT);
    if (p.type !== C.CONNECT) return;
    assert.equal(p.protocolLevel, 4);
    assert.equal(p.clean, true);
    assert.equal(p.keepAlive, 30);
    assert.equal(p.clientId, 'c1');
    assert.deepEqual(p.will && { ...p.will, payload: p.will.payload.toString() }, { topic: 'w/t', payload: 'bye', qos: 1, retain: true, properties: {} });
    assert.equal(p.username, 'u');
    assert.equal(p.password?.toString(), 'p');
    const [m] = mpParse(b, 4) as mp.IConnectPacket[];
    assert.equal(m.clientId, 'c1');
    assert.equal(m.will?.qos, 1);
    assert.equal(m.username, 'u');
  });

  it('CONNECT 5.0 with every CONNECT and will property', () => {
    const props: Properties = {
      sessionExpiryInterval: 120, receiveMaximum: 10, maximumPacketSize: 1000, topicAliasMaximum: 5,
      requestResponseInformation: 1, requestProblemInformation: 0, userProperties: [['k', 'v']],
      authenticationMethod: 'SCRAM', authenticationData: Buffer.from('d'),
    };
    const wprops: Properties = {
      willDelayInterval: 10, payloadFormatIndicator: 1, messageExpiryInterval: 60, contentType: 'ct',
      responseTopic: 'rt', correlationData: Buffer.from('cd'), userProperties: [['x', 'y']],
    };
    const b = E.encodeConnect({
      protocolName: 'MQTT', protocolLevel: 5, clean: false, keepAlive: 0, clientId: '',
      will: { topic: 't', payload: Buffer.alloc(0), qos: 2, retain: false, properties: wprops },
      username: null, password: Buffer.from('only-password'), properties: props,
    });
    const p = decode(b, 5);
    assert.equal(p.type, C.CONNECT);
    if (p.type !== C.CONNECT) return;
    assert.deepEqual(p.properties, props);
    assert.deepEqual(p.will?.properties, wprops);
    assert.equal(p.username, null, '5.0 allows a password without a user name [MQTT-3.1.2-18]');
    assert.equal(p.password?.toString(), 'only-password');
    const [m] = mpParse(b, 5) as mp.IConnectPacket[];
    assert.equal(m.properties?.sessionExpiryInterval, 120);
    assert.equal(m.will?.properties?.willDelayInterval, 10);
  });

  it('CONNACK in both versions, 5.0 with every CONNACK property', () => {
    assert.deepEqual([...E.encodeConnack(true, 0, 4)], [0x20, 2, 1, 0]);
    const props: Properties = {
      sessionExpiryInterval: 1, receiveMaximum: 100, maximumQoS: 1, retainAvailable: 1, maximumPacketSize: 65536,
      assignedClientIdentifier: 'auto-1', topicAliasMaximum: 10, reasonString: 'ok', userProperties: [['a', 'b']],
      wildcardSubscriptionAvailable: 1, subscriptionIdentifierAvailable: 1, sharedSubscriptionAvailable: 1,
      serverKeepAlive: 60, responseInformation: 'ri', serverReference: 'other:1883', authenticationMethod: 'm',
      authenticationData: Buffer.from([9]),
    };
    const b = E.encodeConnack(false, 0x87, 5, props);
    const p = decode(b, 5);
    assert.deepEqual(p, { type: C.CONNACK, sessionPresent: false, reasonCode: 0x87, properties: props });
    const [m] = mpParse(b, 5) as mp.IConnackPacket[];
    assert.equal(m.reasonCode, 0x87);
    assert.equal(m.properties?.assignedClientIdentifier, 'auto-1');
  });

  it('PUBLISH QoS 0/1/2, 3.1.1 and 5.0 (every PUBLISH property), payload by view', () => {
    for (const v of [4, 5]) {
      for (const qos of [0, 1, 2]) {
        const props = v === 5 ? ALL_PUBLISH_PROPS : {};
        const b = E.encodePublish({ qos, dup: qos > 0, retain: true, topic: 'a/b/ü', packetId: qos > 0 ? 65535 : 0, payload: Buffer.from('hello'), properties: props }, v);
        const p = decode(b, v);
        assert.equal(p.type, C.PUBLISH);
        if (p.type !== C.PUBLISH) return;
        assert.equal(p.qos, qos);
        assert.equal(p.dup, qos > 0);
        assert.equal(p.retain, true);
        assert.equal(p.topic, 'a/b/ü');
        assert.equal(p.packetId, qos > 0 ? 65535 : 0);
        assert.equal(p.payload.toString(), 'hello');
        assert.equal(p.payload.buffer, b.buffer, 'payload is a view of the packet');
        assert.deepEqual(p.properties, props);
        const [m] = mpParse(b, v) as mp.IPublishPacket[];
        assert.equal(m.topic, 'a/b/ü');
        assert.equal(m.qos, qos);
        assert.equal(String(m.payload), 'hello');
      }
    }
  });

  it('writePublishHeader + payload equals encodePublish', () => {
    const topic = Buffer.from('x/y');
    const payload = Buffer.alloc(300, 7);
    const props = E.encodeProperties({ subscriptionIdentifiers: [3] });
    const hs = E.publishHeaderSize(topic.length, 1, props.length, payload.length);
    const h = Buffer.alloc(hs);
    assert.equal(E.writePublishHeader(h, 0, E.publishFlags(1, false, false), topic, 9, props, payload.length), hs);
    const whole = E.encodePublish({ qos: 1, dup: false, retain: false, topic: 'x/y', packetId: 9, payload, properties: { subscriptionIdentifiers: [3] } }, 5);
    assert.deepEqual(Buffer.concat([h, payload]), whole);
  });

  it('PUBACK/PUBREC/PUBREL/PUBCOMP: 3.1.1 form, 5.0 short and long forms', () => {
    for (const t of [C.PUBACK, C.PUBREC, C.PUBREL, C.PUBCOMP]) {
      const flags = t === C.PUBREL ? 2 : 0;
      assert.deepEqual([...E.encodeAck(t, 258, 4)], [(t << 4) | flags, 2, 1, 2]);
      assert.deepEqual([...E.encodeAck(t, 258, 5)], [(t << 4) | flags, 2, 1, 2], 'Success without properties is left short [MQTT-3.4.2.1]');
      // a code valid for the packet [MQTT-3.4.2-1]: No matching subscribers, or Packet Identifier not found
      const code = t === C.PUBACK || t === C.PUBREC ? 0x10 : 0x92;
      const b = E.encodeAck(t, 7, 5, code, { reasonString: 'none', userProperties: [['u', 'v']] });
      assert.deepEqual(decode(b, 5), { type: t, packetId: 7, reasonCode: code, properties: { reasonString: 'none', userProperties: [['u', 'v']] } });
      const rc = E.encodeAck(t, 7, 5, code);
      assert.equal(rc.length, 5, 'reason code, no property block');
      assert.deepEqual(decode(rc, 5), { type: t, packetId: 7, reasonCode: code, properties: {} });
      const [m] = mpParse(b, 5) as mp.IPubackPacket[];
      assert.equal(m.messageId, 7);
    }
  });

  it('SUBSCRIBE/SUBACK/UNSUBSCRIBE/UNSUBACK in both versions', () => {
    const subs = [
      { topic: 'a/+', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 },
      { topic: '#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ];
    const b5 = E.encodeSubscribe({ packetId: 3, subscriptions: subs, properties: { subscriptionIdentifiers: [42], userProperties: [['k', 'v']] } }, 5);
    assert.deepEqual(decode(b5, 5), { type: C.SUBSCRIBE, packetId: 3, subscriptions: subs, properties: { subscriptionIdentifiers: [42], userProperties: [['k', 'v']] } });
    const [m5] = mpParse(b5, 5) as mp.ISubscribePacket[];
    assert.equal(m5.subscriptions[0].nl, true);
    assert.equal(m5.subscriptions[0].rh, 2);
    const b4 = E.encodeSubscribe({ packetId: 3, subscriptions: subs, properties: {} }, 4);
    const p4 = decode(b4, 4);
    assert.equal(p4.type, C.SUBSCRIBE);
    if (p4.type === C.SUBSCRIBE) assert.deepEqual(p4.subscriptions.map((s) => [s.topic, s.qos, s.noLocal]), [['a/+', 1, false], ['#', 2, false]]);
    assert.deepEqual(decode(E.encodeSuback(3, [0, 1, 0x80], 4), 4), { type: C.SUBACK, packetId: 3, reasonCodes: [0, 1, 0x80], properties: {} });
    assert.deepEqual(decode(E.encodeSuback(3, [2, 0x8f], 5, { reasonString: 'r' }), 5), { type: C.SUBACK, packetId: 3, reasonCodes: [2, 0x8f], properties: { reasonString: 'r' } });
    const u = E.encodeUnsubscribe({ packetId: 4, topics: ['a/+', 'b'], properties: { userProperties: [['x', 'y']] } }, 5);
    assert.deepEqual(decode(u, 5), { type: C.UNSUBSCRIBE, packetId: 4, topics: ['a/+', 'b'], properties: { userProperties: [['x', 'y']] } });
    assert.deepEqual([...E.encodeUnsuback(4, [0, 0x11], 4)], [0xb0, 2, 0, 4], '3.1.1 UNSUBACK has no payload');
    assert.deepEqual(decode(E.encodeUnsuback(4, [0, 0x11], 5), 5), { type: C.UNSUBACK, packetId: 4, reasonCodes: [0, 0x11], properties: {} });
    const [mu] = mpParse(E.encodeUnsuback(4, [0, 0x11], 5), 5) as (mp.IUnsubackPacket & { granted: number[] })[];
    assert.deepEqual(mu.granted, [0, 0x11]);
  });

  it('PINGREQ/PINGRESP/DISCONNECT/AUTH', () => {
    assert.deepEqual(decode(E.PINGREQ_BYTES, 4), { type: C.PINGREQ });
    assert.deepEqual(decode(E.PINGRESP_BYTES, 5), { type: C.PINGRESP });
    assert.deepEqual([...E.encodeDisconnect(4, 0x8e)], [0xe0, 0], '3.1.1 DISCONNECT is empty');
    assert.deepEqual(decode(E.encodeDisconnect(5), 5), { type: C.DISCONNECT, reasonCode: 0, properties: {} });
    const d = E.encodeDisconnect(5, 0x8e, { reasonString: 'taken over', sessionExpiryInterval: 0, serverReference: 's' });
    assert.deepEqual(decode(d, 5), { type: C.DISCONNECT, reasonCode: 0x8e, properties: { reasonString: 'taken over', sessionExpiryInterval: 0, serverReference: 's' } });
    const [md] = mpParse(d, 5) as mp.IDisconnectPacket[];
    assert.equal(md.reasonCode, 0x8e);
    const a = E.encodeAuth(0x18, { authenticationMethod: 'm', authenticationData: Buffer.from('x') });
    assert.deepEqual(decode(a, 5), { type: C.AUTH, reasonCode: 0x18, properties: { authenticationMethod: 'm', authenticationData: Buffer.from('x') } });
  });

  it('packets generated by mqtt-packet decode with ours', () => {
    const cases: [mp.Packet, number][] = [
      [{ cmd: 'connect', clientId: 'abc', protocolVersion: 4, protocolId: 'MQTT', clean: true, keepalive: 10 }, 4],
      [{ cmd: 'connect', clientId: 'abc', protocolVersion: 5, protocolId: 'MQTT', clean: false, keepalive: 10, properties: { sessionExpiryInterval: 60, receiveMaximum: 5 } }, 5],
      [{ cmd: 'publish', topic: 't/1', payload: Buffer.from('x'), qos: 1, messageId: 5, retain: false, dup: false }, 4],
      [{ cmd: 'publish', topic: '', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } }, 5],
      [{ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'x/#', qos: 2 }] }, 4],
      [{ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'x/#', qos: 1, nl: true, rap: false, rh: 1 }], properties: { subscriptionIdentifier: 12 } }, 5],
      [{ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['a', 'b/+'] }, 4],
      [{ cmd: 'puback', messageId: 8 }, 4],
      [{ cmd: 'pubrel', messageId: 8 }, 5],
      [{ cmd: 'pingreq' }, 4],
      [{ cmd: 'disconnect', reasonCode: 0x04 }, 5],
    ];
    for (const [pkt, v] of cases) {
      const b = mp.generate(pkt, { protocolVersion: v });
      const d = decode(b, v);
      assert.equal(C.PACKET_NAMES[d.type].toLowerCase(), pkt.cmd);
    }
    const sub = decode(mp.generate({ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'x/#', qos: 1, nl: true, rap: false, rh: 1 }], properties: { subscriptionIdentifier: 12 } }, { protocolVersion: 5 }), 5);
    assert.deepEqual(sub.type === C.SUBSCRIBE && sub.properties.subscriptionIdentifiers, [12]);
    assert.deepEqual(sub.type === C.SUBSCRIBE && sub.subscriptions[0], { topic: 'x/#', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 1 });
  });
});

describe('mqtt codec: fixed header', () => {
  it('remaining length: 1 to 4 bytes, a fifth is malformed [MQTT-1.5.5]', () => {
    const h = new FixedHeader();
    for (const [bytes, v] of [[[0x00], 0], [[0x7f], 127], [[0x80, 0x01], 128], [[0xff, 0x7f], 16383], [[0x80, 0x80, 0x01], 16384], [[0xff, 0xff, 0xff, 0x7f], 268435455]] as [number[], number][]) {
      const b = Buffer.from([0x30, ...bytes]);
      assert.equal(readFixedHeader(b, 0, b.length, h), HEADER_OK);
      assert.equal(h.remaining, v);
      assert.equal(h.headerLen, 1 + bytes.length);
      // split anywhere inside the length: incomplete, never wrong
      for (let cut = 0; cut < b.length; cut++) assert.equal(readFixedHeader(b, 0, cut, h), HEADER_INCOMPLETE);
    }
    assert.equal(readFixedHeader(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), 0, 6, h), HEADER_MALFORMED);
    assert.equal(readFixedHeader(Buffer.from([0x00, 0x00]), 0, 2, h), HEADER_MALFORMED, 'packet type 0 is reserved');
  });

  it('reserved fixed-header flags are malformed [MQTT-2.2.2-1]', () => {
    refuses(Buffer.from([0xc1, 0]), 4, 0x81, /invalid fixed header flags/);
    refuses(Buffer.from([0x60, 2, 0, 1]), 4, 0x81, /invalid fixed header flags/);
    refuses(Buffer.from([0x80, 6, 0, 1, 0, 1, 0x61, 0]), 4, 0x81);
    refuses(Buffer.from([0xe1, 0]), 5, 0x81);
  });
});

describe('mqtt codec: refusals', () => {
  const connect = (over: Partial<Parameters<typeof E.encodeConnect>[0]> = {}): Buffer =>
    E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean: true, keepAlive: 0, clientId: 'x', will: null, username: null, password: null, properties: {}, ...over });

  it('CONNECT: protocol name and level [MQTT-3.1.2-1] [MQTT-3.1.2-2]', () => {
    refuses(connect({ protocolName: 'MQTX' }), 4, 0x81, /protocol name/);
    assert.throws(() => decode(connect({ protocolLevel: 6 }), 4), (e: unknown) => e instanceof UnsupportedProtocolError && e.level === 6);
    assert.throws(() => decode(connect({ protocolLevel: 3 }), 4), (e: unknown) => e instanceof UnsupportedProtocolError && e.level === 3, '"MQTT" with level 3');
    const p = decode(connect({ protocolName: 'MQIsdp', protocolLevel: 3 }), 3);
    assert.equal(p.type === C.CONNECT && p.protocolLevel, 3, '3.1 decodes (the server decides whether to accept it)');
  });

  it('CONNECT: reserved flag [MQTT-3.1.2-3], will flags [MQTT-3.1.2-13..15], password without user [MQTT-3.1.2-22]', () => {
    const setFlags = (b: Buffer, f: number): Buffer => {
      const c = Buffer.from(b);
      c[2 + 6 + 1] = f; // fixed header (2) + "MQTT" string (6) + level (1)
      return c;
    };
    const b = connect();
    refuses(setFlags(b, 0x03), 4, 0x81, /reserved/);
    refuses(setFlags(b, 0x02 | 0x08), 4, 0x81, /Will QoS must be 0/);
    refuses(setFlags(b, 0x02 | 0x20), 4, 0x81, /Will Retain/);
    refuses(setFlags(connect({ will: { topic: 't', payload: Buffer.alloc(0), qos: 1, retain: false, properties: {} } }), 0x02 | 0x04 | 0x18), 4, 0x81, /can be 0, 1 or 2/);
    refuses(connect({ password: Buffer.from('p') }), 4, 0x81, /password flag/);
  });

  it('strings: ill-formed UTF-8 [MQTT-1.5.4-1] and U+0000 [MQTT-1.5.4-2] are malformed', () => {
    const pub = E.encodePublish({ qos: 0, dup: false, retain: false, topic: 'ab', packetId: 0, payload: Buffer.alloc(0), properties: {} }, 4);
    const bad = Buffer.from(pub);
    bad[4] = 0xff;
    refuses(bad, 4, 0x81, /invalid utf8/);
    const nul = Buffer.from(pub);
    nul[5] = 0;
    refuses(nul, 4, 0x81, /null character/);
    const surrogate = Buffer.concat([Buffer.from([0x30, 5, 0, 3]), Buffer.from([0xed, 0xa0, 0x80])]);
    refuses(surrogate, 4, 0x81, /invalid utf8/);
  });

  it('PUBLISH: QoS 3 [MQTT-3.3.1-4], packet identifier 0 [MQTT-2.3.1-1], truncated topic', () => {
    refuses(Buffer.from([0x36, 3, 0, 1, 0x61]), 4, 0x81, /QoS=3/);
    refuses(Buffer.from([0x32, 5, 0, 1, 0x61, 0, 0]), 4, 0x82, /cannot be 0/);
    refuses(Buffer.from([0x30, 3, 0, 9, 0x61]), 4, 0x81, /unexpected end/);
  });

  it('properties: not allowed in the packet [MQTT-2.2.2-2], repeated, out of range', () => {
    // PUBLISH 5.0: topic "a", property block with Session Expiry (CONNECT only)
    refuses(Buffer.from([0x30, 9, 0, 1, 0x61, 5, 0x11, 0, 0, 0, 1]), 5, 0x81, /not valid in PUBLISH/);
    // Payload Format Indicator twice
    refuses(Buffer.from([0x30, 8, 0, 1, 0x61, 4, 0x01, 0, 0x01, 1]), 5, 0x82, /more than once/);
    // Payload Format Indicator 2
    refuses(Buffer.from([0x30, 6, 0, 1, 0x61, 2, 0x01, 2]), 5, 0x82, /must be 0 or 1/);
    // Topic Alias 0 [MQTT-3.3.2-8]
    refuses(Buffer.from([0x30, 7, 0, 1, 0x61, 3, 0x23, 0, 0]), 5, 0x82, /Topic Alias of 0/);
    // property length beyond the packet
    refuses(Buffer.from([0x30, 5, 0, 1, 0x61, 9, 0x01]), 5, 0x81, /property length/);
    // Receive Maximum 0 in CONNECT [MQTT-3.1.2.11.3]
    const c = connect({ protocolLevel: 5, properties: { receiveMaximum: 1 } });
    const z = Buffer.from(c);
    z[z.indexOf(0x21) + 2] = 0;
    refuses(z, 5, 0x82, /Receive Maximum of 0/);
  });

  it('SUBSCRIBE: no filter [MQTT-3.8.3-3], QoS 3 [MQTT-3-8.3-4], reserved option bits [MQTT-3.8.3-5], retain handling 3', () => {
    refuses(Buffer.from([0x82, 2, 0, 1]), 4, 0x82, /at least 1 topic filter/);
    refuses(Buffer.from([0x82, 6, 0, 1, 0, 1, 0x61, 3]), 4, 0x81, /got 3/);
    refuses(Buffer.from([0x82, 6, 0, 1, 0, 1, 0x61, 0x04]), 4, 0x81, /got 4/, );
    refuses(Buffer.from([0x82, 7, 0, 1, 0, 0, 1, 0x61, 0x40]), 5, 0x81, /reserved bits/);
    refuses(Buffer.from([0x82, 7, 0, 1, 0, 0, 1, 0x61, 0x30]), 5, 0x82, /retain handling/);
    refuses(Buffer.from([0xa2, 2, 0, 1]), 4, 0x82, /at least 1 topic filter/);
  });

  it('acks: 3.1.1 length must be 2; 5.0 trailing bytes after the property block are malformed', () => {
    refuses(Buffer.from([0x40, 3, 0, 1, 0]), 4, 0x81, /remaining length/);
    refuses(Buffer.from([0x40, 5, 0, 1, 0, 0, 9]), 5, 0x81, /trailing/);
    refuses(Buffer.from([0xc0, 1, 0]), 4, 0x81, /PINGREQ/);
    refuses(Buffer.from([0xf0, 0]), 4, 0x81, /unknown packet type 15/, );
    refuses(Buffer.from([0xf0, 1, 0x05]), 5, 0x82, /AUTH reason code/);
  });
});
