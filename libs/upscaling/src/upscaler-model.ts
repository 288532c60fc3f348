import { access } from 'node:fs/promises';
import { float32ToFloat16Bits } from '@atelier/onnx-graph';
import * as ort from 'onnxruntime-node';
import { UpscaleError } from './errors.js';
import { declaredFloatType, declaredShape, floatTensor, fromHalfInto, readFloat, type FloatType } from './float-tensors.js';

/** Input names the ESRGAN-family exports use (Real-ESRGAN `input`, chaiNNer `data`, Swin2SR `pixel_values`, `image`). */
export const UPSCALER_INPUT_NAMES = ['input', 'data', 'pixel_values', 'image'] as const;
/** Output names preferred over the first output (`output`; transformers' Swin2SR `reconstruction`). */
export const UPSCALER_OUTPUT_NAMES = ['output', 'reconstruction'] as const;

/** Side of the zero tile a dynamic-shape model is probed with to learn its scale. */
const PROBE_SIZE = 16;

export interface UpscalerModelOptions {
  /** Session options (execution providers); the worker passes its `sessionOptionsFor(...)`. */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** An opened ESRGAN-family upscaler: `[1,3,h,w]` RGB in [0,1] → `[1,3,s·h,s·w]`. */
export class UpscalerModel {
  private reusable: { width: number; height: number; fetches: Record<string, ort.Tensor>; values: Float32Array; half: Uint16Array | null } | null = null;
  private halfInput: Uint16Array | null = null;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputName: string,
    readonly outputName: string,
    readonly inputType: FloatType,
    /** Integer scale factor s, read from the declared shapes or a probe run. */
    readonly scale: number,
    /** A fixed input size the export declares (tiles are then exactly this size), else null. */
    readonly fixedSize: { readonly width: number; readonly height: number } | null,
  ) {}

