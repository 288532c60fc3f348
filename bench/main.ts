import path from 'node:path';
import { benchFarm } from './farm-bench.js';
import { benchFairness } from './fairness-bench.js';
import { benchPipeline } from './pipeline-bench.js';
import { benchBatching } from './batching-bench.js';

/** `npm run bench`: every benchmark in one run, printed as tables. */
async function main(): Promise<void> {
  const only = process.argv[2];
  if (!only || only === 'pipeline') await benchPipeline(path.resolve('.data', 'bench-models'));
  if (!only || only === 'farm') await benchFarm();
  if (!only || only === 'fairness') await benchFairness();
  if (!only || only === 'batching') await benchBatching(path.resolve('.data', 'bench-models'), { scale: process.argv.includes('--smoke') ? 'smoke' : 'full' });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
