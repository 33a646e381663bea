/**
 * A RAFT node that follows the Go server's raft.go protocol, so it can later
 * share a group with Go nodes:
 * - one log index per append entry (a batch of entries), stored as the encoded
 *   append entry (Go `storeToWAL`);
 * - the leader broadcasts every append entry to the group; a follower whose
 *   log does not line up answers with a failed response carrying a catch-up
 *   inbox, and the leader streams it the missing entries (led by a snapshot
 *   when they are compacted away) with its term in `lterm` (catchup.ts);
 * - followers acknowledge only entries that came on the group subject;
 * - commit needs acknowledgements of an index in the leader's term from a
 *   quorum; commit / processed / applied are tracked separately, and committed
 *   entries go to the state machine through the apply queue.
 *
 * Pre-vote (Raft thesis 9.6; Go's raft.go has none): when its election timer
 * fires, a node first asks on $NRG.PV.<group> whether the others would vote
 * for it in the next term, with Go's vote request encoding (term = ours + 1)
 * and answered with Go's vote response encoding. A peer grants it when the
 * candidate's log is at least as up to date as its own and it has not heard
 * from a leader within the minimum election timeout. Nobody changes its term
 * or vote for a pre-vote; only a pre-vote majority starts a real election
 * (term + 1, Go's vote request on $NRG.V.<group>). So a node cut off from the
 * group does not inflate its term and cannot depose a healthy leader when it
 * comes back. A leader transfer skips the pre-vote. Go nodes never answer
 * pre-votes: in a group where our nodes are a minority they wait for a Go node
 * to campaign (set preVote: false there).
 */
import { ApplyQueue, type CommittedEntry } from './apply-queue.js';
import { CatchupSessions } from './catchup.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { GO_TIMING, type RaftConfig, type RaftLogger, type RaftTiming, type StateMachine } from './config.js';
import {
  EntryType, ID_LEN, decodeAppendEntry, decodeAppendEntryResponse, decodePeerState, decodeVoteRequest,
  decodeVoteResponse, encodeAppendEntry, encodeAppendEntryResponse, encodePeerState, encodeVoteRequest,
  encodeVoteResponse, type AppendEntry, type AppendEntryResponse, type Entry, type PeerState, type VoteRequest,
} from './messages.js';
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

interface MembChange {
  index: number;
  peer: string;
  /** Set for a removal: the peer's tracking before it was removed. */
  prev: PeerTrack | null;
}

interface CatchupState {
  inbox: string;
  cterm: number;
  cindex: number;
  pterm: number;
  pindex: number;
  active: number;
}

type Source = 'replay' | 'new' | 'catchup';

/** Go's proposal batch limits (runAsLeader). */
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_BATCH_ENTRIES = 4096;
/** Go `paeDropThreshold`: at most this many pending entries cached in memory. */
const PAE_MAX = 20_000;

/** The first message of a catch-up from a snapshot: an EntrySnapshot and an EntryPeerState. */
function isSnapshotCatchup(ae: AppendEntry): boolean {
  return ae.entries.length === 2 && ae.entries[0].type === EntryType.Snapshot && ae.entries[1].type === EntryType.PeerState;
}

export class RaftNode {
  readonly id: string;
  readonly group: string;
  readonly timing: RaftTiming;
  readonly clock: Clock;
  readonly store: RaftStore;
  readonly preVote: boolean;

  private st: RaftState = 'follower';
  private termv = 0;
  private vote = '';
  private leader = '';
  pterm = 0;
  pindex = 0;
  commit = 0;
  processed = 0;
  applied = 0;
  /** Index of the last snapshot (the log starts after it) and its term. */
  papplied = 0;
  private pappliedTerm = 0;
  private csz = 1;
  private qn = 1;
  readonly peerMap = new Map<string, PeerTrack>();
  private readonly removed = new Map<string, number>();
  private acks = new Map<number, Set<string>>();
  private pae = new Map<number, AppendEntry>();
  private membChange: MembChange | null = null;
  private catchup: CatchupState | null = null;
  private readonly sessions: CatchupSessions;

  private readonly ch: RaftChannels;
  private readonly random: () => number;
  private readonly sm: StateMachine;
  private readonly applyq: ApplyQueue;
  private readonly logger: RaftLogger | undefined;
  private readonly managed: boolean;
  private readonly onStateChange: RaftConfig['onStateChange'];

  private elect: TimerHandle | null = null;
  private hb: TimerHandle | null = null;
  private lq: TimerHandle | null = null;
  private votes = new Set<string>();
  private emptyVotes = new Set<string>();
  private preVoting = false;
  private preVotes = new Set<string>();
  private prop: { entry: Entry; term: number }[] = [];
  private propScheduled = false;
  private inbox: (() => void)[] = [];
  private inHandler = false;

  private observer: boolean;
  private initializing: boolean;
  private lxfer = false;
  private aflr = 0;
  private leaderReady = false;
  private hadLeader = false;
  /** Last time we accepted an append entry from the current leader. */
  private leaderContact = 0;
  /** Last time we stored an entry as leader (Go n.active). */
  private active = 0;
  private lsut = 0;
  private werr: unknown = null;
  /** Bytes held by the log. */
  get bytes(): number {
    return this.store.wal.bytes;
  }

  constructor(cfg: RaftConfig) {
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
    this.recover(cfg);
    this.initializing = !cfg.recovering && this.pindex === 0;
    this.ch.open();
    this.resetElectionTimeout();
  }

  // ---- start-up (Go initRaftNode) ----

