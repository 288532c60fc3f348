import { z } from 'zod';
import { PreprocessError } from './errors.js';

export const PREPROCESSOR_KINDS = ['none', 'canny', 'depth', 'openpose', 'scribble', 'softedge'] as const;
export type PreprocessorKind = (typeof PREPROCESSOR_KINDS)[number];

const MAX_SIDE = 8192;

/** Options of every preprocessor (snake_case, as controlnet_aux and A1111 name them). */
export const preprocessOptionsSchema = z
  .object({
    /** Generation size: the control map comes out exactly this size. */
    width: z.number().int().min(8).max(MAX_SIDE),
    height: z.number().int().min(8).max(MAX_SIDE),
    /** Short side the detector works at (rounded to multiples of 64 like controlnet_aux). */
    detect_resolution: z.number().int().min(64).max(MAX_SIDE).default(512),
    /** controlnet_aux's image_resolution; defaults to the generation's short side. */
    image_resolution: z.number().int().min(64).max(MAX_SIDE).optional(),
    /** Canny thresholds on the L1 Sobel magnitude (0–2040 for 8-bit images). */
    low_threshold: z.number().min(0).max(2040).default(100),
    high_threshold: z.number().min(0).max(2040).default(200),
    /** Soft edge / scribble: controlnet_aux's `safe` quantisation. */
    safe: z.boolean().default(false),
    /** Openpose: also draw the 68 face landmarks (A1111's openpose_face). */
    include_face: z.boolean().default(false),
  })
  .strict()
  .refine((options) => options.low_threshold <= options.high_threshold, { message: 'must not exceed high_threshold', path: ['low_threshold'] });

export type PreprocessOptionsInput = z.input<typeof preprocessOptionsSchema>;
export type PreprocessOptions = z.output<typeof preprocessOptionsSchema>;

export function parsePreprocessKind(kind: string, field = 'preprocessor'): PreprocessorKind {
  const known = PREPROCESSOR_KINDS.find((name) => name === kind);
  if (!known) throw new PreprocessError('unknown_preprocessor', field, `unknown preprocessor "${kind}" (one of ${PREPROCESSOR_KINDS.join(', ')})`);
  return known;
}

/** Validated options, or an error naming the first offending field (`<prefix>.<name>`). */
export function parsePreprocessOptions(input: unknown, prefix = 'options'): PreprocessOptions {
  const parsed = preprocessOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = issue.path.length > 0 ? issue.path.join('.') : (issue.code === 'unrecognized_keys' ? issue.keys[0] : '');
  return failOption(`${prefix}${name ? `.${name}` : ''}`, issue.message);
}

function failOption(field: string, message: string): never {
  throw new PreprocessError('invalid_preprocessor_option', field, message);
}
