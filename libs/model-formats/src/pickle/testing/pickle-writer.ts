// Emits pickle opcodes one by one, so tests can build both what torch writes and what an attacker
// would. It knows nothing about Python objects: each method is one opcode (or one value).
import { Op } from '../opcodes.js';

const encoder = new TextEncoder();

export class PickleWriter {
  private readonly out: number[] = [];

  /** Where the next opcode will start, to check error offsets. */
  get position(): number {
    return this.out.length;
  }

  op(code: number, ...payload: ArrayLike<number>[]): this {
    this.out.push(code);
    for (const part of payload) for (let i = 0; i < part.length; i++) this.out.push(part[i]);
    return this;
  }

  proto(version = 2): this {
    return this.op(Op.PROTO, [version]);
  }

  stop(): this {
    return this.op(Op.STOP);
  }

  mark(): this {
    return this.op(Op.MARK);
  }

  none(): this {
    return this.op(Op.NONE);
  }

  bool(value: boolean): this {
    return this.op(value ? Op.NEWTRUE : Op.NEWFALSE);
  }

  int(value: number | bigint): this {
    if (typeof value === 'number' && Number.isInteger(value)) {
      if (value >= 0 && value < 0x100) return this.op(Op.BININT1, [value]);
      if (value >= 0 && value < 0x10000) return this.op(Op.BININT2, le(value, 2));
      if (value >= -(2 ** 31) && value < 2 ** 31) return this.op(Op.BININT, le(value, 4));
    }
    const bytes = longBytes(BigInt(value));
    return this.op(Op.LONG1, [bytes.length], bytes);
  }

  float(value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, false);
    return this.op(Op.BINFLOAT, bytes);
  }

  str(value: string): this {
    const bytes = encoder.encode(value);
    return bytes.length < 0x100 ? this.op(Op.SHORT_BINUNICODE, [bytes.length], bytes) : this.op(Op.BINUNICODE, le(bytes.length, 4), bytes);
  }

  bytes(value: Uint8Array): this {
    return value.length < 0x100 ? this.op(Op.SHORT_BINBYTES, [value.length], value) : this.op(Op.BINBYTES, le(value.length, 4), value);
  }

  emptyTuple(): this {
    return this.op(Op.EMPTY_TUPLE);
  }

  /** TUPLE1..3 for small counts, otherwise the caller must have emitted a MARK. */
  tuple(count?: 1 | 2 | 3): this {
    if (count === undefined) return this.op(Op.TUPLE);
    return this.op(Op.TUPLE1 + count - 1);
  }

  emptyList(): this {
    return this.op(Op.EMPTY_LIST);
  }

  append(): this {
    return this.op(Op.APPEND);
  }

  appends(): this {
    return this.op(Op.APPENDS);
  }

  emptyDict(): this {
    return this.op(Op.EMPTY_DICT);
  }

  setitem(): this {
    return this.op(Op.SETITEM);
  }

  setitems(): this {
    return this.op(Op.SETITEMS);
  }

  global(module: string, name: string): this {
    return this.op(Op.GLOBAL, encoder.encode(`${module}\n${name}\n`));
  }

  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).op(Op.STACK_GLOBAL);
  }

  inst(module: string, name: string): this {
    return this.op(Op.INST, encoder.encode(`${module}\n${name}\n`));
  }

  reduce(): this {
    return this.op(Op.REDUCE);
  }

  build(): this {
    return this.op(Op.BUILD);
  }

  persid(): this {
    return this.op(Op.BINPERSID);
  }

  put(index: number): this {
    return index < 0x100 ? this.op(Op.BINPUT, [index]) : this.op(Op.LONG_BINPUT, le(index, 4));
  }

  get(index: number): this {
    return index < 0x100 ? this.op(Op.BINGET, [index]) : this.op(Op.LONG_BINGET, le(index, 4));
  }

  memoize(): this {
    return this.op(Op.MEMOIZE);
  }

  /** A protocol 4 frame header announcing `length` bytes. */
  frame(length: number): this {
    return this.op(Op.FRAME, le(length, 8));
  }

  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

function le(value: number, size: number): number[] {
  const out: number[] = [];
  let rest = BigInt.asUintN(size * 8, BigInt(value));
  for (let i = 0; i < size; i++) {
    out.push(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return out;
}

/** Minimal little-endian two's complement, as Python's LONG1 writes it. */
function longBytes(value: bigint): number[] {
  if (value === 0n) return [];
  const out: number[] = [];
  let rest = value;
  for (;;) {
    out.push(Number(BigInt.asUintN(8, rest)));
    rest >>= 8n;
    const signBit = (out[out.length - 1] & 0x80) !== 0;
    if ((rest === 0n && !signBit) || (rest === -1n && signBit)) return out;
  }
}
