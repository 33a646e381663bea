/**
 * Nothing acknowledged is lost to a kill -9 (issue 15, item 3), default sync
 * mode: our server as a child process takes acknowledged publishes (16 in
 * flight) into a file stream and is SIGKILLed when a randomly chosen PubAck
 * (of up to 10,000) arrives; after a restart on the same store, every
 * acknowledged message is there with its payload. A PubAck leaves once the
 * write returned (util/write-barrier.ts). 20 trials; KILL9_TRIALS scales the
 * count, KILL9_SEED replays a schedule. The `sync_interval: always` trials are
 * in jetstream-kill9-sync.test.ts.
 */
import { describe, it } from 'node:test';
import { kill9Trials } from '../helpers/kill9.js';

describe('JetStream kill -9 mid-publish, default sync', () => {
  it('keeps every acknowledged message with its payload (20 trials)', { timeout: 115_000 }, async () => {
    await kill9Trials('default', 20, 10000);
  });
});
