/**
 * Subject transforms (Go server/subject_transform.go): map a literal subject
 * matching a source pattern to a destination built from literal tokens, the
 * source's wildcard tokens and mapping functions:
 *
 *   $N / {{wildcard(N)}}        the N-th `*` token of the source
 *   {{partition(n[, i, j...])}} FNV-1a 32 of the given wildcard tokens (all
 *                               tokens joined with '.' when none) modulo n
 *   {{splitFromLeft(N, pos)}}   token N split in two after pos bytes
 *   {{splitFromRight(N, pos)}}  token N split in two pos bytes from its end
 *   {{sliceFromLeft(N, size)}}  token N cut into size-byte tokens from the left
 *   {{sliceFromRight(N, size)}} token N cut into size-byte tokens from the right
 *   {{split(N, delim)}}         token N split on delim (empty pieces dropped)
 *   {{left(N, len)}}            the first len bytes of token N
 *   {{right(N, len)}}           the last len bytes of token N
 *   {{random(n)}}               a random number in [0, n)
 *
 * Compilation follows Go's NewSubjectTransformWithStrict and
 * indexPlaceHolders (same checks, same order, same error texts); function
 * names are recognised with Go's patterns, whose camel-case letters may be
 * either case and which allow whitespace around the name, the parentheses and
 * after commas. Subjects are the server's latin1 byte strings, so lengths and
 * hashes are per byte as in Go. Applying a transform scans the subject once;
 * regular expressions are used only while compiling.
 */

// ---------------------------------------------------------------- errors (Go errors.go)

export const ERR_BAD_SUBJECT = 'invalid subject';
export const ERR_INVALID_MAPPING_DESTINATION = 'invalid mapping destination';
export const ERR_INVALID_MAPPING_DESTINATION_SUBJECT = `${ERR_INVALID_MAPPING_DESTINATION}: invalid transform`;
export const ERR_MAPPING_DESTINATION_NOT_USING_ALL_WILDCARDS = `${ERR_INVALID_MAPPING_DESTINATION}: not using all of the token wildcard(s)`;
export const ERR_UNKNOWN_MAPPING_DESTINATION_FUNCTION = `${ERR_INVALID_MAPPING_DESTINATION}: unknown function`;
export const ERR_MAPPING_DESTINATION_INDEX_OUT_OF_RANGE = `${ERR_INVALID_MAPPING_DESTINATION}: wildcard index out of range`;
export const ERR_MAPPING_DESTINATION_NOT_ENOUGH_ARGS = `${ERR_INVALID_MAPPING_DESTINATION}: not enough arguments passed to the function`;
export const ERR_MAPPING_DESTINATION_INVALID_ARG = `${ERR_INVALID_MAPPING_DESTINATION}: function argument is invalid or in the wrong format`;
export const ERR_MAPPING_DESTINATION_TOO_MANY_ARGS = `${ERR_INVALID_MAPPING_DESTINATION}: too many arguments passed to the function`;
export const ERR_MAPPING_DESTINATION_NOT_SUPPORTED_FOR_IMPORT = `${ERR_INVALID_MAPPING_DESTINATION}: the only mapping function allowed for import transforms is {{Wildcard()}}`;

/** A source/destination pair that cannot be compiled; `message` is Go's error text. */
export class SubjectTransformError extends Error {
  readonly code = 'ERR_SUBJECT_TRANSFORM';
  constructor(message: string) {
    super(message);
    this.name = 'SubjectTransformError';
  }
}

/** Go mappingDestinationErr: `<err> in <token>`, or just `<err>` without a token. */
function destErr(token: string, err: string): SubjectTransformError {
  return new SubjectTransformError(token === '' ? err : `${err} in ${token}`);
}

// ---------------------------------------------------------------- function kinds

const NO_TRANSFORM = 0;
const PARTITION = 2;
const WILDCARD = 3;
const SPLIT_FROM_LEFT = 4;
const SPLIT_FROM_RIGHT = 5;
const SLICE_FROM_LEFT = 6;
const SLICE_FROM_RIGHT = 7;
const SPLIT = 8;
const LEFT = 9;
const RIGHT = 10;
const RANDOM = 11;

