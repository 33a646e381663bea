/**
 * Nothing acknowledged is lost to a kill -9 with `sync_interval: always`
 * (issue 15, item 3): as jetstream-kill9.test.ts, with every PubAck leaving
 * only after fsync. 10 trials of up to 3,000 acknowledged publishes;
 * KILL9_TRIALS scales the count, KILL9_SEED replays a schedule.
 */
import { describe, it } from 'node:test';
import { kill9Trials } from '../helpers/kill9.js';

describe('JetStream kill -9 mid-publish, sync_interval: always', () => {
  it('keeps every acknowledged message with its payload (10 trials)', { timeout: 115_000 }, async () => {
    await kill9Trials('always', 10, 3000);
  });
});
