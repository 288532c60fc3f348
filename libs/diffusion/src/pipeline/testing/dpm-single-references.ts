import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * diffusers' own pipeline loop with DPMSolverSinglestepScheduler on the shared tiny SD 2.x export
 * (libs/diffusion/fixtures/dpm-single-sd2-tiny/, made by scripts/make_dpm_single_references.py).
 * A run either names the sampler on the unchanged model, or replaces the model's
 * scheduler_config.json with one whose `_class_name` is the class (and names no sampler).
 */
const runSchema = z.object({
  scheduler_name: z.string().nullable(),
  scheduler_config: z.record(z.string(), z.unknown()).optional(),
  diffusers_overrides: z.record(z.string(), z.unknown()),
  prompt: z.string(),
  negative_prompt: z.string(),
  steps: z.number().int().positive(),
  guidance_scale: z.number(),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  image: z.string(),
  timesteps: z.array(z.number()),
});
const manifestSchema = z.object({ runs: z.array(runSchema).min(1) });

export interface DpmSingleReference extends z.infer<typeof runSchema> {
  /** Absolute path of the expected image (raw float32, HWC in [0,1]). */
  readonly imagePath: string;
  /** Short text naming the configuration, for assertion messages. */
  readonly label: string;
}

/** The committed references (they travel with the project, the model stays in ../shared). */
export const DPM_SINGLE_REFERENCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'dpm-single-sd2-tiny');

export async function readDpmSingleReferences(): Promise<DpmSingleReference[]> {
  const manifest = manifestSchema.parse(JSON.parse(await readFile(path.join(DPM_SINGLE_REFERENCE_DIR, 'manifest.json'), 'utf8')));
  return manifest.runs.map((run) => ({
    ...run,
    imagePath: path.join(DPM_SINGLE_REFERENCE_DIR, run.image),
    label: `${run.scheduler_name ?? 'scheduler_config.json'} ${JSON.stringify(run.diffusers_overrides)} ${run.steps} steps`,
  }));
}

/**
 * The model folder a run was made on: `modelDir` itself, or (for a run with its own
 * scheduler_config) a folder under `workDir` whose components link to `modelDir`'s and whose
 * scheduler/scheduler_config.json is the run's.
 */
export async function modelFolderForRun(run: DpmSingleReference, modelDir: string, workDir: string): Promise<string> {
  if (run.scheduler_config === undefined) return modelDir;
  const dir = path.join(workDir, path.basename(run.image, '.f32'));
  await mkdir(path.join(dir, 'scheduler'), { recursive: true });
  for (const entry of await readdir(modelDir, { withFileTypes: true })) {
    if (entry.name !== 'scheduler') await symlink(path.join(modelDir, entry.name), path.join(dir, entry.name));
  }
  await writeFile(path.join(dir, 'scheduler', 'scheduler_config.json'), JSON.stringify(run.scheduler_config, null, 2));
  return dir;
}
