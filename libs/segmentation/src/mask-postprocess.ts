import { preprocessSize, SAM_IMAGE_SIZE, type Size } from './sam-transform.js';

/** A float plane, row-major. */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/**
 * torch's F.interpolate(mode="bilinear", align_corners=False) without anti-aliasing: each output
 * pixel centre maps back to (o + 0.5) * in / out - 0.5, clamped at 0, and blends its two
 * neighbours on each axis (the last one repeated at the far edge).
 */
export function bilinearResize(plane: Plane, width: number, height: number): Plane {
  const xs = axisTaps(plane.width, width);
  const ys = axisTaps(plane.height, height);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const top = ys.low[y] * plane.width;
    const bottom = ys.high[y] * plane.width;
    const wy = ys.weight[y];
    for (let x = 0; x < width; x++) {
      const wx = xs.weight[x];
      const upper = plane.data[top + xs.low[x]] * (1 - wx) + plane.data[top + xs.high[x]] * wx;
      const lower = plane.data[bottom + xs.low[x]] * (1 - wx) + plane.data[bottom + xs.high[x]] * wx;
      out[y * width + x] = upper * (1 - wy) + lower * wy;
    }
  }
  return { width, height, data: out };
}

function axisTaps(inSize: number, outSize: number): { low: Int32Array; high: Int32Array; weight: Float64Array } {
  const scale = inSize / outSize;
  const low = new Int32Array(outSize);
  const high = new Int32Array(outSize);
  const weight = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const source = Math.max((o + 0.5) * scale - 0.5, 0);
    const index = Math.min(Math.floor(source), inSize - 1);
    low[o] = index;
    high[o] = Math.min(index + 1, inSize - 1);
    weight[o] = source - index;
  }
  return { low, high, weight };
}

export function crop(plane: Plane, width: number, height: number): Plane {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) out.set(plane.data.subarray(y * plane.width, y * plane.width + width), y * width);
  return { width, height, data: out };
}

/**
 * SAM's mask post-processing (SamOnnxModel.mask_postprocessing, SamImageProcessor.post_process_masks):
 * low-resolution logits over the padded frame → bilinear to 1024x1024 → the padding cropped off →
 * bilinear to the original size. Still logits; the caller thresholds them.
 */
export function upscaleMaskLogits(lowRes: Plane, original: Size): Plane {
  const padded = bilinearResize(lowRes, SAM_IMAGE_SIZE, SAM_IMAGE_SIZE);
  const resized = preprocessSize(original);
  return bilinearResize(crop(padded, resized.width, resized.height), original.width, original.height);
}

/** SAM's mask threshold: logits above 0 are selected (255), the rest 0. */
export function binarize(logits: Plane, threshold = 0): Uint8Array {
  const out = new Uint8Array(logits.data.length);
  for (let i = 0; i < out.length; i++) out[i] = logits.data[i] > threshold ? 255 : 0;
  return out;
}
