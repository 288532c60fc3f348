import * as ort from 'onnxruntime-node';
import type { ConditioningSource, DenoisingStep } from '../pipeline/conditioning/conditioning-source.js';
import type { UnetConditioning } from '../pipeline/conditioning/types.js';
import { inputMetadata } from '../pipeline/tensors.js';
import { ControlNetError } from './errors.js';
import type { ResidualLink } from './residual-map.js';

/** One ControlNet of a request, with its session and prepared control tensor. */
export interface ControlNetUnit {
  readonly session: ort.InferenceSession;
  /** Latent divisor per residual (in `links` order), when the net's config tells; see `zeroResiduals`. */
  readonly residualStrides: readonly number[] | undefined;
  readonly links: readonly ResidualLink[];
  /** The control map as the net gets it: NCHW in [0, 1], one row per ControlNet batch row. */
  readonly image: Float32Array;
  readonly imageDims: readonly number[];
  readonly scale: number;
  readonly start: number;
  readonly end: number;
  readonly field: string;
}

export interface ControlNetSourceOptions {
  /** diffusers' guess mode: the nets see only the conditional half, residuals ramp 0.1 → 1. */
  readonly guessMode: boolean;
  readonly useGuidance: boolean;
}

/** Feeds of one unit, built on its first step over buffers that live as long as the loop. */
interface UnitState {
  readonly feeds: Record<string, ort.Tensor>;
  readonly timestep: Float32Array | Float64Array | BigInt64Array;
  readonly scaleValue: Float32Array | Float64Array | undefined;
  /** The net's outputs after its first run, reused as preallocated fetches. */
  outputs?: Record<string, ort.Tensor>;
}

type ScalarType = 'float32' | 'float64' | 'int64';

function scalar(type: ScalarType, rank: number): { data: Float32Array | Float64Array | BigInt64Array; tensor: ort.Tensor } {
  const dims = rank === 0 ? [] : [1];
  if (type === 'int64') {
    const data = new BigInt64Array(1);
    return { data, tensor: new ort.Tensor('int64', data, dims) };
  }
  const data = type === 'float64' ? new Float64Array(1) : new Float32Array(1);
  return { data, tensor: new ort.Tensor(type, data, dims) };
}

function scalarType(session: ort.InferenceSession, name: string): ScalarType {
  const type = inputMetadata(session, name)?.type;
  if (type === 'float64' || type === 'int64') return type;
  return 'float32';
}

/** The conditional half of a guidance-doubled tensor (rows batch..2·batch), copied once per generation. */
function conditionalHalf(tensor: ort.Tensor): ort.Tensor {
  const rows = tensor.dims[0];
  const data = tensor.data as Float32Array;
  const half = data.length / 2;
  return new ort.Tensor(tensor.type, data.slice(half), [rows / 2, ...tensor.dims.slice(1)]);
}

/**
 * ControlNet (one or several: Multi-ControlNet) as a conditioning source, as diffusers'
 * StableDiffusionControlNetPipeline runs it: every step inside a net's guidance window, the net
 * sees the UNet's own sample, timestep and text conditioning plus its control map, and its
 * residuals (times its conditioning scale) are summed into the UNet's residual inputs.
 *
 * Residuals stay ONNX Runtime tensors: a net writes into the same output tensors every step,
 * and with one active net outside guess mode those very tensors go to the UNet. Several nets
 * (or guess mode, which leaves the unconditional half at zero) sum into one accumulator
 * allocated once. Outside every window the UNet gets zero residuals, allocated once, and no net
 * runs (diffusers runs it at scale 0, which yields the same zeros).
 */
export class ControlNetSource implements ConditioningSource {
  private readonly states = new Map<ControlNetUnit, UnitState>();
  private accumulator: Record<string, ort.Tensor> | undefined;
  private zeros: Record<string, ort.Tensor> | undefined;
  private netConditioning: { base: UnetConditioning; tensors: Record<string, ort.Tensor> } | undefined;
  runMs = 0;
  /** Net evaluations so far (what the guidance windows saved shows here). */
  runs = 0;

  constructor(
    private readonly units: readonly ControlNetUnit[],
    private readonly options: ControlNetSourceOptions,
  ) {}

  /** diffusers' controlnet_keep: 0 when i/len < start or (i+1)/len > end. */
  static inWindow(unit: Pick<ControlNetUnit, 'start' | 'end'>, index: number, total: number): boolean {
    return !(index / total < unit.start || (index + 1) / total > unit.end);
  }

