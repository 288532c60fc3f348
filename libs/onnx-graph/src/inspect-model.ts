import type { FileHandle } from 'node:fs/promises';
import { onnx, type OnnxNamespace } from './onnx-proto.js';

/** An ONNX graph input or output as declared: element type name and dims (strings are symbolic). */
export interface OnnxValueSignature {
  readonly name: string;
  readonly elementType: string;
  readonly dims: ReadonlyArray<number | string>;
}

/** What an ONNX file declares about itself, read without touching its weights. */
export interface OnnxModelSignature {
  readonly irVersion: number;
  readonly opsets: ReadonlyArray<{ readonly domain: string; readonly version: number }>;
  /** Real inputs (initializers that older exports also list as inputs are left out). */
  readonly inputs: readonly OnnxValueSignature[];
  readonly outputs: readonly OnnxValueSignature[];
  /** Side files the initializers' weights live in (`model.onnx_data`), empty for a self-contained file. */
  readonly externalDataFiles: readonly string[];
}

/** Why a file is not an ONNX model we can read; `code` is stable, the message is for people. */
export class OnnxInspectError extends Error {
  readonly code = 'invalid_onnx' as const;
  constructor(message: string) {
    super(message);
    this.name = 'OnnxInspectError';
  }
}

/** Positioned reads from a file or a buffer. */
export interface ByteSource {
  readonly size: number;
  read(position: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.byteLength, read: async (position, length) => bytes.subarray(position, position + length) };
}

export function fileSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    read: async (position, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    },
  };
}

/** onnx.TensorProto.DataType code → the name ONNX Runtime uses. */
const ELEMENT_TYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** Fields are at most this large unless skipped: value infos, names, opsets (weights are skipped). */
const MAX_SMALL_FIELD = 1024 * 1024;
const WINDOW = 64 * 1024;

interface Field {
  readonly number: number;
  readonly wireType: number;
  /** Varint value (wire type 0). */
  readonly value: number;
  /** Byte range of a length-delimited payload (wire type 2). */
  readonly start: number;
  readonly end: number;
}

/**
 * Walks protobuf fields of one message in [start, end) with buffered positioned reads, so a
 * 2 GB weight blob costs one skip, not a read.
 */
class FieldWalker {
  private window: Uint8Array = new Uint8Array(0);
  private windowAt = 0;

  constructor(private readonly source: ByteSource) {}

  async *fields(start: number, end: number): AsyncGenerator<Field> {
    let at = start;
    while (at < end) {
      const [key, afterKey] = await this.varint(at);
      const number = Math.floor(key / 8);
      const wireType = key % 8;
      if (number === 0) throw new OnnxInspectError(`bad protobuf field at byte ${at}`);
      if (wireType === 0) {
        const [value, next] = await this.varint(afterKey);
        yield { number, wireType, value, start: afterKey, end: next };
        at = next;
      } else if (wireType === 2) {
        const [length, payload] = await this.varint(afterKey);
        const payloadEnd = payload + length;
        if (payloadEnd > end) throw new OnnxInspectError(`protobuf field ${number} at byte ${at} runs past its message`);
        yield { number, wireType, value: length, start: payload, end: payloadEnd };
        at = payloadEnd;
      } else if (wireType === 1 || wireType === 5) {
        at = afterKey + (wireType === 1 ? 8 : 4);
      } else {
        throw new OnnxInspectError(`unsupported protobuf wire type ${wireType} at byte ${at}`);
      }
    }
    if (at !== end) throw new OnnxInspectError('a protobuf message ends inside a field');
  }

  async bytes(start: number, end: number): Promise<Uint8Array> {
    if (end - start > MAX_SMALL_FIELD) throw new OnnxInspectError(`a ${end - start}-byte metadata field is too large`);
    const bytes = await this.source.read(start, end - start);
    if (bytes.byteLength !== end - start) throw new OnnxInspectError('the file is truncated');
    return bytes;
  }

  async text(field: Field): Promise<string> {
    return Buffer.from(await this.bytes(field.start, field.end)).toString('utf8');
  }

  private async byteAt(position: number): Promise<number> {
    if (position >= this.source.size) throw new OnnxInspectError('the file is truncated');
    if (position < this.windowAt || position >= this.windowAt + this.window.byteLength) {
      this.window = await this.source.read(position, Math.min(WINDOW, this.source.size - position));
      this.windowAt = position;
    }
    return this.window[position - this.windowAt];
  }

