/**
 * Minimal raw NATS client pieces for the load generator: connect, wait for a
 * PONG, and count MSG/HMSG frames by skipping payloads by their size (no
 * string decoding of payloads), across chunk boundaries.
 */
import net from 'node:net';

export const CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n';

export function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Counts delivered messages; calls onPong for each PONG. */
export class FrameCounter {
  msgs = 0;
  private skip = 0; // payload bytes (+CRLF) still to skip
  private line = '';
  /** `onMsg` (optional) receives each MSG/HMSG control line; benchmarks that ack need the reply subject. */
  constructor(
    private readonly onPong: () => void = () => {},
    private readonly onMsg: ((line: string) => void) | null = null,
  ) {}

  feed(b: Buffer): void {
    let i = 0;
    const n = b.length;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        this.skip -= k;
        i += k;
        continue;
      }
      const nl = b.indexOf(10, i);
      if (nl < 0) {
        this.line += b.latin1Slice(i, n);
        return;
      }
      if (this.line.length > 0) {
        // A control line split across chunks: rare, handle it as a string.
        const line = this.line + b.latin1Slice(i, nl);
        this.line = '';
        i = nl + 1;
        this.control(line);
        continue;
      }
      const c = b[i];
      if (c === 77 || c === 72) {
        // MSG/HMSG: the last field before CR LF is the size to skip; read its digits backwards.
        let k = nl - 1;
        if (b[k] === 13) k--;
        let size = 0;
        let mul = 1;
        while (k > i && b[k] !== 32) {
          size += (b[k] - 48) * mul;
          mul *= 10;
          k--;
        }
        this.skip = size + 2;
        this.msgs++;
        if (this.onMsg !== null) this.onMsg(b.latin1Slice(i, nl));
        i = nl + 1;
        continue;
      }
      const line = b.latin1Slice(i, nl);
      i = nl + 1;
      this.control(line);
    }
  }

  private control(line: string): void {
    const c = line.charCodeAt(0);
    if (c === 77 || c === 72) {
      const sp = line.lastIndexOf(' ');
      this.skip = parseInt(line.slice(sp + 1), 10) + 2;
      this.msgs++;
      if (this.onMsg !== null) this.onMsg(line);
    } else if (line.startsWith('PONG')) this.onPong();
  }
}

declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
  }
}
