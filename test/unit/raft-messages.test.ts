/**
 * RAFT message encodings against byte fixtures written out by reading Go's
 * encoders in raft.go (appendEntry.encode, appendEntryResponse.encode,
 * voteRequest.encode, voteResponse.encode, encodePeerState,
 * raft.encodeSnapshot, writeTermVote), round trips, and malformed input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EntryType, entryTypeName, encodeAppendEntry, decodeAppendEntry, encodeAppendEntryResponse,
  decodeAppendEntryResponse, encodeVoteRequest, decodeVoteRequest, encodeVoteResponse,
  decodeVoteResponse, encodePeerState, decodePeerState, encodeSnapshot, decodeSnapshot,
  encodeTermVote, decodeTermVote, type AppendEntry,
} from '../../src/raft/messages.js';
import { rng } from '../helpers/rng.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b.toString('hex');
};

describe('raft messages', () => {
  it('numbers entry types as Go EntryType (iota order)', () => {
    assert.deepEqual(
      [EntryType.Normal, EntryType.OldSnapshot, EntryType.PeerState, EntryType.AddPeer, EntryType.RemovePeer, EntryType.LeaderTransfer, EntryType.Snapshot, EntryType.Catchup],
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(entryTypeName(5), 'LeaderTransfer');
    assert.equal(entryTypeName(42), 'Unknown [42]');
  });

  it('encodes an append entry as Go appendEntry.encode', () => {
    const ae: AppendEntry = {
      leader: 'ABCDEFGH', term: 2, commit: 1, pterm: 1, pindex: 3, lterm: 0,
      entries: [{ type: EntryType.Normal, data: Buffer.from('hi') }, { type: EntryType.AddPeer, data: Buffer.from('PEER0001') }],
    };
    const want = hex(
      '4142434445464748' + // leader id
      '0200000000000000' + // term
      '0100000000000000' + // commit
      '0100000000000000' + // pterm
      '0300000000000000' + // pindex
      '0200' + // 2 entries
      '03000000' + '00' + '6869' + // len(1+2), EntryNormal, "hi"
      '09000000' + '03' + '5045455230303031' + // len(1+8), EntryAddPeer, "PEER0001"
      '00', // lterm uvarint 0
    );
    assert.deepEqual(encodeAppendEntry(ae), want);
    const back = decodeAppendEntry(want)!;
    assert.equal(back.leader, 'ABCDEFGH');
    assert.deepEqual([back.term, back.commit, back.pterm, back.pindex, back.lterm], [2, 1, 1, 3, 0]);
    assert.deepEqual(back.entries.map((e) => [e.type, e.data.toString()]), [[0, 'hi'], [3, 'PEER0001']]);
  });

  it('appends lterm as a uvarint and reads it back; old encodings without it decode with lterm 0', () => {
    const ae: AppendEntry = { leader: 'ABCDEFGH', term: 1, commit: 0, pterm: 0, pindex: 0, lterm: 300, entries: [] };
    const b = encodeAppendEntry(ae)!;
    assert.equal(b.length, 42 + 2);
    assert.deepEqual(b.subarray(42), hex('ac02'));
    assert.equal(decodeAppendEntry(b)!.lterm, 300);
    assert.equal(decodeAppendEntry(b.subarray(0, 42))!.lterm, 0); // a heartbeat from a Go node before lterm
    // a bad uvarint tail is ignored, as Go ignores it
    assert.equal(decodeAppendEntry(Buffer.concat([b.subarray(0, 42), hex('ff')]))!.lterm, 0);
  });

  it('refuses what Go refuses to encode', () => {
    const base: AppendEntry = { leader: 'ABC', term: 1, commit: 0, pterm: 0, pindex: 0, lterm: 0, entries: [] };
    assert.equal(encodeAppendEntry(base), null); // leader not 8 bytes
    assert.notEqual(encodeAppendEntry({ ...base, leader: '' }), null); // empty leader is allowed
    const many = Array.from({ length: 65536 }, () => ({ type: 0, data: Buffer.alloc(0) }));
    assert.equal(encodeAppendEntry({ ...base, leader: 'ABCDEFGH', entries: many }), null);
    assert.equal(encodeAppendEntry({ ...base, leader: 'ABCDEFGH', term: -1 }), null);
  });

  it('encodes the append entry response, vote request and vote response as Go', () => {
    assert.deepEqual(
      encodeAppendEntryResponse({ term: 7, index: 0x0102030405, peer: 'S1S1S1S1', success: true }),
      hex(u64(7) + u64(0x0102030405) + '5331533153315331' + '01'),
    );
    assert.deepEqual(decodeAppendEntryResponse(hex(u64(7) + u64(9) + '5331533153315331' + '00')), { term: 7, index: 9, peer: 'S1S1S1S1', success: false });
    // Go: success only when byte 24 == 1
    assert.equal(decodeAppendEntryResponse(hex(u64(7) + u64(9) + '5331533153315331' + '02'))!.success, false);

    assert.deepEqual(encodeVoteRequest({ term: 3, lastTerm: 2, lastIndex: 10, candidate: 'CANDIDAT' }), hex(u64(3) + u64(2) + u64(10) + Buffer.from('CANDIDAT').toString('hex')));
    assert.deepEqual(decodeVoteRequest(encodeVoteRequest({ term: 3, lastTerm: 2, lastIndex: 10, candidate: 'CANDIDAT' })), { term: 3, lastTerm: 2, lastIndex: 10, candidate: 'CANDIDAT' });

    assert.deepEqual(encodeVoteResponse({ term: 4, peer: 'VOTER001', granted: true, empty: true }), hex(u64(4) + Buffer.from('VOTER001').toString('hex') + '03'));
    assert.deepEqual(encodeVoteResponse({ term: 4, peer: 'VOTER001', granted: false, empty: true }).subarray(16), hex('02'));
    assert.deepEqual(decodeVoteResponse(hex(u64(4) + Buffer.from('VOTER001').toString('hex') + '01')), { term: 4, peer: 'VOTER001', granted: true, empty: false });
  });

  it('encodes peer state as Go encodePeerState, decodes the form without the extension field', () => {
    const ps = { knownPeers: ['AAAAAAAA', 'BBBBBBBB'], clusterSize: 3, domainExt: 2 };
    const want = hex('03000000' + '02000000' + '4141414141414141' + '4242424242424242' + '0200');
    assert.deepEqual(encodePeerState(ps), want);
    assert.deepEqual(decodePeerState(want), ps);
    assert.deepEqual(decodePeerState(want.subarray(0, want.length - 2)), { ...ps, domainExt: 0 });
    assert.equal(decodePeerState(want.subarray(0, 7)), null);
    assert.equal(decodePeerState(want.subarray(0, 20)), null); // says 2 peers, holds 1.5
    assert.equal(decodePeerState(hex('03000000' + 'ffffffff')), null);
  });

  it('lays out a snapshot as Go encodeSnapshot and rejects a bad checksum', () => {
    const sum = (b: Buffer) => {
      const out = Buffer.alloc(8);
      for (let i = 0; i < b.length; i++) out[i % 8] ^= b[i];
      return out;
    };
    const snap = { lastTerm: 5, lastIndex: 100, peerstate: Buffer.from('PS'), data: Buffer.from('DATA') };
    const enc = encodeSnapshot(snap, sum);
    const body = hex(u64(5) + u64(100) + '02000000' + '5053' + '44415441');
    assert.deepEqual(enc.subarray(0, body.length), body);
    assert.equal(enc.length, 28 + 2 + 4);
    const dec = decodeSnapshot(enc, sum)!;
    assert.deepEqual([dec.lastTerm, dec.lastIndex, dec.peerstate.toString(), dec.data.toString()], [5, 100, 'PS', 'DATA']);
    const bad = Buffer.from(enc);
    bad[21] ^= 1;
    assert.equal(decodeSnapshot(bad, sum), null);
    assert.equal(decodeSnapshot(enc.subarray(0, 27), sum), null);
    // a peer state length beyond the body (Go would slice out of range) is refused
    const liar = Buffer.from(body);
    liar.writeUInt32LE(1000, 16);
    assert.equal(decodeSnapshot(Buffer.concat([liar, sum(liar)]), sum), null);
  });

  it('writes term and vote as Go writeTermVote (tav.idx)', () => {
    assert.deepEqual(encodeTermVote(9, 'VOTEDFOR'), hex(u64(9) + Buffer.from('VOTEDFOR').toString('hex')));
    assert.deepEqual(encodeTermVote(9, ''), hex(u64(9)));
    assert.deepEqual(decodeTermVote(encodeTermVote(9, 'VOTEDFOR')), { term: 9, vote: 'VOTEDFOR' });
    assert.deepEqual(decodeTermVote(hex(u64(9))), { term: 9, vote: '' });
    assert.deepEqual(decodeTermVote(hex('0102')), { term: 0, vote: '' });
  });

  it('round-trips random append entries', () => {
    const r = rng(7);
    for (let i = 0; i < 500; i++) {
      const entries = Array.from({ length: Math.floor(r() * 5) }, () => ({ type: Math.floor(r() * 7), data: Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256))) }));
      const ae: AppendEntry = {
        leader: 'NODE' + String(i % 10000).padStart(4, '0'),
        term: Math.floor(r() * 2 ** 40), commit: Math.floor(r() * 2 ** 53), pterm: Math.floor(r() * 1000),
        pindex: Math.floor(r() * 2 ** 32), lterm: r() < 0.5 ? 0 : Math.floor(r() * 2 ** 50), entries,
      };
      const back = decodeAppendEntry(encodeAppendEntry(ae)!)!;
      assert.deepEqual({ ...back, entries: back.entries.map((e) => [e.type, [...e.data]]) }, { ...ae, entries: ae.entries.map((e) => [e.type, [...e.data]]) });
    }
  });

  it('never throws on malformed input: every truncation and random bytes give null or a value', () => {
    const ae = encodeAppendEntry({
      leader: 'ABCDEFGH', term: 2, commit: 1, pterm: 1, pindex: 3, lterm: 5,
      entries: [{ type: 0, data: Buffer.from('hello') }, { type: 2, data: Buffer.from('x') }],
    })!;
    for (let cut = 0; cut < ae.length; cut++) {
      const d = decodeAppendEntry(ae.subarray(0, cut));
      // cutting inside the entries must fail; only the lterm tail may go
      if (cut < ae.length - 1) assert.equal(d, null, `cut ${cut}`);
    }
    // an entry length of 0 is malformed in Go (ml <= 0)
    const zero = Buffer.from(ae);
    zero.writeUInt32LE(0, 42);
    assert.equal(decodeAppendEntry(zero), null);
    // a uint64 beyond 2^53 is refused rather than rounded
    const huge = Buffer.from(ae);
    huge.fill(0xff, 8, 16);
    assert.equal(decodeAppendEntry(huge), null);
    const r = rng(11);
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(Array.from({ length: Math.floor(r() * 80) }, () => Math.floor(r() * 256)));
      decodeAppendEntry(b);
      decodeAppendEntryResponse(b);
      decodeVoteRequest(b);
      decodeVoteResponse(b);
      decodePeerState(b);
      decodeSnapshot(b, (x) => x.subarray(0, 8));
      decodeTermVote(b);
    }
    for (const [dec, n] of [[decodeAppendEntryResponse, 25], [decodeVoteRequest, 32], [decodeVoteResponse, 17]] as const) {
      assert.equal(dec(Buffer.alloc(n - 1)), null);
      assert.equal(dec(Buffer.alloc(n + 1)), null);
      assert.notEqual(dec(Buffer.alloc(n)), null);
    }
  });
});
