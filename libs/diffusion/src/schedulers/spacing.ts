/**
 * Which training timesteps an N-step run visits. diffusers has three spacing rules (Lin et al.
 * 2023, table 2) and two families apply them differently; both are reproduced exactly here
 * because the UNet is conditioned on these numbers.
 */
import type { TimestepSpacing } from './scheduler.js';
import { SchedulerConfigError } from './errors.js';
import { arange, linspace, roundHalfEven } from './numpy-compat.js';

export interface SpacingRequest {
  readonly spacing: TimestepSpacing;
  readonly trainTimesteps: number;
  readonly steps: number;
  readonly stepsOffset: number;
}

export function assertStepCount(steps: number, trainTimesteps: number): void {
  if (!Number.isInteger(steps) || steps < 1) throw new SchedulerConfigError(`steps must be a positive integer, got ${steps}`);
  if (steps > trainTimesteps) {
    throw new SchedulerConfigError(`steps (${steps}) cannot exceed num_train_timesteps (${trainTimesteps})`);
  }
}

function reversed(values: Float64Array): Float64Array {
  return values.slice().reverse();
}

/**
 * DDIM / DDPM / PNDM rule, integer timesteps in descending order:
 * leading `k·(N div n) + offset`, trailing `round(N − k·N/n) − 1`, linspace `round(k·(N−1)/(n−1))`.
 */
export function discreteTimesteps(request: SpacingRequest): Float64Array {
  const { spacing, trainTimesteps: n, steps, stepsOffset } = request;
  assertStepCount(steps, n);
  switch (spacing) {
    case 'linspace':
      return reversed(linspace(0, n - 1, steps).map(roundHalfEven));
    case 'leading': {
      const ratio = Math.floor(n / steps);
      return Float64Array.from({ length: steps }, (_, k) => (steps - 1 - k) * ratio + stepsOffset);
    }
    case 'trailing':
      return arange(n, 0, -n / steps).map((t) => roundHalfEven(t) - 1);
  }
}

/**
 * Euler / Heun / LMS / KDPM2 rule: as above, but linspace keeps fractional float32 timesteps
 * and the σ schedule is interpolated at them.
 */
export function sigmaFamilyTimesteps(request: SpacingRequest): Float64Array {
  const { spacing, trainTimesteps: n, steps } = request;
  assertStepCount(steps, n);
  if (spacing === 'linspace') return reversed(linspace(0, n - 1, steps).map(Math.fround));
  return discreteTimesteps(request);
}

/**
 * DPM-Solver / UniPC / DEIS rule: spacing computed for n+1 points and the final (t=0) one
 * dropped, so leading uses `N div (n+1)`. `lastTimestep` is N unless λ-clipping shortens it.
 */
export function multistepTimesteps(request: SpacingRequest, lastTimestep: number = request.trainTimesteps): Float64Array {
  const { spacing, trainTimesteps: n, steps, stepsOffset } = request;
  assertStepCount(steps, n);
  switch (spacing) {
    case 'linspace':
      return reversed(linspace(0, lastTimestep - 1, steps + 1).map(roundHalfEven)).subarray(0, steps).slice();
    case 'leading': {
      const ratio = Math.floor(lastTimestep / (steps + 1));
      return Float64Array.from({ length: steps }, (_, k) => (steps - k) * ratio + stepsOffset);
    }
    case 'trailing':
      return arange(lastTimestep, 0, -n / steps).map((t) => roundHalfEven(t) - 1);
  }
}
