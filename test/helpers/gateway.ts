/**
 * Super-clusters of our servers for tests: each server gets a gateway
 * listener on a random port (and a cluster listener when routed), and
 * `waitGateways` waits until every server has its outbound connections.
 * Like Go's tests (SetGatewaysSolicitDelay) the solicit delay is shortened.
 */
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';
import { gatewayDelays, type GatewayManager } from '../../src/cluster/gateway/manager.js';
import { routeURL } from './cluster.js';
import { waitFor } from './wait.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGoServer, type GoServer } from './go-server.js';

gatewayDelays.solicit = 20;
gatewayDelays.reconnect = 200;
gatewayDelays.connect = 200;

export function gwOf(s: RunningServer): GatewayManager {
  const g = s.server.gateway as GatewayManager | null;
  if (g === null) throw new Error('server has no gateway');
  return g;
}

export function gwURL(s: RunningServer | { gwPort: number }): string {
  return `nats://127.0.0.1:${'gwPort' in s ? s.gwPort : gwOf(s).port}`;
}

export interface RemoteSpec {
  name: string;
  urls: string[];
}

/** One server of gateway `name`; `routes` makes it part of a cluster (cluster name = gateway name). */
export function startGwServer(name: string, remotes: RemoteSpec[], opts: StartOptions & { routes?: string[]; gateway?: Record<string, unknown> } = {}): Promise<RunningServer> {
  const { routes, gateway, ...rest } = opts;
  const extra: Record<string, unknown> = {
    gateway: { name, listen: '127.0.0.1:-1', gateways: remotes.map((r) => ({ name: r.name, urls: r.urls })), ...gateway },
  };
  if (routes !== undefined) extra.cluster = { name, listen: '127.0.0.1:-1', routes };
  return startServer({ ...rest, extra: { ...(rest.extra ?? {}), ...extra } });
}

/** A cluster of `n` routed servers named `name`-1.. with gateways to `remotes`. */
export async function startGwCluster(name: string, n: number, remotes: RemoteSpec[], opts: StartOptions = {}): Promise<RunningServer[]> {
  const first = await startGwServer(name, remotes, { server_name: `${name}1`, routes: [], ...opts });
  const out = [first];
  for (let k = 1; k < n; k++) out.push(await startGwServer(name, remotes, { server_name: `${name}${k + 1}`, routes: [routeURL(first)], ...opts }));
  return out;
}

/** Wait until each server has `outbound` outbound gateway connections (and at least `inbound` inbound ones). */
export async function waitGateways(servers: RunningServer[], outbound: number, inbound = 0, timeoutMs = 10000): Promise<void> {
  await waitFor(() => servers.every((s) => gwOf(s).out.size === outbound && gwOf(s).inbound.size >= inbound), timeoutMs);
}

/** Wait until `s`'s outbound gateway to `gw` knows of remote plain interest on `subject`. */
export async function waitGwInterest(s: RunningServer, gw: string, subject: string, account = '$G', timeoutMs = 5000): Promise<void> {
  await waitFor(() => {
    const c = gwOf(s).out.get(gw);
    if (c === undefined) return false;
    const e = c.interest!.accounts.get(account);
    if (e === undefined || e === null) return false;
    const r = e.sl.match(subject);
    return r.psubs.length > 0 || r.qsubs.length > 0;
  }, timeoutMs);
}

/** Wait until no outbound gateway of `s` to `gw` has interest on `subject`. */
export async function waitNoGwInterest(s: RunningServer, gw: string, subject: string, account = '$G', timeoutMs = 5000): Promise<void> {
  await waitFor(() => {
    const c = gwOf(s).out.get(gw);
    if (c === undefined) return false;
    const e = c.interest!.accounts.get(account);
    if (e === undefined || e === null) return true;
    const r = e.sl.match(subject);
    return r.psubs.length === 0 && r.qsubs.length === 0;
  }, timeoutMs);
}

/** A Go 2.9.10 server with a gateway listener on a random port; `gwPort` is read from its log. */
export async function startGoGateway(name: string, remotes: RemoteSpec[], extraConf = '', gatewayConf = ''): Promise<GoServer & { gwPort: number }> {
  const gws = remotes.map((r) => `{ name: "${r.name}", urls: [${r.urls.map((u) => `"${u}"`).join(', ')}] }`).join(', ');
  const conf = `http: "127.0.0.1:-1"\ngateway {\n  name: "${name}"\n  listen: "127.0.0.1:-1"\n  gateways: [${gws}]\n  ${gatewayConf}\n}\n${extraConf}\n`;
  const g = await startGoServer([], conf);
  const port = await waitFor(() => {
    const m = /Listening for gateways connections on [^\s]*:(\d+)/.exec(g.logs());
    return m ? Number(m[1]) : 0;
  }, 5000);
  return Object.assign(g, { gwPort: port });
}

/**
 * A cluster of `n` routed Go 2.9.10 servers (`<name>1`...) with gateways to
 * `remotes`. With `jetstream` each gets a store dir and the first one a
 * placeholder route (Go refuses a JetStream cluster without configured
 * routes); resolves once the meta leader is elected.
 */
export async function startGoGwCluster(name: string, n: number, remotes: RemoteSpec[], extraConf = '', jetstream = false): Promise<(GoServer & { gwPort: number })[]> {
  const out: (GoServer & { gwPort: number })[] = [];
  try {
    for (let k = 0; k < n; k++) {
      const routes = k > 0 ? [`nats://127.0.0.1:${out[0].clusterPort}`] : jetstream ? ['nats://127.0.0.1:1'] : [];
      let js = '';
      let dir = '';
      if (jetstream) {
        dir = mkdtempSync(join(tmpdir(), 'gojs-'));
        js = `jetstream { store_dir: "${dir}" }\n`;
      }
      const cluster = `cluster {\n  name: "${name}"\n  listen: "127.0.0.1:-1"\n  routes: [${routes.map((r) => `"${r}"`).join(', ')}]\n}\n`;
      const g = await startGoGateway(name, remotes, `server_name: "${name}${k + 1}"\n${js}${cluster}${extraConf}`);
      if (dir !== '') {
        const stop = g.stop.bind(g);
        g.stop = async () => {
          await stop();
          rmSync(dir, { recursive: true, force: true });
        };
      }
      out.push(g);
    }
    await waitFor(() => out.every((g) => new RegExp(`Route connection created`).test(g.logs())), 10000);
    if (jetstream) await waitFor(() => out.some((g) => /metadata leader/.test(g.logs())), 15000);
  } catch (e) {
    await Promise.all(out.map((g) => g.stop()));
    throw e;
  }
  return out;
}
