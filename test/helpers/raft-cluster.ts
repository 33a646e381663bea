/**
 * A RAFT group for tests, in the manner of Go's raft_helpers_test.go: N nodes
 * over the in-memory hub on a virtual clock, each running a small replicated
 * state machine (an ordered list of applied payloads, like Go's stateAdder
 * but able to show order), with checkers for the Raft safety properties:
 * election safety (one leader per term), log matching, leader completeness
 * and state-machine safety (same entry applied at the same index everywhere).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/raft/clock.js';
import { MemoryHub } from '../../src/raft/memory-transport.js';
import { RaftNode } from '../../src/raft/node.js';
import { RaftStore } from '../../src/raft/store.js';
import { EntryType } from '../../src/raft/messages.js';
import type { CommittedEntry } from '../../src/raft/apply-queue.js';
import type { RaftTiming, StateMachine } from '../../src/raft/config.js';
import { rng } from './rng.js';

/** Position of an applied payload: log index and place in that index's batch. */
export type Pos = string;

export class ListMachine implements StateMachine {
  log: [Pos, string][] = [];
  leader = false;
  constructor(private readonly onApply: (pos: Pos, payload: string) => void) {}
  apply(ce: CommittedEntry): void {
    let k = 0;
    for (const e of ce.entries) {
      if (e.type === EntryType.Snapshot) {
        this.log = JSON.parse(e.data.toString()) as [Pos, string][];
        for (const [i, p] of this.log) this.onApply(i, p);
      } else if (e.type === EntryType.Normal) {
        const p = e.data.toString();
        const pos = `${ce.index}.${k++}`;
        this.log.push([pos, p]);
        this.onApply(pos, p);
      }
    }
  }
  leaderChange(isLeader: boolean): void {
    this.leader = isLeader;
  }
  snapshot(): Buffer {
    return Buffer.from(JSON.stringify(this.log));
  }
}

export interface Member {
  id: string;
  node: RaftNode | null;
  sm: ListMachine;
  dir: string;
  observer: boolean;
  /** Removed from the group and stopped for good. */
  retired: boolean;
}

export interface ClusterOptions {
  size: number;
  seed: number;
  preVote?: boolean;
  timing?: Partial<RaftTiming>;
  observers?: number;
}

