/**
 * Leaf-origin route ops (Go lnoc, processRoutedOriginClusterMsgArgs and
 * processRemoteSub with an origin): a route parser hands `LMSG <origin> ...`
 * to the routed-message handler and `LS+ <origin> ...` / `LS- ...` to the
 * remote-sub handlers; the argument parser strips the origin and reads the
 * HMSG form, where a header size of 0 means no header block. Gateways reject
 * these ops as Go's parser does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KIND_ROUTER, Parser, PubArg, type ParserHandler } from '../../src/protocol/parser.js';
import { RoutedArgs, parseRoutedArgs } from '../../src/cluster/route/routed-args.js';

class RouteRecorder implements ParserHandler {
  events: string[] = [];
  ra = new RoutedArgs();
  onNonConnectFirstOp(): boolean { return true; }
  onConnect(): boolean { return true; }
  onPubArgs(): boolean { return true; }
  onRoutedMsgArgs(pa: PubArg, b: Buffer, s: number, e: number, isHeader: boolean, withOrigin: boolean): boolean {
    const err = parseRoutedArgs(this.ra, pa, b, s, e, isHeader, '', withOrigin);
    if (err !== null) this.events.push(`error ${err}`);
    return err === null;
  }
  onMsg(pa: PubArg, b: Buffer, s: number, e: number): boolean {
    this.events.push(`MSG ${this.ra.origin}|${this.ra.account}|${pa.subject}|${pa.reply}|${this.ra.queues.slice(0, this.ra.nq).join(',')}|${pa.hdr}|${b.toString('latin1', s, e)}`);
    return true;
  }
  onRemoteSub(b: Buffer, s: number, e: number, withOrigin?: boolean): boolean {
    this.events.push(`${withOrigin ? 'LS+' : 'RS+'} ${b.toString('latin1', s, e)}`);
    return true;
  }
  onRemoteUnsub(b: Buffer, s: number, e: number): boolean {
    this.events.push(`UNSUB ${b.toString('latin1', s, e)}`);
    return true;
  }
  onSub(): boolean { return true; }
  onUnsub(): boolean { return true; }
  onPing(): boolean { return true; }
  onPong(): boolean { return true; }
  onInfo(): boolean { return true; }
  onErr(): boolean { return true; }
  onParseError(): void { this.events.push('parse-error'); }
  onArgsError(): void { this.events.push('args-error'); }
  onMaxControlLine(): void { this.events.push('max-control-line'); }
}

function feed(input: string, split: number, gateway = false): string[] {
  const r = new RouteRecorder();
  const p = new Parser(r, 4096, KIND_ROUTER);
  p.gateway = gateway;
  const b = Buffer.from(input, 'latin1');
  if (split <= 0 || split >= b.length) p.parse(b);
  else if (p.parse(b.subarray(0, split))) p.parse(b.subarray(split));
  return r.events;
}

describe('route ops with a leaf origin', () => {
  const input = 'LS+ LC $G foo q 2\r\nLS- $G foo q\r\nLMSG LC $G foo 0 5\r\nhello\r\nLMSG LC $G bar + rep q1 q2 7 12\r\nNATS/\r\nworld\r\n';
  const want = [
    'LS+ LC $G foo q 2',
    'UNSUB $G foo q',
    'MSG LC|$G|foo|||-1|hello',
    'MSG LC|$G|bar|rep|q1,q2|7|NATS/\r\nworld',
  ];

  it('are parsed whole and split at every offset', () => {
    for (let k = 0; k < input.length; k++) assert.deepEqual(feed(input, k), want, `split at ${k}`);
  });

  it('an LMSG without enough fields is Go\'s parse error', () => {
    const ev = feed('LMSG LC $G foo 5\r\nhello\r\n', 0);
    assert.match(ev[0], /^error processRoutedOriginClusterMsgArgs Parse Error/);
  });

  it('a pinned-account route sends no account after the origin', () => {
    const ra = new RoutedArgs();
    const pa = new PubArg();
    const line = Buffer.from('LC foo reply 0 5', 'latin1');
    assert.equal(parseRoutedArgs(ra, pa, line, 0, line.length, true, 'ACC', true), null);
    assert.deepEqual([ra.origin, ra.account, pa.subject, pa.reply, pa.hdr, pa.size], ['LC', 'ACC', 'foo', 'reply', -1, 5]);
  });

  it('a gateway connection refuses them', () => {
    assert.deepEqual(feed('LMSG LC $G foo 0 5\r\nhello\r\n', 0, true), ['parse-error']);
  });
});
