import * as ort from 'onnxruntime-node';
import type { UnetConditioning } from './conditioning/types.js';
import { floatInput, inputMetadata, readFloat32 } from './tensors.js';


/**
 * Feeds one UNet export the way its metadata asks: timestep as a float or int64 scalar or a
 * [batch] vector, fp16 or fp32 sample. Everything that does not change per step is prepared once.
 */
export class UnetRunner {
  private readonly timestepType: string;
  private readonly timestepIsVector: boolean;
  private readonly outputName: string;

  constructor(readonly session: ort.InferenceSession) {
    const timestep = inputMetadata(session, 'timestep');
    this.timestepType = timestep?.type ?? 'float32';
    this.timestepIsVector = (timestep?.shape.length ?? 0) > 0;
    this.outputName = session.outputNames.includes('out_sample') ? 'out_sample' : session.outputNames[0];
  }

  get inChannels(): number {
    const shape = inputMetadata(this.session, 'sample')?.shape;
    return typeof shape?.[1] === 'number' ? shape[1] : 4;
  }

  private timestepTensor(timestep: number, batch: number): ort.Tensor {
    const dims = this.timestepIsVector ? [batch] : [];
    const count = this.timestepIsVector ? batch : 1;
    if (this.timestepType === 'int64') return new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.round(timestep))), dims);
    if (this.timestepType === 'int32') return new ort.Tensor('int32', new Int32Array(count).fill(Math.round(timestep)), dims);
    return floatInput(this.session, 'timestep', new Float32Array(count).fill(timestep), dims);
  }

  /** One UNet evaluation; returns the prediction as float32 (owned by the caller). */
  async predict(sample: Float32Array, dims: readonly number[], timestep: number, conditioning: UnetConditioning): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = {
      sample: floatInput(this.session, 'sample', sample, dims),
      timestep: this.timestepTensor(timestep, dims[0]),
      encoder_hidden_states: conditioning.encoderHiddenStates,
      ...conditioning.extra,
    };
    const outputs = await this.session.run(feeds, [this.outputName]);
    const tensor = outputs[this.outputName];
    const prediction = readFloat32(tensor);
    tensor.dispose();
    return prediction;
  }
}
