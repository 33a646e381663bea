/**
 * Elections: the election timer, pre-vote, campaigns, votes, becoming leader,
 * heartbeats and the lost-quorum check (Go raft.go switchToCandidate,
 * requestVote, processVoteRequest, runAsCandidate, switchToLeader,
 * runAsLeader's timers). The pre-vote phase is ours; see node.ts.
 */
import { RaftBase } from './base.js';
import { encodeVoteRequest, encodeVoteResponse, decodeVoteRequest, decodeVoteResponse, type VoteRequest } from './messages.js';

export abstract class RaftElection extends RaftBase {
  protected abstract sendPeerState(): void;
  protected abstract cancelCatchup(): void;
  protected abstract catchupStalled(): boolean;
  protected abstract trackPeer(peer: string): void;

  protected onElectionTimeout(): void {
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

  protected startLeaderTimers(): void {
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

  /** Go lostQuorumLocked. */
  protected lostQuorum(ignoreScaleUp: boolean): boolean {
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

  /** Shared guards before any campaign (Go switchToCandidate's early returns). */
  protected mayCampaign(): boolean {
    if (this.observer || this.paused || this.processed < this.commit) {
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

  protected startPreVote(): void {
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

  protected switchToCandidate(): void {
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

  protected switchToLeader(): void {
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

  protected upToDate(vr: VoteRequest): boolean {
    return vr.lastTerm > this.pterm || (vr.lastTerm === this.pterm && vr.lastIndex >= this.pindex);
  }

  protected handleVoteRequest(msg: Buffer, reply: string): void {
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

  protected shouldCountVoteFromPeer(peer: string): boolean {
    return this.peerMap.has(peer) || this.peerMap.size < this.csz;
  }

  protected handleVoteResponse(msg: Buffer): void {
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

  protected countVote(vr: { term: number; peer: string; granted: boolean; empty: boolean }): void {
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

  protected handlePreVoteRequest(msg: Buffer, reply: string): void {
    const vr = decodeVoteRequest(msg);
    if (!vr || vr.candidate === this.id) return;
    const now = this.clock.now();
    const heardLeader = this.st === 'leader' || (this.leader !== '' && now - this.leaderContact < this.timing.minElectionTimeout);
    const granted = !this.observer && vr.term > this.termv && !heardLeader && this.upToDate(vr);
    this.ch.reply(reply, encodeVoteResponse({ term: this.termv, peer: this.id, granted, empty: this.pindex === 0 }));
  }

  protected handlePreVoteResponse(msg: Buffer): void {
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
}
