/**
 * Message routing inside one account (Go processMsgResults). Every plain
 * local subscription gets a copy; each queue group gets one copy, delivered
 * to a member picked at random (a remote member counts as many times as its
 * queue weight). Subscriptions that stand for another server's interest are
 * not delivered inline: route interest (`sub.link`) and leaf node
 * connections are each collected once as a target with the queue names
 * picked for it, and get a single message after local delivery (Go
 * addSubToRouteTargets / routeTarget / msgHeaderForRouteOrLeaf).
 *
 * Who forwards to whom follows Go: a message from a route reaches local
 * subscribers and the leaf nodes we are hub for, never another route (one
 * hop, see routeFromRoute); a message from a leaf connection on which we are
 * the spoke is not sent on to routes; nothing goes back to the leaf (or leaf
 * cluster) it came from.
 *
 * Gateways (Go sendMsgToGateways): after local, route and leaf delivery, a
 * message from a client, an internal client or a leaf goes to each remote
 * cluster with interest, minus the queue groups already served in our
 * cluster; a message from a gateway reaches local subscribers, routes and
 * leafs, never another gateway (routeFromGateway). A gateway-routed reply
 * (`_GR_.`) is shown to clients without its prefix and remembered so their
 * answer goes back routed.
 */
import type { PubArg } from '../protocol/parser.js';
import type { Client } from '../conn/client.js';
import { GwReplyMap } from '../conn/gw-replies.js';
import { takeDeliverSuffix } from '../protocol/deliver-suffix.js';
import type { RemoteLink, Subscription } from '../conn/subscription.js';
import type { Account } from '../accounts/account.js';

/** Go's LEAF kind (kept as a literal here: conn/client.ts exports it as LEAF). */
const LEAF_KIND = 4;

/** What a leaf node connection offers the router. */
export interface LinkClient {
  /** cluster name of the remote side ('' when none): messages never go back to the cluster they came from */
  readonly remoteCluster: string;
  /** true when we are the spoke on this connection (we solicited it to a hub) */
  readonly isSpoke: boolean;
  /** Send one message over the link; `queues[0, nq)` are the queue groups it stands for. */
  sendLinkMsg(pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): boolean;
}

/** Route links one message goes to, with the queue names chosen per link. */
class RouteTargets {
  n = 0;
  readonly links: RemoteLink[] = [];
  readonly queues: string[][] = [];
  readonly nq: number[] = [];

  add(link: RemoteLink, queue: string | null): void {
    let k = 0;
    while (k < this.n && this.links[k] !== link) k++;
    if (k === this.n) {
      this.links[k] = link;
      if (this.queues.length <= k) this.queues.push([]);
      this.nq[k] = 0;
      this.n++;
    }
    if (queue !== null) this.queues[k][this.nq[k]++] = queue;
  }

  clear(): void {
    for (let k = 0; k < this.n; k++) this.links[k] = null as unknown as RemoteLink;
    this.n = 0;
  }
}

/** Leaf connections one message goes to, with the queue names chosen per connection. */
class LeafTargets {
  n = 0;
  readonly conns: Client[] = [];
  readonly queues: string[][] = [];
  readonly nq: number[] = [];

  add(sub: Subscription): void {
    const c = sub.client;
    let k = 0;
    while (k < this.n && this.conns[k] !== c) k++;
    if (k === this.n) {
      this.conns[k] = c;
      if (this.queues.length <= k) this.queues.push([]);
      this.nq[k] = 0;
      this.n++;
    }
    if (sub.queue !== null) this.queues[k][this.nq[k]++] = sub.queue;
  }

  clear(): void {
    for (let k = 0; k < this.n; k++) this.conns[k] = null as unknown as Client;
    this.n = 0;
  }
}

class Targets {
  readonly routes = new RouteTargets();
  readonly leafs = new LeafTargets();
  /** queue groups served inside our cluster, which gateways must not get (Go pmrCollectQueueNames) */
  readonly handled: string[] = [];
  nh = 0;

  clear(): void {
    this.routes.clear();
    this.leafs.clear();
    for (let k = 0; k < this.nh; k++) this.handled[k] = '';
    this.nh = 0;
  }
}

