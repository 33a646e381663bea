/**
 * The JetStream meta group (Go jetstream_cluster.go setupMetaGroup,
 * monitorCluster, applyMetaEntries): every JetStream server of a cluster runs
 * one node of the RAFT group `_meta_`, in the system account, with its log
 * under `<store_dir>/jetstream/$SYS/_js_/_meta_`. Its node id is Go's
 * getHash of the server name (8 base-62 characters), so ids match what Go
 * servers expect of a peer. When the store holds no peer state the group
 * bootstraps as Go's bootstrapRaftNode does: known peers = this server, the
 * expected size at least 2 and at least the number of configured routes; the
 * leader adds the peers it hears from.
 *
 * Committed entries are Go's meta entries (op byte + assignment JSON, see
 * assignments.ts) and are kept here per account; the stream and consumer API
 * does not go through the meta group yet (streams are still served by the
 * server the request reaches, and num_replicas > 1 is refused).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { RaftNode } from '../../raft/node.js';
import { RaftStore } from '../../raft/store.js';
import { EntryType } from '../../raft/messages.js';
import type { CommittedEntry } from '../../raft/apply-queue.js';
import type { RaftTiming } from '../../raft/config.js';
import { ServerRaftTransport } from '../../cluster/raft-transport.js';
import type { Server } from '../../server/server.js';
import type { Subscription } from '../../conn/subscription.js';
import type { InternalClient } from '../../server/internal-client.js';
import { jsError } from '../api/errors.js';
import {
  EntryOp, assignmentAccount, decodeMetaEntry, encodeAddStreamAssignment,
  type ConsumerAssignment, type StreamAssignment,
} from './assignments.js';

/** Go defaultMetaGroupName, defaultStoreDirName. */
export const META_GROUP = '_meta_';
export const JS_STORE_DIR = '_js_';

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Go getHash (events.go): sha256 of the name, the first 8 bytes each mapped to a base-62 digit. */
export function nodeHash(name: string, size = 8): string {
  const b = createHash('sha256').update(name).digest();
  let s = '';
  for (let i = 0; i < size; i++) s += DIGITS[b[i] % 62];
  return s;
}

export interface MetaOptions {
  /** Number of routes configured on this server (Go bootstrapRaftNode's expected size). */
  configuredRoutes: number;
  clusterName: () => string;
  /** Server names of the servers this one has routes to now. */
  routedNames: () => string[];
  timing?: Partial<RaftTiming>;
}

const STEPDOWN = 'META.LEADER.STEPDOWN';
/** A peer heard from this recently counts as online for placement (lag in flight aside). */
const RECENT_CONTACT_MS = 5000;
/** Meta entries applied between two snapshots of the meta state. */
const SNAPSHOT_EVERY = 256;

export class MetaGroup extends EventEmitter {
  readonly id: string;
  readonly node: RaftNode;
  readonly dir: string;
  /** account -> stream name -> assignment */
  readonly streams = new Map<string, Map<string, StreamAssignment>>();
  /** `account stream` -> consumer name -> assignment */
  readonly consumers = new Map<string, Map<string, ConsumerAssignment>>();
  private readonly names = new Map<string, string>();
  /** node id -> server tags, learned from `$SYS.SERVER.*.STATSZ` (Go nodeToInfo) */
  private readonly tags = new Map<string, string[]>();
  private readonly subs: Subscription[] = [];
  private readonly transport: ServerRaftTransport;
  private sinceSnapshot = 0;
  /**
   * Replaying what was committed before this start (Go js.metaRecovering):
   * assignments only update the state; the servers act on the result once,
   * when the replay is done ('recovered').
   */
  recovering = false;
  private recoverTo = 0;

