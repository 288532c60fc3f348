import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

const ASSET_PATH = join('libs', 'diffusion', 'assets', 'clip-tokenizer');
const PAD_BANG_ASSET_PATH = join('libs', 'demo-model', 'assets', 'tokenizer-pad-bang');

/**
 * A tokenizer folder of the repository, searched upwards from this module because it runs both
 * from libs/demo-model/src (sources) and libs/demo-model/dist (compiled), and tsc copies no assets.
 */
function findTokenizerAssets(assetPath: string, start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, assetPath);
    if (existsSync(join(candidate, 'vocab.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`no ${assetPath}/vocab.json found above ${start}`);
  }
}

/** The CLIP ViT-L/14 tokenizer folder (SD 1.x, SDXL `tokenizer/`: pad `<|endoftext|>`). */
export function findClipTokenizerAssets(start: string = dirname(fileURLToPath(import.meta.url))): string {
  return findTokenizerAssets(ASSET_PATH, start);
}

/** The same vocabulary as OpenCLIP ships it (SD 2.x, SDXL `tokenizer_2/`: pad `!`, id 0). */
export function findPadBangTokenizerAssets(start: string = dirname(fileURLToPath(import.meta.url))): string {
  return findTokenizerAssets(PAD_BANG_ASSET_PATH, start);
}

export async function copyTokenizerFiles(sourceDir: string, targetDir: string): Promise<void> {
  await mkdir(targetDir, { recursive: true });
  for (const file of TOKENIZER_FILES) await copyFile(join(sourceDir, file), join(targetDir, file));
}

export async function readVocab(tokenizerDir: string): Promise<Record<string, number>> {
  const parsed: unknown = JSON.parse(await readFile(join(tokenizerDir, 'vocab.json'), 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${tokenizerDir}/vocab.json is not an object`);
  const vocab: Record<string, number> = {};
  for (const [token, id] of Object.entries(parsed)) {
    if (typeof id === 'number') vocab[token] = id;
  }
  return vocab;
}
