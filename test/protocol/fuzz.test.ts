/**
 * Fuzz-style robustness: random bytes and mutated valid frames are thrown at
 * the server over many connections, while a well-behaved client keeps doing
 * request/reply. The server must never crash, and must keep serving.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { startServer } from '../../src/index.js';
import { rng } from '../helpers/rng.js';

const VALID = [
  'CONNECT {"verbose":true,"pedantic":true,"headers":true,"protocol":1}\r\n',
  'SUB foo.* q 1\r\n',
  'SUB > 2\r\n',
  'PUB foo.bar reply 5\r\nhello\r\n',
  'HPUB foo.bar 12 14\r\nNATS/1.0\r\n\r\nhi\r\n',
  'UNSUB 1 3\r\n',
  'PING\r\n',
  'PONG\r\n',
  'PUB foo 0\r\n\r\n',
];

function mutate(r: () => number, s: Buffer): Buffer {
  const b = Buffer.from(s);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const op = r();
    const at = Math.floor(r() * b.length);
    if (op < 0.4) b[at] = Math.floor(r() * 256);
    else if (op < 0.6) b[at] = [0x20, 0x0d, 0x0a, 0x09, 0x2e, 0x2a, 0x3e, 0x30 + Math.floor(r() * 10)][Math.floor(r() * 8)];
    else if (op < 0.8) return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(r() * 256)]), b.subarray(at)]);
  }
  return b;
}

function fuzzInput(r: () => number): Buffer {
  const parts: Buffer[] = [];
  const n = 1 + Math.floor(r() * 8);
  for (let k = 0; k < n; k++) {
    const kind = r();
    if (kind < 0.15) {
      const len = Math.floor(r() * 200);
      const raw = Buffer.alloc(len);
      for (let i = 0; i < len; i++) raw[i] = Math.floor(r() * 256);
      parts.push(raw);
    } else if (kind < 0.6) {
      parts.push(mutate(r, Buffer.from(VALID[Math.floor(r() * VALID.length)], 'latin1')));
    } else {
      parts.push(Buffer.from(VALID[Math.floor(r() * VALID.length)], 'latin1'));
    }
  }
  if (r() < 0.1) parts.push(Buffer.from(`PUB big ${Math.floor(r() * 1e9)}\r\n`));
  if (r() < 0.05) parts.push(Buffer.from('SUB ' + 'x'.repeat(5000) + ' 1\r\n'));
  return Buffer.concat(parts);
}

function throwAt(port: number, data: Buffer, r: () => number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(done, 300);
    s.on('error', done);
    s.on('close', done);
    s.on('connect', () => {
      // Send in random slices to exercise split handling.
      let at = 0;
      while (at < data.length) {
        const n = 1 + Math.floor(r() * 64);
        s.write(data.subarray(at, at + n));
        at += n;
      }
      if (r() < 0.5) s.end();
    });
  });
}

describe('fuzzed input', () => {
  it('never crashes the server and other clients keep working', async () => {
    const srv = await startServer({ max_payload: 64 * 1024, max_control_line: 1024 });
    const nc = await connect({ servers: srv.url });
    try {
      nc.subscribe('health', { callback: (_e, m) => { m.respond(m.data); } });
      await nc.flush();
      const seed = Number(process.env.FUZZ_SEED ?? 20261122);
      const r = rng(seed);
      const rounds = Number(process.env.FUZZ_ROUNDS ?? 400);
      for (let k = 0; k < rounds; k += 8) {
        const batch = [];
        for (let j = 0; j < 8; j++) batch.push(throwAt(srv.port, fuzzInput(r), r));
        await Promise.all(batch);
        if (k % 40 === 0) {
          const reply = await nc.request('health', `ok-${k}`, { timeout: 2000 });
          assert.equal(reply.string(), `ok-${k}`, `seed ${seed} round ${k}`);
        }
      }
      const reply = await nc.request('health', 'final', { timeout: 2000 });
      assert.equal(reply.string(), 'final');
      assert.ok(srv.server.isRunning());
    } finally {
      await nc.close();
      await srv.stop();
    }
  });
});
