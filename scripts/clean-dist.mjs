// Remove the compiled package (dist/src, dist/bin) before `build:package`
// rebuilds it, so files compiled from sources since deleted or renamed are
// not packed. dist/test and dist/bench (the test build) are left alone.
import { rmSync } from 'node:fs';

for (const dir of ['dist/src', 'dist/bin']) rmSync(dir, { recursive: true, force: true });
