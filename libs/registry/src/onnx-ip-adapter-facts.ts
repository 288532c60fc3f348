import type { OnnxModelSignature, OnnxValueSignature } from '@atelier/onnx-graph';
import type { ControlNetFamily, OnnxGraphRole, OnnxModelManifest } from './onnx-model-manifest.js';
import { OnnxModelImportError } from './onnx-model-errors.js';

/** What an IP-Adapter import may state that its graphs cannot always tell. */
export interface IpAdapterFactsInput {
  readonly encoder: OnnxModelSignature;
  readonly projection: OnnxModelSignature;
  readonly config: Record<string, unknown> | undefined;
  readonly baseFamily: ControlNetFamily | undefined;
  readonly fieldOf: (role: OnnxGraphRole | 'config') => string;
}

/** Encoder outputs holding the penultimate hidden states (as `@atelier/diffusion` reads them for "plus" adapters). */
const HIDDEN_STATE_OUTPUTS = ['hidden_states', 'penultimate_hidden_states', 'image_enc_hidden_states'];
const WIDTH_FAMILY: Readonly<Record<number, ControlNetFamily>> = { 768: 'sd1', 1024: 'sd2', 2048: 'sdxl' };
/** config.json `family` as the pipeline library writes it (sd15, sd21, sd, sdxl) → the registry's family. */
const CONFIG_FAMILY: Readonly<Record<string, ControlNetFamily | undefined>> = { sd15: 'sd1', sd1: 'sd1', sd21: 'sd2', sd2: 'sd2', sdxl: 'sdxl', sd: undefined };

function names(values: readonly OnnxValueSignature[]): string {
  return values.map((value) => value.name).join(', ') || 'none';
}

/**
 * An IP-Adapter's graphs checked as the pipeline library will run them (CLIP vision
 * `pixel_values` → `image_embeds` or hidden states; a projection to [N, T, C] image tokens) and
 * its facts: family (config.json's `family`, else the token width C, else the `base_family`
 * field), plus, tokens per image. The config.json to store always names the family, since the
 * library opens the folder by it.
 */
export function ipAdapterFacts(input: IpAdapterFactsInput): { facts: Pick<OnnxModelManifest, 'base_family' | 'plus' | 'tokens'>; config: Record<string, unknown> } {
  const encoderField = input.fieldOf('image_encoder');
  const projectionField = input.fieldOf('projection');
  const pixels = input.encoder.inputs.find((value) => value.name === 'pixel_values');
  if (!pixels || pixels.dims.length !== 4) throw new OnnxModelImportError('invalid_model', encoderField, `a CLIP vision encoder takes pixel_values [N, 3, 224, 224] (inputs are ${names(input.encoder.inputs)})`);
  const hasEmbeds = input.encoder.outputs.some((value) => value.name === 'image_embeds');
  const hasHidden = input.encoder.outputs.some((value) => HIDDEN_STATE_OUTPUTS.includes(value.name));
  const statedPlus = typeof input.config?.plus === 'boolean' ? input.config.plus : undefined;
  const plus = statedPlus ?? !hasEmbeds;
  if (plus ? !hasHidden : !hasEmbeds) {
    const wanted = plus ? `the penultimate hidden states (${HIDDEN_STATE_OUTPUTS.join(' or ')})` : 'image_embeds';
    throw new OnnxModelImportError('invalid_model', encoderField, `the image encoder should output ${wanted} (outputs are ${names(input.encoder.outputs)})`);
  }
  if (input.projection.inputs.length < 1) throw new OnnxModelImportError('invalid_model', projectionField, 'the projection takes the image embeddings (it has no input)');
  const tokens = input.projection.outputs[0];
  if (!tokens || tokens.dims.length !== 3) throw new OnnxModelImportError('invalid_model', projectionField, `the projection should output image tokens [N, T, C] (outputs are ${names(input.projection.outputs)}${tokens ? ` [${tokens.dims.join(', ')}]` : ''})`);
  const [, count, width] = tokens.dims;
  const configFamily = typeof input.config?.family === 'string' ? input.config.family : undefined;
  if (configFamily !== undefined && !(configFamily in CONFIG_FAMILY)) throw new OnnxModelImportError('invalid_model', input.fieldOf('config'), `family must be sd15, sd21, sd or sdxl, not ${configFamily}`);
  const derived = (configFamily ? CONFIG_FAMILY[configFamily] : undefined) ?? (typeof width === 'number' ? WIDTH_FAMILY[width] : undefined);
  if (derived && input.baseFamily && derived !== input.baseFamily) throw new OnnxModelImportError('invalid_model', 'base_family', `the IP-Adapter is for ${derived}, not ${input.baseFamily}`);
  const family = derived ?? input.baseFamily;
  if (!family) throw new OnnxModelImportError('invalid_model', 'base_family', 'the family cannot be read from config.json or the token width: give base_family (sd1, sd2 or sdxl)');
  const statedTokens = typeof input.config?.tokens === 'number' ? input.config.tokens : undefined;
  if (typeof count === 'number' && statedTokens !== undefined && statedTokens !== count) throw new OnnxModelImportError('invalid_model', input.fieldOf('config'), `config.json says ${statedTokens} tokens, the projection outputs ${count}`);
  const perImage = typeof count === 'number' && count > 0 ? count : statedTokens;
  const config = { ...input.config, family: configFamily === 'sd' || configFamily === undefined ? family : configFamily, plus, ...(perImage ? { tokens: perImage } : {}) };
  return { facts: { base_family: family, plus, ...(perImage ? { tokens: perImage } : {}) }, config };
}
