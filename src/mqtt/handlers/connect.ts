/**
 * CONNECT (Go mqttParseConnect + mqttProcessConnect): protocol checks, client
 * identifier rules [MQTT-3.1.3-6..9], the will [MQTT-3.1.2-9..15],
 * authentication against the server's users (or the `mqtt {}` override),
 * then the session: restored from `$MQTT_sess` or created, cleaned when
 * asked [MQTT-3.1.2-6], taken over from a connected client with the same id
 * [MQTT-3.1.4-2], saved, and CONNACK with Session Present [MQTT-3.2.2-1..3];
 * finally the stored subscriptions are set up again.
 */
import type { TLSSocket } from 'node:tls';
import { ClosedReason } from '../../conn/closed-reason.js';
import { ConfiguredAuth } from '../../auth/authenticator.js';
import { defaultConnectOptions } from '../../conn/connect.js';
import * as C from '../codec/constants.js';
import { encodeConnack } from '../codec/encode.js';
import type { ConnectPacket, Properties } from '../codec/packets.js';
import { FLAP_JAIL_MS, SessionCollision } from '../account-manager.js';
import { nuid } from '../ids.js';
import { mqttToNatsSubject, natsSubjectToMqttTopic, toBytes, TopicError } from '../topics.js';
import { V5State, type MqttClient } from '../connection.js';
import { restoreSubscriptions } from './subscribe.js';
import { cancelDelayedWill } from './close.js';

/** Go isValidName: a client id becomes part of subjects, so no whitespace, `.`, `*` or `>`. */
function validClientId(id: string): boolean {
  return id !== '' && !/[ \t\r\n\f.*>]/.test(id);
}

/** 3.1.1 return code -> the 5.0 reason code for the same refusal. */
function v5Code(rc: number): number {
  switch (rc) {
    case C.RC_UNACCEPTABLE_PROTOCOL: return C.ReasonCode.UnsupportedProtocolVersion;
    case C.RC_IDENTIFIER_REJECTED: return C.ReasonCode.ClientIdentifierNotValid;
    case C.RC_SERVER_UNAVAILABLE: return C.ReasonCode.ServerUnavailable;
    case C.RC_BAD_USER_OR_PASSWORD: return C.ReasonCode.BadUserNameOrPassword;
    case C.RC_NOT_AUTHORIZED: return C.ReasonCode.NotAuthorized;
    case 0x10: return C.ReasonCode.QoSNotSupported;
    default: return rc;
  }
}

/** A refusing CONNACK (Session Present 0 [MQTT-3.2.2-4]), in the connection's protocol version. */
export function sendConnackError(c: MqttClient, rc: number): void {
  const v5 = c.version === C.MQTT_5;
  c.enqueue(encodeConnack(false, v5 && rc < 0x80 && rc !== 0 ? v5Code(rc) : rc, c.version));
  if (c.log.traceEnabled) c.trace(`->> [CONNACK sp=false rc=${rc}]`);
}

function refuse(c: MqttClient, rc: number, msg: string): void {
  sendConnackError(c, rc);
  c.fail(msg);
}

