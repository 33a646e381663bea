/**
 * Starting a listener the way every server port does (client, route,
 * gateway, leafnode, websocket, monitor): port -1 (Go RANDOM_PORT) or 0 picks
 * a free port, a bind failure rejects, later errors go to `onError`.
 */
import type net from 'node:net';

/** Bind `l` and resolve with the bound port. */
export async function listenOn(
  l: net.Server, port: number, host: string, onError?: (e: Error) => void, backlog?: number,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    l.once('error', reject);
    l.listen({ port: port < 0 ? 0 : port, host, backlog }, () => {
      l.removeListener('error', reject);
      resolve();
    });
  });
  if (onError !== undefined) l.on('error', onError);
  return (l.address() as net.AddressInfo).port;
}
