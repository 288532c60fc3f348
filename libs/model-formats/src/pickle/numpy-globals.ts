// numpy scalars appear in Lightning checkpoints (a step count, a monitored metric). They become
// plain numbers; numpy.dtype only records a type code and a byte order.
import type { GlobalSpec } from './allowlist-spec.js';
import { arity, expectBool, expectString } from './arguments.js';
import { UnsafePickleError } from './errors.js';
import { describeValue, NumpyDtype, type PickleTuple, type PickleValue } from './values.js';

type Reader = (view: DataView, littleEndian: boolean) => PickleValue;

const SCALARS: Readonly<Record<string, { size: number; read: Reader }>> = {
  f8: { size: 8, read: (v, le) => v.getFloat64(0, le) },
  f4: { size: 4, read: (v, le) => v.getFloat32(0, le) },
  i8: { size: 8, read: (v, le) => safe(v.getBigInt64(0, le)) },
  u8: { size: 8, read: (v, le) => safe(v.getBigUint64(0, le)) },
  i4: { size: 4, read: (v, le) => v.getInt32(0, le) },
  u4: { size: 4, read: (v, le) => v.getUint32(0, le) },
  i2: { size: 2, read: (v, le) => v.getInt16(0, le) },
  u2: { size: 2, read: (v, le) => v.getUint16(0, le) },
  i1: { size: 1, read: (v) => v.getInt8(0) },
  u1: { size: 1, read: (v) => v.getUint8(0) },
  b1: { size: 1, read: (v) => v.getUint8(0) !== 0 },
};

function safe(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** numpy.dtype('f8', False, True); BUILD then supplies the byte order. */
function dtype(args: PickleTuple, self: string): PickleValue {
  const [descr, align, copy] = arity(args, self, 3);
  expectBool(align, self, 'align');
  expectBool(copy, self, 'copy');
  const code = expectString(descr, self, 'type code');
  if (!Object.hasOwn(SCALARS, code)) throw new UnsafePickleError(self, `type code ${JSON.stringify(code)} is not a plain numeric type`);
  return new NumpyDtype(code);
}

/** numpy.core.multiarray.scalar(dtype, raw bytes). */
function scalar(args: PickleTuple, self: string): PickleValue {
  const [type, raw] = arity(args, self, 2);
  if (!(type instanceof NumpyDtype)) throw new UnsafePickleError(self, `dtype must be a numpy.dtype, got ${describeValue(type)}`);
  if (!(raw instanceof Uint8Array)) throw new UnsafePickleError(self, `data must be bytes, got ${describeValue(raw)}`);
  const reader = SCALARS[type.descr];
  if (raw.byteLength !== reader.size) throw new UnsafePickleError(self, `a ${type.descr} needs ${reader.size} bytes, got ${raw.byteLength}`);
  return reader.read(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), type.byteOrder !== '>');
}

export function numpyGlobals(): Map<string, GlobalSpec> {
  return new Map<string, GlobalSpec>([
    ['numpy.dtype', { kind: 'call', call: dtype }],
    ['numpy.core.multiarray.scalar', { kind: 'call', call: scalar }],
    // numpy 2 moved the module; pickles written by it use the new name.
    ['numpy._core.multiarray.scalar', { kind: 'call', call: scalar }],
  ]);
}
