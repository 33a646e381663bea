/**
 * nats-server-ts public API: run a NATS server inside a Node process.
 *
 * @example
 * import { startServer } from 'nats-server-ts';
 * const srv = await startServer();           // random port on 127.0.0.1
 * const nc = await connect({ servers: srv.url });
 * ...
 * await srv.stop();
 */
import { Server } from './server/server.js';
import { defaultOptions, type Options } from './config/options.js';
import { startMonitoring, type MonitorServer } from './monitor/http.js';
import { Logger } from './log/logger.js';
import { enableJetStreamForwarding } from './jetstream/forward.js';
import { enableJetStream } from './jetstream/jetstream.js';
import { enableSystemAccount } from './system/system.js';
import { clusterOptions } from './config/cluster.js';
import { startRoutes } from './cluster/route/enable.js';
import { enableLeafNodes } from './cluster/leaf/leafnodes.js';
import { startGateways } from './cluster/gateway/manager.js';
import { gatewayOptions } from './config/gateway.js';
import { enableWebSocket } from './websocket/listener.js';
import { validateWebsocketOptions } from './config/websocket.js';
import { validateMqttOptions } from './config/mqtt.js';
import { enableMqtt } from './mqtt/broker.js';

export { Server } from './server/server.js';
export type { Options, UserSpec, UserPermissionsSpec, TlsOptions } from './config/options.js';
export { defaultOptions } from './config/options.js';
export { Logger } from './log/logger.js';
export { VERSION } from './util/version.js';

/** A running server started with {@link startServer}. */
export interface RunningServer {
  /** `nats://127.0.0.1:<port>`: hand this to any NATS client. */
  readonly url: string;
  /** The client port actually bound. */
  readonly port: number;
  /** `http://host:port` of the monitoring endpoint, when monitoring is enabled. */
  readonly monitorUrl: string | undefined;
  /** The server object (connections, accounts, statistics). */
  readonly server: Server;
  /** Close every connection and listener. Safe to call more than once. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@link startServer}: any server option, plus a log sink for embedding. */
export interface StartOptions extends Partial<Options> {
  /** Receive each log line (in Go's format) instead of writing to stderr. */
  logSink?: (line: string) => void;
}

/**
 * Start a server in this process. Unlike the CLI, the defaults suit embedding:
 * a random free port (`port: 0`) on 127.0.0.1 and no log output unless
 * `logSink` or `no_log: false` is given. Every other option has the Go server's
 * default.
 */
export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const { logSink, ...rest } = opts;
  const o: Options = { ...defaultOptions(), port: 0, host: '127.0.0.1', no_log: logSink === undefined, ...rest };
  const log = new Logger({
    debug: o.debug,
    trace: o.trace,
    logtime: o.logtime,
    logtime_utc: o.logtime_utc,
    logfile: o.logfile,
    enabled: !o.no_log,
    sink: logSink,
  });
  return launch(o, log);
}

/** Start a fully configured server (used by startServer and the CLI). */
export async function launch(o: Options, log?: Logger): Promise<RunningServer> {
  // Go: the monitoring listener binds to the client host unless http_host says otherwise.
  if (!o.http_host) o = { ...o, http_host: o.host };
  clusterOptions(o); // cluster config errors surface before anything listens
  const gwOpts = gatewayOptions(o);
  validateWebsocketOptions(o);
  validateMqttOptions(o);
  const server = new Server(o, log);
  enableSystemAccount(server);
  // Go standAloneMode: a cluster or gateway listener makes the server part of a larger system
  const clustered = gwOpts !== null || clusterOptions(o) !== null;
  if (o.jetstream) enableJetStream(server, clustered);
  else enableJetStreamForwarding(server, clustered);
  const leafnodes = enableLeafNodes(server);
  // Go: remotes added by a reload to a server without any are dialed
  server.leafLauncher = () => {
    const ln = enableLeafNodes(server);
    ln?.start().catch((e: Error) => server.log.error(`Leafnode start failed: ${e.message}`));
  };
  await server.startListening();
  try {
    // Gateways listen before routes so the route INFO carries our gateway URL (Go gateway_url).
    await startGateways(server, gwOpts);
    // Go Start: the MQTT listener starts before the websocket one, which hands it `/mqtt` upgrades
    await enableMqtt(server);
    // Go Start: the websocket listener is up before routes, whose INFO carries its ws_connect_urls.
    await enableWebSocket(server);
    await startRoutes(server);
    if (leafnodes) await leafnodes.start();
  } catch (e) {
    await server.shutdown();
    throw e;
  }
  let monitor: MonitorServer | null = null;
  // https_port is accepted and ignored (config/unsupported.ts): no HTTPS monitoring
  if (o.http_port !== 0) {
    try {
      monitor = await startMonitoring(server);
    } catch (e) {
      await server.shutdown();
      throw e;
    }
    const m = monitor;
    server.monitorPort = m.port;
    server.onShutdown(() => m.close());
  }
  const stop = () => server.shutdown();
  return {
    url: server.clientURL(),
    port: server.port,
    monitorUrl: monitor?.url,
    server,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
