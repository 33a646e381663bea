/**
 * Retained messages (Go mqtt.go mqttEncodeRetainedMessage /
 * mqttDecodeRetainedMessage and the account's retained-message map). Each
 * retained message is one message of the `$MQTT_rmsgs` stream on
 * `$MQTT.rmsgs.<subject>` (one per subject), its metadata in headers:
 * `Nmqtt-RTopic`, `Nmqtt-RFlags` (the PUBLISH flags in hex, `-` first for a
 * delete), `Nmqtt-ROrigin` (the server that stored it), `Nmqtt-RSource` (the
 * user that published it). An empty payload removes the retained message
 * [MQTT-3.3.1-10] [MQTT-3.3.1-11]. Every server keeps the retained messages of
 * the account in memory, fed by a consumer on the stream, and looks them up
 * by filter in a token tree.
 */
import { natsSubjectToMqttTopic, toBytes } from './topics.js';

export const RETAINED_STREAM = '$MQTT_rmsgs';
export const RETAINED_SUBJECT_PREFIX = '$MQTT.rmsgs.';
const H_TOPIC = 'Nmqtt-RTopic';
const H_ORIGIN = 'Nmqtt-ROrigin';
const H_FLAGS = 'Nmqtt-RFlags';
const H_SOURCE = 'Nmqtt-RSource';
/** 5.0 properties of a retained message (our addition: the encoded property block in base64) */
const H_PROPS = 'Nmqtt-RProps';
/** 5.0 message expiry of a retained message (our addition: ms since epoch) */
const H_EXPIRES = 'Nmqtt-RExpires';
const DEL_MARKER = '-';

/** Subjects and topics are byte strings (topics.ts toBytes). */
export interface RetainedMsg {
  /** NATS subject (the key) */
  subject: string;
  topic: string;
  /** PUBLISH flags: QoS and RETAIN (Go keeps the flags byte) */
  flags: number;
  payload: Buffer;
  origin: string;
  source: string;
  /** stream sequence */
  seq: number;
  /** 5.0: the PUBLISH properties to send with it (encoded property block), or null */
  props: Buffer | null;
  /** 5.0 message expiry: ms since epoch when it stops being retained (0 = never) [MQTT-3.3.2-5] */
  expiresAt: number;
}

/** The NATS message that stores (or, with an empty payload, removes) a retained message. */
export function encodeRetained(rm: Omit<RetainedMsg, 'seq' | 'subject'>): { hdr: Buffer; payload: Buffer } {
  let h = `NATS/1.0\r\n${H_TOPIC}:${rm.topic}\r\n${H_FLAGS}:${rm.payload.length === 0 ? DEL_MARKER : ''}${rm.flags.toString(16)}\r\n`;
  if (rm.origin) h += `${H_ORIGIN}:${rm.origin}\r\n`;
  if (rm.source) h += `${H_SOURCE}:${toBytes(rm.source)}\r\n`;
  if (rm.props !== null && rm.props.length > 1) h += `${H_PROPS}:${rm.props.toString('base64')}\r\n`;
  if (rm.expiresAt > 0) h += `${H_EXPIRES}:${rm.expiresAt}\r\n`;
  h += '\r\n';
  return { hdr: Buffer.from(h, 'latin1'), payload: rm.payload };
}

/** Header values of interest, from a NATS header block (Go mqttSliceHeaders). */
function headers(hdr: Buffer | null): Map<string, string> {
  const m = new Map<string, string>();
  if (hdr === null || hdr.length === 0) return m;
  const text = hdr.latin1Slice(0, hdr.length);
  if (!text.startsWith('NATS/1.0')) return m;
  const lines = text.split('\r\n');
  for (let k = 1; k < lines.length; k++) {
    const l = lines[k];
    const c = l.indexOf(':');
    if (c <= 0) continue;
    m.set(l.slice(0, c).trim(), l.slice(c + 1).trim());
  }
  return m;
}

/**
 * Decode a stored retained message (subject `$MQTT.rmsgs.<subject>`). Go's
 * older JSON payload form is read too. Returns null for an invalid record
 * (Go: errMQTTInvalidRetainFlags / errMQTTInvalidRetainedMessage).
 */
