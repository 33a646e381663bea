/**
 * Argument lines of the route protocol (Go route.go processRoutedMsgArgs,
 * processRoutedHeaderMsgArgs, processRemoteSub/Unsub):
 *
 *   RMSG <account> <subject> [<reply>] <size>
 *   RMSG <account> <subject> + <reply> <queue>... <size>
 *   RMSG <account> <subject> | <queue>... <size>
 *   HMSG ... the same with <header size> before <size>
 *   LMSG <origin> ... the HMSG form, header size always present (0 = none):
 *        a message from a leaf cluster (Go processRoutedOriginClusterMsgArgs)
 *
 * Fields are located as offsets into the line (no allocation); the subject
 * and the account name are decoded through one-entry caches, since a route
 * mostly carries runs of the same subject.
 */
import type { PubArg } from '../../protocol/parser.js';
import { parseSize } from '../../protocol/parser.js';
import { latin1 } from '../../util/bytes.js';

/** Per-connection state of the routed message being parsed. */
export class RoutedArgs {
  account = '';
  /** the leaf cluster an LMSG came from ('' for RMSG/HMSG) */
  origin = '';
  readonly queues: string[] = [];
  nq = 0;
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  private lastAcc = '';
  private readonly lastAccBytes = Buffer.allocUnsafe(64);
  private lastAccLen = -1;
  private lastSubj = '';
  private readonly lastSubjBytes = Buffer.allocUnsafe(128);
  private lastSubjLen = -1;

  accountString(b: Buffer, s: number, e: number): string {
    const n = e - s;
    if (n === this.lastAccLen && sameBytes(this.lastAccBytes, b, s, n)) return this.lastAcc;
    const str = latin1(b, s, e);
    if (n <= this.lastAccBytes.length) {
      b.copy(this.lastAccBytes, 0, s, e);
      this.lastAccLen = n;
      this.lastAcc = str;
    }
    return str;
  }

  subjectString(b: Buffer, s: number, e: number): string {
    const n = e - s;
    if (n === this.lastSubjLen && sameBytes(this.lastSubjBytes, b, s, n)) return this.lastSubj;
    const str = latin1(b, s, e);
    if (n <= this.lastSubjBytes.length) {
      b.copy(this.lastSubjBytes, 0, s, e);
      this.lastSubjLen = n;
      this.lastSubj = str;
    }
    return str;
  }
}

/** A byte loop: Buffer.compare with offsets validates its arguments on every call, which costs more than the compare. */
function sameBytes(cached: Buffer, b: Buffer, s: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (cached[k] !== b[s + k]) return false;
  return true;
}

/** Split on spaces and tabs into ra.starts/ends; returns the field count. */
function fields(ra: RoutedArgs, b: Buffer, s: number, e: number): number {
  let n = 0;
  let start = -1;
  for (let k = s; k <= e; k++) {
    const c = k < e ? b[k] : 32;
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      if (start >= 0) {
        if (n === ra.starts.length) {
          const ns = new Int32Array(n * 2);
          ns.set(ra.starts);
          ra.starts = ns;
          const ne = new Int32Array(n * 2);
          ne.set(ra.ends);
          ra.ends = ne;
        }
        ra.starts[n] = start;
        ra.ends[n] = k;
        n++;
        start = -1;
      }
    } else if (start < 0) start = k;
  }
  return n;
}

