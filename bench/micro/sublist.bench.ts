// Sublist micro-benchmark (modelled on Go's sublist_test.go benchmarks).
//
//   node dist/bench/micro/sublist.bench.js [path-to-other-sublist.js]
//
// With an argument, the same cases also run against another build of the
// Sublist class (for example the previous version compiled elsewhere) so the
// two can be compared on one machine. Each implementation runs in its own
// process so neither sees the other's call sites.
// Env: BENCH_MS (time per trial, default 250), BENCH_TRIALS (default 3).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { cpus } from 'node:os';

interface BenchSub {
  readonly subject: string;
  readonly queue: string | null;
}

interface AnySublist {
  insert(s: BenchSub): boolean;
  remove(s: BenchSub): boolean;
  removeBatch(s: Iterable<BenchSub>): void;
  match(subject: string): { psubs: BenchSub[]; qsubs: BenchSub[][] };
  hasInterest(subject: string): boolean;
}
type Ctor = new (cache?: boolean) => AnySublist;

const TIME_MS = Number(process.env.BENCH_MS ?? 250);

/** Trials per case; the best is reported (the machines are shared and noisy). */
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);

/** Runs `fn(n)` (n operations) with growing n until one call takes TIME_MS; best ops/s of TRIALS. */
function measure(fn: (n: number) => void): number {
  fn(1000); // warm-up
  let n = 1000;
  let best = 0;
  for (let trial = 0; trial < TRIALS; ) {
    const t0 = process.hrtime.bigint();
    fn(n);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= TIME_MS) {
      best = Math.max(best, (n * 1000) / ms);
      trial++;
    } else {
      n = Math.max(n * 2, Math.ceil((n * TIME_MS * 1.2) / Math.max(ms, 1)));
    }
  }
  return best;
}

/** Untimed `setup` + timed `body` (doing `ops` operations), repeated for TIME_MS of body time; best of TRIALS. */
function measureRounds<T>(setup: () => T, body: (x: T) => void, ops: number): number {
  body(setup()); // warm-up
  let best = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    let total = 0;
    let done = 0;
    while (total < TIME_MS) {
      const x = setup();
      const t0 = process.hrtime.bigint();
      body(x);
      total += Number(process.hrtime.bigint() - t0) / 1e6;
      done += ops;
    }
    best = Math.max(best, (done * 1000) / total);
  }
  return best;
}

const T1 = ['synadia', 'nats', 'jetstream', 'nkeys', 'jwt', 'deny', 'auth', 'drain', 'events', 'orders'];
const T2 = ['foo', 'bar', 'baz', 'qux', 'quux', 'corge', 'grault', 'garply', 'waldo', 'fred'];
const T3 = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** ~10k subscriptions: literals of 1..4 tokens plus wildcard subs sprinkled in. */
function population(): BenchSub[] {
  const out: BenchSub[] = [];
  for (const a of T1) {
    out.push({ subject: a, queue: null });
    for (const b of T2) {
      out.push({ subject: `${a}.${b}`, queue: null });
      for (const c of T3) {
        out.push({ subject: `${a}.${b}.${c}`, queue: null });
        for (let d = 0; d < 8; d++) out.push({ subject: `${a}.${b}.${c}.d${d}`, queue: d < 2 ? 'workers' : null });
      }
      out.push({ subject: `${a}.${b}.*`, queue: null });
      out.push({ subject: `${a}.*.>`, queue: null });
    }
    out.push({ subject: `*.foo.${T3[0]}`, queue: null });
    out.push({ subject: `${a}.>`, queue: 'q' });
  }
  out.push({ subject: '>', queue: null });
  return out;
}

function literalSubjects(tokens: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = [T1[i % 10], T2[(i >> 1) % 10], T3[(i >> 2) % 10], `d${i % 8}`, 'x'].slice(0, tokens);
    out.push(t.join('.'));
  }
  return out;
}