  constructor(
    private readonly server: Server,
    private readonly ic: InternalClient,
    jsStoreDir: string,
    private readonly apiPrefixes: string[],
    private readonly opts: MetaOptions,
  ) {
    super();
    this.id = nodeHash(server.name);
    this.names.set(this.id, server.name);
    const sys = server.systemAccount;
    this.dir = join(jsStoreDir, sys.name, JS_STORE_DIR, META_GROUP);
    const store = new RaftStore(this.dir, META_GROUP);
    const bootstrap = store.readPeerState() === null;
    if (bootstrap) server.log.info('JetStream cluster bootstrapping');
    else server.log.info('JetStream cluster recovering state');
    this.transport = new ServerRaftTransport(server);
    this.node = new RaftNode({
      group: META_GROUP,
      id: this.id,
      peers: [this.id],
      clusterSize: Math.max(2, opts.configuredRoutes),
      store,
      transport: this.transport,
      stateMachine: {
        apply: (ce) => this.apply(ce),
        leaderChange: (isLeader) => this.leaderChange(isLeader),
      },
      timing: opts.timing,
      recovering: true,
      logger: { warn: (m) => server.log.warn(`RAFT [${this.id} - ${META_GROUP}] ${m}`) },
    });
    this.recoverTo = this.node.progress().commit;
    this.recovering = this.recoverTo > 0;
    // Go setupMetaGroup: with no state, campaign early
    if (bootstrap) this.node.campaign();
    this.tags.set(this.id, [...(server.opts.tags ?? [])]);
    // Go keeps each server's name, tags and JetStream flag from its statsz (nodeToInfo)
    this.subs.push(ic.subscribe(sys, '$SYS.SERVER.*.STATSZ', null, (_s, _subj, _reply, _hdr, payload) => this.learn(Buffer.from(payload))));
    // Kept off the routes: as Go, the system account advertises only `$JS.API.>` (JetStream's
    // answerForwarded), which brings another server's request here.
    for (const p of apiPrefixes) {
      this.subs.push(ic.subscribe(sys, `${p}.${STEPDOWN}`, null, (_s, _subj, reply, _hdr, payload) => {
        this.stepdownRequest(reply, Buffer.from(payload));
      }, true));
    }
  }

  private learn(payload: Buffer): void {
    try {
      const o = JSON.parse(payload.toString()) as { server?: { name?: string; tags?: string[] } };
      const name = o.server?.name;
      if (typeof name !== 'string' || name === '') return;
      const id = nodeHash(name);
      this.names.set(id, name);
      this.tags.set(id, Array.isArray(o.server!.tags) ? o.server!.tags.filter((t) => typeof t === 'string') : []);
    } catch {
      // not a statsz we can read
    }
  }

  /** A peer's server tags as last seen ([] when unknown). */
  tagsOf(id: string): string[] {
    return this.tags.get(id) ?? [];
  }

  /** Server name of a peer id, as far as this server has seen it (Go serverNameForNode). */
  nameOf(id: string): string {
    if (!this.names.has(id)) for (const n of this.opts.routedNames()) this.names.set(nodeHash(n), n);
    return this.names.get(id) ?? '';
  }

  clusterName(): string {
    return this.opts.clusterName();
  }

  /** Peers the leader heard from lately, this server included (Go: online JetStream peers). */
  currentPeers(): string[] {
    const now = performance.now();
    return this.node.peers().filter((p) => p.id === this.id || p.current || (p.last > 0 && now - p.last < RECENT_CONTACT_MS)).map((p) => p.id);
  }

  /** Meta peers this server has a route to now, itself included. */
  routedPeers(): string[] {
    const routed = new Set(this.opts.routedNames().map((n) => nodeHash(n)));
    return this.node.peerNames().filter((p) => p === this.id || routed.has(p));
  }

  isLeader(): boolean {
    return this.node.isLeader();
  }

  leaderName(): string {
    const l = this.node.leaderId;
    return l === '' ? '' : this.nameOf(l);
  }

  /** Propose a meta entry (leader only, or forwarded to the leader). */
  propose(entry: Buffer): void {
    this.node.forwardProposal(entry);
  }

  proposeStream(sa: StreamAssignment): void {
    this.propose(encodeAddStreamAssignment(sa));
  }

  streamAssignment(account: string, name: string): StreamAssignment | undefined {
    return this.streams.get(account)?.get(name);
  }

  /** Go applyMetaEntries: keep the assignments of each committed entry. */
  private apply(ce: CommittedEntry): void {
    this.applyEntries(ce);
    if (this.recovering && ce.index >= this.recoverTo) {
      this.recovering = false;
      this.emit('recovered');
    }
    // Go monitorCluster snapshots the meta state now and then; we do it every SNAPSHOT_EVERY entries
    if (++this.sinceSnapshot >= SNAPSHOT_EVERY) {
      this.sinceSnapshot = 0;
      const index = ce.index;
      setImmediate(() => {
        if (this.node.state !== 'closed' && this.node.progress().applied >= index) this.node.installSnapshot(this.snapshot());
      });
    }
  }

  /** Our own snapshot format (see restore). */
  snapshot(): Buffer {
    const list: { sa: StreamAssignment; consumers?: ConsumerAssignment[] }[] = [];
    for (const [acc, m] of this.streams) {
      for (const [name, sa] of m) {
        const cs = this.consumers.get(`${acc} ${name}`);
        list.push(cs && cs.size > 0 ? { sa, consumers: [...cs.values()] } : { sa });
      }
    }
    return Buffer.from(JSON.stringify(list));
  }

