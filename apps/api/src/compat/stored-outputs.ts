import type { GenerationRecord } from '@atelier/contracts';
import type { ObjectStorage } from '@atelier/storage';

/** The bytes of a generation's images, in output order (read from storage, not through URLs). */
export async function outputBytes(record: GenerationRecord, storage: ObjectStorage): Promise<Buffer[]> {
  return Promise.all([...record.outputs].sort((a, b) => a.index - b.index).map((output) => storage.get(output.key)));
}