const MAX_INT32 = 2147483647n;
const MIN_INT32 = -2147483648n;
const MAX_INT64 = 9223372036854775807n;
const MIN_INT64 = -9223372036854775808n;

/** Go's `\s`: RE2's Perl class is exactly these five characters. */
const WS = '[\\t\\n\\f\\r ]';

/**
 * Go's `{{\s*[pP]artition\s*\((.*)\)\s*}}` and friends: the capital letters of
 * the camel-case name match either case, the others only as written. `.` in
 * Go does not match a newline (JS's also refuses \r and U+2028/9, hence [^\n]).
 */
function fnRegex(camel: string): RegExp {
  let name = '';
  for (const ch of camel) name += ch >= 'A' && ch <= 'Z' ? `[${ch}${ch.toLowerCase()}]` : ch;
  return new RegExp(`\\{\\{${WS}*${name}${WS}*\\(([^\\n]*)\\)${WS}*\\}\\}`);
}

const RE_PARTITION = fnRegex('Partition');
const RE_WILDCARD = fnRegex('Wildcard');
const RE_SPLIT_FROM_LEFT = fnRegex('SplitFromLeft');
const RE_SPLIT_FROM_RIGHT = fnRegex('SplitFromRight');
const RE_SLICE_FROM_LEFT = fnRegex('SliceFromLeft');
const RE_SLICE_FROM_RIGHT = fnRegex('SliceFromRight');
const RE_SPLIT = fnRegex('Split');
const RE_LEFT = fnRegex('Left');
const RE_RIGHT = fnRegex('Right');
const RE_RANDOM = fnRegex('Random');
const RE_COMMA = new RegExp(`,${WS}*`);

/** Go getMappingFunctionArgs: the comma-separated arguments, or null when the function does not appear. */
function fnArgs(re: RegExp, token: string): string[] | null {
  const m = re.exec(token);
  return m === null ? null : m[1].split(RE_COMMA);
}

/** Go strconv.Atoi on a 64-bit platform: optional sign, decimal digits, int64 range. */
function atoi(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  return v > MAX_INT64 || v < MIN_INT64 ? null : v;
}

/** Go strings.Trim(s, " ") */
function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 32) a++;
  while (b > a && s.charCodeAt(b - 1) === 32) b--;
  return s.slice(a, b);
}

/** An index argument as a JS number (values past 2^53 only ever compare as "too large" or map to token 0). */
function toIndex(v: bigint): number {
  return Number(v);
}

/** Go's int32(x) conversion of an int: keep the low 32 bits, two's complement. */
function toInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

interface Placeholder {
  kind: number;
  /** wildcard indexes (1-based, as written) */
  idx: number[];
  int: number;
  str: string;
}

const LITERAL: Placeholder = { kind: NO_TRANSFORM, idx: [-1], int: -1, str: '' };

/** Go transformIndexIntArgsHelper: (wildcard index, int32) functions. */
function indexIntArgs(token: string, args: string[], kind: number): Placeholder {
  if (args.length < 2) throw destErr(token, ERR_MAPPING_DESTINATION_NOT_ENOUGH_ARGS);
  if (args.length > 2) throw destErr(token, ERR_MAPPING_DESTINATION_TOO_MANY_ARGS);
  const i = atoi(trimSpaces(args[0]));
  if (i === null) throw destErr(token, ERR_MAPPING_DESTINATION_INVALID_ARG);
  const n = atoi(trimSpaces(args[1]));
  if (n === null || n > MAX_INT32 || n < MIN_INT32) throw destErr(token, ERR_MAPPING_DESTINATION_INVALID_ARG);
  return { kind, idx: [toIndex(i)], int: Number(n), str: '' };
}

