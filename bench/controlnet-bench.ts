import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LoadedModel, SessionPool, StableDiffusionPipeline, readModelFolder, type ControlNetParams } from '@atelier/diffusion';
import type { BenchScale } from './bench-options.js';
import { printTable } from './table.js';

export interface ControlNetBenchRow {
  readonly width: number;
  readonly height: number;
  readonly controlnets: number;
  readonly steps: number;
  /** Per step, from the repeat with the median loop time: the whole loop, inside the UNet, inside the ControlNets. */
  readonly stepMs: number;
  readonly unetMs: number;
  readonly controlnetMs: number;
}

/**
 * Per-step cost of ControlNets on the controlnet-tiny-onnx fixture (real SD 1.x architecture,
 * tiny widths): 0 nets (the plain UNet), 1 (canny) and 2 (canny + depth, Multi-ControlNet), one
 * image with classifier-free guidance. Needs ../shared; without it the table says so.
 */
export async function benchControlNets(scale: BenchScale): Promise<ControlNetBenchRow[]> {
  const root = path.resolve('..', 'shared', 'fixtures', 'controlnet-tiny-onnx');
  const title = 'ControlNet cost per denoising step, CPU execution provider, controlnet-tiny-onnx fixture, 1 image with guidance';
  if (!existsSync(root)) {
    printTable(title, ['note'], [['fixture ../shared/fixtures/controlnet-tiny-onnx not present: nothing measured']]);
    return [];
  }
  const sizes = scale === 'smoke' ? [{ width: 64, height: 64, steps: 2 }] : [
    { width: 64, height: 64, steps: 20 },
    { width: 128, height: 128, steps: 20 },
  ];
  const repeats = scale === 'smoke' ? 1 : 5;
  const model = await LoadedModel.open(await readModelFolder(path.join(root, 'model'), 'controlnet-tiny'));
  const pool = new SessionPool('cpu', 4 * 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  const canny = new Uint8Array(await readFile(path.join(root, 'reference', 'canny_64x64.png')));
  const depth = new Uint8Array(await readFile(path.join(root, 'reference', 'depth_64x64.png')));
  const nets: ControlNetParams[] = [
    { model: path.join(root, 'controlnets', 'canny'), image: canny, conditioningScale: 0.7 },
    { model: path.join(root, 'controlnets', 'depth'), image: depth, conditioningScale: 0.4 },
  ];
  const rows: ControlNetBenchRow[] = [];
  try {
    for (const size of sizes) {
      for (const count of [0, 1, 2]) {
        const params = { prompt: 'a cat on a chair', negativePrompt: '', steps: size.steps, guidanceScale: 7.5, scheduler: 'euler', width: size.width, height: size.height, seeds: [1], controlnets: nets.slice(0, count) };
        // Warm-up: session loads and first-call allocations stay out of the figures.
        await pipeline.generate(model, { ...params, steps: 1 });
        const runs: Array<{ step: number; unet: number; controlnet: number }> = [];
        for (let run = 0; run < repeats; run++) {
          const { stats } = await pipeline.generate(model, params);
          runs.push({ step: stats.loopMs / stats.steps, unet: stats.unetMs / stats.steps, controlnet: stats.conditioningMs / stats.steps });
        }
        // The run with the median step time, whole: its parts add up (medians taken apart would not).
        const middle = [...runs].sort((a, b) => a.step - b.step)[Math.floor(runs.length / 2)];
        rows.push({ width: size.width, height: size.height, controlnets: count, steps: size.steps, stepMs: middle.step, unetMs: middle.unet, controlnetMs: middle.controlnet });
      }
    }
  } finally {
    await pool.close();
  }
  printTable(
    `${title}, the median of ${repeats} runs`,
    ['size', 'ControlNets', 'steps', 'ms/step', 'UNet ms/step', 'ControlNet ms/step', 'other ms/step'],
    rows.map((row) => [
      `${row.width}×${row.height}`,
      row.controlnets,
      row.steps,
      row.stepMs.toFixed(3),
      row.unetMs.toFixed(3),
      row.controlnetMs.toFixed(3),
      (row.stepMs - row.unetMs - row.controlnetMs).toFixed(3),
    ]),
  );
  return rows;
}
