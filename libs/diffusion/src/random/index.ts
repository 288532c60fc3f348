export { createNoise, randomSeed } from './noise.js';
export { Mt19937 } from './mt19937.js';
export { PrefetchedNoise, NoisePrefetchError, type PrefetchStats } from './prefetched-noise.js';
export { setNoiseThreadEnabled, stopNoiseThread } from './noise-thread.js';
