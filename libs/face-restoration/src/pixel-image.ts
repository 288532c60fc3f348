import { FaceRestoreError } from './errors.js';

/** An 8-bit image, row-major HWC, RGB or RGBA (alpha is carried through untouched). */
export interface PixelImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

export function checkPixelImage(image: PixelImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new FaceRestoreError('face_image_invalid', `image size ${width}x${height} is not a positive integer size`);
  }
  if (channels !== 3 && channels !== 4) throw new FaceRestoreError('face_image_invalid', `image has ${String(channels)} channels, expected 3 or 4`);
  if (data.length !== width * height * channels) {
    throw new FaceRestoreError('face_image_invalid', `expected ${width * height * channels} bytes for ${width}x${height}x${channels}, got ${data.length}`);
  }
}

/** The RGB planes of an RGB or RGBA image, HWC, as the detector's resize needs them. */
export function rgbBytes(image: PixelImage): Uint8Array {
  if (image.channels === 3) return image.data;
  const out = new Uint8Array(image.width * image.height * 3);
  for (let i = 0; i < image.width * image.height; i++) {
    out[i * 3] = image.data[i * 4];
    out[i * 3 + 1] = image.data[i * 4 + 1];
    out[i * 3 + 2] = image.data[i * 4 + 2];
  }
  return out;
}
