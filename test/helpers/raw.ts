/**
 * Raw protocol client for send/expect tests (Go test/test.go style): exact
 * bytes in, exact bytes out, and whether the server closed the connection.
 */
import net from 'node:net';

export class RawConn {
  private data = '';
  closed = false;
  private waiters: (() => void)[] = [];
  readonly sock: net.Socket;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.data += d.toString('latin1');
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(s: string | Buffer): void {
    this.sock.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  }

  /** Everything received so far, consumed. */
  take(): string {
    const d = this.data;
    this.data = '';
    return d;
  }

  /** Wait until `pred(buffered)` holds, or the connection closes, or timeout. */
  async waitUntil(pred: (d: string) => boolean, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.data)) {
      if (this.closed) return this.data;
      const left = deadline - Date.now();
      if (left <= 0) return this.data;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.data;
  }

  /** Read the INFO line the server sends on accept and return its JSON. */
  async info(): Promise<Record<string, unknown>> {
    const r = splitInfo(await this.waitUntil((x) => x.includes('\r\n')));
    this.data = r.rest;
    return r.info;
  }

  /** Send PING and wait for the PONG that answers it; returns everything before it. */
  async flush(timeoutMs = 3000): Promise<string> {
    this.send('PING\r\n');
    const d = await this.waitUntil((x) => x.endsWith('PONG\r\n'), timeoutMs);
    this.data = '';
    return d.endsWith('PONG\r\n') ? d.slice(0, -6) : d;
  }

  /** Wait for the server to close the connection; returns what arrived before. */
  async waitClosed(timeoutMs = 3000): Promise<string> {
    return this.waitUntil(() => false, timeoutMs).then((d) => {
      this.data = '';
      return d;
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** The INFO line that starts `d`, parsed, and what follows it (throws when `d` starts with something else). */
export function splitInfo(d: string): { info: Record<string, unknown>; rest: string } {
  const end = d.indexOf('\r\n');
  const line = end < 0 ? d : d.slice(0, end);
  if (!line.startsWith('INFO ')) throw new Error(`expected INFO, got ${JSON.stringify(line)}`);
  return { info: JSON.parse(line.slice(5)) as Record<string, unknown>, rest: d.slice(end + 2) };
}
