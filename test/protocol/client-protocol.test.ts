/**
 * Client-protocol behaviours of the newest Go release that Debian's 2.9.10
 * does not share, so they are checked against the exact bytes instead of
 * differentially.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn } from '../helpers/raw.js';
import { startServer, type RunningServer } from '../../src/index.js';

const C = 'CONNECT {"verbose":false,"pedantic":false}\r\n';

describe('client protocol (newest-release behaviour)', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer();
  });
  after(() => srv.stop());

  it('a second CONNECT drops the subscriptions of the first (Go 2.10+ clearAccountSubs)', async () => {
    const c = await RawConn.connect(srv.port);
    await c.info();
    c.send(C + 'SUB foo 1\r\n' + C + 'PUB foo 1\r\na\r\n');
    assert.equal(await c.flush(), '');
    c.close();
  });

  it('no responders: 503 status with Nats-Subject to the requester', async () => {
    const c = await RawConn.connect(srv.port);
    await c.info();
    c.send('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB _INBOX.x 7\r\nPUB svc.none _INBOX.x 2\r\nhi\r\n');
    const hdr = 'NATS/1.0 503\r\nNats-Subject: svc.none\r\n\r\n';
    assert.equal(await c.flush(), `HMSG _INBOX.x 7 ${hdr.length} ${hdr.length}\r\n${hdr}\r\n`);
    c.close();
  });

  it('no 503 when the requester has no subscription on the reply subject', async () => {
    const c = await RawConn.connect(srv.port);
    await c.info();
    c.send('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nPUB svc.none _INBOX.y 2\r\nhi\r\n');
    assert.equal(await c.flush(), '');
    c.close();
  });

  it('proto 1 clients get an INFO with connect_info after their first PING', async () => {
    const c = await RawConn.connect(srv.port);
    await c.info();
    c.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
    const d = await c.waitUntil((x) => x.split('\r\n').length >= 3);
    const [pong, info] = d.split('\r\n');
    assert.equal(pong, 'PONG');
    const j = JSON.parse(info.slice(5));
    assert.equal(j.connect_info, true);
    assert.equal(j.remote_account, '$G');
    c.close();
  });
});
