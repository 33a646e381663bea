/**
 * What a connection needs from the server that owns it. The server implements
 * this; unit tests can supply a small fake.
 */
import type { Options } from '../config/options.js';
import type { Logger } from '../log/logger.js';
import type { Authenticator } from '../auth/types.js';
import type { Account } from '../accounts/account.js';
import type { PubArg } from '../protocol/parser.js';
import type { Client } from './client.js';
import type { ClosedReason } from './closed-reason.js';
import type { AuthCallout } from '../auth/callout.js';

/** Server-wide counters shown in /varz. */
export class ServerStats {
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;
  slowConsumers = 0;
  slowConsumersClients = 0;
  slowConsumersGateways = 0;
  slowConsumersRoutes = 0;
  slowConsumersLeafs = 0;
  /** times producers were stalled on a consumer (Go s.stalls, /varz stalled_clients) */
  stalls = 0;
  staleConnections = 0;
  staleConnectionsClients = 0;
  staleConnectionsGateways = 0;
}

export interface ClientHost {
  readonly opts: Options;
  readonly log: Logger;
  readonly auth: Authenticator;
  /** server-config auth callout, when configured */
  readonly callout?: AuthCallout | null;
  readonly stats: ServerStats;
  authTimeoutMs(): number;
  /** bracket one socket read: flushes dirty connections when the outermost read ends */
  beginRead(c: Client): void;
  endRead(): void;
  markDirty(c: { dirty: boolean; flush(): void }): void;
  /** INFO JSON for this client (with connect_info for the reply to the first PING) */
  infoJSON(c: Client, connectInfo: boolean): string;
  lookupAccount(name: string): Account | null;
  moveToAccount(c: Client, acc: Account): void;
  isSystemAccount(acc: Account): boolean;
  /** Deliver a parsed message to every interested subscription; true when anyone received it. */
  route(from: Client, acc: Account, pa: PubArg, buf: Buffer, s: number, e: number): boolean;
  /** the client whose input is being processed, if any */
  currentProducer(): Client | null;
  noteSlowConsumer(c: Client): void;
  noteStaleConnection(c: Client): void;
  removeClient(c: Client, reason: ClosedReason): void;
  /** the client's first CONNECT was accepted (system connect events) */
  clientConnected(c: Client): void;
}
