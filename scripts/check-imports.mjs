// Module boundaries (conventions 7.1): imports flow one way, from higher
// layers to lower ones. Type-only imports are exempt (they vanish at runtime).
// src/raft is standalone (issue 16): it may import src/util only, type-only
// imports included, so it can be tested and reused without the server.
// src/mqtt/codec is the pure MQTT packet codec (issue 17): it may import only
// itself and src/util, type-only imports included.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const RANK = { util: 0, raft: 1, protocol: 1, sublist: 1, log: 1, config: 1, auth: 2, accounts: 2, conn: 3, server: 4, jetstream: 5, cluster: 5, websocket: 5, mqtt: 5, monitor: 6, system: 7, 'index.ts': 8 };
const root = 'src';
const files = [];
(function walk(d) {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (n.endsWith('.ts')) files.push(p);
  }
})(root);

const layer = (p) => relative(root, p).split('/')[0];
let bad = 0;
for (const f of files) {
  const from = layer(f);
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'"]*?from\s+)?'(\.[^']+)'|\bimport\(\s*'()(\.[^']+)'/gm)) {
    const spec = m[2] ?? m[4];
    const target = resolve(dirname(f), spec).replace(/\.js$/, '.ts');
    const to = layer(relative(process.cwd(), target));
    if (from === 'raft' && to !== 'raft' && to !== 'util') {
      console.error(`${f}: imports ${spec} (src/raft may import only src/util)`);
      bad++;
      continue;
    }
    const rel = relative(root, f);
    if (rel.startsWith('mqtt/codec/')) {
      const trel = relative(root, relative(process.cwd(), target));
      if (!trel.startsWith('mqtt/codec/') && !trel.startsWith('util/')) {
        console.error(`${f}: imports ${spec} (src/mqtt/codec may import only itself and src/util)`);
        bad++;
        continue;
      }
    }
    if (m[1]) continue;
    if (!(from in RANK) || !(to in RANK)) continue;
    if (RANK[to] > RANK[from]) {
      console.error(`${f}: imports ${m[2]} (${from} -> ${to} goes up the layers)`);
      bad++;
    }
  }
}
if (bad > 0) process.exit(1);
console.log(`module boundaries ok (${files.length} files)`);
