import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureDemoModels } from '#libs/demo-model/src/index.js';
import { LoadedModel, SessionPool, StableDiffusionPipeline, readModelFolder } from '#libs/diffusion/src/index.js';
import { SCHEDULERS } from '#libs/diffusion/src/schedulers/index.js';
import { printTable } from './table.js';

export type BenchScale = 'smoke' | 'full';

export interface PipelineBenchOptions {
  /** `smoke`: 2 schedulers, 2 steps, 64×64, one run each (for the bench's own test). */
  readonly scale?: BenchScale;
  /** Scheduler ids to measure (default: every registered scheduler, or 2 in smoke). */
  readonly schedulers?: readonly string[];
}

export interface PipelineBenchRow {
  readonly model: string;
  readonly width: number;
  readonly height: number;
  readonly scheduler: string;
  readonly steps: number;
  /** Median over the repeats of the time inside UNet `session.run`, per step. */
  readonly insideMs: number;
  /** Median over the repeats of the loop time outside `session.run`, per step. */
  readonly outsideMs: number;
}

interface Size {
  readonly width: number;
  readonly height: number;
  readonly steps: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Per-step host work of the denoising loop (scheduler, guidance, copies, tensor feeds: everything
 * outside UNet `session.run`) next to the time inside it, for every scheduler, on the demo model
 * (real input/output names, a cheap UNet, which isolates host work) at 512² (latents 4×64×64)
 * and 1024² (SDXL's latent size 4×128×128), one image with classifier-free guidance (UNet batch 2).
 */
export async function benchPipeline(cacheDir: string, options: PipelineBenchOptions = {}): Promise<PipelineBenchRow[]> {
  const scale = options.scale ?? 'full';
  const demos = await ensureDemoModels(cacheDir);
  const demo = demos.find((entry) => entry.id === 'demo-sd15');
  if (!demo) throw new Error('demo-sd15 was not built');
  const sizes: Size[] =
    scale === 'smoke'
      ? [{ width: 64, height: 64, steps: 2 }]
      : [
          { width: 512, height: 512, steps: 20 },
          { width: 1024, height: 1024, steps: 10 },
        ];
  const repeats = scale === 'smoke' ? 1 : 3;
  const schedulers = options.schedulers ?? (scale === 'smoke' ? ['euler', 'unipc'] : SCHEDULERS.map((definition) => definition.id));
  const folders = [{ id: demo.id, dir: demo.dir, sizes }];
  const tiny = path.resolve('..', 'shared', 'fixtures', 'sd2-tiny-onnx', 'model');
  if (scale === 'full' && existsSync(tiny)) folders.push({ id: 'sd2-tiny (fixture)', dir: tiny, sizes: [{ width: 64, height: 64, steps: 20 }] });
  const pool = new SessionPool('cpu', 4 * 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  const rows: PipelineBenchRow[] = [];
  try {
    for (const folder of folders) {
      const model = await LoadedModel.open(await readModelFolder(folder.dir, folder.id));
      for (const size of folder.sizes) {
        for (const scheduler of schedulers) {
          const steps = scheduler === 'lcm' ? Math.min(size.steps, 8) : size.steps;
          const params = { prompt: 'a red circle on a blue background', negativePrompt: '', steps, guidanceScale: 7.5, scheduler, width: size.width, height: size.height, seeds: [1] };
          // One short run first, so session warm-up and first-call JIT stay out of the figures.
          if (scale === 'full') await pipeline.generate(model, { ...params, steps: Math.min(2, steps) });
          const inside: number[] = [];
          const outside: number[] = [];
          for (let run = 0; run < repeats; run++) {
            const { stats } = await pipeline.generate(model, params);
            inside.push(stats.unetMs / stats.steps);
            outside.push((stats.loopMs - stats.unetMs) / stats.steps);
          }
          rows.push({ model: folder.id, width: size.width, height: size.height, scheduler, steps, insideMs: median(inside), outsideMs: median(outside) });
        }
      }
    }
  } finally {
    await pool.close();
  }
  printTable(
    `Denoising step host work, CPU execution provider, 1 image with classifier-free guidance (UNet batch 2), median of ${repeats}`,
    ['model', 'size', 'scheduler', 'steps', 'inside session.run ms/step', 'outside ms/step', 'outside % of inside'],
    rows.map((row) => [
      row.model,
      `${row.width}×${row.height}`,
      row.scheduler,
      row.steps,
      row.insideMs.toFixed(3),
      row.outsideMs.toFixed(3),
      ((100 * row.outsideMs) / row.insideMs).toFixed(1),
    ]),
  );
  return rows;
}
