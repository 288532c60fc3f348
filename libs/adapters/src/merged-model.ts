// A base model with some initializers replaced, handed to ONNX Runtime without touching the base
// files and without the 2 GB protobuf limit. onnxruntime-node 1.30 accepts
// `InferenceSession.create(bytes, { externalData: [{ path, data: Uint8Array }] })`, but once any
// in-memory file is given every external location must be in that table; and for a model given as
// bytes it resolves on-disk locations against `session.model_external_initializers_file_folder_path`.
// Hence two layouts:
//  - inline: replaced tensors go inline into model.onnx, the untouched ones keep pointing at the
//    base's model.onnx_data on disk (read by ORT itself, never copied through JS). Needs the
//    replaced bytes to fit in a protobuf.
//  - in-memory external: every large tensor (base ones read from disk) moves into in-memory
//    "files" of at most `chunkBytes`, so neither the protobuf nor a single buffer has a size limit.
import type { InferenceSession } from 'onnxruntime-node';
import { onnx, type OnnxNamespace } from '@atelier/onnx-graph';
import { checkUpdateNames, encodeUpdate, setExternal, setInline, type InitializerUpdates } from './initializer-update.js';
import { OnnxModel } from './onnx-model.js';
import { bytesPerElement, floatTypeOf } from './tensor-data.js';

/** A change to the graph itself (not its weights), applied to the copy before encoding. */
export type GraphPatch = (graph: OnnxNamespace.IGraphProto) => void;

export type MergeLayout = 'inline' | 'in-memory-external';

export interface InMemoryExternalFile {
  readonly path: string;
  readonly data: Uint8Array;
}

export interface MergedModel {
  readonly modelBytes: Uint8Array;
  readonly externalData: readonly InMemoryExternalFile[];
  /** Options the session must be created with; combine with the provider's via mergeSessionOptions. */
  readonly sessionOptions: InferenceSession.SessionOptions;
  readonly layout: MergeLayout;
  /** Weight bytes the session holds (model, in-memory files and base files it reads). */
  readonly bytes: number;
}

export interface MergeOptions {
  /** 'auto' (default) uses inline while it fits under inlineLimitBytes. */
  readonly layout?: 'auto' | MergeLayout;
  readonly inlineLimitBytes?: number;
  readonly chunkBytes?: number;
  /** Tensors at least this large move out of the protobuf in the in-memory layout. */
  readonly thresholdBytes?: number;
  readonly patches?: readonly GraphPatch[];
}

// protobuf refuses messages of 2 GiB; the margin covers the graph around the weights.
const DEFAULT_INLINE_LIMIT = 2 ** 31 - 64 * 2 ** 20;
const DEFAULT_CHUNK = 2 ** 30;
const ALIGNMENT = 4096;
const FOLDER_KEY = 'session.model_external_initializers_file_folder_path';

export async function createMergedModel(
  base: string | OnnxModel,
  updates: InitializerUpdates,
  options: MergeOptions = {},
): Promise<MergedModel> {
  const model = typeof base === 'string' ? await OnnxModel.load(base) : base;
  checkUpdateNames(model, updates);
  const requested = options.layout ?? 'auto';
  const limit = options.inlineLimitBytes ?? DEFAULT_INLINE_LIMIT;
  if (requested === 'inline' || (requested === 'auto' && inlineSize(model, updates) <= limit)) {
    return inlineLayout(model, updates, options.patches ?? [], requested === 'inline' ? Number.POSITIVE_INFINITY : limit);
  }
  return inMemoryLayout(model, updates, options);
}

/** Size of model.onnx with the replaced tensors inline, before encoding anything. */
function inlineSize(model: OnnxModel, updates: InitializerUpdates): number {
  let size = model.bytes.byteLength;
  for (const name of updates.keys()) {
    const update = updates.get(name) ?? new Float32Array(0);
    const info = model.info(name);
    const tensor = model.tensorProto(name);
    const values = update instanceof Float32Array ? update.length : update.data.length;
    size += values * bytesPerElement(floatTypeOf(info.dataType, `initializer ${name}`));
    if (info.storage.kind === 'inline') size -= tensor.rawData?.byteLength ?? 0;
  }
  return size;
}

