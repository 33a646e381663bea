/**
 * Acknowledgements from the client for what the server sent (Go
 * mqttProcessPubAck / mqttProcessPubRec / mqttProcessPubComp): PUBACK ends a
 * QoS 1 delivery and acks the consumer; PUBREC turns a QoS 2 delivery into a
 * PUBREL (kept in `$MQTT_out`, so it is resent after a reconnect
 * [MQTT-4.4.0-1]); PUBCOMP ends it.
 */
import * as C from '../codec/constants.js';
import type { AckPacket } from '../codec/packets.js';
import type { MqttClient } from '../connection.js';

export function onPubAck(c: MqttClient, p: AckPacket): void {
  if (c.log.traceEnabled) c.trace(`<<- [PUBACK pi=${p.packetId}]`);
  const sess = c.session;
  if (sess === null || sess.client !== c) return c.fail('invalid MQTT session');
  const ack = sess.untrackPublish(p.packetId);
  c.asm?.jsa.ack(ack);
}

export function onPubRec(c: MqttClient, p: AckPacket): void {
  if (c.log.traceEnabled) c.trace(`<<- [PUBREC pi=${p.packetId}]`);
  const sess = c.session;
  const asm = c.asm;
  if (sess === null || asm === null || sess.client !== c) return c.fail('invalid MQTT session');
  const pi = p.packetId;
  // 5.0 [MQTT-4.3.3]: a PUBREC with an error code ends the exchange (no PUBREL)
  if (c.version === C.MQTT_5 && p.reasonCode >= 0x80) {
    asm.jsa.ack(sess.untrackPublish(pi));
    return;
  }
  if (sess.pubRelConsumer === null) {
    // no QoS 2 subscription here (anymore): answer with PUBREL at once so the client can finish [MQTT-4.3.3]
    asm.jsa.ack(sess.untrackPublish(pi));
    c.enqueue(Buffer.from([(C.PUBREL << 4) | 2, 2, pi >> 8, pi & 0xff]));
    return;
  }
  sess.trackAsPubRel(pi, '');
  const ack = sess.untrackPublish(pi);
  const hdr = Buffer.from(`NATS/1.0\r\nNmqtt-PubRel:${pi}\r\n\r\n`);
  let finished = false;
  let resume: (() => void) | null = null;
  asm.jsa.storeMsg(sess.pubRelSubject, hdr, Buffer.alloc(0), (err) => {
    finished = true;
    if (err !== null) c.fail(`unable to store PUBREL: ${err.message}`);
    else asm.jsa.ack(ack);
    resume?.();
  });
  if (!finished) resume = c.suspend();
}

export function onPubComp(c: MqttClient, p: AckPacket): void {
  if (c.log.traceEnabled) c.trace(`<<- [PUBCOMP pi=${p.packetId}]`);
  const sess = c.session;
  if (sess === null || sess.client !== c) return;
  c.asm?.jsa.ack(sess.untrackPubRel(p.packetId));
}
