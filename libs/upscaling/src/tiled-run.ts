import { UpscaleError } from './errors.js';
import type { UpscaleTiling } from './upscale-options.js';
import { axisTiles, featherWeights, type AxisTile } from './tile-grid.js';
import type { UpscalerModel } from './upscaler-model.js';

/** Fills `out` (NCHW, 3 × h × w) with the model input for the source region at (x, y). */
export type TileSource = (x: number, y: number, width: number, height: number, out: Float32Array) => void;

/** Receives finished output rows: `rows` is HWC RGB float, `count` rows from `firstRow`, `width` wide. */
export type RowSink = (firstRow: number, count: number, rows: Float32Array) => void;

export interface TileProgress {
  /** Tiles finished so far in this call, and the total it will run. */
  readonly done: number;
  readonly total: number;
}

export interface TiledRunHooks {
  readonly signal?: AbortSignal;
  readonly onTile?: (progress: TileProgress) => void;
  /** Added to `done` and `total` so several passes (colour, alpha) report one count. */
  readonly tileOffset?: number;
  readonly tileTotal?: number;
}

export interface TileLayout {
  readonly columns: readonly AxisTile[];
  readonly rows: readonly AxisTile[];
  readonly tileWidth: number;
  readonly tileHeight: number;
}

/** Where the tiles go for an image: a model with a fixed input size dictates the tile size. */
export function tileLayout(model: UpscalerModel, width: number, height: number, tiling: UpscaleTiling): TileLayout {
  const tileWidth = model.fixedSize?.width ?? tiling.tileSize;
  const tileHeight = model.fixedSize?.height ?? tiling.tileSize;
  const overlap = (tile: number): number => Math.min(tiling.overlap, Math.floor(tile / 2));
  return {
    columns: axisTiles(width, tileWidth, overlap(tileWidth)),
    rows: axisTiles(height, tileHeight, overlap(tileHeight)),
    tileWidth,
    tileHeight,
  };
}

/**
 * Upscales a width × height source tile by tile, blending the tiles' outputs with separable
 * feathered weights, and hands finished rows to `sink` in order. Memory: one tile's input and
 * output plus a float strip one tile-row high (output rows are final as soon as the next tile row
 * starts below them), never a float copy of the whole output.
 */
export async function runTiles(
  model: UpscalerModel,
  source: TileSource,
  width: number,
  height: number,
  tiling: UpscaleTiling,
  sink: RowSink,
  hooks: TiledRunHooks = {},
): Promise<void> {
  const scale = model.scale;
  const layout = tileLayout(model, width, height, tiling);
  const overlapX = Math.min(tiling.overlap, Math.floor(layout.tileWidth / 2));
  const overlapY = Math.min(tiling.overlap, Math.floor(layout.tileHeight / 2));
  const weightsX = featherWeights(layout.columns, width, scale, overlapX);
  const weightsY = featherWeights(layout.rows, height, scale, overlapY);
  const outWidth = width * scale;
  const stripRows = Math.min(layout.tileHeight, height) * scale;
  const strip = new Float32Array(stripRows * outWidth * 3);
  const padWidth = model.fixedSize?.width ?? Math.min(layout.tileWidth, width);
  const padHeight = model.fixedSize?.height ?? Math.min(layout.tileHeight, height);
  const input = new Float32Array(3 * padWidth * padHeight);
  const total = hooks.tileTotal ?? layout.columns.length * layout.rows.length;
  let done = hooks.tileOffset ?? 0;
  let stripStart = 0;

  for (let j = 0; j < layout.rows.length; j++) {
    const row = layout.rows[j];
    // Rows above this tile row are final: hand them over and slide the strip down.
    const rowTop = row.start * scale;
    if (rowTop > stripStart) {
      sink(stripStart, rowTop - stripStart, strip.subarray(0, (rowTop - stripStart) * outWidth * 3));
      strip.copyWithin(0, (rowTop - stripStart) * outWidth * 3);
      strip.fill(0, (stripRows - (rowTop - stripStart)) * outWidth * 3);
      stripStart = rowTop;
    }
    for (let i = 0; i < layout.columns.length; i++) {
      if (hooks.signal?.aborted) throw new UpscaleError('upscale_canceled', `upscale canceled after ${done} of ${total} tiles`);
      const column = layout.columns[i];
      fillPadded(source, column.start, row.start, column.size, row.size, padWidth, padHeight, input);
      const output = await model.run(input, padWidth, padHeight);
      accumulate(strip, outWidth, rowTop - stripStart, column.start * scale, output, padWidth * scale, padHeight * scale, weightsX[i], weightsY[j]);
      done += 1;
      hooks.onTile?.({ done, total });
    }
  }
  const outHeight = height * scale;
  sink(stripStart, outHeight - stripStart, strip.subarray(0, (outHeight - stripStart) * outWidth * 3));
}

/**
 * The source region, edge-replicated out to the padded size a fixed-size model needs (its extra
 * output is dropped: the weights only cover the real region).
 */
function fillPadded(source: TileSource, x: number, y: number, width: number, height: number, padWidth: number, padHeight: number, out: Float32Array): void {
  if (width === padWidth && height === padHeight) {
    source(x, y, width, height, out);
    return;
  }
  const region = new Float32Array(3 * width * height);
  source(x, y, width, height, region);
  const plane = padWidth * padHeight;
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < padHeight; v++) {
      const sv = Math.min(v, height - 1);
      for (let u = 0; u < padWidth; u++) out[c * plane + v * padWidth + u] = region[c * width * height + sv * width + Math.min(u, width - 1)];
    }
  }
}

/** strip[row, col] += wy · wx · output for the tile's real region (output NCHW, `outW` wide). */
function accumulate(
  strip: Float32Array,
  stripWidth: number,
  top: number,
  left: number,
  output: Float32Array,
  outW: number,
  outH: number,
  weightsX: Float64Array,
  weightsY: Float64Array,
): void {
  const plane = outW * outH;
  for (let r = 0; r < weightsY.length; r++) {
    const wy = weightsY[r];
    if (wy === 0) continue;
    const base = ((top + r) * stripWidth + left) * 3;
    for (let c = 0; c < weightsX.length; c++) {
      const w = wy * weightsX[c];
      if (w === 0) continue;
      const at = r * outW + c;
      const to = base + c * 3;
      strip[to] += w * output[at];
      strip[to + 1] += w * output[plane + at];
      strip[to + 2] += w * output[2 * plane + at];
    }
  }
}
