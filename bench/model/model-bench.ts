import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeExecutionDevices, isExecutionDevice } from '@atelier/contracts';
import { LoadedModel, readModelFolder, type ExecutionProviderName } from '@atelier/diffusion';
import { printTable } from '../table.js';
import { studySessionOptions } from './load-study.js';
import type { ModelRunRequest, ModelRunResult } from './model-run.js';

export interface ModelBenchOptions {
  readonly dir: string;
  /** Image sizes (square); default 512, plus 1024 for SDXL. */
  readonly sizes?: readonly number[];
  readonly steps: number;
  readonly provider: ExecutionProviderName;
  /** ONNX Runtime optimized-model cache directory (the worker keeps one); undefined: off. */
  readonly optimizedModelDir?: string;
  /** Also compare ONNX Runtime session options on the UNet, one fresh process each. */
  readonly loadStudy: boolean;
}

export class ModelBenchUsageError extends Error {
  readonly code = 'bench_usage';
}

const USAGE = 'usage: npm run bench -- --model DIR [--size 512[,1024]] [--steps 3] [--provider cpu] [--optimized-cache DIR|off] [--load-study]';

/** `--model DIR` and its companions, or undefined when the run is not a model bench. */
export function parseModelBenchArgs(argv: readonly string[]): ModelBenchOptions | undefined {
  const at = argv.indexOf('--model');
  if (at < 0) return undefined;
  const value = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    if (index < 0) return undefined;
    const next = argv[index + 1];
    if (next === undefined || next.startsWith('--')) throw new ModelBenchUsageError(`${flag} needs a value. ${USAGE}`);
    return next;
  };
  const dir = value('--model') as string;
  const sizes = value('--size')?.split(',').map(Number);
  if (sizes?.some((size) => !Number.isInteger(size) || size <= 0 || size % 64 !== 0)) throw new ModelBenchUsageError(`--size takes multiples of 64. ${USAGE}`);
  const steps = Number(value('--steps') ?? 3);
  if (!Number.isInteger(steps) || steps < 2) throw new ModelBenchUsageError(`--steps must be at least 2 (a first and a warm step). ${USAGE}`);
  const provider = value('--provider') ?? 'cpu';
  if (!isExecutionDevice(provider)) throw new ModelBenchUsageError(`unknown --provider ${provider} (${describeExecutionDevices()}). ${USAGE}`);
  // The worker keeps ONNX Runtime's optimized copies; so does the bench unless told otherwise.
  const cache = value('--optimized-cache') ?? path.resolve('.data', 'ort-optimized');
  return { dir: path.resolve(dir), sizes, steps, provider, optimizedModelDir: cache === 'off' ? undefined : path.resolve(cache), loadStudy: argv.includes('--load-study') };
}

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'model-run.js');
const GB = 1024 ** 3;
const s = (ms: number | undefined): string => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
const gb = (bytes: number): string => (bytes / GB).toFixed(2);
const mean = (values: readonly number[]): number | undefined => (values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length);

function runSize(request: ModelRunRequest): Promise<ModelRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ModelRunResult) : reject(new Error(`model run at ${request.size} exited with ${code}`))));
  });
}

/** `npm run bench -- --model DIR`: load, step and VAE times and peak memory of a real export. */
export async function benchModel(options: ModelBenchOptions): Promise<void> {
  const model = await LoadedModel.open(await readModelFolder(options.dir));
  const sizes = options.sizes ?? (model.family.startsWith('sdxl') ? [512, 1024] : [512]);
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${gb(totalmem())} GB RAM, provider ${options.provider}`;
  const results: ModelRunResult[] = [];
  for (const size of sizes) results.push(await runSize({ dir: options.dir, size, steps: options.steps, provider: options.provider, optimizedModelDir: options.optimizedModelDir }));

  printTable(
    `Session load, ${path.basename(options.dir)} (${model.family}), fresh process per size; ${machine}`,
    ['size', 'component', 'on disk GB', 'pool counts GB', 'RSS delta GB', 'optimized cache', 'load s'],
    results.flatMap((result) => result.loads.map((load) => [`${result.size}²`, load.component, gb(load.diskBytes), gb(load.poolBytes), gb(load.rssDelta), load.cache, load.seconds.toFixed(2)])),
  );
  printTable(
    `Generation, ${path.basename(options.dir)}: batch 1 with guidance (UNet batch 2), Euler, ${options.steps} steps; ${machine}`,
    ['size', 'text encode s', 'UNet first step s', 'UNet warm step s', 'VAE encode s', 'VAE decode s', 'RSS after load GB', 'peak RSS GB'],
    results.map((result) => [
      `${result.size}×${result.size}`,
      s(result.textEncodeMs[0]),
      s(result.unetRunsMs[0]),
      s(mean(result.unetRunsMs.slice(1))),
      s(result.vaeEncodeMs[0]),
      s(result.vaeDecodeMs[0]),
      gb(result.rssAfterLoad),
      gb(result.peakRss),
    ]),
  );
  if (options.loadStudy) {
    const size = sizes[0];
    const latent = size / model.folder.vaeScaleFactor;
    await studySessionOptions(model.folder.components.unet, path.resolve('.data', 'ort-optimized-study'), { batch: 2, latentHeight: latent, latentWidth: latent, vaeScale: model.folder.vaeScaleFactor }, 2);
  }
}
