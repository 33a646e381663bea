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
 * from a leader within the minimum election timeout. No one changes its vote
 * for a pre-vote, and the asking node keeps its term (it only joins a later
 * term that an answer shows it); only a pre-vote majority starts a real
 * election (term + 1, Go's vote request on $NRG.V.<group>). So a node cut off from the
 * group does not inflate its term and cannot depose a healthy leader when it
 * comes back. A leader transfer skips the pre-vote. Go nodes never answer
 * pre-votes: in a group where our nodes are a minority they wait for a Go node
 * to campaign (set preVote: false there).
 *
 * Where we differ from Go on purpose: a duplicated or late copy of an entry
 * we hold (same index and term), or a stale heartbeat of the current term,
 * never truncates the log (Go's transport never duplicates; ours may, and
 * trimming acknowledged entries would be unsafe); a duplicated snapshot
 * catch-up message is never stored; an observer withholds its vote (Go's
 * observers still vote).
 */
import { RaftReplication } from './replication.js';
import type { RaftConfig } from './config.js';
import { EntryType, ID_LEN, decodePeerState, encodePeerState, type Entry } from './messages.js';
import type { PeerInfo, RaftState } from './base.js';

export type { PeerInfo, PeerTrack, RaftState } from './base.js';

export class RaftNode extends RaftReplication {
  constructor(cfg: RaftConfig) {
    super(cfg);
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

  /** Go AdjustClusterSize (leader only): a new cluster size (at least 2), sent as peer state. */
  adjustClusterSize(n: number): boolean {
    if (this.st !== 'leader') return false;
    this.csz = Math.max(2, n);
    this.recalcQuorum();
    this.sendPeerState();
    return true;
  }

  /** Go AdjustBootClusterSize: only before the group ever had a leader. */
  adjustBootClusterSize(n: number): boolean {
    if (this.leader !== '' || this.hadLeader) return false;
    this.csz = Math.max(2, n);
    this.recalcQuorum();
    return true;
  }

  /** Go SendSnapshot: replicate a snapshot of the upper layer as an EntrySnapshot (scale-up, restore). */
  sendSnapshot(data: Uint8Array): boolean {
    return this.sendAppendEntry([{ type: EntryType.Snapshot, data: Buffer.from(data) }]);
  }

  /**
   * Go PauseApply: stop handing commits to the state machine (it is busy
   * restoring, e.g. a stream catch-up); a leader refuses, others step down to
   * follower and do not campaign until resumeApply().
   */
  pauseApply(): boolean {
    if (this.st === 'leader' || this.st === 'closed') return false;
    if (this.st !== 'follower') this.stepdownTo('');
    this.paused = true;
    if (this.hcommit < this.commit) this.hcommit = this.commit;
    this.resetElect(this.timing.observerModeInterval);
    return true;
  }

  /** Go ResumeApply: apply what was committed meanwhile, then campaign if a transfer chose us. */
  resumeApply(): void {
    if (!this.paused || this.st === 'closed') return;
    for (let i = this.commit + 1; i <= this.hcommit; i++) if (this.applyCommit(i) !== 'ok') break;
    this.paused = false;
    this.hcommit = 0;
    if (this.lxfer) this.resetElect(this.timing.transferCampaign);
    else this.resetElectionTimeout();
  }

  get isPaused(): boolean {
    return this.paused;
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

  protected processedEntry(index: number): void {
    if (index > 0) this.processedTo(index, index);
  }

}
