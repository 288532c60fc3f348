import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureDemoModels } from '@atelier/demo-model';
import { LoadedModel, SessionPool, StableDiffusionPipeline, readModelFolder } from '@atelier/diffusion';
import { DenoisingBuffers } from '@atelier/diffusion';
import { BatchedNoise } from '@atelier/diffusion';
import { SCHEDULERS, parseSchedulerConfig, setNoiseThreadEnabled, type PrefetchStats } from '@atelier/diffusion';
import type { BenchScale } from './bench-options.js';
import { printTable } from './table.js';
import { benchOffCpuUnet, type OffCpuUnetRow } from './off-cpu-unet-bench.js';
import { median } from './median.js';
import { SD15_SCHEDULER } from './sd15-scheduler.js';


export interface PipelineBenchOptions {
  /** `smoke`: 2 schedulers, 2 steps, 64×64, one run each (for the bench's own test). */
  readonly scale?: BenchScale;
  /** Scheduler ids to measure (default: every registered scheduler, or 2 in smoke). */
  readonly schedulers?: readonly string[];
}

export interface HostWorkRow {
  readonly width: number;
  readonly height: number;
  readonly scheduler: string;
  /** Process CPU time per step of the loop's host work alone (no UNet), best of the repeats. */
  readonly cpuMs: number;
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
  /** Median over the repeats of the loop's wall time per step (inside + outside). */
  readonly wallMs: number;
  /** Noise chunks drawn ahead on the noise thread, summed over the repeats (zeros for deterministic samplers). */
  readonly noise: PrefetchStats;
}

/** Stochastic samplers with the noise thread off and on, runs alternating in the same conditions. */
export interface NoiseThreadRow {
  readonly width: number;
  readonly height: number;
  readonly scheduler: string;
  readonly off: { readonly outsideMs: number; readonly wallMs: number };
  readonly on: { readonly outsideMs: number; readonly wallMs: number };
}

export interface PipelineBenchResult {
  /** Through the real pipeline: inside vs outside `session.run`, wall time. */
  readonly steps: PipelineBenchRow[];
  /** The host part alone, CPU time. */
  readonly host: HostWorkRow[];
  /** Stochastic samplers: noise drawn inline vs ahead on the noise thread. */
  readonly noiseThread: NoiseThreadRow[];
  /** Stochastic samplers around a UNet that leaves the CPU free (a GPU stand-in), thread off vs on. */
  readonly offCpu: OffCpuUnetRow[];
}

interface Size {
  readonly width: number;
  readonly height: number;
  readonly steps: number;
}

/**
 * The loop's host work without the UNet, timed in process CPU time (user + system), which a
 * loaded machine inflates far less than wall time: per step the scheduler's input scaling, the
 * guidance copy, classifier-free guidance and the scheduler step, on the pipeline's own buffers,
 * with a fixed stand-in prediction. Best of the repeats.
 */
export function benchHostWork(sizes: ReadonlyArray<{ width: number; height: number; steps: number }>, schedulers: readonly string[], repeats: number): HostWorkRow[] {
  const config = parseSchedulerConfig(SD15_SCHEDULER);
  const rows: HostWorkRow[] = [];
  for (const size of sizes) {
    const height = size.height / 8;
    const width = size.width / 8;
    const latentSize = 4 * height * width;
    const prediction = new BatchedNoise([7, 8]).randn(2 * latentSize);
    for (const id of schedulers) {
      const definition = SCHEDULERS.find((candidate) => candidate.id === id);
      if (!definition) throw new Error(`unknown scheduler ${id}`);
      const steps = id === 'lcm' ? Math.min(size.steps, 8) : size.steps;
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < repeats + 1; run++) {
        const noise = new BatchedNoise([1]);
        const scheduler = definition.create(config, { steps, noise });
        const loop = new DenoisingBuffers({ latentSize, batch: 1, channels: 4, height, width, useGuidance: true });
        noise.randnInto(loop.latents);
        const start = process.cpuUsage();
        for (let index = 0; index < scheduler.timesteps.length; index++) {
          scheduler.scaleModelInputInto(loop.latents, index, loop.scaled);
          loop.modelInput();
          scheduler.stepInto(loop.guide(prediction, 7.5), index, loop.latents, loop.latents);
        }
        const used = process.cpuUsage(start);
        // The first run warms the JIT and is not counted.
        if (run > 0) best = Math.min(best, (used.user + used.system) / 1000 / scheduler.timesteps.length);
      }
      rows.push({ width: size.width, height: size.height, scheduler: id, cpuMs: best });
    }
  }
  return rows;
}

/**
 * Per-step host work of the denoising loop (scheduler, guidance, copies, tensor feeds: everything
 * outside UNet `session.run`) next to the time inside it, for every scheduler, on the demo model
 * (real input/output names, a cheap UNet, which isolates host work) at 512² (latents 4×64×64)
 * and 1024² (SDXL's latent size 4×128×128), one image with classifier-free guidance (UNet batch 2).
 */