export function onConnect(c: MqttClient, p: ConnectPacket): void {
  c.version = p.protocolLevel;
  const v5 = p.protocolLevel === C.MQTT_5;
  if (p.protocolLevel === C.MQTT_3_1) return c.fail('older protocol "MQIsdp" not supported');
  let cid = p.clientId;
  let assigned = false;
  if (cid === '') {
    // [MQTT-3.1.3-7] (3.1.1): an empty client id needs the clean session flag; 5.0 always assigns one [MQTT-3.1.3-6]
    if (!p.clean && !v5) {
      c.setClientId('');
      return refuse(c, C.RC_IDENTIFIER_REJECTED, 'when client ID is empty, clean session flag must be set to 1');
    }
    cid = nuid();
    assigned = true;
  }
  cid = toBytes(cid);
  c.setClientId(cid);
  if (c.log.traceEnabled) c.trace(`<<- [CONNECT ${connectTrace(p, cid)}]`);
  if (!validClientId(cid)) return refuse(c, C.RC_IDENTIFIER_REJECTED, `invalid character in client ID ${JSON.stringify(cid)}`);
  const mo = c.broker.opts;
  if (p.will !== null) {
    if (mo.reject_qos2_publish && p.will.qos === 2) return refuse(c, 0x10, 'server does not accept QoS2 for Will messages');
    if (p.will.topic === '') return c.fail('empty Will topic not allowed');
    let topic = toBytes(p.will.topic);
    let subject = mqttToNatsSubject(topic, false);
    if (subject instanceof TopicError) return v5 ? refuse(c, C.ReasonCode.TopicNameInvalid, subject.message) : c.fail(subject.message);
    const mapped = c.acc.mappings?.select(subject) ?? null;
    if (mapped !== null && mapped !== '') {
      subject = mapped;
      topic = natsSubjectToMqttTopic(mapped);
    }
    c.will = { topic, subject, payload: p.will.payload, qos: p.will.qos, retain: p.will.retain, properties: p.will.properties };
  }
  if (p.username !== null) {
    // Go: an empty user name with the flag set is refused as a bad user name or password
    if (p.username === '') return refuse(c, C.RC_BAD_USER_OR_PASSWORD, 'empty user name not allowed');
  }
  if (v5) {
    const s = new V5State();
    const pr = p.properties;
    if (pr.receiveMaximum !== undefined) s.receiveMaximum = pr.receiveMaximum;
    if (pr.maximumPacketSize !== undefined) s.maximumPacketSize = pr.maximumPacketSize;
    if (pr.topicAliasMaximum !== undefined) s.topicAliasMaximum = pr.topicAliasMaximum;
    if (pr.requestProblemInformation === 0) s.problemInfo = false;
    if (p.will !== null) s.willDelay = p.will.properties.willDelayInterval ?? 0;
    c.v5 = s;
    // [MQTT-4.12.0-1]: no enhanced authentication method is supported here
    if (pr.authenticationMethod !== undefined) return refuse(c, C.ReasonCode.BadAuthenticationMethod, `authentication method ${JSON.stringify(pr.authenticationMethod)} not supported`);
  }
  c.clearAuthTimer();
  if (!authenticate(c, p)) return;
  if (p.keepAlive > 0) c.armKeepAlive(p.keepAlive);
  c.runHeld(() => connectSession(c, p, cid, assigned));
}

/**
 * Go checkClientTLSCertSubject for `mqtt { tls { verify_and_map: true } }`:
 * the names a verified client certificate offers, in Go's order (e-mail
 * addresses, DNS names, URIs, then the subject as an RFC 2253 string).
 */
function certNames(c: MqttClient): string[] {
  const t = c.socket as TLSSocket;
  if (typeof t.getPeerX509Certificate !== 'function' || !t.authorized) return [];
  const cert = t.getPeerX509Certificate();
  if (cert === undefined) return [];
  const names: string[] = [];
  const san = cert.subjectAltName ?? '';
  for (const kind of ['email:', 'DNS:', 'URI:']) {
    for (const part of san.split(', ')) if (part.startsWith(kind)) names.push(part.slice(kind.length));
  }
  names.push(cert.subject.split('\n').filter((x) => x !== '').reverse().join(','));
  return names;
}

