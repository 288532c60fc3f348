/**
 * facexlib's paste-back mask (FaceRestoreHelper.paste_faces_to_input_image, upscale factor 1) on a
 * window of the image: the warped face square eroded by a 2×2 box, then — with w_edge =
 * ⌊√area⌋ // 20 — eroded by a (2·w_edge)² box and Gaussian-blurred with a (2·w_edge + 1)² kernel,
 * so the restored face fades out inside its own square instead of showing its edges.
 */
export function softMask(warped: Float32Array, width: number, height: number): { eroded: Float32Array; soft: Float32Array } {
  const eroded = erode(warped, width, height, 2);
  let area = 0;
  for (const value of eroded) area += value;
  const edge = Math.floor(Math.floor(Math.sqrt(area)) / 20);
  const centre = edge > 0 ? erode(eroded, width, height, 2 * edge) : eroded;
  const soft = edge > 0 ? gaussianBlur(centre, width, height, 2 * edge + 1) : centre.slice();
  return { eroded, soft };
}

/**
 * cv2.erode with a size×size box (anchor at size/2): the minimum over x − ⌊size/2⌋ … x + size −
 * 1 − ⌊size/2⌋; outside the window counts as +∞, as OpenCV's default border does.
 */
export function erode(mask: Float32Array, width: number, height: number, size: number): Float32Array {
  const before = Math.floor(size / 2);
  const after = size - 1 - before;
  const rows = new Float32Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let min = Infinity;
      for (let k = Math.max(0, x - before); k <= Math.min(width - 1, x + after); k++) min = Math.min(min, mask[y * width + k]);
      rows[y * width + x] = min;
    }
  }
  const out = new Float32Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let min = Infinity;
      for (let k = Math.max(0, y - before); k <= Math.min(height - 1, y + after); k++) min = Math.min(min, rows[k * width + x]);
      out[y * width + x] = min;
    }
  }
  return out;
}

/** cv2.getGaussianKernel's fixed kernels for ksize ≤ 7 with σ ≤ 0 (it does not sample a Gaussian there). */
const SMALL_KERNELS: Readonly<Record<number, readonly number[]>> = {
  1: [1],
  3: [0.25, 0.5, 0.25],
  5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
  7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
};

/** cv2.getGaussianKernel(ksize, 0): the fixed table up to 7, else sampled at σ = 0.3·((ksize − 1)/2 − 1) + 0.8. */
export function gaussianKernel(ksize: number): Float64Array {
  const fixed = SMALL_KERNELS[ksize];
  if (fixed) return Float64Array.from(fixed);
  const sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
  const radius = (ksize - 1) / 2;
  const kernel = new Float64Array(ksize);
  let sum = 0;
  for (let i = 0; i < ksize; i++) sum += kernel[i] = Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma));
  return kernel.map((value) => value / sum);
}

/** cv2.GaussianBlur with an odd ksize and σ = 0, reflect-101 borders. */
export function gaussianBlur(mask: Float32Array, width: number, height: number, ksize: number): Float32Array {
  const radius = (ksize - 1) / 2;
  const kernel = gaussianKernel(ksize);
  const rows = new Float32Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = 0; i < ksize; i++) acc += kernel[i] * mask[y * width + reflect101(x + i - radius, width)];
      rows[y * width + x] = acc;
    }
  }
  const out = new Float32Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = 0; i < ksize; i++) acc += kernel[i] * rows[reflect101(y + i - radius, height) * width + x];
      out[y * width + x] = acc;
    }
  }
  return out;
}

function reflect101(index: number, length: number): number {
  if (length === 1) return 0;
  let i = index;
  while (i < 0 || i >= length) i = i < 0 ? -i : 2 * length - 2 - i;
  return i;
}
