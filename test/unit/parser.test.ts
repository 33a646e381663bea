import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Parser, type ParserHandler, type PubArg } from '../../src/protocol/parser.js';

/** Records every callback as a string, so a stream can be compared however it was split. */
class Recorder implements ParserHandler {
  events: string[] = [];
  awaitingOk = true;
  onNonConnectFirstOp(): boolean {
    this.events.push('auth-violation');
    return false;
  }
  onConnect(b: Buffer, s: number, e: number): boolean {
    this.events.push(`CONNECT ${b.toString('latin1', s, e)}`);
    return true;
  }
  onPubArgs(pa: PubArg, isHeader: boolean): boolean {
    this.events.push(`${isHeader ? 'HPUB' : 'PUB'}-ARGS ${pa.subject}|${pa.reply}|${pa.hdr}|${pa.size}`);
    return true;
  }
  onMsg(pa: PubArg, b: Buffer, s: number, e: number): boolean {
    const size = pa.buf.toString('latin1', pa.sizeStart, pa.sizeEnd);
    this.events.push(`MSG ${pa.subject}|${pa.reply}|${size}|${b.toString('latin1', s, e)}`);
    return true;
  }
  onSub(b: Buffer, s: number, e: number): boolean {
    this.events.push(`SUB ${b.toString('latin1', s, e)}`);
    return true;
  }
  onUnsub(b: Buffer, s: number, e: number): boolean {
    this.events.push(`UNSUB ${b.toString('latin1', s, e)}`);
    return true;
  }
  onPing(): boolean {
    this.events.push('PING');
    return true;
  }
  onPong(): boolean {
    this.events.push('PONG');
    return true;
  }
  onInfo(b: Buffer, s: number, e: number): boolean {
    this.events.push(`INFO ${b.toString('latin1', s, e)}`);
    return true;
  }
  onErr(b: Buffer, s: number, e: number): boolean {
    this.events.push(`ERR ${b.toString('latin1', s, e)}`);
    return true;
  }
  onParseError(): void {
    this.events.push('parse-error');
  }
  onMaxControlLine(len: number): void {
    this.events.push(`max-control-line ${len}`);
  }
  onArgsError(op: string): void {
    this.events.push(`args-error ${op}`);
  }
}

function run(input: string | Buffer, chunks: number[] = [], mcl = 4096): string[] {
  const r = new Recorder();
  const p = new Parser(r, mcl);
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  let at = 0;
  for (const c of chunks) {
    if (!p.parse(buf.subarray(at, at + c))) return r.events;
    at += c;
  }
  p.parse(buf.subarray(at));
  return r.events;
}

/** Every way of cutting `input` into two chunks, and byte-by-byte, must give the same events. */
function assertSplitInvariant(input: string, expected: string[]): void {
  assert.deepEqual(run(input), expected, 'whole');
  for (let k = 1; k < input.length; k++) assert.deepEqual(run(input, [k]), expected, `split at ${k}`);
  assert.deepEqual(run(input, Array(input.length).fill(1)), expected, 'byte by byte');
}

