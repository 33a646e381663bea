/**
 * Starting a listener the way every server port does (client, route,
 * gateway, leafnode, websocket, monitor): port -1 (Go RANDOM_PORT) or 0 picks
 * a free port, a bind failure rejects, later errors go to `onError`.
 */
import type net from 'node:net';
import { readFileSync } from 'node:fs';

/** when the kernel's cap cannot be read (not Linux): the common somaxconn */
const DEFAULT_BACKLOG = 4096;

let backlog = 0;

/**
 * The accept queue length every listener asks for. Go's net.Listen passes
 * the kernel's own cap, /proc/sys/net/core/somaxconn (4096 on current
 * kernels), where Node would ask for 511: a connect storm past 511
 * overflows the queue and those clients wait out SYN retransmits (1 s, 3 s,
 * 7 s...). Read once, like Go.
 */
export function listenBacklog(): number {
  if (backlog === 0) {
    let n = 0;
    try {
      n = Number.parseInt(readFileSync('/proc/sys/net/core/somaxconn', 'latin1').trim(), 10);
    } catch {
      /* not Linux, or no procfs */
    }
    backlog = Number.isInteger(n) && n > 0 ? Math.min(n, 0x7fffffff) : DEFAULT_BACKLOG;
  }
  return backlog;
}

/** Bind `l` and resolve with the bound port. */
export async function listenOn(
  l: net.Server, port: number, host: string, onError?: (e: Error) => void,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    l.once('error', reject);
    l.listen({ port: port < 0 ? 0 : port, host, backlog: listenBacklog() }, () => {
      l.removeListener('error', reject);
      resolve();
    });
  });
  if (onError !== undefined) l.on('error', onError);
  return (l.address() as net.AddressInfo).port;
}
