/**
 * The server side of the authorization callout (auth/callout.ts): requests
 * and their replies travel through one internal client in the callout
 * account, as Go's sendInternalAccountMsgWithReply and subscribeInternal do.
 */
import type { KeyPair } from '@nats-io/nkeys';
import { AuthCallout, type CalloutHost } from '../auth/callout.js';
import { GO_COMPAT_VERSION } from '../util/version.js';
import { InternalClient } from './internal-client.js';
import type { Server } from './server.js';

/** Build the callout for a server whose options have `auth_callout` (server-config mode only). */
export function createAuthCallout(srv: Server, key: KeyPair): AuthCallout | null {
  const spec = srv.opts.auth_callout;
  // Operator mode refuses a configured callout (OperatorAuth); accounts bring their own there.
  if (spec === undefined || srv.operator !== null) return null;
  // Go only logs these at startup; the account must exist before requests can be sent.
  if (!srv.accounts.has(spec.account)) srv.log.error(`Authorization callout account "${spec.account}" not valid`);
  const known = new Set<string>();
  for (const u of srv.opts.users) if (u.user !== undefined) known.add(u.user);
  for (const u of srv.opts.nkeys) if (u.nkey) known.add(u.nkey);
  for (const u of spec.auth_users) if (!known.has(u)) srv.log.error(`Authorization callout user "${u}" not valid`);
  let ic: InternalClient | null = null;
  const internal = (): InternalClient => (ic ??= new InternalClient(srv, srv.nextClientId(), srv.globalAccount));
  const host: CalloutHost = {
    log: srv.log,
    id: srv.id,
    serverIdentity: () => ({
      name: srv.name,
      host: srv.opts.host,
      id: srv.id,
      version: GO_COMPAT_VERSION,
      ...(srv.opts.tags.length > 0 ? { tags: [...srv.opts.tags] } : {}),
    }),
    sign: (d) => key.sign(d),
    authTimeoutMs: () => srv.authTimeoutMs(),
    hasAccount: (name) => srv.accounts.has(name),
    accountDefaultPermissions: (name) => srv.opts.accounts.find((a) => a.name === name)?.default_permissions,
    subscribe: (account, subject, cb) => {
      const acc = srv.accounts.get(account)!;
      const c = internal();
      const sub = c.subscribe(acc, subject, null, (_s, _subj, _reply, _hdr, payload) => cb(payload));
      return () => c.unsubscribe(acc, sub);
    },
    publish: (account, subject, reply, hdr, payload) => {
      internal().publish(srv.accounts.get(account)!, subject, reply, hdr, payload);
    },
  };
  return new AuthCallout(spec, host);
}
