import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { printTable } from '../table.js';
import type { FeedShape } from './feeds.js';
import type { ProbeRequest, ProbeResult } from './load-probe.js';
import { SESSION_VARIANTS, type SessionVariantName } from './session-variants.js';

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-probe.js');
const GB = 1024 ** 3;

function runProbe(request: ProbeRequest): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROBE, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ProbeResult) : reject(new Error(`load probe for ${request.variant} exited with ${code}`))));
  });
}

/**
 * `--load-study`: one component (the UNet) loaded and run under each session option in a fresh
 * process, so load time, resident memory after load and peak memory can be compared option by
 * option on the same files.
 */
export async function studySessionOptions(modelPath: string, cacheDir: string, shape: FeedShape, runs: number, variants: readonly SessionVariantName[] = SESSION_VARIANTS): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  for (const variant of variants) {
    const result = await runProbe({ modelPath, variant, cacheDir, runs, shape, image: false });
    const warm = result.runMs.slice(1);
    rows.push([
      variant,
      (result.loadMs / 1000).toFixed(2),
      ((result.rssAfterLoad - result.rssBefore) / GB).toFixed(2),
      (result.maxRssAfterLoad / GB).toFixed(2),
      result.runMs.length > 0 ? (result.runMs[0] / 1000).toFixed(2) : '-',
      warm.length > 0 ? (warm.reduce((a, b) => a + b, 0) / warm.length / 1000).toFixed(2) : '-',
      (result.maxRss / GB).toFixed(2),
    ]);
  }
  printTable(
    `Session options, ${path.relative(process.cwd(), modelPath) || modelPath}: UNet batch ${shape.batch} at ${shape.latentWidth * shape.vaeScale}×${shape.latentHeight * shape.vaeScale}, fresh process each`,
    ['options', 'load s', 'RSS after load GB', 'peak during load GB', 'first run s', 'warm run s', 'peak GB'],
    rows,
  );
}
