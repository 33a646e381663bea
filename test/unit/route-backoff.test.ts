/**
 * The route redial schedule (Go route.go connectToRoute, reConnectToRoute,
 * server.go shouldReportConnectErr), checked without waiting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DialRun, nextDelay, reconnectDelay, reportConnectError, shouldRetry } from '../../src/cluster/route/backoff.js';

function schedule(configured: boolean, retries: number, backoff: boolean, n: number): number[] {
  const run = new DialRun(true);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const w = run.failed(configured, retries, backoff);
    out.push(w);
    if (w < 0) break;
  }
  return out;
}

describe('route redial schedule', () => {
  it('connect_backoff: 1s doubling after each wait, capped at 30s', () => {
    assert.deepEqual(schedule(true, 0, true, 8), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.equal(nextDelay(16000, true), 30000);
    assert.equal(nextDelay(30000, true), 30000);
  });

  it('without connect_backoff: a fixed 1s (Go DEFAULT_ROUTE_CONNECT)', () => {
    assert.deepEqual(schedule(true, 0, false, 5), [1000, 1000, 1000, 1000, 1000]);
    assert.equal(nextDelay(1000, false), 1000);
  });

  it('configured routes are dialed forever whatever connect_retries says', () => {
    assert.ok(schedule(true, 2, false, 50).every((w) => w === 1000));
    assert.equal(shouldRetry(true, 1_000_000, 1), true);
  });

  it('gossiped (implicit) routes: no retry with connect_retries 0, else connect_retries more attempts', () => {
    assert.deepEqual(schedule(false, 0, false, 5), [-1]);
    assert.deepEqual(schedule(false, 2, false, 5), [1000, 1000, -1]);
    assert.deepEqual(schedule(false, 3, true, 5), [1000, 2000, 4000, -1]);
    assert.equal(shouldRetry(false, 3, 3), true);
    assert.equal(shouldRetry(false, 4, 3), false);
  });

  it('a closed route is redialed after 0-99 ms, plus 1s when configured', () => {
    assert.equal(reconnectDelay(false, () => 0), 0);
    assert.equal(reconnectDelay(false, () => 0.999), 99);
    assert.equal(reconnectDelay(true, () => 0), 1000);
    assert.equal(reconnectDelay(true, () => 0.5), 1050);
  });

  it('errors are reported on the first attempt and every connect_error_reports (reconnect_error_reports after a drop)', () => {
    assert.equal(reportConnectError(true, 1, 3600, 1), true);
    assert.equal(reportConnectError(true, 2, 3600, 1), false);
    assert.equal(reportConnectError(true, 3600, 3600, 1), true);
    assert.equal(reportConnectError(false, 2, 3600, 1), true);
    assert.equal(reportConnectError(false, 5, 3600, 2), false);
  });
});
