/**
 * Fast-producer helpers: a raw publisher that writes PUB frames as fast as
 * the socket takes them, and a nats.js subscriber in a child process (see
 * flood-sub.ts), so the server sits between a producer faster than the
 * consumer, as in a real deployment.
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';

const SUB_SCRIPT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'flood-sub.js');

export interface FloodSub {
  proc: ChildProcess;
  /** resolves with "done" or "lost <n>" */
  result: Promise<string>;
  stop(): Promise<void>;
}

function nextMessage(p: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`flood subscriber: no message within ${timeoutMs}ms`)), timeoutMs);
    p.once('message', (m) => {
      clearTimeout(t);
      resolve(String(m));
    });
  });
}

/** Start the nats.js subscriber and wait until its subscription is in place. */
export async function floodSub(port: number, subject: string, count: number, timeoutMs = 60000): Promise<FloodSub> {
  const proc = fork(SUB_SCRIPT, [String(port), subject, String(count)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = await nextMessage(proc, 15000);
  if (ready !== 'ready') throw new Error(`flood subscriber: ${ready}`);
  return {
    proc,
    result: nextMessage(proc, timeoutMs),
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Publish `count` messages of `size` bytes on `subject` as fast as the socket
 * accepts them, then PING; resolves on the PONG (every PUB was processed).
 * Rejects if the server closes the publisher.
 */
export function floodPub(port: number, subject: string, count: number, size: number, timeoutMs = 60000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const frame = `PUB ${subject} ${size}\r\n${'x'.repeat(size)}\r\n`;
    const perBatch = Math.max(1, Math.floor(65536 / frame.length));
    const batch = Buffer.from(frame.repeat(perBatch));
    let seen = '';
    let sent = 0;
    const t = setTimeout(() => finish(new Error(`publisher not done within ${timeoutMs}ms (${sent}/${count} sent)`)), timeoutMs);
    const finish = (e?: Error) => {
      clearTimeout(t);
      s.destroy();
      if (e) reject(e);
      else resolve();
    };
    s.on('data', (b: Buffer) => {
      seen = (seen + b.toString('latin1')).slice(-64);
      if (seen.includes('PONG\r\n')) finish();
      else if (seen.includes('-ERR')) finish(new Error(`publisher got ${seen.trim()}`));
    });
    s.on('error', (e) => finish(e));
    s.on('close', () => finish(new Error('publisher connection closed by the server')));
    const pump = () => {
      while (sent < count) {
        const n = Math.min(perBatch, count - sent);
        const ok = s.write(n === perBatch ? batch : Buffer.from(frame.repeat(n)));
        sent += n;
        if (!ok) {
          s.once('drain', pump);
          return;
        }
      }
      s.write('PING\r\n');
    };
    s.once('connect', () => {
      s.write('CONNECT {"verbose":false,"pedantic":false}\r\n');
      pump();
    });
  });
}
