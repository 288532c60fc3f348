import { createHash } from 'node:crypto';
import type { TrainingJob } from '../engine/training-job.js';

/**
 * sha256 of everything that decides the trained weights (not the checkpoint or preview cadence),
 * so a checkpoint cannot silently resume a different job.
 */
export function jobFingerprint(job: TrainingJob): string {
  const { saveEvery: _save, sampleEvery: _sample, samplePrompts: _prompts, comment: _comment, outputName: _name, ...decisive } = job.params;
  const hash = createHash('sha256').update(JSON.stringify(decisive));
  for (const example of [...job.dataset, ...(job.priorImages ?? [])]) {
    hash.update(example.name).update('\0').update(example.caption).update('\0');
    const { data } = example.image;
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest('hex');
}
