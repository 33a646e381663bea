/**
 * Account-level API: `$JS.API.INFO` (usage, limits, API counters) and the
 * system-account-only subjects, which a non-system account's request leaves
 * unanswered exactly as Go does.
 */
import { API_LEVEL } from '../stream/config.js';
import type { ApiRequest, ApiRoute } from './request.js';

function accountInfo(req: ApiRequest): Record<string, unknown> {
  const jsa = req.jsa;
  const u = jsa.usage();
  const r = jsa.reserved();
  const o: Record<string, unknown> = {
    memory: u.memory,
    storage: u.storage,
    reserved_memory: r.memory,
    reserved_storage: r.storage,
    streams: u.streams,
    consumers: u.consumers,
    limits: { ...jsa.limits },
  };
  if (jsa.domain) o.domain = jsa.domain;
  o.api = { level: API_LEVEL, total: jsa.apiTotal, errors: jsa.apiErrors };
  return o;
}

const systemOnly = (): null => null;

export const ACCOUNT_HANDLERS: ApiRoute[] = [
  { pattern: 'INFO', type: 'account_info_response', handler: accountInfo },
  { pattern: 'META.LEADER.STEPDOWN', type: 'meta_leader_stepdown_response', handler: systemOnly },
  { pattern: 'SERVER.REMOVE', type: 'meta_server_remove_response', handler: systemOnly },
  { pattern: 'ACCOUNT.PURGE.*', type: 'account_purge_response', handler: systemOnly },
  { pattern: 'ACCOUNT.STREAM.MOVE.*.*', type: 'stream_update_response', handler: systemOnly },
  { pattern: 'ACCOUNT.STREAM.CANCEL_MOVE.*.*', type: 'stream_update_response', handler: systemOnly },
];
