import type { TrainingParams } from './training-job.js';

/**
 * The learning rate of update number `step` (1-based), as diffusers' get_scheduler computes it for
 * kohya: linear warm-up over lrWarmupSteps, then constant, linear or cosine decay towards 0 at
 * maxTrainSteps.
 */
export function learningRateAt(params: Pick<TrainingParams, 'learningRate' | 'lrScheduler' | 'lrWarmupSteps' | 'maxTrainSteps'>, step: number): number {
  const index = step - 1;
  const warmup = params.lrWarmupSteps;
  if (index < warmup) return (params.learningRate * index) / warmup;
  if (params.lrScheduler === 'constant') return params.learningRate;
  const progress = (index - warmup) / Math.max(1, params.maxTrainSteps - warmup);
  if (params.lrScheduler === 'linear') return params.learningRate * Math.max(0, 1 - progress);
  return params.learningRate * 0.5 * (1 + Math.cos(Math.PI * progress));
}
