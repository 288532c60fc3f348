// Seams: with a conv upscaler whose receptive radius fits in the feather's dead margin
// (floor(overlap / 4)), the tiled result equals the untiled one; with too small an overlap it does not.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { noiseImage } from './testing/test-images.js';
import { writeUpscalerGraph } from './testing/upscaler-graphs.js';
import { colourSource } from './upscale.js';
import { parseUpscaleTiling } from './upscale-options.js';
import { runTiles } from './tiled-run.js';
import { UpscalerModel } from './upscaler-model.js';

let folder = '';
let model: UpscalerModel;
before(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'seam-test-'));
  // Three 3×3 blur layers: every output pixel depends on input pixels within 3 of it.
  model = await UpscalerModel.open(await writeUpscalerGraph(path.join(folder, 'blur3-x2.onnx'), { scale: 2, blurLayers: 3 }));
});
after(async () => {
  await model.release();
  await rm(folder, { recursive: true, force: true });
});

const wide = noiseImage(150, 110, 3, 11);

/** The float result before 8-bit rounding, assembled from the sink's segments. */
async function floatUpscale(tileSize: number, overlap: number, image = wide): Promise<{ data: Float32Array; tiles: number }> {
  const data = new Float32Array(image.width * 2 * image.height * 2 * 3);
  let tiles = 0;
  const delivered = new Uint8Array(data.length / 3);
  await runTiles(
    model,
    colourSource(image),
    image.width,
    image.height,
    parseUpscaleTiling({ tileSize, overlap }),
    (x, y, values) => {
      const at = y * image.width * 2 + x;
      data.set(values, at * 3);
      for (let p = 0; p < values.length / 3; p++) delivered[at + p] += 1;
    },
    { onTile: ({ done }) => (tiles = done) },
  );
  assert.ok(delivered.every((count) => count === 1), 'every output pixel is delivered exactly once');
  return { data, tiles };
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('tile seams', () => {
  it('receptive radius 3 ≤ floor(overlap/4): tiled equals untiled within 1e-6; overlap 4 shows the seam', async () => {
    const untiled = await floatUpscale(256, 0);
    assert.equal(untiled.tiles, 1);
    const tiled = await floatUpscale(48, 16);
    assert.ok(tiled.tiles >= 12, `${tiled.tiles} tiles`);
    const exact = maxDifference(tiled.data, untiled.data);
    const seamy = await floatUpscale(48, 4);
    const seam = maxDifference(seamy.data, untiled.data);
    console.log(`seam test: overlap 16 (margin 4) max |tiled − untiled| = ${exact.toExponential(2)} over ${tiled.tiles} tiles; overlap 4 (margin 1) = ${seam.toExponential(2)}`);
    assert.ok(exact <= 1e-6, `overlap 16: ${exact}`);
    assert.ok(seam > 1e-3, `overlap 4: ${seam}`);
  });

  it('exact for every layout whose margin covers the radius: three tiles sharing pixels, margin = radius, two nearly coincident tiles', async () => {
    const narrow = noiseImage(65, 70, 3, 12);
    for (const [tileSize, overlap, image] of [[64, 32, wide], [40, 12, wide], [64, 16, narrow], [32, 12, narrow]] as const) {
      const untiled = await floatUpscale(256, 0, image);
      const tiled = await floatUpscale(tileSize, overlap, image);
      const difference = maxDifference(tiled.data, untiled.data);
      assert.ok(difference <= 1e-6, `${image.width}x${image.height} tile ${tileSize} overlap ${overlap}: ${difference}`);
    }
  });
});
