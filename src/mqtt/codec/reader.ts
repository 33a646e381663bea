/**
 * Bounded reads over one packet's bytes, and the one error type of the codec.
 * Every read checks the packet end first, so a malformed length can only
 * produce an MqttDecodeError (with the 5.0 reason code that fits), never an
 * out-of-bounds read of a neighbouring packet.
 */
import { isUtf8 } from 'node:buffer';
import { ReasonCode } from './constants.js';

/** A packet that cannot be decoded: `reasonCode` is what 5.0 would send (0x81 malformed, 0x82 protocol error...). */
export class MqttDecodeError extends Error {
  readonly code = 'MQTT_DECODE_ERROR';
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function malformed(msg: string): never {
  throw new MqttDecodeError(ReasonCode.MalformedPacket, msg);
}

export function protocolError(msg: string): never {
  throw new MqttDecodeError(ReasonCode.ProtocolError, msg);
}

const EMPTY = Buffer.alloc(0);

export class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  byte(field: string): number {
    if (this.pos >= this.end) malformed(`error reading ${field}: unexpected end of packet`);
    return this.buf[this.pos++];
  }

  u16(field: string): number {
    if (this.end - this.pos < 2) malformed(`error reading ${field}: unexpected end of packet`);
    const b = this.buf;
    const v = (b[this.pos] << 8) | b[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    if (this.end - this.pos < 4) malformed(`error reading ${field}: unexpected end of packet`);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Variable Byte Integer [MQTT-1.5.5]: at most four bytes. */
  varint(field: string): number {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 4; k++) {
      if (this.pos >= this.end) malformed(`error reading ${field}: unexpected end of packet`);
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 128;
    }
    malformed(`malformed variable int in ${field}`);
  }

  /** Binary Data: two-byte length, then the bytes (a view, not a copy). */
  binary(field: string): Buffer {
    const n = this.u16(field);
    if (n === 0) return EMPTY;
    if (this.end - this.pos < n) malformed(`error reading ${field}: unexpected end of packet`);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** UTF-8 Encoded String [MQTT-1.5.4]: well-formed UTF-8 [MQTT-1.5.4-1], no U+0000 [MQTT-1.5.4-2]. */
  string(field: string): string {
    const v = this.binary(field);
    return decodeUtf8(v, field);
  }

  rest(): Buffer {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }
}

/** Decode a UTF-8 string field, refusing ill-formed UTF-8 and U+0000 as a malformed packet. */
export function decodeUtf8(v: Buffer, field: string): string {
  const n = v.length;
  if (n === 0) return '';
  let ascii = true;
  for (let k = 0; k < n; k++) {
    const c = v[k];
    if (c === 0) malformed(`invalid null character in ${field}`);
    if (c >= 0x80) ascii = false;
  }
  if (ascii) return v.latin1Slice(0, n);
  if (!isUtf8(v)) malformed(`invalid utf8 for ${field}`);
  return v.toString('utf8');
}
