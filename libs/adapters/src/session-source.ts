// What a session pool needs to open a (possibly merged) component: a cache key, the bytes it will
// hold, and a way to create the session with the provider's options. Keeping the merged bytes
// referenced here keeps the in-memory external data alive as long as the source is.
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
