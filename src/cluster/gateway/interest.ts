/**
 * Gateway interest bookkeeping (Go gateway.go outsie / insie / sitally).
 *
 * Outbound side (we send messages): per account, what the remote told us.
 * In optimistic mode a message goes unless the remote said `A-` (account) or
 * `RS-` (subject); once the remote switches the account to interest-only
 * (INFO gateway_cmd AllSubsStart ... AllSubsComplete, or right away when its
 * INFO had gateway_iom) a message goes only when a remote subscription
 * matches. Queue subscriptions are always explicit (RS+ with queue and weight).
 *
 * Inbound side (we receive messages): per account, whether we already sent
 * all our plain interest (interest-only) so that later changes go out as
 * RS+/RS-.
 *
 * Local tallies: per account, subject and queue, how many subscriptions the
 * whole cluster has (local clients, routes and leafs); the first and the
 * last of each make an RS+/RS- towards inbound gateways.
 */
import { Sublist, type SublistResult } from '../../sublist/sublist.js';
import { subjectHasWildcard, subjectIsSubsetMatch } from '../../sublist/subject.js';

export const MODE_OPTIMISTIC = 0;
export const MODE_TRANSITIONING = 1;
export const MODE_INTEREST_ONLY = 2;

export function modeName(m: number): string {
  return m === MODE_OPTIMISTIC ? 'Optimistic' : m === MODE_INTEREST_ONLY ? 'Interest-Only' : 'Transitioning';
}

/** A subscription a remote gateway announced. */
export class RemoteGwSub {
  constructor(
    readonly subject: string,
    readonly queue: string | null,
    public qw: number,
  ) {}
}

/** What one outbound connection knows of the remote's interest in one account (Go outsie). */
export class OutAccount {
  mode = MODE_OPTIMISTIC;
  /** subjects the remote said it has no interest in (optimistic mode only) */
  ni: Set<string> | null = new Set();
  readonly sl = new Sublist<RemoteGwSub>(true);
  readonly subs = new Map<string, RemoteGwSub>();
  qsubs = 0;
}

/** Result of an interest check: plain interest, and queue groups that match. */
export class GwInterest {
  psi = false;
  qr: SublistResult<RemoteGwSub> | null = null;
}

export class OutboundInterest {
  /** accounts with an entry; a null entry means the remote said A- */
  readonly accounts = new Map<string, OutAccount | null>();

  constructor(public interestOnly: boolean) {}

  /** Go gatewayInterest: fills `r` for account/subject. */
  check(acc: string, subject: string, r: GwInterest): void {
    r.psi = false;
    r.qr = null;
    const e = this.accounts.get(acc);
    if (e === null) return;
    if (e === undefined) {
      r.psi = !this.interestOnly;
      return;
    }
    if (!this.interestOnly && e.ni !== null && !e.ni.has(subject)) r.psi = true;
    if (e.ni === null || e.qsubs > 0) {
      const m = e.sl.match(subject);
      if (m.psubs.length > 0) r.psi = true;
      if (m.qsubs.length > 0) r.qr = m;
    }
  }

  /** A- (Go processGatewayAccountUnsub). */
  accountUnsub(acc: string): void {
    const e = this.accounts.get(acc);
    if (e !== undefined && e !== null && e.qsubs > 0) {
      e.ni = new Set();
      return;
    }
    if (e === undefined || e !== null) this.accounts.set(acc, null);
  }

  /** A+ (Go processGatewayAccountSub). */
  accountSub(acc: string): void {
    const e = this.accounts.get(acc);
    if (e === null) this.accounts.delete(acc);
    else if (e !== undefined && e.qsubs === 0 && e.mode === MODE_OPTIMISTIC) this.accounts.delete(acc);
  }

