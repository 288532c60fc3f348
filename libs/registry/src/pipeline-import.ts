import { createHash } from 'node:crypto';
import type { ObjectStorage } from '@atelier/storage';
import { AdapterImportError } from './adapter-registry.js';

const REQUIRED = ['unet/model.onnx', 'vae_decoder/model.onnx', 'scheduler/scheduler_config.json'];
const VAE_FILE = /^vae_(decoder|encoder)\//;

export interface PipelineOptions {
  readonly refiner?: string;
  readonly vae?: string;
  readonly defaultScheduler?: string;
  readonly defaultWidth?: number;
  readonly defaultHeight?: number;
  readonly description?: string;
  readonly licence?: string;
}

export interface PipelineManifest {
  readonly id: string;
  readonly kind: 'pipeline' | 'refiner';
  readonly name: string;
  readonly tenant: string;
  readonly family: string;
  readonly source: string;
  readonly vae: string | null;
  readonly refiner: string | null;
  readonly default_scheduler: string | null;
  readonly default_width: number | null;
  readonly default_height: number | null;
  readonly licence: string | null;
  readonly components: ReadonlyArray<{ readonly path: string; readonly sha256: string; readonly size: number }>;
  readonly created_at: string;
}

export interface VaeManifest {
  readonly id: string;
  readonly kind: 'vae';
  readonly name: string;
  readonly tenant: string;
  readonly source: string;
  readonly components: ReadonlyArray<{ readonly path: string; readonly sha256: string; readonly size: number }>;
  readonly created_at: string;
}

/** Family from the export's own files, as workers will detect it. */
async function detectFamily(storage: ObjectStorage, sourcePrefix: string, files: readonly string[]): Promise<{ family: string; refinerOnly: boolean }> {
  const json = async (file: string): Promise<Record<string, unknown>> =>
    files.includes(file) ? (JSON.parse((await storage.get(`${sourcePrefix}/${file}`)).toString('utf8')) as Record<string, unknown>) : {};
  const index = await json('model_index.json');
  const scheduler = await json('scheduler/scheduler_config.json');
  const xl = String(index._class_name ?? '').toLowerCase().includes('xl') || files.includes('text_encoder_2/model.onnx');
  const refinerOnly = xl && !files.includes('text_encoder/model.onnx');
  if (xl) return { family: refinerOnly ? 'sdxl-refiner' : 'sdxl', refinerOnly };
  return { family: scheduler.prediction_type === 'v_prediction' ? 'sd2' : 'sd1', refinerOnly: false };
}

