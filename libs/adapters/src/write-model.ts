// Writes a base model with replaced initializers as a new model.onnx + model.onnx_data, streaming
// one tensor at a time so a multi-gigabyte UNet never sits in memory whole. Used for refits and
// as the on-disk fallback of merged models.
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { onnx } from '@atelier/onnx-graph';
import { checkUpdateNames, encodeUpdate, setExternal, setInline, type InitializerUpdates } from './initializer-update.js';
import type { GraphPatch } from './merged-model.js';
import { externalPath, type OnnxModel } from './onnx-model.js';

export interface WriteModelOptions {
  /** Tensors of at least this many bytes go to the data file (onnx's default, 1024). */
  readonly thresholdBytes?: number;
  readonly alignment?: number;
  readonly patches?: readonly GraphPatch[];
}

export interface WrittenModel {
  readonly modelPath: string;
  /** Null when every tensor stayed inline. */
  readonly externalDataPath: string | null;
}

export async function writeModel(
  model: OnnxModel,
  updates: InitializerUpdates,
  modelPath: string,
  options: WriteModelOptions = {},
): Promise<WrittenModel> {
  checkUpdateNames(model, updates);
  const target = path.resolve(modelPath);
  const location = `${path.basename(target)}_data`;
  const dataPath = path.join(path.dirname(target), location);
  refuseOverwritingBase(model, target, dataPath);
  const threshold = options.thresholdBytes ?? 1024;
  const alignment = options.alignment ?? 4096;

  await mkdir(path.dirname(target), { recursive: true });
  const proto = model.decodeCopy();
  const tensors = proto.graph?.initializer ?? [];
  const file = await open(dataPath, 'w');
  let end = 0;
  try {
    for (const info of model.initializers.values()) {
      const tensor = tensors[info.index];
      const update = updates.get(info.name);
      let bytes: Uint8Array | null = null;
      let dims: readonly number[] | undefined;
      if (update !== undefined) {
        const encoded = encodeUpdate(model, info.name, update);
        bytes = encoded.bytes;
        dims = encoded.dims;
      } else if (info.storage.kind === 'external' || (tensor.rawData?.byteLength ?? 0) > 0) {
        bytes = await model.readStoredBytes(info.name);
      }
      if (bytes === null || bytes.byteLength < threshold) {
        if (bytes !== null && (update !== undefined || info.storage.kind === 'external')) setInline(tensor, bytes, dims);
        continue;
      }
      const offset = Math.ceil(end / alignment) * alignment;
      await file.write(bytes, 0, bytes.byteLength, offset);
      end = offset + bytes.byteLength;
      setExternal(tensor, { location, offset, length: bytes.byteLength }, dims);
    }
  } finally {
    await file.close();
  }
  for (const patch of options.patches ?? []) patch(proto.graph ?? {});
  await writeFile(target, onnx.ModelProto.encode(proto).finish());
  if (end === 0) {
    await rm(dataPath, { force: true });
    return { modelPath: target, externalDataPath: null };
  }
  return { modelPath: target, externalDataPath: dataPath };
}

function refuseOverwritingBase(model: OnnxModel, target: string, dataPath: string): void {
  if (model.dir === null) return;
  const baseFiles = new Set(model.externalLocations().map((location) => externalPath(model.dir ?? '', location)));
  if (baseFiles.has(target) || baseFiles.has(dataPath) || path.dirname(target) === model.dir) {
    throw new Error(`refusing to write ${target} over the base model it is read from`);
  }
}
