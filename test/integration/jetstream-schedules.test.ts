/**
 * JetStream message schedules (ADR-51) through the real client: stream
 * config rules, every PubAck error for bad schedule headers, `@at` one-shots
 * (the schedule is purged when it fires), `@every` and cron repeats with
 * `Nats-Schedule-Next`, `Nats-Schedule-Source` / `-TTL`, on memory and file
 * storage, and a file-store schedule that fires after a restart.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { startServer } from '../../src/index.js';
import { withJetStream } from '../helpers/jetstream.js';
import { waitFor } from '../helpers/wait.js';

type Ack = { stream?: string; seq?: number; error?: { code: number; err_code: number; description: string } };

/** Publish with headers and return the raw PubAck JSON. */
async function pub(nc: NatsConnection, subject: string, hdrs: Record<string, string>, body = ''): Promise<Ack> {
  const h = headers();
  for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
  return (await nc.request(subject, body, { headers: h, timeout: 2000 })).json<Ack>();
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; err_code: number; description: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof JetStreamApiError) return e.apiError() as { code: number; err_code: number; description: string };
    throw e;
  }
  throw new Error('expected an API error');
}

const at = (msAhead: number) => `@at ${new Date(Date.now() + msAhead).toISOString()}`;

async function lastOf(jsm: JetStreamManager, stream: string, subject: string) {
  return jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
}

describe('JetStream message schedules: config', () => {
  it('validates allow_msg_schedules like Go (mirrors, sources, discard new, counters, no disabling)', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      const si = await jsm.streams.add({ name: 'S', subjects: ['s.>'], allow_msg_schedules: true } as any);
      assert.equal((si.config as any).allow_msg_schedules, true);
      // roll-ups are switched on for a scheduling stream
      assert.equal(si.config.allow_rollup_hdrs, true);
      assert.equal(si.config.metadata?.['_nats.req.level'], '2');
      const mir = await apiError(jsm.streams.add({ name: 'M', mirror: { name: 'S' }, allow_msg_schedules: true } as any));
      assert.deepEqual(mir, { code: 400, err_code: 10186, description: 'stream mirrors can not also schedule messages' });
      const src = await apiError(jsm.streams.add({ name: 'SRC', sources: [{ name: 'S' }], allow_msg_schedules: true } as any));
      assert.deepEqual(src, { code: 400, err_code: 10187, description: 'stream source can not also schedule messages' });
      const dn = await apiError(jsm.streams.add({ name: 'DN', subjects: ['dn'], discard: 'new', allow_msg_schedules: true } as any));
      assert.equal(dn.err_code, 10052);
      assert.equal(dn.description, 'message scheduling cannot use discard new');
      const ctr = await apiError(jsm.streams.add({ name: 'C', subjects: ['c'], allow_msg_counter: true, allow_msg_schedules: true } as any));
      assert.equal(ctr.description, 'counter stream cannot use message schedules');
      const off = await apiError(jsm.streams.update('S', { ...si.config, allow_msg_schedules: false } as any));
      assert.equal(off.description, 'message schedules can not be disabled');
    });
  });
});

