import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from '../pipeline/images.js';
import { ControlNetError } from './errors.js';

/** A control map as given: decoded float RGB, or the bytes of a PNG/JPEG/WebP file. */
export type ControlImageInput = RgbImage | Uint8Array;

const MAX_PIXELS = 8192 * 8192;

/** 8-bit RGB at the generation size: decoded (alpha dropped, like PIL's convert("RGB")) and resized. */
async function toRgb8(image: ControlImageInput, width: number, height: number, field: string): Promise<Uint8Array> {
  let source: Sharp;
  let sourceWidth: number;
  let sourceHeight: number;
  if (image instanceof Uint8Array) {
    source = sharp(image, { limitInputPixels: MAX_PIXELS, failOn: 'error' });
    const meta = await source.metadata().catch((error: Error) => {
      throw new ControlNetError('controlnet_image_invalid', field, `not a readable image (${error.message})`);
    });
    if (!meta.width || !meta.height) throw new ControlNetError('controlnet_image_invalid', field, 'image has no size');
    sourceWidth = meta.width;
    sourceHeight = meta.height;
    source = source.removeAlpha().toColourspace('srgb');
  } else {
    if (image.data.length !== image.width * image.height * 3) throw new ControlNetError('controlnet_image_invalid', field, `expected ${image.width}×${image.height}×3 values, got ${image.data.length}`);
    const bytes = Uint8Array.from(image.data, (value) => Math.round(Math.min(1, Math.max(0, value)) * 255));
    if (image.width === width && image.height === height) return bytes;
    source = sharp(bytes, { raw: { width: image.width, height: image.height, channels: 3 } });
    sourceWidth = image.width;
    sourceHeight = image.height;
  }
  // diffusers' VaeImageProcessor (resize_mode "default"): stretched to height × width with Lanczos, no crop.
  if (sourceWidth !== width || sourceHeight !== height) source = source.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
  const { data, info } = await source
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: Error) => {
      throw new ControlNetError('controlnet_image_invalid', field, `not a readable image (${error.message})`);
    });
  if (info.channels !== 3) throw new ControlNetError('controlnet_image_invalid', field, `expected RGB, got ${info.channels} channels`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/**
 * diffusers' `StableDiffusionControlNetPipeline.prepare_image`: RGB, resized to the generation
 * size, `png / 255` in [0, 1] (no [-1, 1] normalisation), NCHW, one copy per image of the batch
 * (`repeat_interleave`), then doubled for classifier-free guidance unless in guess mode. Built
 * once per generation.
 */
export async function prepareControlImage(image: ControlImageInput, width: number, height: number, rows: number, field: string): Promise<Float32Array> {
  const rgb = await toRgb8(image, width, height, field);
  const plane = width * height;
  const one = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) one[c * plane + i] = rgb[i * 3 + c] / 255;
  const out = new Float32Array(rows * one.length);
  for (let row = 0; row < rows; row++) out.set(one, row * one.length);
  return out;
}
