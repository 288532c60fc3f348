// One size of the real-size benchmark in a fresh process (`node dist/bench/model/model-run.js
// '<json>'`), so peak RSS belongs to that size alone. Loads every component through the worker's
// own SessionPool and generates through the worker's own pipeline, as a job would.
import type * as ort from 'onnxruntime-node';
import { LoadedModel, SessionPool, StableDiffusionPipeline, readModelFolder, type ExecutionProviderName } from '@atelier/diffusion';
import { answerAsChild } from './child-entry.js';

export interface ModelRunRequest {
  readonly dir: string;
  readonly size: number;
  readonly steps: number;
  readonly provider: ExecutionProviderName;
  /** ONNX Runtime optimized-model cache, as the worker keeps it; none: every load optimizes. */
  readonly optimizedModelDir?: string;
}

export interface ComponentLoad {
  readonly component: string;
  readonly seconds: number;
  /** What the pool counts against its budget. */
  readonly poolBytes: number;
  readonly diskBytes: number;
  readonly rssDelta: number;
  readonly cache: 'off' | 'write' | 'read';
}

export interface ModelRunResult {
  readonly size: number;
  readonly loads: readonly ComponentLoad[];
  readonly unetRunsMs: readonly number[];
  readonly textEncodeMs: readonly number[];
  readonly vaeDecodeMs: readonly number[];
  readonly vaeEncodeMs: readonly number[];
  readonly rssAfterLoad: number;
  readonly peakRss: number;
}

type RunFunction = (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>;

/** Times every run of a pooled session (the pool hands the pipeline this same object). */
function timeRuns(session: ort.InferenceSession, into: number[]): void {
  const original = session.run as RunFunction;
  const timed: RunFunction = async (...args) => {
    const started = performance.now();
    try {
      return await original.apply(session, args);
    } finally {
      into.push(performance.now() - started);
    }
  };
  (session as { run: RunFunction }).run = timed;
}

async function run(request: ModelRunRequest): Promise<ModelRunResult> {
  const folder = await readModelFolder(request.dir);
  const model = await LoadedModel.open(folder);
  const loads: ComponentLoad[] = [];
  let last: { seconds: number; bytes: number; diskBytes: number } | undefined;
  const pool = new SessionPool(
    request.provider,
    Number.MAX_SAFE_INTEGER,
    { onLoad: (_file, seconds, bytes, detail) => (last = { seconds, bytes, diskBytes: detail.diskBytes }) },
    { optimizedModelDir: request.optimizedModelDir },
  );
  const cacheUse = (before: { hits: number; writes: number } | undefined): ComponentLoad['cache'] => {
    const now = pool.optimizedModels?.stats;
    if (!now || !before) return 'off';
    return now.hits > before.hits ? 'read' : 'write';
  };
  const timings = { unet: [] as number[], text: [] as number[], decode: [] as number[], encode: [] as number[] };
  const components: Array<[string, string | undefined, number[]]> = [
    ['text_encoder', folder.components.textEncoder, timings.text],
    ['text_encoder_2', folder.components.textEncoder2, timings.text],
    ['unet', folder.components.unet, timings.unet],
    ['vae_decoder', folder.components.vaeDecoder, timings.decode],
    ['vae_encoder', folder.components.vaeEncoder, timings.encode],
  ];
  const leases = [];
  for (const [component, file, into] of components) {
    if (!file) continue;
    const before = process.memoryUsage().rss;
    const cacheBefore = pool.optimizedModels ? { ...pool.optimizedModels.stats } : undefined;
    last = undefined;
    const lease = await pool.acquire(file);
    const loaded = last as { seconds: number; bytes: number; diskBytes: number } | undefined;
    if (!loaded) throw new Error(`${component} was not loaded by the pool`);
    loads.push({ component, seconds: loaded.seconds, poolBytes: loaded.bytes, diskBytes: loaded.diskBytes, rssDelta: process.memoryUsage().rss - before, cache: cacheUse(cacheBefore) });
    timeRuns(lease.session, into);
    leases.push(lease);
  }
  const rssAfterLoad = process.memoryUsage().rss;

  const pipeline = new StableDiffusionPipeline(pool);
  const params = { prompt: 'a lighthouse on a cliff at dusk', negativePrompt: 'blurry', steps: request.steps, guidanceScale: 7.5, scheduler: 'Euler', width: request.size, height: request.size, seeds: [1] };
  await pipeline.generate(model, params);
  if (folder.components.vaeEncoder) {
    // Strength 0 runs no denoising step: the VAE round trip alone.
    const data = new Float32Array(request.size * request.size * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i % 251) / 250;
    await pipeline.generate(model, { ...params, initImage: { width: request.size, height: request.size, data }, strength: 0 });
  }
  for (const lease of leases) lease.release();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  await pool.close();
  return {
    size: request.size,
    loads,
    unetRunsMs: timings.unet,
    textEncodeMs: timings.text,
    vaeDecodeMs: timings.decode,
    vaeEncodeMs: timings.encode,
    rssAfterLoad,
    peakRss,
  };
}

answerAsChild(run);
