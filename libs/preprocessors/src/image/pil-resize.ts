import { pixelImage, type PixelImage } from './pixel-image.js';

/**
 * PIL's Image.resize(size, Image.LANCZOS) on 8 bits: what diffusers' control image processor does
 * when the control map's size differs from the generation size. A convolution whose support grows
 * with the downscale factor (anti-aliased), horizontal pass then vertical, each rounded to 8 bits
 * from PIL's 22-bit fixed point.
 */
export function pilLanczosResize(image: PixelImage, width: number, height: number): PixelImage {
  return pilResize(image, width, height, LANCZOS);
}

/**
 * PIL's Image.resize(size, Image.BILINEAR) on 8 bits: what Segment Anything's ResizeLongestSide
 * (torchvision's resize of a PIL image) and transformers' SamImageProcessor do. Like PIL, the
 * triangle filter widens with the downscale factor, so shrinking is anti-aliased.
 */
export function pilBilinearResize(image: PixelImage, width: number, height: number): PixelImage {
  return pilResize(image, width, height, BILINEAR);
}

interface PilFilter {
  readonly support: number;
  readonly weight: (x: number) => number;
}

function pilResize(image: PixelImage, width: number, height: number, filter: PilFilter): PixelImage {
  if (width === image.width && height === image.height) return image;
  const horizontal = width === image.width ? image : pass(image, width, true, filter);
  return height === image.height ? horizontal : pass(horizontal, height, false, filter);
}

const PRECISION_BITS = 32 - 8 - 2;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

const LANCZOS: PilFilter = { support: 3, weight: lanczos };
const BILINEAR: PilFilter = { support: 1, weight: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) };

function coefficients(inSize: number, outSize: number, filter: PilFilter): { starts: Int32Array; counts: Int32Array; weights: Int32Array; taps: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale;
    const inverse = 1 / filterScale;
    const xmin = Math.max(Math.trunc(centre - support + 0.5), 0);
    const count = Math.min(Math.trunc(centre + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < count; x++) {
      k[x] = filter.weight((x + xmin - centre + 0.5) * inverse);
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

function pass(image: PixelImage, outSize: number, horizontal: boolean, filter: PilFilter): PixelImage {
  const { channels } = image;
  const inSize = horizontal ? image.width : image.height;
  const { starts, counts, weights, taps } = coefficients(inSize, outSize, filter);
  const width = horizontal ? outSize : image.width;
  const height = horizontal ? image.height : outSize;
  const out = new Uint8Array(width * height * channels);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = horizontal ? x : y;
      for (let c = 0; c < channels; c++) {
        let sum = half;
        for (let t = 0; t < counts[o]; t++) {
          const s = starts[o] + t;
          const source = horizontal ? (y * image.width + s) * channels + c : (s * image.width + x) * channels + c;
          sum += image.data[source] * weights[o * taps + t];
        }
        const value = Math.floor(sum / (1 << PRECISION_BITS));
        out[(y * width + x) * channels + c] = value < 0 ? 0 : value > 255 ? 255 : value;
      }
    }
  }
  return pixelImage(width, height, channels, out);
}