  private recover(cfg: RaftConfig): void {
    const tv = this.store.readTermVote();
    if (tv.term > 0) {
      this.termv = tv.term;
      this.vote = tv.vote;
    }
    const snap = this.store.loadLastSnapshot();
    if (snap) {
      this.pindex = snap.lastIndex;
      this.pterm = snap.lastTerm;
      this.commit = snap.lastIndex;
      this.papplied = snap.lastIndex;
      this.pappliedTerm = snap.lastTerm;
      const ps = decodePeerState(snap.peerstate);
      if (ps) this.processPeerState(ps);
      this.applyq.push({ index: this.commit, entries: [{ type: EntryType.Snapshot, data: snap.data }] });
      this.store.wal.compact(snap.lastIndex + 1);
    }
    if (this.peerMap.size === 0) {
      const ps = this.store.readPeerState() ?? { knownPeers: [...new Set(cfg.peers)], clusterSize: cfg.clusterSize ?? new Set(cfg.peers).size, domainExt: 0 };
      this.processPeerState(ps);
    }
    const wal = this.store.wal;
    for (let index = wal.firstIndex; index <= wal.lastIndex; index++) {
      const ae = this.loadEntry(index);
      if (index === wal.firstIndex) {
        // The first entry must line up with the snapshot (Go: "Misaligned WAL").
        if (!ae || ae.pindex !== index - 1 || this.pindex !== ae.pindex) {
          this.warn(`misaligned WAL at ${index}, truncating to ${this.pindex}`);
          wal.truncate(this.pindex);
          break;
        }
        this.pterm = ae.pterm;
        this.pindex = ae.pindex;
        if (ae.commit > this.commit) this.commit = Math.min(ae.commit, this.pindex);
      }
      if (!ae || ae.pindex !== index - 1) {
        this.warn(`corrupt WAL at ${index}, truncating`);
        wal.truncate(index - 1);
        break;
      }
      this.processAppendEntry(ae, 'replay', '', '');
    }
  }

  // ---- public API ----

  get state(): RaftState {
    return this.st;
  }

  get term(): number {
    return this.termv;
  }

  /** Leader and ready: it has applied what the previous leader committed (Go Leader()). */
  isLeader(): boolean {
    return this.st === 'leader' && this.leaderReady;
  }

  get leaderId(): string {
    return this.leader;
  }

  get clusterSize(): number {
    return this.csz;
  }

  get quorumNeeded(): number {
    return this.qn;
  }

  get isObserver(): boolean {
    return this.observer;
  }

  get hadPreviousLeader(): boolean {
    return this.hadLeader;
  }

  get writeError(): unknown {
    return this.werr;
  }

  /** Go Progress(): last index, commit, applied. */
  progress(): { index: number; commit: number; applied: number; processed: number } {
    return { index: this.pindex, commit: this.commit, applied: this.applied, processed: this.processed };
  }

  /** Go Size(): entries and bytes in the log since the last snapshot. */
  size(): { entries: number; bytes: number } {
    return { entries: this.pindex - this.papplied, bytes: this.bytes };
  }

  peerNames(): string[] {
    return [...this.peerMap.keys()];
  }

  /** Go Peers(): per-peer current / last contact / lag. */
  peers(): PeerInfo[] {
    const out: PeerInfo[] = [];
    const now = this.clock.now();
    for (const [id, ps] of this.peerMap) {
      let current = false;
      let lag = 0;
      if (id === this.id) current = true;
      else if (this.leader === this.id) {
        lag = this.commit > ps.li ? this.commit - ps.li : 0;
        current = lag === 0;
      } else if (id === this.leader) current = ps.ts > 0 && now - ps.ts <= 2 * this.timing.heartbeatInterval;
      out.push({ id, current, last: ps.ts, lag });
    }
    return out;
  }

  /** Go Quorum(): heard from a quorum within lostQuorumInterval. */
  quorum(): boolean {
    return !this.lostQuorum(true);
  }

  /** Go Current(): a leader, or a follower in contact with its leader with everything applied. */
  current(): boolean {
    if (this.st === 'closed' || this.commit === 0) return false;
    if (this.st === 'leader') return true;
    if (this.leader !== '' && this.leader !== this.id && !this.catchup) {
      const ps = this.peerMap.get(this.leader);
      if (!ps || this.clock.now() - ps.ts > 2 * this.timing.heartbeatInterval) return false;
    }
    if (this.catchup) return false;
    return this.commit === this.applied;
  }

  /** Propose one entry; false when not the leader (Go errNotLeader) or after a write error. */
  propose(data: Uint8Array, term = this.termv): boolean {
    return this.proposeEntries([{ type: EntryType.Normal, data: Buffer.from(data) }], term);
  }

  proposeMulti(datas: Uint8Array[], term = this.termv): boolean {
    return this.proposeEntries(datas.map((d) => ({ type: EntryType.Normal, data: Buffer.from(d) })), term);
  }

  private proposeEntries(entries: Entry[], term: number): boolean {
    if (this.st !== 'leader' || term !== this.termv || this.werr) {
      this.debug(`proposal refused (${this.st}, term ${term} vs ${this.termv})`);
      return false;
    }
    for (const entry of entries) this.prop.push({ entry, term });
    this.scheduleProposals();
    return true;
  }

  /** Go ForwardProposal: to the leader, wherever it is. */
  forwardProposal(data: Uint8Array): void {
    if (this.st === 'leader') this.propose(data);
    else this.ch.forwardProposal(data);
  }

  /** Go ProposeAddPeer (leader only; one membership change at a time). */
  proposeAddPeer(peer: string): boolean {
    if (this.st !== 'leader' || this.werr || this.membChange || peer.length !== ID_LEN) return false;
    this.prop.push({ entry: { type: EntryType.AddPeer, data: Buffer.from(peer, 'latin1') }, term: this.termv });
    this.scheduleProposals();
    return true;
  }

