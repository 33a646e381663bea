/**
 * MQTT topic names and filters <-> NATS subjects, exactly as the Go server
 * converts them (mqtt.go mqttToNATSSubjectConversion and
 * natsSubjectToMQTTTopic): `/` separates levels and becomes `.`; an empty
 * level is kept by a `/` next to the dot (a leading `/` becomes `/.`, a `/`
 * that ends the topic or precedes another `/` becomes `./`); a `.` inside a
 * level becomes `//`; `+` and `#` become `*` and `>` in filters and are
 * refused in topic names [MQTT-3.3.2-2] [MQTT-4.7.1-1]; whitespace and DEL
 * are refused (they would break the NATS wire protocol, and DEL is the
 * subject tree's pivot marker).
 */

/** A conversion failure, with Go's error text. */
export class TopicError {
  constructor(readonly message: string) {}
}

const SLASH = 0x2f;
const DOT = 0x2e;
const PLUS = 0x2b;
const HASH = 0x23;

export const ERR_UNSUPPORTED_CHARS = 'character not supported for MQTT topics';

/**
 * Convert a topic name (`wildcards` false: PUBLISH, will) or filter
 * (`wildcards` true: SUBSCRIBE) to a NATS subject.
 */
export function mqttToNatsSubject(topic: string, wildcards: boolean): string | TopicError {
  const n = topic.length;
  // Fast path: levels without dots, empty levels or wildcards only swap the separator.
  let plain = n > 0 && topic.charCodeAt(0) !== SLASH && topic.charCodeAt(n - 1) !== SLASH;
  for (let i = 0; plain && i < n; i++) {
    const c = topic.charCodeAt(i);
    if (c === DOT || c === PLUS || c === HASH || c <= 0x20 || c === 0x7f || (c === SLASH && topic.charCodeAt(i + 1) === SLASH)) plain = false;
  }
  if (plain) return topic.replaceAll('/', '.');
  let out = '';
  for (let i = 0; i < n; i++) {
    const c = topic.charCodeAt(i);
    switch (c) {
      case SLASH:
        if (i === 0 || out.charCodeAt(out.length - 1) === DOT) out += '/.';
        else if (i === n - 1 || topic.charCodeAt(i + 1) === SLASH) out += './';
        else out += '.';
        break;
      case 0x20: case 0x09: case 0x0a: case 0x0d: case 0x0c: case 0x7f:
        return new TopicError(ERR_UNSUPPORTED_CHARS);
      case DOT:
        out += '//';
        break;
      case PLUS: case HASH:
        // [MQTT-3.3.2-2] [MQTT-4.7.1-1]: no wildcards in a topic name
        if (!wildcards) return new TopicError(`wildcards not allowed in publish's topic: ${JSON.stringify(topic)}`);
        out += c === PLUS ? '*' : '>';
        break;
      default:
        out += topic[i];
    }
  }
  if (out.charCodeAt(out.length - 1) === DOT) out += '/';
  return out;
}

/** Convert a NATS subject to the MQTT topic subscribers see (the reverse of mqttToNatsSubject). */
export function natsSubjectToMqttTopic(subject: string): string {
  const n = subject.length;
  let special = false;
  for (let i = 0; i < n; i++) {
    if (subject.charCodeAt(i) === SLASH) {
      special = true;
      break;
    }
  }
  if (!special) return subject.replaceAll('.', '/');
  let out = '';
  for (let i = 0; i < n; i++) {
    const c = subject.charCodeAt(i);
    if (c === SLASH) {
      if (i < n - 1) {
        const nx = subject.charCodeAt(i + 1);
        if (nx === DOT) {
          out += '/';
          i++;
        } else if (nx === SLASH) {
          out += '.';
          i++;
        }
      }
    } else if (c === DOT) out += '/';
    else out += subject[i];
  }
  return out;
}

/** A filter starting with a wildcard does not match `$` topics [MQTT-4.7.2-1] (Go isMQTTReservedSubscription). */
export function isReservedFilter(subject: string): boolean {
  const c0 = subject.charCodeAt(0);
  if (subject.length === 1) return c0 === 0x3e || c0 === 0x2a;
  return c0 === 0x2a && subject.charCodeAt(1) === DOT;
}

/** `foo/#` also matches `foo` [MQTT-4.7.1-2]: a NATS `foo.>` needs a second subscription on `foo` (Go mqttNeedSubForLevelUp). */
export function needsLevelUpSub(subject: string): boolean {
  const n = subject.length;
  return n >= 3 && subject.charCodeAt(n - 2) === DOT && subject.charCodeAt(n - 1) === 0x3e;
}

/** Go's sid suffix of the level-up subscription. */
export const LEVEL_UP_SID_SUFFIX = ' fwc';

/**
 * The server's subjects are byte strings (one char per byte of the UTF-8
 * form, as the NATS parser makes them); MQTT strings come decoded. Convert a
 * decoded string to its byte string (ASCII is returned as is).
 */
export function toBytes(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) { const b = Buffer.from(s, 'utf8'); return b.latin1Slice(0, b.length); }
  }
  return s;
}

/** The decoded string of a byte string (the reverse of toBytes). */
export function fromBytes(b: string): string {
  for (let i = 0; i < b.length; i++) {
    if (b.charCodeAt(i) >= 0x80) return Buffer.from(b, 'latin1').toString('utf8');
  }
  return b;
}
