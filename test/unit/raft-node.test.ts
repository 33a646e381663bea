/**
 * Targeted RAFT node tests over the in-memory hub on a virtual clock (Go's
 * timing): election, replication, pre-vote keeping a rejoining node from
 * deposing a stable leader, snapshot catch-up of a wiped follower, add and
 * remove peer, stepdown with leader transfer, an observer that never leads or
 * votes, restart from the WAL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { RaftCluster } from '../helpers/raft-cluster.js';

function cluster(t: { after: (fn: () => void) => void }, size: number, seed = 1, extra: Partial<ConstructorParameters<typeof RaftCluster>[0]> = {}): RaftCluster {
  const c = new RaftCluster({ size, seed, ...extra });
  t.after(() => c.close());
  return c;
}

describe('raft node', () => {
  it('elects one leader in Go\'s election timeout range and replicates proposals', (t) => {
    const c = cluster(t, 3);
    const t0 = c.clock.now();
    const l = c.waitLeader(30_000);
    assert.ok(l, 'a leader');
    const took = c.clock.now() - t0;
    assert.ok(took >= 4000, `no election before the 4 s minimum timeout (${took} ms)`);
    const ps: string[] = [];
    for (let i = 0; i < 20; i++) ps.push(c.propose());
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, c.members)), 10_000));
    c.checkLogMatching();
    c.checkStateMachines();
    assert.deepEqual(c.violations, []);
    for (const m of c.members) assert.equal(m.node!.leaderId, l.id);
    const health = l.node!.peers();
    assert.equal(health.length, 3);
    assert.ok(health.every((p) => p.current && p.lag === 0), JSON.stringify(health));
  });
});

describe('raft node: pre-vote', () => {
  for (const preVote of [true, false]) {
    it(`${preVote ? 'keeps' : 'without pre-vote, does not keep'} a partitioned node from deposing a stable leader on rejoin`, (t) => {
      const c = cluster(t, 3, 5, { preVote });
      const l = c.waitLeader()!;
      assert.ok(l);
      const term = l.node!.term;
      const lone = c.members.find((m) => m !== l)!;
      c.hub.isolate(lone.id, c.ids);
      c.clock.advance(60_000); // many election timeouts alone
      if (preVote) assert.equal(lone.node!.term, term, 'an isolated node does not raise its term');
      else assert.ok(lone.node!.term > term + 3, 'without pre-vote its term climbs');
      c.hub.heal();
      c.clock.advance(20_000);
      const now = c.readyLeader();
      assert.ok(now);
      if (preVote) {
        assert.equal(now.id, l.id, 'the same leader');
        assert.equal(now.node!.term, term, 'in the same term');
        assert.equal(lone.node!.leaderId, l.id);
      } else {
        assert.ok(now.node!.term > term, 'the rejoining node forced a new election');
      }
      const p = c.propose();
      assert.ok(c.clock.runUntil(() => c.appliedBy(p, c.members), 20_000));
      assert.deepEqual(c.violations, []);
    });
  }
});

describe('raft node: snapshots and catch-up', () => {
  it('catches up a wiped follower from the leader\'s snapshot and log', (t) => {
    const c = cluster(t, 3, 7);
    const l = c.waitLeader()!;
    const ps: string[] = [];
    for (let i = 0; i < 60; i++) {
      ps.push(c.propose(l));
      c.clock.advance(20);
    }
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, c.members)), 10_000));
    for (const m of c.members) assert.ok(m.node!.installSnapshot(m.sm.snapshot()), `snapshot on ${m.id}`);
    assert.ok(l.node!.store.wal.firstIndex > 2, 'compacted');
    for (let i = 0; i < 10; i++) ps.push(c.propose(l));
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, c.members)), 10_000));
    const f = c.members.find((m) => m !== l)!;
    c.wipe(f);
    for (let i = 0; i < 5; i++) ps.push(c.propose(l));
    c.clock.advance(1000);
    c.start(f);
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, [f])), 30_000), 'wiped follower has everything');
    assert.equal(f.node!.papplied > 0, true, 'it installed the leader\'s snapshot');
    assert.deepEqual(f.sm.log.map((x) => x[1]), l.sm.log.map((x) => x[1]));
    c.checkLogMatching();
    c.checkStateMachines();
    assert.deepEqual(c.violations, []);
  });

  it('restarts every node from its WAL and snapshot with the same state', (t) => {
    const c = cluster(t, 3, 8);
    const l = c.waitLeader()!;
    const ps: string[] = [];
    for (let i = 0; i < 30; i++) ps.push(c.propose(l));
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, c.members)), 10_000));
    c.members[1].node!.installSnapshot(c.members[1].sm.snapshot());
    for (let i = 0; i < 10; i++) ps.push(c.propose(l));
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, c.members)), 10_000));
    const before = c.members.map((m) => m.sm.log.map((x) => x[1]));
    for (const m of c.members) c.crash(m);
    for (const m of c.members) c.start(m);
    assert.ok(c.waitLeader(), 'a leader after a full restart');
    assert.ok(c.clock.runUntil(() => c.members.every((m, i) => m.sm.log.length >= before[i].length), 20_000));
    for (let i = 0; i < 3; i++) assert.deepEqual(c.members[i].sm.log.map((x) => x[1]), before[i]);
    const p = c.propose();
    assert.ok(c.clock.runUntil(() => c.appliedBy(p, c.members), 20_000));
    assert.deepEqual(c.violations, []);
  });
});

describe('raft node: membership, stepdown, observer', () => {
  it('adds a peer (it catches up, then counts) and removes one', (t) => {
    const c = cluster(t, 4, 9);
    // start with 3 members; the 4th is started later with the full peer list
    const extra = c.members[3];
    c.crash(extra);
    c.wipe(extra);
    for (const m of c.members.slice(0, 3)) {
      m.node!.stop();
      rmDir(m.dir);
      m.node = null;
      c.start(m, c.ids.slice(0, 3));
    }
    const l = c.waitLeader()!;
    assert.equal(l.node!.clusterSize, 3);
    const ps = [c.propose(l), c.propose(l)];
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, c.members.slice(0, 3))), 10_000));
    c.start(extra, c.ids);
    assert.ok(c.clock.runUntil(() => l.node!.clusterSize === 4 && extra.node!.clusterSize === 4, 30_000), 'added');
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, [extra])), 10_000));
    assert.equal(l.node!.quorumNeeded, 3);
    // remove a follower
    const gone = c.members.slice(0, 3).find((m) => m !== l)!;
    assert.ok(l.node!.proposeRemovePeer(gone.id));
    assert.ok(c.clock.runUntil(() => l.node!.clusterSize === 3 && !l.node!.peerNames().includes(gone.id), 10_000), 'removed');
    c.crash(gone);
    const p = c.propose(l);
    assert.ok(c.clock.runUntil(() => c.appliedBy(p, c.live()), 10_000));
    assert.deepEqual(c.violations, []);
  });

  it('steps down to a preferred peer with a leader transfer entry', (t) => {
    const c = cluster(t, 3, 10);
    const l = c.waitLeader()!;
    c.clock.advance(3000); // heartbeats: peers are known healthy
    const want = c.members.find((m) => m !== l)!;
    const term = l.node!.term;
    assert.ok(l.node!.stepDown(want.id));
    assert.ok(c.clock.runUntil(() => c.readyLeader() !== null, 10_000));
    assert.equal(c.readyLeader()!.id, want.id);
    assert.ok(c.readyLeader()!.node!.term > term);
    assert.ok(c.clock.now() > 0);
    assert.deepEqual(c.violations, []);
  });

  it('an observer never leads and does not vote', (t) => {
    const c = cluster(t, 3, 11, { observers: 1 });
    const obs = c.members[2];
    const l = c.waitLeader()!;
    assert.notEqual(l.id, obs.id);
    const p = c.propose();
    assert.ok(c.clock.runUntil(() => c.appliedBy(p, c.members), 10_000), 'the observer replicates');
    // with one voter down, the remaining voter cannot win: the observer withholds its vote
    const other = c.members.find((m) => m !== l && m !== obs)!;
    c.crash(l);
    c.clock.advance(120_000);
    assert.equal(c.readyLeader(), null, 'no leader from one voter and an observer');
    assert.equal(other.node!.state === 'leader', false);
    c.start(l);
    assert.ok(c.waitLeader(), 'a leader once two voters are up');
    assert.notEqual(c.readyLeader()!.id, obs.id);
    assert.deepEqual(c.violations, []);
  });
});

function rmDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
}

describe('raft node: timing, quorum, apply queue', () => {
  it('elects a new leader within Go\'s election timeout after the leader dies, and a cut-off leader steps down', (t) => {
    const c = cluster(t, 3, 12);
    const l = c.waitLeader()!;
    c.clock.advance(2000);
    c.crash(l);
    const t0 = c.clock.now();
    assert.ok(c.clock.runUntil(() => c.readyLeader() !== null, 30_000, 10));
    const took = c.clock.now() - t0;
    // a follower campaigns when its 4-9 s timer fires (counted from the last heartbeat)
    assert.ok(took >= 2500 && took <= 9000 + 1000, `new leader after ${took} ms`);
    c.start(l);
    const l2 = c.waitLeader()!;
    c.hub.isolate(l2.id, c.ids);
    const t1 = c.clock.now();
    assert.ok(c.clock.runUntil(() => l2.node!.state !== 'leader', 30_000, 10));
    const stepped = c.clock.now() - t1;
    // Go: lost quorum after 10 s without hearing from a quorum, checked every 10 s
    assert.ok(stepped >= 10_000 && stepped <= 20_000 + 10, `stepped down after ${stepped} ms`);
    assert.equal(l2.node!.quorum(), false);
    assert.deepEqual(c.violations, []);
  });

  it('a lagging follower catches up from the log when it comes back', (t) => {
    const c = cluster(t, 5, 13);
    const l = c.waitLeader()!;
    const f = c.members.find((m) => m !== l)!;
    c.hub.isolate(f.id, c.ids);
    const ps: string[] = [];
    for (let i = 0; i < 40; i++) {
      ps.push(c.propose(l));
      c.clock.advance(50);
    }
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, c.members.filter((m) => m !== f))), 10_000));
    assert.ok(f.node!.pindex < l.node!.pindex);
    c.hub.heal();
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, [f])), 20_000));
    assert.equal(f.node!.papplied, 0, 'no snapshot was needed');
    c.checkLogMatching();
    assert.deepEqual(c.violations, []);
  });

  it('a slow state machine does not hold up replication or commits', async (t) => {
    const c = cluster(t, 3, 14);
    const l = c.waitLeader()!;
    const slow = c.members.find((m) => m !== l)!;
    // this follower's state machine takes 1 s (virtual) per entry
    const inner = slow.sm.apply.bind(slow.sm);
    slow.sm.apply = (ce) => new Promise<void>((resolve) => c.clock.setTimer(1000, () => {
      inner(ce);
      resolve();
    }));
    const ps: string[] = [];
    for (let i = 0; i < 10; i++) {
      ps.push(c.propose(l));
      c.clock.advance(20);
    }
    const step = async (ms: number) => {
      for (let k = 0; k < ms / 10; k++) {
        c.clock.advance(10);
        await new Promise((r) => setImmediate(r));
      }
    };
    await step(1000);
    const others = c.members.filter((m) => m !== slow);
    assert.ok(ps.every((p) => c.appliedBy(p, others)), 'the others applied everything');
    const pr = slow.node!.progress();
    assert.equal(pr.commit, l.node!.commit, 'the slow follower has the commit');
    assert.equal(pr.index, l.node!.pindex, 'and every entry');
    assert.ok(pr.applied < pr.commit, `but has not applied them yet (${pr.applied} < ${pr.commit})`);
    assert.equal(slow.node!.current(), false, 'so it is not current');
    await step(15_000);
    assert.ok(ps.every((p) => c.appliedBy(p, [slow])), 'it catches up in its own time');
    assert.equal(slow.node!.progress().applied, slow.node!.progress().commit);
    assert.equal(slow.node!.current(), true);
    assert.deepEqual(c.violations, []);
  });
});

describe('raft node: cluster size and sent snapshots', () => {
  it('adjusts the cluster size (leader) and replicates a snapshot entry that replaces the state', (t) => {
    const c = cluster(t, 3, 15);
    const l = c.waitLeader()!;
    assert.equal(c.members[0].node!.adjustBootClusterSize(5), false, 'not once a leader was seen');
    assert.ok(l.node!.adjustClusterSize(2));
    assert.equal(l.node!.quorumNeeded, 2);
    assert.ok(c.clock.runUntil(() => c.members.every((m) => m.node!.clusterSize === 2), 5000), 'followers take the peer state');
    assert.ok(l.node!.adjustClusterSize(3));
    const p = c.propose(l);
    assert.ok(c.clock.runUntil(() => c.appliedBy(p, c.members), 5000));
    assert.ok(l.node!.sendSnapshot(Buffer.from(JSON.stringify([['1.0', 'restored']]))));
    assert.ok(c.clock.runUntil(() => c.members.every((m) => m.sm.log.length === 1 && m.sm.log[0][1] === 'restored'), 5000));
  });
});

describe('raft node: paused applies', () => {
  it('holds commits back while paused, applies them on resume, and a paused node does not campaign', (t) => {
    const c = cluster(t, 3, 16);
    const l = c.waitLeader()!;
    const f = c.members.find((m) => m !== l)!;
    assert.equal(l.node!.pauseApply(), false, 'a leader cannot pause');
    assert.ok(f.node!.pauseApply());
    const ps = [c.propose(l), c.propose(l), c.propose(l)];
    const others = c.members.filter((m) => m !== f);
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, others)), 5000));
    c.clock.advance(2000);
    assert.equal(ps.some((p) => c.appliedBy(p, [f])), false, 'nothing applied while paused');
    assert.equal(f.node!.pindex, l.node!.pindex, 'but everything stored');
    // the leader goes away: the paused follower stays out of the election
    c.crash(l);
    c.clock.advance(30_000);
    assert.notEqual(f.node!.state, 'leader');
    f.node!.resumeApply();
    assert.ok(c.clock.runUntil(() => ps.every((p) => c.appliedBy(p, [f])), 5000), 'applied after resume');
    c.start(l);
    assert.ok(c.waitLeader());
    assert.deepEqual(c.violations, []);
  });
});