  static async open(file: string, options: UpscalerModelOptions = {}): Promise<UpscalerModel> {
    await access(file).catch(() => {
      throw new UpscaleError('upscaler_model_missing', `no upscaler model at ${file}`);
    });
    const session = await ort.InferenceSession.create(file, options.sessionOptions ?? {}).catch((error: Error) => {
      throw new UpscaleError('upscaler_model_invalid', `${file} is not a loadable ONNX model (${error.message})`);
    });
    try {
      return await UpscalerModel.fromSession(session, file);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  private static async fromSession(session: ort.InferenceSession, file: string): Promise<UpscalerModel> {
    const inputName = UPSCALER_INPUT_NAMES.find((name) => session.inputNames.includes(name)) ?? session.inputNames[0];
    const outputName = UPSCALER_OUTPUT_NAMES.find((name) => session.outputNames.includes(name)) ?? session.outputNames[0];
    const inputType = declaredFloatType(session.inputMetadata, inputName);
    if (!inputType || session.inputNames.length !== 1) {
      throw new UpscaleError('upscaler_model_invalid', `${file}: expected one float32/float16 image input (${UPSCALER_INPUT_NAMES.join(', ')}), got ${session.inputNames.join(', ')}`);
    }
    const inputShape = declaredShape(session.inputMetadata, inputName);
    const fixedSize = staticSize(inputShape);
    const declaredScale = staticScale(inputShape, declaredShape(session.outputMetadata, outputName));
    const partial = new UpscalerModel(session, inputName, outputName, inputType, declaredScale ?? 1, fixedSize);
    if (declaredScale !== null) return partial;
    // Dynamic shapes: the scale is whatever a small zero tile comes back as.
    const probe = fixedSize ?? { width: PROBE_SIZE, height: PROBE_SIZE };
    const { width, height } = await partial.runRaw(new Float32Array(3 * probe.width * probe.height), probe.width, probe.height);
    const scale = width / probe.width;
    if (!Number.isInteger(scale) || scale < 1 || height !== scale * probe.height) {
      throw new UpscaleError('upscaler_model_invalid', `${file}: a ${probe.width}x${probe.height} input gave ${width}x${height}, not an integer scale`);
    }
    return new UpscalerModel(session, inputName, outputName, inputType, scale, fixedSize);
  }

  /**
   * Runs one NCHW tile; returns the NCHW float32 output (s·h × s·w). Tiles of one size reuse one
   * output buffer that ONNX Runtime writes into (no allocation per tile), so the result is only
   * valid until the next call.
   */
  async run(tile: Float32Array, width: number, height: number): Promise<Float32Array> {
    const reused = this.reusable;
    if (reused?.width === width && reused.height === height) {
      const input = this.inputTensor(tile, width, height);
      await this.session.run({ [this.inputName]: input }, reused.fetches).catch((error: Error) => {
        throw new UpscaleError('upscaler_model_invalid', `the upscaler failed on a ${width}x${height} tile (${error.message})`);
      });
      if (reused.half) fromHalfInto(reused.half, reused.values);
      return reused.values;
    }
    const output = await this.runRaw(tile, width, height);
    if (output.width !== width * this.scale || output.height !== height * this.scale) {
      throw new UpscaleError('upscaler_model_invalid', `a ${width}x${height} tile gave ${output.width}x${output.height}, expected x${this.scale}`);
    }
    // First tile of this size: keep a tensor of the output's type and shape for the next ones.
    const values = output.data.slice();
    const dims = [1, 3, output.height, output.width];
    const half = output.type === 'float16' ? new Uint16Array(values.length) : null;
    const fetched = half ? new ort.Tensor('float16', half, dims) : new ort.Tensor('float32', values, dims);
    this.reusable = { width, height, fetches: { [this.outputName]: fetched }, values, half };
    return values;
  }

  /** The tile as the input tensor, converting to half floats in a reused buffer for fp16 exports. */
  private inputTensor(tile: Float32Array, width: number, height: number): ort.Tensor {
    if (this.inputType === 'float32') return new ort.Tensor('float32', tile, [1, 3, height, width]);
    if (this.halfInput?.length !== tile.length) this.halfInput = new Uint16Array(tile.length);
    for (let i = 0; i < tile.length; i++) this.halfInput[i] = float32ToFloat16Bits(tile[i]);
    return new ort.Tensor('float16', this.halfInput, [1, 3, height, width]);
  }

  private async runRaw(tile: Float32Array, width: number, height: number): Promise<{ data: Float32Array; width: number; height: number; type: FloatType }> {
    const input = floatTensor(this.inputType, tile, [1, 3, height, width]);
    const outputs = await this.session.run({ [this.inputName]: input }).catch((error: Error) => {
      throw new UpscaleError('upscaler_model_invalid', `the upscaler failed on a ${width}x${height} tile (${error.message})`);
    });
    input.dispose();
    const value = outputs[this.outputName];
    try {
      const data = readFloat(value);
      const dims = value instanceof ort.Tensor ? value.dims : [];
      if (!data || dims.length !== 4 || dims[0] !== 1 || dims[1] !== 3) {
        throw new UpscaleError('upscaler_model_invalid', `output ${this.outputName} is not a float [1,3,H,W] tensor (dims ${dims.join('x')})`);
      }
      // CPU output data is a JS-owned array that outlives dispose(), so fp32 needs no copy.
      return { data, width: dims[3], height: dims[2], type: value instanceof ort.Tensor && value.type === 'float16' ? 'float16' : 'float32' };
    } finally {
      for (const other of Object.values(outputs)) other.dispose();
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function staticSize(shape: readonly (number | string)[]): { width: number; height: number } | null {
  const [, , height, width] = shape;
  return typeof height === 'number' && typeof width === 'number' && height > 0 && width > 0 ? { width, height } : null;
}

/** s when both input and output declare static spatial dims, in the same integer ratio. */
function staticScale(input: readonly (number | string)[], output: readonly (number | string)[]): number | null {
  const inSize = staticSize(input);
  const outSize = staticSize(output);
  if (!inSize || !outSize) return null;
  const scale = outSize.width / inSize.width;
  return Number.isInteger(scale) && scale >= 1 && outSize.height === scale * inSize.height ? scale : null;
}
