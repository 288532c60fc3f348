import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One run of ../shared/fixtures/controlnet-tiny-onnx/reference/manifest.json (the fields the tests use). */
export interface ControlNetReferenceRun {
  readonly id: string;
  readonly pipeline: string;
  readonly scheduler: string;
  readonly prompt: string | null;
  readonly negative_prompt: string | null;
  readonly steps: number;
  readonly guidance_scale: number;
  readonly height: number;
  readonly width: number;
  readonly controlnets: readonly string[];
  readonly controlnet_conditioning_scale: readonly number[];
  readonly control_guidance_start: readonly number[];
  readonly control_guidance_end: readonly number[];
  readonly guess_mode: boolean;
  readonly strength: number | null;
  readonly control_images: readonly string[];
  readonly latents: string | null;
  readonly init_image?: string;
  readonly mask_image?: string;
  readonly image: string;
  readonly final_latents: string;
  readonly timesteps: readonly number[];
  readonly effective_conditioning_scale_per_step: ReadonlyArray<readonly number[]>;
  readonly noise?: ReadonlyArray<{ readonly file: string }>;
  readonly prompt_embeds?: { readonly file: string; readonly shape: readonly number[] };
  readonly negative_prompt_embeds?: { readonly file: string };
  readonly pooled_prompt_embeds?: { readonly file: string };
  readonly negative_pooled_prompt_embeds?: { readonly file: string };
}

export interface ControlNetReference {
  /** The fixture folder (model/, controlnets/, reference/), or its sdxl/ twin. */
  readonly root: string;
  readonly runs: readonly ControlNetReferenceRun[];
  /** A file of reference/ by name. */
  file(name: string): string;
  f32(name: string): Promise<Float32Array>;
}

export async function readF32(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export async function openControlNetReference(root: string): Promise<ControlNetReference> {
  // Python's json writes -Infinity (DPM-Solver's lambda_min_clipped); JSON.parse does not read it, and no test needs it.
  const text = (await readFile(path.join(root, 'reference', 'manifest.json'), 'utf8')).replace(/(?<=[:[,]\s*)-?(Infinity|NaN)\b/g, 'null');
  const manifest = JSON.parse(text) as { runs: ControlNetReferenceRun[] };
  const file = (name: string): string => path.join(root, 'reference', name);
  return { root, runs: manifest.runs, file, f32: (name) => readF32(file(name)) };
}

export function maxAbsDifferenceWhere(a: Float32Array, b: Float32Array, mask?: (index: number) => boolean): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) if (!mask || mask(i)) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
