/**
 * Route permissions (Go cluster `permissions { import, export }`, route.go
 * canImport/canExport): import limits the interest a server sends to its
 * routes (so what it receives), export limits the remote interest it accepts
 * (so what it sends). The same scenario runs with the permissions on our
 * server and on a Go 2.9.10 server, and between two of ours.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import { clusterOptions } from '../../src/config/cluster.js';
import { defaultOptions } from '../../src/config/options.js';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startClustered, routeURL, routesOf, waitMeshed, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const goSkip = GO_SERVER_BIN ? false : 'Go nats-server not installed';
const PERMS = { import: { allow: ['imp.>', 'both.>'] }, export: { allow: ['exp.>', 'both.>'], deny: ['exp.secret'] } };
const GO_PERMS = 'permissions { import { allow: ["imp.>", "both.>"] }, export { allow: ["exp.>", "both.>"], deny: ["exp.secret"] } }';

type Side = { url: string; close?: () => Promise<void> };

/**
 * P has the permissions, Q has none. Messages on a route travel in order, so a
 * filtered message published before an allowed one would have arrived first:
 * waiting for the allowed one and finding nothing else proves the filter.
 */
async function scenario(p: Side, q: Side, waitInterestAtQ: (subject: string) => Promise<void>, waitInterestAtP: (subject: string) => Promise<void>, t: { after: (f: () => unknown) => void }): Promise<void> {
  const np: NatsConnection = await connect({ servers: p.url });
  const nq: NatsConnection = await connect({ servers: q.url });
  t.after(() => np.close());
  t.after(() => nq.close());
  const atP: string[] = [];
  const atQ: string[] = [];
  for (const s of ['imp.a', 'noimp.a', 'both.a']) np.subscribe(s, { callback: (_e, m) => { atP.push(m.subject); } });
  for (const s of ['exp.a', 'noexp.a', 'exp.secret', 'both.b']) nq.subscribe(s, { callback: (_e, m) => { atQ.push(m.subject); } });
  await np.flush();
  await nq.flush();
  // import: P sends interest for imp.a and both.a only, so Q forwards only those
  await waitInterestAtQ('imp.a');
  await waitInterestAtQ('both.a');
  nq.publish('noimp.a');
  nq.publish('imp.a');
  nq.publish('both.a');
  await nq.flush();
  await waitFor(() => atP.length >= 2, 5000);
  await np.flush();
  assert.deepEqual(atP, ['imp.a', 'both.a']);
  // export: P accepts Q's interest for exp.a and both.b only (exp.secret denied), so P sends only those
  await waitInterestAtP('exp.a');
  await waitInterestAtP('both.b');
  np.publish('noexp.a');
  np.publish('exp.secret');
  np.publish('exp.a');
  np.publish('both.b');
  await np.flush();
  await waitFor(() => atQ.length >= 2, 5000);
  await nq.flush();
  assert.deepEqual(atQ, ['exp.a', 'both.b']);
}

function ourInterest(s: RunningServer): (subject: string) => Promise<void> {
  return (subject) => waitRemoteInterest(s, subject);
}

/** Go's view of our interest, from its /routez?subs=1 subscription lists. */
function goInterest(go: GoServer): (subject: string) => Promise<void> {
  return async (subject) => {
    await waitFor(async () => {
      const r = (await (await fetch(`http://127.0.0.1:${go.monitorPort}/routez?subs=1`)).json()) as { routes?: { subscriptions_list?: string[] }[] };
      return (r.routes ?? []).some((x) => (x.subscriptions_list ?? []).includes(subject));
    }, 5000);
  };
}

describe('route permissions', () => {
  it('config: import/export blocks, plain lists, the deprecated authorization form, and Go\'s errors', () => {
    const co = (cluster: Record<string, unknown>) => clusterOptions({ ...defaultOptions(), extra: { cluster: { port: -1, ...cluster } } });
    assert.deepEqual(co({ permissions: PERMS })!.permissions, PERMS);
    assert.deepEqual(co({ permissions: { import: 'a.>', export: ['b', 'c'] } })!.permissions, { import: { allow: ['a.>'] }, export: { allow: ['b', 'c'] } });
    assert.deepEqual(co({ authorization: { user: 'u', password: 'p', permissions: { import: 'x' } } })!.permissions, { import: { allow: ['x'] } });
    assert.throws(() => co({ permissions: { import: 'a..b' } }), /cluster import allow: subject "a\.\.b" is not a valid subject/);
    assert.throws(() => co({ permissions: { allow_responses: true } }), /Cluster permissions do not support dynamic responses/);
  });

  it('two of ours: INFO carries import/export, and each filter applies', async (t) => {
    const a = await startClustered([], { server_name: 'P' }, { permissions: PERMS });
    t.after(() => a.stop());
    const b = await startClustered([routeURL(a)], { server_name: 'Q' });
    t.after(() => b.stop());
    await waitMeshed([a, b]);
    const fromP = [...routesOf(b).routes.values()][0].remoteInfo!;
    assert.deepEqual(fromP.import, PERMS.import);
    assert.deepEqual(fromP.export, PERMS.export);
    await scenario(a, b, ourInterest(b), ourInterest(a), t);
  });

  it('permissions on our server, routed with Go 2.9.10', { skip: goSkip }, async (t) => {
    const ours = await startClustered([], { server_name: 'P' }, { permissions: PERMS });
    t.after(() => ours.stop());
    const go: GoServer = await startGoServer(['-m', '-1'], `cluster {\n name: test-cluster\n listen: "127.0.0.1:-1"\n routes: ["${routeURL(ours)}"]\n}\n`);
    t.after(() => go.stop());
    await waitFor(() => routesOf(ours).numRemotes() === 1, 8000);
    await scenario(ours, { url: go.url }, goInterest(go), ourInterest(ours), t);
  });

  it('permissions on Go 2.9.10, routed with our server: same results', { skip: goSkip }, async (t) => {
    const ours = await startClustered([], { server_name: 'Q' });
    t.after(() => ours.stop());
    const go: GoServer = await startGoServer(['-m', '-1'], `cluster {\n name: test-cluster\n listen: "127.0.0.1:-1"\n ${GO_PERMS}\n routes: ["${routeURL(ours)}"]\n}\n`);
    t.after(() => go.stop());
    await waitFor(() => routesOf(ours).numRemotes() === 1, 8000);
    const fromGo = [...routesOf(ours).routes.values()][0].remoteInfo!;
    assert.deepEqual(fromGo.import, PERMS.import, 'Go announces its import permissions');
    assert.deepEqual(fromGo.export, PERMS.export, 'Go announces its export permissions');
    await scenario({ url: go.url }, ours, ourInterest(ours), goInterest(go), t);
  });
});
