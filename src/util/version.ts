/**
 * Our release version, read once from package.json. The file is found by walking
 * up from this module, so it works from `src/util/` (ts loaders) and from the
 * compiled `dist/src/util/` alike.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Go nats-server release whose behaviour this build follows. */
export const GO_COMPAT_VERSION = '2.14.5';

const PACKAGE_NAME = 'nats-server-ts';

function readPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

/** Package version, e.g. `0.1.0`. */
export const VERSION: string = readPackageVersion();
