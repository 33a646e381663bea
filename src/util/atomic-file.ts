/**
 * Crash-safe file replacement, for every small state file the server keeps
 * (RAFT tav.idx, peers.idx and snapshots; stream and consumer meta.inf,
 * consumer o.dat, the file store's index): write a temp file, fsync it,
 * rename it over the old one and fsync the directory, so a crash leaves
 * either the old or the new content, never a mix. With `fsync: false` the
 * rename still makes it all-or-nothing for a process crash.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const TMP_SUFFIX = '.tmp';

/** Hooks for tests that simulate a crash between the steps of an atomic write. */
export interface AtomicWriteHooks {
  /** Called after the temp file is written and synced, before the rename; throwing stops there. */
  beforeRename?: (tmpPath: string, finalPath: string) => void;
  /** false skips the fsyncs (tests; a process crash still sees the rename's all-or-nothing). */
  fsync?: boolean;
}

export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Replace `path` with `data` atomically (temp + fsync + rename + dir fsync). */
export function writeFileAtomic(path: string, data: Uint8Array, hooks?: AtomicWriteHooks): void {
  const tmp = path + TMP_SUFFIX;
  const fd = openSync(tmp, 'w', 0o640);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    if (hooks?.fsync !== false) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  hooks?.beforeRename?.(tmp, path);
  renameSync(tmp, path);
  if (hooks?.fsync !== false) fsyncDir(dirname(path));
}

/** Remove temp files left by an atomic write that a crash interrupted. */
export function removeTempFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.endsWith(TMP_SUFFIX)) rmSync(join(dir, n), { force: true });
}
