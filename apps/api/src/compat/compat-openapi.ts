import type { z } from 'zod';
import type { RequestLimits } from '@atelier/contracts';
import { IGNORED_FIELDS, REFUSAL_RULES } from './a1111/a1111-fields.js';
import { extrasBatchImagesSchema, extrasSingleImageSchema } from './a1111/a1111-extras.schema.js';
import { img2imgRequestSchema, txt2imgRequestSchema } from './a1111/a1111-request.schema.js';
import { openAiImagesRequestSchema } from './openai/images-request.schema.js';

type JsonObject = Record<string, unknown>;

const body = (ref: string): JsonObject => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const basicOrBearer = [{ bearer: [] }, { basic: [] }];

/** OpenAPI components and paths of the compatibility APIs, from the schemas that validate them. */
export function compatOpenApi(limits: RequestLimits): { schemas: Record<string, z.ZodType>; securitySchemes: JsonObject; paths: JsonObject } {
  const refusals = REFUSAL_RULES.map((rule) => `\`${rule.field}\``).join(', ');
  const a1111Notes =
    `Blocking: answers when the images exist (\`Prefer: wait=<seconds>\` caps the wait; 504 after it, the job keeps running). ` +
    `Accepted and ignored: ${IGNORED_FIELDS.map((field) => `\`${field}\``).join(', ')}. Accepted only at values that leave the image unchanged (else 400 naming the field and why): ${refusals}. ` +
    `\`alwayson_scripts.controlnet.args\` (sd-webui-controlnet units) map onto native \`controlnets\`: enabled, image/input_image, module, model (hash stripped), weight, guidance_start/end, processor_res, threshold_a/b (canny), control_mode (Balanced, or "ControlNet is more important" = guess mode), pixel_perfect; the maps follow the images in \`images\`. A unit whose module is an IP-Adapter preprocessor (\`ip-adapter_clip_sd15\`, \`ip-adapter_clip_sdxl\`, \`ip-adapter-auto\`…) is an image prompt: it maps onto native \`ip_adapter\` (model, image, weight → scale; one unit at most). ` +
    `Any other field is a 400. Authentication: Bearer, X-API-Key, or HTTP basic auth with the API key as password (or as user name with an empty password).`;
  const extrasNotes =
    'Each image runs as an image task (POST /v1/upscales with upscaler_1 and upscaling_resize, its face_restore step from gfpgan_visibility or codeformer_visibility/codeformer_weight; ' +
    'POST /v1/face-restorations when upscaler_1 is "None"). Only resize_mode 0; upscaler_2 "None"; face restoration runs after the upscale whatever upscale_first says. Unknown fields are a 400 naming them.';
  return {
    schemas: {
      OpenAiImagesRequest: openAiImagesRequestSchema(limits),
      A1111Txt2ImgRequest: txt2imgRequestSchema(limits),
      A1111Img2ImgRequest: img2imgRequestSchema(limits),
      A1111ExtrasSingleImageRequest: extrasSingleImageSchema,
      A1111ExtrasBatchImagesRequest: extrasBatchImagesSchema,
    },
    securitySchemes: { basic: { type: 'http', scheme: 'basic', description: 'A1111 routes: the API key as password' } },
    paths: {
      '/v1/images/generations': {
        post: {
          summary: 'OpenAI Images API: generate images (blocking)',
          description:
            'Works with the official OpenAI SDKs (baseURL …/v1, the API key as apiKey). Unknown model names (dall-e-2, dall-e-3, gpt-image-1…) use the default model; ' +
            'size must be WIDTHxHEIGHT in multiples of 8; quality: low 15 steps, standard/medium/auto 25, hd/high 50; style: vivid guidance 9, natural 5. ' +
            'Errors use OpenAI\'s shape {"error": {"message", "type", "param", "code"}}; 504 (with x-should-retry: false) when the images are not ready within the wait.',
          requestBody: body('OpenAiImagesRequest'),
          responses: { '200': { description: '{ created, data: [{ url } | { b64_json }] }' }, '400': { description: 'OpenAI error shape, param names the field' }, '504': { description: 'Not finished in time' } },
        },
      },
      '/sdapi/v1/txt2img': {
        post: { summary: 'AUTOMATIC1111 txt2img (blocking)', description: a1111Notes, security: basicOrBearer, requestBody: body('A1111Txt2ImgRequest'), responses: { '200': { description: '{ images: [base64], parameters, info: "<JSON>" }' }, '400': { description: '{ error, detail, errors: [{ field, message }] }' } } },
      },
      '/sdapi/v1/img2img': {
        post: { summary: 'AUTOMATIC1111 img2img (blocking)', description: a1111Notes, security: basicOrBearer, requestBody: body('A1111Img2ImgRequest'), responses: { '200': { description: '{ images: [base64], parameters, info: "<JSON>" }' }, '400': { description: '{ error, detail, errors: [{ field, message }] }' } } },
      },
      '/sdapi/v1/extra-single-image': {
        post: { summary: 'AUTOMATIC1111 extras: upscale and/or restore faces of one image (blocking)', description: extrasNotes, security: basicOrBearer, requestBody: body('A1111ExtrasSingleImageRequest'), responses: { '200': { description: '{ html_info, image: base64 PNG }' }, '400': { description: '{ error, detail, errors: [{ field, message }] }' } } },
      },
      '/sdapi/v1/extra-batch-images': {
        post: { summary: 'AUTOMATIC1111 extras: upscale and/or restore faces of several images (blocking)', description: extrasNotes, security: basicOrBearer, requestBody: body('A1111ExtrasBatchImagesRequest'), responses: { '200': { description: '{ html_info, images: [base64 PNG] }' }, '400': { description: '{ error, detail, errors: [{ field, message }] }' } } },
      },
      '/sdapi/v1/upscalers': { get: { summary: 'AUTOMATIC1111: upscalers ("None", then the registry upscaler models the caller can use)', security: basicOrBearer, responses: { '200': { description: '[{ name, model_name, model_path, model_url, scale }]' } } } },
      '/sdapi/v1/sd-models': { get: { summary: 'AUTOMATIC1111: served models (title = model id, hash null)', security: basicOrBearer, responses: { '200': { description: '[{ title, model_name, hash, sha256, filename, config }]' } } } },
      '/sdapi/v1/samplers': { get: { summary: 'AUTOMATIC1111: samplers', security: basicOrBearer, responses: { '200': { description: '[{ name, aliases, options }]' } } } },
      '/sdapi/v1/schedulers': { get: { summary: 'AUTOMATIC1111 ≥ 1.9: schedule types (Automatic, Karras)', security: basicOrBearer, responses: { '200': { description: '[{ name, label, aliases, default_rho, need_inner_model }]' } } } },
      '/sdapi/v1/options': { get: { summary: 'AUTOMATIC1111: read-only settings (sd_model_checkpoint is the default model)', security: basicOrBearer, responses: { '200': { description: 'Settings' } } } },
      '/sdapi/v1/progress': {
        get: { summary: "AUTOMATIC1111: progress of the caller's most recent running (else queued) job", security: basicOrBearer, responses: { '200': { description: '{ progress, eta_relative, state: { job, job_count, sampling_step, sampling_steps, … }, current_image: null }' } } },
      },
    },
  };
}
