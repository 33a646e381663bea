/**
 * Subject helpers with the verdicts of Go's server/sublist.go.
 *
 * Subjects are '.'-separated tokens. A token that is exactly '*' matches any
 * one token, a token that is exactly '>' matches one or more trailing tokens
 * and must be the last; '*' or '>' inside a longer token ("a*", ">b") is an
 * ordinary character. Subjects arrive here as latin1 byte strings, so every
 * check is a charCode scan with no allocation.
 *
 * Go has three validity checks with deliberately different strictness, and
 * callers must pick the one Go picks:
 *   - isValidSubject: no empty tokens, '>' only last, no whitespace
 *     (' ', '\t', '\n', '\r', '\f'). Used for config, permissions, JetStream.
 *   - isValidLiteralSubject: no empty tokens and no wildcard tokens, but NO
 *     whitespace check. This is what a pedantic PUB is checked with
 *     (client.go processInboundClientMsg).
 *   - isValidPublishSubject: isValidSubject and no wildcard tokens.
 * SUB itself is only checked by Sublist.insert (empty tokens, '>' not last).
 */

const DOT = 46; // '.'
const PWC = 42; // '*'
const FWC = 62; // '>'

/** The whitespace set Go rejects inside subjects. */
function isSubjectSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

/** Go IsValidSubject. */
export function isValidSubject(subject: string): boolean {
  const n = subject.length;
  if (n === 0) return false;
  let start = 0;
  let sawFwc = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? subject.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (i === start || sawFwc) return false;
      if (i - start === 1 && subject.charCodeAt(start) === FWC) sawFwc = true;
      start = i + 1;
    } else if (isSubjectSpace(c)) {
      return false;
    }
  }
  return true;
}

/**
 * The rule Sublist.insert applies (Go Sublist.Insert): non-empty tokens and
 * '>' only as the last token. Whitespace is not looked at.
 */
export function isValidSublistSubject(subject: string): boolean {
  const n = subject.length;
  if (n === 0) return false;
  let start = 0;
  let sawFwc = false;
  for (;;) {
    let end = subject.indexOf('.', start);
    if (end < 0) end = n;
    if (end === start || sawFwc) return false;
    if (end - start === 1 && subject.charCodeAt(start) === FWC) sawFwc = true;
    if (end === n) return true;
    start = end + 1;
  }
}

/** Go IsValidLiteralSubject: non-empty tokens, none exactly '*' or '>'; whitespace allowed. */
export function isValidLiteralSubject(subject: string): boolean {
  const n = subject.length;
  if (n === 0) return false;
  let start = 0;
  for (;;) {
    let end = subject.indexOf('.', start);
    if (end < 0) end = n;
    const len = end - start;
    if (len === 0) return false;
    if (len === 1) {
      const c = subject.charCodeAt(start);
      if (c === PWC || c === FWC) return false;
    }
    if (end === n) return true;
    start = end + 1;
  }
}

/** Go IsValidPublishSubject: isValidSubject and no wildcard token. */
export function isValidPublishSubject(subject: string): boolean {
  return isValidSubject(subject) && !subjectHasWildcard(subject);
}

/** True when some token is exactly '*' or '>' (Go subjectHasWildcard). */
export function subjectHasWildcard(subject: string): boolean {
  const n = subject.length;
  for (let i = 0; i < n; i++) {
    const c = subject.charCodeAt(i);
    if (c === PWC || c === FWC) {
      if ((i === 0 || subject.charCodeAt(i - 1) === DOT) && (i + 1 === n || subject.charCodeAt(i + 1) === DOT)) return true;
    }
  }
  return false;
}

/** Go subjectIsLiteral: no wildcard token (validity not checked). */
export function subjectIsLiteral(subject: string): boolean {
  return !subjectHasWildcard(subject);
}

/** Split into tokens (not for the hot path). */
export function tokenize(subject: string): string[] {
  return subject.split('.');
}

/** Number of tokens; 0 for the empty string (Go numTokens). */
export function numTokens(subject: string): number {
  if (subject.length === 0) return 0;
  let n = 1;
  let i = subject.indexOf('.');
  while (i >= 0) {
    n++;
    i = subject.indexOf('.', i + 1);
  }
  return n;
}

/** 1-based token at `index`, '' when out of range (Go tokenAt). */
export function tokenAt(subject: string, index: number): string {
  if (index < 1) return '';
  let start = 0;
  for (let t = 1; ; t++) {
    let end = subject.indexOf('.', start);
    if (end < 0) end = subject.length;
    if (t === index) return subject.slice(start, end);
    if (end === subject.length) return '';
    start = end + 1;
  }
}

/**
 * Queue names: Go does not validate them when a client subscribes (the
 * parser's argument splitting is the only constraint), so anything non-empty
 * is accepted. The `_sys_` group is a permissions matter, not a syntax one.
 */
