import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AtelierClient, GenerationView } from '@atelier/client';

const EXTENSIONS: Readonly<Record<string, string>> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

export function extensionFor(contentType: string): string {
  return EXTENSIONS[contentType] ?? contentType.split('/').pop()?.replace(/[^a-z0-9]/gi, '') ?? 'bin';
}

export function outputFileName(generationId: string, index: number, contentType: string): string {
  return `${generationId}-${index}.${extensionFor(contentType)}`;
}

/**
 * Writes every output of a finished generation as `<id>-<index>.<ext>` (ControlNet maps as
 * `<id>-control-<unit>.png`). Each file appears
 * complete or not at all (written beside, then renamed), so an interrupted run never leaves a
 * truncated image that a resumed run would take for a finished one.
 */
export async function saveOutputs(client: AtelierClient, view: GenerationView, dir: string, signal?: AbortSignal): Promise<string[]> {
  const files: string[] = [];
  for (const [index, output] of view.outputs.entries()) {
    // A ControlNet's map is named for its unit, beside the images it steered.
    const name = output.kind === 'control' && output.controlnet ? `${view.id}-control-${output.controlnet.index}.${extensionFor(output.content_type)}` : outputFileName(view.id, index, output.content_type);
    const file = path.join(dir, name);
    const bytes = output.base64 !== undefined ? Buffer.from(output.base64, 'base64') : await downloadUrl(client, output.url, view.id, signal);
    const partial = `${file}.part`;
    try {
      await writeFile(partial, bytes, { signal });
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    files.push(file);
  }
  return files;
}

async function downloadUrl(client: AtelierClient, url: string | undefined, id: string, signal?: AbortSignal): Promise<Buffer> {
  if (!url) throw new Error(`generation ${id} has an output with neither url nor base64`);
  return client.download(url, { signal });
}
