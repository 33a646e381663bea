/**
 * The message checks every leaf pairing runs (our hub and leaf, mixed with
 * Go, over TCP or WebSocket): `a` and `b` are clients on the two sides, the
 * waiters say when each side knows the other's interest, or when `b`'s side
 * no longer has it. Subjects start with `p` so pairings in one process do
 * not meet.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunningServer } from '../../src/index.js';
import type { GoServer } from './go-server.js';
import { collect } from './clients.js';
import { leafInterest, goLeafSubs } from './leaf.js';
import { waitFor } from './wait.js';

export interface LinkSides {
  ctx: () => { a: NatsConnection; b: NatsConnection };
  aKnows: (subject: string) => Promise<void>;
  bKnows: (subject: string) => Promise<void>;
  bForgets: (subject: string) => Promise<void>;
}

type Waiter = (subject: string) => Promise<void>;

/** Our server knows the other side's interest once a LEAF subscription for it is in its sublist. */
export const oursKnows = (srv: RunningServer): Waiter => async (subject) => void (await waitFor(() => leafInterest(srv, subject)));
/** Our server's side forgot a subject once nothing in its global account is interested. */
export const oursForgets = (srv: RunningServer): Waiter => async (subject) => void (await waitFor(() => !srv.server.globalAccount.sl.hasInterest(subject)));
/** Go knows our side's interest once its leaf link lists the subject (/leafz). */
export const goKnows = (g: GoServer): Waiter => async (subject) => void (await waitFor(async () => (await goLeafSubs(g)).includes(subject.split(' ')[0])));
/** Go forgot a subject once its leaf link no longer lists it. */
export const goForgets = (g: GoServer): Waiter => async (subject) => void (await waitFor(async () => !(await goLeafSubs(g)).includes(subject)));

export function linkScenario(p: string, s: LinkSides): void {
  it('delivers both ways', async () => {
    const { a, b } = s.ctx();
    const onA = collect(a.subscribe(`${p}.toA`));
    const onB = collect(b.subscribe(`${p}.toB`));
    await a.flush();
    await b.flush();
    await s.bKnows(`${p}.toA`);
    await s.aKnows(`${p}.toB`);
    b.publish(`${p}.toA`, 'from-b');
    a.publish(`${p}.toB`, 'from-a');
    await waitFor(() => onA.length === 1 && onB.length === 1);
    assert.deepEqual(onA, ['from-b']);
    assert.deepEqual(onB, ['from-a']);
  });

  it('request/reply in both directions', async () => {
    const { a, b } = s.ctx();
    const sa = a.subscribe(`${p}.svcA`, { callback: (_e, m) => void m.respond(`A:${m.string()}`) });
    const sb = b.subscribe(`${p}.svcB`, { callback: (_e, m) => void m.respond(`B:${m.string()}`) });
    await a.flush();
    await b.flush();
    await s.bKnows(`${p}.svcA`);
    await s.aKnows(`${p}.svcB`);
    assert.equal((await b.request(`${p}.svcA`, 'q1', { timeout: 3000 })).string(), 'A:q1');
    assert.equal((await a.request(`${p}.svcB`, 'q2', { timeout: 3000 })).string(), 'B:q2');
    sa.unsubscribe();
    sb.unsubscribe();
  });

  it('queue group: only a remote member gets each message exactly once', async () => {
    const { a, b } = s.ctx();
    const q1 = collect(a.subscribe(`${p}.rq`, { queue: 'g' }));
    const q2 = collect(a.subscribe(`${p}.rq`, { queue: 'g' }));
    await a.flush();
    await s.bKnows(`${p}.rq g`);
    for (let i = 0; i < 20; i++) b.publish(`${p}.rq`, `${i}`);
    await b.flush();
    await waitFor(() => q1.length + q2.length === 20);
    assert.deepEqual([...q1, ...q2].map(Number).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  });

  it('propagates unsubscribe', async () => {
    const { a } = s.ctx();
    const sub = a.subscribe(`${p}.unsub`);
    await a.flush();
    await s.bKnows(`${p}.unsub`);
    sub.unsubscribe();
    await a.flush();
    await s.bForgets(`${p}.unsub`);
  });
}