/** What the gateway layer offers the router (Go sendMsgToGateways and trackGWReply). */
export interface GatewayRouter {
  /** registered outbound gateway connections */
  readonly nOut: number;
  sendToGateways(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, handled: string[], nh: number, leafQueues: boolean): boolean;
}

/** Length of `_GR_.<cluster hash>.<server hash>.` (Go gwSubjectOffset). */
const GW_REPLY_OFFSET = 19;

/** Is the reply a gateway-routed one (`_GR_.` prefix and something after it)? */
function hasRoutedReply(pa: PubArg): boolean {
  const rs = pa.replyStart;
  if (rs < 0 || pa.replyEnd - rs <= GW_REPLY_OFFSET) return false;
  const b = pa.buf;
  return b[rs] === 0x5f && b[rs + 1] === 0x47 && b[rs + 2] === 0x52 && b[rs + 3] === 0x5f && b[rs + 4] === 0x2e;
}

// A delivery may publish again synchronously (internal subscriptions), so each nesting level has its own targets.
const levels: Targets[] = [];
let depth = 0;

/** Server links (routes, leaf nodes) up in this process: while there are none, routing takes the plain client path. */
let links = 0;

/** The link layers count their connections in (+1) and out (-1). */
export function countLinks(delta: number): void {
  links += delta;
}

export function routeMessage(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, gateways: GatewayRouter | null): boolean {
  // Go processMsgResults: a JetStream delivery over a leaf link shows the subject after the `@` of its ack reply.
  if (pa.replyStart >= 0 && from.kind === LEAF_KIND) takeDeliver(pa);
  const r = acc.sl.match(pa.subject);
  const psubs = r.psubs;
  const qsubs = r.qsubs;
  if (psubs.length === 0 && qsubs.length === 0) {
    const g = gateways;
    if (g === null || g.nOut === 0) return false;
    return g.sendToGateways(from, acc, pa, buf, s, e, EMPTY_NAMES, 0, from.kind === LEAF_KIND);
  }
  if (links === 0) return routeLocal(from, psubs, qsubs, pa, buf, s, e);
  const t = levels[depth] ?? (levels[depth] = new Targets());
  depth++;
  try {
    let delivered = routeResults(from, acc, psubs, qsubs, pa, buf, s, e, t);
    // Go processInboundClientMsg / processInboundLeafMsg: then the gateways, minus the queue groups served here.
    const g = gateways;
    if (g !== null && g.nOut > 0 && g.sendToGateways(from, acc, pa, buf, s, e, t.handled, t.nh, from.kind === LEAF_KIND)) delivered = true;
    return delivered;
  } finally {
    t.clear();
    depth--;
  }
}

const EMPTY_NAMES: string[] = [];

/** Only client and internal subscriptions exist: each plain one gets a copy, each queue group one. */
function routeLocal(from: Client, psubs: Subscription[], qsubs: Subscription[][], pa: PubArg, buf: Buffer, s: number, e: number): boolean {
  let delivered = false;
  const noEcho = !from.echo;
  for (let k = 0; k < psubs.length; k++) {
    const sub = psubs[k];
    const c = sub.client;
    if (noEcho && c === from && sub.icb === null) continue;
    if (c.deliver(sub, pa, buf, s, e)) delivered = true;
  }
  for (let g = 0; g < qsubs.length; g++) {
    const group = qsubs[g];
    const n = group.length;
    if (n === 0) continue;
    const start = n === 1 ? 0 : Math.floor(Math.random() * n);
    for (let k = 0; k < n; k++) {
      const sub = group[(start + k) % n];
      const c = sub.client;
      if (noEcho && c === from && sub.icb === null) continue;
      if (c.deliver(sub, pa, buf, s, e)) {
        delivered = true;
        break;
      }
    }
  }
  return delivered;
}

