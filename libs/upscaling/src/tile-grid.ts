/** One tile's span along an axis, in input pixels. */
export interface AxisTile {
  readonly start: number;
  readonly size: number;
}

/**
 * Tiles covering [0, length): every tile `tile` long (or the whole axis when it is shorter),
 * the fewest that keep neighbours overlapping by at least `overlap`, spread evenly so the last
 * one ends on the border instead of being a thin sliver (every tile then has the same size,
 * which fixed-size exports need and window-attention models prefer).
 */
export function axisTiles(length: number, tile: number, overlap: number): AxisTile[] {
  if (length <= tile) return [{ start: 0, size: length }];
  const count = Math.ceil((length - overlap) / (tile - overlap));
  const tiles: AxisTile[] = [];
  for (let i = 0; i < count; i++) {
    const start = Math.round((i * (length - tile)) / (count - 1));
    if (tiles.at(-1)?.start !== start) tiles.push({ start, size: tile });
  }
  return tiles;
}

/**
 * Feathered blend weights along one axis, at output resolution (`scale` output pixels per input
 * pixel), already divided by their sum so that the tiles' weights add up to 1 at every pixel.
 *
 * A tile's weight grows linearly with the distance d (in input pixels, from the output pixel's
 * centre) to its nearest edge that is not the image border: 0 while d ≤ m = floor(overlap / 4),
 * 1 from d ≥ overlap − m. An output pixel with non-zero weight therefore comes from an input
 * pixel at least m pixels inside the tile, so a model whose output pixel depends only on input
 * pixels within m of it gives exactly its untiled result there; the ramp between hides the
 * seam for models whose receptive field is larger. Neighbours overlap by ≥ overlap, so some tile
 * always has d ≥ overlap / 2 > m, and the sum is never zero.
 */
export function featherWeights(tiles: readonly AxisTile[], length: number, scale: number, overlap: number): Float64Array[] {
  const margin = Math.floor(overlap / 4);
  const ramp = Math.max(1, overlap - 2 * margin);
  const raw = tiles.map((tile) => {
    const weights = new Float64Array(tile.size * scale);
    const innerStart = tile.start > 0;
    const innerEnd = tile.start + tile.size < length;
    for (let x = 0; x < weights.length; x++) {
      const u = tile.start + (x + 0.5) / scale;
      const distance = Math.min(innerStart ? u - tile.start : Infinity, innerEnd ? tile.start + tile.size - u : Infinity);
      weights[x] = Math.min(1, Math.max(0, (distance - margin) / ramp));
    }
    return weights;
  });
  const sum = new Float64Array(length * scale);
  tiles.forEach((tile, i) => raw[i].forEach((weight, x) => (sum[tile.start * scale + x] += weight)));
  return tiles.map((tile, i) => raw[i].map((weight, x) => weight / sum[tile.start * scale + x]));
}
