// The safetensors format: an 8-byte little-endian header length, a JSON header naming every
// tensor's dtype, shape and byte range, then the raw little-endian data. Reading validates the
// whole header before any tensor is exposed; writing produces the canonical layout (names in code
// unit order, contiguous data, header padded with spaces to 8 bytes).
import { readFile } from 'node:fs/promises';
import { HOST_IS_LITTLE_ENDIAN } from './little-endian.js';
import { dtypeByteSize, elementCount, isSafetensorsDtype, type SafetensorsDtype } from './safetensors-dtype.js';
import { SafetensorsError } from './safetensors-error.js';
import { isMetadataKey, validateHeader } from './safetensors-header.js';
import { JsonSyntaxError, parseStrictJson, type JsonValue } from './strict-json.js';

export { SAFETENSORS_DTYPES, dtypeByteSize, elementCount, isSafetensorsDtype, type SafetensorsDtype } from './safetensors-dtype.js';
export { SafetensorsError } from './safetensors-error.js';
export { tensorToFloat32 } from './tensor-convert.js';

export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Raw little-endian bytes; from parseSafetensors, a view into the file buffer. */
  data: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

export type TensorInput = { dtype: SafetensorsDtype; shape: readonly number[]; data: Uint8Array };

/** Headers of real models are a few hundred kilobytes; anything near this is hostile. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.byteLength < 8) {
    throw new SafetensorsError(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte cap`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.byteLength) {
    throw new SafetensorsError(`header length ${headerLength} runs past the end of the file (${bytes.byteLength} bytes)`);
  }
  const header = decodeHeader(bytes.subarray(8, 8 + headerLength));
  const dataStart = 8 + headerLength;
  const layout = validateHeader(header, bytes.byteLength - dataStart);
  const tensors = new Map<string, TensorEntry>();
  for (const tensor of layout.tensors) {
    tensors.set(tensor.name, {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data: bytes.subarray(dataStart + tensor.begin, dataStart + tensor.end),
    });
  }
  return { tensors, metadata: layout.metadata };
}

export function decodeHeader(raw: Uint8Array): JsonValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError('header is not a JSON object (it must start with "{")');
  try {
    return parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    if (error.duplicateKey !== undefined) throw new SafetensorsError('appears more than once in the header', error.duplicateKey);
    throw new SafetensorsError(`header is not valid JSON: ${error.message}`);
  }
}

export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  const buffer = await readFile(path);
  return parseSafetensors(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
}

/** An F32 entry whose bytes are little-endian whatever the host. */
export function float32Tensor(data: Float32Array, shape: readonly number[]): TensorEntry {
  const count = elementCount(shape);
  if (count !== data.length) {
    throw new SafetensorsError(`shape [${shape.join(', ')}] has ${count} elements but ${data.length} values were given`);
  }
  let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!HOST_IS_LITTLE_ENDIAN) {
    bytes = new Uint8Array(data.byteLength);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  }
  return { dtype: 'F32', shape: [...shape], data: bytes };
}

export function serializeSafetensors(
  tensors: ReadonlyMap<string, TensorInput> | Readonly<Record<string, TensorInput>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) parts.push(`"__metadata__":${metadataJson(metadata)}`);
  let offset = 0;
  for (const [name, tensor] of entries) {
    checkInput(name, tensor);
    const end = offset + tensor.data.byteLength;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil((8 + json.byteLength) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const [, tensor] of entries) {
    out.set(tensor.data, cursor);
    cursor += tensor.data.byteLength;
  }
  return out;
}

function metadataJson(metadata: Readonly<Record<string, string>>): string {
  const keys = Object.keys(metadata).sort();
  for (const key of keys) {
    if (typeof metadata[key] !== 'string') throw new SafetensorsError(`__metadata__: value of ${JSON.stringify(key)} must be a string`);
  }
  return `{${keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`).join(',')}}`;
}

function checkInput(name: string, tensor: TensorInput): void {
  if (isMetadataKey(name)) throw new SafetensorsError('name is reserved for the metadata', name);
  if (!isSafetensorsDtype(tensor.dtype)) throw new SafetensorsError(`unknown dtype ${JSON.stringify(tensor.dtype)}`, name);
  for (const dim of tensor.shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw new SafetensorsError(`shape [${tensor.shape.join(', ')}] must hold non-negative integers`, name);
  }
  const expected = elementCount(tensor.shape) * dtypeByteSize(tensor.dtype);
  if (tensor.data.byteLength !== expected) {
    throw new SafetensorsError(`${tensor.data.byteLength} bytes but shape [${tensor.shape.join(', ')}] of ${tensor.dtype} needs ${expected}`, name);
  }
}
