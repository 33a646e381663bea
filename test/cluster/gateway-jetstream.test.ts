/**
 * JetStream and service imports across gateways (Go trackGWReply with an
 * account, the account gwReplyMapping lookup of internal publishes,
 * consumer nextWaiting's gateway interest, the `@<subject>` deliver suffix
 * of JetStream deliveries): clients in cluster B use JetStream in cluster A
 * right after connecting, so the first answers leave A before the requester's
 * inbox interest has reached it and must go back under their `_GR_.` form.
 * The scenario runs with A and B ours, with a Go 2.9.10 JetStream cluster as
 * A (B ours, without JetStream: its requests go through the system account as
 * Go's do) and with ours as A and a Go 2.9.10 server as B.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { RunningServer } from '../../src/index.js';
import { defaultOptions, type Options } from '../../src/config/options.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { GO_SERVER_BIN, type GoServer } from '../helpers/go-server.js';
import { waitMeshed } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { gwOf, gwURL, startGoGateway, startGoGwCluster, startGwCluster, startGwServer, waitGateways, waitGwInterest } from '../helpers/gateway.js';

const skipGo = GO_SERVER_BIN ? false : 'Go nats-server not installed';

/** Account SVC exports `help.>`, APP imports it and has JetStream. */
const ACCOUNTS_CONF = `accounts {
  SVC: { users: [{user: svc, password: pw}], exports: [{service: "help.>"}] }
  APP: { users: [{user: app, password: pw}], imports: [{service: {account: SVC, subject: "help.>"}}], jetstream: enabled }
}
`;

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'gwjs-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function accountOpts(): Pick<Options, 'accounts' | 'users'> {
  const f = join(tmp(), 'accounts.conf');
  writeFileSync(f, ACCOUNTS_CONF);
  const base = loadConfigFile(f, defaultOptions());
  return { accounts: base.accounts, users: base.users };
}

const conns: NatsConnection[] = [];
after(async () => {
  await Promise.all(conns.map((c) => c.close().catch(() => {})));
});
async function open(url: string, user: string | null): Promise<NatsConnection> {
  const nc = await connect({ servers: url, ...(user !== null ? { user, pass: 'pw' } : {}) });
  conns.push(nc);
  return nc;
}

/**
 * Wait until B knows A's interest in these APP subjects: a subscription that
 * JetStream makes in A (stream subjects, a consumer's pull requests, KV
 * direct gets) reaches B as an RS+ on another connection than the API
 * answer that says it was made, in Go as in ours.
 */
type Ready = (subjects: string[]) => Promise<void>;

/** Ready for a B of ours: its outbound gateways to A know each subject. */
function oursReady(B: RunningServer[], account = 'APP'): Ready {
  return async (subjects) => {
    for (const s of B) for (const subj of subjects) await waitGwInterest(s, 'A', subj, account, 10000);
  };
}

/** A fresh connection in B (user APP, or none): stream create, publish with ack, pull and push consumers, KV. */
async function useJetStream(url: string, stream: string, ready: Ready, user: string | null = 'app', cluster?: string): Promise<void> {
  const nc = await open(url, user);
  const jsm = await jetstreamManager(nc, { timeout: 3000 });
  const ai = await jsm.getAccountInfo();
  assert.equal(typeof ai.streams, 'number');
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], ...(cluster ? { placement: { cluster, tags: [] } } : {}) });
  await ready([`${stream}.0`]);
  const js = jetstream(nc, { timeout: 3000 });
  for (let k = 0; k < 5; k++) {
    const ack = await js.publish(`${stream}.${k}`, `o${k}`);
    assert.equal(ack.stream, stream);
    assert.equal(ack.seq, k + 1);
  }
  // pull consumer: the request's inbox was created just now; messages show their stream subject
  await jsm.consumers.add(stream, { durable_name: 'C', ack_policy: AckPolicy.Explicit });
  await ready([`$JS.API.CONSUMER.MSG.NEXT.${stream}.C`]);
  const c = await js.consumers.get(stream, 'C');
  const got: string[] = [];
  const msgs = await c.fetch({ max_messages: 5, expires: 3000 });
  for await (const m of msgs) {
    got.push(`${m.subject}:${m.string()}`);
    m.ack();
  }
  assert.deepEqual(got, [0, 1, 2, 3, 4].map((k) => `${stream}.${k}:o${k}`));
  // the acks crossed back to A
  await waitFor(async () => (await jsm.consumers.info(stream, 'C')).num_ack_pending === 0, 5000);
  // push consumer delivering to a subject subscribed in B
  const pushed: string[] = [];
  const toAck: Msg[] = [];
  const deliver = `push.${stream}`;
  nc.subscribe(deliver, { callback: (_e, m) => { pushed.push(`${m.subject}:${m.reply?.startsWith('$JS.ACK.') ? 'ack' : m.reply}`); toAck.push(m); } });
  await nc.flush();
  await jsm.consumers.add(stream, { durable_name: 'P', deliver_subject: deliver, ack_policy: AckPolicy.Explicit });
  await waitFor(() => pushed.length === 5, 8000);
  assert.deepEqual(pushed, [0, 1, 2, 3, 4].map((k) => `${stream}.${k}:ack`));
  // the consumer's ack subscription is made with it and may reach B after the deliveries: ack again until A has them (acks are idempotent)
  await waitFor(async () => {
    for (const m of toAck) m.respond();
    return (await jsm.consumers.info(stream, 'P')).num_ack_pending === 0;
  }, 8000);
  const kv = await new Kvm(nc).create(`CFG_${stream}`, cluster ? { placement: { cluster, tags: [] } } : {});
  await ready([`$KV.CFG_${stream}.color`, `$JS.API.DIRECT.GET.KV_CFG_${stream}.$KV.CFG_${stream}.color`]);
  await kv.put('color', 'blue');
  assert.equal((await kv.get('color'))?.string(), 'blue');
  assert.equal((await jsm.streams.info(stream)).state.messages, 5);
}

