/**
 * How big a bench run is. `full` measures (`npm run bench`); `smoke` runs every phase with a few
 * requests and steps so a test can check each phase still completes and prints its table.
 */
export type BenchScale = 'full' | 'smoke';

export interface BenchOptions {
  readonly scale: BenchScale;
}

/** `BENCH_SCALE=smoke` (or `--smoke`) shrinks every phase; the default measures. */
export function benchOptionsFrom(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const scale = argv.includes('--smoke') || env.BENCH_SCALE === 'smoke' ? 'smoke' : 'full';
  return { scale };
}

/** Picks the full-size or the smoke-size figure for a phase parameter. */
export function sized<T>(options: BenchOptions, full: T, smoke: T): T {
  return options.scale === 'smoke' ? smoke : full;
}
