/**
 * NATS client fixtures shared by the link tests: collect what a subscription
 * receives, and open clients that are closed when the test (or suite) ends.
 */
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** Collect the payloads a subscription receives (as strings), in order. */
export function collect(sub: Subscription): string[] {
  const got: string[] = [];
  (async () => {
    for await (const m of sub) got.push(m.string());
  })().catch(() => {});
  return got;
}

/** Connect one client to each server (a suite's `before`). */
export async function connectAll(...servers: { url: string }[]): Promise<NatsConnection[]> {
  return Promise.all(servers.map((s) => connect({ servers: s.url })));
}

/** A suite's `after`: close its clients, then stop its servers in the order given (any may be unset when `before` failed). */
export async function closeAndStop(conns: (NatsConnection | undefined)[], servers: ({ stop(): Promise<void> } | undefined)[]): Promise<void> {
  for (const c of conns) await c?.close();
  for (const s of servers) await s?.stop();
}

/** Connect one client to each server, each closed in `t.after`. */
export async function connectEach(t: { after(fn: () => unknown): void }, ...servers: { url: string }[]): Promise<NatsConnection[]> {
  const out: NatsConnection[] = [];
  for (const s of servers) {
    const nc = await connect({ servers: s.url });
    t.after(() => nc.close());
    out.push(nc);
  }
  return out;
}

/** Clients opened over a whole suite: `open(url)` now, `closeAll()` in its `after`; `conns` are those open so far. */
export function clientPool(): { conns: readonly NatsConnection[]; open(url: string): Promise<NatsConnection>; closeAll(): Promise<void> } {
  const conns: NatsConnection[] = [];
  return {
    conns,
    async open(url: string): Promise<NatsConnection> {
      const nc = await connect({ servers: url });
      conns.push(nc);
      return nc;
    },
    async closeAll(): Promise<void> {
      await Promise.all(conns.map((c) => c.close().catch(() => {})));
    },
  };
}
