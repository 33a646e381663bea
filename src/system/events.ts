/**
 * System account events (Go events.go): connect/disconnect advisories on
 * `$SYS.ACCOUNT.<acc>.CONNECT|DISCONNECT`, account connection counts on
 * `$SYS.ACCOUNT.<acc>.SERVER.CONNS`, and the periodic server statistics on
 * `$SYS.SERVER.<id>.STATSZ`. Everything is published in the system account
 * through one internal client, and only when someone listens.
 */
import os from 'node:os';
import type { Account } from '../accounts/account.js';
import type { Client } from '../conn/client.js';
import type { ClosedReason } from '../conn/closed-reason.js';
import type { Server, ServerEventSink } from '../server/server.js';
import type { InternalClient } from '../server/internal-client.js';
import { clientInfo, serverInfo } from '../server/event-info.js';
import { randomId } from '../jetstream/ids.js';
import { rfc3339 } from '../jetstream/time.js';
import { varzJetStream } from '../monitor/jsz.js';
import { accountStat } from '../monitor/accstatz.js';

/** Go statsHBInterval: the steady STATSZ period. */
const STATSZ_INTERVAL_MS = 10_000;
/** Go starts STATSZ fast and backs off to the steady period. */
const STATSZ_FIRST_MS = 250;

export function nowTime(): string {
  return rfc3339(Date.now() * 1e6);
}

export class SystemEvents implements ServerEventSink {
  private readonly connected_ = new Set<number>();
  private statszTimer: NodeJS.Timeout | null = null;
  private statszEvery = STATSZ_FIRST_MS;
  private lastCpu = process.cpuUsage();
  private lastCpuAt = process.hrtime.bigint();
  private cpu = 0;

  constructor(
    readonly srv: Server,
    readonly ic: InternalClient,
  ) {}

  get sys(): Account {
    return this.srv.systemAccount;
  }

  /** Go ServerInfo stamped on every system message. */
  serverInfo(): Record<string, unknown> {
    return serverInfo(this.srv);
  }

  /** Publish a JSON body in the system account (skipped when nobody listens, unless `force`). */
  send(subject: string, body: unknown, force = false): void {
    if (!force && !this.sys.sl.hasInterest(subject)) return;
    this.ic.publish(this.sys, subject, '', null, Buffer.from(JSON.stringify(body)));
  }

  start(): void {
    this.armStatsz();
  }

  stop(): void {
    if (this.statszTimer) clearTimeout(this.statszTimer);
    this.statszTimer = null;
  }

  // ------------------------------------------------------------------ connect / disconnect

  connected(c: Client): void {
    this.connected_.add(c.cid);
    const subject = `$SYS.ACCOUNT.${c.acc.name}.CONNECT`;
    if (this.sys.sl.hasInterest(subject)) {
      this.send(subject, {
        type: 'io.nats.server.advisory.v1.client_connect',
        id: randomId(),
        timestamp: nowTime(),
        server: this.serverInfo(),
        client: clientInfo(c, true, { rtt: false, server: this.srv.name }),
      });
    }
    this.accountConns(c.acc);
  }

  disconnected(c: Client, reason: ClosedReason): void {
    if (!this.connected_.delete(c.cid)) return;
    const subject = `$SYS.ACCOUNT.${c.acc.name}.DISCONNECT`;
    if (this.sys.sl.hasInterest(subject)) {
      this.send(subject, {
        type: 'io.nats.server.advisory.v1.client_disconnect',
        id: randomId(),
        timestamp: nowTime(),
        server: this.serverInfo(),
        client: clientInfo(c, true, { server: this.srv.name, stop: nowTime() }),
        sent: { msgs: c.outMsgs, bytes: c.outBytes },
        received: { msgs: c.inMsgs, bytes: c.inBytes },
        reason,
      });
    }
    this.accountConns(c.acc);
  }

  /** `$SYS.ACCOUNT.<acc>.SERVER.CONNS` (and Go's older subject) for configured accounts. */
  accountConns(acc: Account, reply?: string): void {
    if (acc === this.srv.globalAccount && reply === undefined) return;
    const subjects = reply !== undefined ? [reply] : [`$SYS.ACCOUNT.${acc.name}.SERVER.CONNS`, `$SYS.SERVER.ACCOUNT.${acc.name}.CONNS`];
    for (const subject of subjects) {
      if (reply === undefined && !this.sys.sl.hasInterest(subject)) continue;
      this.send(subject, { type: 'io.nats.server.advisory.v1.account_connections', id: randomId(), timestamp: nowTime(), server: this.serverInfo(), ...accountStat(this.srv, acc) }, true);
    }
  }

  // ------------------------------------------------------------------ statsz

  private armStatsz(): void {
    this.statszTimer = setTimeout(() => {
      this.sendStatsz(`$SYS.SERVER.${this.srv.id}.STATSZ`, false);
      this.statszEvery = Math.min(this.statszEvery * 2, STATSZ_INTERVAL_MS);
      this.armStatsz();
    }, this.statszEvery);
    this.statszTimer.unref();
  }

  private cpuPercent(): number {
    const now = process.hrtime.bigint();
    const elapsedUs = Number(now - this.lastCpuAt) / 1000;
    if (elapsedUs >= 500_000) {
      const u = process.cpuUsage(this.lastCpu);
      this.cpu = Math.round(((u.user + u.system) / elapsedUs) * 1000) / 10;
      this.lastCpu = process.cpuUsage();
      this.lastCpuAt = now;
    }
    return this.cpu;
  }

  /** Go ServerStats. */
  statsz(): Record<string, unknown> {
    const srv = this.srv;
    const st = srv.stats;
    let active = 0;
    for (const a of srv.accounts.values()) if (a.numClients > 0 || a.sl.count() > 0) active++;
    const out: Record<string, unknown> = {
      start: rfc3339(srv.start.getTime() * 1e6),
      mem: process.memoryUsage().rss,
      cores: os.cpus().length,
      cpu: this.cpuPercent(),
      connections: srv.clients.size,
      total_connections: srv.totalConnections,
      active_accounts: active,
      subscriptions: srv.numSubscriptions(),
      sent: { msgs: st.outMsgs, bytes: st.outBytes },
      sent_to_clients: { msgs: st.outMsgs, bytes: st.outBytes },
      received: { msgs: st.inMsgs, bytes: st.inBytes },
      received_from_clients: { msgs: st.inMsgs, bytes: st.inBytes },
      slow_consumers: st.slowConsumers,
      // this server is the only one it knows (Go counts the servers it heard from, plus itself)
      active_servers: 1,
    };
    if (st.staleConnections > 0) out.stale_connections = st.staleConnections;
    if (srv.opts.jetstream) out.jetstream = varzJetStream(srv);
    return out;
  }

  /** `{"server": ..., "statsz": ...}` to `subject` (a reply is always sent; the broadcast only with interest). */
  sendStatsz(subject: string, isReply: boolean): void {
    if (!isReply && !this.sys.sl.hasInterest(subject)) return;
    this.send(subject, { server: this.serverInfo(), statsz: this.statsz() }, true);
  }
}