export async function benchPipeline(cacheDir: string, options: PipelineBenchOptions = {}): Promise<PipelineBenchResult> {
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
  const schedulers = options.schedulers ?? (scale === 'smoke' ? ['euler', 'unipc', 'euler-a'] : SCHEDULERS.map((definition) => definition.id));
  const stochastic = schedulers.filter((id) => SCHEDULERS.some((definition) => definition.id === id && !definition.deterministic));
  const folders = [{ id: demo.id, dir: demo.dir, sizes }];
  const tiny = path.resolve('..', 'shared', 'fixtures', 'sd2-tiny-onnx', 'model');
  if (scale === 'full' && existsSync(tiny)) folders.push({ id: 'sd2-tiny (fixture)', dir: tiny, sizes: [{ width: 64, height: 64, steps: 20 }] });
  const pool = new SessionPool('cpu', 4 * 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  const rows: PipelineBenchRow[] = [];
  const noiseThread: NoiseThreadRow[] = [];
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
          const wall: number[] = [];
          const noise = { requested: 0, ready: 0, waited: 0, waitedMs: 0, drawnInline: 0 };
          for (let run = 0; run < repeats; run++) {
            const { stats } = await pipeline.generate(model, params);
            inside.push(stats.unetMs / stats.steps);
            outside.push((stats.loopMs - stats.unetMs) / stats.steps);
            wall.push(stats.loopMs / stats.steps);
            for (const key of Object.keys(noise) as Array<keyof PrefetchStats>) noise[key] += stats.noiseAhead[key];
          }
          rows.push({ model: folder.id, width: size.width, height: size.height, scheduler, steps, insideMs: median(inside), outsideMs: median(outside), wallMs: median(wall), noise });
        }
        if (folder.id !== demo.id) continue;
        // The same runs with every step drawing its own noise, alternating with the thread on.
        for (const scheduler of stochastic) {
          const steps = scheduler === 'lcm' ? Math.min(size.steps, 8) : size.steps;
          const params = { prompt: 'a red circle on a blue background', negativePrompt: '', steps, guidanceScale: 7.5, scheduler, width: size.width, height: size.height, seeds: [1] };
          const runs = { off: { outside: [] as number[], wall: [] as number[] }, on: { outside: [] as number[], wall: [] as number[] } };
          for (let run = 0; run < repeats; run++) {
            for (const mode of ['off', 'on'] as const) {
              setNoiseThreadEnabled(mode === 'on');
              try {
                const { stats } = await pipeline.generate(model, params);
                runs[mode].outside.push((stats.loopMs - stats.unetMs) / stats.steps);
                runs[mode].wall.push(stats.loopMs / stats.steps);
              } finally {
                setNoiseThreadEnabled(true);
              }
            }
          }
          const summary = (mode: 'off' | 'on'): { outsideMs: number; wallMs: number } => ({ outsideMs: median(runs[mode].outside), wallMs: median(runs[mode].wall) });
          noiseThread.push({ width: size.width, height: size.height, scheduler, off: summary('off'), on: summary('on') });
        }
      }
    }
  } finally {
    await pool.close();
  }
  printTable(
    `Denoising step host work, CPU execution provider, 1 image with classifier-free guidance (UNet batch 2), median of ${repeats}`,
    ['model', 'size', 'scheduler', 'steps', 'inside session.run ms/step', 'outside ms/step', 'outside % of inside', 'wall ms/step', 'noise chunks ready / waited / drawn inline'],
    rows.map((row) => [
      row.model,
      `${row.width}×${row.height}`,
      row.scheduler,
      row.steps,
      row.insideMs.toFixed(3),
      row.outsideMs.toFixed(3),
      ((100 * row.outsideMs) / row.insideMs).toFixed(1),
      row.wallMs.toFixed(3),
      row.noise.requested === 0 ? '-' : `${row.noise.ready} / ${row.noise.waited} (${row.noise.waitedMs.toFixed(1)} ms) / ${row.noise.drawnInline}`,
    ]),
  );
  printTable(
    `Noise-drawing samplers: per-step noise drawn inline (noise thread off) vs ahead on the noise thread (on), demo model, runs alternating, median of ${repeats}`,
    ['size', 'scheduler', 'outside ms/step off', 'outside ms/step on', 'wall ms/step off', 'wall ms/step on'],
    noiseThread.map((row) => [
      `${row.width}×${row.height}`,
      row.scheduler,
      row.off.outsideMs.toFixed(3),
      row.on.outsideMs.toFixed(3),
      row.off.wallMs.toFixed(3),
      row.on.wallMs.toFixed(3),
    ]),
  );
  const host = benchHostWork(sizes, schedulers, repeats);
  printTable(
    `Denoising step host work alone (no UNet; scheduler, guidance, copies, noise drawn inline), process CPU ms/step, best of ${repeats}`,
    ['size', 'scheduler', 'host CPU ms/step'],
    host.map((row) => [`${row.width}×${row.height}`, row.scheduler, row.cpuMs.toFixed(3)]),
  );
  // A GPU's UNet step takes ~10–20 ms and leaves the CPU free: 10 ms stands in for it.
  const offCpu = await benchOffCpuUnet(sizes, scale === 'smoke' ? 1 : 10, repeats);
  return { steps: rows, host, noiseThread, offCpu };
}