export class RaftCluster {
  readonly clock = new VirtualClock();
  readonly hub: MemoryHub;
  readonly random: () => number;
  readonly members: Member[] = [];
  readonly root: string;
  readonly violations: string[] = [];
  /** term -> leader id */
  readonly leaders = new Map<number, string>();
  /** position -> payload applied there (by anyone) */
  readonly appliedAt = new Map<Pos, string>();
  readonly opts: ClusterOptions;
  proposed = 0;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.random = rng(opts.seed);
    this.hub = new MemoryHub(this.clock, rng(opts.seed ^ 0x5eed));
    this.root = mkdtempSync(join(tmpdir(), 'raft-cluster-'));
    const ids = Array.from({ length: opts.size }, (_, i) => `NODE${String(i + 1).padStart(4, '0')}`);
    for (let i = 0; i < ids.length; i++) {
      const m: Member = { id: ids[i], node: null, sm: this.machine(), dir: join(this.root, ids[i]), observer: i >= opts.size - (opts.observers ?? 0), retired: false };
      this.members.push(m);
    }
    for (const m of this.members) this.start(m, ids);
  }

  /** Ids of the members that are not retired. */
  get ids(): string[] {
    return this.members.filter((m) => !m.retired).map((m) => m.id);
  }

  /** A new, empty member that joins the group (the leader adds peers it hears from). */
  addMember(): Member {
    const id = `NODE${String(this.members.length + 1).padStart(4, '0')}`;
    const m: Member = { id, node: null, sm: this.machine(), dir: join(this.root, id), observer: false, retired: false };
    this.members.push(m);
    this.start(m, this.ids);
    return m;
  }

  /** Stop a member for good (after its removal committed). */
  retire(m: Member): void {
    this.crash(m);
    m.retired = true;
  }

  /** Members that should be running (not retired). */
  active(): Member[] {
    return this.members.filter((m) => !m.retired);
  }

  private machine(): ListMachine {
    return new ListMachine((pos, payload) => {
      const seen = this.appliedAt.get(pos);
      if (seen === undefined) this.appliedAt.set(pos, payload);
      else if (seen !== payload) this.violations.push(`state machine safety: ${pos} applied as "${seen}" and "${payload}"`);
    });
  }

  trace(s: string): void {
    console.log(`${this.clock.now() - 1_000_000} ${s}`);
  }

  member(id: string): Member {
    return this.members.find((m) => m.id === id)!;
  }

  /** Start (or restart from its directory) a member. */
  start(m: Member, peers = this.ids): RaftNode {
    if (process.env.RAFT_TRACE) this.trace(`START ${m.id}`);
    m.sm = this.machine();
    this.hub.setDown(m.id, false);
    const store = new RaftStore(m.dir, 'TEST', { sync: 'none', fsyncFiles: false });
    const node = new RaftNode({
      group: 'TEST', id: m.id, peers, store, transport: this.hub.endpoint(m.id), stateMachine: m.sm,
      clock: this.clock, random: this.random, timing: this.opts.timing, preVote: this.opts.preVote ?? true, observer: m.observer,
      logger: process.env.RAFT_TRACE ? { warn: (s) => this.trace(s), debug: (s) => this.trace(s) } : { warn: () => {} },
      onStateChange: (state, term) => {
        if (process.env.RAFT_TRACE) this.trace(`${m.id} -> ${state} term ${term}`);
        if (state === 'leader') this.onLeader(m, term);
      },
    });
    m.node = node;
    return node;
  }

  private onLeader(m: Member, term: number): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== m.id) this.violations.push(`election safety: ${prev} and ${m.id} both leaders of term ${term}`);
    this.leaders.set(term, m.id);
    if (m.observer) this.violations.push(`observer ${m.id} became leader in term ${term}`);
    // Leader completeness: it holds every entry applied anywhere so far.
    const n = m.node!;
    for (const [pos, payload] of this.appliedAt) {
      const [index, k] = pos.split('.').map(Number);
      if (index <= n.papplied) continue;
      const ae = n.loadEntry(index);
      const mine = ae?.entries.filter((e) => e.type === EntryType.Normal).map((e) => e.data.toString()) ?? [];
      if (mine[k] !== payload) this.violations.push(`leader completeness: leader ${m.id} of term ${term} lacks committed ${pos} ("${payload}")`);
    }
  }

  /** Crash: the node stops at once (its writes are in the page cache, as after kill -9). */
  crash(m: Member): void {
    if (process.env.RAFT_TRACE) this.trace(`CRASH ${m.id}`);
    m.node?.stop();
    m.node = null;
    this.hub.setDown(m.id, true);
  }

  /** Wipe a member's directory (it must catch up from the others). */
  wipe(m: Member): void {
    this.crash(m);
    rmSync(m.dir, { recursive: true, force: true });
  }

  live(): Member[] {
    return this.members.filter((m) => m.node !== null);
  }

  leader(): Member | null {
    const ls = this.live().filter((m) => m.node!.state === 'leader');
    // the leader of the highest term
    ls.sort((a, b) => b.node!.term - a.node!.term);
    return ls[0] ?? null;
  }

  readyLeader(): Member | null {
    const l = this.leader();
    return l && l.node!.isLeader() ? l : null;
  }

  waitLeader(maxMs = 60_000): Member | null {
    this.clock.runUntil(() => this.readyLeader() !== null, maxMs, 50);
    return this.readyLeader();
  }

  /** Propose through any live node (followers forward to the leader). */
  propose(via?: Member): string {
    const p = `p${++this.proposed}`;
    const m = via ?? this.live()[Math.floor(this.random() * this.live().length)];
    m?.node?.forwardProposal(Buffer.from(p));
    return p;
  }

  /** Apply-wait: every given member applied the payload. */
  appliedBy(payload: string, ms: Member[]): boolean {
    return ms.every((m) => m.sm.log.some(([, p]) => p === payload));
  }

  /** Log matching across every pair of live members' WALs. */
  checkLogMatching(): void {
    const live = this.live();
    for (let a = 0; a < live.length; a++) for (let b = a + 1; b < live.length; b++) {
      const x = live[a].node!;
      const y = live[b].node!;
      const lo = Math.max(x.store.wal.firstIndex, y.store.wal.firstIndex);
      const hi = Math.min(x.store.wal.lastIndex, y.store.wal.lastIndex);
      // find the highest index where terms agree; everything below it must be identical
      let top = -1;
      for (let i = hi; i >= lo; i--) if (x.store.wal.termAt(i) === y.store.wal.termAt(i)) { top = i; break; }
      for (let i = lo; i <= top; i++) {
        const ex = x.store.wal.get(i)!;
        const ey = y.store.wal.get(i)!;
        if (ex.term !== ey.term || !ex.data.equals(ey.data)) {
          this.violations.push(`log matching: ${live[a].id} and ${live[b].id} differ at ${i} below agreeing index ${top}`);
          return;
        }
      }
    }
  }

  /** Every applied list is consistent with appliedAt (same payload at the same index, in order). */
  checkStateMachines(): void {
    for (const m of this.live()) {
      let last = [0, -1];
      for (const [pos, p] of m.sm.log) {
        const cur = pos.split('.').map(Number);
        if (cur[0] < last[0] || (cur[0] === last[0] && cur[1] <= last[1])) this.violations.push(`state machine order: ${m.id} applied ${pos} after ${last.join('.')}`);
        last = cur;
        if (this.appliedAt.get(pos) !== p) this.violations.push(`state machine safety: ${m.id} has "${p}" at ${pos}`);
      }
    }
  }

  /** Take a snapshot on each live node that has applied enough since its last one. */
  maybeSnapshot(every: number): void {
    for (const m of this.live()) {
      const n = m.node!;
      if (n.applied - n.papplied >= every && n.applied === n.processed) n.installSnapshot(m.sm.snapshot());
    }
  }

  close(): void {
    for (const m of this.members) m.node?.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

