// ONNX Runtime's optimized-model cache. Creating a session optimizes the graph (fusions, NCHWc
// layout for convolutions) and copies every weight it re-lays out: for SD 1.5's 3.4 GB UNet that
// is most of a 10–14 s load and of its resident memory. Saved once with `optimizedModelFilePath`
// (weights in an external file) and opened later with optimizations disabled, the same graph loads
// in a fraction of the time and its weights are memory-mapped from the cached file instead of
// being copied. The saved graph is specific to the ONNX Runtime version and the CPU it was made on,
// so both are part of the key, with each source file's path, size and modification time.
import { createHash, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { externalDataFiles } from './model-files.js';

const MODEL = 'model.onnx';
const DATA = 'model.onnx.data';
const COMPLETE = '.complete';

export interface OptimizedModelCacheStats {
  hits: number;
  writes: number;
}

export class OptimizedModelCache {
  readonly stats: OptimizedModelCacheStats = { hits: 0, writes: 0 };

  constructor(readonly dir: string) {}

  /**
   * A session for `modelPath`: from its optimized copy when one was saved for these exact files,
   * otherwise from the model itself, saving the copy on the way (first load pays for the write).
   */
  async create(modelPath: string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
    const entry = await this.entryFor(modelPath, options);
    const cached = path.join(entry, MODEL);
    if (await isComplete(entry)) {
      try {
        const session = await ort.InferenceSession.create(cached, { ...options, graphOptimizationLevel: 'disabled' });
        this.stats.hits++;
        return session;
      } catch {
        // A damaged copy is rebuilt from the model below.
        await rm(entry, { recursive: true, force: true });
      }
    }
    const staging = `${entry}.staging-${randomUUID()}`;
    await mkdir(staging, { recursive: true });
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        ...options,
        optimizedModelFilePath: path.join(staging, MODEL),
        extra: {
          ...(options.extra ?? {}),
          'session.optimized_model_external_initializers_file_name': DATA,
          'session.optimized_model_external_initializers_min_size_in_bytes': '1024',
        },
      });
      await writeFile(path.join(staging, COMPLETE), '');
      await this.publish(staging, entry);
      this.stats.writes++;
      return session;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Moves a finished copy into place and drops copies made for older versions of the same file. */
  private async publish(staging: string, entry: string): Promise<void> {
    const parent = path.dirname(entry);
    for (const name of await readdir(parent)) {
      const sibling = path.join(parent, name);
      if (sibling !== entry && sibling !== staging && !name.includes('.staging-')) await rm(sibling, { recursive: true, force: true });
    }
    // Another process may have published the same entry meanwhile: either copy is good.
    await rename(staging, entry).catch(async () => undefined);
  }

  private async entryFor(modelPath: string, options: ort.InferenceSession.SessionOptions): Promise<string> {
    const resolved = path.resolve(modelPath);
    const files = await Promise.all(
      [resolved, ...(await externalDataFiles(resolved))].map(async (file) => {
        const info = await stat(file);
        return [path.basename(file), info.size, info.mtimeMs];
      }),
    );
    const versions = ort.env.versions as Record<string, string | undefined>;
    const identity = JSON.stringify({
      files,
      ort: versions.node ?? versions.common,
      cpu: cpus()[0]?.model ?? 'unknown',
      arch: process.arch,
      level: options.graphOptimizationLevel ?? 'all',
      extra: options.extra ?? {},
    });
    return path.join(this.dir, hash(resolved), hash(identity));
  }
}

const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 20);

async function isComplete(entry: string): Promise<boolean> {
  return stat(path.join(entry, COMPLETE)).then(
    () => true,
    () => false,
  );
}
