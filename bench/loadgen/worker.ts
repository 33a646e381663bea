/**
 * One load-generator process (forked by bench/run.ts). Roles:
 *   sub  <port> <subject> <count>                 -> "ready", then "done <ms>" when count msgs arrived
 *   pub  <port> <subject> <count> <size>          -> publishes, then "done <ms>" after the server's PONG
 *   resp <port> <subject>                          -> answers every request with its payload
 *   req  <port> <subject> <count> <size>          -> sequential requests; "done <json latencies summary>"
 *   api  <port> <subject> <json>                  -> one request; "done <reply payload>"
 *   pipe <port> <subject{i}> <count> <size> <win> -> requests with up to <win> in flight (JetStream
 *                                                    publishes, KV puts/direct gets); "start"/"done <ms>"
 *   pull <port> <stream> <consumer> <count> <ack> -> pull-consume <count> msgs in batches, acking each
 *                                                    when <ack> is 1; "start"/"done <ms>"
 *   jssub <port> <subject> <count>                 -> a nats.js subscriber (a real client's parsing cost):
 *                                                    "ready", then "done <ms>", or "lost <n>" if its
 *                                                    connection closed before <count> msgs arrived
 * Times come from performance.timeOrigin + now() so the parent can compare processes.
 */
import { CONNECT, FrameCounter, dial } from './proto.js';
import { connect } from '@nats-io/transport-node';

const now = () => performance.timeOrigin + performance.now();
const send = (m: string) => process.send!(m);

async function sub(port: number, subject: string, count: number): Promise<void> {
  const s = await dial(port);
  let ready = false;
  let first = 0;
  const fc = new FrameCounter(() => {
    if (!ready) {
      ready = true;
      send('ready');
    }
  });
  s.on('data', (b: Buffer) => {
    fc.feed(b);
    if (first === 0 && fc.msgs > 0) first = now();
    if (fc.msgs >= count) {
      send(`done ${now()}`);
      s.destroy();
      process.exit(0);
    }
  });
  s.write(CONNECT + `SUB ${subject} 1\r\nPING\r\n`);
}

async function pub(port: number, subject: string, count: number, size: number): Promise<void> {
  const s = await dial(port);
  const frame = `PUB ${subject} ${size}\r\n${'x'.repeat(size)}\r\n`;
  const perBatch = Math.max(1, Math.floor(65536 / frame.length));
  const batch = Buffer.from(frame.repeat(perBatch));
  const fc = new FrameCounter(() => {
    send(`done ${now()}`);
    s.destroy();
    process.exit(0);
  });
  s.on('data', (b: Buffer) => fc.feed(b));
  s.write(CONNECT);
  send(`start ${now()}`);
  let sent = 0;
  const pump = () => {
    while (sent < count) {
      const n = Math.min(perBatch, count - sent);
      const ok = n === perBatch ? s.write(batch) : s.write(Buffer.from(frame.repeat(n)));
      sent += n;
      if (!ok) {
        s.once('drain', pump);
        return;
      }
    }
    s.write('PING\r\n');
  };
  pump();
}

async function resp(port: number, subject: string): Promise<void> {
  const s = await dial(port);
  let buf = '';
  let ready = false;
  s.on('data', (b: Buffer) => {
    buf += b.toString('latin1');
    for (;;) {
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      if (line.startsWith('MSG ')) {
        const parts = line.split(' ');
        const size = Number(parts[parts.length - 1]);
        if (buf.length < nl + 2 + size + 2) return;
        const payload = buf.slice(nl + 2, nl + 2 + size);
        const reply = parts.length === 5 ? parts[3] : '';
        buf = buf.slice(nl + 2 + size + 2);
        if (reply) s.write(`PUB ${reply} ${size}\r\n${payload}\r\n`);
        continue;
      }
      buf = buf.slice(nl + 2);
      if (line === 'PONG' && !ready) {
        ready = true;
        send('ready');
      } else if (line === 'PING') s.write('PONG\r\n');
    }
  });
  s.write(CONNECT + `SUB ${subject} 1\r\nPING\r\n`);
}

async function req(port: number, subject: string, count: number, size: number): Promise<void> {
  const s = await dial(port);
  const payload = 'x'.repeat(size);
  const inbox = `_INBOX.bench${process.pid}`;
  const lat: number[] = [];
  let t0 = 0;
  let started = false;
  const fire = () => {
    t0 = performance.now();
    s.write(`PUB ${subject} ${inbox} ${size}\r\n${payload}\r\n`);
  };
  const fc = new FrameCounter(() => {
    if (!started) {
      started = true;
      fire();
    }
  });
  let seen = 0;
  s.on('data', (b: Buffer) => {
    fc.feed(b);
    while (fc.msgs > seen) {
      seen++;
      lat.push((performance.now() - t0) * 1000);
      if (lat.length >= count) {
        lat.sort((a, b2) => a - b2);
        const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
        send(`done ${JSON.stringify({ p50: pct(50), p99: pct(99), n: lat.length })}`);
        s.destroy();
        process.exit(0);
      }
      fire();
    }
  });
  s.write(CONNECT + `SUB ${inbox} 1\r\nPING\r\n`);
}

