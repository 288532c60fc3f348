import type * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../models/loaded-model.js';
import type { AcquireSession } from '../pipeline/conditioning/types.js';
import { inputMetadata } from '../pipeline/tensors.js';
import { prepareControlImage, type ControlImageInput } from './control-image.js';
import { openControlNet, type ControlNetModel } from './controlnet-model.js';
import { ControlNetSource, type ControlNetUnit } from './controlnet-source.js';
import { ControlNetError } from './errors.js';
import { linkResiduals, unetResidualInputs } from './residual-map.js';

/** One ControlNet of a generation request (diffusers' per-net arguments). */
export interface ControlNetParams {
  /** A ControlNet folder (`model.onnx` + `config.json`), or one opened with `openControlNet`. */
  readonly model: string | ControlNetModel;
  /** The control map (already preprocessed: edges, depth, pose...). */
  readonly image: ControlImageInput;
  /** Multiplies the net's residuals (default 1). */
  readonly conditioningScale?: number;
  /** Fraction of the steps where the net starts / stops acting (default 0 / 1). */
  readonly guidanceStart?: number;
  readonly guidanceEnd?: number;
}

export interface ControlNetSetup {
  readonly controlnets: readonly ControlNetParams[];
  readonly guessMode: boolean;
  readonly model: LoadedModel;
  /** The residual-accepting UNet the loop runs. */
  readonly unet: ort.InferenceSession;
  readonly width: number;
  readonly height: number;
  /** Images in the batch. */
  readonly batch: number;
  readonly useGuidance: boolean;
  readonly acquire: AcquireSession;
}

/**
 * A ControlNet trained for another base cannot steer this UNet: SDXL nets need the pooled text
 * and size ids, and the text width (cross-attention dim) must equal the UNet's.
 */
export function checkControlNetFamily(net: ControlNetModel, model: LoadedModel, unet: ort.InferenceSession, session: ort.InferenceSession, field: string): void {
  const pipelineBase = model.family === 'sdxl' || model.family === 'sdxl-refiner' ? 'sdxl' : 'sd';
  const netBase = net.base === 'sdxl' || session.inputNames.includes('text_embeds') ? 'sdxl' : 'sd';
  if (netBase !== pipelineBase) {
    throw new ControlNetError('controlnet_family_mismatch', field, `ControlNet "${net.id}" is for ${netBase === 'sdxl' ? 'SDXL' : 'SD 1.x/2.x'}, the model ${model.id} is ${model.family}`);
  }
  const unetWidth = inputMetadata(unet, 'encoder_hidden_states')?.shape[2];
  const netWidth = inputMetadata(session, 'encoder_hidden_states')?.shape[2] ?? net.crossAttentionDim;
  const expected = typeof unetWidth === 'number' ? unetWidth : model.folder.unetConfig.cross_attention_dim;
  if (typeof netWidth === 'number' && typeof expected === 'number' && netWidth !== expected) {
    throw new ControlNetError('controlnet_family_mismatch', field, `ControlNet "${net.id}" attends to ${netWidth}-wide text features, the model ${model.id} to ${expected} (another base: SD 1.x is 768, SD 2.x 1024, SDXL 2048)`);
  }
}

function checkWindow(field: string, scale: number, start: number, end: number): void {
  if (!Number.isFinite(scale)) throw new ControlNetError('controlnet_unsupported', `${field}.conditioning_scale`, 'must be a finite number');
  if (!(start >= 0 && start <= 1)) throw new ControlNetError('controlnet_unsupported', `${field}.guidance_start`, 'must be in [0, 1]');
  if (!(end >= 0 && end <= 1)) throw new ControlNetError('controlnet_unsupported', `${field}.guidance_end`, 'must be in [0, 1]');
  if (start > end) throw new ControlNetError('controlnet_unsupported', `${field}.guidance_start`, `must not exceed guidance_end (${start} > ${end})`);
}

/** Opens, checks and binds every requested ControlNet: the conditioning source the loop runs. */
export async function controlNetSource(setup: ControlNetSetup): Promise<ControlNetSource> {
  const unetInputs = unetResidualInputs(setup.unet);
  if (unetInputs.length === 0) throw new ControlNetError('controlnet_unet_missing', 'controlnets', `${setup.model.id}: its controlnet UNet takes no residual inputs`);
  const nets = await Promise.all(setup.controlnets.map(async (params, index) => (typeof params.model === 'string' ? openControlNet(params.model, `controlnets[${index}].model`) : params.model)));
  // diffusers: nets with global pooled conditions (shuffle) always run in guess mode.
  const guessMode = setup.guessMode || nets.some((net) => net.globalPoolConditions);
  const rows = (setup.useGuidance && !guessMode ? 2 : 1) * setup.batch;
  const units: ControlNetUnit[] = [];
  for (const [index, params] of setup.controlnets.entries()) {
    const field = `controlnets[${index}]`;
    const net = nets[index];
    const scale = params.conditioningScale ?? 1;
    const start = params.guidanceStart ?? 0;
    const end = params.guidanceEnd ?? 1;
    checkWindow(field, scale, start, end);
    const session = await setup.acquire(net.file, `ControlNet ${net.id}`);
    checkControlNetFamily(net, setup.model, setup.unet, session, `${field}.model`);
    const image = await prepareControlImage(params.image, setup.width, setup.height, rows, `${field}.image`);
    units.push({
      session,
      residualStrides: net.residualStrides,
      links: linkResiduals(session, unetInputs, `${field}.model`),
      image,
      imageDims: [rows, 3, setup.height, setup.width],
      scale,
      start,
      end,
      field,
    });
  }
  return new ControlNetSource(units, { guessMode, useGuidance: setup.useGuidance });
}
