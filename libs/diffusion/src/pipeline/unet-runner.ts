import * as ort from 'onnxruntime-node';
import type { UnetConditioning } from './conditioning/types.js';
import { floatInput, fromFloat16BitsInto, inputMetadata, readFloat32, toFloat16BitsInto } from './tensors.js';

/**
 * The feeds and fetches of one (sample buffer, shape, conditioning): ONNX Runtime tensors over
 * buffers that live as long as the loop, so a step only rewrites their contents.
 */
interface Binding {
  readonly sample: Float32Array;
  readonly dims: readonly number[];
  readonly conditioning: UnetConditioning;
  readonly feeds: Record<string, ort.Tensor>;
  /** fp16 exports: the half-precision copy of `sample` that the sample tensor wraps. */
  readonly sampleHalf: Uint16Array | undefined;
  readonly timestep: Float32Array | Int32Array | BigInt64Array;
  /** Preallocated output, known after the first run (its shape and dtype come from the export). */
  output?: { readonly fetches: Record<string, ort.Tensor>; readonly data: Float32Array | Uint16Array; readonly prediction: Float32Array };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/**
 * Feeds one UNet export the way its metadata asks: timestep as a float or int64 scalar or a
 * [batch] vector, fp16 or fp32 sample. Everything that does not change per step is prepared once:
 * input tensors wrap the caller's sample buffer (or an fp16 copy of it), the output is written
 * into a preallocated tensor, so a step allocates no latent-sized arrays.
 */
export class UnetRunner {
  private readonly timestepType: string;
  private readonly timestepIsVector: boolean;
  private readonly outputName: string;
  private readonly sampleIsHalf: boolean;
  private binding: Binding | undefined;
  /** Milliseconds spent inside `session.run`, summed over every `predict`. */
  runMs = 0;

  constructor(readonly session: ort.InferenceSession) {
    const timestep = inputMetadata(session, 'timestep');
    this.timestepType = timestep?.type ?? 'float32';
    this.timestepIsVector = (timestep?.shape.length ?? 0) > 0;
    this.outputName = session.outputNames.includes('out_sample') ? 'out_sample' : session.outputNames[0];
    this.sampleIsHalf = inputMetadata(session, 'sample')?.type === 'float16';
  }

  get inChannels(): number {
    const shape = inputMetadata(this.session, 'sample')?.shape;
    return typeof shape?.[1] === 'number' ? shape[1] : 4;
  }

  private bind(sample: Float32Array, dims: readonly number[], conditioning: UnetConditioning): Binding {
    const current = this.binding;
    if (current && current.sample === sample && current.conditioning === conditioning && sameDims(current.dims, dims)) return current;
    const batch = dims[0];
    const timestepDims = this.timestepIsVector ? [batch] : [];
    const count = this.timestepIsVector ? batch : 1;
    let timestep: Float32Array | Int32Array | BigInt64Array;
    let timestepTensor: ort.Tensor;
    if (this.timestepType === 'int64') {
      timestep = new BigInt64Array(count);
      timestepTensor = new ort.Tensor('int64', timestep, timestepDims);
    } else if (this.timestepType === 'int32') {
      timestep = new Int32Array(count);
      timestepTensor = new ort.Tensor('int32', timestep, timestepDims);
    } else {
      timestep = new Float32Array(count);
      // fp16 timesteps are converted on every call (one value), fp32 ones wrap the buffer.
      timestepTensor = floatInput(this.session, 'timestep', timestep, timestepDims);
    }
    const sampleHalf = this.sampleIsHalf ? new Uint16Array(sample.length) : undefined;
    const sampleTensor = sampleHalf ? new ort.Tensor('float16', sampleHalf, dims) : new ort.Tensor('float32', sample, dims);
    const feeds: Record<string, ort.Tensor> = {
      sample: sampleTensor,
      timestep: timestepTensor,
      encoder_hidden_states: conditioning.encoderHiddenStates,
      ...conditioning.extra,
    };
    this.binding = { sample, dims: [...dims], conditioning, feeds, sampleHalf, timestep };
    return this.binding;
  }

  /**
   * One UNet evaluation; `stepInputs` are this step's extra inputs from conditioning sources. The prediction is float32 in a buffer owned by the runner, overwritten
   * by the next call; the caller reads it before predicting again.
   */
  async predict(
    sample: Float32Array,
    dims: readonly number[],
    timestep: number,
    conditioning: UnetConditioning,
    stepInputs?: Readonly<Record<string, ort.Tensor>>,
  ): Promise<Float32Array> {
    const binding = this.bind(sample, dims, conditioning);
    // Per-step inputs (ControlNet residuals) are fed as the tensors they are.
    if (stepInputs) for (const name in stepInputs) binding.feeds[name] = stepInputs[name];
    if (binding.sampleHalf) toFloat16BitsInto(sample, binding.sampleHalf);
    if (binding.timestep instanceof BigInt64Array) binding.timestep.fill(BigInt(Math.round(timestep)));
    else if (binding.timestep instanceof Int32Array) binding.timestep.fill(Math.round(timestep));
    else {
      binding.timestep.fill(timestep);
      if (inputMetadata(this.session, 'timestep')?.type === 'float16') {
        binding.feeds.timestep = floatInput(this.session, 'timestep', binding.timestep, binding.feeds.timestep.dims);
      }
    }
    const output = binding.output;
    if (output) {
      const start = performance.now();
      await this.session.run(binding.feeds, output.fetches);
      this.runMs += performance.now() - start;
      if (output.data !== output.prediction) fromFloat16BitsInto(output.data as Uint16Array, output.prediction);
      return output.prediction;
    }
    // First call: let ONNX Runtime allocate, then keep a tensor of the same type and shape for the rest.
    const start = performance.now();
    const outputs = await this.session.run(binding.feeds, [this.outputName]);
    this.runMs += performance.now() - start;
    const tensor = outputs[this.outputName];
    const prediction = readFloat32(tensor).slice();
    const data = tensor.type === 'float16' ? new Uint16Array(tensor.size) : prediction;
    const fetched = tensor.type === 'float16' ? new ort.Tensor('float16', data as Uint16Array, tensor.dims) : new ort.Tensor('float32', prediction, tensor.dims);
    tensor.dispose();
    binding.output = { fetches: { [this.outputName]: fetched }, data, prediction };
    return prediction;
  }
}
