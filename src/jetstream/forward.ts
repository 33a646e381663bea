/**
 * JetStream API forwarding on a server without JetStream (Go
 * server.go Start "simple mixed mode" and
 * enableAllJetStreamServiceImportsAndMappings): when the server is part of
 * a cluster or super-cluster, the JetStream API requests of its accounts go
 * into the system account (with a `Nats-Request-Info` header naming the
 * account and an `_R_` reply), where the servers that run JetStream listen,
 * and the answers come back through the import. Accounts with a `jetstream`
 * entry are forwarded; with only the global and the system account, the
 * global one is.
 */
import { InternalClient } from '../server/internal-client.js';
import { AccountImports } from '../server/imports.js';
import type { Server } from '../server/server.js';

/** Go jsAllAPI */
const JS_ALL_API = '$JS.API.>';

export function enableJetStreamForwarding(server: Server, clustered: boolean): void {
  const o = server.opts;
  if (o.jetstream || !clustered) return;
  const sys = server.systemAccount;
  const g = server.globalAccount;
  const others = [...server.accounts.values()].filter((a) => a !== sys && a !== g);
  const forwarded = others.filter((a) => a.spec?.jetstream !== undefined && a.spec.jetstream !== null);
  if (others.length === 0) forwarded.push(g);
  if (forwarded.length === 0) return;
  const imports = new AccountImports(new InternalClient(server, server.nextClientId(), sys), server.accounts);
  // Go serviceImportShadowed: an account that imports the API from another account keeps that import
  for (const a of forwarded) {
    const shadowed = (a.spec?.imports ?? []).some((i) => i.kind === 'service' && (i.to || i.subject).startsWith('$JS.API'));
    if (!shadowed) imports.addServerServiceImport(a, sys, JS_ALL_API);
  }
  server.onShutdown(() => imports.teardown());
}
