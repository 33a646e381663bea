/**
 * Seeded fuzzing of the MQTT codec: valid packets of every type (3.1.1 and
 * 5.0) are mutated (bytes flipped, inserted, cut, lengths tampered) and
 * random bytes are thrown at the framer and decoder. Every input must end as
 * a packet or an MqttDecodeError: no other exception (no out-of-bounds read,
 * no RangeError), no decoder bug wrapped as "decode failure", and no hang
 * (each stream is consumed in a bounded number of steps).
 * MQTT_FUZZ_SEED / MQTT_FUZZ_ROUNDS replay or widen a run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../helpers/rng.js';
import * as E from '../../src/mqtt/codec/encode.js';
import { decodePacket } from '../../src/mqtt/codec/decode.js';
import { MqttDecodeError } from '../../src/mqtt/codec/reader.js';
import { Framer, FRAME_MALFORMED, FRAME_NONE, FRAME_PACKET, FRAME_TOO_LARGE } from '../../src/mqtt/codec/framer.js';
import type { Properties } from '../../src/mqtt/codec/packets.js';

const SEED = Number(process.env.MQTT_FUZZ_SEED ?? 20260317);
const ROUNDS = Number(process.env.MQTT_FUZZ_ROUNDS ?? 20000);

const PROPS5: Properties = {
  payloadFormatIndicator: 1, messageExpiryInterval: 5, contentType: 'c', responseTopic: 'r/t',
  correlationData: Buffer.from('cd'), userProperties: [['k', 'v']], topicAlias: 2,
};

function corpus(v: number): Buffer[] {
  const props: Properties = v === 5 ? PROPS5 : {};
  return [
    E.encodeConnect({ protocolName: 'MQTT', protocolLevel: v, clean: true, keepAlive: 10, clientId: 'cid',
      will: { topic: 'w', payload: Buffer.from('bye'), qos: 1, retain: true, properties: v === 5 ? { willDelayInterval: 3, userProperties: [['a', 'b']] } : {} },
      username: 'u', password: Buffer.from('p'), properties: v === 5 ? { sessionExpiryInterval: 9, receiveMaximum: 4, authenticationMethod: 'x' } : {} }),
    E.encodeConnack(true, 0, v, v === 5 ? { assignedClientIdentifier: 'a', topicAliasMaximum: 3 } : {}),
    E.encodePublish({ qos: 0, dup: false, retain: false, topic: 'a/b', packetId: 0, payload: Buffer.from('hello'), properties: props }, v),
    E.encodePublish({ qos: 1, dup: true, retain: true, topic: 'a/ü/c', packetId: 513, payload: Buffer.alloc(40, 1), properties: props }, v),
    E.encodePublish({ qos: 2, dup: false, retain: false, topic: 't', packetId: 2, payload: Buffer.alloc(0), properties: props }, v),
    E.encodeAck(4, 9, v, v === 5 ? 0x10 : 0, v === 5 ? { reasonString: 'r' } : {}),
    E.encodeAck(5, 9, v),
    E.encodeAck(6, 9, v),
    E.encodeAck(7, 9, v, v === 5 ? 0x92 : 0),
    E.encodeSubscribe({ packetId: 3, subscriptions: [{ topic: 'a/+', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 1 }, { topic: '#', qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 0 }], properties: v === 5 ? { subscriptionIdentifiers: [7] } : {} }, v),
    E.encodeSuback(3, [0, 1, 0x80], v),
    E.encodeUnsubscribe({ packetId: 4, topics: ['a/+', 'b'], properties: {} }, v),
    E.encodeUnsuback(4, [0, 0x11], v),
    E.PINGREQ_BYTES,
    E.PINGRESP_BYTES,
    E.encodeDisconnect(v, v === 5 ? 0x04 : 0, v === 5 ? { reasonString: 'x' } : {}),
    ...(v === 5 ? [E.encodeAuth(0x18, { authenticationMethod: 'm', authenticationData: Buffer.from('d') })] : []),
  ];
}

function mutate(r: () => number, s: Buffer): Buffer {
  let b = Buffer.from(s);
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    const op = r();
    const at = Math.floor(r() * Math.max(1, b.length));
    if (op < 0.35) b[at] = Math.floor(r() * 256);
    else if (op < 0.5) b[at] ^= 1 << Math.floor(r() * 8);
    else if (op < 0.6 && b.length > 1) b[1] = Math.floor(r() * 256); // remaining length
    else if (op < 0.75) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (op < 0.9) b = Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(r() * 256)]), b.subarray(at)]);
    else b = b.subarray(0, at);
  }
  return b;
}

/** Feed `data` to a framer in random chunk sizes, decoding every frame. Returns counts. */
function run(data: Buffer, version: number, r: () => number): { packets: number; errors: number } {
  const f = new Framer(r() < 0.2 ? 64 : 0);
  let packets = 0;
  let errors = 0;
  let pos = 0;
  let steps = 0;
  outer: while (pos < data.length) {
    const n = 1 + Math.floor(r() * 64);
    f.push(data.subarray(pos, pos + n));
    pos += n;
    for (;;) {
      if (++steps > 100_000) assert.fail('framer did not make progress');
      const st = f.next();
      if (st === FRAME_NONE) break;
      if (st === FRAME_MALFORMED || st === FRAME_TOO_LARGE) {
        errors++;
        break outer; // the server closes the connection here
      }
      assert.equal(st, FRAME_PACKET);
      try {
        decodePacket(f.header.type, f.header.flags, f.buf, f.start, f.end, version);
        packets++;
      } catch (e) {
        if (!(e instanceof MqttDecodeError)) throw e;
        assert.doesNotMatch(e.message, /decode failure/);
        assert.ok(e.reasonCode >= 0x80, `a refusal code, got 0x${e.reasonCode.toString(16)}`);
        errors++;
        break outer;
      }
    }
  }
  return { packets, errors };
}

