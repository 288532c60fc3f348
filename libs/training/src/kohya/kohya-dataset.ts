// The job's (already validated and resized) images written the way train_network.py reads a
// train_data_dir: one "<repeats>_<concept>" folder of PNGs with caption files beside them.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { TrainingExample } from '../dataset/training-example.js';
import { datasetDirName } from '../lora/training-metadata.js';
import type { TrainingParams } from '../engine/training-job.js';

export async function writeKohyaDataset(trainDataDir: string, params: TrainingParams, dataset: readonly TrainingExample[]): Promise<string> {
  const folder = path.join(trainDataDir, datasetDirName(params));
  await writeKohyaFolder(folder, params.captionExtension, dataset);
  return folder;
}

/**
 * DreamBooth's class pictures as kohya's reg_data_dir: one "1_<class>" folder (kohya repeats each
 * class picture to match the instance steps) with the class prompt as every caption.
 */
export async function writeKohyaRegularisation(regDataDir: string, params: TrainingParams, pictures: readonly TrainingExample[]): Promise<string> {
  const folder = path.join(regDataDir, `1_${(params.priorPreservation?.classPrompt ?? 'class').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'class'}`);
  await writeKohyaFolder(folder, params.captionExtension, pictures);
  return regDataDir;
}

async function writeKohyaFolder(folder: string, captionExtension: string, dataset: readonly TrainingExample[]): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const [index, example] of dataset.entries()) {
    const { width, height, data } = example.image;
    const bytes = Buffer.from(Uint8Array.from(data, (value) => Math.round(Math.min(Math.max(value, 0), 1) * 255)));
    // Index names: dataset names may repeat across sub-folders or hold characters kohya dislikes.
    const stem = String(index + 1).padStart(4, '0');
    await writeFile(path.join(folder, `${stem}.png`), await sharp(bytes, { raw: { width, height, channels: 3 } }).png().toBuffer());
    await writeFile(path.join(folder, `${stem}${captionExtension}`), `${example.caption}\n`);
  }
}

/** fine_tune.py's in_json: every written image (by absolute path, which kohya takes as is) with its caption. */
export async function writeKohyaFinetuneMetadata(jsonPath: string, imageFolder: string, dataset: readonly TrainingExample[]): Promise<string> {
  const metadata: Record<string, { caption: string }> = {};
  for (const [index, example] of dataset.entries()) metadata[path.resolve(imageFolder, `${String(index + 1).padStart(4, '0')}.png`)] = { caption: example.caption };
  await writeFile(jsonPath, JSON.stringify(metadata, null, 1));
  return jsonPath;
}
