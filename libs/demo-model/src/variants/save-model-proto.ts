import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { onnx, type OnnxNamespace } from '@atelier/onnx-graph';
import type { SavedModel } from '@atelier/onnx-graph';

const THRESHOLD_BYTES = 1024;
const ALIGNMENT = 4096;

/**
 * saveModel for a model that exists only as a proto (e.g. after toFloat16Model): with
 * `externalData`, initializers of at least 1 kB go to `<model>_data`, 4 kB aligned, as onnx does.
 */
export async function saveModelProto(model: OnnxNamespace.IModelProto, modelPath: string, options: { readonly externalData: boolean }): Promise<SavedModel> {
  const location = `${basename(modelPath)}_data`;
  const externalDataPath = join(dirname(modelPath), location);
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let end = 0;
  const initializers = (model.graph?.initializer ?? []).map((tensor) => {
    const bytes = tensor.rawData;
    if (!options.externalData || !bytes || bytes.byteLength < THRESHOLD_BYTES) return tensor;
    const offset = Math.ceil(end / ALIGNMENT) * ALIGNMENT;
    chunks.push({ offset, bytes });
    end = offset + bytes.byteLength;
    return {
      ...tensor,
      rawData: null,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ],
    };
  });

  await mkdir(dirname(modelPath), { recursive: true });
  await writeFile(modelPath, onnx.ModelProto.encode({ ...model, graph: { ...model.graph, initializer: initializers } }).finish());
  if (chunks.length === 0) {
    await rm(externalDataPath, { force: true });
    return { modelPath, externalDataPath: null };
  }
  const data = new Uint8Array(end);
  for (const chunk of chunks) data.set(chunk.bytes, chunk.offset);
  await writeFile(externalDataPath, data);
  return { modelPath, externalDataPath };
}
