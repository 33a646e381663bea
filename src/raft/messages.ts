/**
 * RAFT wire and file encodings, byte for byte as the Go server's raft.go
 * writes them (all integers little-endian), so a later step can put our
 * nodes in one group with Go nodes. Each encoder/decoder names the Go
 * function whose format it follows. Decoders never throw: a malformed input
 * gives null.
 *
 * Terms and indexes are uint64 on the wire; here they are JS numbers. A value
 * above Number.MAX_SAFE_INTEGER (2^53 - 1) cannot be represented and is
 * treated as malformed (no group reaches 2^53 entries or terms).
 *
 * Peer ids are Go's 8-byte node ids (`idLen`), kept as latin1 strings
 * (one char per byte).
 */

import { latin1, writeLatin1 } from '../util/bytes.js';

/** Length of a node id on the wire (Go `idLen`). */
export const ID_LEN = 8;

/**
 * Entry types, numbered as Go's `EntryType` (`EntryNormal = iota` in raft.go).
 * `Catchup` is internal only in Go (never sent or stored): it marks, on the
 * apply queue, that the entries which follow are a catch-up.
 */
export const EntryType = {
  Normal: 0,
  OldSnapshot: 1,
  PeerState: 2,
  AddPeer: 3,
  RemovePeer: 4,
  LeaderTransfer: 5,
  Snapshot: 6,
  Catchup: 7,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

const ENTRY_TYPE_NAMES = ['Normal', 'OldSnapshot', 'PeerState', 'AddPeer', 'RemovePeer', 'LeaderTransfer', 'Snapshot', 'Catchup'];

/** Go's `EntryType.String()`. */
export function entryTypeName(t: number): string {
  return ENTRY_TYPE_NAMES[t] ?? `Unknown [${t}]`;
}

export interface Entry {
  type: number;
  data: Buffer;
}

/** One log record / replication message: Go's `appendEntry`. */
export interface AppendEntry {
  leader: string;
  term: number;
  commit: number;
  pterm: number;
  pindex: number;
  entries: Entry[];
  /** Leader's current term when it re-sends old entries during a catch-up; 0 = use `term`. */
  lterm: number;
}

export interface AppendEntryResponse {
  term: number;
  index: number;
  peer: string;
  success: boolean;
}

export interface VoteRequest {
  term: number;
  lastTerm: number;
  lastIndex: number;
  candidate: string;
}

export interface VoteResponse {
  term: number;
  peer: string;
  granted: boolean;
  /** The voter's log is empty (Go's "empty vote"). */
  empty: boolean;
}

/** Go's `extensionState` (JetStream domain extension), carried in the peer state. */
export const ExtensionState = { Undetermined: 0, Extended: 1, NotExtended: 2 } as const;

export interface PeerState {
  knownPeers: string[];
  clusterSize: number;
  domainExt: number;
}

export interface Snapshot {
  lastTerm: number;
  lastIndex: number;
  peerstate: Buffer;
  data: Buffer;
}

const TWO_32 = 0x100000000;
const MAX_HI = 0x200000; // 2^21: hi word of the largest safe integer + 1

function putU64(b: Buffer, off: number, v: number): void {
  b.writeUInt32LE(v % TWO_32, off);
  b.writeUInt32LE(Math.floor(v / TWO_32), off + 4);
}

/** Read a uint64; -1 when it does not fit a safe integer. */
function getU64(b: Uint8Array, off: number): number {
  const lo = (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16)) + b[off + 3] * 0x1000000;
  const hi = (b[off + 4] | (b[off + 5] << 8) | (b[off + 6] << 16)) + b[off + 7] * 0x1000000;
  if (hi >= MAX_HI) return -1;
  return hi * TWO_32 + lo;
}

function getU32(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16)) + b[off + 3] * 0x1000000;
}

function putId(b: Buffer, off: number, id: string): void {
  // Go copies the id's bytes; a short (empty) id leaves zeros.
  b.fill(0, off, off + ID_LEN);
  writeLatin1(b, id.length > ID_LEN ? id.slice(0, ID_LEN) : id, off);
}