/** Go isClientAuthorized for MQTT: user name, password (also tried as a token, and as a JWT in operator mode). */
function authenticate(c: MqttClient, p: ConnectPacket): boolean {
  const auth = c.authn;
  if (c.broker.opts.tls?.verify_and_map && auth instanceof ConfiguredAuth) {
    for (const name of certNames(c)) {
      const r = auth.userByName(name, c.connectionType);
      if (r === null) continue;
      if (c.log.debugEnabled) c.log.debug(`${c.label()} - Using certificate name for auth [${JSON.stringify(name)}]`);
      c.authorizedUser = r.user;
      return c.bindUser(r);
    }
    c.log.error(`${c.label()} - authentication error - no user matched the client certificate`);
    sendConnackError(c, C.RC_NOT_AUTHORIZED);
    c.closeConnection(ClosedReason.AuthenticationViolation);
    return false;
  }
  const pass = p.password === null ? '' : p.password.toString('utf8');
  const o = defaultConnectOptions();
  if (p.username !== null) o.user = p.username;
  if (p.password !== null) {
    o.pass = pass;
    o.auth_token = pass;
    if (/^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(pass)) o.jwt = pass;
  }
  c.opts = o;
  let r = auth.authRequired ? auth.authenticate({ opts: o, nonce: null, connectionType: c.connectionType, host: c.host }) : { user: '', permissions: null, account: '$G' };
  if (r === null && p.username === null && p.password === null) r = auth.noAuthUser({ opts: o, nonce: null, connectionType: c.connectionType });
  if (r === null) {
    c.log.error(`${c.label()} - authentication error${p.username ? ` - User "${p.username}"` : ''}`);
    sendConnackError(c, c.version === C.MQTT_5 && (p.username !== null || p.password !== null) ? C.ReasonCode.BadUserNameOrPassword : C.RC_NOT_AUTHORIZED);
    c.closeConnection(ClosedReason.AuthenticationViolation);
    return false;
  }
  c.authorizedUser = r.user;
  return c.bindUser(r);
}

async function connectSession(c: MqttClient, p: ConnectPacket, cid: string, assigned: boolean): Promise<void> {
  const asm = c.broker.manager(c.acc);
  try {
    await asm.start();
  } catch (e) {
    if (c.version === C.MQTT_5) sendConnackError(c, C.ReasonCode.ServerUnavailable);
    throw new Error(`unable to connect: ${(e as Error).message}`);
  }
  if (c.closed) return;
  // Go: a client id that keeps taking sessions over is held a second, then closed
  const flapped = asm.flappers.get(cid);
  if (flapped !== undefined) {
    if (Date.now() - flapped > FLAP_JAIL_MS) asm.flappers.delete(cid);
    else {
      await delay(FLAP_JAIL_MS);
      c.closeConnection(ClosedReason.DuplicateClientID);
      return;
    }
  }
  // another connection with this id is being set up or torn down: wait a little (Go sessLocked)
  for (let tries = 0; asm.locked.has(cid); tries++) {
    if (tries === 9) throw new Error(`unable to connect: other session with client ID "${cid}" is in the process of connecting`);
    await delay(100);
    if (c.closed) return;
  }
  asm.locked.add(cid);
  try {
    await takeSession(c, p, cid, assigned);
  } finally {
    asm.locked.delete(cid);
  }
}