  async stepInputs(step: DenoisingStep, conditioning: UnetConditioning): Promise<Readonly<Record<string, ort.Tensor>>> {
    const active = this.units.filter((unit) => unit.scale !== 0 && ControlNetSource.inWindow(unit, step.index, step.total));
    if (active.length === 0) return this.zeroResiduals(step, conditioning);
    const guess = this.options.guessMode && this.options.useGuidance;
    if (active.length === 1 && !guess) {
      const [unit] = active;
      const outputs = await this.run(unit, step, conditioning);
      const fed: Record<string, ort.Tensor> = {};
      for (const link of unit.links) {
        const tensor = outputs[link.output];
        // Exports without a conditioning_scale input leave the scaling to us: in place, no copy.
        if (!this.states.get(unit)?.scaleValue && unit.scale !== 1) scaleInPlace(tensor, unit.scale, unit.field);
        fed[link.input] = tensor;
      }
      return fed;
    }
    let first = true;
    for (const unit of active) {
      const outputs = await this.run(unit, step, conditioning);
      const accumulator = this.ensureAccumulator(unit, outputs, step.latentDims[0]);
      const hasScaleInput = this.states.get(unit)?.scaleValue !== undefined;
      for (const link of unit.links) {
        const factor = (hasScaleInput ? 1 : unit.scale) * (guess ? link.guessFactor : 1);
        accumulate(accumulator[link.input], outputs[link.output], Math.fround(factor), first, guess, unit.field);
      }
      first = false;
    }
    return this.accumulator as Record<string, ort.Tensor>;
  }

  private state(unit: ControlNetUnit, step: DenoisingStep, conditioning: UnetConditioning): UnitState {
    const existing = this.states.get(unit);
    if (existing) return existing;
    const guess = this.options.guessMode && this.options.useGuidance;
    const session = unit.session;
    for (const name of ['sample', 'controlnet_cond']) {
      const type = inputMetadata(session, name)?.type;
      if (type && type !== 'float32') throw new ControlNetError('controlnet_unsupported', unit.field, `${name} is ${type}; only float32 ControlNet exports are supported`);
    }
    const text = this.textFor(conditioning, guess);
    const timestep = scalar(scalarType(session, 'timestep'), inputMetadata(session, 'timestep')?.shape.length ?? 1);
    const feeds: Record<string, ort.Tensor> = {
      sample: guess ? new ort.Tensor('float32', step.scaled, [step.latentDims[0] / 2, ...step.latentDims.slice(1)]) : new ort.Tensor('float32', step.latentInput, step.latentDims),
      timestep: timestep.tensor,
      controlnet_cond: new ort.Tensor('float32', unit.image, unit.imageDims),
    };
    for (const name of session.inputNames) {
      if (name in feeds || name === 'conditioning_scale') continue;
      const tensor = text[name];
      if (!tensor) throw new ControlNetError('controlnet_model_invalid', unit.field, `the ControlNet wants an input "${name}" that this pipeline does not have`);
      feeds[name] = tensor;
    }
    let scaleValue: Float32Array | Float64Array | undefined;
    if (session.inputNames.includes('conditioning_scale')) {
      // OnnxStack-era exports declare double; read the type rather than assume it.
      const type = scalarType(session, 'conditioning_scale');
      const made = scalar(type === 'int64' ? 'float32' : type, inputMetadata(session, 'conditioning_scale')?.shape.length ?? 1);
      scaleValue = made.data as Float32Array | Float64Array;
      feeds.conditioning_scale = made.tensor;
    }
    const state: UnitState = { feeds, timestep: timestep.data, scaleValue };
    this.states.set(unit, state);
    return state;
  }

  /** The text inputs the nets share: the UNet's own, or their conditional half in guess mode. */
  private textFor(conditioning: UnetConditioning, guess: boolean): Record<string, ort.Tensor> {
    if (this.netConditioning?.base === conditioning) return this.netConditioning.tensors;
    const all: Record<string, ort.Tensor> = { encoder_hidden_states: conditioning.encoderHiddenStates, ...conditioning.extra };
    const tensors = guess ? Object.fromEntries(Object.entries(all).map(([name, tensor]) => [name, conditionalHalf(tensor)])) : all;
    this.netConditioning = { base: conditioning, tensors };
    return tensors;
  }

  private async run(unit: ControlNetUnit, step: DenoisingStep, conditioning: UnetConditioning): Promise<Record<string, ort.Tensor>> {
    const state = this.state(unit, step, conditioning);
    if (state.timestep instanceof BigInt64Array) state.timestep[0] = BigInt(Math.round(step.timestep));
    else state.timestep[0] = step.timestep;
    if (state.scaleValue) state.scaleValue[0] = unit.scale;
    const start = performance.now();
    if (state.outputs) {
      await unit.session.run(state.feeds, state.outputs);
    } else {
      // First run: ONNX Runtime allocates; those tensors are the fetches of every later run.
      state.outputs = (await unit.session.run(state.feeds)) as Record<string, ort.Tensor>;
    }
    this.runMs += performance.now() - start;
    this.runs++;
    return state.outputs;
  }

