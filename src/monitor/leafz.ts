/**
 * /leafz (Go monitor.go Leafz): the server's leaf node links, with each
 * link's remote server name, role, bound account, address, RTT, message
 * counters and subscriptions (the interest the other side sent; listed with
 * `subs=1`). `acc` filters by account; `subs` is validated as Go's decodeBool does.
 */
import type { Server } from '../server/server.js';
import { goDuration, goTime } from './format.js';
import { boolParam } from './query.js';

export function leafz(srv: Server, q: URLSearchParams): Record<string, unknown> {
  const subs = boolParam(q, 'subs');
  const acc = q.get('acc') ?? '';
  const leafs: Record<string, unknown>[] = [];
  for (const c of srv.leafnodes?.list() ?? []) {
    if (acc !== '' && c.acc.name !== acc) continue;
    const l: Record<string, unknown> = {
      id: c.cid,
      name: c.remoteServer,
      is_spoke: c.isSpoke,
      account: c.acc.name,
      ip: c.host,
      port: c.port,
    };
    l.rtt = goDuration(c.rtt);
    l.in_msgs = c.inMsgs;
    l.out_msgs = c.outMsgs;
    l.in_bytes = c.inBytes;
    l.out_bytes = c.outBytes;
    l.subscriptions = c.subs.size;
    if (subs && c.subs.size > 0) l.subscriptions_list = [...c.subs.values()].map((s) => s.subject);
    l.compression = 'not supported';
    leafs.push(l);
  }
  return { server_id: srv.id, now: goTime(new Date()), leafnodes: leafs.length, leafs };
}
