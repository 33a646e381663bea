/**
 * Consumer state on disk: `obs/<name>/meta.inf` (JSON: config + created) and
 * `obs/<name>/o.dat` (JSON: delivered, ack floor, pending, redelivered), each
 * replaced atomically (write temp, rename). State updates are coalesced: one
 * write per event-loop turn with sync 'always', otherwise at most one every
 * STATE_WRITE_MS (a crash may then redeliver what was acked in that window,
 * as with Go's periodic consumer state flush); `flush()` writes the latest now.
 * An acknowledged update (an ack with a reply) is written before the reply
 * leaves (util/write-barrier.ts).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { emptyConsumerState, type ConsumerState, type ConsumerStore } from '../store.js';
import { writeFileAtomic } from '../../../util/atomic-file.js';
import { holdOutputFor } from '../../../util/write-barrier.js';

interface StateFile {
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  /** [stream seq, consumer seq, delivery ts] */
  pending: [number, number, number][];
  /** [stream seq, redeliveries] */
  redelivered: [number, number][];
}

export interface FileConsumerStoreOptions {
  /** fsync each write (the stream's sync 'always') */
  sync?: boolean;
  log?: (level: 'warn' | 'error' | 'info', msg: string) => void;
}

const STATE_WRITE_MS = 100;

export class FileConsumerStore implements ConsumerStore {
  private latest: ConsumerState | null = null;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly opts: FileConsumerStoreOptions = {},
  ) {}

  isClosed(): boolean {
    return this.closed;
  }

  setConfig(cfg: unknown, created: number): void {
    if (this.closed) return;
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(join(this.dir, 'meta.inf'), Buffer.from(JSON.stringify({ config: cfg, created })), { fsync: this.opts.sync === true });
  }

  update(state: ConsumerState, acknowledged = false): void {
    if (this.closed) return;
    this.latest = state;
    if (acknowledged) holdOutputFor(this.writeBeforeOutput);
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      try {
        this.flush();
      } catch (e) {
        this.opts.log?.('error', `writing consumer state ${this.dir} failed: ${(e as Error).message}`);
      }
    };
    if (this.opts.sync === true) setImmediate(run);
    else setTimeout(run, STATE_WRITE_MS).unref?.();
  }

  /** The write-barrier writer: an acknowledged state is on disk before the ack reply leaves. */
  private readonly writeBeforeOutput = (): void => {
    try {
      this.flush();
    } catch (e) {
      this.opts.log?.('error', `writing consumer state ${this.dir} failed: ${(e as Error).message}`);
    }
  };

  flush(): void {
    const st = this.latest;
    if (st === null || this.closed) return;
    this.latest = null;
    const f: StateFile = {
      delivered: { ...st.delivered },
      ack_floor: { ...st.ack_floor },
      pending: [...st.pending].map(([s, p]) => [s, p.sequence, p.timestamp]),
      redelivered: [...st.redelivered],
    };
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(join(this.dir, 'o.dat'), Buffer.from(JSON.stringify(f)), { fsync: this.opts.sync === true });
  }

  load(): { config: unknown; created: number; state: ConsumerState } | null {
    const metaPath = join(this.dir, 'meta.inf');
    if (!existsSync(metaPath)) return null;
    let meta: { config: unknown; created: number };
    try {
      meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { config: unknown; created: number };
    } catch (e) {
      throw new Error(`consumer config ${metaPath} is unreadable: ${(e as Error).message}`);
    }
    let state = emptyConsumerState();
    const statePath = join(this.dir, 'o.dat');
    if (existsSync(statePath)) {
      try {
        const f = JSON.parse(readFileSync(statePath, 'utf8')) as StateFile;
        state = {
          delivered: { consumer_seq: f.delivered.consumer_seq, stream_seq: f.delivered.stream_seq },
          ack_floor: { consumer_seq: f.ack_floor.consumer_seq, stream_seq: f.ack_floor.stream_seq },
          pending: new Map(f.pending.map(([s, seq, ts]) => [s, { sequence: seq, timestamp: ts }])),
          redelivered: new Map(f.redelivered),
        };
      } catch (e) {
        // Restart from scratch (redeliver) rather than lose the consumer.
        this.opts.log?.('warn', `consumer state ${statePath} is unreadable, starting from an empty state: ${(e as Error).message}`);
      }
    }
    return { config: meta.config, created: meta.created, state };
  }

  stop(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  delete(): void {
    this.closed = true;
    this.latest = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
