/**
 * Service and stream exports/imports between accounts, with real clients,
 * run against our server and Go's nats-server with the same config.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { startServer, defaultOptions } from '../../src/index.js';
import { loadConfigFile } from '../../src/config/from-file.js';
import { startGoServer, GO_SERVER_BIN } from '../helpers/go-server.js';
import { waitFor } from '../helpers/wait.js';

const CONFIG = `
accounts {
  SVC: {
    users: [ {user: svc, password: svc} ]
    exports: [
      {service: "req.>"}
      {service: "multi.req", response: stream}
      {service: "private.req", accounts: [CLI]}
      {service: "lat.req", latency: { sampling: 100, subject: "lat.metrics" }}
      {stream: "events.>"}
    ]
  }
  CLI: {
    users: [ {user: cli, password: cli} ]
    imports: [
      {service: {account: SVC, subject: "req.>"}}
      {service: {account: SVC, subject: "multi.req"}, to: "multi"}
      {service: {account: SVC, subject: "private.req"}}
      {service: {account: SVC, subject: "lat.req"}}
      {stream: {account: SVC, subject: "events.>"}, prefix: "svc"}
    ]
  }
  OTHER: {
    users: [ {user: other, password: other} ]
    imports: [ {stream: {account: SVC, subject: "events.a"}, to: "ev.a"} ]
  }
}
`;

interface Target {
  url: string;
  stop(): Promise<void>;
}

async function start(kind: 'ours' | 'go', dir: string, config: string): Promise<Target> {
  if (kind === 'go') {
    const g = await startGoServer([], config);
    return { url: g.url, stop: () => g.stop() };
  }
  const f = join(dir, 'ours.conf');
  writeFileSync(f, config);
  const s = await startServer({ ...loadConfigFile(f, defaultOptions()), port: 0, host: '127.0.0.1' });
  return { url: s.url, stop: () => s.stop() };
}

/** Collect messages on `subject` into an array. */
function collect(nc: NatsConnection, subject: string): Msg[] {
  const got: Msg[] = [];
  nc.subscribe(subject, { callback: (_e, m) => void got.push(m) });
  return got;
}

