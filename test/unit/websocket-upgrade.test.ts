/**
 * Go's websocket upgrade checks as pure functions (websocket.go wsUpgrade,
 * checkOrigin, wsGetHostAndPort, wsPMCExtensionSupport), modelled on Go's
 * TestWSCheckOrigin and TestWSUpgrade* tables.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { OriginPolicy, checkUpgrade, offersCompression, upgradeKind, KIND_CLIENT, KIND_LEAF, KIND_MQTT } from '../../src/websocket/upgrade.js';
import { closeStatusFor } from '../../src/websocket/close.js';
import { leafUpgradeURL } from '../../src/websocket/dial.js';
import { ClosedReason } from '../../src/conn/closed-reason.js';
import { defaultWebsocketOptions } from '../../src/config/options.js';

function req(headers: Record<string, string>, method = 'GET', url = '/'): IncomingMessage {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  return { method, url, headers: h } as unknown as IncomingMessage;
}

const GOOD = { host: 'localhost:8080', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };

describe('websocket upgrade checks', () => {
  it('origin: same_origin compares scheme, host and port (default ports by scheme)', () => {
    const p = new OriginPolicy({ ...defaultWebsocketOptions(), same_origin: true });
    const check = (origin: string, host: string, secure = false) => p.check(req({ origin, host }), secure);
    assert.equal(check('http://localhost:8080', 'localhost:8080'), null);
    assert.equal(check('http://LOCALHOST:8080', 'localhost:8080'), null);
    assert.equal(check('http://localhost', 'localhost:80'), null);
    assert.equal(check('https://localhost', 'localhost:443', true), null);
    assert.equal(check('https://localhost:8080', 'localhost:8080'), 'not same origin');
    assert.equal(check('http://localhost:8081', 'localhost:8080'), 'not same origin');
    assert.equal(check('http://other:8080', 'localhost:8080'), 'not same origin');
    assert.equal(p.check(req({ host: 'localhost:8080' }), false), null, 'no Origin: accepted');
    assert.equal(p.check(req({ 'sec-websocket-origin': 'http://x:1', host: 'localhost:8080' }), false), 'not same origin');
  });

  it('origin: allowed_origins by host, scheme and port', () => {
    const p = new OriginPolicy({ ...defaultWebsocketOptions(), allowed_origins: ['https://a.com', 'http://b.com:8080'] });
    const check = (origin: string) => p.check(req({ origin, host: 'server:1' }), false);
    assert.equal(check('https://a.com'), null);
    assert.equal(check('https://a.com:443'), null);
    assert.equal(check('http://a.com'), 'not in the allowed list');
    assert.equal(check('http://b.com:8080'), null);
    assert.equal(check('http://b.com'), 'not in the allowed list');
    assert.equal(check('http://c.com'), 'not in the allowed list');
    const none = new OriginPolicy(defaultWebsocketOptions());
    assert.equal(none.check(req({ origin: 'http://anything' }), false), null, 'no policy: any origin');
  });

  it("checks in Go's order with Go's status codes", () => {
    const p = new OriginPolicy({ ...defaultWebsocketOptions(), same_origin: true });
    const st = (h: Record<string, string>, method = 'GET') => checkUpgrade(req(h, method), KIND_CLIENT, p, false)?.status ?? 101;
    const without = (k: string) => Object.fromEntries(Object.entries(GOOD).filter(([x]) => x !== k));
    assert.equal(st(GOOD), 101);
    assert.equal(st(GOOD, 'POST'), 405);
    assert.equal(st({ ...without('upgrade') }, 'POST'), 405, 'the method is checked first');
    assert.equal(st(without('host')), 400);
    assert.equal(st(without('upgrade')), 400);
    assert.equal(st({ ...GOOD, upgrade: 'foo, WebSocket' }), 101, 'token list, case-insensitive');
    assert.equal(st({ ...GOOD, connection: 'keep-alive, upgrade' }), 101);
    assert.equal(st(without('connection')), 400);
    assert.equal(st(without('sec-websocket-key')), 400);
    assert.equal(st({ ...GOOD, 'sec-websocket-key': 'c2hvcnQ=' }), 400);
    assert.equal(st({ ...GOOD, 'sec-websocket-version': '12' }), 400);
    assert.equal(st({ ...GOOD, origin: 'http://evil:8080' }), 403);
    assert.equal(checkUpgrade(req(GOOD), KIND_MQTT, p, false)?.status, 404);
    assert.match(checkUpgrade(req({ ...GOOD, origin: 'http://evil:8080' }), KIND_CLIENT, p, false)!.reason, /^origin not allowed: not same origin$/);
  });

  it('path suffix picks the connection kind; compression offer detection', () => {
    assert.equal(upgradeKind(req({}, 'GET', '/')), KIND_CLIENT);
    assert.equal(upgradeKind(req({}, 'GET', '/leafnode')), KIND_LEAF);
    assert.equal(upgradeKind(req({}, 'GET', '/a/b/leafnode?x=1')), KIND_LEAF);
    assert.equal(upgradeKind(req({}, 'GET', '/mqtt')), KIND_MQTT);
    assert.equal(offersCompression(req({ 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' })), true);
    assert.equal(offersCompression(req({ 'sec-websocket-extensions': 'x-webkit-deflate-frame' })), false);
    assert.equal(offersCompression(req({})), false);
  });

  it('leaf remotes dial <url path>/leafnode without credentials', () => {
    assert.equal(leafUpgradeURL(new URL('ws://u:p@hub:8080'), false), 'ws://hub:8080/leafnode');
    assert.equal(leafUpgradeURL(new URL('ws://hub:8080/some/path/'), false), 'ws://hub:8080/some/path/leafnode');
    assert.equal(leafUpgradeURL(new URL('wss://hub'), true), 'wss://hub/leafnode');
  });

  it('close status by reason (Go wsEnqueueCloseMessage)', () => {
    assert.equal(closeStatusFor(ClosedReason.ClientClosed), 1000);
    assert.equal(closeStatusFor(ClosedReason.AuthenticationViolation), 1008);
    assert.equal(closeStatusFor(ClosedReason.SlowConsumerPendingBytes), 1008);
    assert.equal(closeStatusFor(ClosedReason.ProtocolViolation), 1002);
    assert.equal(closeStatusFor(ClosedReason.MaxPayloadExceeded), 1009);
    assert.equal(closeStatusFor(ClosedReason.StaleConnection), 1001);
    assert.equal(closeStatusFor(ClosedReason.DuplicateRoute), 1011);
  });
});
