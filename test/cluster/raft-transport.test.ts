/**
 * RAFT over the server transport: three of our servers in a cluster, each
 * running one node of a test group on `$NRG.*` subjects in the system
 * account over routes, with a toy state machine (an ordered list). Elect a
 * leader, replicate proposals, stop the leader's server, re-elect, continue.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, stopAll, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { ServerRaftTransport } from '../../src/cluster/raft-transport.js';
import { RaftNode } from '../../src/raft/node.js';
import { RaftStore } from '../../src/raft/store.js';
import { EntryType } from '../../src/raft/messages.js';
import type { CommittedEntry } from '../../src/raft/apply-queue.js';
import type { RunningServer } from '../../src/index.js';

class Toy {
  log: string[] = [];
  apply(ce: CommittedEntry): void {
    for (const e of ce.entries) {
      if (e.type === EntryType.Snapshot) this.log = JSON.parse(e.data.toString()) as string[];
      else if (e.type === EntryType.Normal) this.log.push(e.data.toString());
    }
  }
}

const TIMING = { minElectionTimeout: 300, maxElectionTimeout: 700, heartbeatInterval: 100, lostQuorumInterval: 1500, lostQuorumCheck: 500, minCampaignTimeout: 20, maxCampaignTimeout: 80 };

describe('RAFT over the server transport', () => {
  it('elects, replicates, survives the leader server stopping', async () => {
    const root = mkdtempSync(join(tmpdir(), 'raft-srv-'));
    const servers: RunningServer[] = await startCluster(3);
    const ids = ['NODEAAAA', 'NODEBBBB', 'NODECCCC'];
    const machines = ids.map(() => new Toy());
    const nodes: RaftNode[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        nodes.push(new RaftNode({
          group: 'TESTG', id: ids[i], peers: ids, store: new RaftStore(join(root, ids[i]), 'TESTG'),
          transport: new ServerRaftTransport(servers[i].server), stateMachine: machines[i], timing: TIMING,
        }));
      }
      // each server sees the others' group subscriptions before anything counts
      for (const s of servers) await waitRemoteInterest(s, '$NRG.AE.TESTG', '$SYS', 5000);
      // the index of the leader among `alive`, once one is ready (waitFor wants a truthy value)
      const leaderOf = async (alive: number[], ms: number) => (await waitFor(() => {
        const i = alive.find((k) => nodes[k].isLeader());
        return i === undefined ? 0 : i + 1;
      }, ms)) - 1;
      const l1 = await leaderOf([0, 1, 2], 10000);
      for (let k = 0; k < 20; k++) assert.ok(nodes[l1].propose(Buffer.from(`a${k}`)));
      // a follower forwards its proposal to the leader ($NRG.P.<group>)
      const f = [0, 1, 2].find((i) => i !== l1)!;
      nodes[f].forwardProposal(Buffer.from('fwd'));
      await waitFor(() => machines.every((m) => m.log.length === 21), 10000);
      for (const m of machines) assert.deepEqual(m.log.slice(0, 20), Array.from({ length: 20 }, (_, k) => `a${k}`));
      assert.equal(machines[0].log[20], 'fwd');

      // stop the leader's server (and its node)
      nodes[l1].stop();
      await servers[l1].stop();
      const alive = [0, 1, 2].filter((i) => i !== l1);
      const l2 = await leaderOf(alive, 15000);
      assert.notEqual(l2, l1);
      assert.ok(nodes[l2].term > 0);
      for (let k = 0; k < 10; k++) assert.ok(nodes[l2].propose(Buffer.from(`b${k}`)));
      await waitFor(() => alive.every((i) => machines[i].log.length === 31), 10000);
      for (const i of alive) assert.deepEqual(machines[i].log, machines[l2].log);
      assert.deepEqual(machines[alive[0]].log.slice(21), Array.from({ length: 10 }, (_, k) => `b${k}`));
    } finally {
      for (const n of nodes) n.stop();
      await stopAll(servers);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
