/**
 * Consumer state on disk: `obs/<name>/meta.inf` (config + created) and
 * `obs/<name>/o.dat` (delivered, ack floor, pending, redelivered), each
 * replaced atomically (write temp, rename). Updates are coalesced to one write
 * per event-loop turn.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { emptyConsumerState, type ConsumerState, type ConsumerStore } from '../store.js';

interface StateFile {
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  pending: [number, number, number][];
  redelivered: [number, number][];
}

function atomicWrite(path: string, data: string): void {
  const tmp = path + '.tmp';
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export class FileConsumerStore implements ConsumerStore {
  private latest: ConsumerState | null = null;
  private scheduled = false;
  private closed = false;

  constructor(private readonly dir: string) {}

  setConfig(cfg: unknown, created: number): void {
    if (this.closed) return;
    mkdirSync(this.dir, { recursive: true });
    atomicWrite(join(this.dir, 'meta.inf'), JSON.stringify({ config: cfg, created }));
  }

  update(state: ConsumerState): void {
    if (this.closed) return;
    this.latest = state;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

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
    atomicWrite(join(this.dir, 'o.dat'), JSON.stringify(f));
  }

  load(): { config: unknown; created: number; state: ConsumerState } | null {
    const metaPath = join(this.dir, 'meta.inf');
    if (!existsSync(metaPath)) return null;
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { config: unknown; created: number };
    let state = emptyConsumerState();
    const statePath = join(this.dir, 'o.dat');
    if (existsSync(statePath)) {
      const f = JSON.parse(readFileSync(statePath, 'utf8')) as StateFile;
      state = {
        delivered: f.delivered,
        ack_floor: f.ack_floor,
        pending: new Map(f.pending.map(([s, seq, ts]) => [s, { sequence: seq, timestamp: ts }])),
        redelivered: new Map(f.redelivered),
      };
    }
    return { config: meta.config, created: meta.created, state };
  }

  stop(): void {
    this.flush();
    this.closed = true;
  }

  delete(): void {
    this.closed = true;
    this.latest = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
