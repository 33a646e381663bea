/**
 * /subsz and /subscriptionsz (Go monitor.go Subsz): sublist statistics summed
 * over the accounts (or the one named by `acc`), and with `subs=true` the
 * subscriptions themselves, paged, optionally only those a message on the
 * literal subject `test` would reach. As in Go, `test` filters the list only:
 * without `subs` it is validated and otherwise ignored, and `subs` is a plain
 * boolean here (no "detail").
 */
import type { Server } from '../server/server.js';
import type { Subscription } from '../conn/subscription.js';
import { byteString } from '../util/bytes.js';
import { isValidLiteralSubject, matchLiteral } from '../sublist/subject.js';
import { Sublist } from '../sublist/sublist.js';
import { goTime } from './format.js';
import { HttpError, boolParam, intParam } from './query.js';
import { subDetail } from './connz.js';

/** Go DefaultSubListSize */
const DEFAULT_SUB_LIST_SIZE = 1024;

export function subsz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  const subs = boolParam(q, 'subs');
  const offset = Math.max(0, intParam(q, 'offset'));
  let limit = intParam(q, 'limit');
  if (limit <= 0) limit = DEFAULT_SUB_LIST_SIZE;
  const testRaw = q.get('test') ?? '';
  const test = testRaw !== '' ? byteString(testRaw) : null;
  if (test !== null && !isValidLiteralSubject(test)) throw new HttpError(400, `invalid test subject, must be valid publish subject: ${testRaw}`);
  const accName = q.get('acc') ?? '';
  const accounts = [...srv.accounts.values()].filter((a) => accName === '' || a.name === accName);

  const out: Record<string, unknown> = {
    server_id: srv.id,
    now: goTime(new Date()),
    ...Sublist.sumStats(accounts.map((a) => a.sl)),
    total: 0,
    offset,
    limit,
  };
  if (subs) {
    const list: { acc: string; s: Subscription }[] = [];
    for (const a of accounts) for (const s of a.sl.all([])) if (test === null || matchLiteral(test, s.subject)) list.push({ acc: a.name, s });
    const from = Math.min(offset, list.length);
    const page = list.slice(from, from + Math.min(limit, list.length - from));
    out.total = list.length;
    if (page.length > 0) out.subscriptions_list = page.map(({ acc, s }) => ({ account: acc, account_tag: acc, ...subDetail(s, s.client.cid) }));
  }
  return out;
}
