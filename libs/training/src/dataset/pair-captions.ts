import path from 'node:path';
import { CaptionProblem, fillTemplate, mentionsTrigger, readCaption } from './captions.js';
import type { DatasetProblem } from './dataset-error.js';
import type { DatasetEntry } from './dataset-entries.js';
import type { DatasetOptions } from './dataset-options.js';

export interface PairedImage {
  readonly entry: DatasetEntry;
  readonly caption: string;
}

/** The template's caption, or null without a template. */
export function captionTemplateOr(options: Pick<DatasetOptions, 'captionTemplate' | 'triggerWord'>): string | null {
  return options.captionTemplate === undefined ? null : fillTemplate(options.captionTemplate, options.triggerWord);
}

const MAX_CAPTION_BYTES = 1024 ** 2;

/** `dir/name.png` takes its caption from `dir/name<captionExtension>`, else from the template. */
export async function pairCaptions(
  images: readonly DatasetEntry[],
  captions: ReadonlyMap<string, DatasetEntry>,
  options: DatasetOptions,
  problems: DatasetProblem[],
  warnings: DatasetProblem[],
): Promise<PairedImage[]> {
  const template = captionTemplateOr(options);
  const used = new Set<string>();
  const paired: PairedImage[] = [];
  for (const image of images) {
    const parsed = path.posix.parse(image.name);
    const captionName = path.posix.join(parsed.dir, `${parsed.name}${options.captionExtension}`);
    const captionEntry = captions.get(captionName);
    let caption: string;
    if (captionEntry !== undefined) {
      used.add(captionName);
      try {
        if (captionEntry.size > MAX_CAPTION_BYTES) throw new CaptionProblem(`is ${captionEntry.size} bytes, too large for a caption`);
        caption = readCaption(await captionEntry.read(), options.triggerWord, options.maxCaptionChars);
      } catch (error) {
        if (!(error instanceof CaptionProblem)) throw error;
        problems.push({ file: captionName, reason: `caption ${error.message}` });
        continue;
      }
    } else if (template !== null) {
      caption = template;
    } else {
      problems.push({ file: image.name, reason: `has no caption (expected ${captionName}, or give a caption template)` });
      continue;
    }
    if (options.triggerWord !== undefined && !mentionsTrigger(caption, options.triggerWord)) {
      warnings.push({ file: captionEntry === undefined ? image.name : captionName, reason: `caption "${caption}" does not mention the trigger word "${options.triggerWord}"` });
    }
    paired.push({ entry: image, caption });
  }
  for (const name of captions.keys()) if (!used.has(name)) warnings.push({ file: name, reason: 'caption without an image' });
  return paired;
}
