/**
 * Meta-group entries in Go's encoding (jetstream_cluster.go
 * encodeAddStreamAssignment & co.): the op byte, then the assignment as
 * json.Encoder writes it (struct field order, omitempty fields dropped, a
 * trailing newline); decoding takes what Go writes, unknown fields included.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EntryOp, decodeMetaEntry, encodeAddConsumerAssignment, encodeAddStreamAssignment, encodeDeleteConsumerAssignment,
  encodeDeleteStreamAssignment, encodeUpdateStreamAssignment, type ConsumerAssignment, type StreamAssignment,
} from '../../src/jetstream/cluster/assignments.js';
import { nodeHash } from '../../src/jetstream/cluster/meta.js';

const sa: StreamAssignment = {
  client: { acc: 'A', server: 'S1' },
  created: '2026-12-07T02:00:49.303647865Z',
  stream: { name: 'X', subjects: ['x'], num_replicas: 1 },
  group: { name: 'S-R1F-abcdefgh', peers: ['zvIETVpF'], store: 'file', cluster: 'gc' },
  sync: '$JSC.SYNC.1',
  reply: '_INBOX.r',
};

describe('meta entries (Go encoding)', () => {
  it('Go op numbers', () => {
    assert.deepEqual([EntryOp.assignStream, EntryOp.assignConsumer, EntryOp.removeStream, EntryOp.removeConsumer, EntryOp.streamMsg, EntryOp.assignCompressedConsumer, EntryOp.updateStream, EntryOp.resetSeq], [0, 1, 2, 3, 4, 9, 11, 18]);
  });

  it('stream assignment bytes as json.Encoder writes them', () => {
    const b = encodeAddStreamAssignment(sa);
    assert.equal(b[0], 0);
    assert.equal(b.subarray(1).toString(),
      '{"client":{"acc":"A","server":"S1"},"created":"2026-12-07T02:00:49.303647865Z","stream":{"name":"X","subjects":["x"],"num_replicas":1},' +
      '"group":{"name":"S-R1F-abcdefgh","peers":["zvIETVpF"],"store":"file","cluster":"gc"},"sync":"$JSC.SYNC.1","reply":"_INBOX.r"}\n');
    assert.equal(encodeUpdateStreamAssignment(sa)[0], EntryOp.updateStream);
    assert.equal(encodeDeleteStreamAssignment(sa)[0], EntryOp.removeStream);
    for (const enc of [encodeAddStreamAssignment, encodeUpdateStreamAssignment, encodeDeleteStreamAssignment]) {
      const me = decodeMetaEntry(enc(sa));
      assert.ok(me && 'sa' in me);
      assert.deepEqual(me.sa, sa);
    }
  });

  it('consumer assignment round trip; Go-only fields and bad entries', () => {
    const ca: ConsumerAssignment = { client: { acc: 'A' }, created: sa.created, name: 'D', stream: 'X', consumer: { durable_name: 'D', ack_policy: 'explicit' }, group: { name: 'C-R1F-abcdefgh', peers: ['zvIETVpF'], store: 'file' } };
    const b = encodeAddConsumerAssignment(ca);
    assert.equal(b[0], EntryOp.assignConsumer);
    assert.ok(b.subarray(1).toString().startsWith('{"client":{"acc":"A"},"created":"2026-12-07T02:00:49.303647865Z","name":"D","stream":"X","consumer":{'));
    assert.deepEqual(decodeMetaEntry(b), { op: EntryOp.assignConsumer, ca });
    assert.equal(decodeMetaEntry(encodeDeleteConsumerAssignment(ca))?.op, EntryOp.removeConsumer);
    // what Go adds (scale_up, restore_state, unknown fields) is read or ignored
    const go = Buffer.concat([Buffer.from([0]), Buffer.from('{"created":"0001-01-01T00:00:00Z","stream":{"name":"Y"},"group":{"name":"S-R3F-x","peers":["a","b","c"],"store":"memory","scale_up":true},"sync":"s","future":1}\n')]);
    const me = decodeMetaEntry(go);
    assert.ok(me && 'sa' in me);
    assert.deepEqual(me.sa.group, { name: 'S-R3F-x', peers: ['a', 'b', 'c'], store: 'memory', scale_up: true });
    assert.equal(decodeMetaEntry(Buffer.from([0, 0x7b])), null);
    assert.equal(decodeMetaEntry(Buffer.from([EntryOp.assignCompressedConsumer, 1, 2])), null);
  });

  it('node ids are Go getHash of the server name', () => {
    // values read from three Go 2.9.10 servers' /jsz (G1, G2, G3)
    assert.equal(nodeHash('G1'), 'zvIETVpF');
    assert.equal(nodeHash('G2'), 'ACfM4cYy');
    assert.equal(nodeHash('G3'), 'Dsswu71D');
  });
});
