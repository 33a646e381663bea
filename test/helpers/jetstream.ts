/**
 * A JetStream-enabled server in a temp store dir with one connected client,
 * torn down (client, server, dir) however the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type RunningServer, type StartOptions } from '../../src/index.js';

export interface JetStreamFixture {
  srv: RunningServer;
  nc: NatsConnection;
  dir: string;
}

export async function withJetStream(fn: (f: JetStreamFixture) => Promise<void>, opts: StartOptions = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nsts-js-'));
  const srv = await startServer({ jetstream: true, store_dir: dir, ...opts });
  const nc = await connect({ servers: srv.url });
  try {
    await fn({ srv, nc, dir });
  } finally {
    await nc.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
