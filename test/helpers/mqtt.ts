/**
 * MQTT test helpers: an embedded server with JetStream and an MQTT port in a
 * temp dir, MQTT.js clients that do not reconnect, a raw TCP MQTT client
 * for byte-level checks, the Go server (2.9.10) and mosquitto as references,
 * and the mosquitto_pub/sub command line clients. Tests skip when a binary
 * is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient as MqttJsClient, type IPublishPacket } from 'mqtt';
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';
import { defaultMqttOptions, type MqttOptions } from '../../src/config/options.js';
import { Framer, FRAME_PACKET } from '../../src/mqtt/codec/framer.js';
import { decodePacket } from '../../src/mqtt/codec/decode.js';
import type { Packet } from '../../src/mqtt/codec/packets.js';
import { startGoServer, type GoServer } from './go-server.js';
import { waitFor } from './wait.js';

export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
export const MOSQUITTO_PUB = ['/usr/bin/mosquitto_pub', '/usr/local/bin/mosquitto_pub'].find((p) => existsSync(p));
export const MOSQUITTO_SUB = ['/usr/bin/mosquitto_sub', '/usr/local/bin/mosquitto_sub'].find((p) => existsSync(p));

export interface MqttServer {
  srv: RunningServer;
  /** mqtt://127.0.0.1:<port> */
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Our server with JetStream (file store in a temp dir, or `dir`) and an MQTT listener on a random port. */
export async function startMqtt(opts: StartOptions & { mqttOpts?: Partial<MqttOptions>; dir?: string } = {}): Promise<MqttServer> {
  const { mqttOpts, dir: given, ...rest } = opts;
  const dir = given ?? mkdtempSync(join(tmpdir(), 'nsts-mqtt-'));
  const srv = await startServer({
    server_name: 'mqtt-test',
    jetstream: true,
    store_dir: dir,
    ...rest,
    mqtt: { ...defaultMqttOptions(), host: '127.0.0.1', port: -1, ...mqttOpts },
  });
  const port = srv.server.mqtt!.port;
  return {
    srv,
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      await srv.stop();
      if (given === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An MQTT.js client connected (no reconnects), 3.1.1 unless `protocolVersion` says otherwise. */
export async function mqttConnect(url: string, o: IClientOptions = {}): Promise<MqttJsClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clean: true, ...o });
}

/** Collect messages arriving on a client. */
export function collect(c: MqttJsClient): { topic: string; payload: string; packet: IPublishPacket }[] {
  const got: { topic: string; payload: string; packet: IPublishPacket }[] = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), packet }));
  return got;
}

export async function endAll(...cs: (MqttJsClient | undefined)[]): Promise<void> {
  await Promise.all(cs.map((c) => (c ? c.endAsync(true).catch(() => {}) : undefined)));
}

/** A raw MQTT connection: send bytes, read decoded packets (byte-level and differential checks). */
export class RawMqtt {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly framer = new Framer();
  private constructor(readonly sock: net.Socket, public version: number) {
    sock.on('data', (d) => {
      this.framer.push(d);
      while (this.framer.next() === FRAME_PACKET) {
        const h = this.framer.header;
        this.packets.push(decodePacket(h.type, h.flags, this.framer.buf, this.framer.start, this.framer.end, this.version));
      }
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }

  static open(port: number, version = 4): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawMqtt(s, version)));
      s.once('error', reject);
    });
  }

  send(b: Buffer | number[]): void {
    this.sock.write(Buffer.isBuffer(b) ? b : Buffer.from(b));
  }

  /** Wait for the next packet of `type` (removed from the list). */
  async next(type: number, timeoutMs = 5000): Promise<Packet> {
    let found: Packet | undefined;
    await waitFor(() => {
      const k = this.packets.findIndex((p) => p.type === type);
      if (k >= 0) found = this.packets.splice(k, 1)[0];
      return found !== undefined;
    }, timeoutMs, 5);
    return found!;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.closed, timeoutMs, 5);
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Go 2.9.10 with JetStream and MQTT on random ports (the MQTT port read from its log). */
export async function startGoMqtt(extra = '', mqttExtra = '', cmd?: string[], storeDir?: string): Promise<GoServer & { mqttPort: number; mqttUrl: string; store: string }> {
  const store = storeDir ?? mkdtempSync(join(tmpdir(), 'gomqtt-js-'));
  const g = await startGoServer([], `server_name: gomqtt\njetstream { store_dir: "${store}" }\nmqtt { listen: "127.0.0.1:-1"\n${mqttExtra} }\n${extra}`, cmd);
  let port = 0;
  await waitFor(() => {
    const m = /Listening for MQTT clients on \w+:\/\/[^:]+:(\d+)/.exec(g.logs());
    if (m) port = Number(m[1]);
    return port > 0;
  }, 10000);
  return {
    ...g,
    mqttPort: port,
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    store,
    async stop() {
      await g.stop();
      if (storeDir === undefined) rmSync(store, { recursive: true, force: true });
    },
  };
}

/** Debian's mosquitto broker on a random port (the reference for QoS 2 and MQTT 5). */
export async function startMosquitto(): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  if (!MOSQUITTO) throw new Error('mosquitto not installed');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mosq-'));
  const conf = join(dir, 'm.conf');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitFor(() => new Promise<boolean>((r) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
    s.on('error', () => r(false));
  }), 5000, 20);
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

/** Run mosquitto_pub to completion (asynchronously: the server under test may be in this process). */
export function mosquittoPub(port: number, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(MOSQUITTO_PUB!, ['-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d.toString()));
    p.stderr.on('data', (d) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.on('exit', (status) => {
      clearTimeout(t);
      resolve({ status, out });
    });
  });
}

/** Start mosquitto_sub; resolves with its output once it exits (after -C messages or -W seconds). */
export function mosquittoSub(port: number, args: string[]): { done: Promise<string>; ready: Promise<void> } {
  const p = spawn(MOSQUITTO_SUB!, ['-h', '127.0.0.1', '-p', String(port), '-d', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  p.stdout.on('data', (d) => {
    out += d.toString();
    if (/received SUBACK/.test(out)) onReady();
  });
  p.stderr.on('data', (d) => (out += d.toString()));
  const done = new Promise<string>((r) => p.on('exit', () => r(out)));
  return { done, ready };
}
