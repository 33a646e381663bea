/**
 * Go-compatible formatting for monitoring JSON: RFC 3339 timestamps with
 * nanosecond digits, Go's Duration.String for rtt, and the compact uptime
 * format the Go server uses for uptime/idle ("1d2h3m4s").
 */

/** "2026-11-22T17:30:41.513808415Z" (JS has milliseconds; the rest is zero-padded like Go's trailing digits) */
export function goTime(d: Date): string {
  const iso = d.toISOString(); // 2026-11-22T17:30:41.513Z
  const ms = iso.slice(20, 23);
  const frac = ms.replace(/0+$/, '');
  return frac ? `${iso.slice(0, 19)}.${frac}Z` : `${iso.slice(0, 19)}Z`;
}

/** Go monitor.go myUptime: days, hours, minutes, seconds without zero-padding; "0s" for < 1s. */
export function goUptime(ms: number): string {
  let secs = Math.floor(ms / 1000);
  const years = Math.floor(secs / (365 * 86400));
  secs -= years * 365 * 86400;
  const days = Math.floor(secs / 86400);
  secs -= days * 86400;
  const hours = Math.floor(secs / 3600);
  secs -= hours * 3600;
  const mins = Math.floor(secs / 60);
  secs -= mins * 60;
  if (years > 0) return `${years}y${days}d${hours}h${mins}m${secs}s`;
  if (days > 0) return `${days}d${hours}h${mins}m${secs}s`;
  if (hours > 0) return `${hours}h${mins}m${secs}s`;
  if (mins > 0) return `${mins}m${secs}s`;
  return `${secs}s`;
}

/** Go time.Duration.String from milliseconds (rtt): "1.234ms", "2.5s", "0s". */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1) return `${+(ms * 1000).toFixed(3)}µs`;
  if (ms < 1000) return `${+ms.toFixed(6)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${+s.toFixed(9)}s`;
  const m = Math.floor(s / 60);
  const rs = +(s - m * 60).toFixed(9);
  if (m < 60) return `${m}m${rs}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${rs}s`;
}
