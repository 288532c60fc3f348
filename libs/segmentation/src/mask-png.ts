import sharp from 'sharp';
import type { SegmentationMask } from './segment.js';

/** A binary mask as a greyscale PNG: white (255) selected, black not; the original image's size. */
export async function encodeMaskPng(mask: Pick<SegmentationMask, 'width' | 'height' | 'data'>): Promise<Buffer> {
  return sharp(Buffer.from(mask.data.buffer, mask.data.byteOffset, mask.data.byteLength), { raw: { width: mask.width, height: mask.height, channels: 1 } })
    // One grey channel in the file too (sharp would otherwise write the raw channel as sRGB).
    .toColourspace('b-w')
    .png()
    .toBuffer();
}
