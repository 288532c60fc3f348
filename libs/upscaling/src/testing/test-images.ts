import type { PixelImage } from '../pixel-image.js';

/** A deterministic noisy 8-bit image (xorshift), so tile seams cannot hide in flat regions. */
export function noiseImage(width: number, height: number, channels: 3 | 4, seed = 1): PixelImage {
  let state = seed >>> 0 || 1;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data[i] = (state >>> 0) & 255;
  }
  return { width, height, channels, data };
}
