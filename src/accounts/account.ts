/**
 * An account: its own subject space (sublist), connection count and the
 * limits from its `accounts {}` entry. `$G` is the global account every
 * connection lands in unless its user belongs to a configured account.
 */
import { Sublist } from '../sublist/sublist.js';
import type { Subscription } from '../conn/subscription.js';
import type { AccountSpec, MappingSpec } from '../config/options.js';
import { AccountMappings } from './mappings.js';

export const GLOBAL_ACCOUNT = '$G';

/** Gateway-routed replies shown plainly, by plain reply (Go gwReplyMapping): kept per client, and per account for internal subscriptions. */
export interface GwReplyTracker {
  track(plain: string, routed: string): void;
  get(subject: string): string | null;
  readonly size: number;
}

export class Account {
  readonly sl: Sublist<Subscription>;
  numClients = 0;
  /** account limits; -1 = none of its own (Go jwt.NoLimit) */
  maxConnections = -1;
  maxSubscriptions = -1;
  maxPayload = -1;
  /** the config entry this account came from (null for $G and a default $SYS) */
  spec: AccountSpec | null = null;
  /** subject mappings applied to client publishes; null when none (the publish path checks only this) */
  mappings: AccountMappings | null = null;
  /** traffic of this account's closed connections (Go keeps running account totals; /accstatz adds the open ones) */
  readonly closedStats = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 };
  /** slow consumers detected on this account's connections */
  slowConsumers = 0;
  /** messages of this account sent to and received from gateways (Go Account.stats.gw; /accstatz) */
  readonly gwStats = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 };
  /**
   * Gateway-routed replies of requests an internal subscription received
   * (Go Account.gwReplyMapping): whichever internal client answers on the
   * plain reply sends it back routed. Null until the first one.
   */
  gwReplies: GwReplyTracker | null = null;

  constructor(readonly name: string, cacheEnabled = true) {
    this.sl = new Sublist<Subscription>(cacheEnabled);
  }

  /** Apply a config entry's limits (0 or absent = no limit, as Go's NewAccount leaves them). */
  configure(spec: AccountSpec): void {
    this.spec = spec;
    const l = spec.limits;
    this.maxConnections = l.max_connections !== undefined && l.max_connections !== 0 ? l.max_connections : -1;
    this.maxSubscriptions = l.max_subscriptions !== undefined && l.max_subscriptions !== 0 ? l.max_subscriptions : -1;
    this.maxPayload = l.max_payload !== undefined && l.max_payload !== 0 ? l.max_payload : -1;
    this.setMappings(spec.mappings ?? []);
  }

  /** Compile and install subject mappings (throws a ConfigError naming the bad one). */
  setMappings(specs: readonly MappingSpec[]): void {
    this.mappings = specs.length > 0 ? new AccountMappings(specs) : null;
  }

  /** Go MaxTotalConnectionsReached for client connections. */
  connectionsFull(): boolean {
    return this.maxConnections >= 0 && this.numClients >= this.maxConnections;
  }
}
