import { pixelImage, type PixelImage } from './pixel-image.js';

/** The cv2.resize interpolations controlnet_aux and the reference annotators use. */
export type CvInterpolation = 'linear' | 'area' | 'lanczos4';

const COEF_BITS = 11; // OpenCV's INTER_RESIZE_COEF_BITS: 8-bit resizes run in this fixed point
const COEF_SCALE = 1 << COEF_BITS;

/** cv2.resize(image, (width, height), interpolation) on 8 bits. */
export function cvResize(image: PixelImage, width: number, height: number, interpolation: CvInterpolation): PixelImage {
  if (width === image.width && height === image.height) return image;
  const scaleX = image.width / width;
  const scaleY = image.height / height;
  // OpenCV turns an exact 2x linear downscale into area averaging.
  if (interpolation === 'linear' && scaleX === 2 && scaleY === 2) return areaFast(image, width, height, 2, 2);
  if (interpolation === 'area' && scaleX >= 1 && scaleY >= 1) {
    if (Number.isInteger(scaleX) && Number.isInteger(scaleY)) return areaFast(image, width, height, scaleX, scaleY);
    return areaExact(image, width, height);
  }
  // Area upscaling is OpenCV's bilinear variant with weights from pixel overlap; Lanczos-4 is used
  // instead by every annotator that enlarges, so this path only serves linear and Lanczos-4.
  const taps = interpolation === 'lanczos4' ? 8 : 2;
  const xs = fixedPoint(separableTaps(image.width, width, taps, interpolation));
  const ys = fixedPoint(separableTaps(image.height, height, taps, interpolation));
  return fixedPointSeparable(image, width, height, xs, ys, interpolation);
}

export interface Taps<W extends Int32Array | Float32Array = Float32Array> {
  readonly first: Int32Array; // first source index per output (before clamping)
  readonly weights: W; // `taps` weights per output
  readonly taps: number;
}

function fixedPoint(taps: Taps): Taps<Int32Array> {
  return { ...taps, weights: Int32Array.from(taps.weights, (w) => Math.round(w * COEF_SCALE)) };
}

/** Source taps and float weights of cv2.resize along one axis (linear, cubic or Lanczos-4). */
export function separableTaps(inSize: number, outSize: number, taps: number, interpolation: CvInterpolation | 'cubic'): Taps {
  const scale = inSize / outSize;
  const first = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  const coefficients = new Float64Array(taps);
  for (let d = 0; d < outSize; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (interpolation === 'linear') {
      if (s < 0) {
        f = 0;
        s = 0;
      }
      if (s >= inSize - 1) {
        f = 0;
        s = inSize - 1;
      }
    }
    first[d] = s - (taps / 2 - 1);
    if (interpolation === 'linear') {
      coefficients[0] = 1 - f;
      coefficients[1] = f;
    } else if (interpolation === 'cubic') cubicCoefficients(f, coefficients);
    else lanczos4Coefficients(f, coefficients);
    for (let k = 0; k < taps; k++) weights[d * taps + k] = coefficients[k];
  }
  return { first, weights, taps };
}

