/**
 * The `prioritized` priority policy (ADR-42, Go TestJetStreamConsumerPrioritized):
 * config validation, pull request validation with Go's status texts, waiting
 * requests served by priority (0 first) and in turn within one priority, and
 * the real @nats-io/jetstream client's fetch with `priority`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createInbox, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy, type JetStreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { startServer, type RunningServer } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';

interface Puller {
  got: string[];
  statuses: string[];
}

describe('JetStream prioritized priority policy', () => {
  let srv: RunningServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let dir: string;
  let k = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nsts-prioritized-'));
    srv = await startServer({ jetstream: true, store_dir: dir });
    nc = await connect({ servers: srv.url });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });
  after(async () => {
    await nc.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh stream and a prioritized pull consumer on it, group "A". */
  async function setup(): Promise<string> {
    const s = `PR${++k}`;
    await jsm.streams.add({ name: s, subjects: [s], storage: 'memory' as any });
    await jsm.consumers.add(s, { durable_name: 'C', ack_policy: AckPolicy.None, priority_policy: 'prioritized', priority_groups: ['A'] } as any);
    return s;
  }

  /** Send one raw pull request and record what comes back on its inbox. */
  function request(s: string, req: Record<string, unknown>): Puller {
    const p: Puller = { got: [], statuses: [] };
    const inbox = createInbox();
    nc.subscribe(inbox, {
      callback: (_e, m: Msg) => {
        if (m.headers?.code) p.statuses.push(`${m.headers.code} ${m.headers.description}`);
        else p.got.push(m.string());
      },
    });
    nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${s}.C`, JSON.stringify(req), { reply: inbox });
    return p;
  }

  async function waiting(s: string, n: number): Promise<void> {
    await waitFor(async () => (await jsm.consumers.info(s, 'C')).num_waiting === n, 3000);
  }

  it('config: prioritized needs a group and a pull consumer, and is reported back', async () => {
    const s = `PR${++k}`;
    await jsm.streams.add({ name: s, subjects: [s], storage: 'memory' as any });
    // The client refuses these configs itself, so ask the API directly.
    const create = async (config: Record<string, unknown>): Promise<unknown> =>
      (await nc.request(`$JS.API.CONSUMER.CREATE.${s}.X`, JSON.stringify({ stream_name: s, config: { durable_name: 'X', ack_policy: 'none', ...config } }))).json<any>().error;
    assert.deepEqual(await create({ priority_policy: 'prioritized' }), {
      code: 400,
      err_code: 10159,
      description: 'Setting PriorityPolicy requires at least one PriorityGroup to be set',
    });
    assert.deepEqual(await create({ priority_policy: 'prioritized', priority_groups: ['A'], deliver_subject: createInbox() }), {
      code: 400,
      err_code: 10178,
      description: 'priority groups can not be used with push consumers',
    });
    const ci = await jsm.consumers.add(s, { durable_name: 'C', ack_policy: AckPolicy.None, priority_policy: 'prioritized', priority_groups: ['A'] } as any);
    assert.equal((ci.config as any).priority_policy, 'prioritized');
    assert.deepEqual((ci.config as any).priority_groups, ['A']);
    // Go marks a prioritized consumer as needing API level 2.
    assert.equal(ci.config.metadata?.['_nats.req.level'], '2');
  });

  it('pull requests: priority outside 0..9, a missing or unknown group get 400 with Go texts', async () => {
    const s = await setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ batch: 1, group: 'A', priority: 10, expires: 1e9 }, '400 Bad Request - Priority must be between 0 and 9'],
      [{ batch: 1, group: 'A', priority: -5, expires: 1e9 }, '400 Bad Request - Priority must be between 0 and 9'],
      [{ batch: 1, expires: 1e9 }, '400 Bad Request - Priority Group missing'],
      [{ batch: 1, group: 'B', priority: 1, expires: 1e9 }, '400 Bad Request - Invalid Priority Group'],
      [{ batch: 1, group: 'A', min_pending: 5, expires: 1e9 }, '400 Bad Request - Not a Overflow Priority consumer'],
      [{ batch: 1, group: 'A', id: 'X', expires: 1e9 }, '400 Bad Request - Not a Pinned Client Priority consumer'],
    ];
    for (const [req, want] of cases) {
      const p = request(s, req);
      await waitFor(() => p.statuses.length === 1, 3000);
      assert.deepEqual(p.statuses, [want], JSON.stringify(req));
    }
  });

  it('the lowest priority number is served first, whatever the arrival order', async () => {
    const s = await setup();
    const p3 = request(s, { batch: 1, group: 'A', priority: 3, expires: 10e9 });
    const p1 = request(s, { batch: 1, group: 'A', priority: 1, expires: 10e9 });
    const p2 = request(s, { batch: 2, group: 'A', priority: 2, expires: 10e9 });
    await waiting(s, 3);
    await js.publish(s, 'm1');
    await waitFor(() => p1.got.length === 1, 3000);
    await js.publish(s, 'm2');
    await waitFor(() => p2.got.length === 1, 3000);
    await js.publish(s, 'm3');
    await waitFor(() => p2.got.length === 2, 3000);
    await js.publish(s, 'm4');
    await waitFor(() => p3.got.length === 1, 3000);
    assert.deepEqual(p1.got, ['m1']);
    assert.deepEqual(p2.got, ['m2', 'm3']);
    assert.deepEqual(p3.got, ['m4']);
    await waiting(s, 0);
  });

  it('a newer request with a better priority takes over from one still pending', async () => {
    const s = await setup();
    const p3 = request(s, { batch: 3, group: 'A', priority: 3, expires: 10e9 });
    await waiting(s, 1);
    await js.publish(s, 'm1');
    await waitFor(() => p3.got.length === 1, 3000);
    const p2 = request(s, { batch: 2, group: 'A', priority: 2, expires: 10e9 });
    await waiting(s, 2);
    await js.publish(s, 'm2');
    await waitFor(() => p2.got.length === 1, 3000);
    const p1 = request(s, { batch: 1, group: 'A', priority: 1, expires: 10e9 });
    await waiting(s, 3);
    await js.publish(s, 'm3');
    await js.publish(s, 'm4');
    await js.publish(s, 'm5');
    await waitFor(() => p3.got.length === 2, 3000);
    assert.deepEqual(p1.got, ['m3']);
    assert.deepEqual(p2.got, ['m2', 'm4']);
    assert.deepEqual(p3.got, ['m1', 'm5']);
  });

  it('requests of one priority take turns (requeued behind their own priority)', async () => {
    const s = await setup();
    const x = request(s, { batch: 2, group: 'A', priority: 5, expires: 10e9 });
    const y = request(s, { batch: 2, group: 'A', priority: 5, expires: 10e9 });
    const z = request(s, { batch: 1, group: 'A', priority: 6, expires: 10e9 });
    await waiting(s, 3);
    for (let i = 1; i <= 5; i++) await js.publish(s, `m${i}`);
    await waitFor(() => x.got.length === 2 && y.got.length === 2 && z.got.length === 1, 3000);
    assert.deepEqual(x.got, ['m1', 'm3']);
    assert.deepEqual(y.got, ['m2', 'm4']);
    assert.deepEqual(z.got, ['m5']);
  });

  it('the jetstream client fetches with priority; a better-priority fetch wins', async () => {
    const s = await setup();
    const c = await js.consumers.get(s, 'C');
    const got: string[] = [];
    const drain = async (name: string, it: AsyncIterable<{ string(): string }>): Promise<void> => {
      for await (const m of it) got.push(`${name}:${m.string()}`);
    };
    // The client sends the pull request when iteration starts.
    const low = drain('low', await c.fetch({ max_messages: 1, expires: 5000, group: 'A', priority: 9 } as any));
    await waiting(s, 1);
    const high = drain('high', await c.fetch({ max_messages: 1, expires: 5000, group: 'A', priority: 0 } as any));
    await waiting(s, 2);
    await js.publish(s, 'first');
    await js.publish(s, 'second');
    await Promise.all([low, high]);
    assert.deepEqual(got, ['high:first', 'low:second']);
  });
});
