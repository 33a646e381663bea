/**
 * Interest propagation hook (Go updateRouteSubscriptionMap /
 * updateLeafNodes / gateway interest): every account's sublist tells this
 * fan-out which subscriptions were really added or removed, and it passes
 * each change to the links that forward interest to other servers (routes,
 * leaf nodes, gateways). Sinks filter by the subscription's client kind
 * themselves (a route's own subscriptions are not sent back over routes).
 * Only subscribe/unsubscribe pays for this; the publish path never does.
 */
import type { Account } from '../accounts/account.js';
import type { Subscription } from '../conn/subscription.js';

export interface InterestSink {
  subChanged(acc: Account, sub: Subscription, added: boolean): void;
  /**
   * A leaf's queue subscription changed weight by `delta` members without
   * being added or removed (Go processLeafSub on an existing queue sub:
   * UpdateRemoteQSub, then updateRouteSubscriptionMap and updateLeafNodes
   * with the difference).
   */
  weightChanged?(acc: Account, sub: Subscription, delta: number): void;
}

export class InterestFanout {
  private readonly sinks: InterestSink[] = [];

  addSink(sink: InterestSink): void {
    if (!this.sinks.includes(sink)) this.sinks.push(sink);
  }

  removeSink(sink: InterestSink): void {
    const i = this.sinks.indexOf(sink);
    if (i >= 0) this.sinks.splice(i, 1);
  }

  /** Tell the sinks that `sub` (a leaf queue subscription) now stands for `delta` more (or fewer) members. */
  weightChanged(acc: Account, sub: Subscription, delta: number): void {
    const sinks = this.sinks;
    for (let k = 0; k < sinks.length; k++) sinks[k].weightChanged?.(acc, sub, delta);
  }

  /** Hook an account's sublist up to the sinks (every registered account is attached once). */
  attach(acc: Account): void {
    const sinks = this.sinks;
    acc.sl.listener = {
      changed(sub: Subscription, added: boolean): void {
        for (let k = 0; k < sinks.length; k++) sinks[k].subChanged(acc, sub, added);
      },
    };
  }
}
