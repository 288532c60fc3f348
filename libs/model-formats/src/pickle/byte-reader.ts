import { PickleError } from './errors.js';

/** A bounds-checked cursor: every read past the end is a PickleError, never a short read. */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  private need(count: number, what: string): number {
    if (count > this.remaining) throw new PickleError(`truncated: ${what} needs ${count} bytes, ${this.remaining} left`, this.pos);
    const at = this.pos;
    this.pos += count;
    return at;
  }

  u8(what: string): number {
    return this.bytes[this.need(1, what)];
  }

  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }

  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }

  i32(what: string): number {
    return this.view.getInt32(this.need(4, what), true);
  }

  /** An unsigned 64-bit length; anything beyond the safe integers cannot fit in memory anyway. */
  u64(what: string): number {
    const at = this.need(8, what);
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError(`${what} ${value} is too large`, at);
    return Number(value);
  }

  f64be(what: string): number {
    return this.view.getFloat64(this.need(8, what), false);
  }

  take(count: number, what: string): Uint8Array {
    const at = this.need(count, what);
    return this.bytes.subarray(at, at + count);
  }

  /** A newline-terminated line (protocol 0 arguments), without the newline. */
  line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new PickleError(`truncated: ${what} has no terminating newline`, this.pos);
    const text = new TextDecoder('latin1').decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }
}
