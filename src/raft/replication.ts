/**
 * Replication: the leader's proposals, append entries, responses and commits;
 * applying commits; the follower's handling of append entries (consistency
 * check, conflicts, catch-up requests, the leader's snapshot) — Go raft.go
 * runAsLeader, sendAppendEntry, processAppendEntryResponse, trackResponse,
 * tryCommit, applyCommit, processAppendEntry.
 */
import { RaftElection } from './election.js';
import type { Source } from './base.js';
import {
  EntryType, ID_LEN, decodeAppendEntry, decodeAppendEntryResponse, decodePeerState, encodeAppendEntry,
  encodeAppendEntryResponse, encodePeerState, type AppendEntry, type AppendEntryResponse, type Entry,
} from './messages.js';

/** Go's proposal batch limits (runAsLeader). */
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_BATCH_ENTRIES = 4096;
/** Go `paeDropThreshold`: at most this many pending entries cached in memory. */
const PAE_MAX = 20_000;

/** The first message of a catch-up from a snapshot: an EntrySnapshot and an EntryPeerState. */
function isSnapshotCatchup(ae: AppendEntry): boolean {
  return ae.entries.length === 2 && ae.entries[0].type === EntryType.Snapshot && ae.entries[1].type === EntryType.PeerState;
}
export abstract class RaftReplication extends RaftElection {
  // ---- leader: proposals and append entries ----

  protected scheduleProposals(): void {
    if (this.propScheduled) return;
    this.propScheduled = true;
    this.clock.defer(() => {
      this.propScheduled = false;
      this.enqueue(() => this.flushProposals());
    });
  }

  protected flushProposals(): void {
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

  protected forwarded(msg: Buffer): void {
    if (this.st === 'leader') this.propose(msg);
  }

  protected forwardedRemovePeer(msg: Buffer): void {
    if (msg.length !== ID_LEN) {
      this.warn('invalid peer in forwarded remove-peer proposal');
      return;
    }
    if (this.st === 'leader') this.proposeRemovePeer(msg.latin1Slice(0, ID_LEN));
  }

  protected sendHeartbeat(): void {
    this.sendAppendEntry([]);
  }

  protected sendPeerState(): void {
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

  protected sendMembershipChange(e: Entry): boolean {
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

  protected storeToWAL(ae: AppendEntry, buf: Buffer): boolean {
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

  protected cachePending(ae: AppendEntry): void {
    if (this.pae.size < PAE_MAX) this.pae.set(this.pindex, ae);
    else this.pae.delete(this.pindex);
  }

  // ---- leader: responses, commit (Go processAppendEntryResponse, trackResponse, tryCommit) ----

  protected handleAppendEntryResponse(msg: Buffer, reply: string): void {
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

  protected trackResponse(ar: AppendEntryResponse): boolean {
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

  protected tryCommit(index: number): boolean {
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
  protected trackPeer(peer: string): void {
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

  protected applyCommit(index: number): 'ok' | 'skip' | 'error' | 'removed' {
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

  protected handleAppendEntry(msg: Buffer, reply: string, inbox: string): void {
    const ae = decodeAppendEntry(msg);
    if (!ae) {
      this.warn('corrupt append entry');
      return;
    }
    if (ae.leader === this.id && inbox === '') return; // our own broadcast echoed back
    this.processAppendEntry(ae, inbox === '' ? 'new' : 'catchup', inbox, reply, msg);
  }

  /** Go: a follower answers with its last term and index (pterm, pindex). */
  protected respond(reply: string, success: boolean, inbox = ''): void {
    this.ch.reply(reply, encodeAppendEntryResponse({ term: this.pterm, index: this.pindex, peer: this.id, success }), inbox);
  }

  protected processAppendEntry(ae: AppendEntry, src: Source, inbox: string, reply: string, raw?: Buffer): void {
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
          // While paused, campaign once applies resume (Go ResumeApply).
          this.lxfer = true;
          if (!this.paused) this.resetElect(this.timing.transferCampaign);
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
      if (this.paused) {
        // Go: remember the commit, apply it on ResumeApply
        if (upto > this.hcommit) this.hcommit = upto;
      } else for (let i = this.commit + 1; i <= upto; i++) if (this.applyCommit(i) !== 'ok') break;
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
  protected reconcile(ae: AppendEntry, lterm: number): boolean {
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

  /** The first catch-up message: the leader's snapshot and peer state (Go processAppendEntry). */
  protected installLeaderSnapshot(ae: AppendEntry): boolean {
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

  // ---- follower catch-up state (Go createCatchup, catchupStalled, cancelCatchup) ----

  protected createCatchup(ae: AppendEntry): string {
    const inbox = this.ch.openCatchup();
    this.catchup = { inbox, cterm: ae.pterm, cindex: ae.pindex, pterm: this.pterm, pindex: this.pindex, active: this.clock.now() };
    return inbox;
  }

  protected catchupStalled(): boolean {
    const cs = this.catchup;
    if (!cs) return false;
    if (cs.pindex === this.pindex) return this.clock.now() - cs.active > this.timing.catchupActivity;
    cs.pindex = this.pindex;
    cs.active = this.clock.now();
    return false;
  }

  protected cancelCatchup(): void {
    if (!this.catchup) return;
    this.ch.closeCatchup();
    this.catchup = null;
  }

}
