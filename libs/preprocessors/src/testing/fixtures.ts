import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { pixelImage, type PixelImage } from '../image/pixel-image.js';

/** libs/preprocessors/fixtures, from src/testing or dist/testing alike. */
export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** A fixture PNG exactly as stored: grey stays one channel, RGB three. */
export async function readFixturePng(relative: string): Promise<PixelImage> {
  const file = path.join(FIXTURES_DIR, relative);
  const { channels } = await sharp(file).metadata();
  const decoder = channels === 1 ? sharp(file).toColourspace('b-w') : sharp(file).removeAlpha();
  const { data, info } = await decoder.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 && info.channels !== 3) throw new Error(`${relative}: ${info.channels} channels`);
  return pixelImage(info.width, info.height, info.channels, new Uint8Array(data.buffer, data.byteOffset, data.length));
}
