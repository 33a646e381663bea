/**
 * Message routing inside one account (Go processMsgResults): every plain
 * subscription gets a copy, each queue group gets one copy delivered to a
 * randomly chosen member that accepts it. Subscriptions held by server links
 * (leaf nodes) are not delivered inline: each link connection is collected
 * once as a target with the queue groups it was picked for, and gets a single
 * message after local delivery (Go addSubToRouteTargets / msgHeaderForRouteOrLeaf).
 */
import type { PubArg } from '../protocol/parser.js';
import type { Client } from '../conn/client.js';
import type { Subscription } from '../conn/subscription.js';
import type { Account } from '../accounts/account.js';

/** Go's LEAF kind (kept as a literal here: conn/client.ts exports it as LEAF). */
const LEAF_KIND = 4;

/** What a link connection (leaf node) offers the router. */
export interface LinkClient {
  /** cluster name of the remote side ('' when none): messages never go back to the cluster they came from */
  readonly remoteCluster: string;
  /** Send one message over the link; `queues[0, nq)` are the queue groups it stands for. */
  sendLinkMsg(pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): boolean;
}

// Route targets of the publish being routed (reused: routing is not re-entrant per level, see depth).
class Targets {
  conns: Client[] = [];
  queues: string[][] = [];
  nq: number[] = [];
  hasPlain: boolean[] = [];
  n = 0;

  add(sub: Subscription): void {
    const c = sub.client;
    let k = 0;
    for (; k < this.n; k++) if (this.conns[k] === c) break;
    if (k === this.n) {
      this.n++;
      this.conns[k] = c;
      if (this.queues.length <= k) this.queues.push([]);
      this.nq[k] = 0;
      this.hasPlain[k] = false;
    }
    if (sub.queue === null) this.hasPlain[k] = true;
    else this.queues[k][this.nq[k]++] = sub.queue;
  }
}

const levels: Targets[] = [];
let depth = 0;

/** Link connections up in this process: while there are none, routing takes the plain client path. */
let links = 0;

/** The link layer counts its connections in (+1) and out (-1). */
export function countLinks(delta: number): void {
  links += delta;
}

export function routeMessage(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number): boolean {
  const r = acc.sl.match(pa.subject);
  const psubs = r.psubs;
  const qsubs = r.qsubs;
  if (psubs.length === 0 && qsubs.length === 0) return false;
  if (links === 0) return routeLocal(from, psubs, qsubs, pa, buf, s, e);
  const t = levels[depth] ?? (levels[depth] = new Targets());
  depth++;
  try {
    t.n = 0;
    return routeResults(from, psubs, qsubs, pa, buf, s, e, t);
  } finally {
    for (let k = 0; k < t.n; k++) t.conns[k] = null as unknown as Client;
    t.n = 0;
    depth--;
  }
}

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

function routeResults(from: Client, psubs: Subscription[], qsubs: Subscription[][], pa: PubArg, buf: Buffer, s: number, e: number, t: Targets): boolean {
  let delivered = false;
  const noEcho = !from.echo;
  const fromLeaf = from.kind === LEAF_KIND;
  for (let k = 0; k < psubs.length; k++) {
    const sub = psubs[k];
    const c = sub.client;
    if (c.kind === LEAF_KIND) {
      // Leaf nodes are always no-echo: never back to the link the message came from.
      if (c !== from) t.add(sub);
      continue;
    }
    if (noEcho && c === from && sub.icb === null) continue;
    if (c.deliver(sub, pa, buf, s, e)) delivered = true;
  }
  // A message from a leaf goes to local queue groups only when it names them (Go: empty queue filter from a LEAF).
  if (!fromLeaf || pa.queuesStart >= 0) {
    const origin = fromLeaf ? (from as unknown as LinkClient).remoteCluster : '';
    for (let g = 0; g < qsubs.length; g++) {
      const group = qsubs[g];
      if (group.length === 0) continue;
      if (fromLeaf && !queueListed(pa, group[0].queue!)) continue;
      if (deliverToQueue(from, noEcho, group, pa, buf, s, e, t, origin)) delivered = true;
    }
  }
  if (t.n === 0) return delivered;
  const origin = fromLeaf ? (from as unknown as LinkClient).remoteCluster : '';
  for (let k = 0; k < t.n; k++) {
    const dc = t.conns[k] as unknown as LinkClient;
    if (origin !== '' && origin === dc.remoteCluster) continue;
    if (dc.sendLinkMsg(pa, buf, s, e, t.queues[k], t.nq[k])) delivered = true;
  }
  return delivered;
}

/** One member of the group gets it: a local one when any accepts, else one leaf link (Go prefers local qsubs). */
function deliverToQueue(from: Client, noEcho: boolean, group: Subscription[], pa: PubArg, buf: Buffer, s: number, e: number, t: Targets, origin: string): boolean {
  const n = group.length;
  const start = n === 1 ? 0 : Math.floor(Math.random() * n);
  let rsub: Subscription | null = null;
  for (let k = 0; k < n; k++) {
    const sub = group[(start + k) % n];
    const c = sub.client;
    if (c.kind === LEAF_KIND) {
      if (c === from) continue;
      if (origin !== '' && origin === (c as unknown as LinkClient).remoteCluster) continue;
      if (rsub === null) rsub = sub;
      continue;
    }
    if (noEcho && c === from && sub.icb === null) continue;
    if (c.deliver(sub, pa, buf, s, e)) return true;
  }
  if (rsub === null) return false;
  t.add(rsub);
  return true;
}

/** Is `name` one of the queue groups listed in a leaf message's queue list? */
function queueListed(pa: PubArg, name: string): boolean {
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
