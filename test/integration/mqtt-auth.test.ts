/**
 * MQTT authentication, permissions, accounts and monitoring: the server's
 * users (user name + password, token in the password field), the `mqtt {}`
 * authorization override and no_auth_user, CONNACK 0x05 on failure (Go
 * sends it for every authentication failure), per-user publish/subscribe
 * permissions on the translated subjects, accounts that isolate MQTT clients
 * and their state, allowed_connection_types, and /varz `mqtt`, /connz
 * `mqtt_client` and its filter.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { collect, endAll, mqttConnect, RawMqtt, startMqtt } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';
import * as E from '../../src/mqtt/codec/encode.js';
import * as C from '../../src/mqtt/codec/constants.js';
import type { ConnackPacket } from '../../src/mqtt/codec/packets.js';
import { defaultOptions } from '../../src/config/options.js';
import { parseConfig } from '../../src/config/parser.js';
import { applyConfig } from '../../src/config/from-file.js';

function connackOf(port: number, user: string | null, pass: string | null): Promise<number> {
  return (async () => {
    const r = await RawMqtt.open(port);
    r.send(E.encodeConnect({ protocolName: 'MQTT', protocolLevel: 4, clean: true, keepAlive: 0, clientId: 'a', will: null, username: user, password: pass === null ? null : Buffer.from(pass), properties: {} }));
    const ack = (await r.next(C.CONNACK)) as ConnackPacket;
    r.close();
    return ack.reasonCode;
  })();
}

describe('MQTT authentication', () => {
  it("the server's users: right password accepted, wrong or none refused with CONNACK 0x05", async (t) => {
    const s = await startMqtt({ users: [{ user: 'alice', password: 'pw' }] });
    t.after(() => s.stop());
    assert.equal(await connackOf(s.port, 'alice', 'pw'), 0);
    assert.equal(await connackOf(s.port, 'alice', 'bad'), 5);
    assert.equal(await connackOf(s.port, null, null), 5);
    assert.equal(await connackOf(s.port, '', null), 4, 'an empty user name is a bad user name (Go)');
    await assert.rejects(mqttConnect(s.url, { clientId: 'x', username: 'alice', password: 'nope' }), /Not authorized/);
    const ok = await mqttConnect(s.url, { clientId: 'x', username: 'alice', password: 'pw' });
    await ok.endAsync();
  });

  it('a token is given in the password field (any user name)', async (t) => {
    const s = await startMqtt({ authorization: 's3cret' });
    t.after(() => s.stop());
    assert.equal(await connackOf(s.port, 'whoever', 's3cret'), 0);
    assert.equal(await connackOf(s.port, 'whoever', 'other'), 5);
  });

  it('the mqtt {} authorization overrides the single user for MQTT clients only; no_auth_user logs in credential-less clients', async (t) => {
    const s = await startMqtt({ username: 'nats', password: 'np', mqttOpts: { username: 'mq', password: 'mp' } });
    t.after(() => s.stop());
    assert.equal(await connackOf(s.port, 'mq', 'mp'), 0);
    assert.equal(await connackOf(s.port, 'nats', 'np'), 5);
    const nc = await connect({ servers: s.srv.url, user: 'nats', pass: 'np' });
    await nc.close();
    const u = await startMqtt({ users: [{ user: 'dev', password: 'x' }], mqttOpts: { no_auth_user: 'dev' } });
    t.after(() => u.stop());
    assert.equal(await connackOf(u.port, null, null), 0);
    assert.equal(await connackOf(u.port, 'dev', 'wrong'), 5);
  });

  it('allowed_connection_types: a user limited to STANDARD cannot log in over MQTT', async (t) => {
    const s = await startMqtt({ users: [{ user: 'std', password: 'x', allowed_connection_types: ['STANDARD'] }, { user: 'mq', password: 'y', allowed_connection_types: ['MQTT'] }] });
    t.after(() => s.stop());
    assert.equal(await connackOf(s.port, 'std', 'x'), 5);
    assert.equal(await connackOf(s.port, 'mq', 'y'), 0);
  });
});

describe('MQTT permissions and accounts', () => {
  it('publish and subscribe permissions apply to the translated subjects', async (t) => {
    const s = await startMqtt({
      users: [
        { user: 'lim', password: 'x', permissions: { publish: { allow: ['ok.>'] }, subscribe: { allow: ['ok', 'ok.>'], deny: ['ok.secret'] } } },
        { user: 'all', password: 'y' },
      ],
    });
    t.after(() => s.stop());
    const lim = await mqttConnect(s.url, { clientId: 'lim', username: 'lim', password: 'x' });
    const all = await mqttConnect(s.url, { clientId: 'all', username: 'all', password: 'y' });
    t.after(() => endAll(lim, all));
    const gotAll = collect(all);
    const gotLim = collect(lim);
    await all.subscribeAsync('#');
    const g = await lim.subscribeAsync({ 'ok/#': { qos: 1 } });
    assert.deepEqual(g.map((x) => x.qos), [1]);
    // SUBACK 0x80 for the denied filter (MQTT.js reports it as an error)
    await assert.rejects(lim.subscribeAsync('no/#', { qos: 1 }), /Unspecified error/);
    // a denied publish is dropped; QoS 1 is still acknowledged (Go)
    await lim.publishAsync('no/x', 'dropped', { qos: 1 });
    await lim.publishAsync('ok/x', 'allowed', { qos: 1 });
    await all.publishAsync('ok/secret', 'hidden', { qos: 1 });
    await all.publishAsync('ok/y', 'seen', { qos: 1 });
    await waitFor(() => gotAll.some((m) => m.payload === 'seen') && gotLim.some((m) => m.payload === 'seen'));
    assert.ok(!gotAll.some((m) => m.payload === 'dropped'));
    assert.ok(gotAll.some((m) => m.payload === 'allowed'));
    assert.ok(!gotLim.some((m) => m.payload === 'hidden'), 'subscribe deny filters deliveries of a wider subscription');
  });

  it('accounts isolate MQTT clients, their retained messages and their streams', async (t) => {
    const o = defaultOptions();
    applyConfig(parseConfig('accounts { A: { jetstream: enabled, users: [{user: a, password: a}] }, B: { jetstream: enabled, users: [{user: b, password: b}] } }', { file: 'x' }), o);
    const s = await startMqtt({ accounts: o.accounts, users: o.users });
    t.after(() => s.stop());
    const a = await mqttConnect(s.url, { clientId: 'same', username: 'a', password: 'a' });
    const b = await mqttConnect(s.url, { clientId: 'same', username: 'b', password: 'b' });
    t.after(() => endAll(a, b));
    const ga = collect(a);
    const gb = collect(b);
    await a.publishAsync('iso/r', 'A-retained', { qos: 1, retain: true });
    await a.subscribeAsync('iso/#', { qos: 1 });
    await b.subscribeAsync('iso/#', { qos: 1 });
    await waitFor(() => ga.length === 1);
    await b.publishAsync('iso/x', 'from-B', { qos: 1 });
    await a.publishAsync('iso/y', 'from-A', { qos: 1 });
    await waitFor(() => ga.length === 2 && gb.length === 1);
    assert.deepEqual(ga.map((m) => m.payload), ['A-retained', 'from-A']);
    assert.deepEqual(gb.map((m) => m.payload), ['from-B'], 'same client id in two accounts: two sessions, no takeover');
  });
});

describe('MQTT monitoring', () => {
  it('/varz mqtt, /connz mqtt_client and the mqtt_client filter', async (t) => {
    const s = await startMqtt({ http_port: -1, mqttOpts: { ack_wait: 10_000, max_ack_pending: 100 } });
    t.after(() => s.stop());
    const c = await mqttConnect(s.url, { clientId: 'watcher' });
    t.after(() => endAll(c));
    await c.subscribeAsync('a/#', { qos: 1 });
    const varz = await (await fetch(`${s.srv.monitorUrl}/varz`)).json() as Record<string, unknown>;
    assert.deepEqual(varz.mqtt, { host: '127.0.0.1', port: s.port, tls_timeout: 2, ack_wait: 10_000_000_000, max_ack_pending: 100 });
    const connz = await (await fetch(`${s.srv.monitorUrl}/connz?subs=1&mqtt_client=watcher`)).json() as { total: number; connections: Record<string, unknown>[] };
    assert.equal(connz.connections.length, 1);
    const ci = connz.connections[0];
    assert.equal(ci.type, 'mqtt');
    assert.equal(ci.mqtt_client, 'watcher');
    const subs = (ci.subscriptions_list as string[]).sort();
    assert.equal(subs.length, 4, 'a.>, a (the level above) and a delivery subject for each');
    assert.deepEqual(subs.filter((x) => !x.startsWith('$MQTT.sub.')), ['a', 'a.>']);
    const none = await (await fetch(`${s.srv.monitorUrl}/connz?mqtt_client=nobody`)).json() as { total: number; connections: unknown[] };
    assert.equal(none.connections.length, 0);
  });
});