  /** Go ProposeRemovePeer: a follower forwards it to the leader. */
  proposeRemovePeer(peer: string): boolean {
    if (this.werr) return false;
    if (this.st !== 'leader') {
      this.ch.forwardRemovePeer(peer);
      return true;
    }
    if (this.membChange || !this.peerMap.has(peer) || this.peerMap.size <= 1) return false;
    this.prop.push({ entry: { type: EntryType.RemovePeer, data: Buffer.from(peer, 'latin1') }, term: this.termv });
    this.scheduleProposals();
    return true;
  }

  membershipChangeInProgress(): boolean {
    return this.membChange !== null;
  }

  /**
   * Go StepDown: hand leadership to `preferred` (if healthy) or the first
   * healthy peer with an EntryLeaderTransfer, then step down.
   */
  stepDown(preferred = ''): boolean {
    if (this.st !== 'leader') return false;
    const now = this.clock.now();
    const healthy = (p: string) => {
      const ps = this.peerMap.get(p);
      return !!ps && p !== this.id && ps.ts > 0 && now - ps.ts < 3 * this.timing.heartbeatInterval;
    };
    let next = preferred && healthy(preferred) ? preferred : '';
    if (!next) for (const p of this.peerMap.keys()) if (healthy(p)) { next = p; break; }
    if (next) this.sendAppendEntry([{ type: EntryType.LeaderTransfer, data: Buffer.from(next, 'latin1') }]);
    this.stepdownTo('');
    return true;
  }

  /** Go Campaign: campaign soon (a random campaign timeout). */
  campaign(): boolean {
    if (this.st === 'leader' || this.st === 'closed') return false;
    this.resetElect(this.randBetween(this.timing.minCampaignTimeout, this.timing.maxCampaignTimeout));
    return true;
  }

  /** Go CampaignImmediately. */
  campaignImmediately(): boolean {
    if (this.st === 'leader' || this.st === 'closed') return false;
    this.initializing = false;
    this.resetElect(this.timing.minCampaignTimeout / 2);
    return true;
  }

  setObserver(on: boolean): void {
    const was = this.observer;
    this.observer = on;
    if (was && !on) this.resetElectionTimeout();
  }

  /** Go NeedSnapshot. */
  needSnapshot(): boolean {
    return !this.store.hasSnapshot() && this.applied > 0;
  }

  /**
   * Go InstallSnapshot: the state machine's snapshot of everything applied;
   * the log before it is compacted away. Returns false when not possible now
   * (nothing applied, a catch-up is being served, closed).
   */
  installSnapshot(data: Uint8Array, force = false): boolean {
    if (this.st === 'closed' || this.werr) return false;
    if (!force && this.sessions.active()) return false;
    if (this.applied === 0 || this.applied <= this.papplied) return false;
    const term = this.store.wal.termAt(this.applied);
    if (term < 0) return false;
    const peerstate = encodePeerState(this.committedPeerState(this.applied));
    return this.writeSnapshot({ lastTerm: term, lastIndex: this.applied, peerstate, data: Buffer.from(data) });
  }

  /** Go Applied(index). */
  appliedTo(index: number): void {
    this.processedTo(index, index);
  }

  /**
   * Go Processed: the state machine processed up to index, applied (durably)
   * up to `applied`. The apply queue calls this itself after each entry.
   */
  processedTo(index: number, applied: number): void {
    if (index > this.commit) return;
    if (index > this.processed) this.processed = index;
    if (applied > index) applied = index;
    if (applied > this.applied) this.applied = applied;
    if (this.aflr > 0 && this.processed >= this.aflr) {
      this.aflr = 0;
      if (this.st === 'leader' && !this.leaderReady) {
        this.leaderReady = true;
        this.sm.leaderChange?.(true, this.termv);
      }
    }
  }

  private processedEntry(index: number): void {
    if (index > 0) this.processedTo(index, index);
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

  private isClosed(): boolean {
    return this.st === 'closed';
  }

  private enqueue(fn: () => void): void {
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

  private randBetween(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min));
  }

  private resetElectionTimeout(): void {
    this.resetElect(this.randBetween(this.timing.minElectionTimeout, this.timing.maxElectionTimeout));
  }

  private resetElect(ms: number): void {
    if (this.st === 'closed') return;
    this.elect?.cancel();
    this.elect = this.clock.setTimer(ms, () => this.enqueue(() => this.onElectionTimeout()));
  }

  private onElectionTimeout(): void {
    this.elect = null;
    if (this.st === 'leader' || this.st === 'closed') return;
    if (this.st === 'follower') {
      if (this.observer) {
        this.resetElect(this.timing.observerModeInterval);
        return;
      }
      if (this.catchup) {
        if (this.catchupStalled()) this.cancelCatchup();
        this.resetElectionTimeout();
        return;
      }
    }
    if (this.preVote && !this.lxfer) this.startPreVote();
    else this.switchToCandidate();
  }

  private startLeaderTimers(): void {
    const hbTick = () => {
      this.hb = this.clock.setTimer(this.timing.heartbeatInterval, () => this.enqueue(() => {
        if (this.st !== 'leader') return;
        if (this.clock.now() - this.active > this.timing.heartbeatInterval) this.sendHeartbeat();
        hbTick();
      }));
    };
    const lqTick = () => {
      this.lq = this.clock.setTimer(this.timing.lostQuorumCheck, () => this.enqueue(() => {
        if (this.st !== 'leader') return;
        if (this.lostQuorum(false)) {
          this.warn('lost quorum, stepping down');
          this.stepdownTo('');
          return;
        }
        lqTick();
      }));
    };
    hbTick();
    lqTick();
  }

  private stopLeaderTimers(): void {
    this.hb?.cancel();
    this.lq?.cancel();
    this.hb = this.lq = null;
  }

