/**
 * Opening a file store with the server's durability settings.
 */
import type { Logger } from '../../log/logger.js';
import { FileStore } from './filestore/filestore.js';
import type { StoreConfig, StreamStore } from './store.js';

export function openFileStore(dir: string, cfg: StoreConfig, syncInterval: number | 'always', log: Logger): StreamStore {
  return new FileStore(dir, cfg, {
    syncIntervalMs: syncInterval,
    log: (level, msg) => (level === 'error' ? log.error(msg) : level === 'warn' ? log.warn(msg) : log.info(msg)),
  });
}
