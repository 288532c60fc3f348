/**
 * The one interface every sampler implements. Mirrors diffusers' scheduler protocol so that a
 * pipeline written against it reproduces diffusers numerically:
 *
 *   const s = create(config, { steps, noise });
 *   let x = initialNoise * s.initNoiseSigma;            // or s.addNoise(...) for img2img
 *   for (let i = s.beginIndex; i < s.timesteps.length; i++) {
 *     const input = s.scaleModelInput(x, i);
 *     const output = unet(input, s.timesteps[i]);        // after classifier-free guidance
 *     x = s.step(output, i, x);
 *   }
 *
 * `timesteps` has one entry per model evaluation: second-order samplers (Heun, DPM2) and PNDM
 * repeat entries, exactly as diffusers' `scheduler.timesteps` does. Latents are plain
 * Float32Arrays (NCHW, contiguous); a scheduler never keeps references to arrays it was given
 * past the call unless it copied them.
 */
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';

/** scheduler_config.json after defaults are applied (diffusers field names, validated). */
export interface NoiseScheduleConfig {
  readonly num_train_timesteps: number;
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: BetaSchedule;
  readonly trained_betas: readonly number[] | null;
  readonly prediction_type: PredictionType;
  readonly timestep_spacing: TimestepSpacing;
  readonly steps_offset: number;
  readonly set_alpha_to_one: boolean;
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
  readonly rescale_betas_zero_snr: boolean;
  /** Scheduler-specific keys from the file (e.g. solver_order, use_karras_sigmas), untouched. */
  readonly extra: Readonly<Record<string, unknown>>;
  /**
   * Keys the source file actually set. diffusers' `from_config` gives every key the file left out
   * the *target* class's default (Euler defaults to linspace spacing, DDIM to leading), so a
   * scheduler re-defaults the fields not listed here. Absent: every field counts as set.
   */
  readonly explicitKeys?: readonly string[];
}

/** Source of Gaussian noise for ancestral / SDE samplers; seeded per image by the pipeline. */
export interface NoiseSource {
  /** `count` independent standard-normal samples. */
  randn(count: number): Float32Array;
}

export interface SchedulerOptions {
  readonly steps: number;
  readonly noise: NoiseSource;
  /** Karras sigma spacing where the sampler supports it (A1111 "... Karras" names). */
  readonly karras?: boolean;
}

export interface Scheduler {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  /** Samplers of higher order consume this many timesteps entries per "user" step (diffusers' `order`). */
  readonly order: number;
  /** First index the loop runs from; img2img moves it forward with `setBeginIndex`. */
  readonly beginIndex: number;
  setBeginIndex(index: number): void;
  scaleModelInput(sample: Float32Array, index: number): Float32Array;
  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array;
  /** Forward-diffuse clean latents to the noise level of `timesteps[index]` (img2img, inpaint blending). */
  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array;
}

export interface SchedulerDefinition {
  /** Canonical id used in the API, e.g. `dpmpp-2m`. */
  readonly id: string;
  /** Human label, e.g. `DPM++ 2M`. */
  readonly label: string;
  /** Whether the same inputs always give the same output (no noise injected per step). */
  readonly deterministic: boolean;
  create(config: NoiseScheduleConfig, options: SchedulerOptions): Scheduler;
}
