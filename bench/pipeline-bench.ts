import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureDemoModels } from '#libs/demo-model/src/index.js';
import { LoadedModel, SessionPool, StableDiffusionPipeline, readModelFolder } from '#libs/diffusion/src/index.js';
import { sized, type BenchOptions } from './bench-options.js';
import { printTable } from './table.js';

/** Per-step time outside `session.run` (scheduler, guidance, copies) next to the time inside it. */
export async function benchPipeline(cacheDir: string, options: BenchOptions): Promise<void> {
  const demos = await ensureDemoModels(cacheDir);
  const folders = demos.filter((demo) => demo.id === 'demo-sd15').map((demo) => ({ id: demo.id, dir: demo.dir, width: 512, height: 512 }));
  const tiny = path.resolve('..', 'shared', 'fixtures', 'sd2-tiny-onnx', 'model');
  if (existsSync(tiny)) folders.push({ id: 'sd2-tiny (fixture)', dir: tiny, width: 64, height: 64 });
  const pool = new SessionPool('cpu', 4 * 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  const rows: Array<Array<string | number>> = [];
  for (const folder of folders) {
    const model = await LoadedModel.open(await readModelFolder(folder.dir, folder.id));
    for (const scheduler of ['Euler', 'UniPC', 'DPM++ 2M Karras']) {
      const params = { prompt: 'a red circle on a blue background', negativePrompt: '', steps: sized(options, 25, 2), guidanceScale: 7.5, scheduler, width: folder.width, height: folder.height, seeds: [1] };
      await pipeline.generate(model, { ...params, steps: 2 });
      const { stats } = await pipeline.generate(model, params);
      const outside = (stats.loopMs - stats.unetMs) / stats.steps;
      rows.push([folder.id, `${folder.width}×${folder.height}`, scheduler, stats.steps, (stats.unetMs / stats.steps).toFixed(3), outside.toFixed(3), ((100 * outside) / (stats.loopMs / stats.steps)).toFixed(1)]);
    }
  }
  await pool.close();
  printTable('Denoising step, CPU execution provider (batch 2 with classifier-free guidance)', ['model', 'size', 'scheduler', 'steps', 'inside session.run ms/step', 'outside ms/step', 'outside %'], rows);
}
