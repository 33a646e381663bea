/**
 * Unix signals as the Go server handles them (signal.go): SIGINT and SIGTERM
 * shut down and exit, SIGHUP reloads the configuration, SIGUSR1 reopens the
 * log file, SIGUSR2 enters lame duck mode. `--signal` sends them to a running server.
 */
import { readFileSync } from 'node:fs';
import type { Server } from './server.js';
import { ConfigError } from '../util/errors.js';

export function installSignals(srv: Server, configFile: string | undefined): void {
  let exiting = false;
  const stop = (sig: string) => {
    if (exiting) return;
    exiting = true;
    srv.log.info(`Trapped "${sig}" signal`);
    srv.shutdown().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('interrupt'));
  process.on('SIGTERM', () => {
    if (srv.ldm) return; // Go ignores SIGTERM while in lame duck mode
    stop('terminated');
  });
  process.on('SIGHUP', () => {
    srv.log.info('Trapped "hangup" signal');
    if (!configFile) {
      srv.log.error('Failed to reload server configuration: can only reload config when a file is provided using -c or --config');
      return;
    }
    try {
      srv.reload();
    } catch (e) {
      srv.log.error(`Failed to reload server configuration: ${(e as Error).message}`);
    }
  });
  process.on('SIGUSR1', () => srv.log.info('Trapped "user defined signal 1" signal: log file reopened'));
  process.on('SIGUSR2', () => {
    srv.log.info('Trapped "user defined signal 2" signal');
    void srv.lameDuckMode().finally(() => process.exit(0));
  });
}

const COMMANDS: Record<string, NodeJS.Signals> = {
  stop: 'SIGKILL',
  quit: 'SIGINT',
  term: 'SIGTERM',
  reopen: 'SIGUSR1',
  reload: 'SIGHUP',
  ldm: 'SIGUSR2',
};

/** `--signal cmd[=pid|pidfile]` */
export function sendSignal(command: string, target?: string): void {
  const sig = COMMANDS[command];
  if (!sig) throw new ConfigError(`unknown signal "${command}"`);
  if (!target) throw new ConfigError('no pid given: use --signal <cmd>=<pid or pidfile>');
  let pid = Number(target);
  if (!Number.isInteger(pid)) {
    pid = Number(readFileSync(target, 'utf8').trim());
    if (!Number.isInteger(pid)) throw new ConfigError(`invalid pid file ${target}`);
  }
  process.kill(pid, sig);
}
