/**
 * The storage contract shared by the memory store and the file store (Go
 * store.go StreamStore / ConsumerStore). Everything here is synchronous: the
 * stream calls it inline while processing a publish, and the file store keeps
 * the write path in memory plus coalesced appends, so durability policy
 * (sync_interval) lives inside the store.
 *
 * Timestamps are nanoseconds since the Unix epoch held in a JS number
 * (precision ~256 ns at today's epoch, enough for ordering and RFC 3339 output).
 * Subjects are latin1 byte strings, as everywhere on the server's hot path.
 */

export type StorageType = 'file' | 'memory';
export type DiscardPolicy = 'old' | 'new';

/** The limits a store enforces by itself (discard old); the stream checks discard new first. */
export interface StoreConfig {
  name: string;
  storage: StorageType;
  /** -1 = unlimited */
  max_msgs: number;
  max_bytes: number;
  /** nanoseconds, 0 = unlimited */
  max_age: number;
  max_msgs_per_subject: number;
  discard: DiscardPolicy;
  /** file store: 's2' or 'none' (stored but compression is optional for the store) */
  compression?: 'none' | 's2';
  /** first sequence for an empty store (stream first_seq) */
  first_seq?: number;
  /** allow per-message TTLs (seconds given on store) */
  allow_msg_ttl?: boolean;
}

export interface StoredMsg {
  subj: string;
  /** full NATS/1.0 header block or null */
  hdr: Buffer | null;
  msg: Buffer;
  seq: number;
  /** ns since epoch */
  ts: number;
}

/**
 * A message read in place (`peekNextMsg`): buf[start, end) is the header
 * block (hdrLen bytes, 0 = none) followed by the payload. The bytes may be
 * the store's own, so a view is only good until the store is next called;
 * whoever keeps them longer copies them (as for socket chunks).
 */
export interface MsgView {
  subj: string;
  seq: number;
  /** ns since epoch */
  ts: number;
  buf: Buffer;
  start: number;
  hdrLen: number;
  end: number;
}

export function newMsgView(): MsgView {
  return { subj: '', seq: 0, ts: 0, buf: Buffer.alloc(0), start: 0, hdrLen: 0, end: 0 };
}

/** Fill `out` from a stored message (header block and payload need not be adjacent: then one copy). */
export function viewOfStored(m: StoredMsg, out: MsgView): void {
  const hl = m.hdr === null ? 0 : m.hdr.length;
  out.subj = m.subj;
  out.seq = m.seq;
  out.ts = m.ts;
  out.hdrLen = hl;
  if (hl === 0) {
    out.buf = m.msg;
    out.start = 0;
    out.end = m.msg.length;
    return;
  }
  const h = m.hdr!;
  out.buf =
    h.buffer === m.msg.buffer && h.byteOffset + hl === m.msg.byteOffset
      ? Buffer.from(h.buffer, h.byteOffset, hl + m.msg.length)
      : Buffer.concat([h, m.msg], hl + m.msg.length);
  out.start = 0;
  out.end = hl + m.msg.length;
}

export interface StreamState {
  msgs: number;
  bytes: number;
  first_seq: number;
  first_ts: number;
  last_seq: number;
  last_ts: number;
  num_subjects: number;
  num_deleted: number;
  consumer_count: number;
}

export interface SimpleState {
  msgs: number;
  first: number;
  last: number;
}

/** Asked before age/TTL expiry removes `seq`; true = the caller handled it. */
export type ExpiryHandler = (seq: number, subj: string) => boolean;

/** Called after every change in stored messages: deltas and the affected sequence/subject. */
export type StorageUpdateHandler = (msgsDelta: number, bytesDelta: number, seq: number, subj: string) => void;

