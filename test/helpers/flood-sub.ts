/**
 * A nats.js subscriber in its own process, for flow-control tests: it reads
 * as fast as a real client can. argv: <port> <subject> <count>. Sends
 * "ready" once subscribed, "done" when <count> messages arrived, or
 * "lost <n>" when the server closed the connection first. It stays connected
 * after "done" until killed, so the test can look at its /connz entry.
 */
import { connect } from '@nats-io/transport-node';

const [port, subject, count] = process.argv.slice(2);
const want = Number(count);
const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, name: 'flood-sub' });
let n = 0;
nc.subscribe(subject, {
  callback: () => {
    if (++n === want) process.send!('done');
  },
});
await nc.flush();
process.send!('ready');
await nc.closed();
if (n < want) process.send!(`lost ${n}`);
process.exit(0);
