/**
 * File store durability: reopening, block rollover, torn tails, corrupt and
 * garbage files, compaction, erasure, sync 'always', a SIGKILLed writer, and
 * s2 compression of sealed blocks (checked against an uncompressed store).
 * Reopen checks work on copies of the directory taken while the original is
 * still open (what a crashed process leaves behind, minus unwritten bytes).
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FileStore, type FileStoreOptions } from '../../src/jetstream/store/filestore/filestore.js';
import { unpackBlock } from '../../src/jetstream/store/filestore/recover.js';
import { emptyConsumerState, fileStoreMsgSize, type StoreConfig } from '../../src/jetstream/store/store.js';
import { rng } from '../helpers/rng.js';
import { heldWriters, writeHeld } from '../../src/util/write-barrier.js';
import { waitFor } from '../helpers/wait.js';

const cfg = (o: Partial<StoreConfig> = {}): StoreConfig => ({
  name: 'T',
  storage: 'file',
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  max_msgs_per_subject: -1,
  discard: 'old',
  ...o,
});

const dirs: string[] = [];
const open: FileStore[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nsts-fsd-'));
  dirs.push(d);
  return d;
}
function fstore(dir: string, c: Partial<StoreConfig> = {}, opts: FileStoreOptions = {}): FileStore {
  const s = new FileStore(dir, cfg(c), { log: () => {}, ...opts });
  open.push(s);
  return s;
}
/** Collects log lines by level. */
function logger(): { opts: FileStoreOptions; warn: string[]; error: string[] } {
  const warn: string[] = [];
  const error: string[] = [];
  return { warn, error, opts: { log: (lvl, m) => (lvl === 'warn' ? warn.push(m) : lvl === 'error' ? error.push(m) : 0) } };
}
const blocks = (d: string) =>
  readdirSync(join(d, 'msgs'))
    .filter((f) => /^\d+\.blk$/.test(f))
    .sort((a, b) => parseInt(a) - parseInt(b));
const blockPath = (d: string, name: string) => join(d, 'msgs', name);
const diskBytes = (d: string) => blocks(d).reduce((n, f) => n + statSync(blockPath(d, f)).size, 0);
const tick = () => new Promise<void>((r) => setImmediate(r));
const b = (s: string) => Buffer.from(s);

/** Copy a live store's directory and open the copy (a restart after a crash, with the written bytes). */
function reopenCopy(src: string, opts: FileStoreOptions = {}, c: Partial<StoreConfig> = {}): FileStore {
  const d = tmp();
  rmSync(d, { recursive: true, force: true });
  cpSync(src, d, { recursive: true });
  return fstore(d, c, opts);
}

function snapshot(s: FileStore): unknown {
  const st = s.state();
  const msgs: unknown[] = [];
  for (let q = Math.max(1, st.first_seq - 1); q <= st.last_seq + 1; q++) {
    const m = s.loadMsg(q);
    msgs.push(m === null ? null : [m.seq, m.subj, m.ts, m.hdr?.toString() ?? null, m.msg.toString()]);
  }
  return { st, msgs, subjects: [...s.subjectsState('')].sort(), deleted: s.deletedSeqs() };
}

