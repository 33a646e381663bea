/**
 * Randomized RAFT schedules, as Go tests its raft: groups of 3 and 5 nodes
 * over the in-memory hub on a virtual clock (Go's timing), proposals from any
 * node, and seeded faults — drops, delays, duplicates, reordering, partitions
 * (one-way too), crashes and restarts from the WAL, leader stepdowns,
 * snapshots with compaction. Checked throughout: election safety (at most one
 * leader per term) and leader completeness (a new leader holds every entry
 * applied anywhere); at the end: log matching and state-machine safety; and
 * liveness: after healing, a leader is elected and a proposal commits on
 * every node within a bound of virtual time.
 *
 * RAFT_SEED=<n> replays one schedule (with the same RAFT_CHAOS_MS / RAFT_HARSH); RAFT_SCHEDULES=<n> runs more (seeds from
 * RAFT_SEED_BASE, default 1000).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RaftCluster, type Member } from '../helpers/raft-cluster.js';

const SCHEDULES = Number(process.env.RAFT_SCHEDULES ?? 60);
const ONE = process.env.RAFT_SEED !== undefined ? Number(process.env.RAFT_SEED) : null;
const BASE = Number(process.env.RAFT_SEED_BASE ?? 1000);
const CHAOS_MS = Number(process.env.RAFT_CHAOS_MS ?? 120_000);
/** RAFT_HARSH=<k> multiplies the drop, duplicate and reorder rates by k. */
const HARSH = Number(process.env.RAFT_HARSH ?? 1);
const LIVENESS_MS = 60_000;

