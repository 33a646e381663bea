import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir, networkInterfaces } from 'node:os';
import { basename, join } from 'node:path';
import {
  writePortsFile,
  removePortsFile,
  portsFilePath,
  portsFileJson,
  listenerUrls,
} from '../../src/server/ports-file.js';
import { writePidFile, removePidFile, readPidOrTarget } from '../../src/server/pid-file.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nats-ts-ports-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('ports file', () => {
  it('is named nats-server_<pid>.ports and holds compact JSON in Go field order', (t) => {
    const dir = tempDir(t);
    const path = writePortsFile(dir, {
      websocket: ['ws://127.0.0.1:8080'],
      monitoring: ['http://127.0.0.1:8222'],
      nats: ['nats://127.0.0.1:4222', 'nats://[::1]:4222'],
    });
    assert.equal(path, join(dir, `nats-server_${process.pid}.ports`));
    assert.equal(basename(path), `nats-server_${process.pid}.ports`);
    assert.deepEqual(readdirSync(dir), [basename(path)]);
    assert.equal(
      readFileSync(path, 'utf8'),
      '{"nats":["nats://127.0.0.1:4222","nats://[::1]:4222"],"monitoring":["http://127.0.0.1:8222"],"websocket":["ws://127.0.0.1:8080"]}',
    );
    assert.equal(statSync(path).mode & 0o600, 0o600);
    removePortsFile(path);
    assert.equal(existsSync(path), false);
    removePortsFile(path); // already gone: no error
  });

  it('omits empty and missing lists like Go omitempty', () => {
    assert.equal(portsFileJson({ nats: ['nats://h:1'], cluster: [], profile: undefined }), '{"nats":["nats://h:1"]}');
    assert.equal(portsFileJson({ nats: [] }), '{}');
    assert.equal(
      portsFileJson({ nats: ['tls://h:1'], monitoring: ['https://h:2'], cluster: ['nats://h:3'], profile: ['http://h:4'], websocket: ['wss://h:5'] }),
      '{"nats":["tls://h:1"],"monitoring":["https://h:2"],"cluster":["nats://h:3"],"profile":["http://h:4"],"websocket":["wss://h:5"]}',
    );
  });

  it('path uses the given pid', () => {
    assert.equal(portsFilePath('/x', 42), join('/x', 'nats-server_42.ports'));
  });

  it('listener URLs: a specific address is used as is, IPv6 bracketed', () => {
    assert.deepEqual(listenerUrls('nats', '127.0.0.1', 4222), ['nats://127.0.0.1:4222']);
    assert.deepEqual(listenerUrls('http', '::1', 8222), ['http://[::1]:8222']);
  });

  it('listener URLs: a wildcard address expands to every interface address', () => {
    const want: string[] = [];
    for (const addrs of Object.values(networkInterfaces())) {
      for (const a of addrs ?? []) want.push(a.family === 'IPv6' ? `nats://[${a.address}]:5` : `nats://${a.address}:5`);
    }
    assert.deepEqual(listenerUrls('nats', '0.0.0.0', 5), want);
    assert.deepEqual(listenerUrls('nats', '::', 5), want);
    assert.ok(want.includes('nats://127.0.0.1:5'));
  });
});

describe('pid file', () => {
  it('holds the decimal pid without a newline, mode 0600', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'n.pid');
    writePidFile(path);
    assert.equal(readFileSync(path, 'utf8'), String(process.pid));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readPidOrTarget(path), String(process.pid));
    removePidFile(path);
    assert.equal(existsSync(path), false);
    removePidFile(path);
  });

  it('a signal target that is not a file is taken as the pid itself', () => {
    assert.equal(readPidOrTarget('12345'), '12345');
  });
});
