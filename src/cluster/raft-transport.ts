/**
 * The server's RAFT transport (Go raft_transport.go / raft.go sendq): a
 * RaftTransport (src/raft/transport.ts) over internal subscriptions in the
 * system account, so `$NRG.>` traffic reaches the other servers of the
 * cluster over routes as any system-account message does.
 *
 * Each transport owns one internal client: a message that this node itself
 * published and that comes back to one of its own subscriptions (a broadcast
 * on `$NRG.AE.<group>` matches the sender's subscription too) is dropped, as
 * the in-memory hub does. Deliveries are copied (a routed payload is a view
 * into a socket chunk) and handed to the node from a deferred pump, never
 * inside publish() (the transport contract).
 */
import { InternalClient } from '../server/internal-client.js';
import type { Server } from '../server/server.js';
import type { Account } from '../accounts/account.js';
import type { Subscription as CoreSub } from '../conn/subscription.js';
import type { MsgHandler, RaftTransport, Subscription } from '../raft/transport.js';

interface ServerSub extends Subscription {
  core: CoreSub;
  handler: MsgHandler;
  live: boolean;
}

interface Pending {
  sub: ServerSub;
  subject: string;
  reply: string;
  msg: Buffer;
}

export class ServerRaftTransport implements RaftTransport {
  private readonly ic: InternalClient;
  private readonly acc: Account;
  private readonly subs = new Set<ServerSub>();
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;

  /** `acc` defaults to the system account (Go: traffic of the meta group and of assets without `cluster_traffic`). */
  constructor(server: Server, acc: Account = server.systemAccount) {
    this.acc = acc;
    this.ic = new InternalClient(server, server.nextClientId(), acc);
  }

  publish(subject: string, reply: string, msg: Uint8Array): void {
    if (this.closed) return;
    const payload = Buffer.isBuffer(msg) ? msg : Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
    this.ic.publish(this.acc, subject, reply, null, payload);
  }

  subscribe(subject: string, handler: MsgHandler): Subscription {
    const s: ServerSub = { subject, handler, live: true, core: null as unknown as CoreSub };
    s.core = this.ic.subscribe(this.acc, subject, null, (_sub, subj, reply, _hdr, payload, from) => {
      if (!s.live || from === this.ic.client) return;
      this.queue.push({ sub: s, subject: subj, reply, msg: Buffer.from(payload) });
      this.schedule();
    });
    this.subs.add(s);
    return s;
  }

  unsubscribe(sub: Subscription): void {
    const s = sub as ServerSub;
    if (!s.live) return;
    s.live = false;
    this.subs.delete(s);
    this.ic.unsubscribe(this.acc, s.core);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.subs]) this.unsubscribe(s);
    this.queue = [];
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    for (const p of q) {
      if (!p.sub.live) continue;
      p.sub.handler(p.subject, p.reply, p.msg);
    }
  }
}
