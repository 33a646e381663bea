/**
 * The whole fabric for tests: cluster A (three of ours, each configured with
 * routes to the two others: duplicate links), cluster B (one of ours and a Go
 * 2.9.10 server, configured with routes to each other) joined to A by
 * gateways configured on both sides, a leaf of ours on A1 whose remote lists
 * two URLs of the same hub, and a Go 2.9.10 leaf on B1. Plus readers of the
 * remote interest each server holds (monitoring JSON and sublists).
 */
import net from 'node:net';
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';
import { LEAF } from '../../src/conn/client.js';
import { gwOf, gwURL } from './gateway.js';
import { routesOf } from './cluster.js';
import { leafOpts, leafURL, remote } from './leaf.js';
import { startGoServer, type GoServer } from './go-server.js';
import { waitFor } from './wait.js';

/** A port the OS just handed out (bound then released), for servers that must name each other before starting. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface Fabric {
  A: RunningServer[];
  B1: RunningServer;
  G: GoServer & { gwPort: number };
  L1: RunningServer;
  LG: GoServer;
  /** client URL per server name */
  url: Record<string, string>;
  /** monitoring port per server name */
  mon: Record<string, number>;
  stop(): Promise<void>;
}

const route = (p: number) => `nats-route://127.0.0.1:${p}`;

function ours(name: string, clusterName: string, clusterPort: number, routes: string[], gateways: { name: string; urls: string[] }[], extra: StartOptions = {}): Promise<RunningServer> {
  return startServer({
    server_name: name,
    http_port: -1,
    ...extra,
    extra: {
      cluster: { name: clusterName, listen: `127.0.0.1:${clusterPort}`, routes },
      gateway: { name: clusterName, listen: '127.0.0.1:-1', gateways },
    },
  });
}

/** Was this start refused because a port picked by freePort was taken meanwhile (by another test process)? */
export function portTaken(e: unknown): boolean {
  return /EADDRINUSE|address already in use/.test(String((e as Error)?.message ?? e));
}

/**
 * Start the fabric. Cluster A's route ports are picked before the servers
 * start (each server lists the others), so another process may bind one in
 * between: such a start is undone and tried again with new ports, 3 times
 * at most.
 */
export async function startFabric(): Promise<Fabric> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startFabricOnce();
    } catch (e) {
      if (attempt >= 3 || !portTaken(e)) throw e;
    }
  }
}

async function startFabricOnce(): Promise<Fabric> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    // Cluster A: every server lists the two others (both ends of each route are configured).
    const ap = [await freePort(), await freePort(), await freePort()];
    const A: RunningServer[] = [];
    for (let k = 0; k < 3; k++) {
      const routes = ap.filter((_, j) => j !== k).map(route);
      const s = await ours(`A${k + 1}`, 'A', ap[k], routes, [], k === 0 ? { leafnodes: leafOpts({ port: -1 }) } : {});
      stops.push(() => s.stop());
      A.push(s);
    }
    // Cluster B: B1 (ours) and G (Go) list each other; both configure the gateway to A (and A learns B implicitly).
    const gp = await freePort();
    const B1 = await ours('B1', 'B', -1, [route(gp)], [{ name: 'A', urls: [gwURL(A[0])] }], { leafnodes: leafOpts({ port: -1 }) });
    stops.push(() => B1.stop());
    const gconf = [
      'server_name: G',
      'http: "127.0.0.1:-1"',
      `cluster { name: B, listen: "127.0.0.1:${gp}", routes: ["${route(routesOf(B1).port)}"] }`,
      `gateway { name: B, listen: "127.0.0.1:-1", gateways: [ { name: A, urls: ["${gwURL(A[1])}"] } ] }`,
    ].join('\n');
    const g = await startGoServer([], gconf);
    stops.push(() => g.stop());
    const gwPort = await waitFor(() => Number(/Listening for gateways connections on [^\s]*:(\d+)/.exec(g.logs())?.[1] ?? 0), 5000);
    const G = Object.assign(g, { gwPort });
    // A leaf of ours on A1 whose one remote lists the hub twice (by IP and by name).
    const hubPort = A[0].server.leafnodes!.port;
    const L1 = await startServer({
      server_name: 'L1',
      http_port: -1,
      leafnodes: leafOpts({ remotes: [remote(leafURL(A[0]), { urls: [leafURL(A[0]), `nats-leaf://localhost:${hubPort}`] })] }),
    });
    stops.push(() => L1.stop());
    // A Go leaf on B1.
    const LG = await startGoServer([], `server_name: LG\nhttp: "127.0.0.1:-1"\nleafnodes { remotes: [ { url: "${leafURL(B1)}" } ] }\n`);
    stops.push(() => LG.stop());

    const all = [...A, B1];
    await waitFor(() => A.every((s) => routesOf(s).numRemotes() === 2) && routesOf(B1).numRemotes() === 1, 15000);
    await waitFor(() => all.every((s) => gwOf(s).out.size === 1), 15000);
    await waitFor(() => A[0].server.leafnodes!.count() === 1 && B1.server.leafnodes!.count() === 1, 10000);
    const url: Record<string, string> = { A1: A[0].url, A2: A[1].url, A3: A[2].url, B1: B1.url, G: G.url, L1: L1.url, LG: LG.url };
    const mon: Record<string, number> = {
      A1: A[0].server.monitorPort!, A2: A[1].server.monitorPort!, A3: A[2].server.monitorPort!,
      B1: B1.server.monitorPort!, G: G.monitorPort!, L1: L1.server.monitorPort!, LG: LG.monitorPort!,
    };
    return { A, B1, G, L1, LG, url, mon, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export async function monJSON(port: number, path: string): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return r.json();
}