async function takeSession(c: MqttClient, p: ConnectPacket, cid: string, assigned: boolean): Promise<void> {
  const asm = c.broker.manager(c.acc);
  const v5 = c.version === C.MQTT_5;
  // 5.0 [MQTT-3.1.2-4..6]: Clean Start discards a session; the session lives as long as its expiry interval
  const clean = p.clean;
  const expiry = v5 ? p.properties.sessionExpiryInterval ?? 0 : clean ? 0 : 0xffffffff;
  let es = asm.sessions.get(cid);
  let exists = es !== undefined;
  if (!exists) {
    try {
      const r = await asm.createOrRestore(cid);
      es = r.sess;
      exists = r.restored;
    } catch (e) {
      if (e instanceof SessionCollision) sendConnackError(c, C.RC_IDENTIFIER_REJECTED);
      throw new Error(`${(e as Error).message} for account "${c.acc.name}", session "${cid}"`);
    }
  }
  const sess = es!;
  if (c.closed) return;
  let present = false;
  if (exists) {
    cancelDelayedWill(sess);
    // [MQTT-3.1.2-6]: a clean session starts from nothing; so does one that was itself clean (Go es.clean)
    if (clean || (sess.clean && !v5) || sessionExpired(sess)) {
      try {
        await asm.clearSession(sess, false);
      } catch (e) {
        asm.removeSession(sess);
        throw e;
      }
    } else present = true;
    const old = sess.client;
    sess.client = c;
    sess.clean = v5 ? expiry === 0 : clean;
    sess.pubRelSubscribed = false;
    if (old !== null && old !== c) {
      // [MQTT-3.1.4-2]: the connected client with the same id is disconnected, without its will
      old.will = null;
      asm.addFlapper(cid);
      c.log.warn(`${c.label()} - Replacing old client ${old.label()} since both have the same client ID ${JSON.stringify(cid)}`);
      old.closeConnection(ClosedReason.DuplicateClientID);
    }
  } else {
    // [MQTT-3.2.2-3]: no stored session, Session Present 0
    sess.client = c;
    sess.clean = v5 ? expiry === 0 : clean;
    asm.addSession(sess);
  }
  sess.expiry = v5 ? expiry : 0;
  sess.disconnectedAt = 0;
  if (v5) sess.maxp = Math.min(c.broker.opts.max_ack_pending > 0 ? c.broker.opts.max_ack_pending : 1024, c.v5!.receiveMaximum);
  // Go saves always: in a cluster the write tells other servers the session is in use
  try {
    await asm.saveSession(sess);
  } catch (e) {
    asm.removeSession(sess);
    throw e;
  }
  if (c.closed) {
    if (sess.client === c) sess.client = null;
    return;
  }
  c.session = sess;
  c.asm = asm;
  c.connectReceived = true;
  // after CONNECT, packets up to the protocol maximum (publishes are held to max_payload)
  c.setMaxPacket(c.mpay > 0 ? c.mpay + 65536 : 0);
  // [MQTT-3.2.0-1]: CONNACK is the first packet the server sends
  c.enqueue(encodeConnack(present, 0, c.version, v5 ? connackProperties(c, cid, assigned, p) : {}));
  if (c.log.traceEnabled) c.trace(`->> [CONNACK sp=${present} rc=0]`);
  if (c.log.debugEnabled) c.log.debug(`${c.label()} - Client connected`);
  c.host2.clientConnected(c);
  if (sess.subs.size > 0) await restoreSubscriptions(c);
  if (present) resendInFlight(c);
}

/**
 * [MQTT-4.4.0-1]: a resumed session gets its unacknowledged PUBLISH and
 * PUBREL packets again, with their identifiers, now rather than after
 * ack_wait (Go waits for the consumer's redelivery): each is asked of its
 * consumer again.
 */
function resendInFlight(c: MqttClient): void {
  const sess = c.session!;
  const jsa = c.asm!.jsa;
  for (const p of sess.pendingPubRel.values()) jsa.nak(p.ackReply);
  for (const p of sess.pendingPublish.values()) jsa.nak(p.ackReply);
}

function sessionExpired(sess: { expiry: number; disconnectedAt: number }): boolean {
  return sess.disconnectedAt > 0 && sess.expiry !== 0xffffffff && Date.now() - sess.disconnectedAt > sess.expiry * 1000;
}

/** 5.0 CONNACK properties: what this server supports and limits [MQTT-3.2.2.3]. */
function connackProperties(c: MqttClient, cid: string, assigned: boolean, p: ConnectPacket): Properties {
  const props: Properties = {
    receiveMaximum: 65535,
    topicAliasMaximum: 65535,
    retainAvailable: 1,
    wildcardSubscriptionAvailable: 1,
    subscriptionIdentifierAvailable: 1,
    sharedSubscriptionAvailable: 1,
  };
  if (c.broker.opts.reject_qos2_publish) props.maximumQoS = 1;
  if (c.mpay > 0) props.maximumPacketSize = c.mpay + 65536;
  // [MQTT-3.2.2-16]: the identifier the server assigned to an empty client id
  if (assigned) props.assignedClientIdentifier = cid;
  if (p.properties.requestResponseInformation === 1) props.responseInformation = `${cid}/responses`;
  return props;
}

function connectTrace(p: ConnectPacket, cid: string): string {
  let t = `clientID=${cid}`;
  if (p.keepAlive > 0) t += ` keepAlive=${Math.floor(p.keepAlive * 1.5)}s`;
  if (p.will !== null) t += ` will=(topic=${p.will.topic} QoS=${p.will.qos} retain=${p.will.retain})`;
  if (p.clean) t += ' clean';
  if (p.username) t += ` username=${p.username}`;
  if (p.password !== null) t += ' password=****';
  return t;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