/** Fill `pa` and `ra` from an RMSG/HMSG line; returns Go's error text or null. */
export function parseRoutedArgs(ra: RoutedArgs, pa: PubArg, b: Buffer, s: number, e: number, isHeader: boolean, pinned = '', withOrigin = false): string | null {
  let n = fields(ra, b, s, e);
  ra.origin = '';
  if (withOrigin) {
    if (n < 5) return `processRoutedOriginClusterMsgArgs Parse Error: '${latin1(b, s, e)}'`;
    ra.origin = latin1(b, ra.starts[0], ra.ends[0]);
    n = dropFirst(ra, n);
  }
  if (pinned !== '') n = shiftForAccount(ra, n);
  const st = ra.starts;
  const en = ra.ends;
  const fn = withOrigin ? 'processRoutedOriginClusterMsgArgs' : isHeader ? 'processRoutedHeaderMsgArgs' : 'processRoutedMsgArgs';
  const minimal = isHeader ? 4 : 3;
  if (n < minimal) return `${fn} Parse Error: '${latin1(b, s, e)}'`;
  pa.buf = b;
  pa.replyStart = -1;
  pa.replyEnd = -1;
  ra.nq = 0;
  const last = n - 1;
  pa.sizeStart = st[last];
  pa.sizeEnd = en[last];
  let tail = last; // first field after the queues/reply
  if (isHeader) {
    pa.hdrStart = st[last - 1];
    pa.hdrEnd = en[last - 1];
    tail = last - 1;
  } else {
    pa.hdrStart = -1;
    pa.hdrEnd = -1;
  }
  if (n === minimal + 1) {
    pa.replyStart = st[2];
    pa.replyEnd = en[2];
  } else if (n > minimal + 1) {
    if (en[2] - st[2] !== 1 || (b[st[2]] !== 0x2b && b[st[2]] !== 0x7c)) return `${fn} Bad or Missing Reply Indicator: '${latin1(b, st[2], en[2])}'`;
    let q = 3;
    if (b[st[2]] === 0x2b) {
      pa.replyStart = st[3];
      pa.replyEnd = en[3];
      q = 4;
    }
    const qs = ra.queues;
    for (; q < tail; q++) qs[ra.nq++] = latin1(b, st[q], en[q]);
  }
  pa.size = parseSize(b, pa.sizeStart, pa.sizeEnd);
  if (pa.size < 0) return `${fn} Bad or Missing Size: '${latin1(b, s, e)}'`;
  if (isHeader) {
    pa.hdr = parseSize(b, pa.hdrStart, pa.hdrEnd);
    if (pa.hdr < 0 || pa.hdr > pa.size) return `${fn} Bad or Missing Header Size: '${latin1(b, s, e)}'`;
    if (pa.hdr === 0 && withOrigin) {
      // an LMSG always names a header size; 0 means the message has no header block
      pa.hdr = -1;
      pa.hdrStart = -1;
      pa.hdrEnd = -1;
    }
  } else pa.hdr = -1;
  ra.account = pinned !== '' ? pinned : ra.accountString(b, st[0], en[0]);
  pa.subjectStart = st[1];
  pa.subjectEnd = en[1];
  pa.subject = ra.subjectString(b, st[1], en[1]);
  pa.reply = pa.replyStart >= 0 ? latin1(b, pa.replyStart, pa.replyEnd) : '';
  return null;
}

/** Remove field 0 (an LMSG's origin) so the rest parses as HMSG. */
function dropFirst(ra: RoutedArgs, n: number): number {
  for (let k = 1; k < n; k++) {
    ra.starts[k - 1] = ra.starts[k];
    ra.ends[k - 1] = ra.ends[k];
  }
  return n - 1;
}

/** A pinned-account route sends no account (Go processRoutedMsgArgs): leave field 0 for it. */
function shiftForAccount(ra: RoutedArgs, n: number): number {
  if (n + 1 > ra.starts.length) {
    const ns = new Int32Array(ra.starts.length * 2);
    ns.set(ra.starts);
    ra.starts = ns;
    const ne = new Int32Array(ra.ends.length * 2);
    ne.set(ra.ends);
    ra.ends = ne;
  }
  for (let k = n; k > 0; k--) {
    ra.starts[k] = ra.starts[k - 1];
    ra.ends[k] = ra.ends[k - 1];
  }
  ra.starts[0] = 0;
  ra.ends[0] = 0;
  return n + 1;
}

/** Fields of an RS+/RS- line as strings (interest changes are not the hot path). Null when empty. */
export function splitArgs(b: Buffer, s: number, e: number): string[] | null {
  const out: string[] = [];
  let start = -1;
  for (let k = s; k <= e; k++) {
    const c = k < e ? b[k] : 32;
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      if (start >= 0) {
        out.push(latin1(b, start, k));
        start = -1;
      }
    } else if (start < 0) start = k;
  }
  return out.length === 0 ? null : out;
}
