import { UpscaleError } from './errors.js';
import type { UpscaleTiling } from './upscale-options.js';
import { axisTiles, featherWeights, type AxisTile } from './tile-grid.js';
import type { UpscalerModel } from './upscaler-model.js';

/** Fills `out` (NCHW, 3 × h × w) with the model input for the source region at (x, y). */
export type TileSource = (x: number, y: number, width: number, height: number, out: Float32Array) => void;

/**
 * Receives finished output: `values` is one row segment, HWC RGB float, `values.length / 3`
 * pixels starting at output pixel (x, y). Every output pixel is delivered exactly once.
 */
export type SegmentSink = (x: number, y: number, values: Float32Array) => void;

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
 * feathered weights, and hands each output pixel to `sink` once, as soon as no later tile can
 * add to it. Memory besides the caller's output: one tile's input and output, a working buffer
 * the size of one output tile (the current tile plus what it shares with the next one in its
 * row), and a band as wide as the output and as high as the overlap (what the next tile row
 * adds to) — never a float copy of the whole output.
 */
export async function runTiles(
  model: UpscalerModel,
  source: TileSource,
  width: number,
  height: number,
  tiling: UpscaleTiling,
  sink: SegmentSink,
  hooks: TiledRunHooks = {},
): Promise<void> {
  const scale = model.scale;
  const layout = tileLayout(model, width, height, tiling);
  const overlapX = Math.min(tiling.overlap, Math.floor(layout.tileWidth / 2));
  const overlapY = Math.min(tiling.overlap, Math.floor(layout.tileHeight / 2));
  const weightsX = featherWeights(layout.columns, width, scale, overlapX);
  const weightsY = featherWeights(layout.rows, height, scale, overlapY);
  const outWidth = width * scale;
  const outHeight = height * scale;
  const workWidth = layout.columns[0].size * scale;
  const workHeight = layout.rows[0].size * scale;
  const work = new Float32Array(workWidth * workHeight * 3);
  const segment = new Float32Array(workWidth * 3);
  const padWidth = model.fixedSize?.width ?? layout.columns[0].size;
  const padHeight = model.fixedSize?.height ?? layout.rows[0].size;
  const input = new Float32Array(3 * padWidth * padHeight);
  const total = hooks.tileTotal ?? layout.columns.length * layout.rows.length;
  let done = hooks.tileOffset ?? 0;
  // Partial sums for output rows [bandTop, bandTop + band rows) from the tile rows above; two
  // buffers, swapped per tile row, sized for the largest overlap between tile rows.
  const bandRows = (j: number): number => (j + 1 < layout.rows.length ? Math.max(0, layout.rows[j].start * scale + workHeight - layout.rows[j + 1].start * scale) : 0);
  const maxBandRows = Math.max(0, ...layout.rows.map((_, j) => bandRows(j)));
  let spare = new Float32Array(maxBandRows * outWidth * 3);
  let bandStore = new Float32Array(maxBandRows * outWidth * 3);
  let band = bandStore.subarray(0, 0);
  let bandTop = 0;

  for (let j = 0; j < layout.rows.length; j++) {
    const rowTop = layout.rows[j].start * scale;
    const nextTop = j + 1 < layout.rows.length ? layout.rows[j + 1].start * scale : outHeight;
    const nextBand = spare.subarray(0, bandRows(j) * outWidth * 3);
    work.fill(0);
    for (let i = 0; i < layout.columns.length; i++) {
      if (hooks.signal?.aborted) throw new UpscaleError('upscale_canceled', `upscale canceled after ${done} of ${total} tiles`);
      const left = layout.columns[i].start * scale;
      const nextLeft = i + 1 < layout.columns.length ? layout.columns[i + 1].start * scale : outWidth;
      fillPadded(source, layout.columns[i].start, layout.rows[j].start, layout.columns[i].size, layout.rows[j].size, padWidth, padHeight, input);
      const output = await model.run(input, padWidth, padHeight);
      accumulate(work, workWidth, output, padWidth * scale, padHeight * scale, weightsX[i], weightsY[j]);
      // Columns [left, nextLeft) have all of this tile row's contributions now.
      const columns = nextLeft - left;
      for (let r = 0; r < workHeight; r++) {
        const y = rowTop + r;
        const fromBand = y - bandTop >= 0 && y - bandTop < band.length / (outWidth * 3) ? ((y - bandTop) * outWidth + left) * 3 : -1;
        const values = work.subarray(r * workWidth * 3, (r * workWidth + columns) * 3);
        if (y < nextTop) {
          for (let k = 0; k < columns * 3; k++) segment[k] = values[k] + (fromBand >= 0 ? band[fromBand + k] : 0);
          sink(left, y, segment.subarray(0, columns * 3));
        } else {
          const to = ((y - nextTop) * outWidth + left) * 3;
          for (let k = 0; k < columns * 3; k++) nextBand[to + k] = values[k] + (fromBand >= 0 ? band[fromBand + k] : 0);
        }
      }
      // Keep what the next tile in the row shares with this one, aligned to its left edge.
      if (columns < workWidth) {
        for (let r = 0; r < workHeight; r++) {
          const row = r * workWidth * 3;
          work.copyWithin(row, row + columns * 3, row + workWidth * 3);
          work.fill(0, row + (workWidth - columns) * 3, row + workWidth * 3);
        }
      }
      done += 1;
      hooks.onTile?.({ done, total });
    }
    band = nextBand;
    bandTop = nextTop;
    [spare, bandStore] = [bandStore, spare];
  }
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

/** work[r, c] += wy · wx · output over the tile's real region (output NCHW, `outW` wide; work HWC, the tile's origin at 0). */
function accumulate(
  work: Float32Array,
  workWidth: number,
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
    const base = r * workWidth * 3;
    for (let c = 0; c < weightsX.length; c++) {
      const w = wy * weightsX[c];
      if (w === 0) continue;
      const at = r * outW + c;
      const to = base + c * 3;
      work[to] += w * output[at];
      work[to + 1] += w * output[plane + at];
      work[to + 2] += w * output[2 * plane + at];
    }
  }
}
