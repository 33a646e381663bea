/**
 * Leaf node fixtures: an embedded hub with a leafnode listener on a random
 * port, embedded leafs soliciting it, and a way to wait until a link is up.
 */
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';
import { defaultLeafNodeOptions, type LeafNodeOptions, type RemoteLeafOptions } from '../../src/config/options.js';
import { waitFor } from './wait.js';

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