function pick<T>(r: () => number, xs: T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

const liveMs: number[] = [];

function runSchedule(seed: number): { violations: string[]; stats: string } {
  const size = seed % 2 === 0 ? 3 : 5;
  // one schedule in four runs without pre-vote: safety must not depend on it
  const preVote = seed % 4 !== 3;
  const c = new RaftCluster({ size, seed, preVote });
  const r = c.random;
  let proposals = 0;
  let faults = 0;
  let memberships = 0;
  const removing = new Set<Member>();
  try {
    const end = c.clock.now() + CHAOS_MS;
    while (c.clock.now() < end) {
      c.clock.advance(100 + Math.floor(r() * 900));
      c.maybeSnapshot(25);
      // a removal that committed: stop that node for good
      const rl = c.readyLeader();
      for (const m of removing) {
        if (rl && !rl.node!.membershipChangeInProgress() && !rl.node!.peerNames().includes(m.id)) {
          c.retire(m);
          removing.delete(m);
        }
      }
      const x = r();
      const down = c.active().filter((m) => m.node === null);
      const maxDown = Math.floor((c.active().length - 1) / 2);
      if (x < 0.4) {
        const n = 1 + Math.floor(r() * 5);
        for (let i = 0; i < n && c.live().length > 0; i++, proposals++) c.propose();
      } else if (x < 0.48) {
        if (down.length < maxDown) {
          c.crash(pick(r, c.live()));
          faults++;
        }
      } else if (x < 0.58) {
        if (down.length > 0) c.start(pick(r, down));
      } else if (x < 0.66) {
        const y = r();
        const ids = c.ids;
        if (y < 0.4) {
          const shuffled = [...ids].sort(() => r() - 0.5);
          const k = 1 + Math.floor(r() * (ids.length - 1));
          c.hub.partition([shuffled.slice(0, k), shuffled.slice(k)]);
        } else if (y < 0.7) {
          const a = pick(r, ids);
          const b = pick(r, ids.filter((i) => i !== a));
          c.hub.block(a, b); // one-way
        } else c.hub.isolate(pick(r, ids), ids);
        faults++;
      } else if (x < 0.76) {
        c.hub.heal();
      } else if (x < 0.84) {
        c.hub.faults = {
          drop: r() < 0.5 ? 0 : Math.min(0.5, r() * 0.1 * HARSH),
          duplicate: r() < 0.5 ? 0 : Math.min(0.5, r() * 0.05 * HARSH),
          minDelay: 1,
          maxDelay: 1 + Math.floor(r() * 40),
          reorder: r() < 0.7 ? 0 : Math.min(0.5, r() * 0.05 * HARSH),
        };
        faults++;
      } else if (x < 0.88) {
        const l = c.leader();
        if (l) l.node!.stepDown(r() < 0.5 ? pick(r, c.ids) : '');
      } else if (x < 0.91) {
        // the upper layer pauses applies on a follower (Go PauseApply during a stream catch-up) ...
        const f = c.live().filter((m) => m.node!.state === 'follower');
        if (f.length > 0) pick(r, f).node!.pauseApply();
      } else if (x < 0.94) {
        // ... and resumes them
        for (const m of c.live()) m.node!.resumeApply();
      } else if (x < 0.96) {
        // membership: remove a follower (down to 3 voters) or add a new, empty node (up to 5)
        const l = c.readyLeader();
        const n = c.active().length;
        if (l && removing.size === 0 && !l.node!.membershipChangeInProgress()) {
          if (n > 3 && r() < 0.5) {
            const victim = pick(r, c.active().filter((m) => m !== l));
            if (l.node!.proposeRemovePeer(victim.id)) {
              removing.add(victim);
              memberships++;
            }
          } else if (n < 5 && c.members.length < 12) {
            c.addMember();
            memberships++;
          }
        }
      }
    }
    // heal everything and check liveness
    c.hub.heal();
    c.hub.faults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 5, reorder: 0 };
    for (const m of c.active()) if (!m.node) c.start(m);
    for (const m of c.live()) m.node!.resumeApply();
    // Liveness: within the bound, a leader is elected and a proposal commits
    // on every node. A proposal can reach a deposed leader that does not know
    // it yet and be lost, so it is retried every 2 s as a client would.
    const t0 = c.clock.now();
    const deadline = t0 + LIVENESS_MS;
    let ok = false;
    const tried: string[] = [];
    while (!ok && c.clock.now() < deadline) {
      if (!c.clock.runUntil(() => c.readyLeader() !== null, deadline - c.clock.now(), 50)) break;
      tried.push(c.propose(c.readyLeader() as Member));
      ok = c.clock.runUntil(() => tried.some((q) => c.appliedBy(q, c.active())), Math.min(2000, deadline - c.clock.now()), 50);
    }
    if (!ok) c.violations.push(`liveness: no proposal applied everywhere within ${LIVENESS_MS} ms of healing: ${JSON.stringify(c.active().map((m) => [m.id, m.node!.state, m.node!.term, m.node!.progress(), m.node!.peerNames().length]))}`);
    else liveMs.push(c.clock.now() - t0);
    c.checkLogMatching();
    c.checkStateMachines();
    const terms = c.leaders.size;
    return { violations: c.violations, stats: `size ${size}${preVote ? '' : ' (no pre-vote)'}, ${proposals} proposals, ${faults} faults, ${memberships} membership changes, ${terms} leader terms, ${c.appliedAt.size} entries applied, ${c.hub.stats.delivered} messages` };
  } finally {
    c.close();
  }
}

describe('raft randomized schedules', () => {
  after(() => {
    if (liveMs.length > 0) console.log(`raft schedules: ${liveMs.length} healed; time to a commit everywhere after healing: max ${Math.max(...liveMs)} ms, mean ${Math.round(liveMs.reduce((a, b) => a + b, 0) / liveMs.length)} ms (virtual)`);
  });
  const seeds = ONE !== null ? [ONE] : Array.from({ length: SCHEDULES }, (_, i) => BASE + i);
  for (const seed of seeds) {
    it(`seed ${seed}`, () => {
      const { violations, stats } = runSchedule(seed);
      if (violations.length > 0) console.log(`RAFT_SEED=${seed} fails (${stats}):\n  ${violations.slice(0, 10).join('\n  ')}`);
      if (process.env.RAFT_VERBOSE) console.log(`seed ${seed}: ${stats}`);
      assert.deepEqual(violations, [], `replay with RAFT_SEED=${seed}`);
    });
  }
});
