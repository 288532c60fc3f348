import { BatchedNoise, DenoisingBuffers, SCHEDULERS, parseSchedulerConfig, type PrefetchStats } from '@atelier/diffusion';
import { printTable } from './table.js';
import { median } from './median.js';
import { SD15_SCHEDULER } from './sd15-scheduler.js';

/** One noise-drawing sampler at one size, noise thread off and on. */
export interface OffCpuUnetRow {
  readonly width: number;
  readonly height: number;
  readonly scheduler: string;
  /** Median host ms per step outside the stand-in UNet wait. */
  readonly offMs: number;
  readonly onMs: number;
  /** Chunk use with the thread on, summed over the repeats. */
  readonly noise: PrefetchStats;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The denoising loop's host work for the noise-drawing samplers around a UNet that leaves the CPU
 * free, as a GPU's does: a wait of `unetMs` stands in for `session.run`. Wall time outside the
 * wait per step (scheduler, guidance, copies, noise), with every step drawing its own noise
 * (thread off) and with the next step's noise drawn on the noise thread during the wait (on).
 * This isolates what the thread takes off the step's path; the CPU-provider pipeline table shows
 * the case where the UNet itself occupies the cores.
 */
export async function benchOffCpuUnet(
  sizes: ReadonlyArray<{ width: number; height: number; steps: number }>,
  unetMs: number,
  repeats: number,
): Promise<OffCpuUnetRow[]> {
  const config = parseSchedulerConfig(SD15_SCHEDULER);
  const rows: OffCpuUnetRow[] = [];
  const stochastic = SCHEDULERS.filter((definition) => !definition.deterministic);
  for (const size of sizes) {
    const height = size.height / 8;
    const width = size.width / 8;
    const latentSize = 4 * height * width;
    const prediction = new BatchedNoise([7, 8]).randn(2 * latentSize);
    for (const definition of stochastic) {
      const steps = definition.id === 'lcm' ? Math.min(size.steps, 8) : size.steps;
      const host = { off: [] as number[], on: [] as number[] };
      const noiseStats: PrefetchStats = { requested: 0, ready: 0, waited: 0, waitedMs: 0, drawnInline: 0 };
      // The first round warms the JIT and is not counted; modes alternate so both see the same machine.
      for (let run = 0; run < repeats + 1; run++) {
        for (const mode of ['off', 'on'] as const) {
          const noise = new BatchedNoise([1], { prefetch: mode === 'on' });
          try {
            const scheduler = definition.create(config, { steps, noise });
            const loop = new DenoisingBuffers({ latentSize, batch: 1, channels: 4, height, width, useGuidance: true });
            noise.randnInto(loop.latents);
            let outside = 0;
            for (let index = 0; index < scheduler.timesteps.length; index++) {
              const before = performance.now();
              scheduler.scaleModelInputInto(loop.latents, index, loop.scaled);
              loop.modelInput();
              outside += performance.now() - before;
              await wait(unetMs);
              const after = performance.now();
              scheduler.stepInto(loop.guide(prediction, 7.5), index, loop.latents, loop.latents);
              outside += performance.now() - after;
            }
            if (run === 0) continue;
            host[mode].push(outside / scheduler.timesteps.length);
            if (mode === 'on') {
              const stats = noise.prefetchStats();
              for (const key of Object.keys(noiseStats) as Array<keyof PrefetchStats>) noiseStats[key] += stats[key];
            }
          } finally {
            noise.close();
          }
        }
      }
      rows.push({ width: size.width, height: size.height, scheduler: definition.id, offMs: median(host.off), onMs: median(host.on), noise: noiseStats });
    }
  }
  printTable(
    `Noise-drawing samplers around a UNet that leaves the CPU free (a ${unetMs} ms wait stands in for a GPU's session.run): host ms/step outside it, median of ${repeats}`,
    ['size', 'scheduler', 'noise drawn each step (thread off)', 'noise drawn ahead (thread on)', 'chunks ready / waited / drawn inline'],
    rows.map((row) => [
      `${row.width}×${row.height}`,
      row.scheduler,
      row.offMs.toFixed(3),
      row.onMs.toFixed(3),
      `${row.noise.ready} / ${row.noise.waited} (${row.noise.waitedMs.toFixed(1)} ms) / ${row.noise.drawnInline}`,
    ]),
  );
  return rows;
}
