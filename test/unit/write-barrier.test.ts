/**
 * The write barrier (util/write-barrier.ts): output handed to a socket leaves
 * only after the store writes it acknowledges. A fake socket looks at the
 * files on disk at the moment the output reaches it: the stored messages (and
 * an acknowledged consumer state) must already be there, in the default sync
 * mode where the store otherwise writes on the next event-loop turn.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { Outbound } from '../../src/conn/outbound.js';
import { FileStore } from '../../src/jetstream/store/filestore/filestore.js';
import { FileConsumerStore } from '../../src/jetstream/store/filestore/consumer-store.js';
import { emptyConsumerState, type StoreConfig } from '../../src/jetstream/store/store.js';
import { heldWriters, holdOutputFor, writeHeld } from '../../src/util/write-barrier.js';

const cfg: StoreConfig = { name: 'B', storage: 'file', max_msgs: -1, max_bytes: -1, max_age: 0, max_msgs_per_subject: -1, discard: 'old' };
const dirs: string[] = [];
const stores: FileStore[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nsts-wb-'));
  dirs.push(d);
  return d;
}

/** A socket stand-in that runs `onWrite` when output reaches it. */
function fakeSocket(onWrite: () => void): Socket {
  return { write: () => (onWrite(), true), cork: () => {}, uncork: () => {} } as unknown as Socket;
}

function blockBytes(dir: string): Buffer {
  const msgs = join(dir, 'msgs');
  return Buffer.concat(readdirSync(msgs).filter((n) => n.endsWith('.blk')).map((n) => readFileSync(join(msgs, n))));
}

describe('write barrier', () => {
  afterEach(() => {
    writeHeld();
    for (const s of stores.splice(0)) s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('writes a file store\'s pending messages before output reaches a socket', () => {
    const dir = tmp();
    const fs = new FileStore(dir, cfg, { log: () => {} });
    stores.push(fs);
    for (let i = 0; i < 50; i++) fs.storeMsg('b', null, Buffer.from(`acked-payload-${i}`));
    assert.ok(heldWriters() > 0, 'unwritten messages hold output');
    assert.ok(!blockBytes(dir).includes('acked-payload-49'), 'the store coalesces: nothing written yet within this turn');
    const out = new Outbound();
    out.append(Buffer.from('+ACK-FRAME\r\n'));
    const seen: { disk?: Buffer } = {};
    out.flush(fakeSocket(() => (seen.disk = blockBytes(dir))));
    assert.ok(seen.disk !== undefined, 'the output was written');
    for (let i = 0; i < 50; i++) assert.ok(seen.disk.includes(`acked-payload-${i}`), `message ${i} on disk before the ack left`);
    assert.equal(heldWriters(), 0);
  });

  it('writes an acknowledged consumer state before output, not an unacknowledged one', () => {
    const dir = tmp();
    const cs = new FileConsumerStore(dir);
    const st = emptyConsumerState();
    st.ack_floor.stream_seq = st.ack_floor.consumer_seq = 7;
    cs.update(st);
    assert.equal(heldWriters(), 0, 'a plain update waits for its timer');
    cs.update(st, true);
    const seen: { state?: string } = {};
    const out = new Outbound();
    out.append(Buffer.from('MSG reply 1 0\r\n\r\n'));
    out.flush(fakeSocket(() => (seen.state = readFileSync(join(dir, 'o.dat'), 'utf8'))));
    assert.equal(JSON.parse(seen.state!).ack_floor.stream_seq, 7);
    cs.stop();
  });

  it('runs each registered writer once per flush and lets a writer register again', () => {
    let runs = 0;
    const w = (): void => {
      runs++;
      if (runs === 1) holdOutputFor(w); // registers again while running: runs on the next flush
    };
    holdOutputFor(w);
    holdOutputFor(w);
    writeHeld();
    assert.equal(runs, 1);
    assert.equal(heldWriters(), 1);
    writeHeld();
    assert.equal(runs, 2);
    writeHeld();
    assert.equal(runs, 2);
  });
});
