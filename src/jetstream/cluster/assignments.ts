/**
 * Meta-group entries (Go jetstream_cluster.go): one op byte (Go `entryOp`,
 * numbered from `assignStreamOp = iota`; the order is wire format) followed
 * by the JSON of a stream or consumer assignment, as Go's
 * encodeAddStreamAssignment / encodeAddConsumerAssignment write it
 * (json.Encoder, so a trailing newline). The JSON field names are Go's
 * (`streamAssignment`, `consumerAssignment`, `raftGroup`).
 */

/** Go entryOp values, in Go's order. */
export const EntryOp = {
  assignStream: 0,
  assignConsumer: 1,
  removeStream: 2,
  removeConsumer: 3,
  streamMsg: 4,
  purgeStream: 5,
  deleteMsg: 6,
  updateDelivered: 7,
  updateAcks: 8,
  assignCompressedConsumer: 9,
  updateSkip: 10,
  updateStream: 11,
  addPendingRequest: 12,
  removePendingRequest: 13,
  compressedStreamMsg: 14,
  deleteRange: 15,
  batchMsg: 16,
  batchCommitMsg: 17,
  resetSeq: 18,
} as const;
export type EntryOpValue = (typeof EntryOp)[keyof typeof EntryOp];

/** Go raftGroup (the JSON part). */
export interface RaftGroupJSON {
  name: string;
  peers: string[];
  /** "file" or "memory" (Go StorageType's JSON). */
  store: string;
  cluster?: string;
  preferred?: string;
  scale_up?: boolean;
}

/** The part of Go's ClientInfo that travels in a proposal (Go ClientInfo.forProposal). */
export interface ProposalClient {
  acc?: string;
  svc?: string;
  user?: string;
  server?: string;
  cluster?: string;
  [k: string]: unknown;
}

/** Go streamAssignment. */
export interface StreamAssignment {
  client?: ProposalClient;
  /** RFC 3339 with nanoseconds, as Go marshals time.Time. */
  created: string;
  stream: Record<string, unknown>;
  group: RaftGroupJSON;
  sync: string;
  subject?: string;
  reply?: string;
  restore_state?: Record<string, unknown>;
}

/** Go consumerAssignment. */
export interface ConsumerAssignment {
  client?: ProposalClient;
  created: string;
  name: string;
  stream: string;
  consumer: Record<string, unknown>;
  group: RaftGroupJSON;
  subject?: string;
  reply?: string;
  state?: Record<string, unknown>;
}

/** Go's field order for streamAssignment, omitempty fields dropped when empty. */
function streamAssignmentJSON(sa: StreamAssignment): string {
  const o: Record<string, unknown> = {};
  if (sa.client) o.client = sa.client;
  o.created = sa.created;
  o.stream = sa.stream;
  o.group = groupJSON(sa.group);
  o.sync = sa.sync;
  if (sa.subject) o.subject = sa.subject;
  if (sa.reply) o.reply = sa.reply;
  if (sa.restore_state) o.restore_state = sa.restore_state;
  return JSON.stringify(o);
}

function consumerAssignmentJSON(ca: ConsumerAssignment): string {
  const o: Record<string, unknown> = {};
  if (ca.client) o.client = ca.client;
  o.created = ca.created;
  o.name = ca.name;
  o.stream = ca.stream;
  o.consumer = ca.consumer;
  o.group = groupJSON(ca.group);
  if (ca.subject) o.subject = ca.subject;
  if (ca.reply) o.reply = ca.reply;
  if (ca.state) o.state = ca.state;
  return JSON.stringify(o);
}

function groupJSON(g: RaftGroupJSON): Record<string, unknown> {
  const o: Record<string, unknown> = { name: g.name, peers: g.peers, store: g.store };
  if (g.cluster) o.cluster = g.cluster;
  if (g.preferred) o.preferred = g.preferred;
  if (g.scale_up) o.scale_up = true;
  return o;
}

function withOp(op: number, json: string): Buffer {
  const body = Buffer.from(json + '\n', 'utf8');
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = op;
  body.copy(out, 1);
  return out;
}

/** Go encodeAddStreamAssignment. */
export function encodeAddStreamAssignment(sa: StreamAssignment): Buffer {
  return withOp(EntryOp.assignStream, streamAssignmentJSON(sa));
}

/** Go encodeUpdateStreamAssignment. */
export function encodeUpdateStreamAssignment(sa: StreamAssignment): Buffer {
  return withOp(EntryOp.updateStream, streamAssignmentJSON(sa));
}

/** Go encodeDeleteStreamAssignment. */
export function encodeDeleteStreamAssignment(sa: StreamAssignment): Buffer {
  return withOp(EntryOp.removeStream, streamAssignmentJSON(sa));
}

