/**
 * Subject rules (Go sublist.go): tokens separated by '.', no empty tokens;
 * '*' matches one token and '>' one or more, each only as a whole token, '>'
 * only last. Whitespace is not allowed inside subjects.
 */

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

/** Valid subscription subject (wildcards allowed). */
export function isValidSubject(subject: string): boolean {
  const n = subject.length;
  if (n === 0) return false;
  let tokStart = 0;
  let sawFwc = false;
  for (let k = 0; k <= n; k++) {
    const c = k < n ? subject.charCodeAt(k) : 46;
    if (c === 46) {
      const len = k - tokStart;
      if (len === 0 || sawFwc) return false;
      if (len === 1 && subject.charCodeAt(tokStart) === 62) sawFwc = true;
      tokStart = k + 1;
    } else if (isSpace(c)) {
      return false;
    }
  }
  return true;
}

/** Valid and free of wildcard tokens. */
export function isValidLiteralSubject(subject: string): boolean {
  if (!isValidSubject(subject)) return false;
  return !subjectHasWildcard(subject);
}

/** What pedantic PUB checks. */
export function isValidPublishSubject(subject: string): boolean {
  return isValidLiteralSubject(subject);
}

/** True when some token is exactly '*' or '>'. */
export function subjectHasWildcard(subject: string): boolean {
  const n = subject.length;
  for (let k = 0; k < n; k++) {
    const c = subject.charCodeAt(k);
    if (c === 42 || c === 62) {
      const before = k === 0 || subject.charCodeAt(k - 1) === 46;
      const after = k === n - 1 || subject.charCodeAt(k + 1) === 46;
      if (before && after) return true;
    }
  }
  return false;
}

export function tokenize(subject: string): string[] {
  return subject.split('.');
}

/** Queue names may not contain whitespace. */
export function isValidQueueName(q: string): boolean {
  if (q.length === 0) return false;
  for (let k = 0; k < q.length; k++) if (isSpace(q.charCodeAt(k))) return false;
  return true;
}

/** Does `filter` (possibly with wildcards) match every subject `subject` can match? */
export function subjectIsSubsetMatch(subject: string, filter: string): boolean {
  const st = subject.split('.');
  const ft = filter.split('.');
  for (let i = 0; i < ft.length; i++) {
    const f = ft[i];
    if (f === '>') return i < st.length;
    if (i >= st.length) return false;
    const s = st[i];
    if (f === '*') {
      if (s === '>') return false;
      continue;
    }
    if (s !== f) return false;
  }
  return st.length === ft.length;
}

/** Does literal `subject` match `filter`? */
export function subjectMatchesFilter(subject: string, filter: string): boolean {
  return subjectIsSubsetMatch(subject, filter);
}
