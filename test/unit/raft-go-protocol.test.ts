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
import { EntryType, encodeAppendEntry, encodePeerState, encodeVoteRequest, type Entry } from '../../src/raft/messages.js';
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
});