/** OpenCV's interpolateCubic (A = -0.75). */
function cubicCoefficients(x: number, out: Float64Array): void {
  const A = -0.75;
  out[0] = Math.fround(((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A);
  out[1] = Math.fround(((A + 2) * x - (A + 3)) * x * x + 1);
  out[2] = Math.fround(((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1);
  out[3] = Math.fround(1 - out[0] - out[1] - out[2]);
}

/** OpenCV's interpolateLanczos4: windowed sinc over 8 taps, normalised in float. */
function lanczos4Coefficients(x: number, out: Float64Array): void {
  const s45 = Math.SQRT1_2;
  const cs = [
    [1, 0],
    [-s45, -s45],
    [0, 1],
    [s45, -s45],
    [-1, 0],
    [s45, s45],
    [0, -1],
    [-s45, s45],
  ];
  const y0 = -(x + 3) * Math.PI * 0.25;
  const s0 = Math.sin(y0);
  const c0 = Math.cos(y0);
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const distance = x + 3 - i;
    if (Math.abs(distance) >= Math.fround(1e-6)) {
      const y = -distance * Math.PI * 0.25;
      out[i] = Math.fround((cs[i][0] * s0 + cs[i][1] * c0) / (y * y));
    } else out[i] = Math.fround(1e30);
    sum = Math.fround(sum + out[i]);
  }
  const inverse = Math.fround(1 / sum);
  for (let i = 0; i < 8; i++) out[i] = Math.fround(out[i] * inverse);
}

/** Rows then columns in OpenCV's 11-bit fixed point; borders replicate. */
function fixedPointSeparable(image: PixelImage, width: number, height: number, xs: Taps<Int32Array>, ys: Taps<Int32Array>, interpolation: CvInterpolation): PixelImage {
  const { channels } = image;
  const horizontal = new Int32Array(image.height * width * channels);
  for (let y = 0; y < image.height; y++) {
    for (let d = 0; d < width; d++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < xs.taps; k++) {
          const sx = Math.min(image.width - 1, Math.max(0, xs.first[d] + k));
          sum += image.data[(y * image.width + sx) * channels + c] * xs.weights[d * xs.taps + k];
        }
        horizontal[(y * width + d) * channels + c] = sum;
      }
    }
  }
  const out = new Uint8Array(width * height * channels);
  const shift = 2 * COEF_BITS;
  for (let d = 0; d < height; d++) {
    for (let i = 0; i < width * channels; i++) {
      const rows = (k: number): number => horizontal[Math.min(image.height - 1, Math.max(0, ys.first[d] + k)) * width * channels + i];
      const beta = (k: number): number => ys.weights[d * ys.taps + k];
      let value: number;
      if (interpolation === 'linear') {
        // OpenCV's vector code: 16-bit high products of (row >> 4) and the weight, then (+2) >> 2.
        value = (mulHi(rows(0) >> 4, beta(0)) + mulHi(rows(1) >> 4, beta(1)) + 2) >> 2;
      } else {
        let sum = 0;
        for (let k = 0; k < ys.taps; k++) sum += rows(k) * beta(k);
        value = Math.floor((sum + 2 ** (shift - 1)) / 2 ** shift);
      }
      out[d * width * channels + i] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }
  return pixelImage(width, height, channels, out);
}

/** The high 16 bits of a 16x16-bit product (both operands saturated to int16 as v_pack does). */
function mulHi(a: number, b: number): number {
  const sa = Math.max(-32768, Math.min(32767, a));
  return Math.floor((sa * b) / 65536);
}

/** Integer-factor area averaging: OpenCV's fast path, rounding half up. */
function areaFast(image: PixelImage, width: number, height: number, fx: number, fy: number): PixelImage {
  const { channels } = image;
  const out = new Uint8Array(width * height * channels);
  const area = fx * fy;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let j = 0; j < fy; j++) {
          for (let i = 0; i < fx; i++) sum += image.data[((y * fy + j) * image.width + x * fx + i) * channels + c];
        }
        // The 2x2 case has its own vector code (add 2, shift); other factors multiply by 1/area in float.
        out[(y * width + x) * channels + c] = area === 4 ? (sum + 2) >> 2 : roundHalfEven(Math.fround(sum * Math.fround(1 / area)));
      }
    }
  }
  return pixelImage(width, height, channels, out);
}

/** Fractional-factor area averaging: each output is the overlap-weighted mean of the source pixels. */
function areaExact(image: PixelImage, width: number, height: number): PixelImage {
  const { channels } = image;
  const xw = overlapWeights(image.width, width);
  const yw = overlapWeights(image.height, height);
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (const [sy, wy] of yw[y]) {
          let row = 0;
          for (const [sx, wx] of xw[x]) row += image.data[(sy * image.width + sx) * channels + c] * wx;
          sum += row * wy;
        }
        out[(y * width + x) * channels + c] = Math.min(255, Math.max(0, roundHalfEven(sum)));
      }
    }
  }
  return pixelImage(width, height, channels, out);
}

function overlapWeights(inSize: number, outSize: number): [number, number][][] {
  const scale = inSize / outSize;
  const result: [number, number][][] = [];
  for (let d = 0; d < outSize; d++) {
    const start = d * scale;
    const end = start + scale;
    const taps: [number, number][] = [];
    for (let s = Math.floor(start); s < Math.min(inSize, Math.ceil(end)); s++) {
      const overlap = Math.min(end, s + 1) - Math.max(start, s);
      if (overlap > 1e-12) taps.push([s, overlap / scale]);
    }
    result.push(taps);
  }
  return result;
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (Math.abs(fraction - 0.5) > 1e-9) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}
