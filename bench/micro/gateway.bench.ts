// Gateway send path micro-benchmark: what one message costs on its way to a
// remote cluster, beside what it costs on a route (the previous only way out
// of a server), on 128-byte messages with a reply:
//
//   route:   encodeRoutedMsg (RMSG line echoing the producer's bytes)
//   gateway: the outbound's interest check (interest-only sublist match, as
//            sendMsgToGateways does) + encodeRoutedMsg (same RMSG line)
//   mapped:  gateway with the reply rewritten as `_GR_.<c>.<s>.<reply>`
//
// The output slab is cleared every 1,000 messages, as a flush would.
//
//   node dist/bench/micro/gateway.bench.js
//
// Env: BENCH_MSGS (default 1,000,000), BENCH_TRIALS (default 5; best reported).
import { cpus } from 'node:os';
import { PubArg } from '../../src/protocol/parser.js';
import { Outbound } from '../../src/conn/outbound.js';
import { encodeRoutedMsg } from '../../src/cluster/link/routed-msg.js';
import { GwInterest, OutboundInterest } from '../../src/cluster/gateway/interest.js';

const MSGS = Number(process.env.BENCH_MSGS ?? 1_000_000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);

// One PUB's arguments over its control line, as the parser leaves them.
const line = Buffer.from('orders.eu.new _INBOX.abcdefghij.1 128', 'latin1');
const pa: PubArg = new PubArg();
pa.buf = line;
pa.subjectStart = 0;
pa.subjectEnd = 13;
pa.replyStart = 14;
pa.replyEnd = 33;
pa.sizeStart = 34;
pa.sizeEnd = 37;
pa.size = 128;
pa.subject = 'orders.eu.new';
pa.replyInBuf();
const mbuf = Buffer.from(`${'a'.repeat(128)}\r\n`);
const ms = 0;
const me = 128;

const interest = new OutboundInterest(true);
interest.allSubsStart('$G');
for (let k = 0; k < 100; k++) interest.remoteSub('$G', `other.${k}.>`, null, 1);
interest.remoteSub('$G', 'orders.*.new', null, 1);
interest.allSubsComplete('$G');
const gi = new GwInterest();
const queues: string[] = [];

function run(kind: 'route' | 'gateway' | 'mapped'): number {
  const out = new Outbound();
  const p = pa;
  const mreply = kind === 'mapped' ? `_GR_.abcdef.ghijkl.${p.reply}` : null;
  let n = 0;
  for (let k = 0; k < MSGS; k++) {
    if (kind === 'route') n += encodeRoutedMsg(out, '$G', p, mbuf, ms, me, queues, 0, null, true);
    else {
      interest.check('$G', p.subject, gi);
      if (!gi.psi) throw new Error('no interest');
      n += encodeRoutedMsg(out, '$G', p, mbuf, ms, me, queues, 0, mreply, true);
    }
    if (k % 1000 === 999) out.clear();
  }
  return n;
}

process.stdout.write(`gateway send path — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${MSGS.toLocaleString('en-US')} msgs of 128 B, best of ${TRIALS}\n`);
const names = ['route', 'gateway', 'mapped'] as const;
const best: Record<string, number> = { route: Infinity, gateway: Infinity, mapped: Infinity };
for (let t = 0; t < TRIALS; t++) {
  for (const name of names) {
    const t0 = process.hrtime.bigint();
    run(name);
    best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
for (const name of names) {
  process.stdout.write(`  ${name.padEnd(8)} ${Math.round((MSGS * 1000) / best[name]).toLocaleString('en-US').padStart(12)} msgs/s  ${((best[name] * 1e6) / MSGS).toFixed(0).padStart(5)} ns/msg\n`);
}
