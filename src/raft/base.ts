/**
 * The shared state of a RAFT node and what every role uses: terms and votes,
 * the peer set and membership, WAL truncation and snapshots, timers and the
 * inbound message queue. election.ts, replication.ts and node.ts build the
 * node on top of it (see node.ts for the protocol).
 */
import { ApplyQueue } from './apply-queue.js';
import { CatchupSessions } from './catchup.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { GO_TIMING, type RaftConfig, type RaftLogger, type RaftTiming, type StateMachine } from './config.js';
import { ID_LEN, decodeAppendEntry, type AppendEntry, type Entry, type PeerState } from './messages.js';
import type { RaftStore } from './store.js';
import { RaftChannels } from './transport.js';

export type RaftState = 'follower' | 'candidate' | 'leader' | 'closed';

/** Go `lps`: what the node knows of a peer. */
export interface PeerTrack {
  /** Last time we heard from it (clock ms, 0 = never). */
  ts: number;
  /** Last index it acknowledged. */
  li: number;
}

/** Peer health as Go's `Peers()` reports it (for /jsz?raft=1 and stream info). */
export interface PeerInfo {
  id: string;
  current: boolean;
  /** Clock ms of last contact, 0 = never. */
  last: number;
  lag: number;
}

export interface MembChange {
  index: number;
  peer: string;
  /** Set for a removal: the peer's tracking before it was removed. */
  prev: PeerTrack | null;
}

export interface CatchupState {
  inbox: string;
  cterm: number;
  cindex: number;
  pterm: number;
  pindex: number;
  active: number;
}

export type Source = 'replay' | 'new' | 'catchup';

export abstract class RaftBase {
  readonly id: string;
  readonly group: string;
  readonly timing: RaftTiming;
  readonly clock: Clock;
  readonly store: RaftStore;
  readonly preVote: boolean;

  protected st: RaftState = 'follower';
  protected termv = 0;
  protected vote = '';
  protected leader = '';
  pterm = 0;
  pindex = 0;
  commit = 0;
  processed = 0;
  applied = 0;
  /** Index of the last snapshot (the log starts after it) and its term. */
  papplied = 0;
  protected pappliedTerm = 0;
  protected csz = 1;
  protected qn = 1;
  readonly peerMap = new Map<string, PeerTrack>();
  protected readonly removed = new Map<string, number>();
  protected acks = new Map<number, Set<string>>();
  protected pae = new Map<number, AppendEntry>();
  protected membChange: MembChange | null = null;
  protected catchup: CatchupState | null = null;
  protected readonly sessions: CatchupSessions;

  protected readonly ch: RaftChannels;
  protected readonly random: () => number;
  protected readonly sm: StateMachine;
  protected readonly applyq: ApplyQueue;
  protected readonly logger: RaftLogger | undefined;
  protected readonly managed: boolean;
  protected readonly onStateChange: RaftConfig['onStateChange'];

  protected elect: TimerHandle | null = null;
  protected hb: TimerHandle | null = null;
  protected lq: TimerHandle | null = null;
  protected votes = new Set<string>();
  protected emptyVotes = new Set<string>();
  protected preVoting = false;
  protected preVotes = new Set<string>();
  protected prop: { entry: Entry; term: number }[] = [];
  protected propScheduled = false;
  protected inbox: (() => void)[] = [];
  protected inHandler = false;

  protected observer: boolean;
  protected initializing = false;
  protected lxfer = false;
  /** Applies paused by the upper layer (Go PauseApply); hcommit is the commit held back. */
  protected paused = false;
  protected hcommit = 0;
  protected aflr = 0;
  protected leaderReady = false;
  protected hadLeader = false;
  /** Last time we accepted an append entry from the current leader. */
  protected leaderContact = 0;
  /** Last time we stored an entry as leader (Go n.active). */
  protected active = 0;
  protected lsut = 0;
  protected werr: unknown = null;
  /** Bytes held by the log. */
  get bytes(): number {
    return this.store.wal.bytes;
  }