export function isValidQueueName(q: string): boolean {
  return q.length > 0;
}

/**
 * Is every subject that `subject` can match also matched by `filter`? Both may
 * hold wildcards; "foo.*" is a subset of ">", "*.*" and "foo.*" but not of
 * "foo.bar". Empty tokens on either side give false. As in Go
 * (isSubsetMatchTokenized), a filter token that merely starts with '*' acts
 * as a '*' wildcard; that quirk is kept for identical permission verdicts.
 */
export function subjectIsSubsetMatch(subject: string, filter: string): boolean {
  const sn = subject.length;
  const fn = filter.length;
  let si = 0;
  let fi = 0;
  let sDone = false;
  for (;;) {
    // next filter token [fi, fe)
    let fe = filter.indexOf('.', fi);
    if (fe < 0) fe = fn;
    if (sDone) return false; // filter has more tokens than subject
    let se = subject.indexOf('.', si);
    if (se < 0) se = sn;
    const fl = fe - fi;
    if (fl === 0) return false;
    const f0 = filter.charCodeAt(fi);
    if (fl === 1 && f0 === FWC) return true;
    const sl = se - si;
    if (sl === 0) return false;
    const s0 = subject.charCodeAt(si);
    if (sl === 1 && s0 === FWC) return false;
    if (sl === 1 && s0 === PWC) {
      if (!(fl === 1 && f0 === PWC)) return false;
    } else if (f0 !== PWC && !sameToken(subject, si, sl, filter, fi, fl)) {
      return false;
    }
    const sLast = se === sn;
    if (fe === fn) return sLast; // both exhausted together?
    if (sLast) sDone = true;
    fi = fe + 1;
    si = se + 1;
  }
}

/** Alias kept for callers that use Go's exported name. */
export function subjectMatchesFilter(subject: string, filter: string): boolean {
  return subjectIsSubsetMatch(subject, filter);
}

function sameToken(a: string, ai: number, al: number, b: string, bi: number, bl: number): boolean {
  if (al !== bl) return false;
  for (let k = 0; k < al; k++) if (a.charCodeAt(ai + k) !== b.charCodeAt(bi + k)) return false;
  return true;
}

/**
 * Does the subscription subject `pattern` match `literal`? Every character of
 * `literal` is taken literally (a published "foo.*" is the token "*"), while
 * whole-token '*' and '>' in `pattern` are wildcards. Gives the same verdicts
 * as walking the sublist tree, which the result cache relies on (Go
 * matchLiteral); also used by /subsz?test=.
 */
export function matchLiteral(literal: string, pattern: string): boolean {
  const ln = literal.length;
  const pn = pattern.length;
  let li = 0;
  let pi = 0;
  for (;;) {
    let pe = pattern.indexOf('.', pi);
    if (pe < 0) pe = pn;
    let le = literal.indexOf('.', li);
    if (le < 0) le = ln;
    const pl = pe - pi;
    if (pl === 1) {
      const c = pattern.charCodeAt(pi);
      if (c === FWC) return true;
      if (c !== PWC && !sameToken(literal, li, le - li, pattern, pi, 1)) return false;
    } else if (!sameToken(literal, li, le - li, pattern, pi, pl)) {
      return false;
    }
    if (pe === pn) return le === ln;
    if (le === ln) return false;
    pi = pe + 1;
    li = le + 1;
  }
}

/**
 * Could some literal subject match both `a` and `b`? (Go SubjectsCollide,
 * used for overlapping stream subjects and mappings.)
 */
export function subjectsCollide(a: string, b: string): boolean {
  if (a === b) return true;
  const ta = a.split('.');
  const tb = b.split('.');
  const aFwc = ta.includes('>');
  const bFwc = tb.includes('>');
  const aLit = !subjectHasWildcard(a);
  const bLit = !subjectHasWildcard(b);
  if (aLit && bLit) return false;
  if (aLit) return subjectIsSubsetMatch(a, b);
  if (bLit) return subjectIsSubsetMatch(b, a);
  if (ta.length !== tb.length) {
    // the shorter side must end in '>' to reach the longer side's tokens
    if ((ta.length < tb.length && !aFwc) || (tb.length < ta.length && !bFwc)) return false;
  }
  const stop = Math.min(ta.length, tb.length);
  for (let i = 0; i < stop; i++) {
    const x = ta[i];
    const y = tb[i];
    if (x.length === 0 || y.length === 0) return false;
    const x0 = x.charCodeAt(0);
    const y0 = y.charCodeAt(0);
    // Go compares first characters only here, so "*x" behaves like a wildcard.
    if (x0 === PWC || x0 === FWC || y0 === PWC || y0 === FWC) continue;
    if (x !== y) return false;
  }
  return true;
}
