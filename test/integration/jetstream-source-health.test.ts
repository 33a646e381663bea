/**
 * Source and mirror stall detection (Go processAllSourceMsgs /
 * processMirrorMsgs health checks, retrySourceConsumerAtSeq): an origin
 * deleted and recreated, or an internal consumer that vanished while the
 * origin has more, is noticed and the consumer recreated from the sequence
 * after the last one received; stream info shows `error` (the origin's
 * create failure) meanwhile, and `lag`/`active` as Go computes them. Go's
 * 10 s health interval and retry back-off are shortened through
 * SOURCE_TIMING so the test runs in seconds.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { SOURCE_TIMING } from '../../src/jetstream/stream/sources.js';
import { withJetStream } from '../helpers/jetstream.js';
import { waitFor } from '../helpers/wait.js';

const saved = { ...SOURCE_TIMING };

async function sourceInfo(jsm: JetStreamManager, name: string, mirror = false): Promise<any> {
  const si = await jsm.streams.info(name);
  return mirror ? si.mirror : si.sources?.[0];
}

describe('JetStream source and mirror health', () => {
  before(() => {
    Object.assign(SOURCE_TIMING, { healthCheckMs: 2000, retryThresholdMs: 200, retryBackoffMs: 250, createWaitMs: 2000 });
  });
  after(() => {
    Object.assign(SOURCE_TIMING, saved);
  });

  it('a source whose origin is deleted reports the error and resumes after the last sequence once it is back', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'ORIG', subjects: ['o.>'] });
      await jsm.streams.add({ name: 'AGG', sources: [{ name: 'ORIG' }] });
      for (let i = 1; i <= 3; i++) await js.publish('o.x', `old${i}`);
      await waitFor(async () => (await jsm.streams.info('AGG')).state.messages === 3, 5000, 20);
      const healthy = await sourceInfo(jsm, 'AGG');
      assert.equal(healthy.lag, 0);
      assert.ok(healthy.active >= 0 && healthy.active < 2e9, `active ${healthy.active}`);
      assert.equal(healthy.error, undefined);

      await jsm.streams.delete('ORIG');
      const broken = await waitFor(async () => {
        const s = await sourceInfo(jsm, 'AGG');
        return s.error ? s : null;
      }, 10_000, 50);
      assert.deepEqual(broken.error, { code: 404, err_code: 10059, description: 'stream not found' });

      await jsm.streams.add({ name: 'ORIG', subjects: ['o.>'] });
      for (let i = 1; i <= 5; i++) await js.publish('o.x', `new${i}`);
      // Go resumes at origin sequence 4 (after the last one sourced): new4 and new5 arrive
      await waitFor(async () => (await jsm.streams.info('AGG')).state.messages === 5, 10_000, 50);
      const m = await jsm.streams.getMessage('AGG', { seq: 5 });
      assert.equal(m?.string(), 'new5');
      assert.match(m?.header.get('Nats-Stream-Source') ?? '', /^ORIG 5 /);
      assert.equal((await jsm.streams.getMessage('AGG', { seq: 4 }))?.string(), 'new4');
      await waitFor(async () => (await sourceInfo(jsm, 'AGG')).error === undefined, 5000, 50);
    });
  });

  it('a mirror whose origin is recreated carries on past its last sequence', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'ORIG', subjects: ['o.>'] });
      await jsm.streams.add({ name: 'MIR', mirror: { name: 'ORIG' } });
      for (let i = 1; i <= 3; i++) await js.publish('o.x', `old${i}`);
      await waitFor(async () => (await jsm.streams.info('MIR')).state.messages === 3, 5000, 20);
      await jsm.streams.delete('ORIG');
      await waitFor(async () => (await sourceInfo(jsm, 'MIR', true)).error?.err_code === 10059, 10_000, 50);
      await jsm.streams.add({ name: 'ORIG', subjects: ['o.>'] });
      for (let i = 1; i <= 5; i++) await js.publish('o.x', `new${i}`);
      const si = await waitFor(async () => {
        const s = await jsm.streams.info('MIR');
        return s.state.last_seq === 5 ? s : null;
      }, 10_000, 50);
      assert.equal(si!.state.messages, 5);
      assert.equal((await jsm.streams.getMessage('MIR', { seq: 5 }))?.string(), 'new5');
      assert.equal((await jsm.streams.getMessage('MIR', { seq: 3 }))?.string(), 'old3');
    });
  });

  it('a source whose consumer disappears while the origin has more recreates it from the right sequence', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: 'ORIG', subjects: ['o.>'] });
      for (let i = 1; i <= 3; i++) await js.publish('o.x', `m${i}`);
      // the consumer create answer goes to the sourcing stream's inbox: learn the consumer name from it
      const names: string[] = [];
      const sub = nc.subscribe('$JS.SRC.R.>', { callback: (_e, m) => void names.push(m.json<{ name: string }>().name) });
      await nc.flush();
      await jsm.streams.add({ name: 'AGG', sources: [{ name: 'ORIG' }] });
      await waitFor(async () => (await jsm.streams.info('AGG')).state.messages === 3 && names.length > 0, 5000, 20);
      assert.ok(await jsm.consumers.delete('ORIG', names[0]));
      for (let i = 4; i <= 8; i++) await js.publish('o.x', `m${i}`);
      await waitFor(async () => (await jsm.streams.info('AGG')).state.messages === 8, 10_000, 50);
      sub.unsubscribe();
      // every message once, in order
      for (let seq = 1; seq <= 8; seq++) assert.equal((await jsm.streams.getMessage('AGG', { seq }))?.string(), `m${seq}`);
      assert.ok(names.length >= 2, 'a new consumer was created');
    });
  });
});
