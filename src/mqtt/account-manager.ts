/**
 * The MQTT state of one account (Go mqttAccountSessionManager): created at
 * the account's first CONNECT, it makes sure the five streams exist
 * (`$MQTT_sess`, `$MQTT_msgs`, `$MQTT_rmsgs`, `$MQTT_qos2in`, `$MQTT_out`,
 * configured as Go configures them), loads the retained messages through a
 * consumer on `$MQTT_rmsgs` (which then keeps them current), and keeps the
 * sessions of the account by client id, with Go's "flappers" jail for
 * clients that keep taking each other's session over.
 */
import type { Account } from '../accounts/account.js';
import type { Subscription } from '../conn/subscription.js';
import { InternalClient } from '../server/internal-client.js';
import type { MqttBroker } from './broker.js';
import { getHash, nuid } from './ids.js';
import { ERR_NO_MESSAGE_FOUND, ERR_STREAM_NOT_FOUND, JsaError, MqttJsa, storedMsg, type JsaResponse } from './jsa.js';
import { decodeRetained, encodeRetained, RETAINED_STREAM, RETAINED_SUBJECT_PREFIX, RetainedStore, type RetainedMsg } from './retained.js';
import {
  ackReplyInfo, MSGS_STREAM, MSGS_SUBJECT_PREFIX, MqttSession, OUT_STREAM, OUT_SUBJECT_PREFIX, QOS2IN_STREAM,
  QOS2IN_SUBJECT_PREFIX, SESS_STREAM, SESS_SUBJECT_PREFIX, SUB_PREFIX, type PersistedSession,
} from './session.js';

/** Go mqttSessFlappingJailDur / mqttSessFlappingCleanupInterval */
export const FLAP_JAIL_MS = 1000;
const FLAP_CLEANUP_MS = 5000;

export function jsaP<T = JsaResponse>(fn: (cb: (err: JsaError | null, r: JsaResponse) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, r) => (err ? reject(err) : resolve(r as T))));
}

export class MqttAccountManager {
  readonly sessions = new Map<string, MqttSession>();
  readonly byHash = new Map<string, MqttSession>();
  /** client ids whose CONNECT (or close) is being processed (Go sessLocked) */
  readonly locked = new Set<string>();
  /** client ids that took a session over, and when (Go flappers) */
  readonly flappers = new Map<string, number>();
  private flapTimer: NodeJS.Timeout | null = null;
  readonly retained = new RetainedStore();
  readonly jsa: MqttJsa;
  readonly ic: InternalClient;
  /** domain token of session subjects ('' or '<domain>.') */
  readonly domainTk: string;
  private readonly subs: Subscription[] = [];
  private ready: Promise<void> | null = null;
  /** retained messages still to come from the initial load (resolves `ready`) */
  private loading: { left: boolean; done: (() => void) | null } = { left: false, done: null };
  private closed = false;

  constructor(
    readonly broker: MqttBroker,
    readonly acc: Account,
  ) {
    const srv = broker.server;
    this.ic = new InternalClient(srv, srv.nextClientId(), acc);
    const o = broker.opts;
    this.jsa = new MqttJsa(this.ic, acc, broker.id, o.js_domain, o.js_api_timeout > 0 ? o.js_api_timeout : 5000);
    const jsDomain = srv.opts.jetstream_opts?.domain ?? '';
    this.domainTk = o.js_domain ? `${o.js_domain}.` : jsDomain ? `${jsDomain}.` : '';
  }

  get log() {
    return this.broker.server.log;
  }

