// The package installs and its bin works, as a user gets it: `npm pack`
// (which builds through `prepare`), install the tarball into an empty folder,
// then `npx nats-server-ts -v` must print the Go release we follow and
// `npx nats-server-ts -js -p <port> -sd <dir>` must answer a client's PING and
// a JetStream API request. Run by .ci/run after `npm ci`; `npm run check:pack`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const work = mkdtempSync(join(tmpdir(), 'check-pack-'));
const app = join(work, 'app');
const store = join(work, 'store');

// When run as `npm run check:pack` the parent npm's package and lifecycle
// variables would leak into the nested npm commands.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('npm_package_') && !k.startsWith('npm_lifecycle_') && k !== 'INIT_CWD'),
);
env.npm_config_update_notifier = 'false';

function fail(msg) {
  throw new Error(msg);
}

function run(cmd, args, cwd, timeoutMs = 300_000) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (r.error || r.status !== 0) {
    fail(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

async function freePort() {
  const srv = createServer();
  await new Promise((res, rej) => srv.once('error', rej).listen(0, '127.0.0.1', res));
  const { port } = srv.address();
  await new Promise((res) => srv.close(res));
  return port;
}

/** Connect to the client port (retrying while the server starts) and talk NATS on it. */
async function checkServer(port, child, deadline) {
  for (;;) {
    if (child.exitCode !== null) fail(`the server exited with ${child.exitCode}`);
    try {
      return await talk(port, deadline);
    } catch (e) {
      if (e.code !== 'ECONNREFUSED' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function talk(port, deadline) {
  return new Promise((resolvePromise, reject) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => done(new Error(`no answer from the server; got ${JSON.stringify(buf)}`)), Math.max(1, deadline - Date.now()));
    let buf = '';
    let info = null;
    let sent = false;
    const done = (err, v) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolvePromise(v);
    };
    sock.on('error', (e) => done(e));
    sock.on('data', (d) => {
      buf += d.toString();
      if (info === null) {
        const m = /^INFO (\{.*\})\r\n/.exec(buf);
        if (!m) return;
        info = JSON.parse(m[1]);
      }
      if (!sent) {
        sent = true;
        sock.write('CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\nPING\r\n');
        sock.write('SUB _INBOX.check 1\r\nPUB $JS.API.INFO _INBOX.check 0\r\n\r\n');
      }
      const pong = buf.includes('PONG\r\n');
      const msg = /MSG _INBOX\.check 1 \d+\r\n(\{.*\})\r\n/.exec(buf);
      if (pong && msg) done(null, { info, jsInfo: JSON.parse(msg[1]) });
    });
  });
}

async function main() {
  // 1. pack (prepare builds dist/src and dist/bin)
  run(npm, ['pack', '--pack-destination', work], root);
  const tgz = readdirSync(work).find((n) => n.endsWith('.tgz'));
  if (!tgz) fail('npm pack wrote no tarball');
  const listing = run('tar', ['-tzf', join(work, tgz)], root).stdout.split('\n').filter(Boolean);
  for (const f of ['package/package.json', 'package/dist/bin/nats-server.js', 'package/dist/src/index.js', 'package/dist/src/index.d.ts']) {
    if (!listing.includes(f)) fail(`${tgz} lacks ${f}`);
  }
  if (listing.some((f) => f.startsWith('package/dist/test/') || f.startsWith('package/dist/bench/'))) fail(`${tgz} holds the test build`);
  const { GO_COMPAT_VERSION } = await import(pathToFileURL(join(root, 'dist/src/util/version.js')).href);

  // 2. install into an empty folder, from the local cache where it can
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'check-pack-app', version: '1.0.0', private: true }, null, 2) + '\n');
  run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tgz)], app);
  if (!existsSync(join(app, 'node_modules/.bin/nats-server-ts'))) fail('the install has no nats-server-ts bin');

  // 3. -v
  const v = run(npx, ['--no', '--', 'nats-server-ts', '-v'], app, 60_000).stdout.trim();
  const want = `nats-server: v${GO_COMPAT_VERSION}`;
  if (v !== want) fail(`npx nats-server-ts -v printed ${JSON.stringify(v)}, want ${JSON.stringify(want)}`);

  // 4. -js on a free port: PING/PONG and $JS.API.INFO, then shut down
  const port = await freePort();
  const child = spawn(npx, ['--no', '--', 'nats-server-ts', '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], {
    cwd: app, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => (log += d.toString()));
  const exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })));
  let result;
  try {
    result = await checkServer(port, child, Date.now() + 30_000);
  } catch (e) {
    fail(`npx nats-server-ts -js: ${e.message}\n${log}`);
  } finally {
    // the whole process group: npx and the server it started
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(t);
  }
  if (result.info.version !== GO_COMPAT_VERSION) fail(`INFO version ${result.info.version}, want ${GO_COMPAT_VERSION}`);
  if (result.info.jetstream !== true) fail('INFO does not announce JetStream');
  if (result.jsInfo.type !== 'io.nats.jetstream.api.v1.account_info_response' || result.jsInfo.error) {
    fail(`$JS.API.INFO answered ${JSON.stringify(result.jsInfo)}`);
  }
  if (!existsSync(join(store, 'jetstream'))) fail(`no JetStream store under ${store}`);
  console.log(`check-pack ok: ${tgz} (${listing.length} entries) installs; npx nats-server-ts -v prints "${v}"; -js answered PING and $JS.API.INFO on port ${port}`);
}

main()
  .then(() => rmSync(work, { recursive: true, force: true }))
  .catch((e) => {
    console.error(`check-pack failed: ${e.message}`);
    console.error(`(work folder kept: ${work})`);
    process.exitCode = 1;
  });
