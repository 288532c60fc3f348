/** An image as float RGB in [0, 1], row-major HWC: the pipeline's exchange format. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** A single-channel mask in [0, 1], white (1) = repaint. */
export interface MaskImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** HWC [0,1] → NCHW [-1,1] for the VAE encoder. */
export function toVaeInput(image: RgbImage): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = image.data[i * 3 + c] * 2 - 1;
  }
  return out;
}

/** VAE decoder output NCHW [-1,1] (one image at `index`) → HWC [0,1], clamped like diffusers. */
export function fromVaeOutput(data: Float32Array, index: number, width: number, height: number): Float32Array {
  const plane = width * height;
  const base = index * 3 * plane;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const value = data[base + c * plane + i] / 2 + 0.5;
      out[i * 3 + c] = value < 0 ? 0 : value > 1 ? 1 : value;
    }
  }
  return out;
}

/** Area-average downsample of a mask to latent resolution. */
export function maskToLatent(mask: MaskImage, latentWidth: number, latentHeight: number): Float32Array {
  const out = new Float32Array(latentWidth * latentHeight);
  const sx = mask.width / latentWidth;
  const sy = mask.height / latentHeight;
  for (let y = 0; y < latentHeight; y++) {
    for (let x = 0; x < latentWidth; x++) {
      let sum = 0;
      let count = 0;
      for (let yy = Math.floor(y * sy); yy < Math.floor((y + 1) * sy); yy++) {
        for (let xx = Math.floor(x * sx); xx < Math.floor((x + 1) * sx); xx++) {
          sum += mask.data[yy * mask.width + xx];
          count++;
        }
      }
      out[y * latentWidth + x] = count ? sum / count : 0;
    }
  }
  return out;
}

/**
 * diffusers' latent mask: binarised at 0.5, then nearest down-sampling to latent size (the pixel
 * at [⌊y·H/h⌋, ⌊x·W/w⌋]), as its inpainting pipelines' `interpolate(mask, size)` does.
 */
export function maskToLatentNearest(mask: MaskImage, latentWidth: number, latentHeight: number): Float32Array {
  const out = new Float32Array(latentWidth * latentHeight);
  for (let y = 0; y < latentHeight; y++) {
    for (let x = 0; x < latentWidth; x++) {
      const sourceY = Math.floor((y * mask.height) / latentHeight);
      const sourceX = Math.floor((x * mask.width) / latentWidth);
      out[y * latentWidth + x] = mask.data[sourceY * mask.width + sourceX] >= 0.5 ? 1 : 0;
    }
  }
  return out;
}
