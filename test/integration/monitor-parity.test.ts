/**
 * Differential test against Debian's Go nats-server 2.9.10: the same
 * two-account config and the same client activity on both servers, then
 * every field Go returns from /varz, /connz (open, closed, auth + subs
 * detail), /subsz, /accountz (list and detail), /accstatz and /healthz must
 * also be in ours (ours follows the newer Go release, so it may have more),
 * and bad queries must fail with Go's status and text.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startServer, defaultOptions, type RunningServer } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { startGoServer, GO_SERVER_BIN, type GoServer } from '../helpers/go-server.js';
import { waitFor } from '../helpers/wait.js';

const CONFIG = `
accounts {
  A: {
    users: [ {user: a, password: a} ]
    exports: [ {stream: "pub.>"}, {service: "svc.>", accounts: [B]} ]
    mappings: { "m.1": "m.2" }
  }
  B: {
    users: [ {user: b, password: b} ]
    imports: [ {stream: {account: A, subject: "pub.>"}, prefix: "fromA"}, {service: {account: A, subject: "svc.x"}, to: "local.x"} ]
  }
}
`;

const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
};
const json = async (url: string) => JSON.parse((await get(url)).text) as Record<string, any>;

/** Keys (recursively, as dotted paths; arrays by their first element) Go has and ours lacks. */
function missing(go: unknown, ours: unknown, path = ''): string[] {
  if (go === null || typeof go !== 'object') return [];
  if (Array.isArray(go)) {
    if (go.length === 0) return [];
    if (!Array.isArray(ours) || ours.length === 0) return [`${path}[]`];
    return missing(go[0], ours[0], `${path}[]`);
  }
  const out: string[] = [];
  const o = (ours ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(go as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    // map-valued fields keyed by data, not by schema
    if (k === 'http_req_stats' || k === 'mappings') continue;
    if (!(k in o)) out.push(p);
    else out.push(...missing(v, o[k], p));
  }
  return out;
}

/** Same activity on a server: one client per account with a subscription and traffic, one closed client. */
async function activity(url: string): Promise<() => Promise<void>> {
  const a = await connect({ servers: url, user: 'a', pass: 'a', name: 'pa' });
  const b = await connect({ servers: url, user: 'b', pass: 'b', name: 'pb' });
  a.subscribe('p.a', { queue: 'q' });
  b.subscribe('fromA.pub.>');
  a.publish('pub.1', 'x');
  await a.flush();
  await b.flush();
  const gone = await connect({ servers: url, user: 'a', pass: 'a', name: 'gone' });
  gone.subscribe('g');
  await gone.flush();
  await gone.close();
  return async () => {
    await a.close();
    await b.close();
  };
}

describe('monitoring field sets and errors match Go 2.9.10', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, () => {
  let dir: string;
  let ours: RunningServer;
  let go: GoServer;
  let om: string;
  let gm: string;
  const stops: (() => Promise<void>)[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monp-'));
    const f = join(dir, 'ours.conf');
    writeFileSync(f, CONFIG);
    ours = await startServer({ ...loadConfigFile(f, defaultOptions()), port: 0, host: '127.0.0.1', http_port: -1 });
    go = await startGoServer(['-m', '-1'], CONFIG);
    om = ours.monitorUrl!;
    gm = `http://127.0.0.1:${go.monitorPort}`;
    stops.push(await activity(ours.url), await activity(go.url));
    for (const m of [om, gm]) await waitFor(async () => (await json(`${m}/connz?state=closed`)).total >= 1);
  });
  after(async () => {
    for (const s of stops) await s();
    await ours?.stop();
    await go?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const paths = [
    '/varz',
    '/connz',
    '/connz?auth=true&subs=detail',
    '/connz?subs=1',
    '/connz?state=closed&auth=1&subs=detail',
    '/connz?state=any&sort=cid',
    '/subsz?subs=1',
    '/accountz',
    '/accountz?acc=A',
    '/accountz?acc=B',
    '/accstatz',
    '/accstatz?unused=1',
    '/healthz',
    '/healthz?js-enabled-only=true',
    '/routez',
    '/gatewayz',
    '/leafz',
  ];
  for (const p of paths) {
    it(`${p} has every field Go has`, async () => {
      const [g, o] = await Promise.all([get(`${gm}${p}`), get(`${om}${p}`)]);
      assert.equal(o.status, g.status);
      assert.deepEqual(missing(JSON.parse(g.text), JSON.parse(o.text)), []);
    });
  }

  it('same status and text for bad queries', async () => {
    for (const p of ['/connz?sort=bad', '/connz?sort=stop', '/connz?sort=reason&state=all', '/connz?state=x', '/connz?subs=x', '/connz?limit=z', '/connz?cid=q', '/subsz?subs=detail', '/subsz?subs=1&test=a.*', '/accountz?acc=ZZ', '/accstatz?unused=x', '/nope']) {
      const [g, o] = await Promise.all([get(`${gm}${p}`), get(`${om}${p}`)]);
      assert.deepEqual([o.status, o.text], [g.status, g.text], p);
    }
  });

  it('closed reasons and connection counts agree', async () => {
    const [g, o] = await Promise.all([json(`${gm}/connz?state=closed`), json(`${om}/connz?state=closed`)]);
    assert.deepEqual(o.connections.map((c: any) => [c.name, c.reason]), g.connections.map((c: any) => [c.name, c.reason]));
    const [gs, os] = await Promise.all([json(`${gm}/accstatz`), json(`${om}/accstatz`)]);
    const conns = (z: any) => z.account_statz.map((a: any) => [a.acc, a.conns]).sort();
    assert.deepEqual(conns(os), conns(gs));
  });
});
