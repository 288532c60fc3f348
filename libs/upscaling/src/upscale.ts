import { checkPixelImage, hasTransparency, toByte, type PixelImage } from './pixel-image.js';
import { parseUpscaleTiling, type UpscaleTilingInput } from './upscale-options.js';
import { runTiles, tileLayout, type TileProgress, type TileSource } from './tiled-run.js';
import type { UpscalerModel } from './upscaler-model.js';

export interface UpscaleOptions extends UpscaleTilingInput {
  /** Checked before every tile; an aborted signal ends the upscale with `upscale_canceled`. */
  readonly signal?: AbortSignal;
  /** Called after every tile (the alpha pass's tiles included in `total`). */
  readonly onProgress?: (progress: TileProgress) => void;
}

/**
 * Upscales an 8-bit RGB or RGBA image by the model's scale, tiled. The result has the input's
 * channels. Alpha, when any pixel is not opaque, goes through the model too, as Real-ESRGAN's
 * default `alpha_upsampler='realesrgan'` does: the alpha plane as a grey RGB image, upscaled,
 * back to one channel with BT.601 luma (0.299 R + 0.587 G + 0.114 B). A fully opaque alpha
 * stays 255 without a second pass.
 */
export async function upscale(image: PixelImage, model: UpscalerModel, options: UpscaleOptions = {}): Promise<PixelImage> {
  checkPixelImage(image);
  const { signal, onProgress, ...tilingInput } = options;
  const tiling = parseUpscaleTiling(tilingInput);
  const { width, height, channels } = image;
  const scale = model.scale;
  const outWidth = width * scale;
  const out = new Uint8Array(outWidth * height * scale * channels);
  const layout = tileLayout(model, width, height, tiling);
  const passTiles = layout.columns.length * layout.rows.length;
  const alphaPass = hasTransparency(image);
  const tileTotal = alphaPass ? 2 * passTiles : passTiles;

  await runTiles(
    model,
    colourSource(image),
    width,
    height,
    tiling,
    (x, y, values) => {
      for (let p = 0; p < values.length / 3; p++) {
        const to = (y * outWidth + x + p) * channels;
        out[to] = toByte(values[p * 3]);
        out[to + 1] = toByte(values[p * 3 + 1]);
        out[to + 2] = toByte(values[p * 3 + 2]);
        if (channels === 4) out[to + 3] = 255;
      }
    },
    { signal, onTile: onProgress, tileTotal },
  );
  if (alphaPass) {
    await runTiles(
      model,
      alphaSource(image),
      width,
      height,
      tiling,
      (x, y, values) => {
        for (let p = 0; p < values.length / 3; p++) {
          out[(y * outWidth + x + p) * 4 + 3] = toByte(0.299 * values[p * 3] + 0.587 * values[p * 3 + 1] + 0.114 * values[p * 3 + 2]);
        }
      },
      { signal, onTile: onProgress, tileOffset: passTiles, tileTotal },
    );
  }
  return { width: outWidth, height: height * scale, channels, data: out };
}

/** The image's RGB as the model's NCHW input in [0,1]. */
export function colourSource(image: PixelImage): TileSource {
  return (x, y, width, height, out) => {
    const plane = width * height;
    for (let v = 0; v < height; v++) {
      for (let u = 0; u < width; u++) {
        const from = ((y + v) * image.width + x + u) * image.channels;
        const at = v * width + u;
        out[at] = image.data[from] / 255;
        out[plane + at] = image.data[from + 1] / 255;
        out[2 * plane + at] = image.data[from + 2] / 255;
      }
    }
  };
}

/** The alpha plane as a grey RGB input. */
function alphaSource(image: PixelImage): TileSource {
  return (x, y, width, height, out) => {
    const plane = width * height;
    for (let v = 0; v < height; v++) {
      for (let u = 0; u < width; u++) {
        const value = image.data[((y + v) * image.width + x + u) * 4 + 3] / 255;
        const at = v * width + u;
        out[at] = out[plane + at] = out[2 * plane + at] = value;
      }
    }
  };
}