function run(Sl: Ctor, label: string): void {
  const subs = population();
  const rows: [string, number][] = [];
  const add = (name: string, opsPerSec: number) => rows.push([name, opsPerSec]);

  add(
    `insert ${subs.length} subs (per sub)`,
    measureRounds(
      () => new Sl(true),
      (sl) => {
        for (const s of subs) sl.insert(s);
      },
      subs.length,
    ),
  );

  for (const cache of [true, false]) {
    const sl = new Sl(cache);
    for (const s of subs) sl.insert(s);
    const tag = cache ? 'cache on ' : 'cache off';
    for (let tokens = 1; tokens <= 5; tokens++) {
      const subjects = literalSubjects(tokens, 64);
      let sink = 0;
      add(
        `match ${tokens} token(s), ${tag}`,
        measure((n) => {
          for (let i = 0; i < n; i++) sink += sl.match(subjects[i & 63]).psubs.length;
        }),
      );
      if (sink < 0) throw new Error('unreachable');
    }
    // as the connection sees it: the subject string is decoded from the read buffer per message
    const bufs = literalSubjects(3, 64).map((x) => Buffer.from(x, 'latin1'));
    add(
      `match 3 tokens decoded per call, ${tag}`,
      measure((n) => {
        for (let i = 0; i < n; i++) {
          const b = bufs[i & 63];
          sl.match(b.latin1Slice(0, b.length));
        }
      }),
    );
    // wildcard-heavy: published subjects that hit '*', '>' and queue subs in 10k subs
    const wild = ['nats.foo.one', 'jwt.bar.one.d0', 'orders.waldo.ten.d1', 'deny.fred.zzz', 'auth.new.thing.here'];
    add(
      `match across wildcards, ${tag}`,
      measure((n) => {
        for (let i = 0; i < n; i++) sl.match(wild[i % 5]);
      }),
    );
    // JetStream acks: a unique 9-token subject per message under one `$JS.ACK.<stream>.<consumer>.>` sub
    const ackSl = new Sl(cache);
    for (const s of subs) ackSl.insert(s);
    ackSl.insert({ subject: '$JS.ACK.ORDERS.C.>', queue: null });
    const ackBase = '$JS.ACK.ORDERS.C.1.';
    let ackSeq = 1;
    add(
      `match unique ack subjects under '>', ${tag}`,
      measure((n) => {
        for (let i = 0; i < n; i++) {
          const q = ackSeq++;
          ackSl.match(ackBase + q + '.' + q + '.1764800000123456789.' + (1000000 - (q % 1000000)));
        }
      }),
    );
    add(
      `hasInterest, ${tag}`,
      measure((n) => {
        for (let i = 0; i < n; i++) sl.hasInterest(wild[i % 5]);
      }),
    );
  }

  const filled = (cache: boolean, warm: string[]) => () => {
    const sl = new Sl(cache);
    for (const s of subs) sl.insert(s);
    for (const s of warm) sl.match(s);
    return sl;
  };
  const warm = literalSubjects(4, 512).concat(literalSubjects(3, 256));
  for (const cache of [true, false]) {
    add(
      `remove (per sub), cache ${cache ? 'on, 768 cached' : 'off'}`,
      measureRounds(
        filled(cache, cache ? warm : []),
        (sl) => {
          for (const s of subs) sl.remove(s);
        },
        subs.length,
      ),
    );
  }
  add(
    'removeBatch (per sub), cache on',
    measureRounds(filled(true, warm), (sl) => sl.removeBatch(subs), subs.length),
  );

  process.stdout.write(`\n${label}\n`);
  for (const [name, ops] of rows) process.stdout.write(`  ${name.padEnd(46)} ${fmt(ops).padStart(14)} ops/s\n`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const target = process.env.SUBLIST_BENCH_TARGET;
  if (target !== undefined) {
    // child run: one implementation per process, so call sites stay monomorphic
    const mod = (await import(pathToFileURL(resolve(target)).href)) as { Sublist: Ctor };
    run(mod.Sublist, process.env.SUBLIST_BENCH_LABEL ?? target);
    return;
  }
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  process.stdout.write(`sublist micro-benchmark — node ${process.version}, ${cpu}, best of ${TRIALS} x ${TIME_MS}ms per case\n`);
  const self = fileURLToPath(import.meta.url);
  const targets: [string, string][] = [[fileURLToPath(new URL('../../src/sublist/sublist.js', import.meta.url)), 'current (src/sublist/sublist.ts)']];
  if (process.argv[2] !== undefined) targets.push([resolve(process.argv[2]), `other (${process.argv[2]})`]);
  for (const [file, label] of targets) {
    const r = spawnSync(process.execPath, [self], {
      stdio: 'inherit',
      env: { ...process.env, SUBLIST_BENCH_TARGET: file, SUBLIST_BENCH_LABEL: label },
    });
    if (r.status !== 0) process.exitCode = 1;
  }
}

await main();
