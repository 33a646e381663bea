/**
 * Placement of a new stream group (Go selectPeerGroup, reduced to what an
 * R1 stream in one cluster needs): the request's `placement.cluster` must be
 * this cluster; among the current meta peers, the one holding the fewest
 * assigned streams is chosen (ties broken at random, as Go shuffles).
 * With `placement.tags`, only peers whose server tags (learned from their
 * statsz, compared case-insensitively as Go lowercases tags) include every
 * one are candidates.
 */
import type { MetaGroup } from './meta.js';

export function selectPeer(meta: MetaGroup, cfg: Record<string, unknown>): string {
  const pl = cfg.placement as { cluster?: string; tags?: string[] } | undefined;
  if (pl?.cluster && pl.cluster !== meta.clusterName()) return '';
  const want = (pl?.tags ?? []).map((t) => t.toLowerCase());
  const load = new Map<string, number>();
  for (const p of meta.currentPeers()) {
    const have = new Set(meta.tagsOf(p).map((t) => t.toLowerCase()));
    if (want.every((t) => have.has(t))) load.set(p, 0);
  }
  for (const m of meta.streams.values()) {
    for (const sa of m.values()) for (const p of sa.group.peers) if (load.has(p)) load.set(p, load.get(p)! + 1);
  }
  let best: string[] = [];
  let min = Infinity;
  for (const [p, n] of load) {
    if (n < min) {
      min = n;
      best = [p];
    } else if (n === min) best.push(p);
  }
  return best.length === 0 ? '' : best[Math.floor(Math.random() * best.length)];
}