/** Go indexPlaceHolders: classify one destination token. */
function indexPlaceholders(token: string): Placeholder {
  const length = token.length;
  if (length <= 1) return LITERAL;
  // legacy $N; anything else starting with '$' is a literal token
  if (token.charCodeAt(0) === 36) {
    const n = atoi(token.slice(1));
    return n === null ? LITERAL : { kind: WILDCARD, idx: [toIndex(n)], int: -1, str: '' };
  }
  if (!(length > 4 && token.startsWith('{{') && token.endsWith('}}'))) return LITERAL;

  let args = fnArgs(RE_WILDCARD, token);
  if (args !== null) {
    if (args.length === 1 && args[0] === '') throw destErr(token, ERR_MAPPING_DESTINATION_NOT_ENOUGH_ARGS);
    if (args.length !== 1) throw destErr(token, ERR_MAPPING_DESTINATION_TOO_MANY_ARGS);
    const i = atoi(trimSpaces(args[0]));
    if (i === null) throw destErr(token, ERR_MAPPING_DESTINATION_INVALID_ARG);
    return { kind: WILDCARD, idx: [toIndex(i)], int: -1, str: '' };
  }

  args = fnArgs(RE_PARTITION, token);
  if (args !== null) {
    const n = atoi(trimSpaces(args[0]));
    if (n === null || n > MAX_INT32) throw destErr(token, ERR_MAPPING_DESTINATION_INVALID_ARG);
    const idx: number[] = [];
    for (let k = 1; k < args.length; k++) {
      const i = atoi(trimSpaces(args[k]));
      if (i === null) throw destErr(token, ERR_MAPPING_DESTINATION_INVALID_ARG);
      idx.push(toIndex(i));
    }
    return { kind: PARTITION, idx, int: toInt32(n), str: '' };
  }

  if ((args = fnArgs(RE_SPLIT_FROM_LEFT, token)) !== null) return indexIntArgs(token, args, SPLIT_FROM_LEFT);
  if ((args = fnArgs(RE_SPLIT_FROM_RIGHT, token)) !== null) return indexIntArgs(token, args, SPLIT_FROM_RIGHT);
  if ((args = fnArgs(RE_SLICE_FROM_LEFT, token)) !== null) return indexIntArgs(token, args, SLICE_FROM_LEFT);
  if ((args = fnArgs(RE_SLICE_FROM_RIGHT, token)) !== null) return indexIntArgs(token, args, SLICE_FROM_RIGHT);
  if ((args = fnArgs(RE_RIGHT, token)) !== null) return indexIntArgs(token, args, RIGHT);
  if ((args = fnArgs(RE_LEFT, token)) !== null) return indexIntArgs(token, args, LEFT);

  args = fnArgs(RE_SPLIT, token);
  if (args !== null) {
    if (args.length < 2) throw destErr(token, ERR_MAPPING_DESTINATION_NOT_ENOUGH_ARGS);
    if (args.length > 2) throw destErr(token, ERR_MAPPING_DESTINATION_TOO_MANY_ARGS);
    const i = atoi(trimSpaces(args[0]));
    if (i === null) throw destErr(token, ERR_MAPPING_DESTINATION_INVALID_ARG);
    if (args[1].includes(' ') || args[1].includes('.')) throw destErr(token, ERR_MAPPING_DESTINATION_INVALID_ARG);
    return { kind: SPLIT, idx: [toIndex(i)], int: -1, str: args[1] };
  }

  args = fnArgs(RE_RANDOM, token);
  if (args !== null) {
    // Go reports any argument count but one as "not enough"
    if (args.length !== 1) throw destErr(token, ERR_MAPPING_DESTINATION_NOT_ENOUGH_ARGS);
    const n = atoi(trimSpaces(args[0]));
    if (n === null || n > MAX_INT32) throw destErr(token, ERR_MAPPING_DESTINATION_INVALID_ARG);
    return { kind: RANDOM, idx: [], int: toInt32(n), str: '' };
  }

  throw destErr(token, ERR_UNKNOWN_MAPPING_DESTINATION_FUNCTION);
}

/** Go subjectInfo: tokens, number of `*`, whether it ends in `>`; null when not a valid subject. */
function subjectInfo(subject: string): { tokens: string[]; npwcs: number; fwc: boolean } | null {
  if (subject === '') return null;
  const tokens = subject.split('.');
  let npwcs = 0;
  let fwc = false;
  for (const t of tokens) {
    if (t.length === 0 || fwc) return null;
    if (t === '>') fwc = true;
    else if (t === '*') npwcs++;
  }
  return { tokens, npwcs, fwc };
}

// ---------------------------------------------------------------- compile