describe('protocol parser', () => {
  it('parses every client op, case-insensitively', () => {
    const input =
      'CONNECT {"verbose":false}\r\n' +
      'pub foo 5\r\nhello\r\n' +
      'PUB foo.bar _INBOX.1 2\r\nhi\r\n' +
      'HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n' +
      'HPUB h r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n' +
      'SUB foo 1\r\nsub foo q 2\r\nUNSUB 1\r\nunsub 2 5\r\n' +
      'PING\r\nPONG\r\nping\r\n+OK\r\n-ERR \'x\'\r\nINFO {}\r\n';
    assertSplitInvariant(input, [
      'CONNECT {"verbose":false}',
      'PUB-ARGS foo||-1|5',
      'MSG foo||5|hello',
      'PUB-ARGS foo.bar|_INBOX.1|-1|2',
      'MSG foo.bar|_INBOX.1|2|hi',
      'HPUB-ARGS h||12|14',
      'MSG h||14|NATS/1.0\r\n\r\nhi',
      'HPUB-ARGS h|r|12|14',
      'MSG h|r|14|NATS/1.0\r\n\r\nhi',
      'SUB foo 1',
      'SUB foo q 2',
      'UNSUB 1',
      'UNSUB 2 5',
      'PING',
      'PONG',
      'PING',
      "ERR 'x'",
      'INFO {}',
    ]);
  });

  it('accepts tabs and runs of spaces between arguments, and bare LF line ends', () => {
    assertSplitInvariant('PUB\tfoo  \t 2\nhi\r\nPING\n', ['PUB-ARGS foo||-1|2', 'MSG foo||2|hi', 'PING']);
  });

  it('handles empty payloads', () => {
    assertSplitInvariant('PUB foo 0\r\n\r\nPING\r\n', ['PUB-ARGS foo||-1|0', 'MSG foo||0|', 'PING']);
  });

  it('ignores anything after PING/PONG up to the newline, as Go does', () => {
    assert.deepEqual(run('PINGX\r\nPING X\r\n'), ['PING', 'PING']);
  });

  it('passes payload bytes through untouched (binary, CR LF inside)', () => {
    const payload = Buffer.from([0, 13, 10, 255, 80, 85, 66, 32]);
    const frame = Buffer.concat([Buffer.from(`PUB bin ${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
    const r = new Recorder();
    const p = new Parser(r, 4096);
    for (let k = 0; k < frame.length; k++) p.parse(frame.subarray(k, k + 1));
    assert.equal(r.events[1], `MSG bin||8|${payload.toString('latin1')}`);
  });

  it('rejects unknown ops and a payload not followed by CR LF', () => {
    assert.deepEqual(run('FOO\r\n'), ['parse-error']);
    assert.deepEqual(run('MSG foo 1 2\r\nhi\r\n'), ['parse-error']);
    assert.deepEqual(run('RS+ foo\r\n'), ['parse-error']);
    assert.deepEqual(run('PUB foo 2\r\nhiX\r\n'), ['PUB-ARGS foo||-1|2', 'parse-error']);
    assert.deepEqual(run('PUB foo 2\r\nhi\rX'), ['PUB-ARGS foo||-1|2', 'parse-error']);
    assert.deepEqual(run('UNSUB\r\n'), ['parse-error']);
    // split variants of the bad trailer
    assert.deepEqual(run('PUB foo 2\r\nhiX\r\n', [12]), ['PUB-ARGS foo||-1|2', 'parse-error']);
    assert.deepEqual(run('PUB foo 2\r\nhiX\r\n', [13]), ['PUB-ARGS foo||-1|2', 'parse-error']);
  });

  it('reports malformed PUB/HPUB arguments without a parse error', () => {
    assert.deepEqual(run('PUB foo\r\n'), ['args-error PUB']);
    assert.deepEqual(run('PUB a b c 3\r\n'), ['args-error PUB']);
    assert.deepEqual(run('PUB foo -3\r\n'), ['args-error PUB']);
    assert.deepEqual(run('PUB foo 1234567890\r\n'), ['args-error PUB']);
    assert.deepEqual(run('HPUB foo 15 14\r\n'), ['args-error HPUB']);
    assert.deepEqual(run('HPUB foo 14\r\n'), ['args-error HPUB']);
  });

  it('enforces max_control_line on complete and on split argument lines', () => {
    const long = 'SUB ' + 'a'.repeat(100) + ' 1\r\n';
    assert.deepEqual(run(long, [], 64), ['max-control-line 102']);
    // chunk ends inside the line: checked at the end of the chunk
    const ev = run(long, [90], 64);
    assert.equal(ev.length, 1);
    assert.match(ev[0], /^max-control-line \d+$/);
    // at the limit is fine
    const ok = 'SUB ' + 'a'.repeat(60) + ' 1\r\n';
    assert.deepEqual(run(ok, [], 64), ['SUB ' + 'a'.repeat(60) + ' 1']);
  });

  it('requires CONNECT first when awaiting auth', () => {
    const r = new Recorder();
    const p = new Parser(r, 4096);
    p.awaitingConnect = true;
    p.parse(Buffer.from('PING\r\n'));
    assert.deepEqual(r.events, ['auth-violation']);
  });

  it('keeps offsets valid for a message whose arguments and payload arrive in different chunks', () => {
    const input = 'PUB subject.with.tokens reply.to 10\r\n0123456789\r\n';
    for (let a = 1; a < input.length; a++) {
      for (const b of [a + 1, a + 3, input.length - 1]) {
        if (b <= a || b >= input.length) continue;
        assert.deepEqual(run(input, [a, b - a]), ['PUB-ARGS subject.with.tokens|reply.to|-1|10', 'MSG subject.with.tokens|reply.to|10|0123456789'], `${a}/${b}`);
      }
    }
  });
});
