/**
 * Go's time.ParseDuration: a sequence of decimal numbers with units
 * ns, us (µs), ms, s, m, h, e.g. "1h30m", "1.5s", "-2m". Returns milliseconds,
 * or null when the string is not a duration.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

export function parseGoDuration(s: string): number | null {
  let rest = s.trim();
  if (rest === '0') return 0;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '') return null;
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Go's Duration.String for whole milliseconds and up (e.g. "2m0s", "1.5s", "250ms"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let v = Math.abs(ms);
  let out: string;
  if (v < 1000) out = `${trimNum(v)}ms`;
  else {
    const h = Math.floor(v / 3600000);
    v -= h * 3600000;
    const m = Math.floor(v / 60000);
    v -= m * 60000;
    const sec = trimNum(v / 1000);
    out = h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`;
  }
  return neg ? '-' + out : out;
}

function trimNum(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}
