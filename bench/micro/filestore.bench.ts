// Stream store micro-benchmark: storeMsg throughput of the memory store and
// the file store (async writes, default sync interval), reading the messages
// back, reopening the file store, and the file store with sync 'always'.
//
//   node dist/bench/micro/filestore.bench.js
//
// Env: BENCH_MSGS (messages per case, default 1,000,000), BENCH_MS (time cap
// per case, default 2000), BENCH_DIR (where the file store writes, default the
// OS temp dir).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemStore } from '../../src/jetstream/store/memstore.js';
import { FileStore } from '../../src/jetstream/store/filestore/filestore.js';
import type { StoreConfig, StreamStore } from '../../src/jetstream/store/store.js';

const MAX_MSGS = Number(process.env.BENCH_MSGS ?? 1_000_000);
const TIME_MS = Number(process.env.BENCH_MS ?? 2000);
const BASE_DIR = process.env.BENCH_DIR ?? tmpdir();

const cfg = (storage: 'file' | 'memory'): StoreConfig => ({
  name: 'BENCH',
  storage,
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  max_msgs_per_subject: -1,
  discard: 'old',
});

interface Row {
  name: string;
  msgs: number;
  ms: number;
  bytes: number;
}

/** Store up to MAX_MSGS messages or for TIME_MS, checking the clock every 1024 messages; then yield once so buffered writes reach the OS. */
async function storeRun(store: StreamStore, size: number): Promise<Row> {
  const payload = Buffer.alloc(size, 0x61);
  const subjects = Array.from({ length: 16 }, (_, i) => `bench.orders.${i}`);
  const t0 = process.hrtime.bigint();
  let n = 0;
  let ms = 0;
  while (n < MAX_MSGS) {
    for (let k = 0; k < 1024 && n < MAX_MSGS; k++, n++) store.storeMsg(subjects[n & 15], null, payload);
    ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= TIME_MS) break;
  }
  store.flush();
  ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { name: '', msgs: n, ms, bytes: n * size };
}

function loadRun(store: StreamStore, count: number, size: number): Row {
  const t0 = process.hrtime.bigint();
  let sink = 0;
  const first = store.state().first_seq;
  for (let q = first; q < first + count; q++) sink += store.loadMsg(q)!.msg.length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (sink !== count * size) throw new Error('loaded bytes mismatch');
  return { name: '', msgs: count, ms, bytes: count * size };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function print(r: Row): void {
  const rate = (r.msgs * 1000) / r.ms;
  const mbs = (r.bytes / (1024 * 1024) / r.ms) * 1000;
  process.stdout.write(`  ${r.name.padEnd(40)} ${fmt(r.msgs).padStart(10)} msgs ${fmt(rate).padStart(12)} msgs/s ${mbs.toFixed(1).padStart(8)} MB/s\n`);
}

async function main(): Promise<void> {
  process.stdout.write(
    `stream store micro-benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, up to ${fmt(MAX_MSGS)} msgs or ${TIME_MS} ms per case\n`,
  );
  for (const size of [16, 128]) {
    for (const kind of ['memory', 'file'] as const) {
      const dir = mkdtempSync(join(BASE_DIR, 'nsts-bench-'));
      try {
        const store: StreamStore = kind === 'memory' ? new MemStore(cfg('memory')) : new FileStore(dir, cfg('file'));
        const w = await storeRun(store, size);
        w.name = `${kind} store ${size} B: storeMsg`;
        print(w);
        const r = loadRun(store, Math.min(w.msgs, 200_000), size);
        r.name = `${kind} store ${size} B: loadMsg (first ${fmt(r.msgs)})`;
        print(r);
        store.stop();
        if (kind === 'file') {
          const t0 = process.hrtime.bigint();
          const re = new FileStore(dir, cfg('file'));
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          const st = re.state();
          if (st.msgs !== w.msgs) throw new Error(`recovered ${st.msgs} of ${w.msgs}`);
          print({ name: `file store ${size} B: reopen (recover)`, msgs: st.msgs, ms, bytes: w.bytes });
          re.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  // Every message written and fsynced before storeMsg returns (bounded by the time cap).
  const dir = mkdtempSync(join(BASE_DIR, 'nsts-bench-'));
  try {
    const store = new FileStore(dir, cfg('file'), { syncIntervalMs: 'always' });
    const w = await storeRun(store, 128);
    w.name = "file store 128 B, sync 'always': storeMsg";
    print(w);
    store.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
