import { benchmarkUpscale } from '@atelier/upscaling/testing';
import { sized, type BenchOptions } from './bench-options.js';
import { printTable } from './table.js';

const MIB = 1024 ** 2;

/**
 * A tiled x4 upscale of a 2048² image (a 8192² result) through the test upscaler graph
 * (pixel shuffle with two blur layers: real convolution work per tile): tiles/s, and how much
 * memory the process needed beyond the 8-bit result every upscaler has to hold.
 */
export async function benchUpscale(options: BenchOptions): Promise<void> {
  const size = sized(options, 2048, 128);
  const result = await benchmarkUpscale({ size, scale: 4, tileSize: 256, overlap: 32 });
  printTable(`Tiled upscale x4, ${size}² → ${result.outputSize}², tile 256, overlap 32, CPU execution provider, test upscaler graph`, [
    'tiles',
    'seconds',
    'tiles/s',
    'CPU seconds',
    'output MiB (8-bit)',
    'peak RSS MiB',
    'RSS growth MiB',
  ], [[
    result.tiles,
    result.seconds.toFixed(2),
    result.tilesPerSecond.toFixed(1),
    result.cpuSeconds.toFixed(2),
    (result.outputBytes / MIB).toFixed(0),
    (result.peakRssBytes / MIB).toFixed(0),
    (result.peakRssGrowthBytes / MIB).toFixed(0),
  ]]);
}
