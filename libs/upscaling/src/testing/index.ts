export { writeUpscalerGraph, shuffleGain, BLUR_KERNEL, type UpscalerGraphOptions } from './upscaler-graphs.js';
export { benchmarkUpscale, type UpscaleBenchOptions, type UpscaleBenchResult } from './benchmark-upscale.js';
export { noiseImage } from './test-images.js';