function getId(b: Buffer, off: number): string {
  return latin1(b, off, off + ID_LEN);
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function validU64(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

/** Go `appendEntryBaseLen`: leader id, term, commit, pterm, pindex, entry count (uint16). */
export const APPEND_ENTRY_BASE_LEN = ID_LEN + 4 * 8 + 2;
const MAX_ENTRIES = 0xffff;
const MAX_ENTRY_DATA = 0x7fffffff; // Go caps at MaxInt32

/** Unsigned LEB128 as Go's binary.PutUvarint. */
function uvarintLen(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putUvarint(b: Buffer, off: number, v: number): number {
  while (v >= 0x80) {
    b[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  b[off++] = v;
  return off;
}

/** Go binary.Uvarint: [value, bytes read]; bytes <= 0 when malformed or too big. */
function getUvarint(b: Uint8Array, off: number, end: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; off + i < end; i++) {
    if (i >= 8) return [0, -1]; // 8 * 7 = 56 bits already beyond a safe integer
    const c = b[off + i];
    v += (c & 0x7f) * mul;
    if (c < 0x80) return Number.isSafeInteger(v) ? [v, i + 1] : [0, -1];
    mul *= 128;
  }
  return [0, 0];
}

/**
 * Encode an append entry as Go's `appendEntry.encode`: leader id (8 bytes),
 * term, commit, pterm, pindex (uint64 each), number of entries (uint16), then
 * per entry its length + 1 (uint32), its type byte and its data; then the
 * leader term `lterm` as a uvarint (old Go nodes ignore trailing bytes).
 * Returns null where Go returns an error (bad leader id, > 65535 entries, an
 * entry over 2 GiB) or a number is not a uint64.
 */
export function encodeAppendEntry(ae: AppendEntry): Buffer | null {
  const ll = ae.leader.length;
  if (ll !== ID_LEN && ll !== 0) return null;
  if (ae.entries.length > MAX_ENTRIES) return null;
  if (!validU64(ae.term) || !validU64(ae.commit) || !validU64(ae.pterm) || !validU64(ae.pindex) || !validU64(ae.lterm)) return null;
  let elen = 0;
  for (const e of ae.entries) {
    if (e.data.length > MAX_ENTRY_DATA) return null;
    elen += e.data.length + 1 + 4;
  }
  const buf = Buffer.allocUnsafe(APPEND_ENTRY_BASE_LEN + elen + uvarintLen(ae.lterm));
  putId(buf, 0, ae.leader);
  putU64(buf, 8, ae.term);
  putU64(buf, 16, ae.commit);
  putU64(buf, 24, ae.pterm);
  putU64(buf, 32, ae.pindex);
  buf.writeUInt16LE(ae.entries.length, 40);
  let wi = APPEND_ENTRY_BASE_LEN;
  for (const e of ae.entries) {
    buf.writeUInt32LE(e.data.length + 1, wi);
    buf[wi + 4] = e.type;
    e.data.copy(buf, wi + 5);
    wi += 5 + e.data.length;
  }
  putUvarint(buf, wi, ae.lterm);
  return buf;
}

/**
 * Decode as Go's `decodeAppendEntry`. Entry data are views into `msg` (no
 * copy), as in Go: the caller owns `msg` and must not reuse it. Trailing bytes
 * after the entries are the optional lterm uvarint; if it does not parse,
 * lterm is 0 (Go ignores it too).
 */
export function decodeAppendEntry(input: Uint8Array): AppendEntry | null {
  const msg = asBuffer(input);
  if (msg.length < APPEND_ENTRY_BASE_LEN) return null;
  const term = getU64(msg, 8);
  const commit = getU64(msg, 16);
  const pterm = getU64(msg, 24);
  const pindex = getU64(msg, 32);
  if (term < 0 || commit < 0 || pterm < 0 || pindex < 0) return null;
  const ne = msg[40] | (msg[41] << 8);
  const max = msg.length;
  let ri = APPEND_ENTRY_BASE_LEN;
  const entries: Entry[] = [];
  for (let i = 0; i < ne; i++) {
    if (max - ri < 4) return null;
    const ml = getU32(msg, ri);
    ri += 4;
    if (ml === 0 || ri + ml > max) return null;
    entries.push({ type: msg[ri], data: msg.subarray(ri + 1, ri + ml) });
    ri += ml;
  }
  let lterm = 0;
  if (ri < max) {
    const [v, n] = getUvarint(msg, ri, max);
    if (n > 0) lterm = v;
  }
  return { leader: getId(msg, 0), term, commit, pterm, pindex, entries, lterm };
}

/** Go `appendEntryResponseLen`. */
export const APPEND_ENTRY_RESPONSE_LEN = 24 + 1;

/** Go `appendEntryResponse.encode`: term, index (uint64), peer id (8), success byte. */
export function encodeAppendEntryResponse(ar: AppendEntryResponse): Buffer {
  const buf = Buffer.allocUnsafe(APPEND_ENTRY_RESPONSE_LEN);
  putU64(buf, 0, ar.term);
  putU64(buf, 8, ar.index);
  putId(buf, 16, ar.peer);
  buf[24] = ar.success ? 1 : 0;
  return buf;
}

/** Go `decodeAppendEntryResponse`: exactly 25 bytes; success is byte 24 == 1. */
export function decodeAppendEntryResponse(input: Uint8Array): AppendEntryResponse | null {
  const msg = asBuffer(input);
  if (msg.length !== APPEND_ENTRY_RESPONSE_LEN) return null;
  const term = getU64(msg, 0);
  const index = getU64(msg, 8);
  if (term < 0 || index < 0) return null;
  return { term, index, peer: getId(msg, 16), success: msg[24] === 1 };
}

/** Go `voteRequestLen`. */
export const VOTE_REQUEST_LEN = 24 + ID_LEN;

/** Go `voteRequest.encode`: term, lastTerm, lastIndex (uint64), candidate id (8). */
export function encodeVoteRequest(vr: VoteRequest): Buffer {
  const buf = Buffer.allocUnsafe(VOTE_REQUEST_LEN);
  putU64(buf, 0, vr.term);
  putU64(buf, 8, vr.lastTerm);
  putU64(buf, 16, vr.lastIndex);
  putId(buf, 24, vr.candidate);
  return buf;
}

/** Go `decodeVoteRequest`: exactly 32 bytes. */
export function decodeVoteRequest(input: Uint8Array): VoteRequest | null {
  const msg = asBuffer(input);
  if (msg.length !== VOTE_REQUEST_LEN) return null;
  const term = getU64(msg, 0);
  const lastTerm = getU64(msg, 8);
  const lastIndex = getU64(msg, 16);
  if (term < 0 || lastTerm < 0 || lastIndex < 0) return null;
  return { term, lastTerm, lastIndex, candidate: getId(msg, 24) };
}

/** Go `voteResponseLen`. */
export const VOTE_RESPONSE_LEN = 8 + 8 + 1;

/** Go `voteResponse.encode`: term (uint64), peer id (8), flags (bit 0 granted, bit 1 empty log). */
export function encodeVoteResponse(vr: VoteResponse): Buffer {
  const buf = Buffer.allocUnsafe(VOTE_RESPONSE_LEN);
  putU64(buf, 0, vr.term);
  putId(buf, 8, vr.peer);
  buf[16] = (vr.granted ? 1 : 0) | (vr.empty ? 2 : 0);
  return buf;
}

/** Go `decodeVoteResponse`: exactly 17 bytes. */
export function decodeVoteResponse(input: Uint8Array): VoteResponse | null {
  const msg = asBuffer(input);
  if (msg.length !== VOTE_RESPONSE_LEN) return null;
  const term = getU64(msg, 0);
  if (term < 0) return null;
  return { term, peer: getId(msg, 8), granted: (msg[16] & 1) !== 0, empty: (msg[16] & 2) !== 0 };
}

/**
 * Go `encodePeerState`: cluster size (uint32), number of peers (uint32), the
 * peer ids (8 bytes each), domain extension state (uint16).
 */
export function encodePeerState(ps: PeerState): Buffer {
  const buf = Buffer.alloc(4 + 4 + ID_LEN * ps.knownPeers.length + 2);
  buf.writeUInt32LE(ps.clusterSize >>> 0, 0);
  buf.writeUInt32LE(ps.knownPeers.length, 4);
  let wi = 8;
  for (const p of ps.knownPeers) {
    putId(buf, wi, p);
    wi += ID_LEN;
  }
  buf.writeUInt16LE(ps.domainExt & 0xffff, wi);
  return buf;
}

/** Go `decodePeerState`: the extension state is optional (older encodings lack it). */
export function decodePeerState(input: Uint8Array): PeerState | null {
  const buf = asBuffer(input);
  if (buf.length < 8) return null;
  const clusterSize = getU32(buf, 0);
  const expected = getU32(buf, 4);
  if (8 + expected * ID_LEN > buf.length) return null;
  const knownPeers: string[] = [];
  let ri = 8;
  for (let i = 0; i < expected; i++, ri += ID_LEN) knownPeers.push(getId(buf, ri));
  const domainExt = buf.length - ri >= 2 ? buf.readUInt16LE(ri) : 0;
  return { knownPeers, clusterSize, domainExt };
}

/** Go `minSnapshotLen`: term, index, peer state length, checksum. */
export const MIN_SNAPSHOT_LEN = 28;
export const SNAPSHOT_CHECKSUM_LEN = 8;

/** An 8-byte checksum over a snapshot's bytes. */
export type SnapshotChecksum = (bytes: Buffer) => Buffer;

/**
 * Go `raft.encodeSnapshot`: last term, last index (uint64), peer state length
 * (uint32), peer state, data, then an 8-byte checksum of everything before it.
 * Go's checksum is HighwayHash-64 keyed with sha256(group name), which the
 * caller passes in (store.ts). The snapshot file is local to one node, never
 * sent: a snapshot travels as an EntrySnapshot entry in an append entry.
 */
export function encodeSnapshot(snap: Snapshot, checksum: SnapshotChecksum): Buffer {
  const body = Buffer.allocUnsafe(20 + snap.peerstate.length + snap.data.length);
  putU64(body, 0, snap.lastTerm);
  putU64(body, 8, snap.lastIndex);
  body.writeUInt32LE(snap.peerstate.length, 16);
  snap.peerstate.copy(body, 20);
  snap.data.copy(body, 20 + snap.peerstate.length);
  const sum = checksum(body);
  return Buffer.concat([body, sum.subarray(0, SNAPSHOT_CHECKSUM_LEN)]);
}

/** Go `raft.loadLastSnapshot`'s parsing: null when short, corrupt (checksum) or inconsistent. */
export function decodeSnapshot(input: Uint8Array, checksum: SnapshotChecksum): Snapshot | null {
  const buf = asBuffer(input);
  if (buf.length < MIN_SNAPSHOT_LEN) return null;
  const hoff = buf.length - SNAPSHOT_CHECKSUM_LEN;
  if (!checksum(buf.subarray(0, hoff)).subarray(0, SNAPSHOT_CHECKSUM_LEN).equals(buf.subarray(hoff))) return null;
  const lastTerm = getU64(buf, 0);
  const lastIndex = getU64(buf, 8);
  const lps = getU32(buf, 16);
  if (lastTerm < 0 || lastIndex < 0 || 20 + lps > hoff) return null;
  return { lastTerm, lastIndex, peerstate: buf.subarray(20, 20 + lps), data: buf.subarray(20 + lps, hoff) };
}

/** Go `raft.writeTermVote` (file `tav.idx`): term (uint64) then the vote's id, if any. */
export function encodeTermVote(term: number, vote: string): Buffer {
  const buf = Buffer.alloc(8 + (vote ? ID_LEN : 0));
  putU64(buf, 0, term);
  if (vote) putId(buf, 8, vote);
  return buf;
}

/** Go `raft.readTermVote`: fewer than 8 bytes is term 0; fewer than 16 is no vote. */
export function decodeTermVote(input: Uint8Array): { term: number; vote: string } {
  const buf = asBuffer(input);
  if (buf.length < 8) return { term: 0, vote: '' };
  const term = Math.max(0, getU64(buf, 0));
  if (buf.length < 8 + ID_LEN) return { term, vote: '' };
  return { term, vote: latin1(buf, 8, buf.length) };
}
