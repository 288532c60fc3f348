import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { GraphBuilder } from './graph-builder.js';

export interface SaveModelOptions {
  /**
   * Move initializers of at least `thresholdBytes` (default 1024) into `<model file>_data`
   * beside the model, e.g. model.onnx_data, as large real exports do.
   */
  readonly externalData?: false | { readonly thresholdBytes?: number; readonly alignment?: number };
}

export interface SavedModel {
  readonly modelPath: string;
  /** Null when nothing was large enough to go external. */
  readonly externalDataPath: string | null;
}

export async function saveModel(graph: GraphBuilder, modelPath: string, options: SaveModelOptions = {}): Promise<SavedModel> {
  const location = `${basename(modelPath)}_data`;
  const externalDataPath = join(dirname(modelPath), location);
  const external = options.externalData ? { location, ...options.externalData } : undefined;
  const encoded = graph.encode({ externalData: external });

  await mkdir(dirname(modelPath), { recursive: true });
  await writeFile(modelPath, encoded.model);
  if (encoded.externalData === null) {
    // A data file left over from an earlier save would be misleading next to an all-inline model.
    await rm(externalDataPath, { force: true });
    return { modelPath, externalDataPath: null };
  }
  await writeFile(externalDataPath, encoded.externalData);
  return { modelPath, externalDataPath };
}