/**
 * Compile `src` -> `dest` (Go NewSubjectTransformWithStrict). An empty `src`
 * means `>`; an empty `dest` keeps the subject as it is (Go returns no transform).
 * `strict` is the import form: only wildcard placeholders, and every source
 * wildcard must be used. Throws SubjectTransformError with Go's text.
 */
export function compileTransform(src: string, dest: string, strict = false): SubjectTransform {
  if (src === '') src = '>';
  const si = subjectInfo(src);
  // no destination: keep the subject (Go returns no transform at all)
  if (dest === '' && si !== null) dest = si.npwcs > 0 ? transformTokenize(src) : src;
  const di = subjectInfo(dest);
  if (si === null || di === null || di.npwcs > 0 || si.fwc !== di.fwc) throw new SubjectTransformError(ERR_BAD_SUBJECT);

  const kinds: number[] = [];
  const idxs: number[][] = [];
  const ints: number[] = [];
  const strs: string[] = [];
  if (si.npwcs > 0 || si.fwc) {
    // position in the source of the N-th `*` (1-based); unknown N reads token 0, as Go's map lookup does
    const sti = new Map<number, number>();
    si.tokens.forEach((t, i) => {
      if (t === '*') sti.set(sti.size + 1, i);
    });
    let nphs = 0;
    for (const token of di.tokens) {
      const ph = indexPlaceholders(token);
      if (strict && ph.kind !== NO_TRANSFORM && ph.kind !== WILDCARD) throw destErr(token, ERR_MAPPING_DESTINATION_NOT_SUPPORTED_FOR_IMPORT);
      if (ph.kind === NO_TRANSFORM) {
        kinds.push(NO_TRANSFORM); idxs.push([-1]); ints.push(-1); strs.push('');
      } else if (ph.kind === RANDOM) {
        kinds.push(RANDOM); idxs.push([]); ints.push(ph.int); strs.push('');
      } else {
        nphs += ph.idx.length;
        const stis: number[] = [];
        for (const wi of ph.idx) {
          if (wi > si.npwcs) throw destErr(`${token}: [${wi}]`, ERR_MAPPING_DESTINATION_INDEX_OUT_OF_RANGE);
          stis.push(sti.get(wi) ?? 0);
        }
        kinds.push(ph.kind); idxs.push(stis); ints.push(ph.int); strs.push(ph.str);
      }
    }
    if (strict && nphs < si.npwcs) throw destErr(dest, ERR_MAPPING_DESTINATION_NOT_USING_ALL_WILDCARDS);
  } else {
    // literal source: only partition (of the whole subject) and random make sense
    for (const token of di.tokens) {
      const ph = indexPlaceholders(token);
      if (ph.kind === NO_TRANSFORM) {
        kinds.push(NO_TRANSFORM); idxs.push([-1]); ints.push(-1); strs.push('');
      } else if (ph.kind === RANDOM || ph.kind === PARTITION) {
        kinds.push(ph.kind); idxs.push([]); ints.push(ph.int); strs.push('');
      } else {
        throw destErr(token, ERR_MAPPING_DESTINATION_INDEX_OUT_OF_RANGE);
      }
    }
  }
  return new SubjectTransform(src, dest, si.tokens, di.tokens, kinds, idxs, ints, strs);
}

/**
 * Go ValidateMapping, the extra checks account mappings make before compiling:
 * no empty token or token after `>`, whitespace only inside a function token,
 * and a `{{...}}` token must name a function. Go's list here lacks left() and
 * right(), so account mappings reject them as unknown functions, as Go does.
 */
export function validateMapping(src: string, dest: string): void {
  if (dest === '') return;
  let fwc = false;
  for (const t of dest.split('.')) {
    const length = t.length;
    if (length === 0 || fwc) throw destErr(t, ERR_INVALID_MAPPING_DESTINATION_SUBJECT);
    if (length > 4 && t.startsWith('{{') && t.endsWith('}}')) {
      if (
        !RE_PARTITION.test(t) && !RE_WILDCARD.test(t) && !RE_SPLIT_FROM_LEFT.test(t) && !RE_SPLIT_FROM_RIGHT.test(t) &&
        !RE_SLICE_FROM_LEFT.test(t) && !RE_SLICE_FROM_RIGHT.test(t) && !RE_SPLIT.test(t) && !RE_RANDOM.test(t)
      ) {
        throw destErr(t, ERR_UNKNOWN_MAPPING_DESTINATION_FUNCTION);
      }
      continue;
    }
    if (t === '>') fwc = true;
    else if (/[\t\n\f\r ]/.test(t)) throw new SubjectTransformError(ERR_INVALID_MAPPING_DESTINATION_SUBJECT);
  }
  compileTransform(src, dest);
}

