/**
 * The monitoring HTTP listener (Go server.go startMonitoring): the endpoints
 * of monitor.go at Go's paths under `http_base_path`, Go's response framing
 * (two-space indented JSON, compact JSON for /healthz, three-space for
 * /ipqueuesz and /raftz, `Content-Type: application/json` and
 * `Access-Control-Allow-Origin: *`), 400 with a plain-text message for bad
 * query values, Go's per-path request counts for /varz, and an HTML index at
 * the base path. Paths match exactly, as Go's ServeMux patterns do ("/varz/"
 * is a 404).
 *
 * Beyond Go: /metrics (Prometheus text format, see metrics.ts).
 *
 * JSONP (`callback=`) is not served: the Go server removed it from its
 * monitoring endpoints (nats-server commit 548e575, after 2.12).
 */
import http from 'node:http';
import type { Server } from '../server/server.js';
import { hostPort } from '../server/server.js';
import { listenOn } from '../util/listen.js';
import { jsz } from './jsz.js';
import { VarzBuilder } from './varz.js';
import { connz } from './connz.js';
import { subsz } from './subsz.js';
import { routez } from './routez.js';
import { gatewayz } from './gatewayz.js';
import { leafz } from './leafz.js';
import { accountz } from './accountz.js';
import { accstatz } from './accstatz.js';
import { healthz, healthzOptions } from './healthz.js';
import { GcStats, expvarBody, ipqueuesz, stackDump } from './runtime.js';
import { METRICS_CONTENT_TYPE, metricsText } from './metrics.js';
import { HttpError } from './query.js';

export interface MonitorServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** A response: JSON (with Go's indentation), or text with its own content type. */
type Reply = { json: unknown; indent?: number; status?: number } | { text: string; type: string; status?: number };
type Handler = (q: URLSearchParams) => Reply;

/** Paths Go counts in varz http_req_stats (its Handle* functions that bump httpReqStats); /subscriptionsz counts as /subsz. */
const COUNTED: Record<string, string> = {
  '/': '/',
  '/varz': '/varz',
  '/connz': '/connz',
  '/routez': '/routez',
  '/gatewayz': '/gatewayz',
  '/leafz': '/leafz',
  '/subsz': '/subsz',
  '/subscriptionsz': '/subsz',
  '/accountz': '/accountz',
  '/accstatz': '/accstatz',
  '/jsz': '/jsz',
  '/healthz': '/healthz',
};

/** Go path.Join(base, p) with the base normalised as Go normalises http_base_path. */
export function basePath(base: string, p: string): string {
  let b = base.trim();
  if (b === '' || b === '/') return p;
  if (!b.startsWith('/')) b = `/${b}`;
  b = b.replace(/\/+$/, '');
  return p === '/' ? b : `${b}${p}`;
}

export function buildHandlers(srv: Server, varz: VarzBuilder, gc: GcStats): Record<string, Handler> {
  return {
    '/varz': () => ({ json: varz.build() }),
    '/connz': (q) => ({ json: connz(srv, q) }),
    '/routez': (q) => ({ json: routez(srv, q) }),
    '/gatewayz': (q) => ({ json: gatewayz(srv, q) }),
    '/leafz': (q) => ({ json: leafz(srv, q) }),
    '/subsz': (q) => ({ json: subsz(srv, q) }),
    '/subscriptionsz': (q) => ({ json: subsz(srv, q) }),
    '/stacksz': () => ({ text: stackDump(), type: 'text/plain; charset=utf-8' }),
    '/accountz': (q) => ({ json: accountz(srv, q) }),
    '/accstatz': (q) => ({ json: accstatz(srv, q) }),
    '/jsz': (q) => ({ json: jsz(srv, q) }),
    '/healthz': (q) => {
      const h = healthz(srv, healthzOptions(q));
      const status = h.status_code ?? 200;
      delete h.status_code;
      return { json: h, indent: 0, status };
    },
    '/ipqueuesz': (q) => ({ json: ipqueuesz(q), indent: 3 }),
    // Go answers 404 until a Raft node is registered; this server has none.
    '/raftz': () => ({ text: 'No Raft nodes registered', type: 'text/plain; charset=utf-8', status: 404 }),
    '/debug/vars': () => ({ text: expvarBody(gc), type: 'application/json; charset=utf-8' }),
    '/metrics': (q) => ({ text: metricsText(srv, varz, q), type: METRICS_CONTENT_TYPE }),
  };
}

export async function startMonitoring(srv: Server): Promise<MonitorServer> {
  const o = srv.opts;
  const stats = new Map<string, number>();
  let boundPort = 0;
  const varz = new VarzBuilder(srv, stats, () => boundPort);
  const gc = new GcStats();
  const handlers = buildHandlers(srv, varz, gc);
  const routes = new Map<string, string>();
  for (const p of Object.keys(handlers)) routes.set(basePath(o.http_base_path, p), p);
  const root = basePath(o.http_base_path, '/');

  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.statusCode = 400;
      res.end();
      return;
    }
    const path = url.pathname;
    if (path === root) {
      bump(stats, '/');
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(indexPage(o.http_base_path));
      return;
    }
    const name = routes.get(path);
    if (name === undefined) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.end('404 page not found\n');
      return;
    }
    const counted = COUNTED[name];
    if (counted !== undefined) bump(stats, counted);
    let r: Reply;
    try {
      r = handlers[name](url.searchParams);
    } catch (e) {
      if (!(e instanceof HttpError)) srv.log.error(`Error handling monitoring request ${name}: ${(e as Error).stack ?? e}`);
      res.statusCode = e instanceof HttpError ? e.status : 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end((e as Error).message);
      return;
    }
    res.statusCode = r.status ?? 200;
    if ('json' in r) {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.end(JSON.stringify(r.json, null, r.indent ?? 2));
    } else {
      res.setHeader('Content-Type', r.type);
      if (r.type.startsWith('application/json') || name === '/stacksz') res.setHeader('Access-Control-Allow-Origin', '*');
      res.end(r.text);
    }
  });
  const port = o.http_port < 0 ? 0 : o.http_port;
  const host = o.http_host || o.host;
  boundPort = await listenOn(server, port, host);
  srv.log.info(`Starting http monitor on ${hostPort(host, boundPort)}`);
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    port: boundPort,
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${boundPort}`,
    close: () =>
      new Promise<void>((r) => {
        gc.stop();
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

function bump(stats: Map<string, number>, p: string): void {
  stats.set(p, (stats.get(p) ?? 0) + 1);
}

const INDEX: [string, string][] = [
  ['General', '/varz'],
  ['JetStream', '/jsz'],
  ['Connections', '/connz'],
  ['Accounts', '/accountz'],
  ['Account Stats', '/accstatz'],
  ['Subscriptions', '/subsz'],
  ['Routes', '/routez'],
  ['LeafNodes', '/leafz'],
  ['Gateways', '/gatewayz'],
  ['Raft Groups', '/raftz'],
  ['Health Probe', '/healthz'],
  ['Expvar', '/debug/vars'],
  ['Prometheus Metrics', '/metrics'],
];

function indexPage(base: string): string {
  const links = INDEX.map(([title, p]) => `    <a href="${basePath(base, p)}">${title}<span class="endpoint"> ${p}</span></a><br/>`).join('\n');
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
