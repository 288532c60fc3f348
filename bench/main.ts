import path from 'node:path';
import { benchFarm } from './farm-bench.js';
import { benchFairness } from './fairness-bench.js';
import { benchPipeline } from './pipeline-bench.js';
import { benchModel, parseModelBenchArgs } from './model/model-bench.js';

/** `npm run bench`: every benchmark in one run, printed as tables. */
async function main(): Promise<void> {
  // `npm run bench -- --model DIR`: the real-size table of one export folder instead.
  const modelBench = parseModelBenchArgs(process.argv.slice(2));
  if (modelBench) return benchModel(modelBench);
  const only = process.argv[2];
  if (!only || only === 'pipeline') await benchPipeline(path.resolve('.data', 'bench-models'));
  if (!only || only === 'farm') await benchFarm();
  if (!only || only === 'fairness') await benchFairness();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
