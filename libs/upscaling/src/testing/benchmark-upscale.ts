import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { upscale } from '../upscale.js';
import { UpscalerModel } from '../upscaler-model.js';
import { writeUpscalerGraph } from './upscaler-graphs.js';

export interface UpscaleBenchOptions {
  /** Square input side (default 2048). */
  readonly size?: number;
  readonly scale?: number;
  readonly tileSize?: number;
  readonly overlap?: number;
  /** Blur layers in the test graph (default 2: a little real convolution work per tile). */
  readonly blurLayers?: number;
  readonly dtype?: 'float32' | 'float16';
}

export interface UpscaleBenchResult {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly tiles: number;
  readonly seconds: number;
  readonly tilesPerSecond: number;
  /** CPU time of the process during the upscale (all ONNX Runtime threads included). */
  readonly cpuSeconds: number;
  /** RSS before the model was opened, the highest RSS sampled after each tile, and their difference. */
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
  readonly peakRssGrowthBytes: number;
  /** Bytes of the 8-bit result itself (the floor any upscaler has to hold). */
  readonly outputBytes: number;
}

/**
 * A tiled RGB upscale of a size² gradient through the test graph (pixel-shuffle x`scale` with
 * blur layers), timing tiles and sampling RSS after every tile. `npm run bench` prints it.
 */
export async function benchmarkUpscale(options: UpscaleBenchOptions = {}): Promise<UpscaleBenchResult> {
  const size = options.size ?? 2048;
  const scale = options.scale ?? 4;
  const folder = await mkdtemp(path.join(tmpdir(), 'atelier-upscale-bench-'));
  try {
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const at = (y * size + x) * 3;
        data[at] = x & 255;
        data[at + 1] = y & 255;
        data[at + 2] = (x ^ y) & 255;
      }
    }
    global.gc?.();
    const baselineRssBytes = process.memoryUsage.rss();
    const model = await UpscalerModel.open(await writeUpscalerGraph(path.join(folder, 'model.onnx'), { scale, blurLayers: options.blurLayers ?? 2, dtype: options.dtype ?? 'float32' }));
    let peakRssBytes = process.memoryUsage.rss();
    let tiles = 0;
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const result = await upscale({ width: size, height: size, channels: 3, data }, model, {
      tileSize: options.tileSize ?? 256,
      overlap: options.overlap ?? 32,
      onProgress: ({ done }) => {
        tiles = done;
        peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
      },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
    await model.release();
    return {
      inputSize: size,
      outputSize: result.width,
      tiles,
      seconds,
      tilesPerSecond: tiles / seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      baselineRssBytes,
      peakRssBytes,
      peakRssGrowthBytes: peakRssBytes - baselineRssBytes,
      outputBytes: result.data.length,
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
