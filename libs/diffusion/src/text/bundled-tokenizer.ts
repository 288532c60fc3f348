import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClipTokenizer } from './clip-tokenizer.js';
import { findRepoRoot } from './repo-root.js';

/**
 * The CLIP ViT-L/14 tokenizer folder shipped in the repository (SD 1.x and SDXL `tokenizer/`).
 * Resolved from the repository root because tsc does not copy assets into the package's dist/.
 */
export function bundledClipTokenizerDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.join(findRepoRoot(here), 'libs', 'diffusion', 'assets', 'clip-tokenizer');
}

/** Loads the bundled tokenizer; for models shipping their own tokenizer/ folder, use ClipTokenizer.fromFolder. */
export function loadBundledClipTokenizer(): Promise<ClipTokenizer> {
  return ClipTokenizer.fromFolder(bundledClipTokenizerDir());
}