function routeResults(from: Client, acc: Account, psubs: Subscription[], qsubs: Subscription[][], pa: PubArg, buf: Buffer, s: number, e: number, t: Targets): boolean {
  let delivered = false;
  const noEcho = !from.echo;
  const fromLeaf = from.kind === LEAF_KIND;
  const origin = fromLeaf ? (from as unknown as LinkClient).remoteCluster : '';
  const toRoutes = !fromLeaf || !(from as unknown as LinkClient).isSpoke;
  // A hub may pass a gateway-routed reply down to its leaf: its clients see it plainly too (Go processMsgResults creply).
  const routed = fromLeaf && hasRoutedReply(pa) ? stripReply(pa) : null;
  for (let k = 0; k < psubs.length; k++) {
    const sub = psubs[k];
    if (sub.link !== null) {
      if (toRoutes) t.routes.add(sub.link, null);
      continue;
    }
    const c = sub.client;
    if (c.kind === LEAF_KIND) {
      // Leaf nodes are always no-echo: never back to the link the message came from.
      if (c !== from) t.leafs.add(sub);
      continue;
    }
    if (noEcho && c === from && sub.icb === null) continue;
    if (deliverLocal(acc, c, sub, pa, buf, s, e, routed)) delivered = true;
  }
  // A message from a leaf goes to local queue groups only when it names them (Go: empty queue filter from a LEAF).
  if (!fromLeaf || pa.queuesStart >= 0) {
    for (let g = 0; g < qsubs.length; g++) {
      const group = qsubs[g];
      if (group.length === 0) continue;
      if (fromLeaf && !queueListed(pa, group[0].queue!)) continue;
      if (deliverToQueue(acc, from, noEcho, group, pa, buf, s, e, t, origin, toRoutes, routed)) {
        delivered = true;
        t.handled[t.nh++] = group[0].queue!;
      }
    }
  }
  if (routed !== null) restoreReply(pa, routed);
  if (sendToTargets(acc, pa, buf, s, e, t, origin)) delivered = true;
  return delivered;
}

function sendToTargets(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, t: Targets, origin: string): boolean {
  let delivered = false;
  const lt = t.leafs;
  for (let k = 0; k < lt.n; k++) {
    const dc = lt.conns[k] as unknown as LinkClient;
    if (origin !== '' && origin === dc.remoteCluster) continue;
    if (dc.sendLinkMsg(pa, buf, s, e, lt.queues[k], lt.nq[k])) delivered = true;
  }
  const rt = t.routes;
  for (let k = 0; k < rt.n; k++) {
    rt.links[k].sendRouted(acc, pa, buf, s, e, rt.queues[k], rt.nq[k], origin);
    delivered = true;
  }
  return delivered;
}

/**
 * One member of the group gets the message: starting at a random point
 * weighted by queue weight, a local member that accepts takes it; a route
 * member is picked and ends the search (the remote server delivers to one of
 * its own); a leaf member is kept as the fallback when no local member takes it.
 */
function deliverToQueue(acc: Account, from: Client, noEcho: boolean, group: Subscription[], pa: PubArg, buf: Buffer, s: number, e: number, t: Targets, origin: string, toRoutes: boolean, routed: string | null): boolean {
  const n = group.length;
  let start = 0;
  if (n > 1) {
    let total = 0;
    for (let k = 0; k < n; k++) total += group[k].qw;
    let r = Math.floor(Math.random() * total);
    while (start < n - 1 && r >= group[start].qw) {
      r -= group[start].qw;
      start++;
    }
  }
  let leafSub: Subscription | null = null;
  for (let k = 0; k < n; k++) {
    const sub = group[(start + k) % n];
    if (sub.link !== null) {
      if (!toRoutes) continue;
      t.routes.add(sub.link, sub.queue);
      return true;
    }
    const c = sub.client;
    if (c.kind === LEAF_KIND) {
      if (c === from) continue;
      if (origin !== '' && origin === (c as unknown as LinkClient).remoteCluster) continue;
      if (leafSub === null) leafSub = sub;
      continue;
    }
    if (noEcho && c === from && sub.icb === null) continue;
    if (deliverLocal(acc, c, sub, pa, buf, s, e, routed)) return true;
  }
  if (leafSub === null) return false;
  t.leafs.add(leafSub);
  return true;
}

