/**
 * RAFT node configuration and timing. The timing defaults are Go's raft.go
 * constants (`minElectionTimeoutDefault` ... `peerRemoveTimeoutDefault`).
 */
import type { Clock } from './clock.js';
import type { CommittedEntry } from './apply-queue.js';
import type { RaftStore } from './store.js';
import type { RaftTransport } from './transport.js';

export interface RaftTiming {
  /** Election timeout range: a follower that hears no leader for this long campaigns (Go 4 s .. 9 s). */
  minElectionTimeout: number;
  maxElectionTimeout: number;
  /** Quick campaign range after Campaign() or a refused vote (Go 100 ms .. 800 ms). */
  minCampaignTimeout: number;
  maxCampaignTimeout: number;
  /** Leader heartbeat when idle (Go 1 s). */
  heartbeatInterval: number;
  /** A leader that heard from no quorum for this long steps down (Go 10 s), checked every lostQuorumCheck. */
  lostQuorumInterval: number;
  lostQuorumCheck: number;
  /** An observer re-arms its election timer with this (Go 48 h). */
  observerModeInterval: number;
  /** A removed peer may be re-added automatically after this (Go 5 min). */
  peerRemoveTimeout: number;
  /** Catch-up stall: no progress for this long ends a catch-up on either side (Go 2 s). */
  catchupActivity: number;
  /** Leader transfer: the chosen peer campaigns after this (Go 10 ms). */
  transferCampaign: number;
}

export const GO_TIMING: RaftTiming = {
  minElectionTimeout: 4000,
  maxElectionTimeout: 9000,
  minCampaignTimeout: 100,
  maxCampaignTimeout: 800,
  heartbeatInterval: 1000,
  lostQuorumInterval: 10_000,
  lostQuorumCheck: 10_000,
  observerModeInterval: 48 * 3600 * 1000,
  peerRemoveTimeout: 5 * 60 * 1000,
  catchupActivity: 2000,
  transferCampaign: 10,
};

/** The replicated state machine the node feeds (Go's upper layer reading ApplyQ()). */
export interface StateMachine {
  /**
   * Apply committed entries, in order. An entry of type Snapshot replaces the
   * whole state with its data (on start-up from the local snapshot, or when a
   * leader catches this node up). May return a Promise; the next entry waits.
   */
  apply(ce: CommittedEntry): void | Promise<void>;
  /** Leadership changed: true once this node leads and has applied what the previous leader committed. */
  leaderChange?(isLeader: boolean, term: number): void;
}

export interface RaftLogger {
  debug?(msg: string): void;
  warn(msg: string): void;
}

export interface RaftConfig {
  /** Group name (subjects $NRG.*.<group>). */
  group: string;
  /** This node's 8-character id. */
  id: string;
  /** Peers (ids, this node included) to bootstrap with when the store has no peer state yet. */
  peers: string[];
  /** Cluster size to bootstrap with (default: peers.length). */
  clusterSize?: number;
  store: RaftStore;
  transport: RaftTransport;
  stateMachine: StateMachine;
  clock?: Clock;
  /** Random source for timeouts and inboxes (seed it in tests). */
  random?: () => number;
  timing?: Partial<RaftTiming>;
  /**
   * Never campaigns (Go's observer mode) and, unlike Go, withholds its vote,
   * so it does not decide elections; it still stores and acknowledges entries.
   */
  observer?: boolean;
  /** Pre-vote before every election (default true); see node.ts. */
  preVote?: boolean;
  /** The group was running before (Go RaftConfig.Recovering): an empty log is not "initializing". */
  recovering?: boolean;
  /** Peers are managed by the upper layer: never add peers automatically (Go RaftConfig.Managed). */
  managed?: boolean;
  logger?: RaftLogger;
  /** Every state change (tests check election safety with it). */
  onStateChange?: (state: 'follower' | 'candidate' | 'leader' | 'closed', term: number) => void;
}