for (const kind of ['ours', 'go'] as const) {
  describe(`exports and imports (${kind})`, { skip: kind === 'go' && !GO_SERVER_BIN }, () => {
    let dir: string;
    let t: Target;
    let svc: NatsConnection;
    let cli: NatsConnection;
    let other: NatsConnection;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nsts-imp-'));
      t = await start(kind, dir, CONFIG);
      svc = await connect({ servers: t.url, user: 'svc', pass: 'svc' });
      cli = await connect({ servers: t.url, user: 'cli', pass: 'cli' });
      other = await connect({ servers: t.url, user: 'other', pass: 'other' });
    });
    after(async () => {
      await Promise.all([svc.close(), cli.close(), other.close()]);
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('service import: request/reply across accounts with an _R_ reply and Nats-Request-Info', async () => {
      const seen: { subject: string; reply: string; info: string | undefined }[] = [];
      const sub = svc.subscribe('req.>', {
        callback: (_e, m) => {
          seen.push({ subject: m.subject, reply: m.reply ?? '', info: m.headers?.get('Nats-Request-Info') });
          m.respond(`echo ${m.subject} ${m.string()}`);
        },
      });
      await svc.flush();
      const r = await cli.request('req.echo', 'hi', { timeout: 2000 });
      assert.equal(r.string(), 'echo req.echo hi');
      assert.equal(seen.length, 1);
      assert.match(seen[0].reply, /^_R_\.[0-9A-Za-z]{6}\.[0-9A-Za-z]{6}$/);
      assert.equal(JSON.parse(seen[0].info!).acc, 'CLI');
      // the exporter's own clients still reach it directly, with their reply untouched
      const direct = await svc.request('req.direct', 'x', { timeout: 2000 });
      assert.equal(direct.string(), 'echo req.direct x');
      assert.equal(seen[1].info, undefined);
      sub.unsubscribe();
    });

    it('singleton responses deliver one answer, stream responses all of them', async () => {
      const s1 = svc.subscribe('req.twice', { callback: (_e, m) => { m.respond('first'); m.respond('second'); } });
      const s2 = svc.subscribe('multi.req', { callback: (_e, m) => { for (const x of ['a', 'b', 'c']) m.respond(x); } });
      await svc.flush();
      for (const [subject, want] of [['req.twice', ['first']], ['multi', ['a', 'b', 'c']]] as const) {
        const inbox = createInbox();
        const got = collect(cli, inbox);
        await cli.flush();
        cli.publish(subject, '', { reply: inbox });
        await waitFor(() => got.length >= want.length, 3000);
        // a round trip through both sides gives a stray second answer its chance to arrive
        await svc.flush();
        await cli.flush();
        assert.deepEqual(got.map((m) => m.string()), want, subject);
      }
      s1.unsubscribe();
      s2.unsubscribe();
    });

    // The newest release counts an undelivered service import as "no responders"; 2.9.10 predates that and lets the request time out.
    it('a service import with nobody answering gives the requester no responders', { skip: kind === 'go' }, async () => {
      await assert.rejects(cli.request('req.nobody', '', { timeout: 2000 }), (e: Error) => /no responders/i.test(e.message) || (e as { code?: string }).code === '503');
    });

    it('service latency tracking publishes a service_latency metric in the exporting account', async () => {
      const metrics = collect(svc, 'lat.metrics');
      const sub = svc.subscribe('lat.req', { callback: (_e, m) => void m.respond('pong') });
      await svc.flush();
      const r = await cli.request('lat.req', 'ping', { timeout: 2000 });
      assert.equal(r.string(), 'pong');
      await waitFor(() => metrics.length >= 1, 3000);
      const m = metrics[0].json<Record<string, any>>();
      assert.equal(m.type, 'io.nats.server.metric.v1.service_latency');
      assert.equal(m.status, 200);
      assert.equal(m.requestor.acc, 'CLI');
      assert.equal(m.responder.acc, 'SVC');
      for (const k of ['service', 'system', 'total']) assert.equal(typeof m[k], 'number', k);
      assert.ok(m.total >= m.service);
      assert.ok(!Number.isNaN(Date.parse(m.start)));
      sub.unsubscribe();
    });

    it('stream imports: prefix and to remapping, only what was imported', async () => {
      const viaPrefix = collect(cli, 'svc.events.>');
      const viaTo = collect(other, 'ev.a');
      const otherAll = collect(other, '>');
      const raw = collect(cli, 'events.>');
      await cli.flush();
      await other.flush();
      svc.publish('events.a', '1');
      svc.publish('events.b', '2');
      await svc.flush();
      await waitFor(() => viaPrefix.length >= 2 && viaTo.length >= 1, 3000);
      await other.flush();
      await cli.flush();
      assert.deepEqual(viaPrefix.map((m) => `${m.subject}=${m.string()}`), ['svc.events.a=1', 'svc.events.b=2']);
      assert.deepEqual(viaTo.map((m) => `${m.subject}=${m.string()}`), ['ev.a=1']);
      assert.deepEqual(otherAll.map((m) => m.subject), ['ev.a']);
      assert.equal(raw.length, 0);
    });

    it('imports do not open the exporter to anything else', async () => {
      const svcAll = collect(svc, '>');
      await svc.flush();
      cli.publish('events.a', 'from-cli');
      cli.publish('svc.events.a', 'from-cli');
      cli.publish('private.other', 'x');
      await cli.flush();
      await svc.flush();
      assert.deepEqual(svcAll.map((m) => m.subject), []);
    });
  });
}

describe('import config errors', () => {
  const fails = async (config: string, re: RegExp) => {
    const dir = mkdtempSync(join(tmpdir(), 'nsts-imp-bad-'));
    try {
      const f = join(dir, 's.conf');
      writeFileSync(f, config);
      await assert.rejects(async () => startServer({ ...loadConfigFile(f, defaultOptions()), port: 0, host: '127.0.0.1' }), re);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  it('an import the exporter did not authorize is refused', async () => {
    await fails(
      'accounts { A: { exports: [ {service: "a.req", accounts: [B]} ] }, B: {}, C: { imports: [ {service: {account: A, subject: "a.req"}} ] } }',
      /Error adding service import "a\.req": service import not authorized/,
    );
    await fails('accounts { A: {}, C: { imports: [ {stream: {account: A, subject: "x"}} ] } }', /Error adding stream import "x": stream import not authorized/);
    await fails(
      'accounts { A: { exports: [ {stream: "x.>"} ] }, C: { imports: [ {stream: {account: A, subject: "x.>"}, prefix: "p.*"} ] } }',
      /stream import prefix can not contain wildcard tokens/,
    );
  });
  it('service imports that form a cycle are refused', async () => {
    await fails(
      `accounts {
        A: { exports: [ {service: "q"} ], imports: [ {service: {account: B, subject: "q"}} ] }
        B: { exports: [ {service: "q"} ], imports: [ {service: {account: A, subject: "q"}} ] }
      }`,
      /import forms a cycle/,
    );
  });
});