/**
 * Delivery of a message that arrived over a route (Go processInboundRoutedMsg
 * -> processMsgResults with a ROUTER producer): local plain subscribers and
 * the leaf nodes we are hub for get it, never another route (one hop); queue
 * groups get it only when the sender named them, and then one local member
 * each (a hub-side leaf member when no local one takes it).
 */
export function routeFromRoute(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number, origin = ''): boolean {
  const r = acc.sl.match(pa.subject);
  const psubs = r.psubs;
  const qsubs = r.qsubs;
  if (psubs.length === 0 && qsubs.length === 0) return false;
  takeDeliver(pa);
  const t = levels[depth] ?? (levels[depth] = new Targets());
  depth++;
  // A gateway-routed reply is shown to clients without its prefix (Go processMsgResults creply).
  const routed = hasRoutedReply(pa) ? stripReply(pa) : null;
  try {
    let delivered = false;
    for (let k = 0; k < psubs.length; k++) {
      const sub = psubs[k];
      if (sub.link !== null) continue;
      const c = sub.client;
      if (c.kind === LEAF_KIND) {
        if (!(c as unknown as LinkClient).isSpoke) t.leafs.add(sub);
        continue;
      }
      if (deliverLocal(acc, c, sub, pa, buf, s, e, routed)) delivered = true;
    }
    if (nq > 0) {
      for (let g = 0; g < qsubs.length; g++) {
        const group = qsubs[g];
        if (group.length === 0 || !named(group[0].queue!, queues, nq)) continue;
        if (deliverRoutedToQueue(acc, group, pa, buf, s, e, t, routed, origin)) delivered = true;
      }
    }
    if (routed !== null) restoreReply(pa, routed);
    // Go processMsgResults: a message a leaf cluster sent (LMSG origin) does not go back to that cluster's leaf links
    if (sendToTargets(acc, pa, buf, s, e, t, origin)) delivered = true;
    return delivered;
  } finally {
    t.clear();
    depth--;
  }
}

/**
 * Delivery of a message that arrived from another cluster over a gateway
 * (Go processInboundGatewayMsg -> processMsgResults with a GATEWAY producer):
 * local subscribers, the routes and the leaf nodes with interest get it
 * (never another gateway); queue groups only when the sender named them
 * (`anyQueue`: every group, for a reply delivered by handleGatewayReply),
 * one member each, a local one preferred.
 */
export function routeFromGateway(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number, anyQueue: boolean): boolean {
  const r = acc.sl.match(pa.subject);
  const psubs = r.psubs;
  const qsubs = r.qsubs;
  if (psubs.length === 0 && qsubs.length === 0) return false;
  takeDeliver(pa);
  const t = levels[depth] ?? (levels[depth] = new Targets());
  depth++;
  const routed = hasRoutedReply(pa) ? stripReply(pa) : null;
  try {
    let delivered = false;
    for (let k = 0; k < psubs.length; k++) {
      const sub = psubs[k];
      if (sub.link !== null) {
        t.routes.add(sub.link, null);
        continue;
      }
      const c = sub.client;
      if (c.kind === LEAF_KIND) {
        t.leafs.add(sub);
        continue;
      }
      if (deliverLocal(acc, c, sub, pa, buf, s, e, routed)) delivered = true;
    }
    if (nq > 0 || anyQueue) {
      for (let g = 0; g < qsubs.length; g++) {
        const group = qsubs[g];
        if (group.length === 0 || (!anyQueue && !named(group[0].queue!, queues, nq))) continue;
        if (deliverGatewayToQueue(acc, group, pa, buf, s, e, t, routed)) delivered = true;
      }
    }
    if (routed !== null) restoreReply(pa, routed);
    if (sendToTargets(acc, pa, buf, s, e, t, '')) delivered = true;
    return delivered;
  } finally {
    t.clear();
    depth--;
  }
}