/** /routez?subs=1: the subjects each remote server (by name) announced, over all its pooled routes, sorted, duplicates kept. */
export async function routeSubs(port: number, prefix: string): Promise<Record<string, string[]>> {
  const j = await monJSON(port, '/routez?subs=1');
  const out: Record<string, string[]> = {};
  for (const r of j.routes ?? []) {
    const name = r.remote_name ?? r.remote_id;
    const list = ((r.subscriptions_list ?? []) as string[]).filter((s) => s.startsWith(prefix));
    (out[name] ??= []).push(...list);
  }
  for (const k of Object.keys(out)) {
    out[k].sort();
    if (out[k].length === 0) delete out[k];
  }
  return out;
}

/** /leafz?subs=1: the subjects the leaf links announced, sorted, duplicates kept. */
export async function leafSubs(port: number, prefix: string): Promise<string[]> {
  const j = await monJSON(port, '/leafz?subs=1');
  return ((j.leafs ?? []) as { subscriptions_list?: string[] }[]).flatMap((l) => l.subscriptions_list ?? []).filter((s) => s.startsWith(prefix)).sort();
}

/** /gatewayz?subs=1 (ours): the subjects in the interest-only map of the outbound gateway to `gw`. */
export async function gatewaySubs(port: number, gw: string, prefix: string): Promise<string[]> {
  const j = await monJSON(port, `/gatewayz?subs=1&accs=1`);
  const o = j.outbound_gateways?.[gw];
  const acc = (o?.accounts ?? []).find((a: any) => a.name === '$G');
  return ((acc?.subscriptions_list ?? []) as string[]).filter((s) => s.startsWith(prefix)).sort();
}

/**
 * Remote entries in `s`'s $G sublist that one link holds more than once for
 * the same subject and queue (a doubled entry). Route subscriptions are keyed
 * by their link, leaf ones by their connection.
 */
export function doubledRemoteSubs(s: RunningServer): string[] {
  const acc = s.server.lookupAccount('$G')!;
  const seen = new Map<object, Set<string>>();
  const doubled: string[] = [];
  for (const sub of acc.sl.all()) {
    const owner: object | null = sub.link ?? (sub.client.kind === LEAF ? sub.client : null);
    if (owner === null) continue;
    let set = seen.get(owner);
    if (set === undefined) seen.set(owner, (set = new Set()));
    const key = `${sub.subject} ${sub.queue ?? ''}`;
    if (set.has(key)) doubled.push(key);
    set.add(key);
  }
  return doubled;
}

/** Sorted copy. */
export const sorted = (a: string[]) => [...a].sort();

/** Sum of the queue weights of the remote (route or leaf) members of `queue` on `subject` in `s`'s $G sublist. */
export function remoteQueueWeight(s: RunningServer, subject: string, queue: string): number {
  const r = s.server.lookupAccount('$G')!.sl.match(subject);
  let w = 0;
  for (const g of r.qsubs) for (const sub of g) if (sub.queue === queue && (sub.link !== null || sub.client.kind === LEAF)) w += sub.qw;
  return w;
}
