// What a session pool needs to open a (possibly merged) component: a cache key, the bytes it will
// hold, and a way to create the session with the provider's options. onnxruntime-node 1.30 copies
// in-memory external data while it creates the session (overwriting the buffers afterwards
// changes nothing), so a pool may drop the source once its session exists.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { mergeSessionOptions, type MergedModel } from './merged-model.js';

export interface SessionSource {
  readonly key: string;
  readonly bytes: number;
  create(providerOptions: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
}

export function mergedSessionSource(key: string, merged: MergedModel): SessionSource {
  return {
    key,
    bytes: merged.bytes,
    create: (providerOptions) => ort.InferenceSession.create(merged.modelBytes, mergeSessionOptions(providerOptions, merged)),
  };
}

export function fileSessionSource(key: string, modelPath: string, bytes: number): SessionSource {
  return { key, bytes, create: (providerOptions) => ort.InferenceSession.create(modelPath, providerOptions) };
}

/** model.onnx plus the external data files beside it: what a session loaded from it holds. */
export async function modelFileBytes(modelPath: string): Promise<number> {
  const dir = path.dirname(modelPath);
  const sizes = await Promise.all(
    [modelPath, ...['model.onnx_data', 'model.onnx.data', 'weights.pb'].map((name) => path.join(dir, name))].map((file) =>
      stat(file).then((info) => info.size, () => 0),
    ),
  );
  return sizes.reduce((total, size) => total + size, 0);
}