describe('file store', () => {
  afterEach(() => {
    for (const s of open.splice(0)) s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reopens with messages, deletes, subjects, purge position and consumer state', () => {
    const d = tmp();
    let fs = fstore(d, {}, { blockSize: 1024 });
    for (let i = 0; i < 200; i++) fs.storeMsg(`s.${i % 7}`, i % 3 ? null : b('NATS/1.0\r\nK: v\r\n\r\n'), b(`payload-${i}`));
    fs.removeMsg(10);
    fs.removeMsg(150);
    fs.eraseMsg(151);
    fs.purgeEx('s.0', 0, 0);
    fs.skipMsg();
    const cs = fs.consumerStore('dur', {});
    cs.setConfig({ durable_name: 'dur' }, 7);
    const st = emptyConsumerState();
    st.delivered = { consumer_seq: 5, stream_seq: 5 };
    st.pending.set(4, { sequence: 4, timestamp: 123 });
    cs.update(st);
    const before = snapshot(fs);
    assert.ok(blocks(d).length > 3, 'rolled over several blocks');
    fs.stop();
    fs = fstore(d, {}, { blockSize: 1024 });
    assert.deepEqual(snapshot(fs), before);
    assert.equal(fs.loadMsg(10), null);
    assert.equal(fs.loadMsg(151), null);
    assert.equal(fs.loadMsg(11)!.msg.toString(), 'payload-10');
    assert.equal(fs.loadMsg(4)!.hdr!.toString(), 'NATS/1.0\r\nK: v\r\n\r\n');
    assert.equal(fs.state().last_seq, 201, 'the skipped sequence is remembered');
    assert.deepEqual(fs.consumerNames(), ['dur']);
    const loaded = fs.consumerStore('dur', {}).load()!;
    assert.equal(loaded.created, 7);
    assert.equal(loaded.state.delivered.stream_seq, 5);
    assert.deepEqual(loaded.state.pending.get(4), { sequence: 4, timestamp: 123 });
    fs.purge();
    assert.deepEqual(blocks(d).length, 1, 'purge leaves one empty block');
    fs.stop();
    fs = fstore(d, {}, { blockSize: 1024 });
    assert.deepEqual([fs.state().msgs, fs.state().first_seq, fs.state().last_seq], [0, 202, 201]);
    assert.equal(fs.storeMsg('x', null, b('next'))[0], 202);
    fs.compact(500);
    fs.stop();
    fs = fstore(d, {}, { blockSize: 1024 });
    assert.deepEqual([fs.state().msgs, fs.state().first_seq, fs.state().last_seq], [0, 500, 499]);
  });

  it('reopens a store that never held a message as new', () => {
    const d = tmp();
    fstore(d).stop();
    const s = fstore(d);
    assert.deepEqual([s.state().first_seq, s.state().last_seq], [0, 0]);
    assert.equal(s.storeMsg('a', null, b('x'))[0], 1);
  });

  it('rolls over many small blocks and reads across them after reopening', () => {
    const d = tmp();
    let fs = fstore(d, {}, { blockSize: 1024 });
    for (let i = 0; i < 1000; i++) fs.storeMsg(`k.${i % 10}`, null, b(`value-${i}`.padEnd(20, '.')));
    fs.stop();
    const names = blocks(d);
    assert.ok(names.length >= 50, `${names.length} blocks`);
    for (const n of names) assert.ok(statSync(blockPath(d, n)).size <= 1024, `${n} within the block size`);
    fs = fstore(d, {}, { blockSize: 1024, cacheBytes: 2048 });
    assert.equal(fs.numBlocks(), names.length);
    assert.equal(fs.state().msgs, 1000);
    // random reads fetch single records; reading on within a block caches the block
    const tailOnly = fs.cachedBytes();
    for (let q = 60; q < 950; q += 50) assert.equal(fs.loadMsg(q)!.msg.toString(), `value-${q - 1}`.padEnd(20, '.'));
    assert.equal(fs.cachedBytes(), tailOnly);
    fs.loadMsg(2);
    fs.loadMsg(3);
    assert.equal(fs.cachedBytes(), tailOnly);
    fs.loadMsg(4);
    assert.ok(fs.cachedBytes() > tailOnly, 'a third forward read in one block caches it');
    // forwards, backwards and filtered, through a cache smaller than the data
    for (let q = 1; q <= 1000; q += 7) assert.equal(fs.loadMsg(q)!.msg.toString(), `value-${q - 1}`.padEnd(20, '.'));
    for (let q = 1000; q >= 1; q -= 13) assert.equal(fs.loadMsg(q)!.subj, `k.${(q - 1) % 10}`);
    let seen = 0;
    for (let m = fs.loadNextMsg('k.3', 0); m !== null; m = fs.loadNextMsg('k.3', m.seq + 1)) {
      assert.equal(m.subj, 'k.3');
      seen++;
    }
    assert.equal(seen, 100);
    assert.equal(fs.loadLastMsg('k.*')!.seq, 1000);
    assert.equal(fs.loadPrevMsg(555)!.seq, 555);
    assert.deepEqual(fs.filteredState(995, 'k.>'), { msgs: 6, first: 995, last: 1000 });
    assert.equal(fs.storeMsg('k.0', null, b('more'))[0], 1001);
  });

  it('keeps its state across reopening at any point of a randomized run', async () => {
    let seed = 1234;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const d = tmp();
    const fs = fstore(d, {}, { blockSize: 512 });
    const subjects = ['a', 'b.x', 'b.y', 'c'];
    let reopened = 0;
    for (let step = 0; step < 800; step++) {
      const st = fs.state();
      const r = rnd();
      const any = () => st.first_seq + Math.floor(rnd() * (st.last_seq - st.first_seq + 2));
      if (r < 0.5) fs.storeMsg(subjects[Math.floor(rnd() * 4)], rnd() < 0.2 ? b('NATS/1.0\r\nX: y\r\n\r\n') : null, b(`m${step}`.repeat(1 + Math.floor(rnd() * 5))), rnd() < 0.05 ? 3600 : 0);
      else if (r < 0.75) fs.removeMsg(any());
      else if (r < 0.78) fs.eraseMsg(any());
      else if (r < 0.8) fs.skipMsg();
      else if (r < 0.83) fs.purgeEx(subjects[Math.floor(rnd() * 4)], rnd() < 0.5 ? any() : 0, Math.floor(rnd() * 2));
      else if (r < 0.85) fs.compact(any());
      else if (r < 0.855) fs.purge();
      else if (r < 0.88) fs.storeRawMsg('raw', null, b('raw'), st.last_seq + 1 + Math.floor(rnd() * 3), 1e18 + step);
      else if (r < 0.95) await tick();
      else {
        fs.flush();
        const copy = reopenCopy(d, { blockSize: 512 });
        assert.deepEqual(snapshot(copy), snapshot(fs), `reopened copy at step ${step}`);
        copy.stop();
        reopened++;
      }
    }
    assert.ok(reopened > 10);
    fs.stop();
    const again = fstore(d, {}, { blockSize: 512 });
    assert.ok(again.state().last_seq > 0);
  });

  it('truncates a torn tail wherever the cut falls and keeps every whole record (with a warning)', () => {
    const d = tmp();
    const fs = fstore(d);
    for (let i = 0; i < 5; i++) fs.storeMsg('a', null, b(`m${i}`));
    fs.stop();
    const [name] = blocks(d);
    const size = statSync(blockPath(d, name)).size;
    const lastLen = fileStoreMsgSize('a', null, b('m4'));
    for (let cut = 1; cut < lastLen; cut++) {
      const c = tmp();
      rmSync(c, { recursive: true });
      cpSync(d, c, { recursive: true });
      truncateSync(blockPath(c, name), size - cut);
      const log = logger();
      const re = fstore(c, {}, log.opts);
      assert.deepEqual([re.state().msgs, re.state().last_seq], [4, 4], `cut ${cut}`);
      assert.match(log.warn.join('\n'), /torn or corrupt record/);
      assert.equal(statSync(blockPath(c, name)).size, size - lastLen, 'the partial record is cut off the file');
      assert.equal(re.storeMsg('a', null, b('again'))[0], 5);
      re.stop();
      const re2 = fstore(c);
      assert.equal(re2.loadMsg(5)!.msg.toString(), 'again');
      assert.equal(re2.loadMsg(4)!.msg.toString(), 'm3');
      re2.stop();
      rmSync(c, { recursive: true, force: true });
    }
  });

  it('survives a corrupt middle block: the damage is reported, everything else is read', () => {
    const d = tmp();
    let fs = fstore(d, {}, { blockSize: 512 });
    // 49-byte records: 10 per block
    for (let i = 0; i < 100; i++) fs.storeMsg('a', null, b(`message-number-${String(i).padStart(3, '0')}`));
    fs.stop();
    const names = blocks(d);
    assert.equal(names.length, 10);
    const mid = blockPath(d, names[1]);
    const buf = readFileSync(mid);
    buf[49 * 5 + 30] ^= 0xff; // inside the 6th record of block 2 (seq 16)
    writeFileSync(mid, buf);
    const log = logger();
    fs = fstore(d, {}, { blockSize: 512, ...log.opts });
    assert.match(log.error.join('\n'), /corrupt/);
    assert.equal(fs.state().msgs, 95);
    assert.deepEqual(fs.deletedSeqs(), [16, 17, 18, 19, 20]);
    assert.equal(fs.loadMsg(15)!.msg.toString(), 'message-number-014');
    assert.equal(fs.loadMsg(16), null);
    assert.equal(fs.loadMsg(21)!.msg.toString(), 'message-number-020');
    assert.equal(fs.loadMsg(100)!.msg.toString(), 'message-number-099');
    assert.equal(fs.storeMsg('a', null, b('after'))[0], 101);
    fs.stop();
    fs = fstore(d, {}, { blockSize: 512 });
    assert.equal(fs.state().msgs, 96);
  });

  it('does not throw on garbage: random block files, trailing junk, a bad index, stray files', () => {
    // a single block of random bytes
    const d1 = tmp();
    mkdirSync(join(d1, 'msgs'));
    writeFileSync(blockPath(d1, '1.blk'), randomBytes(5000));
    const log1 = logger();
    let fs = fstore(d1, {}, log1.opts);
    assert.equal(fs.state().msgs, 0);
    assert.equal(log1.warn.length, 1);
    assert.equal(fs.storeMsg('a', null, b('ok'))[0], 1);
    fs.stop();

    // junk after the last record, a random middle block, an unreadable index, files that are not blocks
    const d2 = tmp();
    fs = fstore(d2, {}, { blockSize: 256 });
    for (let i = 0; i < 15; i++) fs.storeMsg('a', null, b(`message-${String(i).padStart(2, '0')}`));
    fs.stop();
    const names = blocks(d2);
    assert.ok(names.length >= 3);
    writeFileSync(blockPath(d2, names[1]), randomBytes(200));
    const lastPath = blockPath(d2, names.at(-1)!);
    writeFileSync(lastPath, Buffer.concat([readFileSync(lastPath), b('garbage garbage garbage')]));
    writeFileSync(join(d2, 'msgs', 'index.json'), '{not json');
    writeFileSync(join(d2, 'msgs', 'notes.txt'), 'hello');
    writeFileSync(join(d2, 'msgs', '7.blk.tmp'), 'half a rewrite');
    const log2 = logger();
    fs = fstore(d2, {}, { blockSize: 256, ...log2.opts });
    assert.equal(log2.error.length, 1, 'the random middle block');
    assert.equal(log2.warn.length, 2, 'the index and the junk tail');
    const perBlock = Math.floor(256 / fileStoreMsgSize('a', null, b('message-00')));
    assert.equal(fs.state().msgs, 15 - perBlock);
    assert.equal(fs.loadMsg(1)!.msg.toString(), 'message-00');
    assert.equal(fs.loadMsg(15)!.msg.toString(), 'message-14');
    assert.ok(!existsSync(join(d2, 'msgs', '7.blk.tmp')), 'leftover temp files are removed');
    assert.ok(existsSync(join(d2, 'msgs', 'notes.txt')));
  });

  it('deletes whole blocks when their first messages go and shrinks mostly-deleted blocks', async () => {
    const d = tmp();
    const fs = fstore(d, {}, { blockSize: 512 });
    for (let i = 0; i < 100; i++) fs.storeMsg('a', null, b(`message-number-${String(i).padStart(3, '0')}`));
    fs.flush();
    assert.equal(blocks(d).length, 10);
    for (let q = 1; q <= 35; q++) fs.removeMsg(q);
    assert.deepEqual(blocks(d).slice(0, 2), ['4.blk', '5.blk'], 'blocks 1-3 deleted at once');
    assert.equal(fs.state().first_seq, 36);
    // most of block 5 (seqs 41..50), not its first message
    const before = statSync(blockPath(d, '5.blk')).size;
    for (let q = 42; q <= 49; q++) fs.removeMsg(q);
    await tick();
    await tick();
    const after = statSync(blockPath(d, '5.blk')).size;
    assert.equal(after, 2 * 49, `block 5 rewritten with its 2 live records (${before} -> ${after})`);
    assert.equal(fs.loadMsg(41)!.msg.toString(), 'message-number-040');
    assert.equal(fs.loadMsg(50)!.msg.toString(), 'message-number-049');
    // Block 4 (31..40) only drains from the front: it is not rewritten, it goes whole once empty.
    for (let q = 36; q <= 38; q++) fs.removeMsg(q);
    await tick();
    await tick();
    assert.equal(statSync(blockPath(d, '4.blk')).size, 10 * 49);
    fs.removeMsg(39);
    fs.removeMsg(40);
    assert.ok(!existsSync(blockPath(d, '4.blk')));
    assert.equal(fs.state().first_seq, 41);

    const big = tmp();
    const g = fstore(big, {}, { blockSize: 4096 });
    for (let i = 0; i < 400; i++) g.storeMsg('a', null, Buffer.alloc(64, i));
    g.flush();
    const full = diskBytes(big);
    for (let i = 1; i <= 380; i++) g.removeMsg(i);
    await tick();
    await tick();
    g.flush();
    assert.ok(diskBytes(big) < full / 3, `disk ${full} -> ${diskBytes(big)}`);
    const re = reopenCopy(big, { blockSize: 4096 });
    assert.deepEqual([re.state().msgs, re.state().first_seq], [20, 381]);
    assert.equal(re.loadMsg(390)!.msg[0], 389 & 0xff);
  });

  it('never brings a removed message back after the blocks holding its tombstone change', async () => {
    const d = tmp();
    const fs = fstore(d, {}, { blockSize: 512 });
    for (let i = 0; i < 40; i++) fs.storeMsg('a', null, b(`message-number-${String(i).padStart(3, '0')}`));
    // 49-byte records, 10 per block: blocks 1-4 are full. Two removals in block 2 are not
    // enough to rewrite it, so its records stay on disk and the tombstones matter.
    fs.removeMsg(13);
    fs.removeMsg(17);
    // The tombstones did not fit in block 4: block 5 holds them and then seqs 41..49.
    for (let i = 0; i < 12; i++) fs.storeMsg('a', null, b(`message-number-${String(40 + i).padStart(3, '0')}`));
    assert.equal(statSync(blockPath(d, '5.blk')).size, 60 + 9 * 49);
    // Empty block 5: it must be cut down to the two tombstones, not deleted.
    for (let q = 41; q <= 49; q++) fs.removeMsg(q);
    await tick();
    await tick();
    fs.flush();
    assert.equal(statSync(blockPath(d, '5.blk')).size, 60);
    const re = reopenCopy(d, { blockSize: 512 });
    assert.equal(re.loadMsg(13), null);
    assert.equal(re.loadMsg(17), null);
    assert.deepEqual(snapshot(re), snapshot(fs));

    // the last sequence survives even when the only remaining block holds nothing but tombstones
    const e = tmp();
    const t = fstore(e, {}, { blockSize: 256 });
    for (let i = 0; i < 5; i++) t.storeMsg('a', null, b('p'.repeat(19))); // 50-byte records: block 1 full
    for (let q = 1; q <= 5; q++) t.removeMsg(q); // tombstones roll into block 2; block 1 goes
    assert.deepEqual(blocks(e), ['2.blk']);
    t.flush();
    const te = reopenCopy(e);
    assert.deepEqual([te.state().msgs, te.state().first_seq, te.state().last_seq], [0, 6, 5]);
    assert.equal(te.storeMsg('a', null, b('x'))[0], 6);
  });

  it('overwrites erased payloads on disk', () => {
    const d = tmp();
    const fs = fstore(d, {}, { blockSize: 512 });
    fs.storeMsg('a', b('NATS/1.0\r\nSecret-Hdr: HIDDEN-HEADER\r\n\r\n'), b('SECRET-PAYLOAD-ONE'));
    for (let i = 0; i < 30; i++) fs.storeMsg('a', null, b(`filler-${i}`));
    fs.storeMsg('a', null, b('SECRET-PAYLOAD-TWO'));
    fs.flush();
    const all = () => Buffer.concat(blocks(d).map((n) => readFileSync(blockPath(d, n)))).toString('latin1');
    assert.ok(all().includes('SECRET-PAYLOAD-ONE') && all().includes('SECRET-PAYLOAD-TWO'));
    assert.ok(fs.eraseMsg(1));
    assert.ok(fs.eraseMsg(32));
    assert.ok(!all().includes('SECRET-PAYLOAD'), 'payload bytes are gone from the files');
    assert.ok(!all().includes('HIDDEN-HEADER'), 'header bytes are gone from the files');
    const re = reopenCopy(d, { blockSize: 512 });
    assert.deepEqual([re.loadMsg(1), re.loadMsg(32), re.state().msgs], [null, null, 30]);
    assert.equal(re.loadMsg(2)!.msg.toString(), 'filler-0');
  });

  it("with sync 'always' writes a turn's changes before any output leaves (group commit), and buffers otherwise", async () => {
    const d = tmp();
    const fs = fstore(d, {}, { syncIntervalMs: 'always' });
    let expected = 0;
    for (let i = 0; i < 20; i++) {
      fs.storeMsg('a', null, b(`m${i}`));
      expected += fileStoreMsgSize('a', null, b(`m${i}`));
    }
    assert.ok(heldWriters() > 0, 'output waits for the store');
    writeHeld(); // what a socket flush runs first
    assert.equal(statSync(blockPath(d, '1.blk')).size, expected);
    fs.removeMsg(3);
    writeHeld();
    assert.equal(statSync(blockPath(d, '1.blk')).size, expected + 30, 'the tombstone too');
    fs.storeMsg('a', null, b('late'));
    await tick();
    assert.equal(statSync(blockPath(d, '1.blk')).size, expected + 30 + fileStoreMsgSize('a', null, b('late')), 'or at the end of the turn');

    const a = tmp();
    const as = fstore(a, {}, { syncIntervalMs: 50 });
    as.storeMsg('a', null, b('m'));
    assert.equal(statSync(blockPath(a, '1.blk')).size, 0, 'buffered until the end of the event-loop turn');
    await tick();
    assert.equal(statSync(blockPath(a, '1.blk')).size, fileStoreMsgSize('a', null, b('m')));
    // a large burst goes out in chunks without waiting for the turn to end
    for (let i = 0; i < 3000; i++) as.storeMsg('a', null, Buffer.alloc(100));
    assert.ok(statSync(blockPath(a, '1.blk')).size >= 256 * 1024);
  });

  it('releases idle cached bytes and reads them back from the files', () => {
    const d = tmp();
    const fs = fstore(d, {}, { blockSize: 512 });
    for (let i = 0; i < 60; i++) fs.storeMsg(`s.${i % 3}`, null, b(`message-number-${String(i).padStart(3, '0')}`));
    fs.flush();
    assert.equal(fs.loadMsg(3)!.msg.toString(), 'message-number-002');
    assert.ok(fs.cachedBytes() > 0);
    const sweep = () => (fs as unknown as { sweep(): void }).sweep();
    sweep(); // marks everything unused
    sweep(); // releases what stayed unused
    assert.equal(fs.cachedBytes(), 0);
    assert.equal(fs.loadMsg(3)!.msg.toString(), 'message-number-002');
    assert.equal(fs.loadMsg(60)!.msg.toString(), 'message-number-059');
    sweep();
    sweep();
    assert.equal(fs.storeMsg('s.0', null, b('after-release'))[0], 61);
    assert.equal(fs.loadLastMsg('s.0')!.msg.toString(), 'after-release');
    fs.flush();
    const re = reopenCopy(d, { blockSize: 512 });
    assert.deepEqual(snapshot(re), snapshot(fs));
  });

  it('returns message buffers the caller owns', () => {
    const d = tmp();
    const fs = fstore(d, {}, { blockSize: 256 });
    for (let i = 0; i < 20; i++) fs.storeMsg('a', b('NATS/1.0\r\nA: b\r\n\r\n'), b(`payload-${i}`));
    for (const q of [1, 20]) {
      const m1 = fs.loadMsg(q)!;
      m1.msg.fill(0x21);
      m1.hdr!.fill(0x21);
      const m2 = fs.loadMsg(q)!;
      assert.equal(m2.msg.toString(), `payload-${q - 1}`);
      assert.equal(m2.hdr!.toString(), 'NATS/1.0\r\nA: b\r\n\r\n');
    }
  });

  it('keeps per-message TTLs across a restart, and applies max_age and limits on open', async () => {
    const d = tmp();
    let fs = fstore(d, { allow_msg_ttl: true });
    fs.storeMsg('a', null, b('short'), 1);
    fs.storeMsg('a', null, b('long'), 3600);
    fs.storeMsg('a', null, b('none'));
    fs.stop();
    fs = fstore(d, { allow_msg_ttl: true });
    assert.equal(fs.state().msgs, 3);
    await waitFor(() => fs.state().msgs === 2, 4000);
    assert.equal(fs.loadMsg(1), null);
    fs.stop();

    const o = tmp();
    let old = fstore(o);
    const hourAgo = Date.now() * 1e6 - 3600e9;
    old.storeRawMsg('a', null, b('old'), 1, hourAgo);
    old.storeRawMsg('a', null, b('old'), 2, hourAgo + 1e9);
    old.storeMsg('a', null, b('new'));
    old.storeMsg('b', null, b('new'));
    old.stop();
    old = fstore(o, { max_age: 60e9 });
    assert.deepEqual([old.state().msgs, old.state().first_seq], [2, 3], 'aged out while closed');
    old.stop();
    old = fstore(o, { max_msgs: 1 });
    assert.deepEqual([old.state().msgs, old.state().first_seq], [1, 4], 'a tighter limit applies at once');
  });

  it('is quiet after stop: timers do not fire, calls fail cleanly, delete removes the directory', async () => {
    const d = tmp();
    const log = logger();
    const fs = new FileStore(d, cfg({ max_age: 20e6, allow_msg_ttl: true }), { syncIntervalMs: 10, ...log.opts });
    fs.storeMsg('a', null, b('x'), 1);
    fs.storeMsg('a', null, b('y'));
    fs.stop();
    fs.stop();
    assert.throws(() => fs.storeMsg('a', null, b('z')), /closed/);
    fs.flush(true);
    // The age, TTL and sync timers were due within this window; none may run after stop.
    const until = Date.now() + 60;
    await waitFor(() => Date.now() > until, 1000, 10);
    assert.deepEqual([log.warn, log.error], [[], []]);
    const re = new FileStore(d, cfg(), { log: () => {} });
    assert.equal(re.state().msgs, 2, 'stop kept the data');
    re.delete();
    assert.ok(!existsSync(d));
  });

  it('coalesces consumer state writes and recovers from an unreadable state file', async () => {
    const d = tmp();
    const log = logger();
    const fs = fstore(d, {}, log.opts);
    const cs = fs.consumerStore('c', {});
    cs.setConfig({ durable_name: 'c' }, 1);
    const st = emptyConsumerState();
    st.delivered = { consumer_seq: 1, stream_seq: 1 };
    cs.update(st);
    const dat = join(d, 'obs', 'c', 'o.dat');
    assert.ok(!existsSync(dat), 'not written inside the same turn');
    await waitFor(() => existsSync(dat), 2000);
    st.delivered = { consumer_seq: 9, stream_seq: 9 };
    cs.update(st);
    cs.flush();
    assert.equal(JSON.parse(readFileSync(dat, 'utf8')).delivered.stream_seq, 9);
    writeFileSync(dat, '{broken');
    const again = new FileStore(d, cfg(), log.opts);
    const loaded = again.consumerStore('c', {}).load()!;
    assert.deepEqual(loaded.config, { durable_name: 'c' });
    assert.equal(loaded.state.delivered.stream_seq, 0);
    assert.match(log.warn.join('\n'), /unreadable/);
    again.stop();
  });

  it('keeps every acknowledged message when the writer is killed with SIGKILL (sync always)', async () => {
    const d = tmp();
    const here = fileURLToPath(new URL('.', import.meta.url));
    const mod = resolve(here, '../../src/jetstream/store/filestore/filestore.js');
    const barrier = resolve(here, '../../src/util/write-barrier.js');
    const script = join(d, 'writer.mjs');
    // The acks are printed as the server sends them: after the write barrier (group commit) ran.
    writeFileSync(
      script,
      `import { FileStore } from ${JSON.stringify(mod)};
import { writeHeld } from ${JSON.stringify(barrier)};
const fs = new FileStore(${JSON.stringify(join(d, 'st'))}, { name: 'T', storage: 'file', max_msgs: -1, max_bytes: -1, max_age: 0, max_msgs_per_subject: -1, discard: 'old' }, { syncIntervalMs: 'always', blockSize: 8192 });
let i = 0;
function burst() {
  const acks = [];
  for (let k = 0; k < 50; k++) {
    const [seq] = fs.storeMsg('k.' + (i % 5), null, Buffer.from('v' + i++));
    if (seq % 7 === 0) fs.removeMsg(seq - 3);
    acks.push(seq);
  }
  writeHeld();
  process.stdout.write(acks.join('\\n') + '\\n');
  setImmediate(burst);
}
burst();
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => out.split('\n').length > 600, 10_000, 5);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const acked = out
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
    const fs = fstore(join(d, 'st'));
    for (const seq of acked) {
      const m = fs.loadMsg(seq);
      if (seq % 7 === 4) {
        // removed just before seq + 3 was acknowledged (unknown when that ack never came)
        if (acked.includes(seq + 3)) assert.equal(m, null, `removed seq ${seq} came back`);
        continue;
      }
      assert.ok(m !== null, `acknowledged seq ${seq} lost`);
      assert.equal(m.msg.toString(), `v${seq - 1}`);
    }
    assert.ok(fs.state().last_seq >= acked.at(-1)!);
  });
});

describe('file store: compression s2', () => {
  afterEach(() => {
    for (const s of open.splice(0)) s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const S2 = { compression: 's2' } as const;
  const isPackedFile = (p: string) => readFileSync(p).subarray(0, 4).toString('latin1') === 'S2BK';
  /** Sealed block files (all but the tail) and whether each is compressed. */
  const sealed = (d: string) => blocks(d).slice(0, -1).map((n) => ({ name: n, path: blockPath(d, n), packed: isPackedFile(blockPath(d, n)) }));
  /** All record bytes on disk, compressed blocks decompressed. */
  const plainBytes = (d: string) =>
    Buffer.concat(
      blocks(d).map((n) => {
        const f = readFileSync(blockPath(d, n));
        return isPackedFile(blockPath(d, n)) ? unpackBlock(f) : f;
      }),
    ).toString('latin1');
  const payload = (i: number) => b(`{"order":${i},"customer":"customer-${i % 13}","status":"created","items":["widget","gadget","gizmo"],"note":"${'x'.repeat(i % 40)}"}`);
  const hdrOf = (i: number) => (i % 4 === 0 ? b(`NATS/1.0\r\nNats-Msg-Id: id-${i}\r\n\r\n`) : null);
  /** The same messages with fixed timestamps into a store (so two stores can be compared exactly). */
  function fill(s: FileStore, n: number, from = 1): void {
    for (let i = from; i < from + n; i++) s.storeRawMsg(`orders.${i % 5}`, hdrOf(i), payload(i), i, 1.7e18 + i * 1000);
  }

  it('compresses sealed blocks and serves the same messages and state as an uncompressed store', () => {
    const d = tmp();
    const plain = tmp();
    const fs = fstore(d, S2, { blockSize: 4096 });
    const ref = fstore(plain, {}, { blockSize: 4096 });
    fill(fs, 1000);
    fill(ref, 1000);
    fs.flush();
    ref.flush();
    const st = fs.state();
    let logical = 0;
    for (let i = 1; i <= 1000; i++) logical += fileStoreMsgSize(`orders.${i % 5}`, hdrOf(i), payload(i));
    assert.equal(st.bytes, logical, 'stream bytes stay the logical record sizes');
    assert.deepEqual(st, ref.state());
    const s = sealed(d);
    assert.ok(s.length >= 20, `${s.length} sealed blocks`);
    assert.ok(s.every((x) => x.packed), 'every sealed block is compressed');
    assert.ok(!isPackedFile(blockPath(d, blocks(d).at(-1)!)), 'the tail is not');
    for (const x of s) assert.ok(statSync(x.path).size < 4096 / 2, `${x.name}: ${statSync(x.path).size} bytes`);
    const disk = diskBytes(d);
    assert.ok(disk * 3 < logical, `disk ${disk} vs logical ${logical}`);
    assert.equal(fs.diskUsage().bytes, disk);
    assert.equal(fs.diskUsage().packed, s.length);
    // every read path, against the uncompressed store
    assert.deepEqual(snapshot(fs), snapshot(ref));
    for (const q of [1, 2, 500, 999, 1000, 3, 250]) assert.deepEqual(fs.loadMsg(q), ref.loadMsg(q));
    for (const f of ['orders.3', 'orders.*', '>']) {
      for (let q = 0; q <= 1000; q += 37) assert.deepEqual(fs.loadNextMsg(f, q), ref.loadNextMsg(f, q), `next ${f} ${q}`);
      assert.deepEqual(fs.loadLastMsg(f), ref.loadLastMsg(f));
    }
    assert.deepEqual(fs.loadPrevMsg(444), ref.loadPrevMsg(444));
    assert.deepEqual(fs.filteredState(10, 'orders.2'), ref.filteredState(10, 'orders.2'));
    // through a cache smaller than the data, with idle buffers released in between
    const small = reopenCopy(d, { blockSize: 4096, cacheBytes: 8192 }, S2);
    for (let q = 1; q <= 1000; q += 3) assert.deepEqual(small.loadMsg(q), ref.loadMsg(q));
    (small as unknown as { sweep(): void }).sweep();
    (small as unknown as { sweep(): void }).sweep();
    assert.deepEqual(small.loadMsg(1), ref.loadMsg(1));
    // a restart reads every compressed block back: same snapshot, with or without compression configured
    fs.stop();
    const re = fstore(d, S2, { blockSize: 4096 });
    assert.deepEqual(snapshot(re), snapshot(ref));
    re.stop();
    const re2 = fstore(d, {}, { blockSize: 4096 });
    assert.deepEqual(snapshot(re2), snapshot(ref));
    fill(re2, 10, 1001);
    assert.equal(re2.loadMsg(1005)!.msg.toString(), payload(1005).toString());
  });

  it('keeps blocks that do not compress as they are', () => {
    const d = tmp();
    const fs = fstore(d, S2, { blockSize: 2048 });
    const msgs: Buffer[] = [];
    // one random record per block: nothing to gain after the compressed block's header
    for (let i = 0; i < 10; i++) msgs.push(randomBytes(1500));
    for (const m of msgs) fs.storeMsg('r', null, m);
    fs.flush();
    assert.ok(sealed(d).length >= 4);
    assert.ok(sealed(d).every((x) => !x.packed));
    assert.equal(fs.diskUsage().packed, 0);
    const re = reopenCopy(d, { blockSize: 2048 }, S2);
    for (let q = 1; q <= 10; q++) assert.ok(re.loadMsg(q)!.msg.equals(msgs[q - 1]));
  });

  it('removes, erases, purges and compacts messages in compressed blocks', async () => {
    const d = tmp();
    const plain = tmp();
    const fs = fstore(d, S2, { blockSize: 2048 });
    const ref = fstore(plain, {}, { blockSize: 2048 });
    const both = (fn: (s: FileStore) => unknown) => assert.deepEqual(fn(fs), fn(ref));
    for (const s of [fs, ref]) {
      fill(s, 100);
      s.storeRawMsg('orders.1', null, b('SECRET-PAYLOAD-IN-A-SEALED-BLOCK'), 101, 1.8e18);
      fill(s, 300, 102);
    }
    const blk = sealed(d);
    assert.ok(blk.length > 10 && blk.every((x) => x.packed));
    assert.ok(plainBytes(d).includes('SECRET-PAYLOAD-IN-A-SEALED-BLOCK'));
    both((s) => s.removeMsg(50));
    both((s) => s.removeMsg(51));
    both((s) => s.eraseMsg(101));
    assert.equal(fs.loadMsg(101), null);
    assert.ok(!plainBytes(d).includes('SECRET-PAYLOAD'), 'the erased payload is gone from the (decompressed) files');
    assert.ok(sealed(d).every((x) => x.packed), 'the block stays compressed after the erase');
    both((s) => s.eraseMsg(102));
    both((s) => s.purgeEx('orders.3', 0, 0));
    both((s) => s.purgeEx('orders.2', 200, 2));
    both((s) => s.compact(77));
    // most of one compressed block goes: it is rewritten (compressed again) without the dead records
    const priv = fs as unknown as { compactBlock(blk: unknown): void; packed: Set<unknown> };
    const compactBlock = priv.compactBlock.bind(fs);
    let rewritten = 0;
    priv.compactBlock = (blk) => {
      if (priv.packed.has(blk)) rewritten++;
      compactBlock(blk);
    };
    for (let q = 200; q <= 260; q++) if (q % 7 !== 0) both((s) => s.removeMsg(q));
    await tick();
    await tick();
    assert.ok(rewritten > 0, 'compressed blocks were compacted');
    fs.flush();
    ref.flush();
    assert.ok(sealed(d).every((x) => x.packed), 'rewritten blocks are compressed too');
    assert.ok(diskBytes(d) < diskBytes(plain) / 2);
    assert.deepEqual(snapshot(fs), snapshot(ref));
    for (let q = 77; q <= 400; q++) assert.deepEqual(fs.loadMsg(q), ref.loadMsg(q), `seq ${q}`);
    const re = reopenCopy(d, { blockSize: 2048 }, S2);
    assert.deepEqual(snapshot(re), snapshot(ref));
    assert.equal(re.loadMsg(101), null);
    // whole blocks go as before
    both((s) => s.compact(390));
    assert.deepEqual(snapshot(fs), snapshot(ref));
    both((s) => s.purge());
    assert.deepEqual(fs.state(), ref.state());
    assert.equal(fs.diskUsage().packed, 0);
  });

  it('reports a damaged compressed block, skips it, and serves the other blocks', () => {
    const d = tmp();
    let fs = fstore(d, S2, { blockSize: 1024 });
    fill(fs, 200);
    fs.stop();
    const names = sealed(d);
    assert.ok(names.length >= 5 && names.every((x) => x.packed));
    // which sequences each block holds, from an intact copy
    const intact = reopenCopy(d, { blockSize: 1024 }, S2);
    const all = snapshot(intact) as { st: { msgs: number } };
    assert.equal(all.st.msgs, 200);
    intact.stop();

    const cases: [string, (f: Buffer) => Buffer][] = [
      ['a flipped byte in the compressed data', (f) => ((f[f.length >> 1] ^= 0x40), f)],
      ['a flipped byte in the header', (f) => ((f[9] ^= 0x01), f)],
      ['an unknown version', (f) => ((f[4] = 9), f)],
      ['a cut file', (f) => f.subarray(0, f.length - 10)],
      ['only the magic', (f) => f.subarray(0, 6)],
    ];
    for (const [what, damage] of cases) {
      const c = tmp();
      rmSync(c, { recursive: true });
      cpSync(d, c, { recursive: true });
      const victim = blockPath(c, names[2].name);
      writeFileSync(victim, damage(readFileSync(victim)));
      const log = logger();
      const re = fstore(c, S2, { blockSize: 1024, ...log.opts });
      assert.match(log.error.join('\n'), new RegExp(`block ${parseInt(names[2].name)} is corrupt`), what);
      assert.equal(log.error.length, 1, what);
      const lost = re.deletedSeqs();
      assert.ok(lost.length > 0 && lost.length < 40, `${what}: ${lost.length} lost`);
      assert.equal(re.state().msgs, 200 - lost.length);
      for (let q = 1; q <= 200; q++) {
        const m = re.loadMsg(q);
        if (lost.includes(q)) assert.equal(m, null);
        else assert.equal(m!.msg.toString(), payload(q).toString(), `${what}: seq ${q}`);
      }
      fill(re, 5, 201);
      re.stop();
      const again = fstore(c, S2, { blockSize: 1024 });
      assert.equal(again.loadMsg(205)!.msg.toString(), payload(205).toString());
      again.stop();
    }

    // damage after the store read the directory: the read fails with an error, nothing throws
    const log = logger();
    fs = fstore(d, S2, { blockSize: 1024, ...log.opts });
    const victim = blockPath(d, names[1].name);
    const f = readFileSync(victim);
    f[f.length - 3] ^= 0xff;
    writeFileSync(victim, f);
    const first = fs.loadMsg(1)!;
    assert.equal(first.msg.toString(), payload(1).toString());
    const lostNow: number[] = [];
    for (let q = 1; q <= 200; q++) if (fs.loadMsg(q) === null) lostNow.push(q);
    assert.ok(lostNow.length > 0 && lostNow.length < 40);
    assert.match(log.error.join('\n'), /cannot be read/);
    assert.equal(fs.eraseMsg(lostNow[0]), true, 'erase of a message in an unreadable block removes it');
  });

  it('mixes compressed and uncompressed blocks when compression is switched, and reopens either way', () => {
    const d = tmp();
    const fs = fstore(d, {}, { blockSize: 2048 });
    const sw = (c: Partial<StoreConfig>) => fs.updateConfig(cfg(c));
    fill(fs, 150);
    sw(S2);
    fill(fs, 150, 151);
    sw({ compression: 'none' });
    fill(fs, 150, 301);
    sw(S2);
    fill(fs, 50, 451);
    fs.flush();
    const s = sealed(d);
    const packed = s.filter((x) => x.packed).length;
    assert.ok(packed >= 5 && s.length - packed >= 5, `${packed} of ${s.length} sealed blocks compressed`);
    // the first sealed blocks were written before compression was on, the ones after 151 with it
    assert.equal(s[0].packed, false);
    const before = snapshot(fs);
    for (const c of [{}, S2, { compression: 'none' as const }]) {
      const re = reopenCopy(d, { blockSize: 2048 }, c);
      assert.deepEqual(snapshot(re), before);
      re.stop();
    }
    // compaction follows the current setting: with compression off a compressed block is rewritten plain
    sw({ compression: 'none' });
    for (let q = 160; q <= 175; q++) fs.removeMsg(q);
    for (let q = 1; q <= 500; q += 11) assert.equal(fs.loadMsg(q)?.msg.toString() ?? null, q >= 160 && q <= 175 ? null : payload(q).toString());
  });

  it('starts a new tail when the last block file is a compressed one', () => {
    const d = tmp();
    const fs = fstore(d, S2, { blockSize: 2048 });
    fill(fs, 100);
    fs.stop();
    // a crash after the sealed block's rename but before the new tail file was durable
    const names = blocks(d);
    const tailName = names.at(-1)!;
    const lastSealed = names.at(-2)!;
    rmSync(blockPath(d, tailName));
    rmSync(join(d, 'msgs', 'index.json'), { force: true });
    const packedBefore = readFileSync(blockPath(d, lastSealed));
    const re = fstore(d, S2, { blockSize: 2048 });
    const st = re.state();
    assert.ok(st.msgs > 50 && st.msgs < 100);
    assert.equal(re.loadMsg(st.last_seq)!.msg.toString(), payload(st.last_seq).toString());
    re.storeMsg('after', null, b('appended'));
    re.flush();
    assert.ok(readFileSync(blockPath(d, lastSealed)).equals(packedBefore), 'the compressed block is not appended to');
    assert.ok(blocks(d).length === names.length, 'a new tail file');
    re.stop();
    const again = fstore(d, S2, { blockSize: 2048 });
    assert.equal(again.loadMsg(st.last_seq + 1)!.msg.toString(), 'appended');
    assert.deepEqual([again.state().msgs, again.state().last_seq], [st.msgs + 1, st.last_seq + 1]);
  });

  it('keeps its state across reopening at any point of a randomized run with compression', async () => {
    const r = rng(99);
    const d = tmp();
    const fs = fstore(d, S2, { blockSize: 512 });
    const subjects = ['a', 'b.x', 'b.y', 'c'];
    let reopened = 0;
    for (let step = 0; step < 800; step++) {
      const st = fs.state();
      const x = r();
      const any = () => st.first_seq + Math.floor(r() * (st.last_seq - st.first_seq + 2));
      if (x < 0.55) fs.storeMsg(subjects[Math.floor(r() * 4)], r() < 0.2 ? b('NATS/1.0\r\nX: y\r\n\r\n') : null, b(`msg-${step % 10}-`.repeat(1 + Math.floor(r() * 8))));
      else if (x < 0.75) fs.removeMsg(any());
      else if (x < 0.8) fs.eraseMsg(any());
      else if (x < 0.82) fs.skipMsg();
      else if (x < 0.85) fs.purgeEx(subjects[Math.floor(r() * 4)], r() < 0.5 ? any() : 0, Math.floor(r() * 2));
      else if (x < 0.86) fs.compact(any());
      else if (x < 0.93) await tick();
      else if (x < 0.94) fs.updateConfig(cfg(r() < 0.7 ? S2 : {}));
      else {
        fs.flush();
        const copy = reopenCopy(d, { blockSize: 512 }, S2);
        assert.deepEqual(snapshot(copy), snapshot(fs), `reopened copy at step ${step}`);
        copy.stop();
        reopened++;
      }
    }
    assert.ok(reopened > 10);
    assert.ok(fs.diskUsage().packed > 0, 'some blocks were compressed');
  });
});
