// Consumer delivery read path micro-benchmark: what a pull consumer does per
// message before the bytes reach a client's output buffer, on a file store of
// 128-byte messages (the `js pull` bench scenario), previous version beside
// the current one:
//
//   previous: loadNextMsg (a copy of the body per message), the ack reply built
//             as a string (numbers, nsDigits) and written into a control line
//   current:  peekNextMsg (the body read in place), the ack reply written as
//             bytes (writeUint, writeNsDigits) and copied into the line
//
// Both then copy subject, reply and payload into one output slab, as
// Client.deliver does.
//
//   node dist/bench/micro/delivery.bench.js
//
// Env: BENCH_MSGS (messages in the store, default 200,000), BENCH_TRIALS
// (alternating trials per version, default 5; the best is reported).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../../src/jetstream/store/filestore/filestore.js';
import { newMsgView, type StoreConfig } from '../../src/jetstream/store/store.js';
import { writeLatin1, writeUint } from '../../src/util/bytes.js';
import { nowNs, nsDigits, writeNsDigits } from '../../src/util/time.js';

const MSGS = Number(process.env.BENCH_MSGS ?? 200_000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
const PREFIX = '$JS.ACK.BENCH.C.';

const cfg: StoreConfig = { name: 'BENCH', storage: 'file', max_msgs: -1, max_bytes: -1, max_age: 0, max_msgs_per_subject: -1, discard: 'old' };
const slab = Buffer.allocUnsafe(1 << 20);
const line = Buffer.allocUnsafe(256);

function toSlab(pos: number, subj: string, lineBuf: Buffer, replyEnd: number, body: Buffer, s: number, e: number): number {
  if (pos > slab.length - 1024) pos = 0;
  let p = writeLatin1(slab, subj, pos);
  p += lineBuf.copy(slab, p, 0, replyEnd);
  p += body.copy(slab, p, s, e);
  return p;
}

function previous(store: FileStore): number {
  let pos = 0;
  let pending = MSGS;
  const ts = nowNs();
  for (let seq = 1, dseq = 1; ; dseq++) {
    const m = store.loadNextMsg('', seq);
    if (m === null) break;
    seq = m.seq + 1;
    const reply = PREFIX + 1 + '.' + m.seq + '.' + dseq + '.' + nsDigits(m.ts || ts) + '.' + --pending;
    const rl = writeLatin1(line, reply, 0);
    pos = toSlab(pos, m.subj, line, rl, m.msg, 0, m.msg.length);
  }
  return pos;
}

const prefixBytes = Buffer.from(PREFIX, 'latin1');
const reply = Buffer.allocUnsafe(PREFIX.length + 5 * 22);
prefixBytes.copy(reply, 0);

function current(store: FileStore): number {
  let pos = 0;
  let pending = MSGS;
  const v = newMsgView();
  const ts = nowNs();
  for (let seq = 1, dseq = 1; ; dseq++) {
    if (!store.peekNextMsg('', seq, v)) break;
    seq = v.seq + 1;
    let p = writeUint(reply, 1, PREFIX.length);
    reply[p++] = 0x2e;
    p = writeUint(reply, v.seq, p);
    reply[p++] = 0x2e;
    p = writeUint(reply, dseq, p);
    reply[p++] = 0x2e;
    p = writeNsDigits(reply, v.ts || ts, p);
    reply[p++] = 0x2e;
    p = writeUint(reply, --pending, p);
    const rl = reply.copy(line, 0, 0, p);
    pos = toSlab(pos, v.subj, line, rl, v.buf, v.start, v.end);
  }
  return pos;
}

const dir = mkdtempSync(join(tmpdir(), 'nsts-bench-'));
try {
  const store = new FileStore(dir, cfg);
  const payload = Buffer.alloc(128, 0x61);
  for (let i = 0; i < MSGS; i++) store.storeMsg('bench.js', null, payload);
  store.flush();
  process.stdout.write(`delivery read path — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${MSGS.toLocaleString('en-US')} msgs of 128 B, best of ${TRIALS}\n`);
  const best: Record<string, number> = { previous: Infinity, current: Infinity };
  for (let t = 0; t < TRIALS; t++) {
    for (const [name, fn] of [['previous', previous], ['current', current]] as const) {
      const t0 = process.hrtime.bigint();
      fn(store);
      best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  for (const name of ['previous', 'current']) {
    process.stdout.write(`  ${name.padEnd(10)} ${Math.round((MSGS * 1000) / best[name]).toLocaleString('en-US').padStart(12)} msgs/s  ${((best[name] * 1e6) / MSGS).toFixed(0).padStart(5)} ns/msg\n`);
  }
  store.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
