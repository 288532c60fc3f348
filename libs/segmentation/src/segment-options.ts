import { z } from 'zod';
import { SegmentationError } from './errors.js';

export const segmentOptionsSchema = z.strictObject({
  /** best: the mask with the highest predicted IoU (SAM's own choice); all: the three candidates. */
  output: z.enum(['best', 'all']).default('best'),
});

export type SegmentOptionsInput = z.input<typeof segmentOptionsSchema>;
export type SegmentOptions = z.output<typeof segmentOptionsSchema>;

export function parseSegmentOptions(input: unknown, field = 'options'): SegmentOptions {
  const parsed = segmentOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SegmentationError('invalid_segmentation_prompt', [field, ...issue.path.map(String)].join('.'), issue.message);
  }
  return parsed.data;
}
