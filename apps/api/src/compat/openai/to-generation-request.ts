import type { GenerationRequestInput } from '@atelier/contracts';
import type { FieldNames } from '../field-names.js';
import { QUALITY_STEPS, STYLE_GUIDANCE, parseSize, type OpenAiImagesRequest } from './images-request.schema.js';

/** Where native validation errors point back to in the OpenAI body. */
export const OPENAI_FIELD_NAMES: FieldNames = {
  model: 'model',
  samples: 'n',
  img_width: 'size',
  img_height: 'size',
  num_inference_steps: 'quality',
  guidance_scale: 'style',
  output_quality: 'output_compression',
};

/**
 * The native request for an OpenAI body. `model` names a served model or falls back to the
 * default model: OpenAI clients send dall-e-3 or gpt-image-1 and expect a picture, not a 400.
 */
export function toGenerationRequest(body: OpenAiImagesRequest, servedModels: ReadonlySet<string>, defaultModel: string): GenerationRequestInput {
  const size = parseSize(body.size);
  return {
    model: body.model && servedModels.has(body.model) ? body.model : defaultModel,
    prompt: body.prompt,
    samples: body.n ?? 1,
    num_inference_steps: QUALITY_STEPS[body.quality ?? 'auto'],
    ...(body.style ? { guidance_scale: STYLE_GUIDANCE[body.style] } : {}),
    ...(size ? { img_width: size.width, img_height: size.height } : {}),
    output_format: body.output_format ?? 'png',
    ...(body.output_compression !== null && body.output_compression !== undefined ? { output_quality: Math.max(1, body.output_compression) } : {}),
  };
}
