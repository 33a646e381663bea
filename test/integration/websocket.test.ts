/**
 * NATS clients over WebSocket (Go websocket.go): the client protocol in
 * binary frames from a raw `ws` client, a TCP client and a ws client seeing
 * each other's messages, ping and close frames, permessage-deflate,
 * authorization overrides, /connz and /varz. The Go 2.9.10 server with the
 * same websocket block is the reference for INFO and message exchange.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { startServer, type RunningServer } from '../../src/index.js';
import { readFileSync } from 'node:fs';
import { GO_SERVER_BIN, OURS_CMD, startGoServer } from '../helpers/go-server.js';
import { RawWs, wsOpts, goWsPort } from '../helpers/ws.js';
import { waitFor } from '../helpers/wait.js';

const skipGo = GO_SERVER_BIN ? false : 'Go nats-server not installed';

function wsURL(srv: RunningServer, path = ''): string {
  const l = srv.server.websocket as unknown as { port: number };
  return `ws://127.0.0.1:${l.port}${path}`;
}

async function startWs(extra: Parameters<typeof startServer>[0] = {}, ws: Parameters<typeof wsOpts>[0] = {}): Promise<RunningServer> {
  return startServer({ http_port: -1, ...extra, websocket: wsOpts(ws) });
}

/** The exchange both servers must carry the same way; returns what the ws client received. */
async function exchange(port: number): Promise<{ info: Record<string, unknown>; got: string }> {
  const c = await RawWs.connect(`ws://127.0.0.1:${port}`);
  try {
    const info = await c.info();
    c.send('CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nSUB ws.a 1\r\nSUB ws.q grp 2\r\n');
    await c.flush();
    c.send('PUB ws.a 5\r\nhello\r\nPUB ws.a reply.x 2\r\nhi\r\nPUB ws.q 1\r\nq\r\n');
    const got = await c.flush();
    return { info, got };
  } finally {
    c.close();
  }
}

