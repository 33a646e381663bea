/**
 * The message path of gateways (Go gateway.go sendMsgToGateways,
 * processInboundGatewayMsg, handleGatewayReply): what leaves for remote
 * clusters and what arrives from them. Scratch arrays are reused so a
 * message allocates nothing here.
 */
import type { Account } from '../../accounts/account.js';
import type { Client } from '../../conn/client.js';
import type { PubArg } from '../../protocol/parser.js';
import { queueListed, routeFromGateway } from '../../server/router.js';
import type { RouteConn } from '../route/route-conn.js';
import type { GatewayConn } from './connection.js';
import { GwInterest } from './interest.js';
import { GW_SUBJECT_OFFSET, OLD_GW_SUBJECT_OFFSET, gwHash, routedReplyKind } from './reply.js';
import type { GatewayManager } from './manager.js';

export class GatewayRouting {
  private readonly gi = new GwInterest();
  private readonly qbuf: string[] = [];
  private readonly sentQ: string[] = [];

  constructor(private readonly m: GatewayManager) {}


  /**
   * Go sendMsgToGateways: one copy per remote cluster with interest; a queue
   * group not served in our cluster (`handled`) goes to one remote cluster
   * only; a `_GR_.` subject goes straight to the cluster it names.
   */
  send(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, handled: string[], nh: number, leafQueues: boolean): boolean {
    const subject = pa.subject;
    if (subject.length === 0) return false;
    const outo = this.m.outo;
    const kind = routedReplyKind(subject);
    let delivered = false;
    if (kind !== 0) {
      const dst = kind === 1 ? subject.slice(5, 11) : subject.slice(4, 8);
      for (let k = 0; k < outo.length; k++) {
        const c = outo[k];
        if ((kind === 1 ? c.cfg!.hash : c.cfg!.oldHash) !== dst) continue;
        c.sendMsg(acc.name, pa, buf, s, e, this.qbuf, 0, null);
        countOut(acc, e - s);
        delivered = true;
      }
      return delivered;
    }
    const gi = this.gi;
    const qbuf = this.qbuf;
    const sent = this.sentQ;
    let ns = 0;
    let checkReply = pa.replyStart >= 0;
    let mreply: string | null = null;
    for (let k = 0; k < outo.length; k++) {
      const c = outo[k];
      c.interest!.check(acc.name, subject, gi);
      if (!gi.psi && gi.qr === null) continue;
      let nq = 0;
      const qr = gi.qr;
      if (qr !== null) {
        for (let g = 0; g < qr.qsubs.length; g++) {
          const group = qr.qsubs[g];
          if (group.length === 0) continue;
          const q = group[0].queue!;
          if (leafQueues && !queueListed(pa, q)) continue;
          if (listed(q, handled, nh) || listed(q, sent, ns)) continue;
          sent[ns++] = q;
          qbuf[nq++] = q;
        }
      }
      if (!gi.psi && nq === 0) continue;
      if (checkReply) {
        checkReply = false;
        const reply = pa.reply;
        if (this.m.recent.matches(acc.name, reply)) mreply = (c.useOldPrefix ? this.m.oldReplyPrefix : this.m.replyPrefix) + reply;
      }
      c.sendMsg(acc.name, pa, buf, s, e, qbuf, nq, mreply);
      countOut(acc, e - s);
      delivered = true;
    }
    for (let k = 0; k < ns; k++) sent[k] = '';
    return delivered;
  }


  /** Go processInboundGatewayMsg. */
  inbound(c: GatewayConn, accName: string, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): void {
    const acc = this.m.server.lookupAccount(accName);
    if (routedReplyKind(pa.subject) !== 0) {
      this.handleGatewayReply(c, acc, pa, buf, s, e, queues, nq);
      return;
    }
    if (acc === null) {
      // Go gatewayHandleAccountNoInterest: tell the remote once that we have nothing for this account.
      if (!c.interestOnlyAccounts.has(accName) && !c.sentAccountUnsub.has(accName)) {
        c.sentAccountUnsub.add(accName);
        c.enqueueString(`A- ${accName}\r\n`);
      }
      return;
    }
    // Go processInboundGatewayMsg: the account's gateway traffic (routed replies are not counted)
    const st = acc.gwStats;
    st.inMsgs++;
    st.inBytes += e - s;
    routeFromGateway(acc, pa, buf, s, e, queues, nq, false);
  }

  /**
   * Go handleGatewayReply: a `_GR_.` subject for our cluster is delivered
   * under its plain subject here, or handed over the route to the server
   * that sent the request; one for another cluster is dropped.
   */
  private handleGatewayReply(c: GatewayConn | null, acc: Account | null, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): void {
    const subject = pa.subject;
    const old = routedReplyKind(subject) === 2;
    if (old ? subject.slice(4, 8) !== this.m.oldHash : subject.slice(5, 11) !== this.m.hash) return;
    if (acc === null) return;
    if (c !== null && !old) {
      const sh = subject.slice(12, 18);
      if (sh !== this.m.serverHash) {
        const rc = this.routeByHash(sh);
        if (rc !== null) {
          rc.sendRouted(acc, pa, buf, s, e, queues, 0);
          return;
        }
      }
    }
    const off = old ? OLD_GW_SUBJECT_OFFSET : GW_SUBJECT_OFFSET;
    pa.subjectStart += off;
    pa.subject = subject.slice(off);
    routeFromGateway(acc, pa, buf, s, e, queues, nq, true);
  }

  /** A `_GR_.` message that a cluster peer handed us over a route (Go processInboundRoutedMsg -> handleGatewayReply). */
  replyFromRoute(acc: Account, pa: PubArg, buf: Buffer, s: number, e: number, queues: string[], nq: number): boolean {
    if (routedReplyKind(pa.subject) === 0) return false;
    this.handleGatewayReply(null, acc, pa, buf, s, e, queues, nq);
    return true;
  }

  private routeByHash(h: string): RouteConn | null {
    const rm = this.m.routes();
    if (rm === null) return null;
    for (const rc of rm.routes.values()) {
      if (rc.gwHash === '') rc.gwHash = gwHash(rc.remoteId);
      if (rc.gwHash === h) return rc;
    }
    return null;
  }

}

/** Go sendMsgToGateways: each copy sent counts in the account's gateway traffic. */
function countOut(acc: Account, bytes: number): void {
  const st = acc.gwStats;
  st.outMsgs++;
  st.outBytes += bytes;
}

function listed(q: string, a: string[], n: number): boolean {
  for (let k = 0; k < n; k++) if (a[k] === q) return true;
  return false;
}
