/**
 * An account: its own subject space (sublist) and connection count.
 * Only the global account `$G` exists until multi-account support lands.
 */
import { Sublist } from '../sublist/sublist.js';
import type { Subscription } from '../conn/subscription.js';

export const GLOBAL_ACCOUNT = '$G';

export class Account {
  readonly sl: Sublist<Subscription>;
  numClients = 0;

  constructor(readonly name: string, cacheEnabled = true) {
    this.sl = new Sublist<Subscription>(cacheEnabled);
  }
}
