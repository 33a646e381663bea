/**
 * Dialing a configured route that is down (Go connectToRoute): each failure
 * is logged as Go logs it, and the attempts follow the fixed 1s delay or,
 * with `connect_backoff`, the doubling one. The delay function itself is
 * unit-tested in test/unit/route-backoff.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { GO_SERVER_BIN, startGoServer } from '../helpers/go-server.js';
import { startClustered } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Start a server dialing a dead route; returns when attempt 3 was logged, with the arrival time of each attempt's line. */
async function attempts(backoff: boolean, t: { after: (f: () => unknown) => void }): Promise<{ at: number[]; lines: string[] }> {
  const port = await deadPort();
  const at: number[] = [];
  const lines: string[] = [];
  const s = await startClustered([`nats-route://127.0.0.1:${port}`], {
    server_name: backoff ? 'BO' : 'FIXED', debug: true, no_log: true,
    logSink: (l) => {
      if (!l.includes('Error trying to connect to route')) return;
      at.push(Date.now());
      lines.push(l);
    },
  }, { connect_backoff: backoff, pool_size: -1 }); // no pooling: no pinned $SYS route dialing too
  t.after(() => s.stop());
  await waitFor(() => at.length >= 3, 8000);
  return { at, lines };
}

describe('route redial', () => {
  it('fixed 1s between attempts by default, doubling with connect_backoff; first failure at ERR, later ones at DBG', async (t) => {
    const [fixed, bo] = await Promise.all([attempts(false, t), attempts(true, t)]);
    const gap = (a: number[], k: number) => a[k] - a[k - 1];
    assert.ok(gap(fixed.at, 2) < 1700, `fixed second gap ${gap(fixed.at, 2)}`);
    assert.ok(gap(bo.at, 1) < 1700, `backoff first gap ${gap(bo.at, 1)}`);
    assert.ok(gap(bo.at, 2) >= 1900, `backoff second gap ${gap(bo.at, 2)}`);
    for (const r of [fixed, bo]) {
      assert.match(r.lines[0], /\[ERR\] Error trying to connect to route \(attempt 1\): /);
      // connect_error_reports (3600) keeps later startup failures at debug level
      assert.match(r.lines[1], /\[DBG\] Error trying to connect to route \(attempt 2\): /);
      assert.match(r.lines[2], /\[DBG\] Error trying to connect to route \(attempt 3\): /);
    }
  });

  it('Go 2.9.10 logs the first failed attempt the same way', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, async (t) => {
    const port = await deadPort();
    const go = await startGoServer([], `cluster {\n name: c\n listen: "127.0.0.1:-1"\n routes: ["nats-route://127.0.0.1:${port}"]\n}\n`);
    t.after(() => go.stop());
    await waitFor(() => /\[ERR\] Error trying to connect to route \(attempt 1\): /.test(go.logs()), 5000);
  });
});
