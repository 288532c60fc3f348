import sharp from 'sharp';
import type { RgbImage } from '../pipeline/images.js';
import { IpAdapterError } from './errors.js';
import { pilBicubicResize, type Rgb8Image } from './pil-bicubic.js';

/** An image prompt as given: decoded float RGB (HWC in [0, 1]), or the bytes of a PNG/JPEG/WebP file. */
export type IpImageInput = RgbImage | Uint8Array;

/** CLIP ViT's preprocessing constants (transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD, 224 crops). */
export const CLIP_IMAGE_SIZE = 224;
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073].map(Math.fround);
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711].map(Math.fround);
const RESCALE = 1 / 255;
const MAX_PIXELS = 8192 * 8192;

/** transformers' get_resize_output_image_size(default_to_square=False): shortest side to `size`, the other truncated. */
export function clipResizeSize(width: number, height: number, size = CLIP_IMAGE_SIZE): { width: number; height: number } {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? { width: size, height: newLong } : { width: newLong, height: size };
}

/**
 * transformers' CLIPImageProcessor (the `feature_extractor` of diffusers' IP-Adapter pipelines)
 * on one 8-bit RGB image: shortest side resized to 224 with PIL's bicubic, centre crop 224×224
 * (top/left rounded down), rescale by 1/255 (float64, then float32), normalise with CLIP's
 * mean/std in float32. Returns CHW float32 `pixel_values` for one image.
 */
export function clipPixelValues(image: Rgb8Image, size = CLIP_IMAGE_SIZE): Float32Array {
  const resizedSize = clipResizeSize(image.width, image.height, size);
  const resized = pilBicubicResize(image, resizedSize.width, resizedSize.height);
  const top = Math.floor((resized.height - size) / 2);
  const left = Math.floor((resized.width - size) / 2);
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const source = ((y + top) * resized.width + (x + left)) * 3;
      for (let c = 0; c < 3; c++) {
        const rescaled = Math.fround(resized.data[source + c] * RESCALE);
        out[c * plane + y * size + x] = Math.fround(Math.fround(rescaled - CLIP_MEAN[c]) / CLIP_STD[c]);
      }
    }
  }
  return out;
}

/** 8-bit RGB of an image prompt: files decoded (alpha dropped, like PIL's convert("RGB")), floats rounded. */
export async function decodeIpImage(image: IpImageInput, field: string): Promise<Rgb8Image> {
  if (!(image instanceof Uint8Array)) {
    if (!(image.width > 0 && image.height > 0) || image.data.length !== image.width * image.height * 3) {
      throw new IpAdapterError('ip_adapter_image_invalid', field, `expected ${image.width}×${image.height}×3 values, got ${image.data.length}`);
    }
    return { width: image.width, height: image.height, data: Uint8Array.from(image.data, (value) => Math.round(Math.min(1, Math.max(0, value)) * 255)) };
  }
  const { data, info } = await sharp(image, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: Error) => {
      throw new IpAdapterError('ip_adapter_image_invalid', field, `not a readable image (${error.message})`);
    });
  if (info.channels !== 3) throw new IpAdapterError('ip_adapter_image_invalid', field, `expected RGB, got ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
