/**
 * `--ports_file_dir`: a JSON file listing the URLs the server listens on, named
 * `<exe>_<pid>.ports` (Go server.go logPorts / portFile / PortsInfo). We always
 * use `nats-server` as the executable name so tools that look for
 * `nats-server_<pid>.ports` find us. Go writes compact JSON with the keys
 * below in this order, leaving out empty lists, and removes the file on shutdown.
 */
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';

export interface Ports {
  nats: string[];
  monitoring?: string[];
  cluster?: string[];
  profile?: string[];
  websocket?: string[];
}

const EXE_NAME = 'nats-server';
const KEYS = ['nats', 'monitoring', 'cluster', 'profile', 'websocket'] as const;

/** Path of the ports file for this process in `dir`. */
export function portsFilePath(dir: string, pid: number = process.pid): string {
  return join(dir, `${EXE_NAME}_${pid}.ports`);
}

/** Compact JSON in Go's field order; missing or empty lists are omitted (Go `omitempty`). */
export function portsFileJson(ports: Ports): string {
  const out: Record<string, string[]> = {};
  for (const k of KEYS) {
    const v = ports[k];
    if (v && v.length > 0) out[k] = v;
  }
  return JSON.stringify(out);
}

/** Write the ports file into `dir` and return its path. */
export function writePortsFile(dir: string, ports: Ports, pid: number = process.pid): string {
  const path = portsFilePath(dir, pid);
  writeFileSync(path, portsFileJson(ports), { mode: 0o666 });
  return path;
}

/** Remove the ports file; a missing file is not an error. */
export function removePortsFile(path: string): void {
  rmSync(path, { force: true });
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function isUnspecified(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '0:0:0:0:0:0:0:0' || host === '::ffff:0.0.0.0';
}

/**
 * URLs for a listener bound to `address:port`, as Go's formatURL/resolveHostPorts
 * build them: a wildcard address expands to every interface address (IPv4 and
 * IPv6, link-local included, without zone), in interface order.
 */
export function listenerUrls(protocol: string, address: string, port: number): string[] {
  if (!isUnspecified(address)) return [`${protocol}://${joinHostPort(address, port)}`];
  const urls: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) urls.push(`${protocol}://${joinHostPort(a.address, port)}`);
  }
  return urls;
}
