/**
 * File store durability: reopen after stop, many blocks, torn tails, corrupt
 * middle blocks, compaction, and a SIGKILLed writer with sync 'always'.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, statSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FileStore } from '../../src/jetstream/store/filestore/filestore.js';
import { emptyConsumerState, type StoreConfig } from '../../src/jetstream/store/store.js';

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
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nsts-fsd-'));
  dirs.push(d);
  return d;
}
const blocks = (d: string) => readdirSync(join(d, 'msgs')).filter((f) => f.endsWith('.blk')).sort((a, b) => parseInt(a) - parseInt(b));
const diskBytes = (d: string) => blocks(d).reduce((n, f) => n + statSync(join(d, 'msgs', f)).size, 0);

describe('file store durability', () => {
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reopens with messages, deletes, subjects, purge position and consumer state', () => {
    const d = tmp();
    let fs = new FileStore(d, cfg(), { blockSize: 1024 });
    for (let i = 0; i < 200; i++) fs.storeMsg(`s.${i % 7}`, i % 3 ? null : Buffer.from('NATS/1.0\r\nK: v\r\n\r\n'), Buffer.from(`payload-${i}`));
    fs.removeMsg(10);
    fs.removeMsg(150);
    fs.purgeEx('s.0', 0, 0);
    const cs = fs.consumerStore('dur', {});
    cs.setConfig({ durable_name: 'dur' }, 7);
    const st = emptyConsumerState();
    st.delivered = { consumer_seq: 5, stream_seq: 5 };
    cs.update(st);
    const before = fs.state();
    const subjects = [...fs.subjectsState('').entries()];
    assert.ok(blocks(d).length > 3, 'rolled over several blocks');
    fs.stop();
    fs = new FileStore(d, cfg(), { blockSize: 1024 });
    assert.deepEqual(fs.state(), before);
    assert.deepEqual([...fs.subjectsState('').entries()], subjects);
    assert.equal(fs.loadMsg(10), null);
    assert.equal(fs.loadMsg(11)!.msg.toString(), 'payload-10');
    assert.equal(fs.loadMsg(4)!.hdr!.toString(), 'NATS/1.0\r\nK: v\r\n\r\n');
    assert.deepEqual(fs.consumerNames(), ['dur']);
    assert.equal(fs.consumerStore('dur', {}).load()!.state.delivered.stream_seq, 5);
    fs.purge();
    fs.stop();
    fs = new FileStore(d, cfg(), { blockSize: 1024 });
    assert.deepEqual([fs.state().msgs, fs.state().first_seq, fs.state().last_seq], [0, 201, 200]);
    assert.equal(fs.storeMsg('x', null, Buffer.from('next'))[0], 201);
    fs.stop();
  });

  it('truncates a torn tail and keeps every whole record (with a warning)', () => {
    const d = tmp();
    let fs = new FileStore(d, cfg());
    for (let i = 0; i < 50; i++) fs.storeMsg('a', null, Buffer.from(`m${i}`));
    fs.stop();
    const last = join(d, 'msgs', blocks(d).at(-1)!);
    truncateSync(last, statSync(last).size - 3);
    const warnings: string[] = [];
    fs = new FileStore(d, cfg(), { log: (lvl, m) => lvl === 'warn' && warnings.push(m) });
    assert.equal(fs.state().msgs, 49);
    assert.equal(fs.state().last_seq, 49);
    assert.match(warnings.join('\n'), /torn or corrupt record/);
    assert.equal(fs.storeMsg('a', null, Buffer.from('again'))[0], 50);
    fs.stop();
    fs = new FileStore(d, cfg());
    assert.equal(fs.loadMsg(50)!.msg.toString(), 'again');
    fs.stop();
  });

  it('survives a corrupt middle block: other blocks are read, the damage is reported', () => {
    const d = tmp();
    let fs = new FileStore(d, cfg(), { blockSize: 512 });
    for (let i = 0; i < 100; i++) fs.storeMsg('a', null, Buffer.from(`message-number-${i}`));
    fs.stop();
    const names = blocks(d);
    assert.ok(names.length >= 4);
    const mid = join(d, 'msgs', names[1]);
    const buf = readFileSync(mid);
    buf[Math.floor(buf.length / 2)] ^= 0xff;
    writeFileSync(mid, buf);
    const errors: string[] = [];
    fs = new FileStore(d, cfg(), { blockSize: 512, log: (lvl, m) => lvl === 'error' && errors.push(m) });
    assert.match(errors.join('\n'), /corrupt/);
    assert.ok(fs.state().msgs < 100 && fs.state().msgs > 80);
    assert.equal(fs.loadMsg(1)!.msg.toString(), 'message-number-0');
    assert.equal(fs.loadMsg(100)!.msg.toString(), 'message-number-99');
    fs.stop();
  });

  it('ignores a garbage block file without throwing', () => {
    const d = tmp();
    const fs0 = new FileStore(d, cfg());
    fs0.storeMsg('a', null, Buffer.from('ok'));
    fs0.stop();
    writeFileSync(join(d, 'msgs', '1.blk'), Buffer.concat([readFileSync(join(d, 'msgs', '1.blk')), Buffer.from('garbage garbage garbage')]));
    const fs = new FileStore(d, cfg(), { log: () => {} });
    assert.equal(fs.state().msgs, 1);
    fs.stop();
  });

  it('compacts: removing most messages shrinks the files', async () => {
    const d = tmp();
    const fs = new FileStore(d, cfg(), { blockSize: 4096 });
    for (let i = 0; i < 400; i++) fs.storeMsg('a', null, Buffer.alloc(64, i));
    fs.flush();
    const before = diskBytes(d);
    for (let i = 1; i <= 380; i++) fs.removeMsg(i);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    fs.flush();
    const after = diskBytes(d);
    assert.ok(after < before / 3, `disk ${before} -> ${after}`);
    fs.stop();
    const re = new FileStore(d, cfg(), { blockSize: 4096 });
    assert.equal(re.state().msgs, 20);
    assert.equal(re.state().first_seq, 381);
    re.stop();
  });

  it('keeps every acknowledged message when the writer is killed with SIGKILL (sync always)', async () => {
    const d = tmp();
    const mod = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../src/jetstream/store/filestore/filestore.js');
    const script = join(d, 'writer.mjs');
    writeFileSync(
      script,
      `import { FileStore } from ${JSON.stringify(mod)};
const fs = new FileStore(${JSON.stringify(join(d, 'st'))}, { name: 'T', storage: 'file', max_msgs: -1, max_bytes: -1, max_age: 0, max_msgs_per_subject: -1, discard: 'old' }, { syncIntervalMs: 'always', blockSize: 8192 });
let i = 0;
function burst() { for (let k = 0; k < 50; k++) { const [seq] = fs.storeMsg('k', null, Buffer.from('v' + i++)); process.stdout.write(seq + '\\n'); } setImmediate(burst); }
burst();
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise<void>((res) => {
      const t = setInterval(() => {
        if (out.split('\n').length > 500) {
          clearInterval(t);
          child.kill('SIGKILL');
          res();
        }
      }, 5);
    });
    await new Promise((r) => child.once('exit', r));
    const acked = out.split('\n').filter((l) => l !== '').map(Number);
    const fs = new FileStore(join(d, 'st'), cfg(), { log: () => {} });
    for (const seq of acked) assert.ok(fs.loadMsg(seq) !== null, `acknowledged seq ${seq} lost`);
    assert.ok(fs.state().last_seq >= acked.at(-1)!);
    fs.stop();
  });
});