describe('JetStream message schedules: publish errors', () => {
  it('answers bad schedule headers with Go error codes', async () => {
    await withJetStream(async ({ nc }) => {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'S', subjects: ['s.>', 'out.>'], allow_msg_schedules: true } as any);
      await jsm.streams.add({ name: 'P', subjects: ['p.>'] });
      await jsm.streams.add({ name: 'T', subjects: ['t.>'], allow_msg_schedules: true, allow_msg_ttl: true } as any);
      const code = async (subject: string, h: Record<string, string>) => (await pub(nc, subject, h)).error?.err_code;
      const ok = { 'Nats-Schedule': at(60_000), 'Nats-Schedule-Target': 'out.x' };
      // disabled on a stream without allow_msg_schedules (also for a bad pattern there)
      assert.equal(await code('p.a', { 'Nats-Schedule': at(60_000), 'Nats-Schedule-Target': 'p.b' }), 10188);
      assert.equal(await code('p.a', { 'Nats-Schedule': 'nonsense' }), 10188);
      // pattern
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule': 'nonsense' }), 10189);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule': '@at 2026-13-45' }), 10189);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule': '@every 500ms' }), 10189);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule': '* * * * *' }), 10189);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule': '0 0 25 * * *' }), 10189);
      // @at and @every take no time zone; a bad zone is its own error
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-Time-Zone': 'Europe/Amsterdam' }), 10189);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule': '0 0 * * * *', 'Nats-Schedule-Time-Zone': 'Mars/Olympus' }), 10223);
      // target
      assert.equal(await code('s.a', { 'Nats-Schedule': at(60_000) }), 10190);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-Target': 's.a' }), 10190);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-Target': 'out.*' }), 10190);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-Target': 'elsewhere' }), 10190);
      // TTL and rollup
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-TTL': 'soon' }), 10191);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-TTL': '5s' }), 10166);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-Rollup': 'all' }), 10192);
      assert.equal(await code('s.a', { ...ok, 'Nats-Rollup': 'all' }), 10192);
      // source
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-Source': 'out.x' }), 10203);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-Source': 's.a' }), 10203);
      assert.equal(await code('s.a', { ...ok, 'Nats-Schedule-Source': 'elsewhere' }), 10203);
      // scheduler headers are the server's
      assert.equal(await code('s.a', { 'Nats-Scheduler': 's.b' }), 10212);
      assert.equal(await code('s.a', { 'Nats-Scheduler': 's.b', 'Nats-Schedule-Next': '2030-01-01T00:00:00Z' }), 10212);
      assert.equal(await code('s.a', { 'Nats-Scheduler': 's.a', 'Nats-Schedule-Next': 'purge' }), 10212);
      assert.equal(await code('p.a', { 'Nats-Scheduler': 'p.b', 'Nats-Schedule-Next': 'purge' }), 10188);
      await pub(nc, 's.plain', {}, 'not a schedule');
      assert.equal(await code('s.a', { 'Nats-Scheduler': 's.plain', 'Nats-Schedule-Next': 'purge' }), 10212);
      // valid ones are stored, with the subject roll-up added
      const good = await pub(nc, 's.a', ok);
      assert.equal(good.error, undefined);
      assert.equal(good.seq, 2);
      const stored = await lastOf(jsm, 'S', 's.a');
      assert.equal(stored?.header.get('Nats-Rollup'), 'sub');
      assert.equal((await pub(nc, 't.a', { 'Nats-Schedule': '0 0 * * * *', 'Nats-Schedule-Time-Zone': 'Europe/Amsterdam', 'Nats-Schedule-Target': 't.b', 'Nats-Schedule-TTL': '5s' })).error, undefined);
      // a client may purge a schedule itself
      assert.equal((await pub(nc, 's.purger', { 'Nats-Scheduler': 's.a', 'Nats-Schedule-Next': 'purge' })).error, undefined);
      assert.equal(await lastOf(jsm, 'S', 's.a'), null);
    });
  });
});

