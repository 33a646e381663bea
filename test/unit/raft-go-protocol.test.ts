/**
 * Our node as a follower of a scripted Go leader: the leader's messages are
 * built as Go's raft.go builds them (appendEntry.encode, peer state first, a
 * catch-up streamed to the follower's $NRG.CR inbox with lterm, heartbeats
 * carrying the commit), and the follower's answers are checked byte for byte
 * against what Go's processAppendEntry / processVoteRequest would send.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/raft/clock.js';
import { MemoryHub } from '../../src/raft/memory-transport.js';
import { RaftNode } from '../../src/raft/node.js';
import { RaftStore } from '../../src/raft/store.js';
import {
  EntryType, decodeAppendEntry, decodePeerState, decodeVoteRequest, encodeAppendEntry, encodeAppendEntryResponse, encodePeerState,
  encodeVoteRequest, encodeVoteResponse, type Entry,
} from '../../src/raft/messages.js';
import type { CommittedEntry } from '../../src/raft/apply-queue.js';
import { rng } from '../helpers/rng.js';

const GO = 'GOLEADR1';
const US = 'NODEF001';
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b.toString('hex');
};
const id = (s: string) => Buffer.from(s, 'latin1').toString('hex');

describe('raft node speaks Go\'s protocol', () => {
  it('follows a Go leader: acknowledges, asks for a catch-up on a gap, applies commits, votes, forwards proposals', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'raft-go-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new VirtualClock();
    const hub = new MemoryHub(clock, rng(1));
    const applied: CommittedEntry[] = [];
    const node = new RaftNode({
      group: 'G1', id: US, peers: [GO, US], store: new RaftStore(dir, 'G1', { sync: 'none', fsyncFiles: false }),
      transport: hub.endpoint(US), clock, random: rng(2), stateMachine: { apply: (ce) => { applied.push(ce); } },
    });
    t.after(() => node.stop());
    const go = hub.endpoint(GO);
    const got: { subject: string; reply: string; msg: string }[] = [];
    const inbox = '$NRG.R.goinbox1';
    go.subscribe(inbox, (subject, reply, msg) => got.push({ subject, reply, msg: msg.toString('hex') }));
    go.subscribe('$NRG.P.G1', (subject, reply, msg) => got.push({ subject, reply, msg: msg.toString() }));
    const ae = (term: number, commit: number, pterm: number, pindex: number, entries: Entry[], lterm = 0) => encodeAppendEntry({ leader: GO, term, commit, pterm, pindex, entries, lterm })!;
    const peerState = encodePeerState({ knownPeers: [GO, US], clusterSize: 2, domainExt: 0 });

    // 1. the new leader's first entry is its peer state (Go switchToLeader)
    go.publish('$NRG.AE.G1', inbox, ae(1, 0, 0, 0, [{ type: EntryType.PeerState, data: peerState }]));
    clock.advance(20);
    // success response: term = our last term, index = our last index (Go newAppendEntryResponse(n.pterm, n.pindex, n.id, true))
    assert.deepEqual(got.shift(), { subject: inbox, reply: '', msg: u64(1) + u64(1) + id(US) + '01' });
    assert.equal(node.leaderId, GO);
    assert.equal(node.term, 1);

    // 2. entries 2..5 are lost; entry 6 arrives: we ask for a catch-up with our index and a $NRG.CR inbox
    go.publish('$NRG.AE.G1', inbox, ae(1, 1, 1, 5, [{ type: EntryType.Normal, data: Buffer.from('six') }]));
    clock.advance(20);
    const ask = got.shift()!;
    assert.equal(ask.msg, u64(1) + u64(1) + id(US) + '00');
    assert.match(ask.reply, /^\$NRG\.CR\.[0-9A-Za-z]{8}$/);

    // 3. the leader streams 2..6 to that inbox, re-encoded with its term as lterm (Go runCatchup)
    const names = ['two', 'three', 'four', 'five', 'six'];
    for (let i = 2; i <= 6; i++) go.publish(ask.reply, inbox, ae(1, 1, 1, i - 1, [{ type: EntryType.Normal, data: Buffer.from(names[i - 2]) }], 1));
    clock.advance(20);
    assert.equal(got.length, 0, 'catch-up entries are never acknowledged (Go: unsafe for quorum)');
    assert.equal(node.pindex, 6);

    // 4. a heartbeat with commit 6 completes the catch-up; we acknowledge 6 and apply up to it
    go.publish('$NRG.AE.G1', inbox, ae(1, 6, 1, 6, []));
    clock.advance(20);
    assert.deepEqual(got.shift(), { subject: inbox, reply: '', msg: u64(1) + u64(6) + id(US) + '01' });
    assert.deepEqual(applied.map((ce) => [ce.index, ce.entries.map((e) => e.data.toString())]), [[1, []], [2, ['two']], [3, ['three']], [4, ['four']], [5, ['five']], [6, ['six']]]);
    assert.equal(node.progress().commit, 6);

    // 5. a Go candidate's vote request: granted, term adopted, vote persisted
    const vreply = '$NRG.R.govotes1';
    go.subscribe(vreply, (subject, reply, msg) => got.push({ subject, reply, msg: msg.toString('hex') }));
    go.publish('$NRG.V.G1', vreply, encodeVoteRequest({ term: 2, lastTerm: 1, lastIndex: 6, candidate: GO }));
    clock.advance(20);
    assert.deepEqual(got.shift(), { subject: vreply, reply: '', msg: u64(2) + id(US) + '01' });
    assert.deepEqual(node.store.readTermVote(), { term: 2, vote: GO });
    // a stale candidate with a shorter log is refused
    go.publish('$NRG.V.G1', vreply, encodeVoteRequest({ term: 3, lastTerm: 1, lastIndex: 2, candidate: 'OTHERGO1' }));
    clock.advance(20);
    assert.deepEqual(got.shift(), { subject: vreply, reply: '', msg: u64(3) + id(US) + '00' });

    // 6. an append entry from an older term is refused with our term (Go: "less than ours")
    go.publish('$NRG.AE.G1', inbox, ae(1, 6, 1, 6, []));
    clock.advance(20);
    assert.deepEqual(got.shift(), { subject: inbox, reply: '', msg: u64(3) + u64(6) + id(US) + '00' });

    // 7. a follower forwards proposals to $NRG.P.<group> with no reply (Go ForwardProposal)
    node.forwardProposal(Buffer.from('hello'));
    clock.advance(20);
    assert.deepEqual(got.shift(), { subject: '$NRG.P.G1', reply: '', msg: 'hello' });
  });

  it('leads a Go follower: campaigns with Go\'s vote request, replicates, catches it up from log and from snapshot', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'raft-go-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new VirtualClock();
    const hub = new MemoryHub(clock, rng(1));
    const LD = 'NODEL001';
    const GF = 'GOFOLLW1';
    // Go nodes do not answer pre-votes: with a Go majority our node campaigns directly
    const node = new RaftNode({
      group: 'G2', id: LD, peers: [LD, GF], preVote: false, store: new RaftStore(dir, 'G2', { sync: 'none', fsyncFiles: false }),
      transport: hub.endpoint(LD), clock, random: rng(3), stateMachine: { apply: () => {} },
    });
    t.after(() => node.stop());
    const go = hub.endpoint(GF);
    const aes: { reply: string; ae: ReturnType<typeof decodeAppendEntry>; subject: string }[] = [];
    let pterm = 0;
    let pindex = 0;
    go.subscribe('$NRG.V.G2', (_s, reply, msg) => {
      const vr = decodeVoteRequest(msg)!;
      assert.equal(vr.candidate, LD);
      go.publish(reply, '', encodeVoteResponse({ term: vr.term, peer: GF, granted: true, empty: true }));
    });
    go.subscribe('$NRG.AE.G2', (subject, reply, msg) => {
      const ae = decodeAppendEntry(msg)!;
      aes.push({ subject, reply, ae });
      // a Go follower in line acknowledges with its last term and index
      if (ae.pindex === pindex && ae.pterm === pterm) {
        if (ae.entries.length > 0) [pterm, pindex] = [ae.term, ae.pindex + 1];
        go.publish(reply, '', encodeAppendEntryResponse({ term: pterm, index: pindex, peer: GF, success: true }));
      }
    });
    assert.ok(clock.runUntil(() => node.isLeader(), 30_000), 'leader');
    // Go switchToLeader: the first entry is the peer state
    const first = aes[0].ae!;
    assert.equal(first.leader, LD);
    assert.deepEqual(first.entries.map((e) => e.type), [EntryType.PeerState]);
    assert.deepEqual(decodePeerState(first.entries[0].data)!.knownPeers.sort(), [GF, LD].sort());
    assert.match(aes[0].reply, /^\$NRG\.R\.[0-9A-Za-z]{8}$/);
    for (let i = 0; i < 5; i++) node.propose(Buffer.from('e' + i));
    assert.ok(clock.runUntil(() => node.progress().applied === node.pindex && node.pindex >= 2, 5000));
    const areply = aes[0].reply;
    const last = node.pindex;

    // the follower asks for a catch-up from index 0 with a $NRG.CR inbox
    const cr = '$NRG.CR.gofoll01';
    const streamed: ReturnType<typeof decodeAppendEntry>[] = [];
    go.subscribe(cr, (_s, reply, msg) => {
      assert.equal(reply, areply);
      streamed.push(decodeAppendEntry(msg));
    });
    go.publish(areply, cr, encodeAppendEntryResponse({ term: 0, index: 0, peer: GF, success: false }));
    clock.advance(50);
    assert.deepEqual(streamed.map((a) => a!.pindex), Array.from({ length: last }, (_, i) => i));
    assert.ok(streamed.every((a) => a!.lterm === node.term), 'each re-sent with the leader term as lterm');

    // after a snapshot the log before it is gone: the catch-up starts with the snapshot and peer state
    assert.ok(node.installSnapshot(Buffer.from('SNAPSHOT')));
    node.propose(Buffer.from('after'));
    clock.advance(50);
    streamed.length = 0;
    go.publish(areply, cr, encodeAppendEntryResponse({ term: 0, index: 0, peer: GF, success: false }));
    clock.advance(50);
    const snap = streamed[0]!;
    assert.deepEqual(snap.entries.map((e) => e.type), [EntryType.Snapshot, EntryType.PeerState]);
    assert.equal(snap.entries[0].data.toString(), 'SNAPSHOT');
    assert.equal(snap.pindex, last);
    assert.deepEqual(streamed.slice(1).map((a) => [a!.pindex, a!.entries[0].data.toString()]), [[last, 'after']]);
  });
});
