/**
 * One kill -9 trial against a server process (ours or Go's): acknowledged
 * publishes (a window of concurrent publishes) into a file stream, SIGKILL
 * on the arrival of a randomly chosen PubAck, restart on the same store, then
 * read the whole stream back and report every acknowledged message that is
 * missing or has another payload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import assert from 'node:assert/strict';
import { OURS_CMD, startGoServer } from './go-server.js';
import { rng } from './rng.js';
import { startServer } from '../../src/index.js';

async function inProcess(store: string, sync: Kill9Options['sync']): Promise<{ url: string; stop(): Promise<void> }> {
  const srv = await startServer({ jetstream: true, store_dir: store, ...(sync === 'always' ? { sync_interval: 'always' } : {}) });
  return { url: srv.url, stop: () => srv.stop() };
}

export interface Kill9Options {
  /** server command (OURS_CMD, or undefined for Go's) */
  cmd?: string[];
  /** 'always' sets jetstream.sync_interval: always */
  sync: 'default' | 'always';
  /** SIGKILL when this many PubAcks have arrived */
  killAfterAcks: number;
  /** concurrent publishes in flight */
  window?: number;
  /** payload tag, so payloads differ between trials */
  tag: string;
  /** restart on the store in this process (our server only; quicker than a second child) */
  restartInProcess?: boolean;
}

export interface Kill9Result {
  acked: number;
  lastAckedSeq: number;
  /** messages in the stream after restart */
  restored: number;
  /** acknowledged sequences missing or with a different payload after restart */
  lost: number[];
}

async function closeQuietly(nc: NatsConnection): Promise<void> {
  await Promise.race([nc.close().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
}

export async function kill9Trial(o: Kill9Options): Promise<Kill9Result> {
  const store = mkdtempSync(join(tmpdir(), 'nsts-kill9-'));
  const conf = `jetstream { store_dir: "${store}"${o.sync === 'always' ? ', sync_interval: always' : ''} }\n`;
  try {
    const srv = await startGoServer([], conf, o.cmd);
    const acked = new Map<number, string>();
    try {
      const nc = await connect({ servers: srv.url, reconnect: false });
      await (await jetstreamManager(nc)).streams.add({ name: 'K', subjects: ['k.>'] });
      const js = jetstream(nc);
      const exited = new Promise((r) => srv.proc.once('exit', r));
      let killed = false;
      let next = 0;
      const pump = async (w: number): Promise<void> => {
        while (!killed) {
          const payload = `${o.tag}-${next++}-${w}`;
          let seq: number;
          try {
            seq = (await js.publish(`k.${w}`, payload, { timeout: 5000 })).seq;
          } catch {
            return; // the server died with this publish in flight: it was never acknowledged
          }
          acked.set(seq, payload);
          if (!killed && acked.size >= o.killAfterAcks) {
            killed = true;
            srv.proc.kill('SIGKILL');
          }
        }
      };
      const pumps = Array.from({ length: o.window ?? 16 }, (_, w) => pump(w));
      await exited;
      // Closing the connection fails the publishes in flight when the server died.
      await closeQuietly(nc);
      await Promise.race([Promise.all(pumps), new Promise((r) => setTimeout(r, 5000))]);
    } finally {
      await srv.stop();
    }

    const again = o.restartInProcess ? await inProcess(store, o.sync) : await startGoServer([], conf, o.cmd);
    try {
      const nc = await connect({ servers: again.url, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc);
        const info = await jsm.streams.info('K');
        const seen = new Map<number, string>();
        if (info.state.messages > 0) {
          await jsm.consumers.add('K', { durable_name: 'check', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
          const c = await jetstream(nc).consumers.get('K', 'check');
          while (seen.size < info.state.messages) {
            const batch = await c.fetch({ max_messages: 1000, expires: 2000 });
            let n = 0;
            for await (const m of batch) {
              seen.set(m.seq, m.string());
              n++;
            }
            if (n === 0) break;
          }
        }
        const lost: number[] = [];
        let last = 0;
        for (const [seq, payload] of acked) {
          if (seq > last) last = seq;
          if (seen.get(seq) !== payload) lost.push(seq);
        }
        return { acked: acked.size, lastAckedSeq: last, restored: info.state.messages, lost: lost.sort((a, b) => a - b) };
      } finally {
        await closeQuietly(nc);
      }
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

/**
 * `count` trials against our server (scaled by KILL9_TRIALS), each killed
 * after a random number of acks in [1, maxAcks] (seeded by KILL9_SEED); fails
 * on the first trial that lost an acknowledged message.
 */
export async function kill9Trials(sync: Kill9Options['sync'], count: number, maxAcks: number): Promise<void> {
  const n = Math.max(1, Math.round(count * Number(process.env.KILL9_TRIALS ?? 1)));
  const seed = Number(process.env.KILL9_SEED ?? Date.now() % 100000);
  const rand = rng(seed);
  const report: string[] = [];
  for (let t = 0; t < n; t++) {
    const killAfterAcks = 1 + Math.floor(rand() * maxAcks);
    const r = await kill9Trial({ cmd: OURS_CMD, sync, killAfterAcks, tag: `${sync}${t}`, restartInProcess: true });
    report.push(`${r.acked}/${r.restored}`);
    assert.ok(r.acked >= killAfterAcks, `trial ${t}: only ${r.acked} acks before the kill`);
    assert.deepEqual(
      r.lost,
      [],
      `trial ${t} (KILL9_SEED=${seed}, kill after ${killAfterAcks} acks): acknowledged through seq ${r.lastAckedSeq}, ${r.restored} restored, lost ${r.lost.length}: ${r.lost.slice(0, 20).join(',')}`,
    );
  }
  console.log(`# kill -9 ${sync}: ${n} trials, none lost an acknowledged message; acked/restored ${report.join(' ')} (KILL9_SEED=${seed})`);
}