  /** RS+ (Go processGatewayRSub). Returns the subscription when one was added to the sublist. */
  remoteSub(acc: string, subject: string, queue: string | null, qw: number): RemoteGwSub | null {
    let e = this.accounts.get(acc) ?? null;
    let useSl: boolean;
    if (e !== null) {
      useSl = queue !== null || e.mode !== MODE_OPTIMISTIC;
    } else if (queue === null) {
      return null;
    } else {
      e = new OutAccount();
      this.accounts.set(acc, e);
      useSl = true;
    }
    if (!useSl) {
      const ni = e.ni;
      if (ni === null) return null;
      if (subjectHasWildcard(subject)) {
        for (const k of ni) if (subjectIsSubsetMatch(k, subject)) ni.delete(k);
      } else ni.delete(subject);
      return null;
    }
    const key = queue === null ? subject : `${subject} ${queue}`;
    const old = e.subs.get(key);
    if (old !== undefined) {
      old.qw = qw;
      return null;
    }
    const sub = new RemoteGwSub(subject, queue, qw);
    if (!e.sl.insert(sub)) return null;
    e.subs.set(key, sub);
    if (queue !== null) e.qsubs++;
    return sub;
  }

  /** RS- (Go processGatewayRUnsub). Returns the subscription removed from the sublist, if any. */
  remoteUnsub(acc: string, subject: string, queue: string | null): RemoteGwSub | null {
    let e = this.accounts.get(acc) ?? null;
    if (e === null) {
      if (queue !== null) return null;
      e = new OutAccount();
      this.accounts.set(acc, e);
    }
    if (queue === null && e.mode === MODE_OPTIMISTIC) {
      e.ni?.add(subject);
      return null;
    }
    const key = queue === null ? subject : `${subject} ${queue}`;
    const sub = e.subs.get(key);
    if (sub === undefined) return null;
    e.subs.delete(key);
    e.sl.remove(sub);
    if (queue !== null) e.qsubs--;
    return sub;
  }

  /** INFO gateway_cmd AllSubsStart (Go gatewayAllSubsReceiveStart). */
  allSubsStart(acc: string): void {
    let e = this.accounts.get(acc) ?? null;
    if (e === null) {
      e = new OutAccount();
      this.accounts.set(acc, e);
    }
    e.mode = MODE_TRANSITIONING;
  }

  /** INFO gateway_cmd AllSubsComplete (Go gatewayAllSubsReceiveComplete). */
  allSubsComplete(acc: string): void {
    const e = this.accounts.get(acc);
    if (e === undefined || e === null) return;
    e.ni = null;
    e.mode = MODE_INTEREST_ONLY;
  }
}

/** Local interest of the whole cluster (Go srvGateway.pasi): counts by account, then `subject[ queue]`. */
export class LocalTally {
  readonly accounts = new Map<string, Map<string, number>>();

  /** Apply a change; returns +1 for a first subscription, -1 for a last, 0 otherwise. */
  change(acc: string, subject: string, queue: string | null, delta: number): number {
    let m = this.accounts.get(acc);
    if (m === undefined) {
      if (delta < 0) return 0;
      m = new Map();
      this.accounts.set(acc, m);
    }
    const key = queue === null ? subject : `${subject} ${queue}`;
    const n = (m.get(key) ?? 0) + delta;
    if (n <= 0) {
      if (!m.delete(key)) return 0;
      if (m.size === 0) this.accounts.delete(acc);
      return -1;
    }
    m.set(key, n);
    return n === delta ? 1 : 0;
  }

  /** RS+ lines for an account's plain subs, or every account's queue subs (Go gwBuildSubProto). */
  lines(acc: string | null, queues: boolean): string {
    let out = '';
    const add = (name: string, m: Map<string, number>): void => {
      for (const key of m.keys()) {
        const isQ = key.includes(' ');
        if (isQ !== queues) continue;
        out += `RS+ ${name} ${key}${queues ? ' 1' : ''}\r\n`;
      }
    };
    if (acc !== null) {
      const m = this.accounts.get(acc);
      if (m !== undefined) add(acc, m);
    } else for (const [name, m] of this.accounts) add(name, m);
    return out;
  }
}
