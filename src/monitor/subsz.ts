/**
 * /subsz (Go monitor.go Subsz): sublist statistics summed over accounts, and
 * optionally the subscriptions (paged, filtered by account or by a `test`
 * subject they must match).
 */
import type { Server } from '../server/server.js';
import type { Subscription } from '../conn/subscription.js';
import { displayString, byteString } from '../util/bytes.js';
import { isValidLiteralSubject, matchLiteral } from '../sublist/subject.js';
import { Sublist } from '../sublist/sublist.js';
import { goTime } from './format.js';
import { HttpError, intParam, subsOption } from './connz.js';

export function subsz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  const subs = subsOption(q.get('subs')) !== 'none';
  let offset = intParam(q, 'offset', 0);
  let limit = intParam(q, 'limit', 1024);
  if (offset < 0) offset = 0;
  if (limit <= 0) limit = 1024;
  const testRaw = q.get('test');
  const test = testRaw ? byteString(testRaw) : null;
  if (test !== null && !isValidLiteralSubject(test)) throw new HttpError(400, `invalid test subject, must be valid publish subject: ${testRaw}`);
  const accName = q.get('acc');
  const accounts = [...srv.accounts.values()].filter((a) => !accName || a.name === accName);

  const out: Record<string, unknown> = {
    server_id: srv.id,
    now: goTime(new Date()),
    ...Sublist.sumStats(accounts.map((a) => a.sl)),
  };
  if (subs || test !== null) {
    const list: { acc: string; s: Subscription }[] = [];
    for (const a of accounts) for (const s of a.sl.all([])) if (test === null || matchLiteral(test, s.subject)) list.push({ acc: a.name, s });
    out.total = list.length;
    out.offset = offset;
    out.limit = limit;
    if (subs) {
      out.subscriptions_list = list.slice(offset, offset + limit).map(({ acc, s }) => {
        const d: Record<string, unknown> = { account: acc, subject: displayString(s.subject) };
        if (s.queue) d.qgroup = displayString(s.queue);
        d.sid = displayString(s.sid);
        d.msgs = s.nm;
        if (s.max) d.max = s.max;
        d.cid = s.client.cid;
        return d;
      });
    }
  } else {
    out.total = 0;
    out.offset = offset;
    out.limit = limit;
  }
  return out;
}
