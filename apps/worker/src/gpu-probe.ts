import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GpuInfo } from '@atelier/queue';

const run = promisify(execFile);

/**
 * GPU name, memory and utilization from nvidia-smi when the worker can run it (NVIDIA hosts);
 * undefined elsewhere, so CPU workers simply report no GPU.
 */
export async function probeGpu(): Promise<GpuInfo | undefined> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=name,memory.total,memory.used,utilization.gpu', '--format=csv,noheader,nounits'], { timeout: 3_000 });
    const [name, total, used, utilization] = stdout.split('\n')[0].split(',').map((part) => part.trim());
    if (!name) return undefined;
    return { name, memory_total_bytes: Number(total) * 1024 ** 2, memory_used_bytes: Number(used) * 1024 ** 2, utilization_ratio: Number(utilization) / 100 };
  } catch {
    return undefined;
  }
}