  private ensureAccumulator(unit: ControlNetUnit, outputs: Record<string, ort.Tensor>, unetRows: number): Record<string, ort.Tensor> {
    if (!this.accumulator) this.accumulator = residualBuffers(unit, outputs, unetRows);
    return this.accumulator;
  }

  /**
   * Zero residuals for steps outside every window, allocated once. Their shapes follow from the
   * latent size and the net's config (channels from its output metadata); a net whose files do
   * not say runs once to show them (diffusers runs every net on every step, at scale 0 here).
   */
  private async zeroResiduals(step: DenoisingStep, conditioning: UnetConditioning): Promise<Readonly<Record<string, ort.Tensor>>> {
    if (this.zeros) return this.zeros;
    const [unit] = this.units;
    const known = this.states.get(unit)?.outputs;
    const dims = known ? undefined : residualDimsFromConfig(unit, step.latentDims);
    if (dims) {
      this.zeros = Object.fromEntries(unit.links.map((link, index) => [link.input, new ort.Tensor('float32', new Float32Array(dims[index].reduce((a, b) => a * b, 1)), dims[index])]));
      return this.zeros;
    }
    const outputs = known ?? (await this.run(unit, step, conditioning));
    this.zeros = residualBuffers(unit, outputs, step.latentDims[0]);
    return this.zeros;
  }
}

/** Residual shapes for a UNet batch of `latentDims`, or undefined when the config or metadata leave one open. */
function residualDimsFromConfig(unit: ControlNetUnit, latentDims: readonly number[]): number[][] | undefined {
  const strides = unit.residualStrides;
  if (!strides || strides.length !== unit.links.length) return undefined;
  const [rows, , height, width] = latentDims;
  const dims: number[][] = [];
  let down = 0;
  for (const link of unit.links) {
    const stride = link.input.startsWith('mid_') ? strides[strides.length - 1] : strides[down++];
    const meta = unit.session.outputMetadata.find((entry) => entry.name === link.output);
    const channels = meta && meta.isTensor ? meta.shape[1] : undefined;
    if (typeof channels !== 'number') return undefined;
    // A stride-2 convolution with padding 1 halves a side rounding up.
    const side = (size: number): number => {
      let value = size;
      for (let left = stride; left > 1; left /= 2) value = Math.ceil(value / 2);
      return value;
    };
    dims.push([rows, channels, side(height), side(width)]);
  }
  return dims;
}

/** Zeroed float32 tensors shaped like the net's outputs, with the UNet's batch, keyed by UNet input. */
function residualBuffers(unit: ControlNetUnit, outputs: Record<string, ort.Tensor>, unetRows: number): Record<string, ort.Tensor> {
  return Object.fromEntries(
    unit.links.map((link) => {
      const dims = [unetRows, ...outputs[link.output].dims.slice(1)];
      const size = dims.reduce((product, value) => product * value, 1);
      return [link.input, new ort.Tensor('float32', new Float32Array(size), dims)];
    }),
  );
}

function float32Data(tensor: ort.Tensor, field: string): Float32Array {
  if (tensor.type !== 'float32') throw new ControlNetError('controlnet_unsupported', field, `residuals of type ${tensor.type} cannot be scaled or summed; export the ControlNet in float32`);
  return tensor.data as Float32Array;
}

function scaleInPlace(tensor: ort.Tensor, factor: number, field: string): void {
  const data = float32Data(tensor, field);
  const f = Math.fround(factor);
  for (let i = 0; i < data.length; i++) data[i] *= f;
}

/**
 * target (UNet rows) ← or += source × factor. In guess mode the source covers only the
 * conditional half; the unconditional half stays zero, as diffusers' concat([zeros, residual]).
 */
function accumulate(target: ort.Tensor, source: ort.Tensor, factor: number, first: boolean, guess: boolean, field: string): void {
  const out = float32Data(target, field);
  const values = float32Data(source, field);
  const offset = guess ? out.length - values.length : 0;
  if (offset + values.length !== out.length) throw new ControlNetError('controlnet_residual_mismatch', field, `residual of ${source.dims.join('×')} does not fit ${target.dims.join('×')}`);
  if (first) for (let i = 0; i < values.length; i++) out[offset + i] = values[i] * factor;
  else for (let i = 0; i < values.length; i++) out[offset + i] += values[i] * factor;
}
