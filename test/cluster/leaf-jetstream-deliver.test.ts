/**
 * JetStream deliveries across a leaf link (Go processMsgResults /
 * msgHeaderForRouteOrLeaf): a push or pull delivery travels on its deliver
 * subject with the stream subject after the `$JS.ACK` reply (`…@<subject>`),
 * and the receiving server shows the client the stream subject with the
 * plain ack reply. JetStream runs on one side (with a domain), the consuming
 * client sits on the other; ours on both sides, and Go 2.9.10 as hub or leaf.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { GO_SERVER_BIN, startGoServer, type GoServer } from '../helpers/go-server.js';
import { startHub, startLeaf, remote, leafURL, waitLeafs } from '../helpers/leaf.js';
import { waitFor } from '../helpers/wait.js';

const skipGo = GO_SERVER_BIN ? false : 'Go nats-server not installed';
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'leafjsd-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function goLeafPort(g: GoServer): Promise<number> {
  const m = await waitFor(() => /Listening for leafnode connections on [^\s]+:(\d+)/.exec(g.logs()), 5000);
  return Number(m![1]);
}

/**
 * `jsNc` is on the JetStream side (stream, consumers, publishes), `nc` on
 * the other side of the link: it consumes by push (a plain subscription on
 * the deliver subject) and by pull (through the domain API), sees the stream
 * subject and acks.
 */
async function checkDeliveries(jsNc: NatsConnection, nc: NatsConnection, domain: string, stream: string): Promise<void> {
  const jsm = await jetstreamManager(jsNc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  const js = jetstream(jsNc);
  await js.publish(`${stream}.one`, 'first');
  await js.publish(`${stream}.two`, 'second');

  // push: the deliver subject's interest crosses the link, deliveries come back
  const deliver = `dlv.${stream}`;
  const got: Msg[] = [];
  const sub = nc.subscribe(deliver, { callback: (_e, m) => { got.push(m); } });
  await nc.flush();
  await jsm.consumers.add(stream, { durable_name: 'PUSH', deliver_subject: deliver, ack_policy: AckPolicy.Explicit });
  await waitFor(() => got.length === 2, 8000);
  assert.deepEqual(got.map((m) => m.subject), [`${stream}.one`, `${stream}.two`]);
  for (const m of got) {
    assert.match(m.reply!, new RegExp(`^\\$JS\\.ACK\\.${stream}\\.PUSH\\.[^@]+$`));
    m.respond('+ACK');
  }
  await waitFor(async () => (await jsm.consumers.info(stream, 'PUSH')).num_ack_pending === 0, 8000);
  sub.unsubscribe();

  // pull through the domain API from the far side
  await jsm.consumers.add(stream, { durable_name: 'PULL', ack_policy: AckPolicy.Explicit });
  const rjs = jetstream(nc, { domain, timeout: 2000 });
  const c = (await waitFor(async () => rjs.consumers.get(stream, 'PULL').catch(() => null), 8000))!;
  const m1 = (await waitFor(async () => c.next({ expires: 1000 }).catch(() => null), 8000))!;
  assert.equal(m1.subject, `${stream}.one`);
  assert.equal(m1.string(), 'first');
  assert.equal(await m1.ackAck(), true);
  const m2 = (await c.next({ expires: 2000 }))!;
  assert.equal(m2.subject, `${stream}.two`);
  assert.equal(await m2.ackAck(), true);
  const info = await jsm.consumers.info(stream, 'PULL');
  assert.equal(info.ack_floor.stream_seq, 2);
  assert.equal(info.num_ack_pending, 0);
}

describe('JetStream deliveries across leaf links show the stream subject', () => {
  it('our hub with JetStream, client on our leaf', async (t) => {
    const hub = await startHub({ jetstream: true, store_dir: tmp(), jetstream_opts: { domain: 'hub' } });
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub))]);
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    const a = await connect({ servers: hub.url });
    t.after(() => a.close());
    const b = await connect({ servers: leaf.url });
    t.after(() => b.close());
    await checkDeliveries(a, b, 'hub', 'HUBJS');
  });

  it('our leaf with JetStream, client on our hub', async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const leaf = await startLeaf([remote(leafURL(hub))], { jetstream: true, store_dir: tmp(), jetstream_opts: { domain: 'spoke' } });
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    const a = await connect({ servers: leaf.url });
    t.after(() => a.close());
    const b = await connect({ servers: hub.url });
    t.after(() => b.close());
    await checkDeliveries(a, b, 'spoke', 'LEAFJS');
  });

  it('a Go hub with JetStream, client on our leaf', { skip: skipGo }, async (t) => {
    const go = await startGoServer([], `jetstream { store_dir: "${tmp()}", domain: hub }\nleafnodes { listen: "127.0.0.1:-1" }\n`);
    t.after(() => go.stop());
    const leaf = await startLeaf([remote(`nats-leaf://127.0.0.1:${await goLeafPort(go)}`)]);
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    const a = await connect({ servers: go.url });
    t.after(() => a.close());
    const b = await connect({ servers: leaf.url });
    t.after(() => b.close());
    await checkDeliveries(a, b, 'hub', 'GOHUB');
  });

  it('our leaf with JetStream, client on a Go hub', { skip: skipGo }, async (t) => {
    const go = await startGoServer([], 'leafnodes { listen: "127.0.0.1:-1" }\n');
    t.after(() => go.stop());
    const leaf = await startLeaf([remote(`nats-leaf://127.0.0.1:${await goLeafPort(go)}`)], { jetstream: true, store_dir: tmp(), jetstream_opts: { domain: 'spoke' } });
    t.after(() => leaf.stop());
    await waitLeafs(leaf, 1);
    const a = await connect({ servers: leaf.url });
    t.after(() => a.close());
    const b = await connect({ servers: go.url });
    t.after(() => b.close());
    await checkDeliveries(a, b, 'spoke', 'TOGOHUB');
  });

  it('our hub with JetStream, client on a Go leaf', { skip: skipGo }, async (t) => {
    const hub = await startHub({ jetstream: true, store_dir: tmp(), jetstream_opts: { domain: 'hub' } });
    t.after(() => hub.stop());
    const go = await startGoServer([], `leafnodes { remotes [ { url: "${leafURL(hub)}" } ] }\n`);
    t.after(() => go.stop());
    await waitLeafs(hub, 1);
    const a = await connect({ servers: hub.url });
    t.after(() => a.close());
    const b = await connect({ servers: go.url });
    t.after(() => b.close());
    await checkDeliveries(a, b, 'hub', 'GOLEAF');
  });

  it('a Go leaf with JetStream, client on our hub', { skip: skipGo }, async (t) => {
    const hub = await startHub();
    t.after(() => hub.stop());
    const go = await startGoServer([], `jetstream { store_dir: "${tmp()}", domain: spoke }\nleafnodes { remotes [ { url: "${leafURL(hub)}" } ] }\n`);
    t.after(() => go.stop());
    await waitLeafs(hub, 1);
    const a = await connect({ servers: go.url });
    t.after(() => a.close());
    const b = await connect({ servers: hub.url });
    t.after(() => b.close());
    await checkDeliveries(a, b, 'spoke', 'FROMGOLEAF');
  });
});
