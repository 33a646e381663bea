/**
 * Nothing acknowledged is lost to a kill -9 (issue 15, item 3): our server as
 * a child process takes acknowledged publishes (16 in flight) into a file
 * stream and is SIGKILLed when a randomly chosen PubAck arrives; after a
 * restart on the same store, every acknowledged message is there with its
 * payload. 20 trials in the default mode (no sync_interval: a PubAck leaves
 * once the write returned) and 10 with `sync_interval: always` (after
 * fsync). KILL9_TRIALS scales both counts; KILL9_SEED replays a schedule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OURS_CMD } from '../helpers/go-server.js';
import { kill9Trial } from '../helpers/kill9.js';
import { rng } from '../helpers/rng.js';

const SCALE = Number(process.env.KILL9_TRIALS ?? 1);
const SEED = Number(process.env.KILL9_SEED ?? Date.now() % 100000);

async function trials(sync: 'default' | 'always', count: number, maxAcks: number): Promise<void> {
  const rand = rng(SEED + (sync === 'always' ? 1 : 0));
  const report: string[] = [];
  for (let t = 0; t < count; t++) {
    const killAfterAcks = 1 + Math.floor(rand() * maxAcks);
    const r = await kill9Trial({ cmd: OURS_CMD, sync, killAfterAcks, tag: `${sync}${t}` });
    report.push(`${r.acked}/${r.restored}`);
    assert.ok(r.acked >= killAfterAcks, `trial ${t}: only ${r.acked} acks before the kill`);
    assert.deepEqual(r.lost, [], `trial ${t} (seed ${SEED}, kill after ${killAfterAcks} acks): acknowledged through seq ${r.lastAckedSeq}, ${r.restored} restored, lost ${r.lost.length}: ${r.lost.slice(0, 20).join(',')}`);
  }
  console.log(`# kill -9 ${sync}: ${count} trials, acked/restored ${report.join(' ')} (seed ${SEED})`);
}

describe('JetStream kill -9 mid-publish', () => {
  it('keeps every acknowledged message, default sync (20 trials)', { timeout: 400_000 }, async () => {
    await trials('default', Math.max(1, Math.round(20 * SCALE)), 20000);
  });

  it('keeps every acknowledged message, sync_interval: always (10 trials)', { timeout: 300_000 }, async () => {
    await trials('always', Math.max(1, Math.round(10 * SCALE)), 3000);
  });
});
