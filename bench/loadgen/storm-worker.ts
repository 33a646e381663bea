/**
 * Connect-storm load generator, one process (forked by bench/loadgen/storm.ts):
 * opens `count` raw TCP connections to 127.0.0.1:<port> as fast as it can (every
 * connect issued in one loop turn, so the server sees them all at once), each
 * writes `CONNECT {"verbose":false}` + `PING` and waits for `PONG`.
 *
 * Messages from the parent: {go: true} starts the storm; {close: true} closes
 * every socket and exits. To the parent: one StormReport once every connection
 * got its PONG, failed, or the deadline passed; connections stay open until
 * told to close (so the server's connection count can be read meanwhile).
 *
 * argv: <port> <count> <deadlineMs>
 */
import net from 'node:net';

export interface StormReport {
  /** connections that got PONG */
  pong: number;
  /** connections that got at least the INFO line */
  info: number;
  /** connections that errored or closed before PONG */
  failed: number;
  /** first few error texts */
  errors: string[];
  /** ms from the first connect to the last PONG (or to the deadline) */
  ms: number;
  /** per-connection connect-to-PONG latency, ms */
  p50: number;
  p99: number;
  max: number;
}

const HELLO = Buffer.from('CONNECT {"verbose":false}\r\nPING\r\n');
// 'P','O','N','G' — the server answers nothing else before PONG but INFO (and -ERR on failure).
const PONG_TAIL = Buffer.from('PONG\r\n');

const [port, count, deadlineMs] = process.argv.slice(2).map(Number);
const socks: net.Socket[] = [];

function storm(): void {
  const lat = new Float64Array(count);
  let pong = 0;
  let info = 0;
  let failed = 0;
  let settled = 0;
  let reported = false;
  const errors: string[] = [];
  const t0 = performance.now();
  let last = t0;
  const report = (): void => {
    if (reported) return;
    reported = true;
    clearTimeout(timer);
    const l = Array.from(lat.subarray(0, pong)).sort((a, b) => a - b);
    const at = (q: number): number => (l.length === 0 ? 0 : Math.round(l[Math.min(l.length - 1, Math.floor(q * l.length))]));
    const r: StormReport = {
      pong, info, failed, errors,
      ms: Math.round((pong === count ? last : performance.now()) - t0),
      p50: at(0.5), p99: at(0.99), max: l.length === 0 ? 0 : Math.round(l[l.length - 1]),
    };
    process.send!(r);
  };
  const timer = setTimeout(report, deadlineMs);
  const settle = (): void => {
    if (++settled === count) report();
  };
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    socks.push(s);
    let state = 0; // 0 before INFO, 1 after INFO, 2 done
    let tail = 0; // how much of PONG\r\n the last bytes matched
    s.on('connect', () => s.write(HELLO));
    s.on('data', (b: Buffer) => {
      if (state === 2) return;
      if (state === 0) {
        state = 1;
        info++;
      }
      for (let k = 0; k < b.length; k++) {
        const c = b[k];
        tail = c === PONG_TAIL[tail] ? tail + 1 : c === PONG_TAIL[0] ? 1 : 0;
        if (tail === PONG_TAIL.length) {
          state = 2;
          last = performance.now();
          lat[pong++] = last - start;
          settle();
          return;
        }
      }
    });
    const fail = (e?: Error): void => {
      if (state === 2) return;
      state = 2;
      failed++;
      if (errors.length < 5) errors.push(e?.message ?? 'closed before PONG');
      settle();
    };
    s.on('error', fail);
    s.on('close', () => fail());
  }
}

process.on('message', (m: { go?: boolean; close?: boolean }) => {
  if (m.go) storm();
  if (m.close) {
    for (const s of socks) s.destroy();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
