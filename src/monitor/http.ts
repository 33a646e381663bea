/**
 * The monitoring HTTP listener (Go server.go startMonitoring): JSON endpoints
 * with two-space indentation, `Access-Control-Allow-Origin: *`, 400 with a
 * plain-text message for bad query values, an HTML index at `/`, and
 * per-path request counts for /varz.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '../server/server.js';
import { hostPort } from '../server/server.js';
import { jsz } from './jsz.js';
import { VarzBuilder } from './varz.js';
import { connz, HttpError } from './connz.js';
import { subsz } from './subsz.js';
import { goTime } from './format.js';

export interface MonitorServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const PATHS = ['/varz', '/connz', '/routez', '/gatewayz', '/leafz', '/subsz', '/subscriptionsz', '/accountz', '/accstatz', '/jsz', '/healthz'];

export async function startMonitoring(srv: Server): Promise<MonitorServer> {
  const o = srv.opts;
  const base = o.http_base_path.replace(/\/+$/, '');
  const stats = new Map<string, number>();
  let boundPort = 0;
  const varz = new VarzBuilder(srv, stats, () => boundPort);

  const handlers: Record<string, (q: URLSearchParams) => unknown> = {
    '/varz': () => varz.build(),
    '/connz': (q) => connz(srv, q),
    '/subsz': (q) => subsz(srv, q),
    '/subscriptionsz': (q) => subsz(srv, q),
    '/routez': () => ({ server_id: srv.id, server_name: srv.name, now: goTime(new Date()), num_routes: 0, routes: [] }),
    '/gatewayz': () => ({ server_id: srv.id, now: goTime(new Date()), outbound_gateways: {}, inbound_gateways: {} }),
    '/leafz': () => ({ server_id: srv.id, now: goTime(new Date()), leafnodes: 0, leafs: [] }),
    '/accountz': (q) => accountz(srv, q),
    '/accstatz': () => accstatz(srv),
    '/jsz': (q) => jsz(srv, q),
    '/healthz': () => ({ status: 'ok' }),
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = url.pathname;
    if (base && path.startsWith(base)) path = path.slice(base.length) || '/';
    path = path.length > 1 ? path.replace(/\/+$/, '') : path;
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (path === '/') {
      stats.set('/', (stats.get('/') ?? 0) + 1);
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(indexPage(base));
      return;
    }
    const h = handlers[path];
    if (!h) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('404 page not found\n');
      return;
    }
    stats.set(path, (stats.get(path) ?? 0) + 1);
    try {
      const body = JSON.stringify(h(url.searchParams), null, 2);
      res.setHeader('Content-Type', 'application/json');
      res.end(body);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      res.statusCode = status;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`${(e as Error).message}`);
    }
  });
  const port = o.http_port < 0 ? 0 : o.http_port;
  const host = o.http_host || o.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  boundPort = (server.address() as AddressInfo).port;
  srv.log.info(`Starting http monitor on ${hostPort(host, boundPort)}`);
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    port: boundPort,
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${boundPort}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

function accountz(srv: Server, q: URLSearchParams): unknown {
  const name = q.get('acc');
  const now = goTime(new Date());
  if (!name) return { server_id: srv.id, now, system_account: srv.systemAccount.name, accounts: [...srv.accounts.keys()] };
  const a = srv.accounts.get(name);
  if (!a) throw new HttpError(400, `Account ${name} does not exist`);
  return {
    server_id: srv.id,
    now,
    system_account: srv.systemAccount.name,
    account_detail: {
      account_name: a.name,
      update_time: goTime(srv.start),
      is_system: a === srv.systemAccount,
      expired: false,
      complete: true,
      jetstream_enabled: false,
      leafnode_connections: 0,
      client_connections: a.numClients,
      subscriptions: a.sl.count(),
      sublist_stats: a.sl.stats(),
    },
  };
}

function accstatz(srv: Server): unknown {
  const rows = [];
  for (const a of srv.accounts.values()) {
    if (a.numClients === 0) continue;
    let inMsgs = 0, inBytes = 0, outMsgs = 0, outBytes = 0;
    for (const c of srv.clients.values()) {
      if (c.acc !== a) continue;
      inMsgs += c.inMsgs;
      inBytes += c.inBytes;
      outMsgs += c.outMsgs;
      outBytes += c.outBytes;
    }
    rows.push({
      acc: a.name,
      conns: a.numClients,
      leafnodes: 0,
      total_conns: a.numClients,
      num_subscriptions: a.sl.count(),
      sent: { msgs: outMsgs, bytes: outBytes },
      received: { msgs: inMsgs, bytes: inBytes },
      slow_consumers: 0,
    });
  }
  return { server_id: srv.id, now: goTime(new Date()), account_statz: rows };
}

function indexPage(base: string): string {
  const links = PATHS.filter((p) => p !== '/subscriptionsz')
    .map((p) => `    <a href="${base}${p}">${p.slice(1)}</a><br/>`)
    .join('\n');
  return `<html lang="en">
  <head>
    <meta charset="utf-8"/>
    <title>nats-server-ts monitoring</title>
  </head>
  <body>
    <h1>nats-server-ts</h1>
${links}
  </body>
</html>
`;
}
