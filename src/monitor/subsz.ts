/**
 * /subsz (Go monitor.go Subsz): sublist statistics summed over accounts, and
 * optionally the subscriptions (paged, filtered by account or by a `test`
 * subject they must match).
 */
import type { Server } from '../server/server.js';
import type { Subscription } from '../conn/subscription.js';
import { displayString, byteString } from '../util/bytes.js';
import { isValidLiteralSubject, subjectIsSubsetMatch } from '../sublist/subject.js';
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

  let num = 0, cache = 0, inserts = 0, removes = 0, matches = 0, maxFan = 0, fanTotal = 0, fanN = 0, hitsWeighted = 0;
  for (const a of accounts) {
    const st = a.sl.stats();
    num += st.num_subscriptions;
    cache += st.num_cache;
    inserts += st.num_inserts;
    removes += st.num_removes;
    matches += st.num_matches;
    hitsWeighted += st.cache_hit_rate * st.num_matches;
    maxFan = Math.max(maxFan, st.max_fanout);
    if (st.num_cache > 0) {
      fanTotal += st.avg_fanout * st.num_cache;
      fanN += st.num_cache;
    }
  }
  const out: Record<string, unknown> = {
    server_id: srv.id,
    now: goTime(new Date()),
    num_subscriptions: num,
    num_cache: cache,
    num_inserts: inserts,
    num_removes: removes,
    num_matches: matches,
    cache_hit_rate: matches > 0 ? hitsWeighted / matches : 0,
    max_fanout: maxFan,
    avg_fanout: fanN > 0 ? fanTotal / fanN : 0,
  };
  if (subs || test !== null) {
    const list: { acc: string; s: Subscription }[] = [];
    for (const a of accounts) for (const s of a.sl.all([])) if (test === null || subjectIsSubsetMatch(test, s.subject)) list.push({ acc: a.name, s });
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
