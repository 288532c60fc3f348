import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ControlNetError } from './errors.js';

/** Base families a ControlNet can be trained for; SD 1.x and 2.x differ only by text width. */
export type ControlNetBase = 'sd' | 'sdxl';

/** diffusers' ControlNetModel config.json: only the fields that decide compatibility. */
const controlNetConfigSchema = z.looseObject({
  _class_name: z.string().optional(),
  cross_attention_dim: z.union([z.number().int().positive(), z.array(z.number().int().positive())]).optional(),
  addition_embed_type: z.string().nullable().optional(),
  global_pool_conditions: z.boolean().optional(),
  conditioning_channels: z.number().int().positive().optional(),
  down_block_types: z.array(z.string()).optional(),
  layers_per_block: z.number().int().positive().optional(),
});

/** A ControlNet export folder (`model.onnx` + `config.json`), read and checked once. */
export interface ControlNetModel {
  readonly kind: 'controlnet';
  readonly id: string;
  readonly dir: string;
  readonly file: string;
  readonly base: ControlNetBase;
  /** Width of the text features it cross-attends to (768 SD 1.x, 1024 SD 2.x, 2048 SDXL). */
  readonly crossAttentionDim: number | undefined;
  /** Shuffle-style nets: diffusers turns guess mode on for them. */
  readonly globalPoolConditions: boolean;
  /**
   * Latent-size divisor of each down residual then the mid one (conv_in, every block's resnets
   * and downsamplers), from config.json; undefined when the config does not say.
   */
  readonly residualStrides: readonly number[] | undefined;
}

/** diffusers' ControlNetModel: conv_in, then per block `layers_per_block` resnets and a downsampler except after the last. */
function residualStrides(blocks: number | undefined, layers: number | undefined): number[] | undefined {
  if (!blocks || !layers) return undefined;
  const strides = [1];
  for (let block = 0; block < blocks; block++) {
    for (let layer = 0; layer < layers; layer++) strides.push(2 ** block);
    if (block < blocks - 1) strides.push(2 ** (block + 1));
  }
  strides.push(2 ** (blocks - 1));
  return strides;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Opens `<dir>/model.onnx` with its `config.json` (the layout of MODELS_DIR/controlnets/<name>/).
 * `field` names the request field in errors (e.g. `controlnets[1].model`).
 */
export async function openControlNet(dir: string, field = 'controlnets.model', id = path.basename(dir)): Promise<ControlNetModel> {
  const file = path.join(dir, 'model.onnx');
  if (!(await exists(file)) && !(await exists(`${file}.remote.json`))) throw new ControlNetError('controlnet_model_missing', field, `no ControlNet at ${dir} (model.onnx is missing)`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ControlNetError('controlnet_model_invalid', field, `${dir}: config.json is ${missing ? 'missing' : 'not valid JSON'}`);
  }
  const config = controlNetConfigSchema.safeParse(raw);
  if (!config.success) throw new ControlNetError('controlnet_model_invalid', field, `${dir}: config.json: ${config.error.issues.map((issue) => issue.message).join('; ')}`);
  const cross = config.data.cross_attention_dim;
  return {
    kind: 'controlnet',
    id,
    dir,
    file,
    // SDXL nets take the pooled text and the size/crop ids ("text_time" additional embedding).
    base: config.data.addition_embed_type === 'text_time' ? 'sdxl' : 'sd',
    crossAttentionDim: Array.isArray(cross) ? cross[0] : cross,
    globalPoolConditions: config.data.global_pool_conditions ?? false,
    residualStrides: residualStrides(config.data.down_block_types?.length, config.data.layers_per_block),
  };
}