export interface StreamStore {
  readonly type: StorageType;
  /** Store a message; copies hdr/msg. ttlSec > 0 sets a per-message TTL (seconds). Returns [seq, ts]. */
  storeMsg(subj: string, hdr: Buffer | null, msg: Buffer, ttlSec?: number): [number, number];
  /** Store with a given sequence and timestamp (mirrors, restores). seq must exceed the last one. */
  storeRawMsg(subj: string, hdr: Buffer | null, msg: Buffer, seq: number, ts: number): void;
  /** Advance last_seq without a message (interior/leading gaps). Returns the skipped seq. */
  skipMsg(): number;
  loadMsg(seq: number): StoredMsg | null;
  /** First message with seq >= start whose subject matches `filter` ('' or '>' = all). */
  loadNextMsg(filter: string, start: number): StoredMsg | null;
  /** loadNextMsg into a reused view, without copying when the store can avoid it; false when none. */
  peekNextMsg(filter: string, start: number, out: MsgView): boolean;
  /** Last message whose subject matches `filter` ('' or '>' = all). */
  loadLastMsg(filter: string): StoredMsg | null;
  /** Last message with seq <= start. */
  loadPrevMsg(start: number): StoredMsg | null;
  removeMsg(seq: number): boolean;
  /** Remove and overwrite the payload on disk. */
  eraseMsg(seq: number): boolean;
  /** Remove everything; the next sequence stays last_seq+1. Returns messages purged. */
  purge(): number;
  /** Purge messages matching subject ('' = all) below seq (0 = no bound), keeping the newest `keep`. */
  purgeEx(subject: string, seq: number, keep: number): number;
  /** Remove all messages with seq < `seq`; first_seq becomes `seq`. */
  compact(seq: number): number;
  state(): StreamState;
  /** Messages at or after `start` matching `filter`. */
  filteredState(start: number, filter: string): SimpleState;
  /** Per-subject state for subjects matching filter ('' = all). */
  subjectsState(filter: string): Map<string, SimpleState>;
  /** Messages after `start` (inclusive) matching filter; with lastPerSubject count subjects whose last msg is >= start. */
  numPending(start: number, filter: string, lastPerSubject: boolean): number;
  /** All deleted sequences (interior gaps) between first and last. */
  deletedSeqs(): number[];
  updateConfig(cfg: StoreConfig): void;
  registerStorageUpdates(cb: StorageUpdateHandler): void;
  /** Push buffered writes to the OS (and fsync when `sync`). */
  flush(sync?: boolean): void;
  /** Stop timers and close files; `stop()` keeps the data. */
  stop(): void;
  /** Stop and remove all data. */
  delete(): void;
  /** Open a consumer state store. */
  consumerStore(name: string, cfg: unknown): ConsumerStore;
  /** Consumers with persisted state (recovered after a restart). */
  consumerNames(): string[];
  /**
   * Subject delete markers: before max_age or a per-message TTL removes a
   * message, the store asks `cb`; when it returns true the owner has replaced
   * the message (stored a marker and removed it) and the store moves on.
   */
  registerExpiryHandler(cb: ExpiryHandler | null): void;
}

/** One ack-pending delivery (Go Pending). */
export interface PendingEntry {
  /** consumer sequence of the delivery */
  sequence: number;
  /** ns of the delivery */
  timestamp: number;
}

export interface ConsumerState {
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  /** stream seq -> pending delivery */
  pending: Map<number, PendingEntry>;
  /** stream seq -> number of redeliveries */
  redelivered: Map<number, number>;
}

export interface ConsumerStore {
  /** Persist the consumer's config (file store writes obs/<name>/meta.inf). */
  setConfig(cfg: unknown, created: number): void;
  /**
   * Persist state (may coalesce writes). `acknowledged`: the caller is about
   * to tell a client this state was taken (an ack with a reply): it is written
   * before any socket output leaves (util/write-barrier.ts).
   */
  update(state: ConsumerState, acknowledged?: boolean): void;
  /** The last persisted state, or null for a new consumer. */
  load(): { config: unknown; created: number; state: ConsumerState } | null;
  flush(): void;
  stop(): void;
  delete(): void;
}

export function emptyConsumerState(): ConsumerState {
  return {
    delivered: { consumer_seq: 0, stream_seq: 0 },
    ack_floor: { consumer_seq: 0, stream_seq: 0 },
    pending: new Map(),
    redelivered: new Map(),
  };
}

/**
 * First sequence whose message was stored at or after `t` (ns), last_seq + 1
 * when none: a binary search, timestamps grow with sequence numbers.
 */
export function seqAtTime(store: StreamStore, t: number): number {
  const st = store.state();
  let lo = st.first_seq;
  let hi = st.last_seq;
  let ans = st.last_seq + 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const m = store.loadNextMsg('', mid);
    if (m === null) {
      hi = mid - 1;
      continue;
    }
    if (m.ts >= t) {
      ans = m.seq;
      hi = mid - 1;
    } else lo = m.seq + 1;
  }
  return ans;
}

/** Go memStoreMsgSize: the byte accounting the memory store reports. */
export function memStoreMsgSize(subj: string, hdr: Buffer | null, msg: Buffer): number {
  return subj.length + (hdr ? hdr.length : 0) + msg.length + 16;
}

/** Go fileStoreMsgSize: record header 22 + subject + [4 + headers] + payload + 8 checksum. */
export function fileStoreMsgSize(subj: string, hdr: Buffer | null, msg: Buffer): number {
  const h = hdr && hdr.length > 0 ? hdr.length + 4 : 0;
  return 22 + subj.length + h + msg.length + 8;
}

export { nowNs, resyncClock } from '../../util/time.js';
