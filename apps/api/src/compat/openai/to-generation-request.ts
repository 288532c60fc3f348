import { LORA_ID_PREFIX, loraName, pipelineId, type GenerationRequestInput } from '@atelier/contracts';
import type { FieldNames } from '../field-names.js';
import { QUALITY_STEPS, STYLE_GUIDANCE, parseSize, type OpenAiImagesRequest } from './images-request.schema.js';

/** Where native validation errors point back to in the OpenAI body. */
export const OPENAI_FIELD_NAMES: FieldNames = {
  model: 'model',
  // OpenAI has no adapter field: a LoRA arrives as `model: "lora:<name>"`.
  'loras.0.name': 'model',
  samples: 'n',
  img_width: 'size',
  img_height: 'size',
  num_inference_steps: 'quality',
  guidance_scale: 'style',
  output_quality: 'output_compression',
};

/**
 * `model` as the OpenAI body gives it: a served model (its id or `pipeline:<id>`), a LoRA's
 * catalog id (`lora:<name>`, what a finished training reports), applied on the default model at
 * weight 1, or anything else, which is the default model: OpenAI clients send dall-e-3 or
 * gpt-image-1 and expect a picture, not a 400.
 */
function modelAndLoras(model: string | null | undefined, servedModels: ReadonlySet<string>, defaultModel: string): Pick<GenerationRequestInput, 'model' | 'loras'> {
  if (!model) return { model: defaultModel };
  const id = pipelineId(model);
  if (servedModels.has(id)) return { model: id };
  if (model.trim().startsWith(LORA_ID_PREFIX)) return { model: defaultModel, loras: [{ name: loraName(model), weight: 1 }] };
  return { model: defaultModel };
}

/** The native request for an OpenAI body. */
export function toGenerationRequest(body: OpenAiImagesRequest, servedModels: ReadonlySet<string>, defaultModel: string): GenerationRequestInput {
  const size = parseSize(body.size);
  return {
    ...modelAndLoras(body.model, servedModels, defaultModel),
    prompt: body.prompt,
    samples: body.n ?? 1,
    num_inference_steps: QUALITY_STEPS[body.quality ?? 'auto'],
    ...(body.style ? { guidance_scale: STYLE_GUIDANCE[body.style] } : {}),
    ...(size ? { img_width: size.width, img_height: size.height } : {}),
    output_format: body.output_format ?? 'png',
    ...(body.output_compression !== null && body.output_compression !== undefined ? { output_quality: Math.max(1, body.output_compression) } : {}),
  };
}