async function inlineLayout(model: OnnxModel, updates: InitializerUpdates, patches: readonly GraphPatch[], limit: number): Promise<MergedModel> {
  const proto = model.decodeCopy();
  const tensors = proto.graph?.initializer ?? [];
  for (const name of updates.keys()) {
    const encoded = encodeUpdate(model, name, updates.get(name) ?? new Float32Array(0));
    setInline(tensors[model.info(name).index], encoded.bytes, encoded.dims);
  }
  for (const patch of patches) patch(proto.graph ?? {});
  const modelBytes = onnx.ModelProto.encode(proto).finish();
  if (modelBytes.byteLength > limit) throw new Error(`merged model is ${modelBytes.byteLength} bytes, over the inline limit`);

  let externalBytes = 0;
  const stillExternal = tensors.some((tensor) => tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  for (const info of model.initializers.values()) {
    if (info.storage.kind === 'external' && !updates.has(info.name)) externalBytes += Math.max(info.storage.length, 0);
  }
  const sessionOptions: InferenceSession.SessionOptions =
    stillExternal && model.dir !== null ? { extra: { [FOLDER_KEY]: model.dir } } : {};
  return { modelBytes, externalData: [], sessionOptions, layout: 'inline', bytes: modelBytes.byteLength + externalBytes };
}

async function inMemoryLayout(model: OnnxModel, updates: InitializerUpdates, options: MergeOptions): Promise<MergedModel> {
  const threshold = options.thresholdBytes ?? 1024;
  const chunks = new ChunkPacker(options.chunkBytes ?? DEFAULT_CHUNK);
  const proto = model.decodeCopy();
  const tensors = proto.graph?.initializer ?? [];
  for (const info of model.initializers.values()) {
    const tensor = tensors[info.index];
    const update = updates.get(info.name);
    if (update !== undefined) {
      const encoded = encodeUpdate(model, info.name, update);
      setExternal(tensor, chunks.place(encoded.bytes), encoded.dims);
    } else if (info.storage.kind === 'external') {
      setExternal(tensor, chunks.place(await model.readStoredBytes(info.name)));
    } else if ((tensor.rawData?.byteLength ?? 0) >= threshold) {
      setExternal(tensor, chunks.place(tensor.rawData ?? new Uint8Array(0)));
    }
  }
  for (const patch of options.patches ?? []) patch(proto.graph ?? {});
  const modelBytes = onnx.ModelProto.encode(proto).finish();
  const externalData = chunks.files();
  const bytes = externalData.reduce((total, file) => total + file.data.byteLength, modelBytes.byteLength);
  // Every location is in the in-memory table, so ORT needs no folder.
  return { modelBytes, externalData, sessionOptions: { externalData }, layout: 'in-memory-external', bytes };
}

/** Packs tensors whole into numbered in-memory files, aligned so ORT may use them in place. */
class ChunkPacker {
  private readonly chunks: { parts: { offset: number; bytes: Uint8Array }[]; size: number }[] = [];

  constructor(private readonly chunkBytes: number) {}

  place(bytes: Uint8Array): { location: string; offset: number; length: number } {
    let chunk = this.chunks.at(-1);
    let offset = chunk ? Math.ceil(chunk.size / ALIGNMENT) * ALIGNMENT : 0;
    if (chunk === undefined || (chunk.size > 0 && offset + bytes.byteLength > this.chunkBytes)) {
      chunk = { parts: [], size: 0 };
      this.chunks.push(chunk);
      offset = 0;
    }
    chunk.parts.push({ offset, bytes });
    chunk.size = offset + bytes.byteLength;
    return { location: chunkName(this.chunks.length - 1), offset, length: bytes.byteLength };
  }

  files(): InMemoryExternalFile[] {
    return this.chunks.map((chunk, index) => {
      const data = new Uint8Array(chunk.size);
      for (const part of chunk.parts) data.set(part.bytes, part.offset);
      return { path: chunkName(index), data };
    });
  }
}

const chunkName = (index: number): string => `atelier-weights-${index}.bin`;

/**
 * The provider's options plus what the merged model needs. `extra` entries are combined, not
 * replaced, so provider tuning such as session.* flags survives.
 */
export function mergeSessionOptions(
  provider: InferenceSession.SessionOptions,
  merged: Pick<MergedModel, 'sessionOptions'>,
): InferenceSession.SessionOptions {
  const extra = { ...(provider.extra ?? {}), ...(merged.sessionOptions.extra ?? {}) };
  const combined: InferenceSession.SessionOptions = { ...provider, ...merged.sessionOptions };
  return Object.keys(extra).length > 0 ? { ...combined, extra } : combined;
}