for (const storage of ['memory', 'file'] as const) {
  describe(`JetStream message schedules firing (${storage} storage)`, () => {
    it('@at publishes once into the target with Nats-Scheduler and purges the schedule', async () => {
      await withJetStream(async ({ nc }) => {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'S', subjects: ['sch.>', 'out.>'], storage, allow_msg_schedules: true } as any);
        // an earlier message on the target: the schedule's roll-up replaces it
        await pub(nc, 'out.a', {}, 'before');
        const ack = await pub(nc, 'sch.a', { 'Nats-Schedule': at(1000), 'Nats-Schedule-Target': 'out.a', 'Nats-Schedule-Rollup': 'sub', 'X-App': 'kept', 'Nats-Msg-Id': 'm1' }, 'hello');
        assert.equal(ack.error, undefined);
        assert.ok(await lastOf(jsm, 'S', 'sch.a'));
        const m = await waitFor(async () => {
          const x = await lastOf(jsm, 'S', 'out.a');
          return x?.string() === 'hello' ? x : null;
        }, 5000, 50);
        assert.equal(m!.header.get('Nats-Rollup'), 'sub');
        assert.equal(m!.header.get('Nats-Scheduler'), 'sch.a');
        assert.equal(m!.header.get('Nats-Schedule-Next'), 'purge');
        assert.equal(m!.header.get('X-App'), 'kept');
        assert.equal(m!.header.get('Nats-Schedule'), '');
        assert.equal(m!.header.get('Nats-Schedule-Target'), '');
        assert.equal(m!.header.get('Nats-Schedule-Rollup'), '');
        assert.equal(m!.header.get('Nats-Msg-Id'), '');
        // the one-shot schedule is gone; nothing more fires
        await waitFor(async () => (await lastOf(jsm, 'S', 'sch.a')) === null, 2000, 20);
        const si = await jsm.streams.info('S', { subjects_filter: '>' });
        assert.deepEqual(si.state.subjects, { 'out.a': 1 });
      });
    });

    it('@every repeats with Nats-Schedule-Next until the schedule is purged; source and TTL apply', async () => {
      await withJetStream(async ({ nc }) => {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'S', subjects: ['sch.>', 'out.>', 'data.>'], storage, allow_msg_schedules: true, allow_msg_ttl: true } as any);
        await pub(nc, 'data.latest', { 'X-Src': '1' }, 'v1');
        const ack = await pub(nc, 'sch.tick', {
          'Nats-Schedule': '@every 1s',
          'Nats-Schedule-Target': 'out.tick',
          'Nats-Schedule-Source': 'data.latest',
          'Nats-Schedule-TTL': '1m',
        }, 'own body');
        assert.equal(ack.error, undefined);
        const first = await waitFor(() => lastOf(jsm, 'S', 'out.tick'), 5000, 50);
        assert.equal(first!.string(), 'v1');
        assert.equal(first!.header.get('X-Src'), '1');
        assert.equal(first!.header.get('Nats-TTL'), '1m');
        assert.equal(first!.header.get('Nats-Scheduler'), 'sch.tick');
        const next = first!.header.get('Nats-Schedule-Next');
        assert.match(next, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        assert.ok(Math.abs(Date.parse(next) - Date.now()) < 3000, next);
        // the schedule stays and fires again with the source's newer content
        await pub(nc, 'data.latest', {}, 'v2');
        await waitFor(async () => (await lastOf(jsm, 'S', 'out.tick'))?.string() === 'v2', 5000, 50);
        assert.ok(await lastOf(jsm, 'S', 'sch.tick'));
        await jsm.streams.purge('S', { filter: 'sch.tick' });
        const ticks = async () => (await jsm.streams.info('S', { subjects_filter: 'out.tick' })).state.subjects?.['out.tick'] ?? 0;
        const before = await ticks();
        // an @at 1.5s ahead on another subject acts as the clock: by the time it fired, a tick would have too
        await pub(nc, 'sch.marker', { 'Nats-Schedule': at(1500), 'Nats-Schedule-Target': 'out.marker' });
        await waitFor(() => lastOf(jsm, 'S', 'out.marker'), 5000, 50);
        assert.equal(await ticks(), before);
      });
    });

    it('cron patterns repeat, in UTC and in a named time zone', async () => {
      await withJetStream(async ({ nc }) => {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'S', subjects: ['sch.>', 'out.>'], storage, allow_msg_schedules: true } as any);
        assert.equal((await pub(nc, 'sch.c', { 'Nats-Schedule': '* * * * * *', 'Nats-Schedule-Target': 'out.c' }, 'c')).error, undefined);
        const tz = { 'Nats-Schedule': '*/1 * * * * *', 'Nats-Schedule-Target': 'out.tz', 'Nats-Schedule-Time-Zone': 'Asia/Kolkata' };
        assert.equal((await pub(nc, 'sch.tz', tz, 'z')).error, undefined);
        await waitFor(async () => {
          const si = await jsm.streams.info('S', { subjects_filter: 'out.>' });
          return (si.state.subjects?.['out.c'] ?? 0) >= 2 && (si.state.subjects?.['out.tz'] ?? 0) >= 1;
        }, 6000, 50);
        const z = await lastOf(jsm, 'S', 'out.tz');
        // next firing in the zone's offset, as Go formats a time in a location
        assert.match(z!.header.get('Nats-Schedule-Next'), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30$/);
        const c = await lastOf(jsm, 'S', 'out.c');
        assert.match(c!.header.get('Nats-Schedule-Next'), /Z$/);
      });
    });
  });
}

describe('JetStream message schedules across a restart', () => {
  it('rebuilds schedules from the file store and fires them after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-sched-'));
    let srv = await startServer({ jetstream: true, store_dir: dir });
    let nc = await connect({ servers: srv.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'S', subjects: ['sch.>', 'out.>'], storage: 'file', allow_msg_schedules: true } as any);
      assert.equal((await pub(nc, 'sch.later', { 'Nats-Schedule': at(2500), 'Nats-Schedule-Target': 'out.later' }, 'after restart')).error, undefined);
      await nc.close();
      await srv.stop();
      srv = await startServer({ jetstream: true, store_dir: dir });
      nc = await connect({ servers: srv.url });
      const jsm2 = await jetstreamManager(nc);
      assert.equal(await lastOf(jsm2, 'S', 'out.later'), null);
      const m = await waitFor(() => lastOf(jsm2, 'S', 'out.later'), 6000, 50);
      assert.equal(m!.string(), 'after restart');
      assert.equal(m!.header.get('Nats-Scheduler'), 'sch.later');
      await waitFor(async () => (await lastOf(jsm2, 'S', 'sch.later')) === null, 2000, 20);
    } finally {
      await nc.close();
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