/** One member of a group for a gateway message: a local one first, else a route member, else a leaf. */
function deliverGatewayToQueue(acc: Account, group: Subscription[], pa: PubArg, buf: Buffer, s: number, e: number, t: Targets, routed: string | null): boolean {
  const n = group.length;
  const start = n === 1 ? 0 : Math.floor(Math.random() * n);
  let remote: Subscription | null = null;
  for (let k = 0; k < n; k++) {
    const sub = group[(start + k) % n];
    if (sub.link !== null || sub.client.kind === LEAF_KIND) {
      if (remote === null || (remote.link !== null && sub.link === null)) remote = sub;
      continue;
    }
    if (deliverLocal(acc, sub.client, sub, pa, buf, s, e, routed)) return true;
  }
  if (remote === null) return false;
  if (remote.link !== null) t.routes.add(remote.link, remote.queue);
  else t.leafs.add(remote);
  return true;
}

/** Scratch control line for JetStream deliveries arriving from routes and gateways (never nested). */
let deliverLine: Buffer = Buffer.allocUnsafe(256);

/** Go processMsgResults: a JetStream delivery from another server is shown under the subject after the `@` of its ack reply. */
function takeDeliver(pa: PubArg): void {
  if (pa.replyStart < 0) return;
  const l = takeDeliverSuffix(pa, deliverLine);
  if (l !== null) deliverLine = l;
}

/** Point the reply at its plain part; returns the full routed reply. */
function stripReply(pa: PubArg): string {
  const full = pa.reply;
  pa.replyStart += GW_REPLY_OFFSET;
  pa.reply = full.slice(GW_REPLY_OFFSET);
  return full;
}

function restoreReply(pa: PubArg, full: string): void {
  pa.replyStart -= GW_REPLY_OFFSET;
  pa.reply = full;
}

/**
 * Deliver to one local subscription (Go deliverMsg). With a gateway-routed
 * reply (`routed`, shown plainly as pa.reply) the answer must find its way
 * back (Go trackGWReply): a client's own answers are mapped per client; an
 * internal subscription's per account, since any internal client of the
 * account may answer (JetStream, service imports), and before the callback
 * runs, as it may answer at once.
 */
function deliverLocal(acc: Account, c: Client, sub: Subscription, pa: PubArg, buf: Buffer, s: number, e: number, routed: string | null): boolean {
  if (routed === null) return c.deliver(sub, pa, buf, s, e);
  if (sub.icb !== null) {
    let am = acc.gwReplies;
    if (am === null) am = acc.gwReplies = new GwReplyMap();
    am.track(pa.reply, routed);
    return c.deliver(sub, pa, buf, s, e);
  }
  if (!c.deliver(sub, pa, buf, s, e)) return false;
  let m = c.gwReplies;
  if (m === null) m = c.gwReplies = new GwReplyMap();
  m.track(pa.reply, routed);
  return true;
}

function deliverRoutedToQueue(acc: Account, group: Subscription[], pa: PubArg, buf: Buffer, s: number, e: number, t: Targets, routed: string | null, origin: string): boolean {
  const n = group.length;
  const start = n === 1 ? 0 : Math.floor(Math.random() * n);
  let leafSub: Subscription | null = null;
  for (let k = 0; k < n; k++) {
    const sub = group[(start + k) % n];
    if (sub.link !== null) continue;
    const c = sub.client;
    if (c.kind === LEAF_KIND) {
      const lc = c as unknown as LinkClient;
      if (leafSub === null && !lc.isSpoke && (origin === '' || origin !== lc.remoteCluster)) leafSub = sub;
      continue;
    }
    if (deliverLocal(acc, c, sub, pa, buf, s, e, routed)) return true;
  }
  if (leafSub === null) return false;
  t.leafs.add(leafSub);
  return true;
}

function named(q: string, queues: string[], nq: number): boolean {
  for (let k = 0; k < nq; k++) if (queues[k] === q) return true;
  return false;
}

/** Is `name` one of the queue groups listed in a leaf message's queue list? */
export function queueListed(pa: PubArg, name: string): boolean {
  const b = pa.buf;
  const end = pa.queuesEnd;
  const nl = name.length;
  let k = pa.queuesStart;
  while (k < end) {
    let j = k;
    while (j < end && b[j] !== 32) j++;
    if (j - k === nl) {
      let m = 0;
      while (m < nl && b[k + m] === name.charCodeAt(m)) m++;
      if (m === nl) return true;
    }
    k = j + 1;
  }
  return false;
}
