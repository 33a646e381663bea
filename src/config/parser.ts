/**
 * The NATS configuration format (the behaviour of Go's conf/lex.go and
 * conf/parse.go, written anew): `key = value`, `key: value` or `key value`;
 * blocks `{}`; arrays `[]`; `#` and `//` comments; quoted and bare strings;
 * numbers with size suffixes; booleans; durations kept as strings; `$VAR`
 * references resolved through enclosing blocks and then the environment;
 * `include` of files relative to the including file; `( ... )` raw blocks.
 * Every value keeps its position so errors read `file:line:col: message`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';

export interface Pos {
  file: string;
  line: number;
  col: number;
}

export type ConfValue = string | number | boolean | Date | ConfValue[] | ConfMap;

/** A block: keys in order, with the position of each key. */
export class ConfMap {
  readonly values = new Map<string, ConfValue>();
  readonly keyPos = new Map<string, Pos>();
  /** keys that were only variable definitions referenced elsewhere */
  readonly usedVars = new Set<string>();
}

export interface ParseOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
}

const SIZE_SUFFIX: Record<string, number> = {
  k: 1000, kb: 1024, ki: 1024, kib: 1024,
  m: 1000 ** 2, mb: 1024 ** 2, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1000 ** 3, gb: 1024 ** 3, gi: 1024 ** 3, gib: 1024 ** 3,
  t: 1000 ** 4, tb: 1024 ** 4, ti: 1024 ** 4, tib: 1024 ** 4,
  p: 1000 ** 5, pb: 1024 ** 5, pi: 1024 ** 5, pib: 1024 ** 5,
  e: 1000 ** 6, eb: 1024 ** 6, ei: 1024 ** 6, eib: 1024 ** 6,
};

const BOOLS: Record<string, boolean> = { true: true, yes: true, on: true, false: false, no: false, off: false };

class Scanner {
  i = 0;
  line = 1;
  col = 1;
  constructor(readonly src: string, readonly file: string) {}

  pos(): Pos {
    return { file: this.file, line: this.line, col: this.col };
  }
  peek(o = 0): string {
    return this.src[this.i + o] ?? '';
  }
  eof(): boolean {
    return this.i >= this.src.length;
  }
  next(): string {
    const c = this.src[this.i++] ?? '';
    if (c === '\n') {
      this.line++;
      this.col = 1;
    } else this.col++;
    return c;
  }
  err(msg: string, p: Pos = this.pos()): never {
    throw new ConfigError(`${p.file}:${p.line}:${p.col}: ${msg}`);
  }
  /** Skip spaces, tabs, and comments; with `newlines`, newlines and separators too. */
  skip(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && (c === '\n' || c === ';' || c === ','))) this.next();
      else if (c === '#' || (c === '/' && this.peek(1) === '/')) {
        while (!this.eof() && this.peek() !== '\n') this.next();
      } else return;
    }
  }
}

/** A parsed value with what is needed to resolve variables later. */
interface Frame {
  map: ConfMap;
  parent: Frame | null;
}

export function parseConfig(text: string, opts: ParseOptions = {}): ConfMap {
  const file = opts.file ?? '<config>';
  const env = opts.env ?? process.env;
  const s = new Scanner(text, file);
  const root = new ConfMap();
  const stack: string[] = file === '<config>' ? [] : [resolve(file)];
  s.skip(true);
  // The whole file may be wrapped in braces.
  if (s.peek() === '{') {
    s.next();
    parseBody(s, { map: root, parent: null }, env, stack, '}');
  } else {
    parseBody(s, { map: root, parent: null }, env, stack, '');
  }
  return root;
}

function parseBody(s: Scanner, frame: Frame, env: NodeJS.ProcessEnv, stack: string[], close: string): void {
  for (;;) {
    s.skip(true);
    if (s.eof()) {
      if (close) s.err(`unexpected EOF, expected '${close}'`);
      return;
    }
    if (close && s.peek() === close) {
      s.next();
      return;
    }
    const kpos = s.pos();
    const key = readKey(s);
    if (key === '') s.err(`unexpected character '${s.peek()}'`);
    s.skip(false);
    if (key.toLowerCase() === 'include' && s.peek() !== '=' && s.peek() !== ':') {
      const p = s.peek() === '"' || s.peek() === "'" ? readQuoted(s) : readBareValue(s);
      const base = stack.length > 0 ? dirname(stack[stack.length - 1]) : process.cwd();
      const path = resolve(base, p);
      if (stack.includes(path)) s.err(`include cycle detected for "${p}"`, kpos);
      let inc: string;
      try {
        inc = readFileSync(path, 'utf8');
      } catch (e) {
        s.err(`error opening include file "${p}": ${(e as Error).message}`, kpos);
      }
      const is = new Scanner(inc, path);
      stack.push(path);
      parseBody(is, frame, env, stack, '');
      stack.pop();
      continue;
    }
    if (s.peek() === '=' || s.peek() === ':') {
      s.next();
      s.skip(false);
    }
    const value = parseValue(s, frame, env, stack);
    frame.map.values.set(key, value);
    frame.map.keyPos.set(key, kpos);
    // A value must end with a newline, separator, comment, or the block end.
    s.skip(false);
    const c = s.peek();
    if (!(c === '' || c === '\n' || c === ';' || c === ',' || c === '}' || c === '#' || (c === '/' && s.peek(1) === '/'))) {
      s.err(`expected a newline or separator after the value of "${key}", got '${c}'`);
    }
  }
}

