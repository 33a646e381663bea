/**
 * In-process subscriptions and publishing (Go's internal clients: SYSTEM,
 * JETSTREAM, ACCOUNT kinds). Subsystems such as JetStream talk to the core
 * through this: they subscribe with a callback and publish by routing a
 * message exactly as a client publish would be routed.
 */
import net from 'node:net';
import { Client } from '../conn/client.js';
import { Subscription, type InternalMsgHandler } from '../conn/subscription.js';
import { PubArg } from '../protocol/parser.js';
import { copyBytes, writeLatin1, writeUint } from '../util/bytes.js';
import type { Account } from '../accounts/account.js';
import type { ClientHost } from '../conn/host.js';

export class InternalClient {
  readonly client: Client;
  private sidSeq = 0;
  private depth = 0;
  private readonly pa = new PubArg();
  private line = Buffer.allocUnsafe(256);

  /**
   * `client`: publish as this (connected) client instead of a new internal
   * one (an MQTT connection routes its publishes this way).
   */
  constructor(
    private readonly host: ClientHost & { route: ClientHost['route'] },
    cid: number,
    acc: Account,
    client?: Client,
  ) {
    if (client !== undefined) {
      this.client = client;
      return;
    }
    // Never connected: the socket only satisfies the Client constructor.
    this.client = new Client(host, new net.Socket(), cid, acc);
    this.client.headers = true;
    this.client.verbose = false;
    this.client.pedantic = false;
    this.client.connectReceived = true;
  }

  /** Subscribe in `acc` with a callback; the subscription lives until `unsubscribe`. */
  subscribe(acc: Account, subject: string, queue: string | null, cb: InternalMsgHandler, local = false): Subscription {
    const sub = new Subscription(this.client, subject, queue, `i${++this.sidSeq}`, cb);
    sub.local = local;
    acc.sl.insert(sub);
    return sub;
  }

  unsubscribe(acc: Account, sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    acc.sl.remove(sub);
  }

  /**
   * Route a message in `acc` as if published by a client. `hdr` is a full
   * header block or null. Returns true when any subscription received it.
   * `shown` is the subject receivers see when it differs from the one routed
   * on (JetStream deliveries route on the deliver subject, show the original).
   */
  publish(acc: Account, subject: string, reply: string, hdr: Buffer | null, payload: Buffer, shown: string = subject): boolean {
    const hl = hdr === null ? 0 : hdr.length;
    const msg = hl === 0 ? payload : adjacent(hdr!, payload) ?? Buffer.concat([hdr!, payload], hl + payload.length);
    return this.send(acc, subject, shown, reply, null, 0, msg, 0, hl, msg.length);
  }

  /**
   * `publish` with the reply given as the bytes reply[0, replyLen) (a caller's
   * scratch, copied here) and the message as buf[s, e), its first hdrLen bytes
   * the header block: JetStream deliveries write their ack subject as bytes
   * (the string is decoded only if a receiver asks for it) and send stored
   * messages in place.
   */
  publishRegion(acc: Account, subject: string, shown: string, reply: Buffer, replyLen: number, buf: Buffer, s: number, hdrLen: number, e: number): boolean {
    return this.send(acc, subject, shown, '', reply, replyLen, buf, s, hdrLen, e);
  }

  private send(acc: Account, subject: string, shown: string, reply: string, replyBytes: Buffer | null, replyLen: number, buf: Buffer, s: number, hl: number, e: number): boolean {
    // Go processInboundClientMsg for internal kinds: an answer on the plain
    // reply of a request that an internal subscription received over a
    // gateway goes back under its routed `_GR_.` form.
    const gr = acc.gwReplies;
    if (gr !== null && gr.size > 0) {
      const routed = gr.get(subject);
      if (routed !== null) {
        if (shown === subject) shown = routed;
        subject = routed;
      }
    }
    const total = e - s;
    // Nested publishes (a callback publishing while an outer route is running)
    // must not reuse the outer control line or PubArg.
    const nested = this.depth > 0;
    const rl = replyBytes === null ? reply.length : replyLen;
    const need = shown.length + rl + 24;
    let line: Buffer;
    let pa: PubArg;
    if (nested) {
      line = Buffer.allocUnsafe(need);
      pa = new PubArg();
    } else {
      if (this.line.length < need) this.line = Buffer.allocUnsafe(need * 2);
      line = this.line;
      pa = this.pa;
    }
    // Control line written in place: `<shown>[ <reply>][ <hdr len>] <total>`.
    let p = writeLatin1(line, shown, 0);
    const subjectEnd = p;
    let replyStart = -1;
    let replyEnd = -1;
    if (rl > 0) {
      line[p++] = 32;
      replyStart = p;
      p = replyBytes === null ? writeLatin1(line, reply, p) : copyBytes(replyBytes, 0, rl, line, p);
      replyEnd = p;
    }
    let hdrStart = -1;
    let hdrEnd = -1;
    if (hl > 0) {
      line[p++] = 32;
      hdrStart = p;
      p = writeUint(line, hl, p);
      hdrEnd = p;
    }
    line[p++] = 32;
    const sizeStart = p;
    p = writeUint(line, total, p);
    const sizeEnd = p;
    pa.buf = line;
    pa.subjectStart = 0;
    pa.subjectEnd = subjectEnd;
    pa.replyStart = replyStart;
    pa.replyEnd = replyEnd;
    pa.hdrStart = hdrStart;
    pa.hdrEnd = hdrEnd;
    pa.sizeStart = sizeStart;
    pa.sizeEnd = sizeEnd;
    pa.size = total;
    pa.hdr = hl > 0 ? hl : -1;
    pa.subject = subject;
    pa.shown = shown === subject ? null : shown;
    if (replyBytes === null) pa.reply = reply;
    else pa.replyInBuf();
    this.depth++;
    try {
      return this.host.route(this.client, acc, pa, buf, s, e);
    } finally {
      this.depth--;
    }
  }
}

/** One view over header block and payload when they sit side by side in one buffer (stored messages). */
function adjacent(a: Buffer, b: Buffer): Buffer | null {
  if (a.buffer !== b.buffer || a.byteOffset + a.length !== b.byteOffset) return null;
  return Buffer.from(a.buffer, a.byteOffset, a.length + b.length);
}
