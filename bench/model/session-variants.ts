import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { sessionOptionsFor } from '@atelier/diffusion';

/**
 * The ONNX Runtime session options the load study compares, each against the project's own CPU
 * options (`project`). Only the option named changes.
 */
export const SESSION_VARIANTS = [
  'project',
  'no-prepacking',
  'no-arena',
  'no-arena-no-pattern',
  'env-allocators',
  'extended-optimizations',
  'optimized-cache-write',
  'optimized-cache-read',
] as const;
export type SessionVariantName = (typeof SESSION_VARIANTS)[number];

export async function sessionVariant(name: SessionVariantName, modelPath: string, cacheDir: string): Promise<InferenceSession.SessionOptions> {
  const project = sessionOptionsFor('cpu');
  const extra = (entries: Record<string, string>): InferenceSession.SessionOptions => ({ ...project, extra: { ...(project.extra ?? {}), ...entries } });
  switch (name) {
    case 'project':
      return project;
    case 'no-prepacking':
      return extra({ 'session.disable_prepacking': '1' });
    case 'no-arena':
      return { ...project, enableCpuMemArena: false };
    case 'no-arena-no-pattern':
      return { ...project, enableCpuMemArena: false, enableMemPattern: false };
    case 'env-allocators':
      return extra({ 'session.use_env_allocators': '1' });
    case 'extended-optimizations':
      return { ...project, graphOptimizationLevel: 'extended' };
    case 'optimized-cache-write': {
      const file = await cacheFile(modelPath, cacheDir);
      return {
        ...project,
        optimizedModelFilePath: file,
        extra: {
          ...(project.extra ?? {}),
          'session.optimized_model_external_initializers_file_name': `${path.basename(file)}.data`,
          'session.optimized_model_external_initializers_min_size_in_bytes': '1024',
        },
      };
    }
    case 'optimized-cache-read':
      // The optimized file is opened instead of the model, with optimizations already applied.
      return { ...project, graphOptimizationLevel: 'disabled' };
  }
}

/** Where the optimized copy of a model lives: keyed by the model file's path, size and time. */
export async function cacheFile(modelPath: string, cacheDir: string): Promise<string> {
  const info = await stat(modelPath);
  const key = createHash('sha256').update(`${path.resolve(modelPath)}:${info.size}:${info.mtimeMs}`).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, key);
  await mkdir(dir, { recursive: true });
  return path.join(dir, 'model.optimized.onnx');
}
