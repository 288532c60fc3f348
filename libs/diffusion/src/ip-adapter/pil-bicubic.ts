/** 8-bit interleaved RGB, row-major (what PIL holds for an "RGB" image). */
export interface Rgb8Image {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const PRECISION_BITS = 32 - 8 - 2;

/** PIL's bicubic kernel (a = -0.5, support 2). */
function bicubic(value: number): number {
  const a = -0.5;
  const x = Math.abs(value);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** PIL's precompute_coeffs + normalize_coeffs_8bpc: weights in 22-bit fixed point. */
function coefficients(inSize: number, outSize: number): { starts: Int32Array; counts: Int32Array; weights: Int32Array; taps: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  const inverse = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(centre - support + 0.5), 0);
    const count = Math.min(Math.trunc(centre + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < count; x++) {
      k[x] = bicubic((x + xmin - centre + 0.5) * inverse);
      total += k[x];
    }
    for (let x = 0; x < count; x++) {
      const w = total === 0 ? k[x] : k[x] / total;
      weights[xx * taps + x] = Math.trunc(w * (1 << PRECISION_BITS) + (w < 0 ? -0.5 : 0.5));
    }
    starts[xx] = xmin;
    counts[xx] = count;
  }
  return { starts, counts, weights, taps };
}

/** One separable pass (horizontal or vertical), rounded and clipped to 8 bits as PIL's clip8. */
function pass(image: Rgb8Image, outSize: number, horizontal: boolean): Rgb8Image {
  const inSize = horizontal ? image.width : image.height;
  const { starts, counts, weights, taps } = coefficients(inSize, outSize);
  const width = horizontal ? outSize : image.width;
  const height = horizontal ? image.height : outSize;
  const out = new Uint8Array(width * height * 3);
  const half = 1 << (PRECISION_BITS - 1);
  const unit = 1 << PRECISION_BITS;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = horizontal ? x : y;
      for (let c = 0; c < 3; c++) {
        let sum = half;
        for (let t = 0; t < counts[o]; t++) {
          const s = starts[o] + t;
          const source = horizontal ? (y * image.width + s) * 3 + c : (s * image.width + x) * 3 + c;
          sum += image.data[source] * weights[o * taps + t];
        }
        const value = Math.floor(sum / unit);
        out[(y * width + x) * 3 + c] = value < 0 ? 0 : value > 255 ? 255 : value;
      }
    }
  }
  return { width, height, data: out };
}

/**
 * PIL's `Image.resize(size, Image.BICUBIC)` on an 8-bit RGB image: anti-aliased when shrinking
 * (the kernel widens with the scale), horizontal pass then vertical, each rounded to 8 bits.
 */
export function pilBicubicResize(image: Rgb8Image, width: number, height: number): Rgb8Image {
  if (width === image.width && height === image.height) return image;
  const horizontal = width === image.width ? image : pass(image, width, true);
  return height === image.height ? horizontal : pass(horizontal, height, false);
}
