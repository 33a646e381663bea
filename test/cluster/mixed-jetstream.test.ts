/**
 * JetStream API requests forwarded through the system account (Go mixed
 * mode, jetstream_api.go apiDispatch): a server without JetStream in a
 * cluster imports its accounts' `$JS.API.>` into `$SYS` with a
 * `Nats-Request-Info` header naming the account; our JetStream answers them
 * there for that account, and keeps the account's own API subscriptions off
 * the routes (Go reaches them only through the import), so each request is
 * answered once. Checked with a Go 2.9.10 server without JetStream and with
 * one of ours, both routed to our JetStream server.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { GO_SERVER_BIN, startGoServer } from '../helpers/go-server.js';
import { startClustered, routeURL, routesOf, waitRemoteInterest } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const skipGo = GO_SERVER_BIN ? false : 'Go nats-server not installed';
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mixedjs-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** From a client on the server without JetStream: account info, stream create, publish+ack, push and pull consumers. */
async function useJetStream(nc: NatsConnection, stream: string): Promise<void> {
  // every API answer arrives once: count the responses to one raw request
  const inbox = `answers.${stream}`;
  const answers: Msg[] = [];
  nc.subscribe(inbox, { callback: (_e, m) => { answers.push(m); } });
  await nc.flush();
  await waitFor(async () => {
    nc.publish('$JS.API.INFO', '', { reply: inbox });
    await nc.flush();
    return waitFor(() => answers.length > 0, 500).catch(() => false);
  }, 8000);
  await new Promise((r) => setTimeout(r, 200)); // a second answer would have come by now
  assert.equal(answers.length, 1);
  assert.equal(answers[0].json<{ type: string }>().type, 'io.nats.jetstream.api.v1.account_info_response');

  const jsm = await jetstreamManager(nc, { timeout: 3000 });
  const ai = await jsm.getAccountInfo();
  assert.equal(ai.streams, 0);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  const js = jetstream(nc, { timeout: 3000 });
  const ack = (await waitFor(async () => js.publish(`${stream}.a`, 'one', { timeout: 1000 }).catch(() => null), 8000))!;
  assert.equal(ack.stream, stream);
  assert.equal(ack.seq, 1);
  assert.equal((await js.publish(`${stream}.b`, 'two')).seq, 2);
  assert.equal((await jsm.getAccountInfo()).streams, 1);
  assert.equal((await jsm.streams.info(stream)).state.messages, 2);

  await jsm.consumers.add(stream, { durable_name: 'PULL', ack_policy: AckPolicy.Explicit });
  const c = await js.consumers.get(stream, 'PULL');
  const m1 = (await c.next({ expires: 2000 }))!;
  assert.equal(m1.subject, `${stream}.a`);
  assert.equal(m1.string(), 'one');
  assert.equal(await m1.ackAck(), true);
  const m2 = (await c.next({ expires: 2000 }))!;
  assert.equal(m2.subject, `${stream}.b`);
  assert.equal(await m2.ackAck(), true);
  const ci = await jsm.consumers.info(stream, 'PULL');
  assert.equal(ci.ack_floor.stream_seq, 2);
  assert.deepEqual((await jsm.consumers.list(stream).next()).map((x) => x.name), ['PULL']);

  const got: Msg[] = [];
  nc.subscribe(`dlv.${stream}`, { callback: (_e, m) => { got.push(m); } });
  await nc.flush();
  await jsm.consumers.add(stream, { durable_name: 'PUSH', deliver_subject: `dlv.${stream}`, ack_policy: AckPolicy.Explicit });
  await waitFor(() => got.length === 2, 8000);
  assert.deepEqual(got.map((m) => m.subject), [`${stream}.a`, `${stream}.b`]);
  for (const m of got) m.respond('+ACK');
  await waitFor(async () => (await jsm.consumers.info(stream, 'PUSH')).num_ack_pending === 0, 8000);
}

describe('JetStream API forwarded through the system account', () => {
  it('a Go server without JetStream routed to our JetStream server', { skip: skipGo }, async (t) => {
    const a = await startClustered([], { server_name: 'A', jetstream: true, store_dir: tmp() });
    t.after(() => a.stop());
    const go = await startGoServer(['-m', '-1'], `server_name: G\ncluster {\n  name: test-cluster\n  listen: "127.0.0.1:-1"\n  routes: ["${routeURL(a)}"]\n}\n`);
    t.after(() => go.stop());
    await waitFor(() => routesOf(a).numRemotes() === 1, 8000);
    // Go learns A's system account API subscription, not the global account's API subjects
    const routeSubs = async () => {
      const r = await fetch(`http://127.0.0.1:${go.monitorPort}/routez?subs=1`);
      const j = (await r.json()) as { routes?: { subscriptions_list?: string[] }[] };
      return (j.routes ?? []).flatMap((x) => x.subscriptions_list ?? []);
    };
    await waitFor(async () => (await routeSubs()).includes('$JS.API.>'), 8000);
    assert.ok(!(await routeSubs()).some((s) => s.startsWith('$JS.API.') && s !== '$JS.API.>'));
    const g = await connect({ servers: go.url });
    t.after(() => g.close());
    await useJetStream(g, 'GOMIXED');
  });

  it('a server of ours without JetStream routed to our JetStream server', async (t) => {
    const a = await startClustered([], { server_name: 'A', jetstream: true, store_dir: tmp() });
    t.after(() => a.stop());
    const b = await startClustered([routeURL(a)], { server_name: 'B' });
    t.after(() => b.stop());
    await waitFor(() => routesOf(a).numRemotes() === 1 && routesOf(b).numRemotes() === 1, 8000);
    const acc = b.server.lookupAccount('$G')!;
    // B sees no `$JS.API` interest of A's global account, only A's system account's
    await waitRemoteInterest(b, '$JS.API.INFO', '$SYS', 8000);
    assert.equal(acc.sl.match('$JS.API.INFO').psubs.filter((s) => s.link !== null).length, 0);
    const nc = await connect({ servers: b.url });
    t.after(() => nc.close());
    await useJetStream(nc, 'OURSMIXED');
  });
});
