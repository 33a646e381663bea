// Module boundaries (conventions 7.1): imports flow one way, from higher
// layers to lower ones. Type-only imports are exempt (they vanish at runtime).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const RANK = { util: 0, protocol: 1, sublist: 1, log: 1, config: 1, auth: 2, accounts: 2, conn: 3, server: 4, jetstream: 5, cluster: 5, websocket: 5, monitor: 6, system: 7, 'index.ts': 8 };
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
  for (const m of src.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'(\.[^']+)'/gm)) {
    if (m[1]) continue;
    const target = resolve(dirname(f), m[2]).replace(/\.js$/, '.ts');
    const to = layer(relative(process.cwd(), target));
    if (!(from in RANK) || !(to in RANK)) continue;
    if (RANK[to] > RANK[from]) {
      console.error(`${f}: imports ${m[2]} (${from} -> ${to} goes up the layers)`);
      bad++;
    }
  }
}
if (bad > 0) process.exit(1);
console.log(`module boundaries ok (${files.length} files)`);
