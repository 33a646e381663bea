/**
 * The `prioritized` priority policy (ADR-42; Go waitQueue.addPrioritized,
 * popAndRequeue and insertAtPosition in server/consumer.go): waiting pull
 * requests are kept ordered by their `priority` (0 is served first, 9 last)
 * and by arrival within one priority. A request that still wants more after
 * a delivery goes back behind the others of its own priority, so requests of
 * one priority share the messages in turn while a lower number always wins.
 */
import type { PullRequest } from './pull.js';

/** A request without a priority group sorts after every numbered one, as Go's MaxInt32 does. */
function rank(wr: PullRequest): number {
  return wr.group === null ? Number.MAX_SAFE_INTEGER : (wr.group.priority ?? 0);
}

/** Insert `wr` after every waiting request whose priority is the same or better. */
export function insertByPriority(waiting: PullRequest[], wr: PullRequest): void {
  const p = rank(wr);
  let i = 0;
  while (i < waiting.length && rank(waiting[i]) <= p) i++;
  if (i === waiting.length) waiting.push(wr);
  else waiting.splice(i, 0, wr);
}

/** After a delivery to `wr` that did not finish it: move it to the end of its priority. */
export function requeueByPriority(waiting: PullRequest[], wr: PullRequest): void {
  if (waiting.length < 2) return;
  const at = waiting.indexOf(wr);
  if (at < 0) return;
  waiting.splice(at, 1);
  insertByPriority(waiting, wr);
}