/**
 * Go transformTokenize: a source with `*` tokens as a destination that keeps
 * the subject unchanged ("foo.*.*" -> "foo.$1.$2").
 */
export function transformTokenize(subject: string): string {
  let i = 1;
  return subject
    .split('.')
    .map((t) => (t === '*' ? `$${i++}` : t))
    .join('.');
}

// ---------------------------------------------------------------- tokens

/**
 * Split `subject` on '.' into `out` (reused across calls); returns the token count.
 */
export function tokenizeInto(subject: string, out: string[]): number {
  let n = 0;
  let start = 0;
  const len = subject.length;
  for (let k = 0; k < len; k++) {
    if (subject.charCodeAt(k) === 46) {
      out[n++] = subject.slice(start, k);
      start = k + 1;
    }
  }
  out[n++] = subject.slice(start);
  return n;
}

/**
 * Go isSubsetMatchTokenized: does the subject in tokens[0, n) fall within the
 * pattern's tokens? (A `*` token in the subject only matches a `*`; a `>` in
 * the subject matches nothing but a pattern's `>`.)
 */
export function tokensMatch(tokens: string[], n: number, pattern: string[]): boolean {
  const pl = pattern.length;
  for (let i = 0; i < pl; i++) {
    if (i >= n) return false;
    const p = pattern[i];
    if (p === '>') return true;
    const t = tokens[i];
    if (t.length === 0 || t === '>') return false;
    if (t === '*') {
      if (p !== '*') return false;
    } else if (p !== '*' && p !== t) return false;
  }
  return n === pl;
}

