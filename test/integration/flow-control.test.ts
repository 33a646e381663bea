/**
 * Flow control (Go client.go fast-producer stall, slow consumers): a
 * subscriber that reads is never cut by a faster producer; one that stops
 * reading becomes a slow consumer with Go's log line, closed reason and
 * counters. The servers run as child processes (ours: our CLI), each next
 * to Go 2.9.10 with the same config where Go shares the behaviour. A small
 * max_pending makes the stall engage within a few MB.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startGoServer, GO_SERVER_BIN, OURS_CMD, type GoServer } from '../helpers/go-server.js';
import { floodPub, floodSub } from '../helpers/flood.js';
import { waitFor } from '../helpers/wait.js';
import { startCluster, waitMeshed, waitRemoteInterest, stopAll } from '../helpers/cluster.js';

const KINDS = GO_SERVER_BIN ? (['ours', 'go'] as const) : (['ours'] as const);
const MP = 1024 * 1024;
/**
 * max_pending for the never-cut floods: small enough that the stall engages
 * within a few MB, large enough that a reader the machine deschedules for a
 * while stays below it (past the 3/4 gate every publisher read may still add
 * up to 64 KB after its 10 ms stall, as in Go; 2 MB of margin is 32 such reads).
 */
const FLOOD_MP = 8 * 1024 * 1024;

async function start(kind: 'ours' | 'go', conf: string): Promise<GoServer> {
  return startGoServer(['-m', '-1'], conf, kind === 'ours' ? OURS_CMD : undefined);
}

async function json(s: GoServer, path: string): Promise<any> {
  return (await fetch(`http://127.0.0.1:${s.monitorPort}${path}`)).json();
}

/** A raw subscriber that subscribes and then never reads again. */
async function stuckSub(port: number, subject: string): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => {
    let d = '';
    s.on('data', (b) => {
      d += b.toString();
      if (d.includes('PONG\r\n')) res();
    });
    s.once('error', rej);
    s.write(`CONNECT {"verbose":false,"pedantic":false,"name":"stuck"}\r\nSUB ${subject} 1\r\nPING\r\n`);
  });
  s.removeAllListeners('data');
  s.pause();
  return s;
}

/** Publish until `done()` or `max` messages; the publisher must stay connected throughout. */
async function publishUntil(port: number, subject: string, size: number, done: () => Promise<boolean>, max: number): Promise<number> {
  let total = 0;
  while (total < max) {
    await floodPub(port, subject, 20_000, size);
    total += 20_000;
    if (await done()) return total;
  }
  return total;
}

describe('fast producer, reading subscriber: never cut (Go fast-producer stall)', () => {
  for (const kind of KINDS) {
    for (const [count, size] of [[500_000, 128], [100_000, 1024]] as const) {
      it(`${kind}: ${count} x ${size} B to a nats.js subscriber arrive in full, no slow consumer (3 runs)`, async (t) => {
        let stalledRuns = 0;
        for (let run = 0; run < (kind === 'ours' ? 3 : 1); run++) {
          const srv = await start(kind, `max_pending: ${FLOOD_MP}\n`);
          const sub = await floodSub(srv.port, 'flood', count);
          try {
            await floodPub(srv.port, 'flood', count, size);
            assert.equal(await sub.result, 'done', `run ${run}: the subscriber lost messages`);
            const v = await json(srv, '/varz');
            assert.equal(v.slow_consumers, 0);
            if (kind === 'ours' && v.stalled_clients > 0) {
              // A stall is counted in /varz and on the consumer that caused it.
              stalledRuns++;
              const cz = await json(srv, '/connz');
              const c = cz.connections.find((x: any) => x.name === 'flood-sub');
              assert.ok(c && c.stalls > 0, `connz stalls of the subscriber: ${JSON.stringify(c)}`);
            }
          } finally {
            await sub.stop();
            await srv.stop();
          }
        }
        // Whether a run needs the stall depends on how the machine schedules the two ends; that it
        // engages and is counted is asserted with a subscriber that stops reading (below).
        if (kind === 'ours') t.diagnostic(`${stalledRuns} of 3 runs stalled the publisher`);
      });
    }
  }
});

