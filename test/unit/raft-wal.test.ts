/**
 * The RAFT WAL and store: append/get/truncate/compact against a plain array
 * model, reopen after every operation, torn tails (the file cut at every byte
 * offset of the last record, and a flipped byte) dropped on open and never
 * replayed, random crash points, and the atomic small files (tav.idx,
 * peers.idx, snapshots) surviving a crash before their rename.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, truncateSync, statSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wal, WAL_FILE } from '../../src/raft/wal.js';
import { RaftStore, parseSnapName, SNAPSHOTS_DIR, TERM_VOTE_FILE } from '../../src/raft/store.js';
import { rng } from '../helpers/rng.js';
import { createHash } from 'node:crypto';
import { highwayHash64 } from '../../src/util/highwayhash.js';

interface M { first: number; recs: { term: number; data: string }[] }

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'raft-wal-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function check(w: Wal, m: M): void {
  assert.equal(w.firstIndex, m.first);
  assert.equal(w.lastIndex, m.first + m.recs.length - 1);
  for (let i = 0; i < m.recs.length; i++) {
    const r = w.get(m.first + i)!;
    assert.ok(r, `index ${m.first + i}`);
    assert.equal(r.term, m.recs[i].term);
    assert.equal(r.data.toString(), m.recs[i].data);
    assert.equal(w.termAt(m.first + i), m.recs[i].term);
  }
  assert.equal(w.get(m.first - 1), null);
  assert.equal(w.get(m.first + m.recs.length), null);
}

describe('raft WAL', () => {
  it('appends, truncates, compacts and resets like an array, across reopens', (t) => {
    const dir = tmp(t);
    const r = rng(3);
    let w = Wal.open(dir, { sync: 'none' });
    const m: M = { first: 1, recs: [] };
    let term = 1;
    for (let step = 0; step < 600; step++) {
      const x = r();
      if (x < 0.6) {
        if (r() < 0.05) term++;
        const data = 'd' + step + '-'.repeat(Math.floor(r() * 30));
        assert.equal(w.append(term, Buffer.from(data)), m.first + m.recs.length);
        m.recs.push({ term, data });
      } else if (x < 0.7) {
        const last = m.first + m.recs.length - 1;
        const to = Math.max(0, last - Math.floor(r() * 6));
        w.truncate(to);
        if (to < m.first) {
          m.first = Math.max(1, to + 1);
          m.recs = [];
        } else m.recs.length = to - m.first + 1;
      } else if (x < 0.78) {
        const last = m.first + m.recs.length - 1;
        const to = m.first + Math.floor(r() * (m.recs.length + 3));
        w.compact(to);
        if (to > m.first) {
          if (to > last) m.recs = [];
          else m.recs = m.recs.slice(to - m.first);
          m.first = to;
        }
      } else if (x < 0.8) {
        const next = m.first + Math.floor(r() * 10);
        w.reset(next);
        m.first = next;
        m.recs = [];
      } else if (x < 0.9) {
        w.close();
        w = Wal.open(dir, { sync: 'none' });
        assert.equal(w.recoveredTornBytes, 0);
      }
      check(w, m);
    }
    w.close();
  });

  it('drops a torn last record at every byte offset, never replaying it', (t) => {
    const dir = tmp(t);
    const w = Wal.open(dir);
    for (let i = 1; i <= 5; i++) w.append(1 + (i >> 1), Buffer.from('record-' + i));
    const sizeBefore = statSync(join(dir, WAL_FILE)).size;
    w.append(9, Buffer.from('the last record that a crash cuts'));
    w.close();
    const full = readFileSync(join(dir, WAL_FILE));
    for (let cut = sizeBefore; cut < full.length; cut++) {
      writeFileSync(join(dir, WAL_FILE), full.subarray(0, cut));
      const r = Wal.open(dir);
      assert.equal(r.lastIndex, 5, `cut at ${cut}`);
      assert.equal(r.recoveredTornBytes, cut - sizeBefore);
      assert.equal(statSync(join(dir, WAL_FILE)).size, sizeBefore);
      // the log goes on at the dropped record's index
      assert.equal(r.append(10, Buffer.from('again')), 6);
      r.close();
      const again = Wal.open(dir);
      assert.equal(again.get(6)!.data.toString(), 'again');
      assert.equal(again.get(6)!.term, 10);
      again.close();
    }
    // a flipped byte anywhere in the last record (crc) also ends the log there
    for (let pos = sizeBefore; pos < full.length; pos++) {
      const bad = Buffer.from(full);
      bad[pos] ^= 0x40;
      writeFileSync(join(dir, WAL_FILE), bad);
      const r = Wal.open(dir);
      assert.equal(r.lastIndex, 5, `flip at ${pos}`);
      r.close();
    }
  });

  it('recovers a prefix of what was appended after random crash points', (t) => {
    const seed = Number(process.env.RAFT_SEED ?? 17);
    const r = rng(seed);
    for (let trial = 0; trial < 40; trial++) {
      const dir = tmp(t);
      const w = Wal.open(dir, { sync: 'none' });
      const written: string[] = [];
      const n = 1 + Math.floor(r() * 30);
      for (let i = 0; i < n; i++) {
        const d = `t${trial}-${i}-` + 'x'.repeat(Math.floor(r() * 50));
        w.append(1, Buffer.from(d));
        written.push(d);
      }
      w.close();
      // a crash leaves the file cut anywhere after the header, maybe with garbage appended
      const full = readFileSync(join(dir, WAL_FILE));
      const cut = 16 + Math.floor(r() * (full.length - 16 + 1));
      truncateSync(join(dir, WAL_FILE), cut);
      if (r() < 0.3) writeFileSync(join(dir, WAL_FILE), Buffer.concat([full.subarray(0, cut), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25])]));
      const back = Wal.open(dir);
      assert.ok(back.lastIndex <= n, `seed ${seed} trial ${trial}`);
      for (let i = 1; i <= back.lastIndex; i++) assert.equal(back.get(i)!.data.toString(), written[i - 1], `seed ${seed} trial ${trial} index ${i}`);
      back.close();
    }
  });

  it('a crash in the middle of a compaction leaves the old log', (t) => {
    const dir = tmp(t);
    const w = Wal.open(dir);
    for (let i = 1; i <= 10; i++) w.append(1, Buffer.from('r' + i));
    w.close();
    // what a crash before the rename leaves: the full old file and a temp file
    writeFileSync(join(dir, WAL_FILE + '.tmp'), Buffer.from('partial'));
    const back = Wal.open(dir);
    assert.equal(back.firstIndex, 1);
    assert.equal(back.lastIndex, 10);
    assert.equal(existsSync(join(dir, WAL_FILE + '.tmp')), false);
    back.compact(6);
    back.close();
    const c = Wal.open(dir);
    assert.deepEqual([c.firstIndex, c.lastIndex, c.get(6)!.data.toString()], [6, 10, 'r6']);
    c.compact(20);
    assert.deepEqual([c.firstIndex, c.lastIndex, c.count], [20, 19, 0]);
    assert.equal(c.append(3, Buffer.from('x')), 20);
    c.close();
  });
});

describe('raft store', () => {
  it('writes tav.idx atomically: a crash before the rename keeps the old term and vote', (t) => {
    const dir = tmp(t);
    const s = new RaftStore(dir, 'G');
    s.writeTermVote(3, 'NODEAAAA');
    assert.deepEqual(s.readTermVote(), { term: 3, vote: 'NODEAAAA' });
    s.close();
    const crashing = new RaftStore(dir, 'G', { hooks: { beforeRename: () => { throw new Error('crash'); } } });
    assert.throws(() => crashing.writeTermVote(4, 'NODEBBBB'), /crash/);
    crashing.close();
    const after = new RaftStore(dir, 'G');
    assert.deepEqual(after.readTermVote(), { term: 3, vote: 'NODEAAAA' });
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
    assert.equal(readFileSync(join(dir, TERM_VOTE_FILE)).length, 16);
    after.writePeerState({ knownPeers: ['NODEAAAA', 'NODEBBBB'], clusterSize: 2, domainExt: 0 });
    assert.deepEqual(after.readPeerState(), { knownPeers: ['NODEAAAA', 'NODEBBBB'], clusterSize: 2, domainExt: 0 });
    after.close();
  });

  it('writes a snapshot file as Go encodeSnapshot: layout, then HighwayHash-64 keyed by sha256(group)', (t) => {
    const dir = tmp(t);
    const s = new RaftStore(dir, 'S-R3F-abc');
    s.writeSnapshot({ lastTerm: 3, lastIndex: 77, peerstate: Buffer.from('PS'), data: Buffer.from('state') });
    s.close();
    const file = readFileSync(join(dir, SNAPSHOTS_DIR, 'snap.3.77'));
    const body = Buffer.concat([Buffer.from('03000000000000004d000000000000000200000050537374617465', 'hex')]);
    assert.deepEqual(file.subarray(0, body.length), body);
    assert.deepEqual(file.subarray(body.length), highwayHash64(createHash('sha256').update('S-R3F-abc').digest(), body));
  });

  it('keeps the newest valid snapshot and drops corrupt or stray files', (t) => {
    const dir = tmp(t);
    const s = new RaftStore(dir, 'G');
    s.writeSnapshot({ lastTerm: 1, lastIndex: 5, peerstate: Buffer.from('p'), data: Buffer.from('five') });
    s.writeSnapshot({ lastTerm: 2, lastIndex: 9, peerstate: Buffer.from('p'), data: Buffer.from('nine') });
    assert.deepEqual(readdirSync(join(dir, SNAPSHOTS_DIR)), ['snap.2.9']);
    s.close();
    // an older one left behind, a newer corrupt one, and a stray file
    writeFileSync(join(dir, SNAPSHOTS_DIR, 'snap.2.12'), Buffer.alloc(40, 1));
    writeFileSync(join(dir, SNAPSHOTS_DIR, 'junk'), 'x');
    const back = new RaftStore(dir, 'G');
    const snap = back.loadLastSnapshot()!;
    assert.deepEqual([snap.lastTerm, snap.lastIndex, snap.data.toString()], [2, 9, 'nine']);
    assert.deepEqual(readdirSync(join(dir, SNAPSHOTS_DIR)), ['snap.2.9']);
    assert.equal(back.readSnapshot()!.data.toString(), 'nine');
    // another group's key does not verify it
    back.close();
    const other = new RaftStore(dir, 'OTHER');
    assert.equal(other.loadLastSnapshot(), null);
    other.close();
    assert.deepEqual(parseSnapName('snap.3.44'), { term: 3, index: 44 });
    assert.equal(parseSnapName('snap.03.44'), null);
    assert.equal(parseSnapName('snap.3.44.tmp'), null);
  });
});