async function api(port: number, subject: string, json: string): Promise<void> {
  const s = await dial(port);
  const inbox = `_INBOX.api${process.pid}`;
  let buf = '';
  s.on('data', (b: Buffer) => {
    buf += b.toString('latin1');
    const m = /MSG [^\r]* (\d+)\r\n/.exec(buf);
    if (m && buf.length >= m.index + m[0].length + Number(m[1])) {
      send(`done ${buf.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1]))}`);
      s.destroy();
      process.exit(0);
    }
  });
  s.write(CONNECT + `SUB ${inbox} 1\r\nPUB ${subject} ${inbox} ${Buffer.byteLength(json)}\r\n${json}\r\n`);
}

async function pipe(port: number, template: string, count: number, size: number, window: number): Promise<void> {
  const s = await dial(port);
  const inbox = `_INBOX.pipe${process.pid}`;
  const payload = 'x'.repeat(size);
  let sent = 0;
  let started = false;
  const fill = (fc: FrameCounter) => {
    let out = '';
    while (sent < count && sent - fc.msgs < window) {
      const subj = template.replace('{i}', String(sent % 1000));
      out += `PUB ${subj} ${inbox} ${size}\r\n${payload}\r\n`;
      sent++;
      if (out.length > 65536) {
        s.write(out);
        out = '';
      }
    }
    if (out) s.write(out);
  };
  const fc: FrameCounter = new FrameCounter(() => {
    if (started) return;
    started = true;
    send(`start ${now()}`);
    fill(fc);
  });
  s.on('data', (b: Buffer) => {
    fc.feed(b);
    if (fc.msgs >= count) {
      send(`done ${now()}`);
      s.destroy();
      process.exit(0);
    }
    fill(fc);
  });
  s.write(CONNECT + `SUB ${inbox} 1\r\nPING\r\n`);
}

async function pull(port: number, stream: string, consumer: string, count: number, ack: boolean): Promise<void> {
  const s = await dial(port);
  const inbox = `_INBOX.pull${process.pid}`;
  const BATCH = 500;
  let requested = 0;
  let acks: string[] = [];
  let started = false;
  const reqFrame = () => {
    const body = `{"batch":${BATCH},"expires":30000000000}`;
    requested += BATCH;
    return `PUB $JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer} ${inbox} ${body.length}\r\n${body}\r\n`;
  };
  const fc: FrameCounter = new FrameCounter(
    () => {
      if (started) return;
      started = true;
      send(`start ${now()}`);
      s.write(reqFrame() + reqFrame());
    },
    ack
      ? (line: string) => {
          const parts = line.split(' ');
          if (parts.length >= 5) acks.push(`PUB ${parts[3]} 0\r\n\r\n`);
        }
      : null,
  );
  s.on('data', (b: Buffer) => {
    const before = fc.msgs;
    fc.feed(b);
    if (acks.length > 0) {
      s.write(acks.join(''));
      acks = [];
    }
    if (fc.msgs >= count) {
      send(`done ${now()}`);
      s.destroy();
      process.exit(0);
    }
    // keep two batches in flight
    if (Math.floor(fc.msgs / BATCH) !== Math.floor(before / BATCH) && requested < count + BATCH) s.write(reqFrame());
  });
  s.write(CONNECT + `SUB ${inbox} 1\r\nPING\r\n`);
}

async function jssub(port: number, subject: string, count: number): Promise<void> {
  // No reconnect: a server that cuts this subscriber must show as lost messages.
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
  let n = 0;
  nc.subscribe(subject, {
    callback: () => {
      if (++n === count) {
        send(`done ${now()}`);
        process.exit(0);
      }
    },
  });
  await nc.flush();
  send('ready');
  await nc.closed();
  send(`lost ${n}`);
  process.exit(0);
}

const [role, port, subject, count, size] = process.argv.slice(2);
const p = Number(port);
const c = Number(count);
const z = Number(size);
const a = process.argv.slice(2);
const run =
  role === 'sub'
    ? sub(p, subject, c)
    : role === 'jssub'
      ? jssub(p, subject, c)
    : role === 'pub'
      ? pub(p, subject, c, z)
      : role === 'resp'
        ? resp(p, subject)
        : role === 'api'
          ? api(p, subject, a[3])
          : role === 'pipe'
            ? pipe(p, subject, c, z, Number(a[5]))
            : role === 'pull'
              ? pull(p, a[3], a[4], Number(a[5]), a[6] === '1')
              : req(p, subject, c, z);
run.catch((e) => {
  process.stderr.write(`${role}: ${(e as Error).message}\n`);
  process.exit(1);
});
