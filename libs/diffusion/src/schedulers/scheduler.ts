/**
 * The one interface every sampler implements. Mirrors diffusers' scheduler protocol so that a
 * pipeline written against it reproduces diffusers numerically:
 *
 *   const s = create(config, { steps, noise });
 *   let x = initialNoise * s.initNoiseSigma;            // or s.addNoise(...) for img2img
 *   for (let i = s.beginIndex; i < s.timesteps.length; i++) {
 *     s.scaleModelInputInto(x, i, input);                // preallocated UNet input
 *     const output = unet(input, s.timesteps[i]);        // after classifier-free guidance
 *     s.stepInto(output, i, x, x);                       // in place
 *   }
 *
 * `timesteps` has one entry per model evaluation: second-order samplers (Heun, DPM2) and PNDM
 * repeat entries, exactly as diffusers' `scheduler.timesteps` does. Latents are plain
 * Float32Arrays (NCHW, contiguous); a scheduler never keeps references to arrays it was given
 * past the call unless it copied them.
 *
 * The `…Into` methods are the per-step path: they write into a caller-provided `out` and keep
 * their working state in buffers allocated once per run, so a run allocates the same whatever its
 * step count. `step`, `scaleModelInput` and `addNoise` are the same computations into a new array
 * (bit-identical), for set-up code and tests.
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
  /** Fills out[start, end) with the next samples of the stream: the values `randn(end − start)` would return. */
  randnInto(out: Float32Array, start?: number, end?: number): void;
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
  /** The UNet input for `sample` into `out`; `out` may be `sample`. */
  scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void;
  /** The next sample into `out`; `out` may be `sample` (in place) but not `modelOutput`. */
  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void;
  /** `addNoise` into `out`; `out` may be `original` or `noise`. */
  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void;
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
