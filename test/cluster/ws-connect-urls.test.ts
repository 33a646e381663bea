/**
 * Websocket connect URLs in a cluster (Go routeInfo's ws_connect_urls,
 * updateServerINFOAndSendINFOToClients, generateClientInfoJSON): routed
 * servers tell each other their websocket URLs; a websocket client's INFO
 * carries them as `connect_urls` (TCP clients get the client URLs), and an
 * async INFO follows when members come and go. Differential against Go
 * 2.9.10 in a mixed cluster.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningServer } from '../../src/index.js';
import { GO_SERVER_BIN, startGoServer, goClusterConf } from '../helpers/go-server.js';
import { startClustered, stopAll, waitMeshed, routeURL } from '../helpers/cluster.js';
import { RawConn } from '../helpers/raw.js';
import { RawWs, wsOpts, wsPort, goWsPort } from '../helpers/ws.js';
import { waitFor } from '../helpers/wait.js';

const skipGo = GO_SERVER_BIN ? false : 'Go nats-server not installed';
const GO_WS = 'websocket { listen: "127.0.0.1:-1", no_tls: true }\n';

const wsURL = (s: RunningServer): string => `127.0.0.1:${wsPort(s)}`;
const cliURL = (s: RunningServer): string => `127.0.0.1:${s.port}`;

function startWsClustered(routes: string[], name: string, ws: Parameters<typeof wsOpts>[0] = {}, cluster: Record<string, unknown> = {}): Promise<RunningServer> {
  return startClustered(routes, { server_name: name, websocket: wsOpts(ws) }, cluster);
}

function sorted(v: unknown): string[] {
  return [...((v as string[] | undefined) ?? [])].sort();
}

const CONNECTED = /PONG\r\nINFO [^\r]*"connect_info":true[^\r]*\r\n/;

/** A websocket client past CONNECT and its first PING (Go sends async INFO only then); returns it and its first INFO. */
async function wsClient(port: number, go29 = false): Promise<{ c: RawWs; info: Record<string, unknown> }> {
  const c = await RawWs.connect(`ws://127.0.0.1:${port}`);
  const info = await c.info();
  c.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
  // the first PONG is followed by the INFO with connect_info (Go 2.10+ and ours; not Go 2.9.10)
  await c.waitUntil((d) => (go29 ? d.includes('PONG\r\n') : CONNECTED.test(d)), 5000);
  c.take();
  return { c, info };
}

/** The same for a TCP client. */
async function tcpClient(port: number): Promise<{ c: RawConn; info: Record<string, unknown> }> {
  const c = await RawConn.connect(port);
  const info = await c.info();
  c.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
  // the first PONG is followed by the INFO with connect_info (Go 2.10+ and ours)
  await c.waitUntil((d) => CONNECTED.test(d), 5000);
  c.take();
  return { c, info };
}

/** The last INFO line in `d`, parsed (null when none). */
function lastInfo(d: string): Record<string, unknown> | null {
  const lines = d.split('\r\n').filter((l) => l.startsWith('INFO '));
  return lines.length === 0 ? null : (JSON.parse(lines[lines.length - 1].slice(5)) as Record<string, unknown>);
}

describe('ws_connect_urls between our routed servers', () => {
  const servers: RunningServer[] = [];
  const closers: (() => void)[] = [];
  after(async () => {
    for (const f of closers) f();
    await stopAll(servers);
  });

  it('a websocket client gets every member\'s websocket URL, a TCP client the client URLs', async () => {
    const a = await startWsClustered([], 'A');
    servers.push(a);
    const b = await startWsClustered([routeURL(a)], 'B');
    servers.push(b);
    const c = await startWsClustered([routeURL(a)], 'C');
    servers.push(c);
    await waitMeshed([a, b, c]);
    for (const s of [a, b, c]) {
      const w = await wsClient(wsPort(s));
      closers.push(() => w.c.close());
      assert.deepEqual(sorted(w.info.connect_urls), [wsURL(a), wsURL(b), wsURL(c)].sort());
      assert.equal(w.info.ws_connect_urls, undefined);
      const t = await tcpClient(s.port);
      closers.push(() => t.c.close());
      assert.deepEqual(sorted(t.info.connect_urls), [cliURL(a), cliURL(b), cliURL(c)].sort());
      assert.equal(t.info.ws_connect_urls, undefined);
    }
  });

  it('async INFO to websocket clients when a member joins and leaves; advertise is what peers announce', async () => {
    const a = await startWsClustered([], 'A2');
    servers.push(a);
    const w = await wsClient(wsPort(a));
    closers.push(() => w.c.close());
    assert.equal(w.info.connect_urls, undefined, 'alone: no connect_urls');
    const b = await startWsClustered([routeURL(a)], 'B2', { advertise: 'ws-b.example.com' });
    servers.push(b);
    const d1 = await w.c.waitUntil((d) => d.includes('ws-b.example.com'), 5000);
    const i1 = lastInfo(d1);
    assert.deepEqual(sorted(i1?.connect_urls), [wsURL(a), `ws-b.example.com:${wsPort(b)}`].sort());
    assert.equal(i1?.ws_connect_urls, undefined);
    w.c.take();
    const c = await startWsClustered([routeURL(a)], 'C2', { advertise: 'ws-c.example.com:4443' });
    await waitMeshed([a, b, c]);
    const i2 = lastInfo(await w.c.waitUntil((d) => d.includes('ws-c.example.com:4443'), 5000));
    assert.deepEqual(sorted(i2?.connect_urls), [wsURL(a), `ws-b.example.com:${wsPort(b)}`, 'ws-c.example.com:4443'].sort());
    w.c.take();
    await c.stop();
    const i3 = lastInfo(await w.c.waitUntil((d) => lastInfo(d) !== null, 5000));
    assert.deepEqual(sorted(i3?.connect_urls), [wsURL(a), `ws-b.example.com:${wsPort(b)}`].sort());
  });

  it('a member without websocket changes TCP clients\' INFO only; websocket clients hear nothing', async () => {
    const a = await startWsClustered([], 'A3');
    const b = await startWsClustered([routeURL(a)], 'B3');
    servers.push(a, b);
    await waitMeshed([a, b]);
    const w = await wsClient(wsPort(a));
    const t = await tcpClient(a.port);
    closers.push(() => w.c.close(), () => t.c.close());
    const plain = await startClustered([routeURL(a)], { server_name: 'P3' });
    servers.push(plain);
    await waitMeshed([a, b, plain]);
    const ti = lastInfo(await t.c.waitUntil((d) => lastInfo(d) !== null, 5000));
    assert.deepEqual(sorted(ti?.connect_urls), [cliURL(a), cliURL(b), cliURL(plain)].sort());
    // both INFOs would be sent together (Go sendAsyncInfoToClients): nothing but a PONG since registration proves none came
    w.c.send('PING\r\n');
    const d = await w.c.waitUntil((x) => x.includes('PONG\r\n'));
    assert.equal(d, 'PONG\r\n');
  });

  it('cluster no_advertise: no connect_urls for websocket clients, none in the route INFO', async () => {
    const a = await startWsClustered([], 'A4', {}, { no_advertise: true });
    const b = await startWsClustered([routeURL(a)], 'B4', {}, { no_advertise: true });
    servers.push(a, b);
    await waitMeshed([a, b]);
    const w = await wsClient(wsPort(a));
    closers.push(() => w.c.close());
    assert.equal(w.info.connect_urls, undefined);
  });
});