function readKey(s: Scanner): string {
  const c = s.peek();
  if (c === '"' || c === "'") return readQuoted(s);
  let k = '';
  while (!s.eof()) {
    const ch = s.peek();
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '=' || ch === ':' || ch === '{' || ch === '[' || ch === '#') break;
    if (ch === '}' || ch === ']' || ch === ',' || ch === ';') break;
    k += s.next();
  }
  return k;
}

function readQuoted(s: Scanner): string {
  const start = s.pos();
  const q = s.next();
  let out = '';
  for (;;) {
    if (s.eof()) s.err('unterminated quoted string', start);
    const c = s.next();
    if (c === q) return out;
    if (c === '\n') s.err('unterminated quoted string', start);
    if (q === '"' && c === '\\') {
      const e = s.next();
      switch (e) {
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'x': {
          const h = s.next() + s.next();
          if (!/^[0-9a-fA-F]{2}$/.test(h)) s.err(`invalid escape \\x${h}`);
          out += String.fromCharCode(parseInt(h, 16));
          break;
        }
        default:
          s.err(`invalid escape character '\\${e}'`);
      }
    } else out += c;
  }
}

function parseValue(s: Scanner, frame: Frame, env: NodeJS.ProcessEnv, stack: string[]): ConfValue {
  const c = s.peek();
  const vpos = s.pos();
  if (c === '{') {
    s.next();
    const m = new ConfMap();
    parseBody(s, { map: m, parent: frame }, env, stack, '}');
    return m;
  }
  if (c === '[') {
    s.next();
    const arr: ConfValue[] = [];
    for (;;) {
      s.skip(true);
      if (s.eof()) s.err('unexpected EOF in array', vpos);
      if (s.peek() === ']') {
        s.next();
        return arr;
      }
      arr.push(parseValue(s, frame, env, stack));
    }
  }
  if (c === '"' || c === "'") return readQuoted(s);
  if (c === '(') {
    // Raw block string: everything up to a line holding only ')'.
    s.next();
    let out = '';
    for (;;) {
      if (s.eof()) s.err('unterminated block string', vpos);
      const ch = s.next();
      if (ch === '\n') {
        let k = s.i;
        while (s.src[k] === ' ' || s.src[k] === '\t') k++;
        if (s.src[k] === ')' && (s.src[k + 1] === '\n' || s.src[k + 1] === undefined || s.src[k + 1] === '\r')) {
          while (s.i <= k) s.next();
          return out.trim();
        }
      }
      out += ch;
    }
  }
  const raw = readBareValue(s);
  if (raw === '') s.err(`unexpected character '${c}'`, vpos);
  if (raw.startsWith('$') && !/^\$2[abxy]\$/.test(raw)) return resolveVar(s, raw.slice(1), vpos, frame, env);
  return typedBare(raw);
}

/** An unquoted value: like Go's lexer, it ends at whitespace, a separator, a closing bracket or a comment. */
function readBareValue(s: Scanner): string {
  let v = '';
  while (!s.eof()) {
    const ch = s.peek();
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === ',' || ch === ';' || ch === '}' || ch === ']' || ch === '#') break;
    // "//" starts a comment, except right after a scheme's colon (nats://host).
    if (ch === '/' && s.peek(1) === '/' && !v.endsWith(':')) break;
    v += s.next();
  }
  return v;
}

/** Turn a bare word into a number, boolean, date or string as Go's lexer would. */
export function typedBare(raw: string): ConfValue {
  const lower = raw.toLowerCase();
  if (lower in BOOLS) return BOOLS[lower];
  const num = /^([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)([a-zA-Z]*)$/.exec(raw);
  if (num) {
    const suf = num[2].toLowerCase();
    if (suf === '') return Number(num[1]);
    if (suf in SIZE_SUFFIX && !num[1].includes('.')) return Number(num[1]) * SIZE_SUFFIX[suf];
    return raw; // e.g. "2m30s", "500ms": durations stay strings
  }
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(raw)) return new Date(raw);
  return raw;
}

function resolveVar(s: Scanner, name: string, pos: Pos, frame: Frame, env: NodeJS.ProcessEnv): ConfValue {
  for (let f: Frame | null = frame; f !== null; f = f.parent) {
    if (f.map.values.has(name)) {
      f.map.usedVars.add(name);
      return f.map.values.get(name)!;
    }
  }
  const e = env[name];
  if (e !== undefined) {
    // Environment values are parsed with the config grammar, so "4222" becomes a number.
    try {
      const m = parseConfig(`v: ${e}`, { env: {} });
      return m.values.get('v') ?? e;
    } catch {
      return e;
    }
  }
  s.err(`variable reference for '${name}' on line ${pos.line} can not be found`, pos);
}
