// A training dataset from a ZIP or a folder: images (PNG, JPEG, WebP) paired with captions
// (`name.txt` beside `name.png`, or a caption template), every image decoded and resized to the
// training resolution. All problems are collected and reported together, each naming its file.
import path from 'node:path';
import { pairCaptions } from './pair-captions.js';
import { DatasetError, WHOLE_DATASET, type DatasetProblem } from './dataset-error.js';
import { listDatasetEntries, type DatasetEntry, type DatasetSource } from './dataset-entries.js';
import { datasetOptionsSchema, type DatasetOptionsInput } from './dataset-options.js';
import { ImageProblem, decodeTrainingImage } from './decode-training-image.js';
import type { TrainingExample } from './training-example.js';

export interface LoadedDataset {
  readonly examples: readonly TrainingExample[];
  /** Things that did not stop loading: ignored files, orphan captions, captions without the trigger. */
  readonly warnings: readonly DatasetProblem[];
}

const ACCEPTED_IMAGES = new Set(['.png', '.jpg', '.jpeg', '.webp']);
/** Image files people put in datasets that this loader will not decode: an error, not a silent skip. */
const REFUSED_IMAGES = new Set(['.gif', '.bmp', '.tif', '.tiff', '.avif', '.heic', '.heif', '.svg', '.jxl', '.ico']);

export async function loadDataset(source: DatasetSource, input: DatasetOptionsInput): Promise<LoadedDataset> {
  const parsed = datasetOptionsSchema.safeParse(input);
  if (!parsed.success) throw new DatasetError(parsed.error.issues.map((issue) => ({ file: WHOLE_DATASET, reason: `option ${issue.path.join('.')}: ${issue.message}` })));
  const options = parsed.data;
  const problems: DatasetProblem[] = [];
  const warnings: DatasetProblem[] = [];
  const entries = await listDatasetEntries(source, options, problems);

  const images: DatasetEntry[] = [];
  const captions = new Map<string, DatasetEntry>();
  for (const entry of entries) {
    const extension = path.posix.extname(entry.name).toLowerCase();
    if (ACCEPTED_IMAGES.has(extension)) images.push(entry);
    else if (REFUSED_IMAGES.has(extension)) problems.push({ file: entry.name, reason: `${extension} images are not accepted (png, jpeg, webp)` });
    else if (extension === options.captionExtension.toLowerCase()) captions.set(entry.name, entry);
    else warnings.push({ file: entry.name, reason: 'ignored (neither an image nor a caption)' });
  }
  if (images.length < options.minImages) problems.push({ file: WHOLE_DATASET, reason: `${images.length} images, at least ${options.minImages} needed` });
  if (images.length > options.maxImages) problems.push({ file: WHOLE_DATASET, reason: `${images.length} images, at most ${options.maxImages} allowed` });
  if (problems.some((problem) => problem.file === WHOLE_DATASET)) throw new DatasetError(problems);

  const paired = await pairCaptions(images, captions, options, problems, warnings);
  const examples: TrainingExample[] = [];
  for (const { entry, caption } of paired) {
    if (entry.size > options.maxImageBytes) {
      problems.push({ file: entry.name, reason: `${entry.size} bytes, over the ${options.maxImageBytes}-byte limit` });
      continue;
    }
    try {
      const bytes = await entry.read();
      examples.push({ name: entry.name, image: await decodeTrainingImage(bytes, options, options.resolution), caption });
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      problems.push({ file: entry.name, reason: error instanceof ImageProblem ? error.message : `cannot be read (${error.message})` });
    }
  }
  if (problems.length > 0) throw new DatasetError(problems);
  examples.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { examples, warnings };
}

