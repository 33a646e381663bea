/**
 * A RAFT node's directory, laid out as Go lays out a raft group's store dir:
 *   tav.idx                 term and vote (Go `termVoteFile`, writeTermVote)
 *   peers.idx               peer state (Go `peerStateFile`, encodePeerState)
 *   snapshots/snap.<t>.<i>  the last snapshot (Go `snapFileT`, encodeSnapshot)
 *   wal/wal.log             the log (see wal.ts; Go keeps a file store in msgs/)
 * Every small file is replaced atomically (files.ts). A snapshot file is
 * byte for byte what Go's encodeSnapshot writes, checksum included
 * (HighwayHash-64 keyed with sha256 of the group name, as Go's initRaftNode
 * sets up n.hh).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempFiles, writeFileAtomic, type AtomicWriteHooks } from '../util/atomic-file.js';
import {
  decodePeerState, decodeSnapshot, decodeTermVote, encodePeerState, encodeSnapshot, encodeTermVote,
  type PeerState, type Snapshot, type SnapshotChecksum,
} from './messages.js';
import { Wal, type WalOptions } from './wal.js';
import { HighwayHash64 } from '../util/highwayhash.js';

export const TERM_VOTE_FILE = 'tav.idx';
export const PEER_STATE_FILE = 'peers.idx';
export const SNAPSHOTS_DIR = 'snapshots';
export const WAL_DIR = 'wal';

/** Go `termAndIndexFromSnapFile`: "snap.<term>.<index>" exactly. */
export function parseSnapName(name: string): { term: number; index: number } | null {
  const m = /^snap\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(name);
  if (!m) return null;
  const term = Number(m[1]);
  const index = Number(m[2]);
  return Number.isSafeInteger(term) && Number.isSafeInteger(index) ? { term, index } : null;
}

/** Go: highwayhash.NewDigest64(sha256(group)) over the snapshot's bytes. */
export function snapshotChecksum(group: string): SnapshotChecksum {
  const hh = new HighwayHash64(createHash('sha256').update(group).digest());
  return (bytes) => {
    hh.reset();
    return hh.update(bytes).digest();
  };
}

export interface RaftStoreOptions extends WalOptions {
  /** Test hook: runs inside atomic writes of the small files and snapshots. */
  hooks?: AtomicWriteHooks;
  /** fsync the small files and snapshots (default true; tests of process crashes may skip it). */
  fsyncFiles?: boolean;
}

export class RaftStore {
  readonly dir: string;
  readonly wal: Wal;
  private readonly checksum: SnapshotChecksum;
  private readonly hooks: AtomicWriteHooks;
  private snapFile = '';
  private lastTermVote: Buffer | null = null;
  private lastPeerState: Buffer | null = null;

  constructor(dir: string, group: string, opts: RaftStoreOptions = {}) {
    this.dir = dir;
    mkdirSync(join(dir, SNAPSHOTS_DIR), { recursive: true });
    removeTempFiles(dir);
    removeTempFiles(join(dir, SNAPSHOTS_DIR));
    this.wal = Wal.open(join(dir, WAL_DIR), opts);
    this.checksum = snapshotChecksum(group);
    this.hooks = { ...opts.hooks, fsync: opts.fsyncFiles ?? true };
  }

  readTermVote(): { term: number; vote: string } {
    try {
      return decodeTermVote(readFileSync(join(this.dir, TERM_VOTE_FILE)));
    } catch {
      return { term: 0, vote: '' };
    }
  }

  /** Skipped when unchanged (Go compares with the last bytes written, n.wtv). */
  writeTermVote(term: number, vote: string): void {
    const b = encodeTermVote(term, vote);
    if (this.lastTermVote?.equals(b)) return;
    this.lastTermVote = null;
    writeFileAtomic(join(this.dir, TERM_VOTE_FILE), b, this.hooks);
    this.lastTermVote = b;
  }

  readPeerState(): PeerState | null {
    try {
      return decodePeerState(readFileSync(join(this.dir, PEER_STATE_FILE)));
    } catch {
      return null;
    }
  }

  writePeerState(ps: PeerState): void {
    const b = encodePeerState(ps);
    if (this.lastPeerState?.equals(b)) return;
    this.lastPeerState = null;
    writeFileAtomic(join(this.dir, PEER_STATE_FILE), b, this.hooks);
    this.lastPeerState = b;
  }

  /** Write a snapshot (atomically) and remove the previous one. */
  writeSnapshot(snap: Snapshot): void {
    const name = `snap.${snap.lastTerm}.${snap.lastIndex}`;
    const path = join(this.dir, SNAPSHOTS_DIR, name);
    writeFileAtomic(path, encodeSnapshot(snap, this.checksum), this.hooks);
    if (this.snapFile && this.snapFile !== path) rmSync(this.snapFile, { force: true });
    this.snapFile = path;
  }

  hasSnapshot(): boolean {
    return this.snapFile !== '';
  }

  /**
   * Find the newest snapshot that loads (Go setupLastSnapshot picks the
   * highest term, then index); remove the others and any that are corrupt.
   */
  loadLastSnapshot(): Snapshot | null {
    const dir = join(this.dir, SNAPSHOTS_DIR);
    const found: { name: string; term: number; index: number }[] = [];
    for (const name of readdirSync(dir)) {
      const p = parseSnapName(name);
      if (p) found.push({ name, ...p });
      else rmSync(join(dir, name), { force: true });
    }
    found.sort((a, b) => b.term - a.term || b.index - a.index);
    let best: Snapshot | null = null;
    for (const f of found) {
      const path = join(dir, f.name);
      if (!best) {
        let snap: Snapshot | null = null;
        try {
          snap = decodeSnapshot(readFileSync(path), this.checksum);
        } catch {
          snap = null;
        }
        // Go drops a snapshot at index 0 (2.9.12 bug); so do we.
        if (snap && snap.lastIndex > 0) {
          best = snap;
          this.snapFile = path;
          continue;
        }
      }
      rmSync(path, { force: true });
    }
    if (!best) this.snapFile = '';
    return best;
  }

  /** Read the current snapshot file again (null when none or unreadable). */
  readSnapshot(): Snapshot | null {
    if (!this.snapFile) return null;
    try {
      return decodeSnapshot(readFileSync(this.snapFile), this.checksum);
    } catch {
      return null;
    }
  }

  /** Remove the snapshot (a truncation went below it). */
  removeSnapshot(): void {
    if (this.snapFile) rmSync(this.snapFile, { force: true });
    this.snapFile = '';
  }

  close(): void {
    this.wal.close();
  }
}
