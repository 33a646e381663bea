/**
 * The parser's leaf ops (LS+, LS-, LMSG, HMSG and their RS/RMSG spellings),
 * fed whole, byte by byte and split at every offset; they are parse errors
 * unless the parser belongs to a leaf connection.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Parser, type ParserHandler, type PubArg } from '../../src/protocol/parser.js';

class Recorder implements ParserHandler {
  events: string[] = [];
  onNonConnectFirstOp(): boolean {
    return true;
  }
  onConnect(b: Buffer, s: number, e: number): boolean {
    this.events.push(`CONNECT ${b.toString('latin1', s, e)}`);
    return true;
  }
  onPubArgs(): boolean {
    return true;
  }
  onMsg(pa: PubArg, b: Buffer, s: number, e: number): boolean {
    const q = pa.queuesStart >= 0 ? pa.buf.toString('latin1', pa.queuesStart, pa.queuesEnd) : '-';
    this.events.push(`MSG ${pa.subject}|${pa.reply}|${q}|${pa.hdr}|${pa.size}|${b.toString('latin1', s, e)}`);
    return true;
  }
  onSub(): boolean {
    this.events.push('SUB');
    return true;
  }
  onUnsub(): boolean {
    this.events.push('UNSUB');
    return true;
  }
  onLeafSub(b: Buffer, s: number, e: number): boolean {
    this.events.push(`LS+ ${b.toString('latin1', s, e)}`);
    return true;
  }
  onLeafUnsub(b: Buffer, s: number, e: number): boolean {
    this.events.push(`LS- ${b.toString('latin1', s, e)}`);
    return true;
  }
  onPing(): boolean {
    this.events.push('PING');
    return true;
  }
  onPong(): boolean {
    return true;
  }
  onInfo(): boolean {
    return true;
  }
  onErr(): boolean {
    return true;
  }
  onParseError(): void {
    this.events.push('parse-error');
  }
  onMaxControlLine(): void {
    this.events.push('max-control-line');
  }
  onArgsError(op: string): void {
    this.events.push(`args-error ${op}`);
  }
}

function run(input: string, leaf: boolean, split: number[] = []): string[] {
  const r = new Recorder();
  const p = new Parser(r, 4096);
  p.leaf = leaf;
  const b = Buffer.from(input, 'latin1');
  let from = 0;
  for (const at of [...split, b.length]) {
    if (!p.parse(b.subarray(from, at))) break;
    from = at;
  }
  return r.events;
}

const STREAM =
  'LS+ foo\r\nLS+ bar grp 3\r\nLS- foo\r\nls- bar grp\r\n' +
  'LMSG foo 5\r\nhello\r\n' +
  'LMSG foo _INBOX.1 2\r\nhi\r\n' +
  'LMSG foo + _INBOX.2 q1 q2 3\r\nabc\r\n' +
  'LMSG foo | q1 0\r\n\r\n' +
  'HMSG h + r q 12 14\r\nNATS/1.0\r\n\r\nok\r\n' +
  'HMSG h 12 12\r\nNATS/1.0\r\n\r\n\r\n' +
  'RS+ viaroute\r\nRMSG viaroute 1\r\nx\r\nPING\r\n';

const EXPECTED = [
  'LS+ foo',
  'LS+ bar grp 3',
  'LS- foo',
  'LS- bar grp',
  'MSG foo||-|-1|5|hello',
  'MSG foo|_INBOX.1|-|-1|2|hi',
  'MSG foo|_INBOX.2|q1 q2|-1|3|abc',
  'MSG foo||q1|-1|0|',
  'MSG h|r|q|12|14|NATS/1.0\r\n\r\nok',
  'MSG h||-|12|12|NATS/1.0\r\n\r\n',
  'LS+ viaroute',
  'MSG viaroute||-|-1|1|x',
  'PING',
];

describe('parser: leaf ops', () => {
  it('parses LS+/LS-/LMSG/HMSG with replies and queue lists', () => {
    assert.deepEqual(run(STREAM, true), EXPECTED);
  });

  it('gives the same result fed byte by byte', () => {
    const splits = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(run(STREAM, true, splits), EXPECTED);
  });

  it('gives the same result split in two at every offset', () => {
    for (let at = 1; at < STREAM.length; at++) assert.deepEqual(run(STREAM, true, [at]), EXPECTED, `split at ${at}`);
  });

  it('rejects leaf ops on a client connection', () => {
    for (const op of ['LS+ foo\r\n', 'LMSG foo 1\r\nx\r\n', 'HMSG foo 12 12\r\nNATS/1.0\r\n\r\n\r\n', 'RS+ foo\r\n', 'RMSG foo 1\r\nx\r\n']) {
      assert.deepEqual(run(op, false), ['parse-error'], op);
    }
  });

  it('reports bad LMSG/HMSG arguments', () => {
    assert.deepEqual(run('LMSG foo\r\n', true), ['args-error LMSG']);
    assert.deepEqual(run('LMSG foo x 1 2\r\n', true), ['args-error LMSG']);
    assert.deepEqual(run('LMSG foo bar\r\n', true), ['args-error LMSG']);
    assert.deepEqual(run('HMSG foo 5 2\r\n', true), ['args-error HMSG']);
    assert.deepEqual(run('HMSG foo 2\r\n', true), ['args-error HMSG']);
  });
});
