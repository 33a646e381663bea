/**
 * STREAM.SNAPSHOT / STREAM.RESTORE (Go jsStreamSnapshotRequest /
 * jsStreamRestoreRequest).
 */
import type { ApiRoute } from './request.js';

export const SNAPSHOT_HANDLERS: ApiRoute[] = [];
