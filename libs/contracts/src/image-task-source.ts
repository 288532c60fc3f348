import { z } from 'zod';
import { imageReferenceSchema } from './image-reference.js';

/** Generation ids as the API mints them. */
export const GENERATION_ID_PATTERN = /^gen_[0-9a-f]{32}$/;

/**
 * Where an upscale, face restoration or segmentation reads its image: `image` (http(s) URL, data:
 * URL or base64, the rules of init_image) or one output of the tenant's own finished generation
 * (`generation_id` + `output_index`). Spread into each kind's request object.
 */
export const imageTaskSourceFields = {
  image: imageReferenceSchema.optional().describe('source image: http(s) URL, data: URL or base64 (same rules and limits as init_image); or give generation_id'),
  generation_id: z.string().regex(GENERATION_ID_PATTERN, 'a generation id (gen_ and 32 hex digits)').optional().describe('one of your succeeded generations, instead of image'),
  output_index: z.number().int().min(0).max(15).optional().describe('which output of generation_id (default 0)'),
};

/** The refinement every kind applies: exactly one source, output_index only with a generation. */
export function checkImageTaskSource(body: { image?: string; generation_id?: string; output_index?: number }, context: z.core.$RefinementCtx): void {
  if ((body.image === undefined) === (body.generation_id === undefined)) {
    context.addIssue({ code: 'custom', path: ['image'], message: 'give image or generation_id (exactly one)' });
  }
  if (body.output_index !== undefined && body.generation_id === undefined) {
    context.addIssue({ code: 'custom', path: ['output_index'], message: 'only with generation_id' });
  }
}

/** The source as the worker reads it: the request's image, or a generation output's storage key. */
export const resolvedImageSourceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('image'), image: z.string() }),
  z.object({ type: z.literal('generation'), generation_id: z.string(), output_index: z.number().int(), key: z.string(), width: z.number().int(), height: z.number().int() }),
]);
export type ResolvedImageSource = z.infer<typeof resolvedImageSourceSchema>;

/** Registry model names (kinds upscaler, face_detector, face_restorer, segmenter). */
export const onnxModelNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-" (at most 100)');