describe('websocket: NATS clients', () => {
  it('INFO arrives in a binary frame; PUB/SUB/MSG round trip; PING/PONG', async (t) => {
    const srv = await startWs();
    t.after(() => srv.stop());
    const port = (srv.server.websocket as unknown as { port: number }).port;
    const { info, got } = await exchange(port);
    assert.equal(info.port, port, 'INFO carries the websocket port');
    assert.equal(info.tls_required, undefined, 'no TLS: tls_required omitted');
    assert.equal(info.headers, true);
    assert.equal(got, 'MSG ws.a 1 5\r\nhello\r\nMSG ws.a 1 reply.x 2\r\nhi\r\nMSG ws.q 2 1\r\nq\r\n');
  });

  it('matches the Go server: same INFO shape and the same MSG bytes', { skip: skipGo }, async (t) => {
    const go = await startGoServer([], 'websocket { listen: "127.0.0.1:-1", no_tls: true }\n');
    t.after(() => go.stop());
    const srv = await startWs();
    t.after(() => srv.stop());
    const theirs = await exchange(await goWsPort(go));
    const ours = await exchange((srv.server.websocket as unknown as { port: number }).port);
    assert.equal(ours.got, theirs.got);
    for (const k of ['tls_required', 'headers', 'proto', 'max_payload', 'auth_required']) assert.equal(ours.info[k], theirs.info[k], k);
  });

  it('text frames are read like binary ones; the server writes binary frames', async (t) => {
    const srv = await startWs();
    t.after(() => srv.stop());
    const c = await RawWs.connect(wsURL(srv));
    t.after(() => c.close());
    await c.info();
    c.send('CONNECT {"verbose":false}\r\nSUB txt 1\r\nPUB txt 2\r\nok\r\n', false);
    assert.equal(await c.flush(), 'MSG txt 1 2\r\nok\r\n');
    assert.equal(c.textFrames, 0);
  });

  it('a protocol op split across frames is reassembled', async (t) => {
    const srv = await startWs();
    t.after(() => srv.stop());
    const c = await RawWs.connect(wsURL(srv));
    t.after(() => c.close());
    await c.info();
    c.send('CONNECT {"verbose":false}\r\nSUB sp');
    c.send('lit 1\r\nPUB split 1');
    c.send('0\r\n0123');
    c.send('456789\r\n');
    assert.equal(await c.flush(), 'MSG split 1 10\r\n0123456789\r\n');
  });

  it('a TCP client and a ws client see each other', async (t) => {
    const srv = await startWs();
    t.after(() => srv.stop());
    const nc = await connect({ servers: srv.url });
    t.after(() => nc.close());
    const got: string[] = [];
    const sub = nc.subscribe('from.ws', { callback: (_e, m) => void got.push(m.string()) });
    await nc.flush();
    const c = await RawWs.connect(wsURL(srv));
    t.after(() => c.close());
    await c.info();
    c.send('CONNECT {"verbose":false}\r\nSUB from.tcp 7\r\n');
    await c.flush();
    c.send('PUB from.ws 6\r\nws-msg\r\n');
    nc.publish('from.tcp', 'tcp-msg');
    await nc.flush();
    await waitFor(() => got.length === 1);
    assert.deepEqual(got, ['ws-msg']);
    assert.equal(await c.waitUntil((d) => d.includes('tcp-msg')), 'MSG from.tcp 7 7\r\ntcp-msg\r\n');
    sub.unsubscribe();
  });

  it('answers a ws ping frame with a pong frame', async (t) => {
    const srv = await startWs();
    t.after(() => srv.stop());
    const c = await RawWs.connect(wsURL(srv));
    t.after(() => c.close());
    await c.info();
    const pong = new Promise<string>((r) => c.ws.once('pong', (d: Buffer) => r(d.toString())));
    c.ws.ping(Buffer.from('abc'));
    assert.equal(await pong, 'abc');
  });

  it('a client close frame closes the connection (Client Closed in /connz)', async (t) => {
    const srv = await startWs();
    t.after(() => srv.stop());
    const c = await RawWs.connect(wsURL(srv));
    await c.info();
    c.send('CONNECT {"verbose":false,"name":"closer"}\r\n');
    await c.flush();
    assert.equal(srv.server.clients.size, 1);
    c.ws.close(1000, 'bye');
    await waitFor(() => srv.server.clients.size === 0);
    const r = await fetch(`${srv.monitorUrl}/connz?state=closed`);
    const j = (await r.json()) as { connections: { name?: string; reason?: string }[] };
    const mine = j.connections.find((x) => x.name === 'closer');
    assert.equal(mine?.reason, 'Client Closed');
  });

  it('the server closes with a close frame whose status follows the reason (Go wsEnqueueCloseMessage)', async (t) => {
    const srv = await startWs({}, { username: 'u', password: 'p' });
    t.after(() => srv.stop());
    const c = await RawWs.connect(wsURL(srv));
    t.after(() => c.close());
    await c.info();
    c.send('CONNECT {"verbose":false,"user":"u","pass":"wrong"}\r\n');
    await waitFor(() => c.closed);
    assert.match(c.take(), /-ERR 'Authorization Violation'\r\n/);
    assert.equal(c.closeCode, 1008);
    assert.equal(c.closeReason, 'Authentication Failure');
  });

  it('before CONNECT a frame is bounded (max_payload + 2 x max_control_line): a 50 MB frame is refused from its header, not buffered; after CONNECT big frames pass', async (t) => {
    // Our CLI as a child process, so its peak RSS (VmHWM) shows what it buffered.
    const srv = await startGoServer([], 'authorization { user: u, password: p }\nwebsocket { port: -1, no_tls: true }\n', OURS_CMD);
    t.after(() => srv.stop());
    const url = `ws://127.0.0.1:${await goWsPort(srv)}`;
    const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8'))![1]) * 1024;
    const flood = await RawWs.connect(url);
    t.after(() => flood.close());
    await flood.info();
    const peak0 = peak();
    flood.send('x'.repeat(50 * 1024 * 1024));
    await waitFor(() => flood.closed, 10000);
    // Refused on the frame header (1009, Message Too Big); the client, still writing, may see the reset first.
    assert.ok([1009, 1006].includes(flood.closeCode), `close code ${flood.closeCode}`);
    assert.ok(peak() - peak0 < 16 * 1024 * 1024, `the server's peak RSS grew ${peak() - peak0} bytes`);
    const ok = await RawWs.connect(url);
    t.after(() => ok.close());
    await ok.info();
    ok.send('CONNECT {"verbose":false,"user":"u","pass":"p"}\r\nSUB big 1\r\n');
    await ok.flush();
    const body = 'y'.repeat(900 * 1024);
    ok.send(`PUB big 921600\r\n${body}\r\n`.repeat(3)); // one 2.7 MB frame: three messages
    const got = await ok.flush();
    assert.equal(got.match(/MSG big 1 921600\r\n/g)?.length, 3);
    assert.equal(ok.closed, false);
  });

  it('close statuses: 1009 for max payload, 1002 for a parse error, 1001 at shutdown', async (t) => {
    const srv = await startWs({ max_payload: 100 });
    t.after(() => srv.stop());
    const big = await RawWs.connect(wsURL(srv));
    t.after(() => big.close());
    await big.info();
    big.send(`CONNECT {"verbose":false}\r\nPUB x 200\r\n${'x'.repeat(200)}\r\n`);
    await waitFor(() => big.closed);
    assert.match(big.take(), /-ERR 'Maximum Payload Violation'/);
    assert.equal(big.closeCode, 1009);
    const bad = await RawWs.connect(wsURL(srv));
    t.after(() => bad.close());
    await bad.info();
    bad.send('CONNECT {"verbose":false}\r\nGARBAGE\r\n');
    await waitFor(() => bad.closed);
    assert.match(bad.take(), /-ERR 'Unknown Protocol Operation'/);
    assert.equal(bad.closeCode, 1002);
    const idle = await RawWs.connect(wsURL(srv));
    await idle.info();
    idle.send('CONNECT {"verbose":false}\r\n');
    await idle.flush();
    await srv.stop();
    await waitFor(() => idle.closed);
    assert.equal(idle.closeCode, 1001);
    assert.equal(idle.closeReason, 'Server Shutdown');
  });

  it('/connz lists ws clients; /varz has the websocket section', async (t) => {
    const srv = await startWs({}, { compression: true, same_origin: true, handshake_timeout: 2000 });
    t.after(() => srv.stop());
    const c = await RawWs.connect(wsURL(srv));
    t.after(() => c.close());
    await c.info();
    c.send('CONNECT {"verbose":false,"name":"wsclient","lang":"raw"}\r\nSUB x 1\r\n');
    await c.flush();
    const connz = (await (await fetch(`${srv.monitorUrl}/connz?subs=1`)).json()) as { connections: { name: string; subscriptions_list?: string[] }[] };
    const mine = connz.connections.find((x) => x.name === 'wsclient');
    assert.deepEqual(mine?.subscriptions_list, ['x']);
    const varz = (await (await fetch(`${srv.monitorUrl}/varz`)).json()) as { websocket: Record<string, unknown> };
    assert.deepEqual(varz.websocket, {
      host: '127.0.0.1',
      port: (srv.server.websocket as unknown as { port: number }).port,
      no_tls: true,
      same_origin: true,
      compression: true,
      handshake_timeout: 2_000_000_000,
    });
  });

  it('/varz websocket section has the same fields as Go', { skip: skipGo }, async (t) => {
    const go = await startGoServer(['-m', '-1'], 'websocket { listen: "127.0.0.1:-1", no_tls: true, compression: true, same_origin: true }\n');
    t.after(() => go.stop());
    const srv = await startWs({}, { compression: true, same_origin: true });
    t.after(() => srv.stop());
    const theirs = ((await (await fetch(`http://127.0.0.1:${go.monitorPort}/varz`)).json()) as { websocket: Record<string, unknown> }).websocket;
    const ours = ((await (await fetch(`${srv.monitorUrl}/varz`)).json()) as { websocket: Record<string, unknown> }).websocket;
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
    assert.equal(theirs.port, await goWsPort(go));
  });
});