  private applyEntries(ce: CommittedEntry): void {
    for (const e of ce.entries) {
      if (e.type === EntryType.Snapshot) {
        this.restore(e.data);
        continue;
      }
      if (e.type !== EntryType.Normal) continue;
      const me = decodeMetaEntry(e.data);
      if (me === null) {
        this.server.log.warn(`JetStream cluster: meta entry op ${e.data[0] ?? -1} not handled`);
        continue;
      }
      if ('sa' in me) {
        const acc = assignmentAccount(me.sa);
        const name = String(me.sa.stream.name ?? '');
        let m = this.streams.get(acc);
        if (me.op === EntryOp.removeStream) {
          m?.delete(name);
          this.consumers.delete(`${acc} ${name}`);
        } else {
          if (!m) this.streams.set(acc, (m = new Map()));
          m.set(name, me.sa);
        }
        this.emit('stream', me.op, acc, me.sa);
      } else {
        const acc = assignmentAccount(me.ca);
        const key = `${acc} ${me.ca.stream}`;
        let m = this.consumers.get(key);
        if (me.op === EntryOp.removeConsumer) m?.delete(me.ca.name);
        else {
          if (!m) this.consumers.set(key, (m = new Map()));
          m.set(me.ca.name, me.ca);
        }
        this.emit('consumer', me.op, acc, me.ca);
      }
    }
  }

  /** Our own snapshot format (a JSON list of stream assignments with their consumers); Go's is s2-compressed. */
  private restore(data: Buffer): void {
    this.streams.clear();
    this.consumers.clear();
    try {
      const list = JSON.parse(data.toString()) as { sa: StreamAssignment; consumers?: ConsumerAssignment[] }[];
      for (const { sa, consumers } of list) {
        const acc = assignmentAccount(sa);
        const name = String(sa.stream.name ?? '');
        let m = this.streams.get(acc);
        if (!m) this.streams.set(acc, (m = new Map()));
        m.set(name, sa);
        if (consumers?.length) this.consumers.set(`${acc} ${name}`, new Map(consumers.map((c) => [c.name, c])));
        this.emit('stream', EntryOp.assignStream, acc, sa);
      }
    } catch {
      this.server.log.warn('JetStream cluster: could not read the meta snapshot');
    }
  }

  private leaderChange(isLeader: boolean): void {
    if (isLeader) this.server.log.info('Self is new JetStream cluster metadata leader');
    this.emit('leader', isLeader);
  }

  /** Go jsLeaderStepDownRequest: only the meta leader answers, only requests in the system account reach here. */
  private stepdownRequest(reply: string, payload: Buffer): void {
    if (!this.node.isLeader() || reply === '') return;
    const resp: Record<string, unknown> = { type: 'io.nats.jetstream.api.v1.meta_leader_stepdown_response' };
    let preferred = '';
    const body = payload.toString().trim();
    if (body.startsWith('{')) {
      try {
        const req = JSON.parse(body) as { placement?: { preferred?: string } };
        const want = req.placement?.preferred ?? '';
        if (want) {
          preferred = [...this.node.peerNames()].find((p) => this.nameOf(p) === want) ?? '';
          if (preferred === '' || preferred === this.id) {
            resp.error = jsError('JSClusterNoPeersErrF', { err: 'preferred server not found in peer set' });
            this.reply(reply, resp);
            return;
          }
        }
      } catch (e) {
        resp.error = jsError('JSInvalidJSONErr', { err: String(e) });
        this.reply(reply, resp);
        return;
      }
    }
    if (this.node.stepDown(preferred)) resp.success = true;
    else resp.error = jsError('JSRaftGeneralErrF', { err: 'raft: not leader' });
    this.reply(reply, resp);
  }

  private reply(subject: string, body: Record<string, unknown>): void {
    this.ic.publish(this.server.systemAccount, subject, '', null, Buffer.from(JSON.stringify(body)));
  }

  /** /jsz `meta_cluster` (Go MetaClusterInfo; replicas only on the leader, as Go 2.9.10 reports them). */
  clusterInfo(): Record<string, unknown> {
    const n = this.node;
    const out: Record<string, unknown> = { name: this.opts.clusterName() };
    const leader = this.leaderName();
    if (leader) {
      out.leader = leader;
      out.peer = nodeHash(leader);
    }
    if (n.state === 'leader') {
      const now = performance.now();
      const reps = n.peers().filter((p) => p.id !== this.id).map((p) => {
        const r: Record<string, unknown> = { name: this.nameOf(p.id) || p.id, current: p.current };
        r.active = p.last > 0 ? Math.round((now - p.last) * 1e6) : 0;
        if (p.lag > 0) r.lag = p.lag;
        r.peer = p.id;
        return r;
      });
      if (reps.length > 0) out.replicas = reps;
    }
    out.cluster_size = n.clusterSize;
    out.pending = 0;
    return out;
  }

  stop(): void {
    for (const s of this.subs) this.ic.unsubscribe(this.server.systemAccount, s);
    this.subs.length = 0;
    this.node.stop();
    this.removeAllListeners();
  }
}
