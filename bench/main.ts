import path from 'node:path';
import { benchOptionsFrom } from './bench-options.js';
import { benchFarm } from './farm-bench.js';
import { benchFairness } from './fairness-bench.js';
import { printMachine } from './machine.js';
import { benchPipeline } from './pipeline-bench.js';
import { benchModel, parseModelBenchArgs } from './model/model-bench.js';
import { benchBatching } from './batching-bench.js';
import { benchControlNets } from './controlnet-bench.js';
import { benchUpscale } from './upscale-bench.js';

/** `npm run bench [phase] [--smoke]` (every benchmark in one run) or `npm run bench -- --model DIR`, printed as tables. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  printMachine();
  // `npm run bench -- --model DIR`: the real-size table of one export folder instead.
  const modelBench = parseModelBenchArgs(args);
  if (modelBench) return benchModel(modelBench);
  const only = args[0]?.startsWith('-') ? undefined : args[0];
  const options = benchOptionsFrom(args, process.env);
  if (!only || only === 'pipeline') await benchPipeline(path.resolve('.data', 'bench-models'), options);
  if (!only || only === 'pipeline' || only === 'controlnet') await benchControlNets(options.scale);
  if (!only || only === 'farm') await benchFarm(options);
  if (!only || only === 'fairness') await benchFairness(options);
  if (!only || only === 'batching') await benchBatching(path.resolve('.data', 'bench-models'), options);
  if (!only || only === 'upscale') await benchUpscale(options);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
