import { z } from 'zod';

const count = (min: number, max: number, fallback: number) => z.number().int().min(min).max(max).default(fallback);

/** Limits and pairing rules of a training dataset; every limit has a safe default. */
export const datasetOptionsSchema = z
  .object({
    /** Images are resized (cover) and centre-cropped to this size. */
    resolution: z.object({ width: z.number().int().positive().max(4096), height: z.number().int().positive().max(4096) }).strict(),
    minImages: count(1, 100_000, 1),
    maxImages: count(1, 100_000, 1000),
    minWidth: count(1, 65_536, 64),
    minHeight: count(1, 65_536, 64),
    maxWidth: count(1, 65_536, 8192),
    maxHeight: count(1, 65_536, 8192),
    maxImageBytes: count(1, 2 ** 31, 50 * 1024 ** 2),
    /** Archive/folder entries of any kind (directories included). */
    maxEntries: count(1, 1_000_000, 5000),
    /** Sum of uncompressed sizes. */
    maxTotalBytes: count(1, 2 ** 40, 2 * 1024 ** 3),
    /** Uncompressed / compressed for any entry over 1 MiB (zip bombs compress far better than images). */
    maxCompressionRatio: z.number().min(1).max(1032).default(100),
    captionExtension: z.string().regex(/^\.[A-Za-z0-9]{1,16}$/).default('.txt'),
    /** Caption for images without a caption file, e.g. "a photo of {trigger}". */
    captionTemplate: z.string().min(1).max(2000).optional(),
    triggerWord: z.string().trim().min(1).max(64).optional(),
    maxCaptionChars: count(1, 100_000, 2000),
  })
  .strict()
  .refine((options) => options.minImages <= options.maxImages, { message: 'minImages must not exceed maxImages', path: ['minImages'] })
  .refine((options) => options.captionTemplate === undefined || !options.captionTemplate.includes('{trigger}') || options.triggerWord !== undefined, {
    message: 'the caption template uses {trigger} but no triggerWord is given',
    path: ['captionTemplate'],
  });

export type DatasetOptions = z.output<typeof datasetOptionsSchema>;
export type DatasetOptionsInput = z.input<typeof datasetOptionsSchema>;
