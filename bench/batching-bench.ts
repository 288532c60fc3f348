import os from 'node:os';
import { ensureDemoModels } from '@atelier/demo-model';
import { LoadedModel, SessionPool, StableDiffusionPipeline, readModelFolder, type GenerationParams } from '@atelier/diffusion';
import { printTable } from './table.js';
import { median } from './median.js';

export interface BatchingBenchOptions {
  readonly scale: 'smoke' | 'full';
  /**
   * A real-size export to measure too (e.g. the random-weight SD 1.5 of
   * ../shared/tools/export_sd15_random.py); default: env BENCH_BATCHING_MODEL. Its size comes
   * from BENCH_BATCHING_SIZE (default 256: 512 needs ~8 GB at batch 4 on CPU).
   */
  readonly modelDir?: string;
  readonly modelSize?: number;
}

const PROMPTS = ['a red circle on a blue background', 'a green square on a white background', 'a yellow triangle on a black background', 'a gray ring on a pink background'];

interface Case {
  readonly id: string;
  readonly dir: string;
  readonly size: number;
  readonly steps: number;
}

/**
 * Images/s for 1, 2 and 4 compatible requests run as one UNet batch (`generateTogether`, what a
 * worker does with queued jobs that share a batch key) against the same requests one by one.
 * Pipeline level: no queue, no window, no upload, so the figures show what the shared UNet
 * batch itself buys on this execution provider.
 */
export async function benchBatching(cacheDir: string, options: BatchingBenchOptions): Promise<void> {
  const smoke = options.scale === 'smoke';
  const demos = await ensureDemoModels(cacheDir);
  const demo = demos.find((entry) => entry.id === 'demo-sd15');
  if (!demo) throw new Error('ensureDemoModels did not build demo-sd15');
  const cases: Case[] = [{ id: 'demo-sd15', dir: demo.dir, size: smoke ? 64 : 512, steps: smoke ? 2 : 20 }];
  const realDir = options.modelDir ?? process.env.BENCH_BATCHING_MODEL;
  if (realDir && !smoke) cases.push({ id: realDir, dir: realDir, size: options.modelSize ?? Number(process.env.BENCH_BATCHING_SIZE ?? 256), steps: 2 });
  const counts = smoke ? [1, 2] : [1, 2, 4];
  const rows: Array<Array<string | number>> = [];
  for (const entry of cases) {
    const pool = new SessionPool('cpu', 16 * 1024 ** 3);
    const pipeline = new StableDiffusionPipeline(pool);
    const model = await LoadedModel.open(await readModelFolder(entry.dir, entry.id));
    const request = (index: number): GenerationParams => ({
      prompt: PROMPTS[index % PROMPTS.length],
      negativePrompt: '',
      steps: entry.steps,
      guidanceScale: 7.5,
      scheduler: 'Euler',
      width: entry.size,
      height: entry.size,
      seeds: [1000 + index],
    });
    // Warm-up: sessions loaded, first-run allocations done, at the largest batch too.
    await pipeline.generate(model, { ...request(0), steps: 1 });
    await Promise.all(pipeline.generateTogether(model, counts.map((_, index) => ({ params: { ...request(index), steps: 1 } }))));
    // The machine is shared and noisy: every figure is the median of `rounds` runs, one by one
    // and batched alternating which goes first.
    const rounds = smoke ? 1 : entry.dir === realDir ? 3 : 5;
    let alone = Number.NaN;
    for (const count of counts) {
      const requests = Array.from({ length: count }, (_, index) => request(index));
      const oneByOne = async (): Promise<number> => {
        const start = performance.now();
        for (const params of requests) await pipeline.generate(model, params);
        return (performance.now() - start) / 1000;
      };
      const together = async (): Promise<number> => {
        const start = performance.now();
        const results = await Promise.all(pipeline.generateTogether(model, requests.map((params) => ({ params }))));
        if (results.some((result) => result.stats.batchJobs !== count)) throw new Error(`${entry.id}: ${count} requests did not share one batch`);
        return (performance.now() - start) / 1000;
      };
      const sequential: number[] = [];
      const batched: number[] = [];
      for (let round = 0; round < rounds; round++) {
        if (round % 2 === 0) {
          sequential.push(await oneByOne());
          batched.push(await together());
        } else {
          batched.push(await together());
          sequential.push(await oneByOne());
        }
      }
      const sequentialRate = count / median(sequential);
      const batchedRate = count / median(batched);
      if (count === 1) alone = sequentialRate;
      rows.push([
        entry.id === entry.dir ? 'real-size export' : entry.id,
        `${entry.size}×${entry.size}`,
        entry.steps,
        count,
        rounds,
        sequentialRate.toFixed(3),
        batchedRate.toFixed(3),
        (batchedRate / sequentialRate).toFixed(2),
        (batchedRate / alone).toFixed(2),
      ]);
    }
    await pool.close();
  }
  printTable(
    `Batching across requests: images/s, N compatible requests one by one vs one UNet batch (Euler, guidance 7.5, CPU execution provider, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`,
    ['model', 'size', 'steps', 'requests', 'runs (median)', 'one by one img/s', 'one batch img/s', 'batch / one by one', 'batch / single request'],
    rows,
  );
}