  protected constructor(cfg: RaftConfig) {
    if (cfg.id.length !== ID_LEN) throw new Error(`raft: node id must be ${ID_LEN} characters: "${cfg.id}"`);
    this.id = cfg.id;
    this.group = cfg.group;
    this.timing = { ...GO_TIMING, ...cfg.timing };
    this.clock = cfg.clock ?? realClock;
    this.random = cfg.random ?? Math.random;
    this.store = cfg.store;
    this.sm = cfg.stateMachine;
    this.logger = cfg.logger;
    this.managed = cfg.managed ?? false;
    this.onStateChange = cfg.onStateChange;
    this.observer = cfg.observer ?? false;
    this.preVote = cfg.preVote ?? true;
    this.applyq = new ApplyQueue(this.clock, (ce) => this.sm.apply(ce), (ce) => this.processedEntry(ce.index), (err) => this.warn(`state machine apply failed: ${String(err)}`));
    this.sessions = new CatchupSessions(this);
    this.ch = new RaftChannels(cfg.transport, cfg.group, {
      voteRequest: (m, r) => this.enqueue(() => this.handleVoteRequest(m, r)),
      preVoteRequest: (m, r) => this.enqueue(() => this.handlePreVoteRequest(m, r)),
      voteResponse: (m) => this.enqueue(() => this.handleVoteResponse(m)),
      preVoteResponse: (m) => this.enqueue(() => this.handlePreVoteResponse(m)),
      appendEntry: (m, r, inbox) => this.enqueue(() => this.handleAppendEntry(m, r, inbox)),
      appendEntryResponse: (m, r) => this.enqueue(() => this.handleAppendEntryResponse(m, r)),
      proposal: (m) => this.enqueue(() => this.forwarded(m)),
      removePeerProposal: (m) => this.enqueue(() => this.forwardedRemovePeer(m)),
    }, this.random);
  }

  protected abstract handleVoteRequest(msg: Buffer, reply: string): void;
  protected abstract handlePreVoteRequest(msg: Buffer, reply: string): void;
  protected abstract handleVoteResponse(msg: Buffer): void;
  protected abstract handlePreVoteResponse(msg: Buffer): void;
  protected abstract handleAppendEntry(msg: Buffer, reply: string, inbox: string): void;
  protected abstract handleAppendEntryResponse(msg: Buffer, reply: string): void;
  protected abstract forwarded(msg: Buffer): void;
  protected abstract forwardedRemovePeer(msg: Buffer): void;
  protected abstract processedEntry(index: number): void;
  protected abstract onElectionTimeout(): void;
  protected abstract sendHeartbeat(): void;
  abstract propose(data: Uint8Array, term?: number): boolean;
  abstract proposeAddPeer(peer: string): boolean;
  abstract proposeRemovePeer(peer: string): boolean;
  abstract stepDown(preferred?: string): boolean;

  peerNames(): string[] {
    return [...this.peerMap.keys()];
  }

  get term(): number {
    return this.termv;
  }

  /** Stop the node (Go Stop); the store is closed. */
  stop(): void {
    if (this.st === 'closed') return;
    const wasLeader = this.leaderReady;
    this.st = 'closed';
    this.leaderReady = false;
    for (const t of [this.elect, this.hb, this.lq]) t?.cancel();
    this.elect = this.hb = this.lq = null;
    this.sessions.stopAll();
    this.applyq.stop();
    this.ch.close();
    try {
      this.store.close();
    } catch {
      // closing after a write error
    }
    if (wasLeader) this.sm.leaderChange?.(false, this.termv);
    this.onStateChange?.('closed', this.termv);
  }

  // ---- inbound message queue: no re-entrancy ----

  protected isClosed(): boolean {
    return this.st === 'closed';
  }

  protected enqueue(fn: () => void): void {
    if (this.st === 'closed') return;
    this.inbox.push(fn);
    if (this.inHandler) return;
    this.inHandler = true;
    try {
      for (let i = 0; i < this.inbox.length; i++) {
        if (this.isClosed()) break;
        try {
          this.inbox[i]();
        } catch (err) {
          this.onFatal(err);
        }
      }
    } finally {
      this.inbox = [];
      this.inHandler = false;
    }
  }