describe('websocket: compression', () => {
  it('permessage-deflate is negotiated when configured and asked for', async (t) => {
    const srv = await startWs({}, { compression: true });
    t.after(() => srv.stop());
    const c = await RawWs.connect(wsURL(srv), { perMessageDeflate: { threshold: 0 } });
    t.after(() => c.close());
    assert.match(c.extensions, /permessage-deflate/);
    assert.match(c.extensions, /server_no_context_takeover/);
    assert.match(c.extensions, /client_no_context_takeover/);
    await c.info();
    const big = 'z'.repeat(20000);
    c.send(`CONNECT {"verbose":false}\r\nSUB big 1\r\nPUB big ${big.length}\r\n${big}\r\n`);
    assert.equal(await c.flush(), `MSG big 1 ${big.length}\r\n${big}\r\n`);
  });

  it('is not negotiated unless configured, nor when the client does not ask', async (t) => {
    const off = await startWs();
    t.after(() => off.stop());
    const a = await RawWs.connect(wsURL(off), { perMessageDeflate: {} });
    t.after(() => a.close());
    assert.equal(a.extensions, '');
    const on = await startWs({}, { compression: true });
    t.after(() => on.stop());
    const b = await RawWs.connect(wsURL(on), { perMessageDeflate: false });
    t.after(() => b.close());
    assert.equal(b.extensions, '');
  });

  it('matches Go: the same extension answer', { skip: skipGo }, async (t) => {
    const go = await startGoServer([], 'websocket { listen: "127.0.0.1:-1", no_tls: true, compression: true }\n');
    t.after(() => go.stop());
    const theirs = await RawWs.connect(`ws://127.0.0.1:${await goWsPort(go)}`, { perMessageDeflate: {} });
    t.after(() => theirs.close());
    const srv = await startWs({}, { compression: true });
    t.after(() => srv.stop());
    const ours = await RawWs.connect(wsURL(srv), { perMessageDeflate: {} });
    t.after(() => ours.close());
    const norm = (s: string) => s.split(';').map((x) => x.trim()).sort();
    assert.deepEqual(norm(ours.extensions), norm(theirs.extensions));
  });
});
