import type { GenerationRecord } from '@atelier/contracts';
import type { ObjectStorage } from '@atelier/storage';

/** The bytes of a generation's images, in output order (read from storage, not through URLs). */
export async function outputBytes(record: GenerationRecord, storage: ObjectStorage): Promise<Buffer[]> {
  return Promise.all([...record.outputs].sort((a, b) => a.index - b.index).map((output) => storage.get(output.key)));
}

/**
 * What A1111 returns: each generated image as the chained steps left it (face restoration and
 * upscaling replace the picture in A1111's own results), then the other outputs (masks, control
 * maps); the base images of processed ones are left out.
 */
export function finalOutputs(record: GenerationRecord): GenerationRecord {
  const replaced = new Set(record.outputs.flatMap((output) => (output.source_index !== undefined ? [output.source_index] : [])));
  const rank = (kind: string | undefined): number => (kind === undefined || kind === 'image' || kind === 'restored' || kind === 'upscaled' ? 0 : 1);
  const outputs = record.outputs
    .filter((output) => !((output.kind ?? 'image') === 'image' && replaced.has(output.index)))
    .sort((a, b) => rank(a.kind) - rank(b.kind) || (a.source_index ?? a.index) - (b.source_index ?? b.index))
    .map((output, index) => ({ ...output, index }));
  return { ...record, outputs };
}