/** Go encodeAddConsumerAssignment. */
export function encodeAddConsumerAssignment(ca: ConsumerAssignment): Buffer {
  return withOp(EntryOp.assignConsumer, consumerAssignmentJSON(ca));
}

/** Go encodeDeleteConsumerAssignment. */
export function encodeDeleteConsumerAssignment(ca: ConsumerAssignment): Buffer {
  return withOp(EntryOp.removeConsumer, consumerAssignmentJSON(ca));
}

function parseObject(buf: Buffer): Record<string, unknown> | null {
  try {
    const v = JSON.parse(buf.toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function decodeGroup(v: unknown): RaftGroupJSON | null {
  if (v === null || typeof v !== 'object') return null;
  const g = v as Record<string, unknown>;
  if (typeof g.name !== 'string' || !Array.isArray(g.peers)) return null;
  const out: RaftGroupJSON = { name: g.name, peers: g.peers.filter((p): p is string => typeof p === 'string'), store: typeof g.store === 'string' ? g.store : 'file' };
  if (typeof g.cluster === 'string' && g.cluster) out.cluster = g.cluster;
  if (typeof g.preferred === 'string' && g.preferred) out.preferred = g.preferred;
  if (g.scale_up === true) out.scale_up = true;
  return out;
}

/** Go decodeStreamAssignment: the JSON after the op byte; null when malformed. */
export function decodeStreamAssignment(buf: Buffer): StreamAssignment | null {
  const o = parseObject(buf);
  if (o === null || o.stream === null || typeof o.stream !== 'object') return null;
  const group = decodeGroup(o.group);
  if (group === null) return null;
  const sa: StreamAssignment = {
    created: typeof o.created === 'string' ? o.created : '0001-01-01T00:00:00Z',
    stream: o.stream as Record<string, unknown>,
    group,
    sync: typeof o.sync === 'string' ? o.sync : '',
  };
  if (o.client && typeof o.client === 'object') sa.client = o.client as ProposalClient;
  if (typeof o.subject === 'string' && o.subject) sa.subject = o.subject;
  if (typeof o.reply === 'string' && o.reply) sa.reply = o.reply;
  if (o.restore_state && typeof o.restore_state === 'object') sa.restore_state = o.restore_state as Record<string, unknown>;
  return sa;
}

/** Go decodeConsumerAssignment. */
export function decodeConsumerAssignment(buf: Buffer): ConsumerAssignment | null {
  const o = parseObject(buf);
  if (o === null || typeof o.name !== 'string' || typeof o.stream !== 'string' || o.consumer === null || typeof o.consumer !== 'object') return null;
  const group = decodeGroup(o.group);
  if (group === null) return null;
  const ca: ConsumerAssignment = {
    created: typeof o.created === 'string' ? o.created : '0001-01-01T00:00:00Z',
    name: o.name,
    stream: o.stream,
    consumer: o.consumer as Record<string, unknown>,
    group,
  };
  if (o.client && typeof o.client === 'object') ca.client = o.client as ProposalClient;
  if (typeof o.subject === 'string' && o.subject) ca.subject = o.subject;
  if (typeof o.reply === 'string' && o.reply) ca.reply = o.reply;
  if (o.state && typeof o.state === 'object') ca.state = o.state as Record<string, unknown>;
  return ca;
}

/** The account an assignment belongs to (Go streamAssignment.Client.serviceAccount()). */
export function assignmentAccount(a: { client?: ProposalClient }): string {
  return a.client?.svc || a.client?.acc || '';
}

/** One meta entry: its op and the decoded assignment (null for ops the meta group does not carry). */
export type MetaEntry =
  | { op: typeof EntryOp.assignStream | typeof EntryOp.updateStream | typeof EntryOp.removeStream; sa: StreamAssignment }
  | { op: typeof EntryOp.assignConsumer | typeof EntryOp.removeConsumer; ca: ConsumerAssignment };

/** Decode one entry of the meta group (Go applyMetaEntries' switch on the op byte). */
export function decodeMetaEntry(buf: Buffer): MetaEntry | null {
  if (buf.length < 2) return null;
  const op = buf[0];
  const body = buf.subarray(1);
  switch (op) {
    case EntryOp.assignStream:
    case EntryOp.updateStream:
    case EntryOp.removeStream: {
      const sa = decodeStreamAssignment(body);
      return sa === null ? null : { op, sa };
    }
    case EntryOp.assignConsumer:
    case EntryOp.removeConsumer: {
      const ca = decodeConsumerAssignment(body);
      return ca === null ? null : { op, ca };
    }
    default:
      // compressed consumer assignments (s2 stream framing) are not read yet
      return null;
  }
}
