// A DreamBooth result becomes a served pipeline: the fine-tuned checkpoint written into the base
// export (refit), uploaded under trainings/<id>/export/, and imported like an operator's export,
// so workers download, verify and serve it as `pipeline:<name>` at once.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importPipeline, type PipelineManifest } from '@atelier/registry';
import type { ObjectStorage } from '@atelier/storage';
import { writeFineTunedExport } from '@atelier/training';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

export async function registerFineTunedPipeline(
  storage: ObjectStorage,
  input: { readonly checkpoint: Uint8Array; readonly baseDir: string; readonly modelsPrefix: string; readonly trainingId: string; readonly name: string; readonly tenant: string },
): Promise<PipelineManifest> {
  const work = await mkdtemp(path.join(tmpdir(), 'atelier-finetuned-'));
  try {
    const exportDir = path.join(work, 'export');
    await writeFineTunedExport(input.checkpoint, input.baseDir, exportDir);
    const prefix = `trainings/${input.trainingId}/export`;
    for (const file of await filesUnder(exportDir)) {
      await storage.put(`${prefix}/${file.split(path.sep).join('/')}`, await readFile(path.join(exportDir, file)), 'application/octet-stream');
    }
    return await importPipeline(storage, {
      sourcePrefix: prefix,
      modelsPrefix: input.modelsPrefix,
      name: input.name,
      tenant: input.tenant,
      source: `training:${input.trainingId}`,
      options: { description: `DreamBooth fine-tune of the base model (training ${input.trainingId})` },
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
