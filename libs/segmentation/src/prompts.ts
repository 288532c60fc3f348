import { z } from 'zod';
import { SegmentationError } from './errors.js';
import type { Size } from './sam-transform.js';

const coordinate = z.number().finite();

const pointSchema = z.strictObject({
  x: coordinate,
  y: coordinate,
  /** positive: part of the object; negative: not part of it. */
  label: z.enum(['positive', 'negative']).default('positive'),
});

const boxSchema = z
  .strictObject({ x0: coordinate, y0: coordinate, x1: coordinate, y1: coordinate })
  .refine((box) => box.x1 > box.x0 && box.y1 > box.y0, { message: 'x1 and y1 must be greater than x0 and y0' });

/**
 * Prompts in pixels of the original image (x right, y down). SAM's decoders take one box per
 * prediction (as two corner points), so at most one box; points and a box combine.
 */
export const segmentationPromptsSchema = z
  .strictObject({
    points: z.array(pointSchema).max(64).default([]),
    boxes: z.array(boxSchema).max(1).default([]),
  })
  .refine((prompts) => prompts.points.length + prompts.boxes.length > 0, { message: 'give at least one point or one box' });

export type SegmentationPromptsInput = z.input<typeof segmentationPromptsSchema>;
export type SegmentationPrompts = z.output<typeof segmentationPromptsSchema>;
export type SegmentationPoint = SegmentationPrompts['points'][number];
export type SegmentationBox = SegmentationPrompts['boxes'][number];

/** Validates prompts and checks every coordinate lies on the image (edges included). */
export function parsePrompts(input: unknown, size: Size, field = 'prompts'): SegmentationPrompts {
  const parsed = segmentationPromptsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
    throw new SegmentationError('invalid_segmentation_prompt', `${field}${at}`, issue.message);
  }
  const outside = (x: number, y: number): boolean => x < 0 || y < 0 || x > size.width || y > size.height;
  parsed.data.points.forEach((point, index) => {
    if (outside(point.x, point.y)) throw new SegmentationError('invalid_segmentation_prompt', `${field}.points[${index}]`, `(${point.x}, ${point.y}) is outside the ${size.width}x${size.height} image`);
  });
  parsed.data.boxes.forEach((box, index) => {
    if (outside(box.x0, box.y0) || outside(box.x1, box.y1)) throw new SegmentationError('invalid_segmentation_prompt', `${field}.boxes[${index}]`, `the box is outside the ${size.width}x${size.height} image`);
  });
  return parsed.data;
}