export function decodeRetained(storedSubject: string, hdr: Buffer | null, payload: Buffer, seq: number): RetainedMsg | null {
  const h = headers(hdr);
  let flagsText = h.get(H_FLAGS);
  let rm: RetainedMsg;
  const subject = storedSubject.startsWith(RETAINED_SUBJECT_PREFIX) ? storedSubject.slice(RETAINED_SUBJECT_PREFIX.length) : storedSubject;
  if (flagsText !== undefined && flagsText !== '') {
    if (flagsText.length > 1 && flagsText[0] === DEL_MARKER) flagsText = flagsText.slice(1);
    if (!/^[0-9a-fA-F]{1,2}$/.test(flagsText)) return null;
    const props = h.get(H_PROPS);
    rm = {
      subject, topic: '', flags: parseInt(flagsText, 16), payload, origin: h.get(H_ORIGIN) ?? '', source: h.get(H_SOURCE) ?? '', seq,
      props: props ? Buffer.from(props, 'base64') : null, expiresAt: Number(h.get(H_EXPIRES) ?? 0) || 0,
    };
  } else {
    // Go's first format: the whole record as JSON (Msg in base64)
    try {
      const j = JSON.parse(payload.toString('utf8')) as { origin?: string; subject?: string; msg?: string; flags?: number; source?: string } | null;
      if (j === null || typeof j !== 'object') return null;
      rm = { subject, topic: '', flags: j.flags ?? 0, payload: j.msg ? Buffer.from(j.msg, 'base64') : Buffer.alloc(0), origin: j.origin ?? '', source: j.source ?? '', seq, props: null, expiresAt: 0 };
    } catch {
      return null;
    }
  }
  // Go: flags at or above 0b1111 are invalid, as is QoS 3
  if (rm.flags >= 0x0f || ((rm.flags & 0x06) >> 1) > 2) return null;
  if (subject.includes('\x7f')) return null;
  rm.topic = natsSubjectToMqttTopic(subject);
  return rm;
}

interface Node {
  children: Map<string, Node> | null;
  msg: RetainedMsg | null;
}

function node(): Node {
  return { children: null, msg: null };
}

/** The retained messages of one account, by NATS subject, matched against subscription filters. */
export class RetainedStore {
  private readonly root: Node = node();
  private readonly bySubject = new Map<string, RetainedMsg>();

  get size(): number {
    return this.bySubject.size;
  }

  get(subject: string): RetainedMsg | undefined {
    return this.bySubject.get(subject);
  }

  set(rm: RetainedMsg): void {
    this.bySubject.set(rm.subject, rm);
    let n = this.root;
    for (const t of rm.subject.split('.')) {
      n.children ??= new Map();
      let c = n.children.get(t);
      if (c === undefined) {
        c = node();
        n.children.set(t, c);
      }
      n = c;
    }
    n.msg = rm;
  }

  /** Remove the retained message of `subject` (only if its sequence is `seq`, when given); returns it. */
  remove(subject: string, seq = 0): RetainedMsg | null {
    const rm = this.bySubject.get(subject);
    if (rm === undefined || (seq > 0 && rm.seq !== seq)) return null;
    this.bySubject.delete(subject);
    const path: Node[] = [this.root];
    const toks = subject.split('.');
    let n = this.root;
    for (const t of toks) {
      const c = n.children?.get(t);
      if (c === undefined) return rm;
      path.push(c);
      n = c;
    }
    n.msg = null;
    // prune empty branches
    for (let k = toks.length; k > 0; k--) {
      const cur = path[k];
      if (cur.msg !== null || (cur.children !== null && cur.children.size > 0)) break;
      path[k - 1].children!.delete(toks[k - 1]);
    }
    return rm;
  }

  /** Retained messages whose subject the filter (NATS wildcards) matches. */
  match(filter: string, out: RetainedMsg[] = []): RetainedMsg[] {
    if (this.bySubject.size === 0) return out;
    const toks = filter.split('.');
    walk(this.root, toks, 0, out);
    return out;
  }

  all(): IterableIterator<RetainedMsg> {
    return this.bySubject.values();
  }
}

function walk(n: Node, toks: string[], i: number, out: RetainedMsg[]): void {
  if (i === toks.length) {
    if (n.msg !== null) out.push(n.msg);
    return;
  }
  const ch = n.children;
  if (ch === null) return;
  const t = toks[i];
  if (t === '>') {
    for (const c of ch.values()) collect(c, out);
    return;
  }
  if (t === '*') {
    for (const c of ch.values()) walk(c, toks, i + 1, out);
    return;
  }
  const c = ch.get(t);
  if (c !== undefined) walk(c, toks, i + 1, out);
}

function collect(n: Node, out: RetainedMsg[]): void {
  if (n.msg !== null) out.push(n.msg);
  if (n.children !== null) for (const c of n.children.values()) collect(c, out);
}