async function copyHashed(storage: ObjectStorage, from: string, to: string): Promise<{ sha256: string; size: number }> {
  const bytes = await storage.get(from);
  await storage.put(to, bytes, 'application/octet-stream');
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

/** A standalone VAE (vae_decoder/, optionally vae_encoder/) that pipeline imports can swap in. */
export async function importVae(storage: ObjectStorage, input: { sourcePrefix: string; name: string; tenant: string; source: string }): Promise<VaeManifest> {
  const sourcePrefix = input.sourcePrefix.replace(/\/+$/, '');
  const files = (await storage.list(`${sourcePrefix}/`)).map((key) => key.slice(sourcePrefix.length + 1)).filter((file) => VAE_FILE.test(file));
  if (!files.includes('vae_decoder/model.onnx')) throw new AdapterImportError('source', 'not a VAE export: missing vae_decoder/model.onnx');
  if ((await storage.list(`registry/vaes/${input.name}/`)).length > 0) throw new AdapterImportError('name', `vae "${input.name}" already exists`);
  const components = [];
  for (const file of files) components.push({ path: file, ...(await copyHashed(storage, `${sourcePrefix}/${file}`, `registry/vaes/${input.name}/${file}`)) });
  const manifest: VaeManifest = { id: `vae:${input.name}`, kind: 'vae', name: input.name, tenant: input.tenant, source: input.source, components, created_at: new Date().toISOString() };
  await storage.put(`registry/vaes/${input.name}.json`, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
  return manifest;
}

/**
 * An ONNX export folder already in the farm's bucket (`s3://bucket/prefix/`) becomes a served
 * model: its files are copied under `<modelsPrefix>/<name>/` with a SHA256SUMS that workers verify
 * when they download it, and a manifest records every component's hash and size.
 */
export async function importPipeline(
  storage: ObjectStorage,
  input: { sourcePrefix: string; modelsPrefix: string; name: string; tenant: string; source: string; options?: PipelineOptions },
): Promise<PipelineManifest> {
  const options = input.options ?? {};
  const sourcePrefix = input.sourcePrefix.replace(/\/+$/, '');
  const keys = await storage.list(`${sourcePrefix}/`);
  const files = keys.map((key) => key.slice(sourcePrefix.length + 1)).filter((file) => file && file !== 'SHA256SUMS' && file !== 'atelier.json');
  const missing = REQUIRED.filter((file) => !files.includes(file));
  if (missing.length > 0) throw new AdapterImportError('source', `not a diffusers ONNX export: missing ${missing.join(', ')}`);
  if (!files.some((file) => /^text_encoder(_2)?\/model\.onnx$/.test(file))) throw new AdapterImportError('source', 'not a diffusers ONNX export: no text_encoder/model.onnx');
  const target = `${input.modelsPrefix.replace(/\/+$/, '')}/${input.name}`;
  if ((await storage.list(`${target}/`)).length > 0) throw new AdapterImportError('name', `model "${input.name}" already exists`);
  const { family, refinerOnly } = await detectFamily(storage, sourcePrefix, files);
  const vaeFiles = options.vae ? (await storage.list(`registry/vaes/${options.vae}/`)).map((key) => key.slice(`registry/vaes/${options.vae}/`.length)) : [];
  if (options.vae && !vaeFiles.includes('vae_decoder/model.onnx')) throw new AdapterImportError('vae', `no imported vae "${options.vae}"`);
  const components: Array<{ path: string; sha256: string; size: number }> = [];
  for (const file of files) {
    if (options.vae && VAE_FILE.test(file)) continue;
    components.push({ path: file, ...(await copyHashed(storage, `${sourcePrefix}/${file}`, `${target}/${file}`)) });
  }
  for (const file of vaeFiles) components.push({ path: file, ...(await copyHashed(storage, `registry/vaes/${options.vae}/${file}`, `${target}/${file}`)) });
  const sidecar = {
    description: options.description ?? `${family} model ${input.name}`,
    ...(options.refiner ? { refiner: options.refiner } : {}),
    ...(options.defaultScheduler ? { default_scheduler: options.defaultScheduler } : {}),
    ...(options.defaultWidth ? { default_width: options.defaultWidth } : {}),
    ...(options.defaultHeight ? { default_height: options.defaultHeight } : {}),
  };
  const sidecarBytes = Buffer.from(JSON.stringify(sidecar, null, 2));
  await storage.put(`${target}/atelier.json`, sidecarBytes, 'application/json');
  components.push({ path: 'atelier.json', sha256: createHash('sha256').update(sidecarBytes).digest('hex'), size: sidecarBytes.length });
  await storage.put(`${target}/SHA256SUMS`, Buffer.from(components.map((entry) => `${entry.sha256}  ${entry.path}\n`).join('')), 'text/plain');
  const manifest: PipelineManifest = {
    id: input.name,
    kind: refinerOnly ? 'refiner' : 'pipeline',
    name: input.name,
    tenant: input.tenant,
    family,
    source: input.source,
    vae: options.vae ?? null,
    refiner: options.refiner ?? null,
    default_scheduler: options.defaultScheduler ?? null,
    default_width: options.defaultWidth ?? null,
    default_height: options.defaultHeight ?? null,
    licence: options.licence ?? null,
    components,
    created_at: new Date().toISOString(),
  };
  await storage.put(`registry/pipelines/${input.name}.json`, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
  return manifest;
}
