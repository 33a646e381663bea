/**
 * Remote gateways (Go gatewayCfg): the URLs we may dial for one remote
 * cluster, configured or learned from INFO gateway_urls, and the dial itself.
 */
import net from 'node:net';
import { gwHash, oldGwHash } from './reply.js';

/** A remote gateway (cluster) we connect to (Go gatewayCfg). */
export class RemoteGateway {
  /** URLs to dial by `host:port` (configured ones plus those learned from INFO) */
  readonly urls = new Map<string, URL>();
  readonly hash: string;
  readonly oldHash: string;
  connAttempts = 0;
  /** the remote's own `tls {}` (else the gateway block's applies) */
  tls: Record<string, unknown> | null = null;

  constructor(
    readonly name: string,
    readonly configured: URL[],
    readonly implicit: boolean,
  ) {
    this.hash = gwHash(name);
    this.oldHash = oldGwHash(name);
    for (const u of configured) this.urls.set(u.host, u);
  }

  /** Go gatewayCfg.addURLs */
  addURLs(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const s of list) {
      if (typeof s !== 'string' || this.urls.has(s)) continue;
      try {
        const u = new URL(`nats://${s}`);
        this.urls.set(u.host, u);
      } catch {
        /* ignore a bad URL */
      }
    }
  }

  /** Go gatewayCfg.updateURLs: configured URLs plus the ones from the INFO. */
  updateURLs(list: unknown): void {
    this.urls.clear();
    for (const u of this.configured) this.urls.set(u.host, u);
    this.addURLs(list);
  }

  urlStrings(): string[] {
    return [...this.urls.keys()];
  }
}

export function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export function dial(u: URL): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) });
    const t = setTimeout(() => {
      sock.destroy();
      resolve(null);
    }, 2000);
    sock.once('error', () => {
      clearTimeout(t);
      sock.destroy();
      resolve(null);
    });
    sock.once('connect', () => {
      clearTimeout(t);
      sock.removeAllListeners('error');
      sock.setNoDelay(true);
      resolve(sock);
    });
  });
}

