/**
 * Schedule patterns (Go scheduler.go parseMsgSchedule, cron.go parseCron):
 * @at / @every / six-field cron with names, ranges, steps, the day-of-month
 * OR day-of-week rule, shortcuts, time zones (with DST) and invalid input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatInZone, parseCron, parseMsgSchedule, validTimeZone } from '../../src/jetstream/stream/schedule-pattern.js';

const ns = (iso: string) => Date.parse(iso) * 1e6;
const iso = (n: number | null) => (n === null ? null : new Date(n / 1e6).toISOString());

describe('cron patterns', () => {
  const from = ns('2026-12-04T20:00:07Z'); // a Friday
  it('finds the next matching second in UTC', () => {
    assert.equal(iso(parseCron('*/15 * * * * *', null, from)), '2026-12-04T20:00:15.000Z');
    assert.equal(iso(parseCron('0 0 0 1 1 *', null, from)), '2027-01-01T00:00:00.000Z');
    assert.equal(iso(parseCron('0 30 9 * * mon-fri', null, from)), '2026-12-07T09:30:00.000Z');
    assert.equal(iso(parseCron('0 0 0 13 * 5', null, from)), '2026-12-11T00:00:00.000Z');
    assert.equal(iso(parseCron('0 0 0 13 * *', null, from)), '2026-12-13T00:00:00.000Z');
    assert.equal(iso(parseCron('0 0 6,18 * Feb ?', null, from)), '2027-02-01T06:00:00.000Z');
    assert.equal(iso(parseCron('5-10/5 * * * * *', null, from)), '2026-12-04T20:00:10.000Z');
  });
  it('works on the wall clock of a named zone, across DST', () => {
    assert.equal(iso(parseCron('0 0 12 * * *', 'America/New_York', from)), '2026-12-05T17:00:00.000Z');
    assert.equal(iso(parseCron('0 0 12 * * *', 'America/New_York', ns('2026-07-01T00:00:00Z'))), '2026-07-01T16:00:00.000Z');
    assert.equal(iso(parseCron('0 0 0 * * *', 'Asia/Kolkata', from)), '2026-12-04T18:30:00.000Z'.replace('04', '05'));
  });
  it('rejects malformed fields and impossible dates', () => {
    for (const p of ['* * * * *', '60 * * * * *', '* * 24 * * *', '* * * 0 * *', '* * * * 13 *', '* * * * * 7', '5-1 * * * * *', '*/0 * * * * *', 'a * * * * *', '1-2-3 * * * * *', '1/2/3 * * * * *', '-1 * * * * *']) {
      assert.equal(parseCron(p, null, from), null, p);
    }
    assert.equal(parseCron('0 0 0 31 2 *', null, from), null);
  });
});

describe('schedule headers', () => {
  const now = ns('2026-12-04T20:00:00Z');
  it('@at fires once, takes no zone; a zero time is no schedule', () => {
    assert.deepEqual(parseMsgSchedule('@at 2026-12-04T20:00:05Z', null, now, now), { next: ns('2026-12-04T20:00:05Z'), repeat: false });
    assert.deepEqual(parseMsgSchedule('@at 2026-12-04T21:00:05+01:00', null, now, now), { next: ns('2026-12-04T20:00:05Z'), repeat: false });
    assert.equal(parseMsgSchedule('@at 2026-12-04T20:00:05Z', 'UTC', now, now), null);
    assert.equal(parseMsgSchedule('@at tomorrow', null, now, now), null);
    assert.deepEqual(parseMsgSchedule('@at 0001-01-01T00:00:00Z', null, now, now), { next: 0, repeat: false });
    assert.deepEqual(parseMsgSchedule('', null, now, now), { next: 0, repeat: false });
  });
  it('@every repeats from the rounded time, skipping ahead once when late', () => {
    assert.deepEqual(parseMsgSchedule('@every 5s', null, now + 4e8, now), { next: now + 5e9, repeat: true });
    assert.deepEqual(parseMsgSchedule('@every 1m', null, now - 3600e9, now), { next: now + 60e9, repeat: true });
    assert.equal(parseMsgSchedule('@every 999ms', null, now, now), null);
    assert.equal(parseMsgSchedule('@every 5s', 'UTC', now, now), null);
  });
  it('shortcuts map to cron; late cron schedules skip ahead from now', () => {
    assert.deepEqual(parseMsgSchedule('@hourly', null, now, now), { next: ns('2026-12-04T21:00:00Z'), repeat: true });
    assert.deepEqual(parseMsgSchedule('@daily', null, ns('2026-01-01T00:00:00Z'), now), { next: ns('2026-12-05T00:00:00Z'), repeat: true });
    assert.equal(parseMsgSchedule('@sometimes', null, now, now), null);
  });
  it('validates zones and formats times in them as Go does', () => {
    assert.ok(validTimeZone('Europe/Amsterdam'));
    assert.ok(validTimeZone('UTC'));
    assert.ok(!validTimeZone('Mars/Olympus'));
    assert.ok(!validTimeZone(''));
    assert.equal(formatInZone(ns('2026-12-04T18:30:00Z'), 'Asia/Kolkata'), '2026-12-05T00:00:00+05:30');
    assert.equal(formatInZone(ns('2026-07-01T16:00:00Z'), 'America/New_York'), '2026-07-01T12:00:00-04:00');
    assert.equal(formatInZone(ns('2026-07-01T16:00:00Z') + 5e8, null), '2026-07-01T16:00:00.5Z');
  });
});
