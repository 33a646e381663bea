/**
 * The end of a connection (Go mqttHandleClosedClient, mqttHandleWill): the
 * session lets go of the client; a clean session (3.1.1), or a 5.0 session
 * with expiry 0, is deleted with its consumers [MQTT-3.1.2-6]; a 5.0 session
 * with an expiry is deleted when it passes unless a client took it again
 * [MQTT-3.1.2-23]; then the will is published unless the client sent
 * DISCONNECT [MQTT-3.1.2-8] (5.0: after the Will Delay Interval, or when the
 * session ends if that comes first [MQTT-3.1.3-9]).
 */
import type { MqttAccountManager } from '../account-manager.js';
import type { MqttClient } from '../connection.js';
import type { MqttSession } from '../session.js';
import { deliver, type Pub } from './publish.js';

/** A delayed will (5.0), by session. */
const delayed = new WeakMap<MqttSession, { timer: NodeJS.Timeout; fire: () => void }>();
/** A session expiry timer (5.0), by session. */
const expiring = new WeakMap<MqttSession, NodeJS.Timeout>();

export function cancelDelayedWill(sess: MqttSession): void {
  const d = delayed.get(sess);
  if (d !== undefined) {
    clearTimeout(d.timer);
    delayed.delete(sess);
  }
  const e = expiring.get(sess);
  if (e !== undefined) {
    clearTimeout(e);
    expiring.delete(sess);
  }
}

export function handleClosed(c: MqttClient): void {
  const asm = c.asm;
  const sess = c.session;
  const will = c.will;
  c.will = null;
  if (asm === null || sess === null) return;
  // taken over (or being set up by another connection): the session is not ours to end
  if (sess.client !== c) return;
  sess.client = null;
  asm.flappers.delete(sess.id);
  const v5 = c.v5 !== null;
  if (sess.clean || (v5 && sess.expiry === 0)) {
    asm.removeSession(sess);
    asm.clearSession(sess, true).catch((e: Error) => c.log.error(e.message));
    if (will !== null) publishWill(c, will);
    return;
  }
  if (v5 && sess.expiry !== 0xffffffff) {
    sess.disconnectedAt = Date.now();
    asm.saveSession(sess).catch((e: Error) => c.log.error(e.message));
    const t = setTimeout(() => endSession(asm, sess), Math.min(sess.expiry * 1000, 2 ** 31 - 1));
    t.unref?.();
    expiring.set(sess, t);
  }
  if (will === null) return;
  const delayS = c.v5?.willDelay ?? 0;
  if (v5 && delayS > 0) {
    const fire = (): void => {
      delayed.delete(sess);
      if (sess.client === null) publishWill(c, will);
    };
    const timer = setTimeout(fire, Math.min(delayS * 1000, 2 ** 31 - 1));
    timer.unref?.();
    delayed.set(sess, { timer, fire });
    return;
  }
  publishWill(c, will);
}

/** A 5.0 session whose expiry passed with no client: gone, and its delayed will sent now [MQTT-3.1.3-9]. */
function endSession(asm: MqttAccountManager, sess: MqttSession): void {
  expiring.delete(sess);
  if (sess.client !== null) return;
  const d = delayed.get(sess);
  if (d !== undefined) {
    clearTimeout(d.timer);
    d.fire();
  }
  asm.removeSession(sess);
  asm.clearSession(sess, true).catch((e: Error) => asm.log.error(e.message));
}

/** Go mqttHandleWill: the will as a PUBLISH of the closed client (retained and QoS 1/2 as for any publish). */
export function publishWill(c: MqttClient, will: NonNullable<MqttClient['will']>): void {
  const pp: Pub = {
    topic: will.topic, subject: will.subject, mapped: '', payload: will.payload, qos: will.qos, retain: will.retain, pi: 0,
    props: c.v5 !== null ? willProps(will.properties) : null,
  };
  deliver(c, pp, will.qos > 0 ? (err) => {
    if (err !== null) c.log.error(`${c.label()} - unable to deliver will message: ${err.message}`);
  } : null);
}

function willProps(p: NonNullable<MqttClient['will']>['properties']): NonNullable<Pub['props']> {
  const { willDelayInterval: _d, ...rest } = p;
  return rest;
}
