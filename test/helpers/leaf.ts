/**
 * Leaf node fixtures: an embedded hub with a leafnode listener on a random
 * port, embedded leafs soliciting it, ways to wait until a link is up and
 * interest has crossed it, and the same probes of a Go server (log, /leafz).
 */
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';
import { defaultLeafNodeOptions, type LeafNodeOptions, type RemoteLeafOptions } from '../../src/config/options.js';
import { waitFor } from './wait.js';
import { startGoServer, type GoServer } from './go-server.js';

export function remote(url: string, extra: Partial<RemoteLeafOptions> = {}): RemoteLeafOptions {
  return { urls: [url], account: '', credentials: '', deny_imports: [], deny_exports: [], hub: false, first_info_timeout: 1000, disabled: false, ...extra };
}

export function leafOpts(extra: Partial<LeafNodeOptions> = {}): LeafNodeOptions {
  return { ...defaultLeafNodeOptions(), host: '127.0.0.1', reconnect: 100, ...extra };
}

/** A server accepting leaf connections on a random port. */
export async function startHub(opts: StartOptions = {}, leaf: Partial<LeafNodeOptions> = {}): Promise<RunningServer> {
  return startServer({ ...opts, leafnodes: leafOpts({ port: -1, ...leaf }) });
}

/** `nats-leaf://127.0.0.1:<leaf port>` of an embedded hub. */
export function leafURL(hub: RunningServer, userinfo = ''): string {
  return `nats-leaf://${userinfo ? userinfo + '@' : ''}127.0.0.1:${hub.server.leafnodes!.port}`;
}

/** A server soliciting the given remotes. */
export async function startLeaf(remotes: RemoteLeafOptions[], opts: StartOptions = {}, leaf: Partial<LeafNodeOptions> = {}): Promise<RunningServer> {
  return startServer({ ...opts, leafnodes: leafOpts({ remotes, ...leaf }) });
}

/** Wait until `srv` has `n` leaf links up. */
export async function waitLeafs(srv: RunningServer, n: number, timeoutMs = 5000): Promise<void> {
  await waitFor(() => srv.server.leafnodes!.count() === n, timeoutMs);
}

/** Wait until `subject` has interest in `srv`'s account `acc` (e.g. a leaf's subscription arrived). */
export async function waitInterest(srv: RunningServer, subject: string, acc = '$G', timeoutMs = 5000): Promise<void> {
  await waitFor(() => srv.server.lookupAccount(acc)!.sl.hasInterest(subject), timeoutMs);
}

/** Wait until both ends of a hub/leaf pair have `n` links up. */
export async function waitLinked(hub: RunningServer, leaf: RunningServer, n = 1): Promise<void> {
  await waitLeafs(hub, n);
  await waitLeafs(leaf, n);
}

/** Has `srv` got leaf interest (a LEAF subscription) on `subject` (`"subject queue"` for a queue member)? */
export function leafInterest(srv: RunningServer, subject: string, acc = '$G'): boolean {
  const [s, q] = subject.split(' ');
  const r = srv.server.lookupAccount(acc)!.sl.match(s.replace('>', 'x'));
  return q ? r.qsubs.some((g) => g[0]?.queue === q && g.some((x) => x.client.kind === 4)) : r.psubs.some((x) => x.client.kind === 4);
}

/** The Go server's leafnode port, from its log line. */
export async function goLeafPort(g: GoServer): Promise<number> {
  const m = await waitFor(() => /Listening for leafnode connections on [^\s]+:(\d+)/.exec(g.logs()), 5000);
  return Number(m![1]);
}

/** Subjects the Go server's leaf links have been told about (its /leafz subscriptions_list). */
export async function goLeafSubs(g: GoServer): Promise<string[]> {
  const r = await fetch(`http://127.0.0.1:${g.monitorPort}/leafz?subs=1`);
  const j = (await r.json()) as { leafs?: { subscriptions_list?: string[] }[] };
  return (j.leafs ?? []).flatMap((l) => l.subscriptions_list ?? []);
}

/** The Go server's leaf link count (/leafz). */
export async function goLeafCount(g: GoServer): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${g.monitorPort}/leafz`);
  return ((await r.json()) as { leafnodes: number }).leafnodes;
}

/** A Go leaf (monitoring on, for /leafz) soliciting `url` on our `hub`; returns once both count the link. */
export async function startGoLeaf(hub: RunningServer, url: string): Promise<GoServer> {
  const go = await startGoServer(['-m', '-1'], `leafnodes { remotes [ { url: "${url}" } ] }\n`);
  await waitLeafs(hub, 1);
  await waitFor(async () => (await goLeafCount(go)) === 1);
  return go;
}

/** `n` of our leafs soliciting `hub`, each stopped in `t.after`; returns once the hub has all links up. */
export async function startSpokes(t: { after(fn: () => unknown): void }, hub: RunningServer, n = 2): Promise<RunningServer[]> {
  const out: RunningServer[] = [];
  for (let k = 0; k < n; k++) {
    const l = await startLeaf([remote(leafURL(hub))]);
    t.after(() => l.stop());
    out.push(l);
  }
  await waitLeafs(hub, n);
  return out;
}
