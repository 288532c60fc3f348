import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PreprocessError } from '../errors.js';
import type { PixelImage } from '../image/pixel-image.js';
import { fixedInputSize, floatOutput, openModelSession, pickOutput, runSingle, type ModelSession, type OpenSession } from '../onnx/model-session.js';
import { depthInput, type DepthFamily } from './depth-input.js';
import { normaliseDepth } from './depth-output.js';

/**
 * A depth model folder: `model.onnx` (input `pixel_values` or `image`, output `predicted_depth`
 * or `depth`, [1,H,W] or [1,1,H,W]) and optionally the Hugging Face `config.json`, whose
 * `model_type` says the family (`depth_anything`, or `dpt` for MiDaS); Depth Anything without one.
 */
export class DepthEstimator {
  private constructor(
    private readonly model: ModelSession,
    readonly family: DepthFamily,
  ) {}

  static async open(folder: string, field = 'models.depth', openSession?: OpenSession): Promise<DepthEstimator> {
    const model = await openModelSession(path.join(folder, 'model.onnx'), field, ['pixel_values', 'image'], openSession);
    return new DepthEstimator(model, await readFamily(folder, field));
  }

  /** An 8-bit depth map (near = bright for these inverse-depth models) at the image's size. */
  async estimate(image: PixelImage, field = 'models.depth'): Promise<PixelImage> {
    const input = depthInput(image, this.family, fixedInputSize(this.model));
    const outputs = await runSingle(this.model, input.data, [1, 3, input.height, input.width]);
    const { data, dims } = floatOutput(outputs, pickOutput(this.model, ['predicted_depth', 'depth']), field);
    const height = dims[dims.length - 2];
    const width = dims[dims.length - 1];
    if (dims.length < 2 || width * height !== data.length) throw new PreprocessError('invalid_preprocessor_model', field, `depth output has shape [${dims.join(', ')}]`);
    return normaliseDepth(data, width, height, image.width, image.height);
  }
}

async function readFamily(folder: string, field: string): Promise<DepthFamily> {
  const text = await readFile(path.join(folder, 'config.json'), 'utf8').catch(() => null);
  if (text === null) return 'depth-anything';
  let modelType: unknown;
  try {
    modelType = (JSON.parse(text) as { model_type?: unknown }).model_type;
  } catch {
    throw new PreprocessError('invalid_preprocessor_model', field, 'config.json is not JSON');
  }
  if (modelType === undefined || modelType === 'depth_anything') return 'depth-anything';
  if (modelType === 'dpt' || modelType === 'midas') return 'midas';
  throw new PreprocessError('invalid_preprocessor_model', field, `config.json model_type ${String(modelType)} is not depth_anything, dpt or midas`);
}
