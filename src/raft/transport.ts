/**
 * How a RAFT node talks to its peers. The transport is subject based, as Go's
 * `raftTransport` (raft_transport.go: Publish, Subscribe, Unsubscribe,
 * Close): the server's implementation will publish on internal subjects in
 * the system account over routes; tests use the in-memory hub
 * (memory-transport.ts). `RaftChannels` names the subjects and gives the
 * node typed sends and receive callbacks.
 *
 * Subjects, as Go's raft.go (`raftVoteSubj` etc.):
 *   $NRG.V.<group>   vote requests (broadcast), reply to the candidate's inbox
 *   $NRG.AE.<group>  append entries (broadcast), reply to the leader's inbox
 *   $NRG.P.<group>   proposals forwarded to the leader
 *   $NRG.RP.<group>  remove-peer proposals forwarded to the leader
 *   $NRG.R.<8>       per-node reply inboxes (vote and append entry responses)
 *   $NRG.CR.<8>      a follower's catch-up inbox (the leader streams entries to it)
 * and one of ours that Go nodes do not subscribe to:
 *   $NRG.PV.<group>  pre-vote requests (Go's raft has no pre-vote phase; see node.ts)
 *
 * Contract: a message handed to a handler belongs to it (the transport does
 * not reuse the buffer), and delivery should not be synchronous inside
 * publish() (the node tolerates it, but queues such messages).
 */

export type MsgHandler = (subject: string, reply: string, msg: Buffer) => void;

export interface Subscription {
  readonly subject: string;
}

export interface RaftTransport {
  publish(subject: string, reply: string, msg: Uint8Array): void;
  subscribe(subject: string, handler: MsgHandler): Subscription;
  unsubscribe(sub: Subscription): void;
  close(): void;
}

export const raftSubjects = {
  vote: (group: string) => `$NRG.V.${group}`,
  preVote: (group: string) => `$NRG.PV.${group}`,
  append: (group: string) => `$NRG.AE.${group}`,
  proposal: (group: string) => `$NRG.P.${group}`,
  removePeer: (group: string) => `$NRG.RP.${group}`,
  reply: (suffix: string) => `$NRG.R.${suffix}`,
  catchupReply: (suffix: string) => `$NRG.CR.${suffix}`,
};

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Go's reply inbox suffix: 8 base-62 characters (`replySuffixLen`). */
export function inboxSuffix(random: () => number): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += DIGITS[Math.floor(random() * DIGITS.length)];
  return s;
}

/** Where each kind of inbound message goes. `source` tells which subscription it came on. */
export interface RaftHandlers {
  voteRequest(msg: Buffer, reply: string): void;
  preVoteRequest(msg: Buffer, reply: string): void;
  voteResponse(msg: Buffer): void;
  preVoteResponse(msg: Buffer): void;
  /** `catchupInbox` is '' for the group's append subject, else the catch-up inbox it arrived on. */
  appendEntry(msg: Buffer, reply: string, catchupInbox: string): void;
  appendEntryResponse(msg: Buffer, reply: string): void;
  proposal(msg: Buffer, reply: string): void;
  removePeerProposal(msg: Buffer, reply: string): void;
}

/** The node's subjects and subscriptions over one transport. */
export class RaftChannels {
  readonly vsubj: string;
  readonly pvsubj: string;
  readonly asubj: string;
  readonly psubj: string;
  readonly rpsubj: string;
  readonly vreply: string;
  readonly pvreply: string;
  readonly areply: string;
  private readonly t: RaftTransport;
  private readonly h: RaftHandlers;
  private readonly random: () => number;
  private base: Subscription[] = [];
  private leaderSubs: Subscription[] = [];
  private catchupSub: Subscription | null = null;

  constructor(t: RaftTransport, group: string, handlers: RaftHandlers, random: () => number) {
    this.t = t;
    this.h = handlers;
    this.random = random;
    this.vsubj = raftSubjects.vote(group);
    this.pvsubj = raftSubjects.preVote(group);
    this.asubj = raftSubjects.append(group);
    this.psubj = raftSubjects.proposal(group);
    this.rpsubj = raftSubjects.removePeer(group);
    this.vreply = raftSubjects.reply(inboxSuffix(random));
    this.pvreply = raftSubjects.reply(inboxSuffix(random));
    this.areply = raftSubjects.reply(inboxSuffix(random));
  }

  /** Go `createInternalSubs`. */
  open(): void {
    const h = this.h;
    this.base = [
      this.t.subscribe(this.vreply, (_s, _r, m) => h.voteResponse(m)),
      this.t.subscribe(this.pvreply, (_s, _r, m) => h.preVoteResponse(m)),
      this.t.subscribe(this.vsubj, (_s, r, m) => h.voteRequest(m, r)),
      this.t.subscribe(this.pvsubj, (_s, r, m) => h.preVoteRequest(m, r)),
      this.t.subscribe(this.areply, (_s, r, m) => h.appendEntryResponse(m, r)),
      this.t.subscribe(this.asubj, (_s, r, m) => h.appendEntry(m, r, '')),
    ];
  }

  /** The leader's subscriptions to forwarded proposals (Go runAsLeader). */
  openLeader(): void {
    if (this.leaderSubs.length > 0) return;
    const h = this.h;
    this.leaderSubs = [
      this.t.subscribe(this.psubj, (_s, r, m) => h.proposal(m, r)),
      this.t.subscribe(this.rpsubj, (_s, r, m) => h.removePeerProposal(m, r)),
    ];
  }

  closeLeader(): void {
    for (const s of this.leaderSubs) this.t.unsubscribe(s);
    this.leaderSubs = [];
  }

  /** A fresh catch-up inbox (Go createCatchup); replaces the previous one. */
  openCatchup(): string {
    this.closeCatchup();
    const inbox = raftSubjects.catchupReply(inboxSuffix(this.random));
    this.catchupSub = this.t.subscribe(inbox, (_s, r, m) => this.h.appendEntry(m, r, inbox));
    return inbox;
  }

  closeCatchup(): void {
    if (this.catchupSub) this.t.unsubscribe(this.catchupSub);
    this.catchupSub = null;
  }

  sendVoteRequest(msg: Buffer): void {
    this.t.publish(this.vsubj, this.vreply, msg);
  }

  sendPreVoteRequest(msg: Buffer): void {
    this.t.publish(this.pvsubj, this.pvreply, msg);
  }

  /** Broadcast an append entry (or heartbeat) to the group. */
  sendAppendEntry(msg: Buffer): void {
    this.t.publish(this.asubj, this.areply, msg);
  }

  /** Send a catch-up entry to one follower's inbox; its responses come to our inbox. */
  sendCatchupEntry(inbox: string, msg: Buffer): void {
    this.t.publish(inbox, this.areply, msg);
  }

  /** Reply (vote response, append entry response); `inbox` asks the leader for a catch-up. */
  reply(subject: string, msg: Buffer, inbox = ''): void {
    if (subject) this.t.publish(subject, inbox, msg);
  }

  forwardProposal(data: Uint8Array): void {
    this.t.publish(this.psubj, '', data);
  }

  forwardRemovePeer(peer: string): void {
    this.t.publish(this.rpsubj, '', Buffer.from(peer, 'latin1'));
  }

  close(): void {
    this.closeLeader();
    this.closeCatchup();
    for (const s of this.base) this.t.unsubscribe(s);
    this.base = [];
    this.t.close();
  }
}