describe('mqtt codec fuzz', () => {
  for (const version of [4, 5]) {
    it(`mutated and random ${version === 5 ? '5.0' : '3.1.1'} input: a packet or a decode error, never a throw or a hang (seed ${SEED})`, () => {
      const r = rng(SEED + version);
      const valid = corpus(version);
      let packets = 0;
      let errors = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const parts: Buffer[] = [];
        const n = 1 + Math.floor(r() * 5);
        for (let k = 0; k < n; k++) {
          const kind = r();
          const v = valid[Math.floor(r() * valid.length)];
          if (kind < 0.1) {
            const raw = Buffer.alloc(Math.floor(r() * 80));
            for (let j = 0; j < raw.length; j++) raw[j] = Math.floor(r() * 256);
            parts.push(raw);
          } else if (kind < 0.6) parts.push(mutate(r, v));
          else parts.push(v);
        }
        const res = run(Buffer.concat(parts), version, r);
        packets += res.packets;
        errors += res.errors;
      }
      // both outcomes are exercised
      assert.ok(packets > ROUNDS / 2, `packets decoded: ${packets}`);
      assert.ok(errors > ROUNDS / 10, `inputs refused: ${errors}`);
    });
  }

  it('valid packets split at every offset decode identically', () => {
    for (const version of [4, 5]) {
      const all = Buffer.concat(corpus(version));
      for (let cut = 1; cut < all.length; cut++) {
        const f = new Framer();
        const got: number[] = [];
        for (const part of [all.subarray(0, cut), all.subarray(cut)]) {
          f.push(part);
          while (f.next() === FRAME_PACKET) got.push(decodePacket(f.header.type, f.header.flags, f.buf, f.start, f.end, version).type);
        }
        assert.equal(got.length, corpus(version).length, `cut at ${cut}`);
      }
    }
  });
});
