/**
 * Config reload of the `leafnodes {}` block on a running leaf layer (Go
 * reload.go getLeafNodeOptionsChanges and leafNodeOption.Apply): remotes
 * removed (their link closes and is not redialed), added (dialed), disabled
 * or enabled, and TLS taken for the next connections.
 */
import { defaultLeafNodeOptions, type LeafNodeOptions, type Options } from '../../config/options.js';
import { diffLeafNodes, remoteLeafName, type LeafDiff } from '../../config/leafnodes-diff.js';
import { ClosedReason } from '../../conn/closed-reason.js';
import { TlsSetup } from '../../server/tls.js';
import { RemoteState, type LeafNodes } from './leafnodes.js';

/** The new block; none at all is Go's zero block (no listener, no remotes). */
function nextBlock(next: Options): LeafNodeOptions {
  return next.leafnodes ?? defaultLeafNodeOptions();
}

function diff(ln: LeafNodes, next: Options): LeafDiff {
  try {
    return diffLeafNodes(ln.opts, nextBlock(next), ln.port);
  } catch (e) {
    throw new Error(`config reload not supported for LeafNode: ${(e as Error).message}`);
  }
}

export function checkLeafReload(ln: LeafNodes, next: Options): void {
  diff(ln, next);
}

export function applyLeafReload(ln: LeafNodes, next: Options): void {
  const d = diff(ln, next);
  if (!d.changed) return;
  const log = ln.srv.log;
  const lo = nextBlock(next);
  ln.opts = lo;
  if (lo.port !== 0) ln.tls = lo.tls ? new TlsSetup(lo.tls) : null;
  for (const r of ln.remotes) {
    if (r.removed) continue;
    const name = remoteLeafName(r.opts);
    const fresh = d.kept.get(name);
    if (fresh === undefined) {
      r.removed = true;
      log.info(`Reloaded: LeafNode Remote ${remoteLeafName(r.opts, true)} removed`);
      stop(r);
      continue;
    }
    const wasDisabled = r.opts.disabled;
    r.opts = fresh;
    if (wasDisabled === fresh.disabled) continue;
    log.info(`Reloaded: LeafNode Remote ${remoteLeafName(fresh, true)} Disabled value is: ${fresh.disabled}`);
    if (fresh.disabled) stop(r);
    else ln.connectRemote(r);
  }
  // Go solicitLeafNodeRemotes for the added ones
  for (const opts of d.added) {
    const r = new RemoteState(opts);
    ln.remotes.push(r);
    if (!opts.disabled) ln.connectRemote(r);
  }
}

/** No more dials for this remote, and its link (if any) closes. */
function stop(r: RemoteState): void {
  if (r.timer !== null) clearTimeout(r.timer);
  r.timer = null;
  const c = r.conn;
  r.conn = null;
  c?.closeConnection(ClosedReason.ClientClosed);
}