/** FNV-1a 32 (Go hash/fnv New32a) over the bytes of a latin1 string, continuing from `h`. */
export function fnv1a32(s: string, h = 0x811c9dc5): number {
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Go strings.Split(s, "") for a latin1 byte string: one piece per UTF-8 sequence (bad bytes alone). */
function splitRunes(s: string): string[] {
  const out: string[] = [];
  let k = 0;
  while (k < s.length) {
    const c = s.charCodeAt(k);
    let n = c < 0xc2 || c > 0xf4 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (k + n > s.length) n = 1;
    for (let j = 1; j < n; j++) {
      const cc = s.charCodeAt(k + j);
      if (cc < 0x80 || cc > 0xbf) {
        n = 1;
        break;
      }
    }
    out.push(s.slice(k, k + n));
    k += n;
  }
  return out;
}

/** One compiled transform (Go subjectTransform). */
export class SubjectTransform {
  /** scratch tokens for apply() (single-threaded; apply is not re-entrant) */
  private readonly toks: string[] = [];
  private readonly fwcDest: boolean;
  /** the destination uses no source token and no function: it is always `dest` */
  readonly constant: boolean;

  constructor(
    readonly src: string,
    readonly dest: string,
    private readonly stoks: string[],
    private readonly dtoks: string[],
    private readonly kinds: number[],
    private readonly idxs: number[][],
    private readonly ints: number[],
    private readonly strs: string[],
  ) {
    this.fwcDest = dtoks.length > 0 && dtoks[dtoks.length - 1] === '>';
    this.constant = dest !== '' && !this.fwcDest && kinds.every((k) => k === NO_TRANSFORM);
  }

  /**
   * Transform a literal subject (Go Match): the mapped subject, or null when
   * `subject` does not match the source or is not a valid literal subject.
   */
  apply(subject: string): string | null {
    if ((this.src === '>' || this.src === '') && (this.dest === '>' || this.dest === '')) return subject;
    const t = this.toks;
    const n = tokenizeInto(subject, t);
    for (let k = 0; k < n; k++) {
      const tok = t[k];
      if (tok.length === 0 || tok === '*' || tok === '>') return null;
    }
    if (this.src !== '>' && !tokensMatch(t, n, this.stoks)) return null;
    return this.transformTokens(t, n);
  }

  /** Transform without checking the match (Go TransformSubject). */
  transformSubject(subject: string): string {
    const t = this.toks;
    return this.transformTokens(t, tokenizeInto(subject, t));
  }

  /**
   * Build the destination from a subject already split into tokens[0, n)
   * (Go TransformTokenizedSubject).
   */
  transformTokens(tokens: string[], n: number): string {
    const kinds = this.kinds;
    const nk = kinds.length;
    if (nk === 0) return this.dest;
    let b = '';
    const last = nk - 1;
    for (let i = 0; i < nk; i++) {
      const kind = kinds[i];
      if (kind === NO_TRANSFORM) {
        const lit = this.dtoks[i];
        if (lit === '>') break;
        b += lit;
      } else {
        b += this.fn(kind, i, tokens, n);
      }
      if (i < last) b += '.';
    }
    // a trailing `>` carries the rest of the subject over
    if (this.fwcDest) {
      for (let i = this.stoks.length - 1; i < n; i++) {
        b += tokens[i];
        if (i < n - 1) b += '.';
      }
    }
    return b;
  }

  private fn(kind: number, i: number, tokens: string[], n: number): string {
    const idx = this.idxs[i];
    const arg = this.ints[i];
    if (kind === PARTITION) {
      let h = 0x811c9dc5;
      if (idx.length > 0) {
        // the chosen tokens concatenated, no separator
        for (let k = 0; k < idx.length; k++) if (idx[k] < n) h = fnv1a32(tokens[idx[k]], h);
      } else {
        for (let k = 0; k < n; k++) {
          if (k > 0) h = Math.imul(h ^ 46, 0x01000193) >>> 0;
          h = fnv1a32(tokens[k], h);
        }
      }
      return arg === 0 ? '0' : String(h % (arg >>> 0));
    }
    if (kind === RANDOM) {
      if (arg === 0) return '0';
      return String(Math.floor(Math.random() * 0x80000000) % arg);
    }
    if (kind === WILDCARD) {
      const j = idx.length > 0 ? idx[0] : -1;
      return j >= 0 && j < n ? tokens[j] : '';
    }
    // (Go would index past the tokens and panic; only reachable through transformSubject on a non-match)
    const tok = idx[0] < n ? tokens[idx[0]] : '';
    const len = tok.length;
    switch (kind) {
      case SPLIT_FROM_LEFT:
        return arg > 0 && arg < len ? `${tok.slice(0, arg)}.${tok.slice(arg)}` : tok;
      case SPLIT_FROM_RIGHT:
        return arg > 0 && arg < len ? `${tok.slice(0, len - arg)}.${tok.slice(len - arg)}` : tok;
      case SLICE_FROM_LEFT: {
        if (!(arg > 0 && arg < len)) return tok;
        let b = '';
        for (let k = 0; k + arg <= len; k += arg) {
          if (k !== 0) b += '.';
          b += tok.slice(k, k + arg);
          if (k + arg !== len && k + 2 * arg > len) {
            b += `.${tok.slice(k + arg)}`;
            break;
          }
        }
        return b;
      }
      case SLICE_FROM_RIGHT: {
        if (!(arg > 0 && arg < len)) return tok;
        let b = '';
        const rem = len % arg;
        if (rem > 0) b += `${tok.slice(0, rem)}.`;
        for (let k = rem; k + arg <= len; k += arg) {
          b += tok.slice(k, k + arg);
          if (k + arg < len) b += '.';
        }
        return b;
      }
      case SPLIT: {
        const delim = this.strs[i];
        const parts = delim === '' ? splitRunes(tok) : tok.split(delim);
        let b = '';
        for (let j = 0; j < parts.length; j++) {
          const p = parts[j];
          if (p !== '') b += p;
          if (j < parts.length - 1 && parts[j + 1] !== '' && !(j === 0 && p === '')) b += '.';
        }
        return b;
      }
      case LEFT:
        return arg > 0 && arg < len ? tok.slice(0, arg) : tok;
      case RIGHT:
        return arg > 0 && arg < len ? tok.slice(len - arg) : tok;
      default:
        return '';
    }
  }
}
