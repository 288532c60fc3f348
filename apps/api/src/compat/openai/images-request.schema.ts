import { z } from 'zod';
import type { RequestLimits } from '@atelier/contracts';

const SIZE_PATTERN = /^(\d+)x(\d+)$/;

/** "auto" (the model's default size) or WIDTHxHEIGHT with both sides multiples of 8 in 64..4096. */
const sizeSchema = z.string().superRefine((value, context) => {
  if (value === 'auto') return;
  const match = SIZE_PATTERN.exec(value);
  if (!match) {
    context.addIssue({ code: 'custom', message: `must be "auto" or WIDTHxHEIGHT such as "512x512", got "${value}"` });
    return;
  }
  const sides = [Number(match[1]), Number(match[2])];
  if (sides.some((side) => side % 8 !== 0 || side < 64 || side > 4096)) {
    context.addIssue({ code: 'custom', message: `width and height must be multiples of 8 between 64 and 4096, got ${value}` });
  }
});

/** Steps per OpenAI quality name (dall-e: standard/hd; gpt-image: low/medium/high/auto). */
export const QUALITY_STEPS = { low: 15, standard: 25, medium: 25, auto: 25, hd: 50, high: 50 } as const;

/** dall-e-3's styles as classifier-free guidance: vivid follows the prompt harder, natural less. */
export const STYLE_GUIDANCE = { vivid: 9, natural: 5 } as const;

/**
 * POST /v1/images/generations, OpenAI's Images API body. Fields that would change the picture in
 * a way Atelier cannot honour (transparent background, streaming partial images) are refused;
 * `user` and `moderation` are accepted and ignored. Optional fields also accept null, which some
 * clients send for "not given".
 */
export function openAiImagesRequestSchema(limits: RequestLimits) {
  return z
    .object({
      model: z.string().min(1).max(200).nullish().describe('A served model id; any other name (dall-e-2, dall-e-3, gpt-image-1…) uses the default model'),
      prompt: z.string().min(1, 'must not be empty').max(limits.maxPromptChars),
      n: z.number().int().min(1).max(limits.maxSamples).nullish().describe('Images to generate (seeds seed … seed+n−1)'),
      size: sizeSchema.nullish().describe('"auto" or WIDTHxHEIGHT, multiples of 8'),
      response_format: z.enum(['url', 'b64_json']).nullish(),
      quality: z.enum(Object.keys(QUALITY_STEPS) as [keyof typeof QUALITY_STEPS]).nullish().describe('standard/medium/auto: 25 steps, low: 15, hd/high: 50'),
      style: z.enum(['vivid', 'natural']).nullish().describe('vivid: guidance 9, natural: guidance 5 (default 7.5)'),
      output_format: z.enum(['png', 'jpeg', 'webp']).nullish(),
      output_compression: z.number().int().min(0).max(100).nullish().describe('jpeg/webp quality'),
      background: z.enum(['auto', 'opaque'], { error: 'transparent backgrounds are not supported; use "auto" or "opaque"' }).nullish(),
      moderation: z.enum(['auto', 'low']).nullish().describe('Accepted and ignored'),
      stream: z.literal(false, { error: 'streaming is not supported; the response carries the finished images' }).nullish(),
      partial_images: z.literal(0, { error: 'partial images are not supported' }).nullish(),
      user: z.string().max(1000).nullish().describe('Accepted and ignored'),
    })
    .strict();
}

export type OpenAiImagesRequest = z.infer<ReturnType<typeof openAiImagesRequestSchema>>;

export function parseSize(size: string | null | undefined): { width: number; height: number } | undefined {
  const match = SIZE_PATTERN.exec(size ?? '');
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}
