#!/usr/bin/env node
/**
 * nats-server-ts command line: the Go nats-server's flags and config file,
 * signals (SIGINT/SIGTERM stop, SIGHUP reload, SIGUSR2 lame duck), pid and
 * ports files.
 */
import { parseArgs, mergeOptions, versionString, checkRoutesNeedCluster, FlagSyntaxError } from '../src/config/cli.js';
import { usage, tlsHelp } from '../src/config/help.js';
import { loadConfigFile } from '../src/config/from-file.js';
import { defaultOptions, type Options } from '../src/config/options.js';
import { clusterOptions } from '../src/config/cluster.js';
import { gatewayOptions } from '../src/config/gateway.js';
import { validateWebsocketOptions } from '../src/config/websocket.js';
import { validateMqttOptions } from '../src/config/mqtt.js';
import { launch } from '../src/index.js';
import { Logger } from '../src/log/logger.js';
import type { RouteManager } from '../src/cluster/route/routes.js';
import type { WebSocketListener } from '../src/websocket/listener.js';
import { writePortsFile, removePortsFile, listenerUrls } from '../src/server/ports-file.js';
import { writePidFile } from '../src/server/pid-file.js';
import { installSignals } from '../src/server/signals.js';
import { reloadBase } from '../src/server/reload.js';

async function main(): Promise<number> {
  let cli;
  try {
    cli = parseArgs(process.argv.slice(2));
  } catch (e) {
    // Go: flag syntax errors print the bare message, then usage on stdout, exit 0; others exit 1.
    if (e instanceof FlagSyntaxError) {
      process.stderr.write(`${e.message}\n`);
      process.stdout.write(usage() + '\n');
      return 0;
    }
    process.stderr.write(`nats-server: ${(e as Error).message}\n`);
    return 1;
  }
  switch (cli.action) {
    case 'version':
      process.stdout.write(versionString() + '\n');
      return 0;
    case 'help':
      process.stdout.write(usage() + '\n');
      return 0;
    case 'help_tls':
      process.stdout.write(tlsHelp() + '\n');
      return 0;
    default:
      break;
  }

  let opts: Options = defaultOptions();
  if (cli.configFile) {
    try {
      opts = loadConfigFile(cli.configFile, opts);
    } catch (e) {
      process.stderr.write(`nats-server: ${(e as Error).message}\n`);
      return 1;
    }
  }
  if (cli.action === 'test_config') {
    try {
      // the blocks launch() checks before anything listens: -t reports their errors too, as Go's does
      clusterOptions(opts);
      gatewayOptions(opts);
      validateWebsocketOptions(opts);
      validateMqttOptions(opts);
    } catch (e) {
      process.stderr.write(`nats-server: ${(e as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`nats-server: configuration file ${cli.configFile} is valid (${opts.config_digest ?? ''})\n`);
    return 0;
  }
  if (cli.action === 'signal') {
    const { sendSignal } = await import('../src/server/signals.js');
    try {
      sendSignal(cli.signal!.command, cli.signal!.target);
      return 0;
    } catch (e) {
      process.stderr.write(`nats-server: ${(e as Error).message}\n`);
      return 1;
    }
  }
  opts = mergeOptions(opts, cli.overrides);
  try {
    checkRoutesNeedCluster(opts, cli.overrides);
  } catch (e) {
    process.stderr.write(`nats-server: ${(e as Error).message}\n`);
    return 1;
  }

  const log = new Logger({
    debug: opts.debug,
    trace: opts.trace,
    logtime: opts.logtime,
    logtime_utc: opts.logtime_utc,
    logfile: opts.logfile,
  });
  let running;
  try {
    running = await launch(opts, log);
  } catch (e) {
    log.fatal((e as Error).message);
    return 1;
  }
  const srv = running.server;
  if (cli.configFile) {
    const file = cli.configFile;
    // a reload reads the file again and lays the command line flags over it, as Go does
    srv.reloadLoader = () => mergeOptions(loadConfigFile(file, reloadBase(srv.opts, defaultOptions())), cli.overrides);
  }
  // Handlers go in before the ports file appears: tools watch for that file and may signal at once.
  installSignals(srv, cli.configFile);
  if (opts.pidfile) writePidFile(opts.pidfile);
  let portsFile: string | null = null;
  if (opts.ports_file_dir) {
    const mon = running.monitorUrl ? new URL(running.monitorUrl) : null;
    const routes = srv.cluster as RouteManager | null;
    const ws = srv.websocket as WebSocketListener | null;
    portsFile = writePortsFile(opts.ports_file_dir, {
      nats: listenerUrls('nats', opts.host, running.port),
      monitoring: mon ? listenerUrls('http', opts.http_host || opts.host, Number(mon.port)) : undefined,
      cluster: routes ? listenerUrls('nats', routes.opts.host, routes.port) : undefined,
      websocket: ws ? listenerUrls(ws.secure ? 'wss' : 'ws', opts.websocket!.host, ws.port) : undefined,
    });
  }
  srv.onShutdown(() => {
    // Go removes the ports file on shutdown but leaves the pid file.
    if (portsFile) removePortsFile(portsFile);
  });
  return -1; // keep running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    process.stderr.write(`nats-server: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
