/**
 * The duplicate window (Go ddmap/ddarr): Nats-Msg-Id -> stored sequence,
 * expired in insertion order once older than the window.
 */

export interface DedupeEntry {
  seq: number;
  /** ns */
  ts: number;
}

export class DedupeWindow {
  private readonly ids = new Map<string, DedupeEntry>();

  constructor(private windowNs: number) {}

  setWindow(ns: number): void {
    this.windowNs = ns;
  }

  get size(): number {
    return this.ids.size;
  }

  /** The entry for `id` if it is still inside the window. */
  check(id: string, now: number): DedupeEntry | null {
    this.expire(now);
    return this.ids.get(id) ?? null;
  }

  add(id: string, seq: number, ts: number): void {
    this.ids.delete(id);
    this.ids.set(id, { seq, ts });
  }

  clear(): void {
    this.ids.clear();
  }

  private expire(now: number): void {
    if (this.ids.size === 0) return;
    const cutoff = now - this.windowNs;
    for (const [id, e] of this.ids) {
      if (e.ts > cutoff) break;
      this.ids.delete(id);
    }
  }
}
