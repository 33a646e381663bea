/**
 * Rewriting a parsed publish's control line with another subject (a subject
 * mapping; a JetStream delivery's shown subject taken from its reply): the
 * new line `<subject>[ <reply>][ <hdr size>] <size>` is written into a
 * scratch buffer and the PubArg's offsets are pointed at it, so the writers
 * that echo control-line bytes (MSG, RMSG, LMSG) copy the new subject.
 */
import type { PubArg } from './parser.js';
import { copyBytes, writeLatin1 } from '../util/bytes.js';

/**
 * Write `subject`, the reply bytes `[rs, re)` of pa's current line (none when
 * rs < 0), the header size and the size into `line` (a larger buffer when it
 * is too small) and point pa's offsets at it. Returns the buffer used; pa's
 * subject/reply strings are left to the caller.
 */
export function rewriteControlLine(pa: PubArg, line: Buffer, subject: string, rs: number, re: number): Buffer {
  const ob = pa.buf;
  const rl = rs >= 0 ? re - rs + 1 : 0;
  const hl = pa.hdrStart >= 0 ? pa.hdrEnd - pa.hdrStart + 1 : 0;
  const need = subject.length + rl + hl + 1 + (pa.sizeEnd - pa.sizeStart);
  if (line.length < need) line = Buffer.allocUnsafe(Math.max(256, need * 2));
  let p = writeLatin1(line, subject, 0);
  const subjectEnd = p;
  if (rs >= 0) {
    line[p++] = 32;
    const nrs = p;
    p = copyBytes(ob, rs, re, line, p);
    pa.replyStart = nrs;
    pa.replyEnd = p;
  }
  if (hl > 0) {
    line[p++] = 32;
    const hs = p;
    p = copyBytes(ob, pa.hdrStart, pa.hdrEnd, line, p);
    pa.hdrStart = hs;
    pa.hdrEnd = p;
  }
  line[p++] = 32;
  const ss = p;
  p = copyBytes(ob, pa.sizeStart, pa.sizeEnd, line, p);
  pa.sizeStart = ss;
  pa.sizeEnd = p;
  pa.buf = line;
  pa.subjectStart = 0;
  pa.subjectEnd = subjectEnd;
  return line;
}
