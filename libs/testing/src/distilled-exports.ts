import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './shared-fixtures.js';

/** The tiny distilled SDXL exports committed under test/fixtures/distilled-sdxl (make_tiny_exports.py). */
export const DISTILLED_VARIANTS = ['ssd-1b-tiny', 'vega-tiny', 'sdxl-turbo-tiny'] as const;
export type DistilledVariant = (typeof DISTILLED_VARIANTS)[number];

export function distilledFixture(relative = ''): string {
  return path.join(repoRoot(), 'test', 'fixtures', 'distilled-sdxl', relative);
}

/**
 * A servable model folder at `target`: the variant's UNet, configs and scheduler file, the shared
 * tiny text encoders and VAE (the fixture keeps one copy of them), and the repository's CLIP
 * tokenizers (`tokenizer/` pad `<|endoftext|>`, `tokenizer_2/` pad `!`, as SDXL ships them).
 */
export async function assembleDistilledExport(variant: DistilledVariant, target: string): Promise<string> {
  await mkdir(target, { recursive: true });
  await cp(distilledFixture(variant), target, { recursive: true });
  for (const component of ['text_encoder', 'text_encoder_2', 'vae_decoder']) {
    await cp(distilledFixture(path.join('common', component)), path.join(target, component), { recursive: true });
  }
  await cp(path.join(repoRoot(), 'libs', 'diffusion', 'assets', 'clip-tokenizer'), path.join(target, 'tokenizer'), { recursive: true });
  await cp(path.join(repoRoot(), 'libs', 'demo-model', 'assets', 'tokenizer-pad-bang'), path.join(target, 'tokenizer_2'), { recursive: true });
  return target;
}
