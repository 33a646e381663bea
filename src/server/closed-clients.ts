/**
 * Ring of the most recently closed connections for /connz?state=closed
 * (Go keeps max_closed_clients of them, default 10000).
 */
import type { Client } from '../conn/client.js';
import type { ClosedReason } from '../conn/closed-reason.js';

export interface ClosedClientInfo {
  client: Client;
  reason: ClosedReason;
  stop: Date;
}

export class ClosedClients {
  private readonly ring: (ClosedClientInfo | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array(Math.max(0, capacity));
  }

  add(info: ClosedClientInfo): void {
    if (this.ring.length === 0) return;
    this.ring[this.next] = info;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
  }

  /** Oldest first. */
  list(): ClosedClientInfo[] {
    const out: ClosedClientInfo[] = [];
    const n = this.ring.length;
    for (let k = 0; k < this.count; k++) {
      const e = this.ring[(this.next - this.count + k + n) % n];
      if (e) out.push(e);
    }
    return out;
  }

  get size(): number {
    return this.count;
  }
}
