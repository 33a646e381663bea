/**
 * MQTT 5.0 PUBLISH properties <-> NATS headers (beyond Go, which has no 5.0).
 * A 5.0 publisher's User Properties become NATS headers of the same name
 * (names that are not valid header names are dropped), so NATS subscribers
 * see them; the other properties travel in `Nmqtt-` headers so 5.0
 * subscribers get them back [MQTT-3.3.2-15..20]: Content Type, Payload Format
 * Indicator, Correlation Data, the Message Expiry as an absolute time (the
 * subscriber gets what remains [MQTT-3.3.2-6]; an expired message is not
 * delivered [MQTT-3.3.2-5]) and the Response Topic as a NATS subject (also
 * the NATS reply of the routed message, so NATS requesters and responders
 * meet MQTT 5 ones). Going the other way, every header of a NATS message
 * (but the `Nmqtt-` ones) is a User Property, and a NATS reply subject is
 * the Response Topic.
 */
import type { Properties } from './codec/packets.js';
import { fromBytes, mqttToNatsSubject, natsSubjectToMqttTopic, toBytes, TopicError } from './topics.js';

export const H_CONTENT_TYPE = 'Nmqtt-Content-Type';
export const H_PAYLOAD_FORMAT = 'Nmqtt-Payload-Format';
export const H_EXPIRES = 'Nmqtt-Expires';
export const H_CORRELATION = 'Nmqtt-Correlation-Data';
export const H_RESPONSE = 'Nmqtt-Response-Subject';
/** the client id of a 5.0 publisher, for No Local on the QoS 1/2 path */
export const H_ORIGIN = 'Nmqtt-Origin';

/** An expired message (headersToProperties): not to be delivered. */
export const EXPIRED: Properties = Object.freeze({}) as Properties;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NO_CRLF = /^[^\r\n]*$/;

/**
 * Header lines (each ending in CRLF) for a 5.0 PUBLISH's properties, and the
 * NATS subject of its Response Topic ('' when none or not a valid topic);
 * both byte strings, as is `clientId`.
 */
export function propertiesToHeaders(p: Properties, clientId: string): { lines: string; reply: string } {
  let h = '';
  let reply = '';
  if (p.userProperties !== undefined) {
    for (const [k, v] of p.userProperties) if (TOKEN.test(k) && !k.startsWith('Nmqtt-') && NO_CRLF.test(v)) h += `${k}:${toBytes(v)}\r\n`;
  }
  if (p.contentType !== undefined && NO_CRLF.test(p.contentType)) h += `${H_CONTENT_TYPE}:${toBytes(p.contentType)}\r\n`;
  if (p.payloadFormatIndicator !== undefined) h += `${H_PAYLOAD_FORMAT}:${p.payloadFormatIndicator}\r\n`;
  if (p.messageExpiryInterval !== undefined) h += `${H_EXPIRES}:${Date.now() + p.messageExpiryInterval * 1000}\r\n`;
  if (p.correlationData !== undefined) h += `${H_CORRELATION}:${p.correlationData.toString('base64')}\r\n`;
  if (p.responseTopic !== undefined) {
    const s = mqttToNatsSubject(toBytes(p.responseTopic), false);
    if (!(s instanceof TopicError) && s !== '') {
      reply = s;
      h += `${H_RESPONSE}:${s}\r\n`;
    }
  }
  if (clientId !== '') h += `${H_ORIGIN}:${clientId}\r\n`;
  return { lines: h, reply };
}

/**
 * The 5.0 properties a subscriber gets for a message with header block
 * `hdr` and NATS reply `reply`; null when there are none, EXPIRED when the
 * message's expiry passed.
 */
export function headersToProperties(hdr: Buffer | null, reply: string): Properties | null {
  let p: Properties | null = null;
  if (reply !== '' && !reply.startsWith('$JS.ACK.')) p = { responseTopic: fromBytes(natsSubjectToMqttTopic(reply)) };
  if (hdr === null || hdr.length <= 12) return p;
  const text = hdr.latin1Slice(0, hdr.length);
  let k = text.indexOf('\r\n');
  if (k < 0) return p;
  k += 2;
  while (k < text.length) {
    const e = text.indexOf('\r\n', k);
    if (e <= k) break;
    const c = text.indexOf(':', k);
    if (c > k && c < e) {
      const name = text.slice(k, c).trim();
      const value = fromBytes(text.slice(c + 1, e).trim());
      p ??= {};
      if (name.startsWith('Nmqtt-')) {
        switch (name) {
          case H_CONTENT_TYPE: p.contentType = value; break;
          case H_PAYLOAD_FORMAT: p.payloadFormatIndicator = value === '1' ? 1 : 0; break;
          case H_CORRELATION: p.correlationData = Buffer.from(value, 'base64'); break;
          case H_RESPONSE: if (p.responseTopic === undefined) p.responseTopic = fromBytes(natsSubjectToMqttTopic(toBytes(value))); break;
          case H_EXPIRES: {
            const left = Number(value) - Date.now();
            if (left <= 0) return EXPIRED;
            p.messageExpiryInterval = Math.ceil(left / 1000);
            break;
          }
          default: break;
        }
      } else (p.userProperties ??= []).push([name, value]);
    }
    k = e + 2;
  }
  return p;
}