/** A responder in SVC on A; requesters in APP on each B server (B applies APP's import). */
async function useServiceImport(aURL: string, bURLs: string[]): Promise<void> {
  const svc = await open(aURL, 'svc');
  svc.subscribe('help.>', { callback: (_e, m) => { m.respond(`helped:${m.subject}`); } });
  await svc.flush();
  for (const url of bURLs) {
    const nc = await open(url, 'app');
    const r = await waitFor(async () => nc.request('help.me', '', { timeout: 1000 }).catch(() => null), 8000);
    assert.equal(r!.string(), 'helped:help.me');
    // fresh inbox per request: each answer comes back
    for (let k = 0; k < 3; k++) assert.equal((await nc.request(`help.${k}`, '', { timeout: 3000 })).string(), `helped:help.${k}`);
  }
}

describe('JetStream and service imports over gateways: A and B ours', () => {
  let A: RunningServer;
  let B: RunningServer[];
  before(async () => {
    const acc = accountOpts();
    A = await startGwServer('A', [], { server_name: 'A1', jetstream: true, store_dir: tmp(), ...acc });
    B = await startGwCluster('B', 2, [{ name: 'A', urls: [gwURL(A)] }], acc);
    await waitMeshed(B);
    await waitGateways([A, ...B], 1, 0, 15000);
  });
  after(async () => {
    await Promise.all([A, ...B].map((s) => s?.stop()));
  });

  it('a fresh connection in B creates, publishes to (acked), consumes from a stream in A and uses KV', async () => {
    await useJetStream(B[1].url, 'ORDERS', oursReady(B));
    // A answered requests of internal subscriptions on their routed replies (Go account gwReplyMapping).
    assert.ok(A.server.lookupAccount('APP')!.gwReplies !== null);
    await useJetStream(B[0].url, 'MORE', oursReady(B));
  });

  it('a request to a service imported in B is answered by the exporter in A', async () => {
    await useServiceImport(A.url, B.map((s) => s.url));
  });
});

describe('JetStream and service imports over gateways: A is a Go 2.9.10 JetStream cluster, B ours', { skip: skipGo }, () => {
  let G: (GoServer & { gwPort: number })[] = [];
  let B: RunningServer[];
  before(async () => {
    // Go runs JetStream with gateways only as a JetStream cluster: two routed servers. B has no JetStream:
    // as Go's servers do, it forwards APP's API requests into the system account (Go's "mixed mode").
    G = await startGoGwCluster('A', 2, [], ACCOUNTS_CONF, true);
    B = await startGwCluster('B', 2, [{ name: 'A', urls: [gwURL(G[0])] }], accountOpts());
    await waitMeshed(B);
    // each Go server connects back to one server of B
    await waitFor(() => B.every((s) => gwOf(s).out.has('A')) && gwOf(B[0]).inbound.size + gwOf(B[1]).inbound.size === 2, 15000);
    // Go's JetStream API listens in its system account: B must have heard of it
    for (const s of B) await waitGwInterest(s, 'A', '$JS.API.INFO', '$SYS', 10000);
  });
  after(async () => {
    await Promise.all(B.map((s) => s?.stop()));
    await Promise.all(G.map((g) => g.stop()));
  });

  it('a fresh connection in B uses JetStream in Go', async () => {
    // Go places a stream in the requester's cluster unless told otherwise
    await useJetStream(B[1].url, 'ORDERS', oursReady(B), 'app', 'A');
  });

  it('a service import in B reaches the exporter in Go', async () => {
    await useServiceImport(G[1].url, B.map((s) => s.url));
  });
});

describe('JetStream and service imports over gateways: A ours, B is Go 2.9.10', { skip: skipGo }, () => {
  let A: RunningServer;
  let G: GoServer & { gwPort: number };
  before(async () => {
    A = await startGwServer('A', [], { server_name: 'A1', jetstream: true, store_dir: tmp(), ...accountOpts() });
    G = await startGoGateway('B', [{ name: 'A', urls: [gwURL(A)] }], ACCOUNTS_CONF);
    await waitFor(() => gwOf(A).out.has('B') && gwOf(A).inbound.size === 1, 15000);
  });
  after(async () => {
    await A?.stop();
    await G?.stop();
  });

  it('a fresh connection on Go uses JetStream in ours', async () => {
    // B is Go: wait until its /gatewayz counts as many APP subscriptions of A as A announced
    const ready: Ready = async () => {
      const announced = () => ((gwOf(A) as unknown as { tally: { accounts: Map<string, Map<string, number>> } }).tally.accounts.get('APP')?.size ?? 0);
      await waitFor(async () => {
        const z = (await (await fetch(`http://127.0.0.1:${G.monitorPort}/gatewayz?accs=1`)).json()) as Record<string, any>;
        const acc = (z.outbound_gateways?.A?.accounts ?? []).find((a: any) => a.name === 'APP');
        return acc !== undefined && acc.num_subs === announced();
      }, 10000, 20);
    };
    await useJetStream(G.url, 'ORDERS', ready);
  });

  it('a service import on Go reaches the exporter in ours', async () => {
    await useServiceImport(A.url, [G.url]);
  });
});
