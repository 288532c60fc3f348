import { PNG } from 'pngjs';

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly rgba: Buffer;
  readonly text: Record<string, string>;
}

/** Decodes with pngjs (an independent decoder) and reads tEXt chunks by hand. */
export function decodePng(bytes: Buffer): DecodedPng {
  const png = PNG.sync.read(bytes);
  const text: Record<string, string> = {};
  let offset = 8;
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (type === 'tEXt') {
      const data = bytes.subarray(offset + 8, offset + 8 + length);
      const zero = data.indexOf(0);
      text[data.toString('latin1', 0, zero)] = data.toString('latin1', zero + 1);
    }
    offset += 12 + length;
  }
  return { width: png.width, height: png.height, rgba: png.data, text };
}

export function pixel(png: DecodedPng, x: number, y: number): [number, number, number] {
  const index = (y * png.width + x) * 4;
  return [png.rgba[index], png.rgba[index + 1], png.rgba[index + 2]];
}