  /** Streams, consumer and subscriptions, once (concurrent CONNECTs wait on the same work). */
  start(): Promise<void> {
    this.ready ??= this.init();
    return this.ready;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subs) this.ic.unsubscribe(this.acc, s);
    this.subs.length = 0;
    this.jsa.close();
    if (this.flapTimer !== null) clearTimeout(this.flapTimer);
    this.flapTimer = null;
  }

  private async init(): Promise<void> {
    const o = this.broker.opts;
    const replicas = o.stream_replicas > 0 ? o.stream_replicas : 1;
    const domain = o.js_domain ? ` in domain "${o.js_domain}"` : '';
    this.log.info(`Creating MQTT streams/consumers with replicas ${replicas} for account "${this.acc.name}"${domain}`);
    const rmsubj = SUB_PREFIX + nuid();
    this.subs.push(this.ic.subscribe(this.acc, rmsubj, null, (_s, subject, reply, hdr, payload) => this.onRetained(subject, reply, hdr, payload)));
    const streams: Record<string, unknown>[] = [
      { name: SESS_STREAM, subjects: [`${SESS_SUBJECT_PREFIX}${this.domainTk}>`], storage: 'file', retention: 'limits', num_replicas: replicas, max_msgs_per_subject: 1 },
      { name: MSGS_STREAM, subjects: [`${MSGS_SUBJECT_PREFIX}>`], storage: 'file', retention: 'interest', num_replicas: replicas },
      { name: QOS2IN_STREAM, subjects: [`${QOS2IN_SUBJECT_PREFIX}>`], storage: 'file', retention: 'limits', discard: 'new', max_msgs_per_subject: 1, discard_new_per_subject: true, num_replicas: replicas },
      { name: OUT_STREAM, subjects: [`${OUT_SUBJECT_PREFIX}>`], storage: 'file', retention: 'interest', num_replicas: replicas },
      { name: RETAINED_STREAM, subjects: [`${RETAINED_SUBJECT_PREFIX}>`], storage: 'file', retention: 'limits', num_replicas: replicas, max_msgs_per_subject: 1 },
    ];
    const what: Record<string, string> = {
      [SESS_STREAM]: 'sessions', [MSGS_STREAM]: 'messages', [QOS2IN_STREAM]: 'QoS2 incoming messages',
      [OUT_STREAM]: 'QoS2 outgoing PUBREL', [RETAINED_STREAM]: 'retained messages',
    };
    await Promise.all(streams.map((cfg) => this.ensureStream(cfg as { name: string }, what[cfg.name as string])));
    // One consumer per server reads every retained message, then follows new ones.
    const ccr = await jsaP((cb) =>
      this.jsa.createConsumer(RETAINED_STREAM, {
        name: `${RETAINED_STREAM}_${nuid()}`,
        filter_subject: `${RETAINED_SUBJECT_PREFIX}>`,
        deliver_subject: rmsubj,
        deliver_policy: 'all',
        replay_policy: 'instant',
        ack_policy: 'none',
        inactive_threshold: 5 * 60 * 1e9,
      }, cb),
    ).catch((e: Error) => {
      throw new Error(`create retained messages consumer for account "${this.acc.name}": ${e.message}`);
    });
    if ((ccr.num_pending ?? 0) > 0 && this.retained.size < ccr.num_pending) {
      // wait until the consumer delivered the last stored retained message
      await new Promise<void>((resolve) => {
        this.loading.left = true;
        this.loading.done = resolve;
        const t = setTimeout(() => {
          this.log.warn(`MQTT retained messages of account "${this.acc.name}" still loading`);
          resolve();
        }, 10_000);
        t.unref?.();
      });
    }
  }

  private async ensureStream(cfg: { name: string } & Record<string, unknown>, txt: string): Promise<void> {
    try {
      await jsaP((cb) => this.jsa.streamInfo(cfg.name, cb));
      return;
    } catch (e) {
      if (!(e instanceof JsaError) || e.errCode !== ERR_STREAM_NOT_FOUND) throw new Error(`lookup ${txt} stream for account "${this.acc.name}": ${(e as Error).message}`);
    }
    try {
      await jsaP((cb) => this.jsa.createStream(cfg, cb));
    } catch (e) {
      if (e instanceof JsaError && e.errCode === 10058) return; // created meanwhile
      throw new Error(`create ${txt} stream for account "${this.acc.name}": ${(e as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ retained messages

  /** A retained message from the `$MQTT_rmsgs` consumer: the initial load, or a change from any server (Go processRetainedMsg). */
  private onRetained(subject: string, reply: string, hdr: Buffer | null, payload: Buffer): void {
    const { sseq, pending } = ackReplyInfo(reply);
    const rm = decodeRetained(subject, hdr, Buffer.from(payload), sseq);
    if (rm !== null) {
      if (rm.payload.length === 0) {
        this.retained.remove(rm.subject);
        // the delete marker has done its work
        if (rm.origin === this.broker.id && sseq > 0) this.jsa.deleteMsg(RETAINED_STREAM, sseq, null);
      } else this.retained.set(rm);
    }
    if (pending === 0 && this.loading.left) {
      this.loading.left = false;
      const d = this.loading.done;
      this.loading.done = null;
      d?.();
    }
  }

  /**
   * Store (or, with an empty payload, remove) the retained message of
   * `subject` (Go mqttHandlePubRetain). The change reaches this server's map
   * through the consumer, as it reaches every other server's.
   */
  storeRetained(subject: string, rm: Omit<RetainedMsg, 'seq' | 'subject'>, done: (err: JsaError | null) => void): void {
    const { hdr, payload } = encodeRetained(rm);
    this.jsa.storeMsg(RETAINED_SUBJECT_PREFIX + subject, hdr, payload, (err) => {
      if (err) this.log.error(`unable to store retained message for account "${this.acc.name}", subject "${subject}": ${err.message}`);
      done(err);
    });
  }

  /** Retained messages a new subscription on `filter` gets, expired ones dropped. */
  matchRetained(filter: string, out: RetainedMsg[]): RetainedMsg[] {
    const n = out.length;
    this.retained.match(filter, out);
    const now = Date.now();
    for (let k = out.length - 1; k >= n; k--) {
      const rm = out[k];
      if (rm.expiresAt > 0 && rm.expiresAt <= now) {
        out.splice(k, 1);
        this.retained.remove(rm.subject, rm.seq);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ sessions

  /** Go createOrRestoreSession: the stored record of `clientId`, or a new session. */
  async createOrRestore(clientId: string): Promise<{ sess: MqttSession; restored: boolean }> {
    const hash = getHash(clientId);
    const maxp = this.broker.opts.max_ack_pending > 0 ? this.broker.opts.max_ack_pending : 1024;
    const sess = new MqttSession(clientId, hash, maxp, this.domainTk);
    let resp: JsaResponse;
    try {
      resp = await jsaP((cb) => this.jsa.loadLastMsgFor(SESS_STREAM, sess.subject, cb));
    } catch (e) {
      if (e instanceof JsaError && e.errCode === ERR_NO_MESSAGE_FOUND) return { sess, restored: false };
      throw new Error(`loading session record: ${(e as Error).message}`);
    }
    const m = storedMsg(resp);
    if (m === null) return { sess, restored: false };
    let ps: PersistedSession;
    try {
      ps = JSON.parse(m.data.toString('utf8')) as PersistedSession;
    } catch (e) {
      throw new Error(`unmarshal of session record at sequence ${m.seq}: ${(e as Error).message}`);
    }
    if (ps.id !== clientId) throw new SessionCollision();
    sess.restore(ps);
    sess.seq = m.seq;
    this.addSession(sess);
    return { sess, restored: true };
  }

  addSession(sess: MqttSession): void {
    this.sessions.set(sess.id, sess);
    this.byHash.set(sess.idHash, sess);
  }

  removeSession(sess: MqttSession): void {
    if (this.sessions.get(sess.id) === sess) this.sessions.delete(sess.id);
    if (this.byHash.get(sess.idHash) === sess) this.byHash.delete(sess.idHash);
  }

  /** Persist the session (Go mqttSession.save): the record, expected to follow the last one we wrote. */
  async saveSession(sess: MqttSession): Promise<void> {
    const body = Buffer.from(JSON.stringify(sess.persisted(this.broker.id)));
    const hdr = sess.seq !== 0 ? Buffer.from(`NATS/1.0\r\nNats-Expected-Last-Subject-Sequence:${sess.seq}\r\n\r\n`) : null;
    let r: JsaResponse;
    try {
      r = await jsaP((cb) => this.jsa.request('SP', sess.subject, hdr, body, cb, false, sess.idHash));
    } catch (e) {
      throw new Error(`unable to persist session "${sess.id}" (seq=${sess.seq}): ${(e as Error).message}`);
    }
    if (typeof r.seq !== 'number') throw new Error(`unable to persist session "${sess.id}" (seq=${sess.seq}): invalid pub ack response`);
    sess.seq = r.seq;
  }

  /**
   * Go mqttSession.clear: forget the session's state and delete its consumers
   * and record (waiting for each answer unless `noWait`).
   */
  async clearSession(sess: MqttSession, noWait: boolean): Promise<void> {
    const { durables, pubRel, seq } = sess.clearState();
    const jsa = this.jsa;
    const del = async (stream: string, name: string): Promise<void> => {
      if (noWait) return jsa.deleteConsumer(stream, name, null);
      try {
        await jsaP((cb) => jsa.deleteConsumer(stream, name, cb));
      } catch (e) {
        if (!(e instanceof JsaError) || e.errCode !== 10014) throw new Error(`unable to delete consumer "${name}" for session "${sess.id}": ${(e as Error).message}`);
      }
    };
    await Promise.all(durables.map((d) => del(MSGS_STREAM, d)));
    if (pubRel !== null) await del(OUT_STREAM, pubRel);
    if (seq > 0) {
      if (noWait) jsa.deleteMsg(SESS_STREAM, seq, null);
      else {
        try {
          await jsaP((cb) => jsa.deleteMsg(SESS_STREAM, seq, cb));
        } catch (e) {
          if (!(e instanceof JsaError) || (e.errCode !== 10043 && e.errCode !== 10057)) throw new Error(`unable to delete session "${sess.id}" record at sequence ${seq}: ${(e as Error).message}`);
        }
      }
    }
  }

  addFlapper(clientId: string): void {
    this.flappers.set(clientId, Date.now());
    if (this.flapTimer !== null) return;
    const sweep = (): void => {
      const now = Date.now();
      for (const [cid, t] of this.flappers) if (now - t > FLAP_JAIL_MS) this.flappers.delete(cid);
      this.flapTimer = this.flappers.size > 0 ? setTimeout(sweep, FLAP_CLEANUP_MS) : null;
      this.flapTimer?.unref?.();
    };
    this.flapTimer = setTimeout(sweep, FLAP_CLEANUP_MS);
    this.flapTimer.unref?.();
  }
}

/** Go errMQTTSessionCollision: the stored record of this hash belongs to another client id. */
export class SessionCollision extends Error {
  constructor() {
    super('stored session does not match client ID');
  }
}