  // ---- timers ----

  protected randBetween(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min));
  }

  protected resetElectionTimeout(): void {
    this.resetElect(this.randBetween(this.timing.minElectionTimeout, this.timing.maxElectionTimeout));
  }

  protected resetElect(ms: number): void {
    if (this.st === 'closed') return;
    this.elect?.cancel();
    this.elect = this.clock.setTimer(ms, () => this.enqueue(() => this.onElectionTimeout()));
  }

  protected stopLeaderTimers(): void {
    this.hb?.cancel();
    this.lq?.cancel();
    this.hb = this.lq = null;
  }

  // ---- state changes (Go switchTo*) ----

  protected setTerm(term: number, vote: string): void {
    this.termv = term;
    this.vote = vote;
    this.writeTermVote();
  }

  protected writeTermVote(): void {
    this.store.writeTermVote(this.termv, this.vote);
  }

  protected updateLeader(newLeader: string): void {
    const wasLeader = this.leader === this.id;
    this.leader = newLeader;
    if (newLeader) this.hadLeader = true;
    if (newLeader !== this.id && !wasLeader) {
      for (const [peer, ps] of this.peerMap) {
        ps.li = 0;
        if (peer !== newLeader) ps.ts = 0;
      }
    }
  }

  protected stepdownTo(newLeader: string): void {
    this.switchToFollower(newLeader);
  }

  protected switchToFollower(leader: string): void {
    if (this.st === 'closed') return;
    const wasLeader = this.st === 'leader';
    const wasReady = this.leaderReady;
    this.aflr = 0;
    this.leaderReady = false;
    this.lxfer = false;
    this.preVoting = false;
    this.acks = new Map();
    this.updateLeader(leader);
    const changed = this.st !== 'follower';
    this.st = 'follower';
    this.resetElectionTimeout();
    if (changed) this.onStateChange?.('follower', this.termv);
    if (wasLeader) {
      this.stopLeaderTimers();
      this.ch.closeLeader();
      this.sessions.stopAll();
      this.prop = [];
      if (wasReady) this.sm.leaderChange?.(false, this.termv);
    }
  }


  loadEntry(index: number): AppendEntry | null {
    const rec = this.store.wal.get(index);
    return rec ? decodeAppendEntry(rec.data) : null;
  }

  /** Term of the entry at index: 0 before the log, the snapshot's at its index, -1 when unknown. */
  protected termOf(index: number): number {
    if (index === 0) return 0;
    if (index === this.papplied && this.papplied > 0) return this.pappliedTerm;
    return this.store.wal.termAt(index);
  }

  protected writeSnapshot(snap: { lastTerm: number; lastIndex: number; peerstate: Buffer; data: Buffer }): boolean {
    try {
      this.store.writeSnapshot(snap);
      this.store.wal.compact(snap.lastIndex + 1);
    } catch (err) {
      this.onWriteError(err);
      return false;
    }
    if (snap.lastIndex > this.commit) this.pae = new Map();
    this.papplied = snap.lastIndex;
    this.pappliedTerm = snap.lastTerm;
    return true;
  }

  /** Go truncateWAL: drop entries after index; clamp commit/processed/applied. */
  protected truncateWAL(term: number, index: number): void {
    this.debug(`truncate to ${term}:${index} (had ${this.pterm}:${this.pindex}, commit ${this.commit})`);
    if (index < this.commit) this.warn(`WAL truncate to ${index} below commit ${this.commit}`);
    try {
      this.store.wal.truncate(index);
    } catch (err) {
      this.onWriteError(err);
      return;
    }
    if (this.papplied > index) {
      // The snapshot holds state past the new end of the log: it is no longer ours.
      this.store.removeSnapshot();
      this.papplied = 0;
      this.pappliedTerm = 0;
    }
    this.pterm = term;
    this.pindex = index;
    for (const k of this.pae.keys()) if (k > index) this.pae.delete(k);
    if (this.membChange && this.membChange.index > index) this.revertMembershipChange();
    if (this.commit > this.pindex) this.commit = this.pindex;
    if (this.processed > this.commit) this.processed = this.commit;
    if (this.applied > this.processed) this.applied = this.processed;
  }

  // ---- membership and peer state ----

  currentPeerState(): PeerState {
    return { knownPeers: this.peerNames(), clusterSize: this.csz, domainExt: 0 };
  }

  /** Go committedPeerStateLocked: membership as of a committed index (undo a pending change). */
  protected committedPeerState(index: number): PeerState {
    const mc = this.membChange;
    if (!mc || mc.index <= index) return this.currentPeerState();
    const names = this.peerNames().filter((p) => mc.prev !== null || p !== mc.peer);
    if (mc.prev && !names.includes(mc.peer)) names.push(mc.peer);
    return { knownPeers: names, clusterSize: names.length, domainExt: 0 };
  }

  protected processPeerState(ps: PeerState): void {
    this.csz = ps.clusterSize;
    this.recalcQuorum();
    const old = new Map(this.peerMap);
    this.peerMap.clear();
    for (const p of ps.knownPeers) {
      this.peerMap.set(p, old.get(p) ?? { ts: 0, li: 0 });
      old.delete(p);
      this.removed.delete(p);
    }
    const now = this.clock.now();
    for (const p of old.keys()) this.removed.set(p, now);
    this.writePeerState();
  }

  protected writePeerState(): void {
    try {
      this.store.writePeerState(this.currentPeerState());
    } catch (err) {
      this.onWriteError(err);
    }
  }

  protected recalcQuorum(): void {
    this.qn = Math.floor(this.csz / 2) + 1;
  }

  protected adjustClusterSizeAndQuorum(): void {
    const prev = this.csz;
    this.csz = this.peerMap.size;
    this.recalcQuorum();
    if (this.csz > prev) this.lsut = this.clock.now();
    else if (this.csz < prev && this.st === 'leader') this.clock.defer(() => this.enqueue(() => { if (this.st === 'leader') this.sendHeartbeat(); }));
  }

  protected addPeer(peer: string): void {
    this.removed.delete(peer);
    if (!this.peerMap.has(peer)) this.peerMap.set(peer, { ts: 0, li: 0 });
    this.adjustClusterSizeAndQuorum();
    this.writePeerState();
  }

  protected removePeer(peer: string): void {
    this.removed.set(peer, this.clock.now());
    this.peerMap.delete(peer);
    this.adjustClusterSizeAndQuorum();
    this.writePeerState();
  }

  protected revertMembershipChange(): void {
    const mc = this.membChange!;
    if (mc.prev) {
      this.peerMap.set(mc.peer, mc.prev);
      this.removed.delete(mc.peer);
    } else this.peerMap.delete(mc.peer);
    this.adjustClusterSizeAndQuorum();
    this.writePeerState();
    this.membChange = null;
  }

  // ---- for catchup.ts ----

  /** @internal */
  sendCatchup(inbox: string, msg: Buffer): void {
    this.ch.sendCatchupEntry(inbox, msg);
  }

  /** @internal a catch-up finished for a peer we do not know: add it (Go runCatchup's defer). */
  catchupDone(peer: string): void {
    if (!this.peerMap.has(peer) && !this.managed) this.proposeAddPeer(peer);
  }

  /** @internal */
  stepdownForCatchup(): void {
    this.stepdownTo('');
  }

  protected debug(msg: string): void {
    this.logger?.debug?.(`RAFT [${this.id} - ${this.group}] ${msg}`);
  }

  /** @internal */
  warn(msg: string): void {
    this.logger?.warn(`RAFT [${this.id} - ${this.group}] ${msg}`);
  }

  protected onFatal(err: unknown): void {
    if (this.st === 'closed') return;
    this.warn(`stopping on error: ${err instanceof Error ? err.stack : String(err)}`);
    this.werr = err;
    this.stop();
  }

  protected onWriteError(err: unknown): void {
    if (this.st === 'closed') return;
    this.warn(`critical write error: ${String(err)}`);
    this.werr = err;
    this.stop();
  }
}
