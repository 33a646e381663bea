/**
 * Differential protocol tests: the same raw byte script goes to Debian's Go
 * nats-server and to ours; what comes back (after INFO) and whether the
 * connection was closed must be identical.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn } from '../helpers/raw.js';
import { startGoServer, GO_SERVER_BIN, type GoServer } from '../helpers/go-server.js';
import { startServer, type RunningServer } from '../../src/index.js';

const C = 'CONNECT {"verbose":false,"pedantic":false}\r\n';
const CH = 'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n';

/** [name, script]: each script is followed by PING so the end of the answer is known. */
const SCRIPTS: [string, string][] = [
  ['ping before connect', 'PING\r\n'],
  ['lowercase ops', 'connect {"verbose":false}\r\nping\r\n'],
  ['verbose defaults on', 'CONNECT {}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n'],
  ['pedantic defaults on', 'CONNECT {"verbose":false}\r\nPUB foo.* 2\r\nhi\r\n'],
  ['pedantic invalid publish subject', 'CONNECT {"verbose":false,"pedantic":true}\r\nPUB foo..bar 2\r\nhi\r\n'],
  ['pub sub echo', C + 'SUB foo 1\r\nPUB foo 5\r\nhello\r\n'],
  ['pub with reply', C + 'SUB foo 1\r\nPUB foo bar 5\r\nhello\r\n'],
  ['wildcards', C + 'SUB foo.* 1\r\nSUB foo.> 2\r\nSUB > 3\r\nPUB foo.bar 1\r\nx\r\nPUB foo.bar.baz 1\r\ny\r\n'],
  ['no echo', 'CONNECT {"verbose":false,"echo":false}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n'],
  ['unsub with max', C + 'SUB foo 1\r\nUNSUB 1 2\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\n'],
  ['unsub unknown sid', C + 'UNSUB 99\r\n'],
  ['unsub bad max', C + 'SUB foo 1\r\nUNSUB 1 x\r\nPUB foo 1\r\na\r\n'],
  ['sub same sid twice', C + 'SUB foo 1\r\nSUB bar 1\r\nPUB foo 1\r\na\r\nPUB bar 1\r\nb\r\n'],
  ['invalid subject', C + 'SUB foo.. 1\r\nSUB foo.>.bar 2\r\nSUB * 3\r\n'],
  ['queue sub single member', C + 'SUB foo q 1\r\nPUB foo 2\r\nhi\r\n'],
  ['headers', CH + 'SUB foo 1\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n'],
  ['headers with reply', CH + 'SUB foo 1\r\nHPUB foo r 18 20\r\nNATS/1.0\r\nA: B\r\n\r\nhi\r\n'],
  ['headers stripped for non-header client', C + 'SUB foo 1\r\n'],
  ['hpub without headers support', C + 'HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n'],
  ['hpub header larger than total', CH + 'HPUB foo 15 14\r\nNATS/1.0\r\n\r\nhi\r\n'],
  ['zero payload', C + 'SUB foo 1\r\nPUB foo 0\r\n\r\n'],
  ['tabs and spaces', C + 'SUB\tfoo \t 1\r\nPUB  foo\t 2\r\nhi\r\n'],
  ['bare LF', C.replace('\r\n', '\n') + 'SUB foo 1\nPUB foo 2\nhi\r\n'],
  ['unknown op', C + 'FOO\r\n'],
  ['MSG from client', C + 'MSG foo 1 2\r\nhi\r\n'],
  ['route op from client', C + 'RS+ foo\r\n'],
  ['payload too long', C + 'PUB foo 2\r\nhiX\r\n'],
  ['payload bad trailer', C + 'PUB foo 2\r\nhi\rX\r\n'],
  ['pub missing size', C + 'PUB foo\r\n'],
  ['pub too many args', C + 'PUB foo bar baz 3\r\nhi\r\n'],
  ['pub negative size', C + 'PUB foo -3\r\nhi\r\n'],
  ['sub missing sid', C + 'SUB foo\r\n'],
  ['sub too many args', C + 'SUB foo q 1 x\r\n'],
  ['unsub no args', C + 'UNSUB\r\n'],
  ['unsub too many args', C + 'UNSUB 1 2 3\r\n'],
  ['bad connect json', 'CONNECT {bad json\r\n'],
  ['connect wrong type', 'CONNECT {"verbose":"yes"}\r\n'],
  ['connect protocol 2', 'CONNECT {"verbose":false,"protocol":2}\r\n'],
  ['connect protocol -1', 'CONNECT {"verbose":false,"protocol":-1}\r\n'],
  ['no responders without headers', 'CONNECT {"verbose":false,"no_responders":true}\r\n'],
  ['account in connect', 'CONNECT {"verbose":false,"account":"A"}\r\n'],
  ['+OK from client', C + '+OK\r\n'],
  ['-ERR from client', C + "-ERR 'foo'\r\n"],
  ['PING with trailing junk', C + 'PINGX\r\n'],
  ['reserved reply prefix', C + 'PUB foo $JS.ACK.x.y 1\r\na\r\n'],
  ['gateway reply prefix subject', C + 'PUB _GR_.abc.def 1\r\na\r\n'],
  ['binary payload', C + 'SUB foo 1\r\nPUB foo 4\r\n\x00\r\n\xff\r\n'],
  ['utf8 subject', C + 'SUB caf\xc3\xa9 1\r\nPUB caf\xc3\xa9 1\r\na\r\n'],
];