describe('ws_connect_urls in a cluster mixed with Go 2.9.10', { skip: skipGo }, () => {
  it('a websocket client of Go and one of ours get the same connect_urls; TCP clients too', async (t) => {
    const ours = await startWsClustered([], 'OURS');
    t.after(() => ours.stop());
    const go = await startGoServer([], `server_name: GO\n${GO_WS}${goClusterConf([routeURL(ours)])}`);
    t.after(() => go.stop());
    await waitMeshed([ours], 1);
    const goWs = `127.0.0.1:${await goWsPort(go)}`;
    const goCli = `127.0.0.1:${go.port}`;
    const wantWs = [wsURL(ours), goWs].sort();
    const wantCli = [cliURL(ours), goCli].sort();
    // Go learns our URLs from our route INFO; wait until its clients see them
    const at = async (port: number, ws: boolean): Promise<Record<string, unknown>> => {
      let info: Record<string, unknown> = {};
      await waitFor(async () => {
        if (ws) {
          const c = await RawWs.connect(`ws://127.0.0.1:${port}`);
          info = await c.info();
          c.close();
        } else {
          const c = await RawConn.connect(port);
          info = await c.info();
          c.close();
        }
        return sorted(info.connect_urls).length === 2;
      }, 5000);
      return info;
    };
    const gw = await at(await goWsPort(go), true);
    const ow = await at(wsPort(ours), true);
    assert.deepEqual(sorted(gw.connect_urls), wantWs);
    assert.deepEqual(sorted(ow.connect_urls), wantWs);
    assert.equal(gw.ws_connect_urls, undefined);
    assert.equal(ow.ws_connect_urls, undefined);
    const gt = await at(go.port, false);
    const ot = await at(ours.port, false);
    assert.deepEqual(sorted(gt.connect_urls), wantCli);
    assert.deepEqual(sorted(ot.connect_urls), wantCli);
    assert.equal(gt.ws_connect_urls, undefined);
    assert.equal(ot.ws_connect_urls, undefined);
  });

  it('Go and ours both send an async INFO with the new member\'s websocket URL to their websocket clients', async (t) => {
    const ours = await startWsClustered([], 'OURS2');
    t.after(() => ours.stop());
    const go = await startGoServer([], `server_name: GO2\n${GO_WS}${goClusterConf([routeURL(ours)])}`);
    t.after(() => go.stop());
    await waitMeshed([ours], 1);
    const goWsPortN = await goWsPort(go);
    const gw = await wsClient(goWsPortN, true);
    const ow = await wsClient(wsPort(ours));
    t.after(() => { gw.c.close(); ow.c.close(); });
    gw.c.take();
    ow.c.take();
    const third = await startWsClustered([routeURL(ours)], 'THIRD', { advertise: 'third.example.com:7777' });
    t.after(() => third.stop());
    const want = [wsURL(ours), `127.0.0.1:${goWsPortN}`, 'third.example.com:7777'].sort();
    const gi = lastInfo(await gw.c.waitUntil((d) => d.includes('third.example.com:7777'), 5000));
    const oi = lastInfo(await ow.c.waitUntil((d) => d.includes('third.example.com:7777'), 5000));
    assert.deepEqual(sorted(gi?.connect_urls), want);
    assert.deepEqual(sorted(oi?.connect_urls), want);
    gw.c.take();
    ow.c.take();
    await third.stop();
    const gi2 = lastInfo(await gw.c.waitUntil((d) => lastInfo(d) !== null, 5000));
    const oi2 = lastInfo(await ow.c.waitUntil((d) => lastInfo(d) !== null, 5000));
    assert.deepEqual(sorted(gi2?.connect_urls), [wsURL(ours), `127.0.0.1:${goWsPortN}`].sort());
    assert.deepEqual(sorted(oi2?.connect_urls), [wsURL(ours), `127.0.0.1:${goWsPortN}`].sort());
  });
});
