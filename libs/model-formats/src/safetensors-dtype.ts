// The element types the safetensors format names, with their sizes. The list follows what real
// files carry (including the unsigned and 8-bit float types recent exports use), so a valid file
// is never refused just because its dtype is uncommon.

export const SAFETENSORS_DTYPES = [
  'F64',
  'F32',
  'F16',
  'BF16',
  'F8_E4M3',
  'F8_E5M2',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
] as const;

export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

const BYTE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && (SAFETENSORS_DTYPES as readonly string[]).includes(value);
}

export function dtypeByteSize(dtype: SafetensorsDtype): number {
  return BYTE_SIZES[dtype];
}

/** Number of elements of a shape; throws a RangeError when it is not a safe integer. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) {
    count *= dim;
    // Checked at every step: a product that overflows once can come back into range later.
    if (!Number.isSafeInteger(count)) throw new RangeError(`shape [${shape.join(', ')}] has too many elements`);
  }
  return count;
}
