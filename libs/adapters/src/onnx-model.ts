// An ONNX model opened for surgery: the graph decoded, every initializer indexed by name with
// where its bytes live (inside model.onnx, or at an offset of an external file such as
// model.onnx_data / weights.pb). Values are read on demand, so a 10 GB UNet costs only the
// tensors a merge actually touches.
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { onnx, type OnnxNamespace } from '@atelier/onnx-graph';
import { decodeFloats, floatTypeOf } from './tensor-data.js';

/** protobufjs hands int64 fields back as numbers or Long objects. */
export type IntLike = number | { toNumber(): number };

export function toInt(value: IntLike | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export type InitializerStorage =
  | { readonly kind: 'inline' }
  | { readonly kind: 'external'; readonly location: string; readonly offset: number; readonly length: number };

export interface InitializerInfo {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  /** Position in graph.initializer. */
  readonly index: number;
  readonly storage: InitializerStorage;
}

const FIXED_SIZES: Readonly<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

export class OnnxModel {
  readonly initializers: ReadonlyMap<string, InitializerInfo>;

  private constructor(
    readonly proto: OnnxNamespace.ModelProto,
    /** The encoded model.onnx, kept so copies for surgery are decoded, never deep-cloned by hand. */
    readonly bytes: Uint8Array,
    /** Folder external data locations are relative to; null for a model with none. */
    readonly dir: string | null,
  ) {
    const infos = new Map<string, InitializerInfo>();
    (proto.graph?.initializer ?? []).forEach((tensor, index) => {
      const name = tensor.name ?? '';
      infos.set(name, { name, dataType: tensor.dataType ?? 0, dims: (tensor.dims ?? []).map(toInt), index, storage: storageOf(tensor) });
    });
    this.initializers = infos;
  }

  static async load(modelPath: string): Promise<OnnxModel> {
    const buffer = await readFile(modelPath);
    return OnnxModel.fromBytes(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), path.dirname(path.resolve(modelPath)));
  }

  static fromBytes(bytes: Uint8Array, dir: string | null): OnnxModel {
    return new OnnxModel(onnx.ModelProto.decode(bytes), bytes, dir);
  }

  /** A fresh, independently mutable decode of the same model. */
  decodeCopy(): OnnxNamespace.ModelProto {
    return onnx.ModelProto.decode(this.bytes);
  }

  get nodes(): readonly OnnxNamespace.INodeProto[] {
    return this.proto.graph?.node ?? [];
  }

  get graphInputs(): readonly string[] {
    return (this.proto.graph?.input ?? []).map((input) => input.name ?? '');
  }

  /** External files the model reads, e.g. ['model.onnx_data']. */
  externalLocations(): string[] {
    const locations = new Set<string>();
    for (const info of this.initializers.values()) if (info.storage.kind === 'external') locations.add(info.storage.location);
    return [...locations];
  }

  info(name: string): InitializerInfo {
    const info = this.initializers.get(name);
    if (info === undefined) throw new Error(`the model has no initializer named ${JSON.stringify(name)}`);
    return info;
  }

  tensorProto(name: string): OnnxNamespace.ITensorProto {
    return (this.proto.graph?.initializer ?? [])[this.info(name).index];
  }

  /** The bytes of an initializer stored as raw data, inline or external (typed fields excluded). */
  async readStoredBytes(name: string): Promise<Uint8Array> {
    const info = this.info(name);
    if (info.storage.kind === 'inline') {
      const raw = this.tensorProto(name).rawData;
      if (!raw || raw.byteLength === 0) throw new Error(`initializer ${name} keeps its values in typed fields, not raw data`);
      return raw;
    }
    return this.readExternal(info.storage, name);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const info = this.info(name);
    const type = floatTypeOf(info.dataType, `initializer ${name}`);
    const count = elementCount(info.dims);
    const tensor = this.tensorProto(name);
    let values: Float32Array;
    if (info.storage.kind === 'external' || (tensor.rawData && tensor.rawData.byteLength > 0)) {
      values = decodeFloats(await this.readStoredBytes(name), type);
    } else if (type === 'float32' && tensor.floatData && tensor.floatData.length > 0) {
      values = Float32Array.from(tensor.floatData);
    } else if (type === 'float64' && tensor.doubleData && tensor.doubleData.length > 0) {
      values = Float32Array.from(tensor.doubleData);
    } else if ((type === 'float16' || type === 'bfloat16') && tensor.int32Data && tensor.int32Data.length > 0) {
      // ONNX keeps 16-bit floats' bit patterns one per int32 entry.
      const bits = new Uint16Array(tensor.int32Data.map((word) => word & 0xffff));
      values = decodeFloats(new Uint8Array(bits.buffer), type);
    } else {
      values = new Float32Array(0);
    }
    if (values.length !== count) throw new Error(`initializer ${name} holds ${values.length} values, its shape [${info.dims.join(', ')}] needs ${count}`);
    return values;
  }

  private async readExternal(storage: Extract<InitializerStorage, { kind: 'external' }>, name: string): Promise<Uint8Array> {
    if (this.dir === null) throw new Error(`initializer ${name} is external but the model was loaded without a folder`);
    const file = await open(externalPath(this.dir, storage.location));
    try {
      const length = storage.length >= 0 ? storage.length : expectedByteLength(this.info(name));
      const out = new Uint8Array(length);
      const { bytesRead } = await file.read(out, 0, length, storage.offset);
      if (bytesRead !== length) throw new Error(`${storage.location} ends before initializer ${name} (${bytesRead} of ${length} bytes at offset ${storage.offset})`);
      return out;
    } finally {
      await file.close();
    }
  }
}

/** Resolves an external location, refusing any that would leave the model folder. */
export function externalPath(dir: string, location: string): string {
  const resolved = path.resolve(dir, location);
  const relative = path.relative(dir, resolved);
  if (path.isAbsolute(location) || relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(`external data location ${JSON.stringify(location)} escapes the model folder`);
  }
  return resolved;
}

export function expectedByteLength(info: InitializerInfo): number {
  const size = FIXED_SIZES[info.dataType];
  if (size === undefined) throw new Error(`initializer ${info.name}: no fixed element size for data type ${info.dataType}`);
  return elementCount(info.dims) * size;
}

function storageOf(tensor: OnnxNamespace.ITensorProto): InitializerStorage {
  if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return { kind: 'inline' };
  const entries = new Map((tensor.externalData ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']));
  const location = entries.get('location');
  if (!location) throw new Error(`external initializer ${tensor.name} names no location`);
  const offset = Number(entries.get('offset') ?? '0');
  // -1 marks "length not given": the shape decides it at read time.
  const length = entries.has('length') ? Number(entries.get('length')) : -1;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length)) {
    throw new Error(`external initializer ${tensor.name} has an invalid offset or length`);
  }
  return { kind: 'external', location, offset, length };
}