async function exchange(port: number, script: string): Promise<{ out: string; closed: boolean }> {
  const c = await RawConn.connect(port);
  try {
    await c.info();
    c.send(script + 'PING\r\n');
    // The answer is complete when it ends with the PONG for our final PING, or the server closed.
    const out = await c.waitUntil((d) => /PONG\r\n$/.test(d) && (d.match(/PONG\r\n/g)?.length ?? 0) >= (script.match(/^PING/gim)?.length ?? 0) + 1, 3000);
    return { out, closed: c.closed };
  } finally {
    c.close();
  }
}

describe('protocol parity with the Go server', { skip: GO_SERVER_BIN ? false : 'Go nats-server not installed' }, () => {
  let go: GoServer;
  let ours: RunningServer;
  before(async () => {
    go = await startGoServer();
    ours = await startServer();
  });
  after(async () => {
    await go?.stop();
    await ours?.stop();
  });

  for (const [name, script] of SCRIPTS) {
    it(name, async () => {
      const [g, o] = await Promise.all([exchange(go.port, script), exchange(ours.port, script)]);
      assert.deepEqual(o, g, `ours vs Go for ${JSON.stringify(script)}`);
    });
  }

  it('headers are stripped for a subscriber that did not negotiate them', async () => {
    const run = async (port: number) => {
      const sub = await RawConn.connect(port);
      const pub = await RawConn.connect(port);
      await sub.info();
      await pub.info();
      sub.send(C + 'SUB foo 1\r\n');
      await sub.flush();
      pub.send(CH + 'HPUB foo 18 20\r\nNATS/1.0\r\nA: B\r\n\r\nhi\r\n');
      await pub.flush();
      const got = await sub.flush();
      sub.close();
      pub.close();
      return got;
    };
    const [g, o] = await Promise.all([run(go.port), run(ours.port)]);
    assert.equal(o, g);
    assert.equal(o, 'MSG foo 1 2\r\nhi\r\n');
  });

  it('queue groups deliver each message to exactly one member', async () => {
    const run = async (port: number) => {
      const members = await Promise.all([0, 1, 2].map(() => RawConn.connect(port)));
      for (const m of members) {
        await m.info();
        m.send(C + 'SUB q.test workers 1\r\n');
        await m.flush();
      }
      const pub = await RawConn.connect(port);
      await pub.info();
      let script = C;
      for (let k = 0; k < 300; k++) script += 'PUB q.test 1\r\nx\r\n';
      pub.send(script);
      await pub.flush();
      const counts = [];
      for (const m of members) {
        const d = await m.flush();
        counts.push(d.split('MSG q.test 1 1\r\n').length - 1);
        m.close();
      }
      pub.close();
      return counts;
    };
    for (const counts of [await run(go.port), await run(ours.port)]) {
      assert.equal(counts.reduce((a, b) => a + b, 0), 300);
      for (const n of counts) assert.ok(n > 30, `each member gets a share: ${counts}`);
    }
  });
});