  /** Go lostQuorumLocked. */
  private lostQuorum(ignoreScaleUp: boolean): boolean {
    const now = this.clock.now();
    if (!ignoreScaleUp && this.lsut > 0 && now - this.lsut < this.timing.lostQuorumInterval) return false;
    let nc = 0;
    for (const [id, ps] of this.peerMap) {
      if (id === this.id || (ps.ts > 0 && now - ps.ts < this.timing.lostQuorumInterval)) {
        if (++nc >= this.qn) return false;
      }
    }
    return true;
  }

  // ---- state changes (Go switchTo*) ----

  private setTerm(term: number, vote: string): void {
    this.termv = term;
    this.vote = vote;
    this.writeTermVote();
  }

  private writeTermVote(): void {
    this.store.writeTermVote(this.termv, this.vote);
  }

  private updateLeader(newLeader: string): void {
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

  private stepdownTo(newLeader: string): void {
    this.switchToFollower(newLeader);
  }

  private switchToFollower(leader: string): void {
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

  /** Shared guards before any campaign (Go switchToCandidate's early returns). */
  private mayCampaign(): boolean {
    if (this.observer || this.processed < this.commit) {
      this.resetElect(this.timing.minElectionTimeout / 4);
      return false;
    }
    if (this.membChange && this.membChange.peer === this.id) {
      this.updateLeader('');
      this.resetElect(this.timing.minElectionTimeout);
      return false;
    }
    if (this.managed && !this.peerMap.has(this.id)) {
      this.updateLeader('');
      this.resetElect(this.timing.minElectionTimeout);
      return false;
    }
    return true;
  }

  private startPreVote(): void {
    if (!this.mayCampaign()) return;
    if (this.st === 'candidate') {
      // A failed election goes back to asking first.
      this.st = 'follower';
      this.votes.clear();
      this.emptyVotes.clear();
    }
    this.updateLeader('');
    this.preVoting = true;
    this.preVotes = new Set([this.id]);
    this.resetElectionTimeout();
    if (this.preVotes.size >= this.qn) {
      this.preVoting = false;
      this.switchToCandidate();
      return;
    }
    this.ch.sendPreVoteRequest(encodeVoteRequest({ term: this.termv + 1, lastTerm: this.pterm, lastIndex: this.pindex, candidate: this.id }));
  }

  private switchToCandidate(): void {
    if (this.st === 'closed') return;
    if (!this.mayCampaign()) return;
    this.preVoting = false;
    this.termv++;
    this.vote = '';
    this.updateLeader('');
    this.st = 'candidate';
    this.onStateChange?.('candidate', this.termv);
    this.resetElectionTimeout();
    // Go requestVote: persist our own vote before asking for others.
    this.vote = this.id;
    this.writeTermVote();
    this.votes = new Set();
    this.emptyVotes = new Set();
    this.ch.sendVoteRequest(encodeVoteRequest({ term: this.termv, lastTerm: this.pterm, lastIndex: this.pindex, candidate: this.id }));
    this.countVote({ term: this.termv, peer: this.id, granted: true, empty: false });
  }

  private switchToLeader(): void {
    if (this.st === 'closed') return;
    this.lxfer = false;
    this.updateLeader(this.id);
    this.st = 'leader';
    this.onStateChange?.('leader', this.termv);
    this.pae = new Map();
    this.acks = new Map();
    this.elect?.cancel();
    this.elect = null;
    this.ch.openLeader();
    this.startLeaderTimers();
    // Go sends its peer state as the new leader's first entry (its no-op) and
    // signals leadership once that is processed.
    this.sendPeerState();
    this.aflr = this.pindex;
  }

  // ---- votes (Go processVoteRequest, runAsCandidate) ----

  private upToDate(vr: VoteRequest): boolean {
    return vr.lastTerm > this.pterm || (vr.lastTerm === this.pterm && vr.lastIndex >= this.pindex);
  }

  private handleVoteRequest(msg: Buffer, reply: string): void {
    const vr = decodeVoteRequest(msg);
    if (!vr) {
      this.warn('malformed vote request');
      return;
    }
    if (vr.candidate === this.id) return;
    const resp = { term: this.termv, peer: this.id, granted: false, empty: this.pindex === 0 };
    if (vr.term < this.termv) {
      this.ch.reply(reply, encodeVoteResponse(resp));
      return;
    }
    if (vr.term > this.termv) {
      if (this.st !== 'follower') this.stepdownTo('');
      this.cancelCatchup();
      this.setTerm(vr.term, '');
      this.updateLeader('');
    }
    const voteOk = (this.vote === '' || this.vote === vr.candidate) && !this.observer;
    if (voteOk && resp.empty && this.initializing) resp.empty = false;
    if (voteOk && this.upToDate(vr)) {
      this.termv = vr.term;
      this.vote = vr.candidate;
      this.writeTermVote(); // durable before we grant (throws on failure: no grant)
      resp.granted = true;
      this.debug(`vote for ${vr.candidate} in term ${vr.term} (their last ${vr.lastTerm}:${vr.lastIndex}, ours ${this.pterm}:${this.pindex})`);
      this.resetElectionTimeout();
    } else if (this.vote === '' && this.st !== 'candidate' && !this.observer) {
      // Our log is more up to date: campaign sooner.
      this.resetElect(this.randBetween(this.timing.minCampaignTimeout, this.timing.maxCampaignTimeout));
    }
    resp.term = this.termv;
    this.ch.reply(reply, encodeVoteResponse(resp));
  }

  private shouldCountVoteFromPeer(peer: string): boolean {
    return this.peerMap.has(peer) || this.peerMap.size < this.csz;
  }

  private handleVoteResponse(msg: Buffer): void {
    const vr = decodeVoteResponse(msg);
    if (!vr) {
      this.warn('malformed vote response');
      return;
    }
    if (this.st === 'leader') {
      if (vr.term > this.termv) {
        this.setTerm(vr.term, '');
        this.stepdownTo('');
      }
      return;
    }
    if (this.st !== 'candidate') return;
    this.countVote(vr);
  }

  private countVote(vr: { term: number; peer: string; granted: boolean; empty: boolean }): void {
    if (vr.granted && vr.term === this.termv) {
      this.trackPeer(vr.peer);
      if (this.shouldCountVoteFromPeer(vr.peer)) {
        if (!vr.empty) this.votes.add(vr.peer);
        else this.emptyVotes.add(vr.peer);
      }
      if (this.votes.size >= this.qn) this.switchToLeader();
      else if (this.votes.size + this.emptyVotes.size === this.csz) this.switchToLeader();
    } else if (vr.term > this.termv) {
      this.setTerm(vr.term, '');
      this.lxfer = false;
      this.stepdownTo('');
    }
  }

  private handlePreVoteRequest(msg: Buffer, reply: string): void {
    const vr = decodeVoteRequest(msg);
    if (!vr || vr.candidate === this.id) return;
    const now = this.clock.now();
    const heardLeader = this.st === 'leader' || (this.leader !== '' && now - this.leaderContact < this.timing.minElectionTimeout);
    const granted = !this.observer && vr.term > this.termv && !heardLeader && this.upToDate(vr);
    this.ch.reply(reply, encodeVoteResponse({ term: this.termv, peer: this.id, granted, empty: this.pindex === 0 }));
  }

  private handlePreVoteResponse(msg: Buffer): void {
    const vr = decodeVoteResponse(msg);
    if (!vr || !this.preVoting || this.st !== 'follower') return;
    if (vr.term > this.termv) {
      // Someone is in a later term: join it (safe) and ask again next time.
      this.setTerm(vr.term, '');
      this.preVoting = false;
      return;
    }
    if (!vr.granted || !this.shouldCountVoteFromPeer(vr.peer)) return;
    this.preVotes.add(vr.peer);
    if (this.preVotes.size >= this.qn) {
      this.preVoting = false;
      this.switchToCandidate();
    }
  }

  // ---- leader: proposals and append entries ----

  private scheduleProposals(): void {
    if (this.propScheduled) return;
    this.propScheduled = true;
    this.clock.defer(() => {
      this.propScheduled = false;
      this.enqueue(() => this.flushProposals());
    });
  }

  private flushProposals(): void {
    this.debug(`flush ${this.prop.length} proposals`);
    if (this.st !== 'leader') {
      this.prop = [];
      return;
    }
    const props = this.prop;
    this.prop = [];
    let batch: Entry[] = [];
    let sz = 0;
    for (const p of props) {
      if (p.term !== this.termv || this.st !== 'leader') continue;
      if (p.entry.type === EntryType.AddPeer || p.entry.type === EntryType.RemovePeer) {
        if (batch.length > 0) {
          this.sendAppendEntry(batch);
          batch = [];
          sz = 0;
        }
        this.sendMembershipChange(p.entry);
        continue;
      }
      batch.push(p.entry);
      sz += p.entry.data.length + 1;
      if (sz >= MAX_BATCH_BYTES || batch.length >= MAX_BATCH_ENTRIES) {
        this.sendAppendEntry(batch);
        batch = [];
        sz = 0;
      }
    }
    if (batch.length > 0 && this.st === 'leader') this.sendAppendEntry(batch);
  }

  private forwarded(msg: Buffer): void {
    if (this.st === 'leader') this.propose(msg);
  }

  private forwardedRemovePeer(msg: Buffer): void {
    if (msg.length !== ID_LEN) {
      this.warn('invalid peer in forwarded remove-peer proposal');
      return;
    }
    if (this.st === 'leader') this.proposeRemovePeer(msg.latin1Slice(0, ID_LEN));
  }

  private sendHeartbeat(): void {
    this.sendAppendEntry([]);
  }

  private sendPeerState(): void {
    this.sendAppendEntry([{ type: EntryType.PeerState, data: encodePeerState(this.currentPeerState()) }]);
  }

  /** Go sendAppendEntryLocked: store (if entries), broadcast, commit at once when alone. */
  sendAppendEntry(entries: Entry[]): boolean {
    if (this.st !== 'leader' || this.werr) return false;
    const ae: AppendEntry = { leader: this.id, term: this.termv, commit: this.commit, pterm: this.pterm, pindex: this.pindex, entries, lterm: 0 };
    const buf = encodeAppendEntry(ae);
    if (!buf) return false;
    if (entries.length > 0) {
      if (!this.storeToWAL(ae, buf)) return false;
      this.active = this.clock.now();
      this.cachePending(ae);
    }
    this.ch.sendAppendEntry(buf);
    if (this.qn <= 1) this.tryCommit(this.pindex);
    return true;
  }

  private sendMembershipChange(e: Entry): boolean {
    if (this.membChange) return false;
    const peer = e.data.latin1Slice(0, e.data.length);
    const ps = this.peerMap.get(peer);
    if ((e.type === EntryType.AddPeer && ps) || (e.type === EntryType.RemovePeer && !ps)) return false;
    this.membChange = { index: this.pindex + 1, peer, prev: e.type === EntryType.RemovePeer ? ps ?? null : null };
    if (!this.sendAppendEntry([e])) {
      this.membChange = null;
      return false;
    }
    if (e.type === EntryType.AddPeer && !this.peerMap.has(peer)) {
      this.peerMap.set(peer, { ts: 0, li: 0 });
      this.adjustClusterSizeAndQuorum();
    }
    if (e.type === EntryType.RemovePeer) {
      if (this.peerMap.delete(peer)) this.adjustClusterSizeAndQuorum();
      if (this.qn <= 1) this.tryCommit(this.pindex);
    }
    return true;
  }

  private storeToWAL(ae: AppendEntry, buf: Buffer): boolean {
    if (this.werr) return false;
    let index: number;
    try {
      index = this.store.wal.append(ae.term, buf);
    } catch (err) {
      this.onWriteError(err);
      return false;
    }
    if (index !== ae.pindex + 1) {
      this.warn(`wrong index stored ${index}, expected ${ae.pindex + 1}: resetting WAL`);
      if (this.st === 'leader') this.stepdownTo('');
      this.truncateWAL(0, 0);
      this.cancelCatchup();
      return false;
    }
    this.pterm = ae.term;
    this.pindex = index;
    this.debug(`stored ${index} term ${ae.term} (${ae.entries.length} entries, commit ${ae.commit})`);
    return true;
  }

  private cachePending(ae: AppendEntry): void {
    if (this.pae.size < PAE_MAX) this.pae.set(this.pindex, ae);
    else this.pae.delete(this.pindex);
  }

  loadEntry(index: number): AppendEntry | null {
    const rec = this.store.wal.get(index);
    return rec ? decodeAppendEntry(rec.data) : null;
  }

  // ---- leader: responses, commit (Go processAppendEntryResponse, trackResponse, tryCommit) ----

  private handleAppendEntryResponse(msg: Buffer, reply: string): void {
    const ar = decodeAppendEntryResponse(msg);
    if (!ar) {
      this.warn('malformed append entry response');
      return;
    }
    if (ar.peer === this.id) return;
    this.trackPeer(ar.peer);
    if (ar.success) {
      const committed = this.trackResponse(ar) && this.tryCommit(ar.index);
      if (committed && this.prop.length === 0 && this.st === 'leader') this.sendHeartbeat();
    } else if (reply !== '') {
      if (this.st === 'leader') this.sessions.start(ar, reply);
    } else if (ar.term > this.termv) {
      this.setTerm(ar.term, '');
      this.warn('another leader with a higher term, stepping down');
      this.stepdownTo('');
    }
  }

  private trackResponse(ar: AppendEntryResponse): boolean {
    if (this.st !== 'leader') return false;
    const ps = this.peerMap.get(ar.peer);
    if (ps && ar.index > ps.li) ps.li = ar.index;
    this.sessions.progress(ar.peer, ar.index);
    if (ar.index <= this.commit || ar.term !== this.termv || !ps) return false;
    let s = this.acks.get(ar.index);
    if (!s) this.acks.set(ar.index, (s = new Set()));
    s.add(ar.peer);
    return true;
  }

  private tryCommit(index: number): boolean {
    let acks = this.acks.get(index)?.size ?? 0;
    if (this.peerMap.has(this.id)) acks++;
    if (acks < this.qn) return false;
    for (let i = this.commit + 1; i <= index; i++) {
      const r = this.applyCommit(i);
      if (r === 'removed') {
        // We were removed: hand over and stop (Go: StepDown then Stop).
        this.stepDown();
        this.stop();
        return false;
      }
      if (r !== 'ok') return false;
    }
    return true;
  }

  /** Go trackPeer: note contact; a leader adds peers it hears from (unless managed). */
  private trackPeer(peer: string): void {
    const now = this.clock.now();
    let isRemoved = false;
    const rts = this.removed.get(peer);
    if (rts !== undefined) isRemoved = now - rts < this.timing.peerRemoveTimeout;
    const ps = this.peerMap.get(peer);
    if (ps) ps.ts = now;
    else if (!this.managed && this.st === 'leader' && !isRemoved) this.proposeAddPeer(peer);
  }

  /** Peer time of last contact (Go LastHeardFromPeer). */
  lastHeardFromPeer(peer: string): number {
    return this.peerMap.get(peer)?.ts ?? 0;
  }

  // ---- applying commits (Go applyCommit) ----

  private applyCommit(index: number): 'ok' | 'skip' | 'error' | 'removed' {
    if (this.st === 'closed') return 'error';
    if (index <= this.commit) return 'ok';
    if (this.st === 'leader') this.acks.delete(index);
    if (index <= this.papplied) return 'ok';
    let ae = this.pae.get(index) ?? null;
    if (ae) this.pae.delete(index);
    else ae = this.loadEntry(index);
    if (!ae) return 'error'; // not stored yet (Go ErrStoreEOF): wait
    this.commit = index;
    this.debug(`commit ${index} term ${ae.term}`);
    const committed: Entry[] = [];
    let result: 'ok' | 'removed' = 'ok';
    for (const e of ae.entries) {
      switch (e.type) {
        case EntryType.Normal:
          committed.push(e);
          break;
        case EntryType.OldSnapshot:
          committed.push({ type: EntryType.Snapshot, data: e.data });
          break;
        case EntryType.Snapshot:
          committed.push(e);
          break;
        case EntryType.PeerState:
          if (this.st !== 'leader') {
            const ps = decodePeerState(e.data);
            if (ps) this.processPeerState(ps);
          }
          break;
        case EntryType.AddPeer: {
          if (!this.membChange && this.st === 'leader') break;
          this.addPeer(e.data.latin1Slice(0, e.data.length));
          committed.push(e);
          this.membChange = null;
          break;
        }
        case EntryType.RemovePeer: {
          if (!this.membChange && this.st === 'leader') break;
          const peer = e.data.latin1Slice(0, e.data.length);
          this.removePeer(peer);
          committed.push(e);
          this.membChange = null;
          if (peer === this.id && this.st === 'leader') result = 'removed';
          break;
        }
      }
    }
    this.applyq.push({ index, entries: committed });
    return result;
  }

  // ---- follower: append entries (Go processAppendEntry) ----

  private handleAppendEntry(msg: Buffer, reply: string, inbox: string): void {
    const ae = decodeAppendEntry(msg);
    if (!ae) {
      this.warn('corrupt append entry');
      return;
    }
    if (ae.leader === this.id && inbox === '') return; // our own broadcast echoed back
    this.processAppendEntry(ae, inbox === '' ? 'new' : 'catchup', inbox, reply, msg);
  }

  /** Go: a follower answers with its last term and index (pterm, pindex). */
  private respond(reply: string, success: boolean, inbox = ''): void {
    this.ch.reply(reply, encodeAppendEntryResponse({ term: this.pterm, index: this.pindex, peer: this.id, success }), inbox);
  }

  private processAppendEntry(ae: AppendEntry, src: Source, inbox: string, reply: string, raw?: Buffer): void {
    if (!this.lxfer) this.resetElectionTimeout();
    if (this.st === 'closed' || this.werr) return;
    const isNew = src === 'new';
    const live = src !== 'replay';
    const lterm = ae.lterm !== 0 ? ae.lterm : ae.term;

    if (this.st === 'leader' && live) {
      if (lterm >= this.termv) {
        if (lterm > this.termv) this.setTerm(lterm, '');
        else this.warn(`two leaders in term ${lterm}: ${ae.leader} and us`);
        this.stepdownTo(ae.leader);
      } else {
        // Tell the older leader about our term.
        this.ch.reply(reply, encodeAppendEntryResponse({ term: this.termv, index: this.pindex, peer: this.id, success: false }));
        return;
      }
    }
    if (this.st === 'candidate' && live && lterm >= this.termv) {
      if (lterm > this.termv) this.setTerm(lterm, '');
      this.stepdownTo(ae.leader);
    }

    let catchingUp = this.catchup !== null;
    if (src === 'catchup' && (ae.lterm === 0 || ae.pindex < this.pindex) && (!catchingUp || inbox !== this.catchup!.inbox)) return;

    if (live && lterm > this.termv) {
      this.termv = lterm;
      this.vote = '';
      if (isNew) this.writeTermVote();
      if (this.st !== 'follower') this.stepdownTo(ae.leader);
    } else if (live && lterm < this.termv) {
      if (!isNew) return;
      this.ch.reply(reply, encodeAppendEntryResponse({ term: this.termv, index: this.pindex, peer: this.id, success: false }));
      return;
    }
    if (isNew) this.preVoting = false;

    if (catchingUp) {
      const cs = this.catchup!;
      if (this.pterm >= cs.cterm && this.pindex >= cs.cindex) {
        this.cancelCatchup();
        catchingUp = false;
      } else if (isNew) {
        if (this.catchupStalled()) {
          const inb = this.createCatchup(ae);
          this.respond(reply, false, inb);
        }
        return;
      }
    }

    if (isNew && this.leader !== ae.leader && this.st === 'follower') {
      this.updateLeader(ae.leader);
      this.writeTermVote();
      this.resetElectionTimeout();
    }
    if (isNew && ae.leader !== '' && ae.leader === this.leader) {
      this.leaderContact = this.clock.now();
      const ps = this.peerMap.get(ae.leader);
      if (ps) ps.ts = this.leaderContact;
    }

    if (src === 'catchup' && isSnapshotCatchup(ae) && ae.pindex <= this.pindex) {
      // A second copy of the snapshot we installed (our transport may duplicate):
      // it is never a log entry of its own.
      return;
    }

    if (ae.pterm !== this.pterm || ae.pindex !== this.pindex) {
      if (!live) return;
      if (ae.pindex <= this.pindex) {
        if (!this.reconcile(ae, lterm)) return;
      } else if (catchingUp) {
        if (!this.installLeaderSnapshot(ae)) this.cancelCatchup();
        return;
      } else {
        const inb = this.createCatchup(ae);
        this.respond(reply, false, inb);
        return;
      }
    }

    // Store (only live entries; a replay is already in the log).
    if (ae.entries.length > 0) {
      if (live) {
        const buf = raw && ae.lterm === 0 ? raw : encodeAppendEntry({ ...ae, lterm: 0 });
        if (!buf || !this.storeToWAL(ae, buf)) return;
        this.cachePending(ae);
        this.initializing = false;
      } else {
        this.pterm = ae.term;
        this.pindex = ae.pindex + 1;
      }
    }

    for (const e of ae.entries) {
      if (e.type === EntryType.LeaderTransfer) {
        if (isNew && e.data.latin1Slice(0, e.data.length) === this.id && !this.observer) {
          this.lxfer = true;
          this.resetElect(this.timing.transferCampaign);
        }
      } else if (e.type === EntryType.AddPeer) {
        const peer = e.data.latin1Slice(0, e.data.length);
        if (peer.length === ID_LEN) {
          this.membChange = { index: this.pindex, peer, prev: null };
          if (!this.peerMap.has(peer)) this.peerMap.set(peer, { ts: 0, li: 0 });
          this.adjustClusterSizeAndQuorum();
        }
      } else if (e.type === EntryType.RemovePeer) {
        const peer = e.data.latin1Slice(0, e.data.length);
        if (peer.length === ID_LEN) {
          this.membChange = { index: this.pindex, peer, prev: this.peerMap.get(peer) ?? { ts: 0, li: 0 } };
          this.peerMap.delete(peer);
          this.adjustClusterSizeAndQuorum();
        }
      }
    }

    if (ae.commit > this.commit) {
      const upto = Math.min(ae.commit, this.pindex);
      for (let i = this.commit + 1; i <= upto; i++) if (this.applyCommit(i) !== 'ok') break;
    }
    if (isNew) this.respond(reply, true);
  }

  /**
   * An entry whose previous index is at or below ours and does not line up.
   * Returns true when the log was trimmed so that the entry can be stored now.
   * Unlike Go, a duplicate or late copy of an entry we already hold (same index
   * and term) or a stale heartbeat of the current term changes nothing: our
   * transport may duplicate and reorder, and trimming acknowledged entries
   * would be unsafe.
   */
  private reconcile(ae: AppendEntry, lterm: number): boolean {
    if (ae.pindex < this.commit) return false; // already committed here: nothing to do
    const eae = this.termOf(ae.pindex);
    if (eae < 0) {
      this.warn(`no entry at ${ae.pindex} to compare with [${ae.pterm}:${ae.pindex}]`);
      this.cancelCatchup();
      return false;
    }
    if (eae === ae.pterm) {
      if (ae.pindex === this.pindex) {
        // Only our notion of the last term differs: take the leader's.
        this.truncateWAL(ae.pterm, ae.pindex);
        return true;
      }
      const next = this.termOf(ae.pindex + 1);
      if (ae.entries.length > 0 ? next === ae.term : next === lterm) return false; // duplicate / stale
      this.truncateWAL(ae.pterm, ae.pindex);
      return ae.pterm === this.pterm && ae.pindex === this.pindex;
    }
    // Terms differ at pindex: drop that entry and what follows (never below commit).
    const prev = ae.pindex - 1;
    if (prev >= this.commit) this.truncateWAL(this.termOf(prev), prev);
    this.cancelCatchup();
    return false;
  }

  /** Term of the entry at index: 0 before the log, the snapshot's at its index, -1 when unknown. */
  private termOf(index: number): number {
    if (index === 0) return 0;
    if (index === this.papplied && this.papplied > 0) return this.pappliedTerm;
    return this.store.wal.termAt(index);
  }

  /** The first catch-up message: the leader's snapshot and peer state (Go processAppendEntry). */
  private installLeaderSnapshot(ae: AppendEntry): boolean {
    if (!isSnapshotCatchup(ae)) {
      this.warn('expected the first catch-up entry to be a snapshot and peer state, will retry');
      return false;
    }
    const ps = decodePeerState(ae.entries[1].data);
    if (!ps) return false;
    this.processPeerState(ps);
    this.debug(`install leader snapshot ${ae.pterm}:${ae.pindex}`);
    const data = Buffer.from(ae.entries[0].data);
    const snap = { lastTerm: ae.pterm, lastIndex: ae.pindex, peerstate: encodePeerState(this.currentPeerState()), data };
    if (!this.writeSnapshot(snap)) return false;
    this.pindex = ae.pindex;
    this.pterm = ae.pterm;
    this.commit = ae.pindex;
    this.initializing = false;
    this.pae = new Map();
    this.applyq.push({ index: this.commit, entries: [{ type: EntryType.Snapshot, data }] });
    return true;
  }

  private writeSnapshot(snap: { lastTerm: number; lastIndex: number; peerstate: Buffer; data: Buffer }): boolean {
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

  // ---- follower catch-up state (Go createCatchup, catchupStalled, cancelCatchup) ----

  private createCatchup(ae: AppendEntry): string {
    const inbox = this.ch.openCatchup();
    this.catchup = { inbox, cterm: ae.pterm, cindex: ae.pindex, pterm: this.pterm, pindex: this.pindex, active: this.clock.now() };
    return inbox;
  }

  private catchupStalled(): boolean {
    const cs = this.catchup;
    if (!cs) return false;
    if (cs.pindex === this.pindex) return this.clock.now() - cs.active > this.timing.catchupActivity;
    cs.pindex = this.pindex;
    cs.active = this.clock.now();
    return false;
  }

  private cancelCatchup(): void {
    if (!this.catchup) return;
    this.ch.closeCatchup();
    this.catchup = null;
  }

  /** Go truncateWAL: drop entries after index; clamp commit/processed/applied. */
  private truncateWAL(term: number, index: number): void {
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
  private committedPeerState(index: number): PeerState {
    const mc = this.membChange;
    if (!mc || mc.index <= index) return this.currentPeerState();
    const names = this.peerNames().filter((p) => mc.prev !== null || p !== mc.peer);
    if (mc.prev && !names.includes(mc.peer)) names.push(mc.peer);
    return { knownPeers: names, clusterSize: names.length, domainExt: 0 };
  }

  private processPeerState(ps: PeerState): void {
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

  private writePeerState(): void {
    try {
      this.store.writePeerState(this.currentPeerState());
    } catch (err) {
      this.onWriteError(err);
    }
  }

  private recalcQuorum(): void {
    this.qn = Math.floor(this.csz / 2) + 1;
  }

  private adjustClusterSizeAndQuorum(): void {
    const prev = this.csz;
    this.csz = this.peerMap.size;
    this.recalcQuorum();
    if (this.csz > prev) this.lsut = this.clock.now();
    else if (this.csz < prev && this.st === 'leader') this.clock.defer(() => this.enqueue(() => { if (this.st === 'leader') this.sendHeartbeat(); }));
  }

  private addPeer(peer: string): void {
    this.removed.delete(peer);
    if (!this.peerMap.has(peer)) this.peerMap.set(peer, { ts: 0, li: 0 });
    this.adjustClusterSizeAndQuorum();
    this.writePeerState();
  }

  private removePeer(peer: string): void {
    this.removed.set(peer, this.clock.now());
    this.peerMap.delete(peer);
    this.adjustClusterSizeAndQuorum();
    this.writePeerState();
  }

  private revertMembershipChange(): void {
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

  private debug(msg: string): void {
    this.logger?.debug?.(`RAFT [${this.id} - ${this.group}] ${msg}`);
  }

  /** @internal */
  warn(msg: string): void {
    this.logger?.warn(`RAFT [${this.id} - ${this.group}] ${msg}`);
  }

  private onFatal(err: unknown): void {
    if (this.st === 'closed') return;
    this.warn(`stopping on error: ${err instanceof Error ? err.stack : String(err)}`);
    this.werr = err;
    this.stop();
  }

  private onWriteError(err: unknown): void {
    if (this.st === 'closed') return;
    this.warn(`critical write error: ${String(err)}`);
    this.werr = err;
    this.stop();
  }
}
