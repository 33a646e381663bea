/**
 * Leader side of a follower catch-up (Go catchupFollower, runCatchup,
 * sendSnapshotToFollower). A follower whose log does not line up answers an
 * append entry with a failed response whose reply subject is its catch-up
 * inbox; the leader then streams it, to that inbox, the entries after the
 * follower's index — first its snapshot (an append entry holding an
 * EntrySnapshot and an EntryPeerState) when those entries were compacted away
 * — each re-encoded with the leader's current term as `lterm`. At most 2 MiB
 * are outstanding (Go maxOutstanding); acknowledgements from the follower's
 * normal responses release more; a session idle for catchupActivity ends.
 */
import type { TimerHandle } from './clock.js';
import type { Clock } from './clock.js';
import type { RaftTiming } from './config.js';
import { EntryType, encodeAppendEntry, type AppendEntry, type AppendEntryResponse } from './messages.js';
import type { RaftStore } from './store.js';

/** What a catch-up needs of the leader node. */
export interface CatchupHost {
  readonly id: string;
  readonly term: number;
  readonly commit: number;
  readonly pindex: number;
  readonly store: RaftStore;
  readonly clock: Clock;
  readonly timing: RaftTiming;
  loadEntry(index: number): AppendEntry | null;
  sendCatchup(inbox: string, msg: Buffer): void;
  catchupDone(peer: string): void;
  stepdownForCatchup(): void;
  warn(msg: string): void;
}

const MAX_OUTSTANDING = 2 * 1024 * 1024;

interface Session {
  peer: string;
  inbox: string;
  next: number;
  last: number;
  total: number;
  outstanding: Map<number, number>;
  timer: TimerHandle | null;
}

export class CatchupSessions {
  private readonly n: CatchupHost;
  private readonly sessions = new Map<string, Session>();

  constructor(node: CatchupHost) {
    this.n = node;
  }

  active(): boolean {
    return this.sessions.size > 0;
  }

  stopAll(): void {
    for (const s of this.sessions.values()) s.timer?.cancel();
    this.sessions.clear();
  }

  private end(s: Session, done: boolean): void {
    s.timer?.cancel();
    if (this.sessions.get(s.peer) === s) this.sessions.delete(s.peer);
    if (done) this.n.catchupDone(s.peer);
  }

  /** A follower asked to be caught up from ar.index (Go catchupFollower). */
  start(ar: AppendEntryResponse, inbox: string): void {
    const n = this.n;
    const old = this.sessions.get(ar.peer);
    if (old) this.end(old, false);
    const wal = n.store.wal;
    let start = ar.index + 1;
    if (start < wal.firstIndex || (wal.count === 0 && start <= wal.lastIndex)) {
      const snap = n.store.readSnapshot();
      if (!snap) {
        n.warn(`cannot catch up ${ar.peer}: no snapshot`);
        n.stepdownForCatchup();
        return;
      }
      // Go sendSnapshotToFollower: the snapshot and its peer state as the first entry.
      const pindex = Math.max(snap.lastIndex, wal.firstIndex - 1);
      const buf = encodeAppendEntry({
        leader: n.id, term: n.term, commit: n.commit, pterm: snap.lastTerm, pindex, lterm: 0,
        entries: [{ type: EntryType.Snapshot, data: snap.data }, { type: EntryType.PeerState, data: snap.peerstate }],
      });
      if (!buf) return;
      n.sendCatchup(inbox, buf);
      start = pindex + 1;
      if (wal.count === 0 || start > wal.lastIndex) {
        n.catchupDone(ar.peer);
        return;
      }
    }
    if (start > wal.lastIndex) {
      // Asked for entries beyond ours: we cannot be the right leader (Go steps down).
      if (ar.index > n.pindex) n.stepdownForCatchup();
      return;
    }
    const s: Session = { peer: ar.peer, inbox, next: start - 1, last: n.pindex, total: 0, outstanding: new Map(), timer: null };
    this.sessions.set(ar.peer, s);
    this.touch(s);
    if (this.sendNext(s)) this.end(s, true);
  }

  /** An acknowledgement from a peer being caught up. */
  progress(peer: string, index: number): void {
    const s = this.sessions.get(peer);
    if (!s) return;
    this.touch(s);
    const sz = s.outstanding.get(index);
    if (sz !== undefined) {
      s.total -= sz;
      s.outstanding.delete(index);
    }
    if (index > s.last || this.sendNext(s)) this.end(s, true);
  }

  private touch(s: Session): void {
    s.timer?.cancel();
    s.timer = this.n.clock.setTimer(this.n.timing.catchupActivity, () => {
      s.timer = null;
      this.end(s, false);
    });
  }

  /** Send while under the outstanding limit; true when everything was sent. */
  private sendNext(s: Session): boolean {
    const n = this.n;
    while (s.total <= MAX_OUTSTANDING) {
      s.next++;
      if (s.next > s.last) return true;
      const ae = n.loadEntry(s.next);
      if (!ae) return true;
      ae.lterm = n.term;
      const buf = encodeAppendEntry(ae);
      if (!buf) return true;
      s.outstanding.set(s.next, buf.length);
      s.total += buf.length;
      n.sendCatchup(s.inbox, buf);
    }
    return false;
  }
}
