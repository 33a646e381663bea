/**
 * `-P/--pid` file, as Go's Server.logPid writes it: the decimal pid, no
 * newline, mode 0600. Go never removes it on shutdown; `removePidFile` exists
 * for embedders and tests that want to clean up.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export function writePidFile(path: string, pid: number = process.pid): void {
  writeFileSync(path, String(pid), { mode: 0o600 });
}

/** Remove the pid file; a missing file is not an error. */
export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

/**
 * `--signal cmd=<target>`: Go first tries to read `target` as a file and uses
 * its contents as the pid; otherwise the target itself is the pid.
 */
export function readPidOrTarget(target: string): string {
  try {
    return readFileSync(target, 'utf8');
  } catch {
    return target;
  }
}
