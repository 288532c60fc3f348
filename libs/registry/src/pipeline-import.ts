import { createHash } from 'node:crypto';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { AdapterImportError } from './adapter-registry.js';

const REQUIRED = ['unet/model.onnx', 'vae_decoder/model.onnx', 'scheduler/scheduler_config.json'];

export interface PipelineManifest {
  readonly id: string;
  readonly kind: 'pipeline';
  readonly name: string;
  readonly tenant: string;
  readonly source: string;
  readonly components: ReadonlyArray<{ readonly path: string; readonly sha256: string; readonly size: number }>;
  readonly created_at: string;
}

/**
 * An ONNX export folder already in the farm's bucket (`s3://bucket/prefix/`) becomes a served
 * model: its files are copied under `<modelsPrefix>/<name>/` with a SHA256SUMS that workers verify
 * when they download it, and a manifest records every component's hash and size.
 */
export async function importPipeline(storage: ObjectStorage, input: { sourcePrefix: string; modelsPrefix: string; name: string; tenant: string; source: string }): Promise<PipelineManifest> {
  const sourcePrefix = input.sourcePrefix.replace(/\/+$/, '');
  const keys = await storage.list(`${sourcePrefix}/`);
  const files = keys.map((key) => key.slice(sourcePrefix.length + 1)).filter((file) => file && file !== 'SHA256SUMS');
  const missing = REQUIRED.filter((file) => !files.includes(file));
  if (missing.length > 0) throw new AdapterImportError('source', `not a diffusers ONNX export: missing ${missing.join(', ')}`);
  if (!files.some((file) => /^text_encoder(_2)?\/model\.onnx$/.test(file))) throw new AdapterImportError('source', 'not a diffusers ONNX export: no text_encoder/model.onnx');
  const target = `${input.modelsPrefix.replace(/\/+$/, '')}/${input.name}`;
  if ((await storage.list(`${target}/`)).length > 0) throw new AdapterImportError('name', `model "${input.name}" already exists`);
  const components: Array<{ path: string; sha256: string; size: number }> = [];
  for (const file of files) {
    const bytes = await storage.get(`${sourcePrefix}/${file}`);
    components.push({ path: file, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    await storage.put(`${target}/${file}`, bytes, 'application/octet-stream');
  }
  await storage.put(`${target}/SHA256SUMS`, Buffer.from(components.map((entry) => `${entry.sha256}  ${entry.path}\n`).join('')), 'text/plain');
  const manifest: PipelineManifest = {
    id: input.name,
    kind: 'pipeline',
    name: input.name,
    tenant: input.tenant,
    source: input.source,
    components,
    created_at: new Date().toISOString(),
  };
  await storage.put(`registry/pipelines/${input.name}.json`, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
  return manifest;
}
