// The on-disk fallback for merged models: a content-addressed folder per merge key, written once
// (to a temporary name, then renamed, so a crash never leaves a half model under a valid key) and
// reused by every later session with the same key.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InitializerUpdates } from './initializer-update.js';
import type { GraphPatch } from './merged-model.js';
import type { OnnxModel } from './onnx-model.js';
import { writeModel } from './write-model.js';

export interface CachedModel {
  readonly path: string;
  /** False when an earlier merge with the same key was found. */
  readonly written: boolean;
}

export async function materializeMergedModel(
  cacheDir: string,
  key: string,
  model: OnnxModel,
  updates: InitializerUpdates,
  patches: readonly GraphPatch[] = [],
): Promise<CachedModel> {
  if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`merge cache key must be hex (adapterSetKey), got ${JSON.stringify(key)}`);
  const folder = path.join(path.resolve(cacheDir), key);
  const modelPath = path.join(folder, 'model.onnx');
  if (await stat(modelPath).then(() => true, () => false)) return { path: modelPath, written: false };

  const temporary = `${folder}.partial-${process.pid}-${Date.now()}`;
  await mkdir(temporary, { recursive: true });
  try {
    await writeModel(model, updates, path.join(temporary, 'model.onnx'), { patches });
    await rename(temporary, folder);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    // Another worker finishing the same key first is success, not failure.
    if (await stat(modelPath).then(() => true, () => false)) return { path: modelPath, written: false };
    throw error;
  }
  return { path: modelPath, written: true };
}