describe('a subscriber that stops reading is a slow consumer', () => {
  for (const kind of KINDS) {
  }
  // Go 2.9.10 stalls the producer without a per-read cap, so a stuck subscriber is cut by the write
  // deadline there; the newest Go caps the stall at 10 ms a read, and the subscriber reaches max_pending.
  it(`ours: MaxPending cut with Go's INF line, closed reason and counters; the publisher stays`, async () => {
    {
      const kind = 'ours' as const;
      const srv = await start(kind, `max_pending: ${MP}\n`);
      const stuck = await stuckSub(srv.port, 'sc');
      try {
        const cut = async () => (await json(srv, '/varz')).slow_consumers > 0;
        await publishUntil(srv.port, 'sc', 1024, cut, 400_000);
        assert.ok(await cut(), 'no slow consumer after 400 MB');
        assert.match(srv.logs(), new RegExp(`\\[INF\\] 127\\.0\\.0\\.1:\\d+ - cid:\\d+ - "stuck" - Slow Consumer Detected: MaxPending of ${MP} Exceeded`));
        // Each read of the publisher was held the full 10 ms while the stuck subscriber's gate was closed.
        await waitFor(() => /\[WRN\] .* - cid:\d+ - Producer was stalled for a total of \d+ms/.test(srv.logs()), 5000);
        assert.ok((await json(srv, '/varz')).stalled_clients > 0, 'the stalls are counted');
        const v = await json(srv, '/varz');
        assert.equal(v.slow_consumers, 1);
        if (v.slow_consumer_stats) assert.deepEqual(v.slow_consumer_stats, { clients: 1, routes: 0, gateways: 0, leafs: 0 });
        const closed = await waitFor(async () => (await json(srv, '/connz?state=closed')).connections.find((c: any) => c.name === 'stuck'), 5000);
        assert.equal(closed.reason, 'Slow Consumer (Pending Bytes)');
      } finally {
        stuck.destroy();
        await srv.stop();
      }
    }
  });

  for (const kind of KINDS) {
    it(`${kind}: write deadline cut with Go's INF line and closed reason`, async () => {
      const srv = await start(kind, `write_deadline: "500ms"\n`);
      const stuck = await stuckSub(srv.port, 'wd');
      try {
        const cut = async () => (await json(srv, '/connz?state=closed')).connections.some((c: any) => c.name === 'stuck');
        await publishUntil(srv.port, 'wd', 1024, async () => {
          // give the deadline its time once the socket is full
          try {
            await waitFor(cut, 1500, 50);
            return true;
          } catch {
            return false;
          }
        }, 200_000);
        const closed = (await json(srv, '/connz?state=closed')).connections.find((c: any) => c.name === 'stuck');
        assert.equal(closed?.reason, 'Slow Consumer (Write Deadline)');
        assert.match(srv.logs(), /\[INF\] 127\.0\.0\.1:\d+ - cid:\d+ - "stuck" - Slow Consumer Detected: WriteDeadline of 500ms exceeded with \d+ chunks of \d+ total bytes\./);
        assert.equal((await json(srv, '/varz')).slow_consumers, 1);
      } finally {
        stuck.destroy();
        await srv.stop();
      }
    });
  }
});

describe('no_fast_producer_stall', () => {
  it('ours: a gated subscriber misses messages instead of stalling the producer, and is not cut', async () => {
    // Go >= 2.11 (not 2.9.10): with the option set, deliverMsg skips a consumer whose stall gate is closed.
    const srv = await start('ours', `max_pending: ${MP}\nno_fast_producer_stall: true\n`);
    const stuck = await stuckSub(srv.port, 'nf');
    try {
      await floodPub(srv.port, 'nf', 100_000, 1024); // 100 MB, 50 times max_pending
      const v = await json(srv, '/varz');
      assert.equal(v.slow_consumers, 0);
      assert.equal(v.stalled_clients, 0);
      const c = (await json(srv, '/connz')).connections.find((x: any) => x.name === 'stuck');
      assert.ok(c, 'the gated subscriber is still connected');
      assert.ok(c.out_msgs < 100_000, `out_msgs ${c.out_msgs}`);
      assert.ok(c.pending_bytes <= MP, `pending ${c.pending_bytes}`);
    } finally {
      stuck.destroy();
      await srv.stop();
    }
  });
});

describe('routes feeding a client stall too', () => {
  const servers: Awaited<ReturnType<typeof startCluster>> = [];
  after(() => stopAll(servers));

  it('ours: publisher on A, nats.js subscriber on B: every message arrives, no slow consumer', async () => {
    servers.push(...(await startCluster(2, { max_pending: FLOOD_MP })));
    await waitMeshed(servers);
    const [a, b] = servers;
    const count = 200_000;
    const sub = await floodSub(b.port, 'routed', count);
    try {
      await waitRemoteInterest(a, 'routed');
      await floodPub(a.port, 'routed', count, 128);
      assert.equal(await sub.result, 'done');
      for (const s of servers) assert.equal(s.server.stats.slowConsumers, 0);
    } finally {
      await sub.stop();
    }
  });
});
