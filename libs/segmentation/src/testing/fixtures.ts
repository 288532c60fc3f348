import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pixelImage, type PixelImage } from '@atelier/preprocessors';

/** libs/segmentation/fixtures, from src/testing or dist/testing alike. */
export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** The integer pattern scripts/make_sam_goldens.py draws: (7x + 13y + 50c + (xy mod 17)) mod 256. */
export function patternImage(width: number, height: number): PixelImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (x * 7 + y * 13 + c * 50 + ((x * y) % 17)) % 256;
    }
  }
  return pixelImage(width, height, 3, data);
}

/** The low-resolution logits the goldens script upscales (its `low_res_logits`), as float32. */
export function lowResLogits(index: number): Float32Array {
  const out = new Float32Array(256 * 256);
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      out[y * 256 + x] = Math.sin(x / (9 + index)) * 4 + Math.cos(y / (13 + index)) * 3 - 1 + (x - y) / 128;
    }
  }
  return out;
}

export interface SamGoldens {
  readonly preprocess: readonly {
    width: number;
    height: number;
    resized: [number, number];
    resized_rgb_sha256: string;
    channel_sums: [number, number, number];
    samples: readonly [number, number, number, number][];
  }[];
  readonly coords: readonly { width: number; height: number; points: readonly [number, number][]; transformed: readonly [number, number][] }[];
  readonly postprocess: readonly { width: number; height: number; index: number; positives: number; sum: number; samples: readonly [number, number, number][] }[];
}

export async function readSamGoldens(): Promise<SamGoldens> {
  return JSON.parse(await readFile(path.join(FIXTURES_DIR, 'sam-goldens.json'), 'utf8')) as SamGoldens;
}
