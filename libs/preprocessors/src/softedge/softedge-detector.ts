import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PreprocessError } from '../errors.js';
import type { PixelImage } from '../image/pixel-image.js';
import { floatOutput, openModelSession, runSingle, type ModelSession, type OpenSession } from '../onnx/model-session.js';
import { fuseHedSides, pidinetMap } from './edge-maps.js';

export type SoftedgeFamily = 'hed' | 'pidinet';

export interface SoftedgeOptions {
  /** controlnet_aux's `safe`: quantised edges (softedge_hedsafe / softedge_pidisafe). */
  readonly safe?: boolean;
  /** PiDiNet's apply_filter: a hard 0.5 threshold. */
  readonly filter?: boolean;
}

/**
 * A soft-edge model folder: `model.onnx` and `config.json` with `model_type` `hed` (controlnet_aux's
 * ControlNetHED_Apache2: RGB 0–255 in, five side outputs) or `pidinet` (table5_pidinet: BGR / 255
 * in, the last output is the fused edge probability). Input and output names come from the session.
 */
export class SoftedgeDetector {
  private constructor(
    private readonly model: ModelSession,
    readonly family: SoftedgeFamily,
  ) {}

  static async open(folder: string, field = 'models.softedge', openSession?: OpenSession): Promise<SoftedgeDetector> {
    const model = await openModelSession(path.join(folder, 'model.onnx'), field, ['image', 'input', 'x'], openSession);
    const text = await readFile(path.join(folder, 'config.json'), 'utf8').catch(() => {
      throw new PreprocessError('missing_preprocessor_model', field, `${folder}/config.json (model_type hed or pidinet) is missing`);
    });
    let family: unknown;
    try {
      family = (JSON.parse(text) as { model_type?: unknown }).model_type;
    } catch {
      throw new PreprocessError('invalid_preprocessor_model', field, 'config.json is not JSON');
    }
    if (family !== 'hed' && family !== 'pidinet') throw new PreprocessError('invalid_preprocessor_model', field, `config.json model_type must be hed or pidinet`);
    return new SoftedgeDetector(model, family);
  }

  async detect(image: PixelImage, options: SoftedgeOptions = {}, field = 'models.softedge'): Promise<PixelImage> {
    const { width, height } = image;
    const plane = width * height;
    const input = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        // HED takes RGB 0..255 (the network subtracts its own mean); PiDiNet BGR in [0,1].
        input[c * plane + i] = this.family === 'hed' ? image.data[i * 3 + c] : image.data[i * 3 + (2 - c)] / 255;
      }
    }
    const outputs = await runSingle(this.model, input, [1, 3, height, width]);
    if (this.family === 'hed') {
      const sides = this.model.outputNames.map((name) => {
        const { data, dims } = floatOutput(outputs, name, field);
        return { data, width: dims[dims.length - 1], height: dims[dims.length - 2] };
      });
      return fuseHedSides(sides, width, height, options.safe ?? false);
    }
    const last = floatOutput(outputs, this.model.outputNames[this.model.outputNames.length - 1], field);
    if (last.data.length !== plane) throw new PreprocessError('invalid_preprocessor_model', field, `PiDiNet output has shape [${last.dims.join(', ')}]`);
    return pidinetMap(last.data, width, height, options.safe ?? false, options.filter ?? false);
  }
}
