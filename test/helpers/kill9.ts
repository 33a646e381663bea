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
import { startGoServer } from './go-server.js';

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

    const again = await startGoServer([], conf, o.cmd);
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