  /** A varint as a JS number (exact up to 2^53: lengths, field keys, enum values). */
  private async varint(position: number): Promise<[number, number]> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = await this.byteAt(position + i);
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return [value, position + i + 1];
    }
    throw new OnnxInspectError(`bad varint at byte ${position}`);
  }
}

// Field numbers of onnx.proto (ModelProto, GraphProto, TensorProto).
const MODEL = { irVersion: 1, graph: 7, opsetImport: 8 } as const;
const GRAPH = { initializer: 5, input: 11, output: 12 } as const;
const TENSOR = { name: 8, externalData: 13, dataLocation: 14 } as const;
const EXTERNAL = 1;

/**
 * The inputs, outputs and opsets an ONNX file declares, read by walking the protobuf and
 * skipping every weight (initializer payloads, node attributes), so a model of any size is
 * inspected in a few small reads. Throws OnnxInspectError when the bytes are not an ONNX model.
 */
export async function inspectOnnxModel(source: ByteSource): Promise<OnnxModelSignature> {
  const walker = new FieldWalker(source);
  let irVersion = 0;
  let graph: Field | undefined;
  const opsets: Array<{ domain: string; version: number }> = [];
  for await (const field of walker.fields(0, source.size)) {
    if (field.number === MODEL.irVersion && field.wireType === 0) irVersion = field.value;
    else if (field.number === MODEL.graph && field.wireType === 2) graph = field;
    else if (field.number === MODEL.opsetImport && field.wireType === 2) {
      const decoded = onnx.OperatorSetIdProto.decode(await walker.bytes(field.start, field.end));
      opsets.push({ domain: decoded.domain ?? '', version: toNumber(decoded.version) });
    }
  }
  if (!graph || irVersion === 0) throw new OnnxInspectError('not an ONNX model (no ir_version or graph)');
  const declaredInputs: OnnxValueSignature[] = [];
  const outputs: OnnxValueSignature[] = [];
  const initializers = new Set<string>();
  const externalDataFiles = new Set<string>();
  for await (const field of walker.fields(graph.start, graph.end)) {
    if (field.wireType !== 2) continue;
    if (field.number === GRAPH.input) declaredInputs.push(valueSignature(await walker.bytes(field.start, field.end)));
    else if (field.number === GRAPH.output) outputs.push(valueSignature(await walker.bytes(field.start, field.end)));
    else if (field.number === GRAPH.initializer) {
      const tensor = await readInitializerHeader(walker, field);
      initializers.add(tensor.name);
      if (tensor.external) for (const location of tensor.locations) externalDataFiles.add(location);
    }
  }
  if (outputs.length === 0) throw new OnnxInspectError('the graph declares no outputs');
  return { irVersion, opsets, inputs: declaredInputs.filter((input) => !initializers.has(input.name)), outputs, externalDataFiles: [...externalDataFiles].sort() };
}

/** An initializer's name and where its data lives; its payload (raw_data, float_data…) is skipped. */
async function readInitializerHeader(walker: FieldWalker, tensor: Field): Promise<{ name: string; external: boolean; locations: string[] }> {
  let name = '';
  let external = false;
  const locations: string[] = [];
  for await (const field of walker.fields(tensor.start, tensor.end)) {
    if (field.number === TENSOR.name && field.wireType === 2) name = await walker.text(field);
    else if (field.number === TENSOR.dataLocation && field.wireType === 0) external = field.value === EXTERNAL;
    else if (field.number === TENSOR.externalData && field.wireType === 2) {
      const entry = onnx.StringStringEntryProto.decode(await walker.bytes(field.start, field.end));
      if (entry.key === 'location' && entry.value) locations.push(entry.value);
    }
  }
  return { name, external, locations };
}

function valueSignature(bytes: Uint8Array): OnnxValueSignature {
  let info: OnnxNamespace.ValueInfoProto;
  try {
    info = onnx.ValueInfoProto.decode(bytes);
  } catch (error) {
    throw new OnnxInspectError(`an input or output declaration is not valid protobuf (${(error as Error).message})`);
  }
  const tensor = info.type?.tensorType;
  const dims = (tensor?.shape?.dim ?? []).map((dim) => (dim.dimParam ? dim.dimParam : Object.hasOwn(dim, 'dimValue') ? toNumber(dim.dimValue) : '?'));
  return { name: info.name ?? '', elementType: tensor ? (ELEMENT_TYPES[tensor.elemType ?? 0] ?? `type${tensor.elemType ?? 0}`) : 'non-tensor', dims };
}

/** A protobuf int64 (a number, or a Long when long.js is installed) as a number. */
function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
