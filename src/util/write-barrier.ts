/**
 * Nothing a peer can see leaves before the write it reports: a store that
 * holds bytes it has not handed to the OS yet (a file store coalescing a
 * read cycle's messages into one write, a consumer state waiting for its
 * timer) registers a writer here, and every socket flush (conn/outbound.ts)
 * runs the registered writers first. So a PubAck, a KV or batch commit ack,
 * or an acknowledged consumer ack reply is written to its socket only after
 * the data it acknowledges was written (and fsynced, when the store syncs
 * every change). Writes stay coalesced: one write per store per flush cycle,
 * however many messages the read carried.
 *
 * The check on the hot path is one size test of an (almost always) empty set.
 */

export type PendingWriter = () => void;

const pending = new Set<PendingWriter>();

/**
 * Register a writer to run before the next socket flush (once, however often
 * it is registered). A writer must not throw: it reports its own failures.
 */
export function holdOutputFor(writer: PendingWriter): void {
  pending.add(writer);
}

/** Forget a writer (its store wrote or closed on its own). */
export function releaseHold(writer: PendingWriter): void {
  pending.delete(writer);
}

/** Run every registered writer; called before output is handed to a socket. */
export function writeHeld(): void {
  if (pending.size === 0) return;
  // A writer may register again (or register another) while running: take the batch first.
  const batch = [...pending];
  pending.clear();
  for (let k = 0; k < batch.length; k++) batch[k]();
}

/** Writers waiting (tests, diagnostics). */
export function heldWriters(): number {
  return pending.size;
}
