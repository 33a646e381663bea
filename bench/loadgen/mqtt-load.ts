/**
 * MQTT load generator for bench/mqtt.ts: raw sockets and the project's own
 * codec (the same generator for every broker, no client library in the
 * measurement). One publisher and one subscriber connection per run.
 */
import net from 'node:net';
import * as E from '../../src/mqtt/codec/encode.js';
import { Framer, FRAME_PACKET } from '../../src/mqtt/codec/framer.js';

const PUBLISH = 3;
const PUBACK = 4;
const CONNACK = 2;
const SUBACK = 9;

class Conn {
  readonly framer = new Framer();
  onPacket: (type: number, flags: number, buf: Buffer, s: number, e: number) => void = () => {};
  private constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      this.framer.push(d);
      while (this.framer.next() === FRAME_PACKET) {
        const h = this.framer.header;
        this.onPacket(h.type, h.flags, this.framer.buf, this.framer.start, this.framer.end);
      }
    });
    sock.on('error', () => {});
  }

  static async open(port: number, id: string, clean = true): Promise<Conn> {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const c = new Conn(sock);
    await c.expect(CONNACK, () => sock.write(E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean, keepAlive: 0, clientId: id, will: null, username: null, password: null, properties: {} })));
    return c;
  }

  expect(type: number, send: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no packet type ${type}`)), 10000);
      this.onPacket = (ty) => {
        if (ty !== type) return;
        clearTimeout(t);
        this.onPacket = () => {};
        resolve();
      };
      send();
    });
  }

  subscribe(topic: string, qos: number): Promise<void> {
    return this.expect(SUBACK, () => this.sock.write(E.encodeSubscribe({ packetId: 1, subscriptions: [{ topic, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }], properties: {} }, 4)));
  }

  close(): void {
    this.sock.end(Buffer.from([0xe0, 0]));
    this.sock.destroy();
  }
}

/** Packet id of a PUBLISH (QoS > 0) in buf[s, e). */
function publishPi(buf: Buffer, s: number): number {
  const tl = buf.readUInt16BE(s);
  return buf.readUInt16BE(s + 2 + tl);
}

export interface Throughput {
  msgs: number;
  ms: number;
  rate: number;
}

/** QoS 0: publish `n` messages of `size` bytes as fast as the socket takes them; time to the last one received. */
export async function qos0Throughput(port: number, n: number, size: number): Promise<Throughput> {
  const sub = await Conn.open(port, 'b-sub0');
  await sub.subscribe('bench/q0', 0);
  const pub = await Conn.open(port, 'b-pub0');
  const pkt = E.encodePublish({ qos: 0, dup: false, retain: false, topic: 'bench/q0', packetId: 0, payload: Buffer.alloc(size, 0x61), properties: {} }, 4);
  const batch = Buffer.concat(Array.from({ length: 64 }, () => pkt));
  let got = 0;
  const done = new Promise<void>((resolve) => {
    sub.onPacket = (t) => {
      if (t === PUBLISH && ++got === n) resolve();
    };
  });
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < n) {
        const k = Math.min(64, n - sent);
        const ok = pub.sock.write(k === 64 ? batch : batch.subarray(0, k * pkt.length));
        sent += k;
        if (!ok) {
          pub.sock.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
  const timeout = new Promise<void>((_, rej) => setTimeout(() => rej(new Error(`qos0: ${got}/${n} received`)), 60_000).unref());
  await Promise.race([done, timeout]);
  const ms = performance.now() - t0;
  pub.close();
  sub.close();
  return { msgs: n, ms, rate: (n / ms) * 1000 };
}

/** QoS 1 both ways: `window` publishes in flight (next one on each PUBACK), the subscriber PUBACKs each; time to the last one received. */
export async function qos1Throughput(port: number, n: number, size: number, window: number): Promise<Throughput> {
  const sub = await Conn.open(port, 'b-sub1');
  await sub.subscribe('bench/q1', 1);
  const pub = await Conn.open(port, 'b-pub1');
  const payload = Buffer.alloc(size, 0x62);
  let got = 0;
  const ack = Buffer.from([0x40, 2, 0, 0]);
  const done = new Promise<void>((resolve) => {
    sub.onPacket = (t, _f, buf, s) => {
      if (t !== PUBLISH) return;
      const pi = publishPi(buf, s);
      const a = Buffer.from(ack);
      a[2] = pi >> 8;
      a[3] = pi & 0xff;
      sub.sock.write(a);
      if (++got === n) resolve();
    };
  });
  let sent = 0;
  let pi = 0;
  const send = (): void => {
    pi = pi === 65535 ? 1 : pi + 1;
    sent++;
    pub.sock.write(E.encodePublish({ qos: 1, dup: false, retain: false, topic: 'bench/q1', packetId: pi, payload, properties: {} }, 4));
  };
  pub.onPacket = (t) => {
    if (t === PUBACK && sent < n) send();
  };
  const t0 = performance.now();
  for (let k = 0; k < window && sent < n; k++) send();
  const timeout = new Promise<void>((_, rej) => setTimeout(() => rej(new Error(`qos1: ${got}/${n} received`)), 120_000).unref());
  await Promise.race([done, timeout]);
  const ms = performance.now() - t0;
  pub.close();
  sub.close();
  return { msgs: n, ms, rate: (n / ms) * 1000 };
}

export interface Latency {
  samples: number;
  p50: number;
  p99: number;
}

/** QoS 1 round trip: one publish at a time, from its write to its arrival at the subscriber (which acks it). */
export async function qos1Latency(port: number, n: number, size: number): Promise<Latency> {
  const sub = await Conn.open(port, 'b-subl');
  await sub.subscribe('bench/lat', 1);
  const pub = await Conn.open(port, 'b-publ');
  const payload = Buffer.alloc(size, 0x63);
  const lat: number[] = [];
  let t0 = 0;
  let next: () => void = () => {};
  sub.onPacket = (t, _f, buf, s) => {
    if (t !== PUBLISH) return;
    lat.push(performance.now() - t0);
    const pi = publishPi(buf, s);
    sub.sock.write(Buffer.from([0x40, 2, pi >> 8, pi & 0xff]));
    next();
  };
  pub.onPacket = () => {};
  await new Promise<void>((resolve) => {
    let i = 0;
    next = () => {
      if (i >= n) return resolve();
      i++;
      t0 = performance.now();
      pub.sock.write(E.encodePublish({ qos: 1, dup: false, retain: false, topic: 'bench/lat', packetId: (i % 65535) + 1, payload, properties: {} }, 4));
    };
    next();
  });
  pub.close();
  sub.close();
  const s = lat.slice(Math.min(50, Math.floor(n / 10))).sort((a, b) => a - b);
  return { samples: s.length, p50: s[Math.floor(s.length / 2)], p99: s[Math.floor(s.length * 0.99)] };
}
