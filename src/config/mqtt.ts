/**
 * The `mqtt {}` block, as Go's opts.go parseMQTT reads it, and the checks of
 * Go's mqtt.go validateMQTTOptions (the 2.9.10 release: `server_name` is
 * always required, as the issue asks; newer releases ask for it only when
 * clustered).
 */
import { ConfMap, type ConfValue, type Pos } from './parser.js';
import { defaultMqttOptions, type MqttOptions, type Options, type TlsOptions } from './options.js';
import { ConfigError } from '../util/errors.js';
import { clusterOptions } from './cluster.js';
import { gatewayOptions } from './gateway.js';
import { Ctx, bool, describe, duration, forEachKey, hostPort, int, str } from './values.js';
import { parseSimpleAuth } from './websocket.js';

type TlsParser = (ctx: Ctx, p: Pos | undefined, v: ConfValue, client?: boolean) => TlsOptions;

export function parseMqtt(ctx: Ctx, p: Pos | undefined, v: ConfValue, parseTls: TlsParser): MqttOptions {
  if (!(v instanceof ConfMap)) ctx.err(p, `Expected mqtt to be a map, got ${typeof v === 'number' ? 'int64' : describe(v)}`);
  const o = defaultMqttOptions();
  forEachKey(ctx, p, v, 'mqtt', (key, val, kp, raw) => {
    switch (key) {
      case 'listen': {
        const hp = hostPort(ctx, kp, val);
        o.host = hp.host;
        o.port = hp.port;
        break;
      }
      case 'port': o.port = int(ctx, kp, val); break;
      case 'host': case 'net': o.host = str(ctx, kp, val); break;
      case 'tls': o.tls = parseTls(ctx, kp, val, true); break;
      case 'authorization': case 'authentication': parseSimpleAuth(ctx, kp, val, o); break;
      case 'no_auth_user': o.no_auth_user = str(ctx, kp, val); break;
      case 'ack_wait': case 'ackwait': o.ack_wait = duration(ctx, kp, val, 'ack_wait'); break;
      case 'js_api_timeout': case 'api_timeout': o.js_api_timeout = duration(ctx, kp, val, 'js_api_timeout'); break;
      case 'max_ack_pending': case 'max_pending': case 'max_inflight': {
        const n = int(ctx, kp, val);
        if (n < 0 || n > 0xffff) ctx.err(kp, `invalid value ${n}, should in [0..65535] range`);
        o.max_ack_pending = n;
        break;
      }
      case 'js_domain': o.js_domain = str(ctx, kp, val); break;
      case 'stream_replicas': o.stream_replicas = int(ctx, kp, val); break;
      case 'consumer_replicas': o.consumer_replicas = int(ctx, kp, val); break;
      case 'consumer_memory_storage': o.consumer_memory_storage = bool(ctx, kp, val); break;
      case 'consumer_inactive_threshold': case 'consumer_auto_cleanup':
        o.consumer_inactive_threshold = duration(ctx, kp, val, 'consumer_inactive_threshold');
        break;
      case 'reject_qos2_publish': o.reject_qos2_publish = bool(ctx, kp, val); break;
      case 'downgrade_qos2_subscribe': o.downgrade_qos2_subscribe = bool(ctx, kp, val); break;
      default: ctx.err(kp, `unknown field "${raw}"`);
    }
  });
  return o;
}

/** Go validateMQTTOptions: the errors a server refuses to start with (2.9.10 texts). */
export function validateMqttOptions(o: Options): void {
  const mo = o.mqtt;
  if (mo === undefined || mo.port === 0) return;
  if (!o.server_name) throw new ConfigError('mqtt requires server name to be explicitly set');
  if (mo.no_auth_user) {
    // Go validateNoAuthUser
    if (o.operator_mode !== undefined && o.operator_mode.operator_jwts.length > 0) throw new ConfigError('no_auth_user not compatible with Trusted Operator');
    if (o.users.length === 0 && o.nkeys.length === 0) throw new ConfigError(`no_auth_user: "${mo.no_auth_user}" present, but users/nkeys are not defined`);
    const known = o.users.some((u) => u.user === mo.no_auth_user) || o.nkeys.some((u) => u.nkey === mo.no_auth_user);
    if (!known) throw new ConfigError(`no_auth_user: "${mo.no_auth_user}" not present as user or nkey in authorization block or account configuration`);
  }
  if (o.users.length > 0 || o.nkeys.length > 0) {
    if (mo.username) throw new ConfigError('mqtt authentication username not compatible with presence of users/nkeys');
    if (mo.token) throw new ConfigError('mqtt authentication token not compatible with presence of users/nkeys');
  }
  if (mo.ack_wait < 0) throw new ConfigError('ack wait must be a positive value');
  if (mo.js_api_timeout < 0) throw new ConfigError('JS API timeout must be a positive value');
  // Strictly standalone without JetStream cannot work; a cluster, a gateway or leaf nodes may bring it.
  const leaf = o.leafnodes;
  if (!o.jetstream && (clusterOptions(o)?.port ?? 0) === 0 && (gatewayOptions(o)?.port ?? 0) === 0 && !(leaf && (leaf.port !== 0 || leaf.remotes.length > 0))) {
    throw new ConfigError('mqtt requires JetStream to be enabled if running in standalone mode');
  }
  if (mo.consumer_replicas > 0 && mo.stream_replicas > 0 && mo.consumer_replicas > mo.stream_replicas) {
    throw new ConfigError(`mqtt: consumer_replicas (${mo.consumer_replicas}) cannot be higher than stream_replicas (${mo.stream_replicas})`);
  }
}
