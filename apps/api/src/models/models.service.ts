import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { WorkerRegistry } from '@atelier/queue';
import {
  ADAPTER_KINDS,
  AdapterImportError,
  AdapterRegistry,
  adapterNameSchema,
  importPipeline,
  importVae,
  ONNX_MODEL_KINDS,
  OnnxModelRegistry,
  type AdapterKind,
  type AdapterManifest,
  type OnnxModelKind,
  type OnnxModelManifest,
  type PipelineManifest,
  type VaeManifest,
} from '@atelier/registry';
import type { ObjectStorage } from '@atelier/storage';
import { Scope, type Principal } from '@atelier/tenancy';
import { farmPolicies, type OutboundPolicy } from '@atelier/outbound';
import { ApiError } from '../common/api-error.js';
import { requireAccess } from '../common/require-access.js';
import { parseBody } from '../common/zod-body.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { FarmCatalog } from '../routing/farm-catalog.js';
import { servedPipelines, type ServedPipeline } from './served-pipelines.js';
import { fetchImportSource } from './adapter-source.js';
import { readModelUpload, spoolOwnedObject } from './adapter-upload.js';
import { multipartBoundary, type SpooledFile } from './multipart-upload.js';
import { importOnnxModel, ONNX_UPLOAD_FIELDS } from './onnx-model-import.js';

const pipelineImportSchema = z
  .object({
    kind: z.enum(['pipeline', 'refiner', 'vae']),
    name: adapterNameSchema,
    source: z.string().regex(/^s3:\/\//, 'pipelines, refiners and VAEs are imported from an s3:// prefix holding an ONNX export folder'),
    refiner: z.string().max(200).optional().describe('pipeline: the refiner model paired with it'),
    vae: adapterNameSchema.optional().describe('pipeline: an imported VAE (kind vae) to use instead of the export\'s own'),
    default_scheduler: z.string().max(64).optional(),
    default_width: z.number().int().positive().max(4096).optional(),
    default_height: z.number().int().positive().max(4096).optional(),
    description: z.string().max(500).optional(),
    licence: z.string().max(200).optional(),
  })
  .strict();

const importSchema = z
  .object({
    kind: z.enum(ADAPTER_KINDS),
    name: adapterNameSchema,
    source: z.string().regex(/^(https?|s3):\/\//, 'must be an https:// or s3:// URL').optional(),
    visibility: z.enum(['private', 'public']).default('private'),
    trigger_words: z.union([z.array(z.string().max(100)).max(20), z.string().transform((value) => value.split(',').map((word) => word.trim()).filter(Boolean))]).optional(),
    base_model: z.string().max(200).optional(),
    licence: z.string().max(200).optional(),
  })
  .strict();
const listSchema = z.object({ kind: z.enum(['pipeline', ...ADAPTER_KINDS, ...ONNX_MODEL_KINDS]).optional() }).strict();

const isOnnxKind = (kind: unknown): kind is OnnxModelKind => (ONNX_MODEL_KINDS as readonly unknown[]).includes(kind);

export type CatalogEntry =
  | ServedPipeline
  | (AdapterManifest & { origin: 'registry' })
  | { kind: AdapterKind; id: string; name: string; origin: 'worker' }
  | (OnnxModelManifest & { origin: 'registry' })
  | { kind: OnnxModelKind; id: string; name: string; base_family?: string; origin: 'worker' };

type ImportResult = AdapterManifest | OnnxModelManifest | PipelineManifest | VaeManifest;

/**
 * The model registry: pipelines some worker class serves (listed at zero workers too, with
 * `live_workers`), plus LoRAs and embeddings imported into
 * storage (from an https/s3 URL or an upload) or found in workers' `loras/` and `embeddings/`,
 * and ONNX models (ControlNets, preprocessors, upscalers, face and SAM models) imported the same
 * way or shipped in workers' MODELS_DIR/<kind>s/.
 * What the /v1/models routes do; the controller only maps it onto HTTP.
 */
@Injectable()
export class ModelsService {
  private readonly downloadPolicy: OutboundPolicy;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WorkerRegistry) private readonly workers: WorkerRegistry,
    @Inject(AdapterRegistry) private readonly registry: AdapterRegistry,
    @Inject(OnnxModelRegistry) private readonly onnxModels: OnnxModelRegistry,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(FarmCatalog) private readonly farm: FarmCatalog,
  ) {
    this.downloadPolicy = farmPolicies(config.env).downloads;
  }

  async list(principal: Principal, query: unknown): Promise<{ object: 'list'; data: CatalogEntry[] }> {
    const { kind } = parseBody(listSchema, query);
    const entries: CatalogEntry[] = [];
    if (!kind || kind === 'pipeline') entries.push(...servedPipelines(await this.farm.snapshot()));
    // A caller's own adapter shadows a public one of the same name, as it does in generations.
    const visible = (await this.registry.list()).filter((manifest) => this.visible(principal, manifest));
    const registered = visible.filter((manifest) => manifest.tenant === principal.tenant || !visible.some((own) => own.tenant === principal.tenant && own.kind === manifest.kind && own.name === manifest.name));
    const live = await this.workers.liveWorkers();
    for (const adapterKind of ADAPTER_KINDS) {
      if (kind && kind !== adapterKind) continue;
      entries.push(...registered.filter((manifest) => manifest.kind === adapterKind).map((manifest) => ({ ...manifest, origin: 'registry' as const })));
      const local = new Set(live.flatMap((worker) => (adapterKind === 'lora' ? worker.loras : worker.embeddings)));
      for (const name of [...local].sort()) {
        if (!name.includes('/') && !registered.some((manifest) => manifest.kind === adapterKind && manifest.name === name)) entries.push({ kind: adapterKind, id: `${adapterKind}:${name}`, name, origin: 'worker' });
      }
    }
    if (!kind || isOnnxKind(kind)) entries.push(...(await this.listOnnx(principal, kind && isOnnxKind(kind) ? kind : undefined, live)));
    return { object: 'list', data: entries };
  }

  /** Registry ONNX models the caller may see (its own shadowing public ones), then workers' MODELS_DIR ones. */
  private async listOnnx(principal: Principal, kind: OnnxModelKind | undefined, live: Awaited<ReturnType<WorkerRegistry['liveWorkers']>>): Promise<CatalogEntry[]> {
    const visible = (await this.onnxModels.list(kind)).filter((manifest) => manifest.visibility === 'public' || manifest.tenant === principal.tenant);
    const registered = visible.filter((manifest) => manifest.tenant === principal.tenant || !visible.some((own) => own.tenant === principal.tenant && own.kind === manifest.kind && own.name === manifest.name));
    const entries: CatalogEntry[] = [];
    for (const onnxKind of ONNX_MODEL_KINDS) {
      if (kind && kind !== onnxKind) continue;
      entries.push(...registered.filter((manifest) => manifest.kind === onnxKind).map((manifest) => ({ ...manifest, origin: 'registry' as const })));
      const local = new Map<string, string | undefined>();
      for (const model of live.flatMap((worker) => worker.onnx_models)) if (model.kind === onnxKind && !model.name.includes('/')) local.set(model.name, model.base_family);
      for (const [name, family] of [...local].sort(([a], [b]) => a.localeCompare(b))) {
        if (!registered.some((manifest) => manifest.kind === onnxKind && manifest.name === name)) entries.push({ kind: onnxKind, id: `${onnxKind}:${name}`, name, ...(family ? { base_family: family } : {}), origin: 'worker' });
      }
    }
    return entries;
  }

  async get(principal: Principal, id: string): Promise<CatalogEntry> {
    const [kind, name] = id.includes(':') ? (id.split(':', 2) as [string, string]) : ['pipeline', id];
    if (kind === 'pipeline') {
      const model = servedPipelines(await this.farm.snapshot()).find((entry) => entry.id === name);
      if (!model) throw ApiError.notFound('model', id);
      return model;
    }
    if (isOnnxKind(kind)) {
      const onnx = await this.onnxModels.resolve(kind, name, principal.tenant);
      if (!onnx) throw ApiError.notFound('model', id);
      return { ...onnx, origin: 'registry' };
    }
    if (!(ADAPTER_KINDS as readonly string[]).includes(kind)) throw ApiError.notFound('model', id);
    const manifest = await this.registry.resolve(kind as AdapterKind, name, principal.tenant);
    if (!manifest) throw ApiError.notFound('model', id);
    return { ...manifest, origin: 'registry' };
  }

  /** JSON `{kind, name, source}` or multipart (`file`, `kind`, `name`), the file streamed to disk, never buffered. */
  async import(principal: Principal, body: unknown, request: Request): Promise<ImportResult> {
    const boundary = multipartBoundary(request.header('content-type'));
    if (!boundary) return this.importFields(principal, body, {});
    const upload = await readModelUpload(request, boundary, this.config.env.MAX_MODEL_BYTES, ONNX_UPLOAD_FIELDS);
    try {
      return await this.importFields(principal, upload.fields, upload.files);
    } finally {
      await upload.dispose();
    }
  }

  private async importFields(principal: Principal, body: unknown, uploads: Readonly<Record<string, SpooledFile>>): Promise<ImportResult> {
    const kind = (body as { kind?: unknown } | undefined)?.kind;
    if (kind === 'pipeline' || kind === 'refiner' || kind === 'vae') return this.importPipeline(principal, body);
    if (isOnnxKind(kind)) {
      const farmBucket = this.config.storage.driver === 's3' ? this.config.storage.bucket : undefined;
      return importOnnxModel({ registry: this.onnxModels, storage: this.storage, downloadPolicy: this.downloadPolicy, farmBucket, maxBytes: this.config.env.MAX_MODEL_BYTES }, principal, body, uploads);
    }
    const input = parseBody(importSchema, body);
    const extra = Object.keys(uploads).find((field) => field !== 'file');
    if (extra) throw ApiError.field(extra, `a ${input.kind} is one file, uploaded in the field "file"`);
    const upload = uploads.file;
    if (!upload && !input.source) throw ApiError.field('source', 'give an https:// or s3:// source, or upload the file in the multipart field "file"');
    if (upload && input.source) throw ApiError.field('source', 'give either a source or an uploaded file, not both');
    const common = {
      kind: input.kind,
      name: input.name,
      tenant: principal.tenant,
      visibility: input.visibility,
      source: upload ? `upload:${upload.filename}` : (input.source as string),
      triggerWords: input.trigger_words,
      baseModel: input.base_model ?? null,
      licence: input.licence ?? null,
    };
    try {
      if (upload) return await this.registry.importFile({ ...common, path: upload.path });
      if (common.source.startsWith('s3://')) {
        const spooled = await spoolOwnedObject(common.source, principal, this.config.storage.driver === 's3' ? this.config.storage.bucket : undefined, this.storage, this.config.env.MAX_MODEL_BYTES);
        try {
          return await this.registry.importFile({ ...common, path: spooled.file.path });
        } finally {
          await spooled.dispose();
        }
      }
      const bytes = await fetchImportSource(common.source, this.downloadPolicy, this.config.env.MAX_MODEL_BYTES);
      return await this.registry.import({ ...common, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    } catch (error) {
      if (error instanceof AdapterImportError) throw new ApiError(error.field === 'name' ? HttpStatus.CONFLICT : HttpStatus.UNPROCESSABLE_ENTITY, 'import_refused', `${error.field}: ${error.message}`, [{ field: error.field, message: error.message }]);
      throw error;
    }
  }

  /** Served pipelines are farm-wide and read any prefix of the bucket: operators (admin keys) only. */
  private async importPipeline(principal: Principal, body: unknown): Promise<PipelineManifest | VaeManifest> {
    if (!principal.scopes.includes(Scope.Admin)) throw new ApiError(HttpStatus.FORBIDDEN, 'insufficient_scope', 'importing pipelines, refiners and VAEs needs the admin scope (they are served to every tenant)');
    const input = parseBody(pipelineImportSchema, body);
    const prefix = this.config.env.MODELS_STORAGE_PREFIX;
    if (!prefix && input.kind !== 'vae') throw ApiError.field('kind', 'pipelines can be imported only when MODELS_STORAGE_PREFIX is set (workers serve models from there)');
    const [, , bucket, ...rest] = input.source.split('/');
    const ownBucket = this.config.storage.driver === 's3' ? this.config.storage.bucket : undefined;
    if (!ownBucket || bucket !== ownBucket) throw ApiError.field('source', `only prefixes in this farm's bucket (${ownBucket ?? 'none configured'}) can be imported`);
    try {
      const common = { sourcePrefix: rest.join('/'), name: input.name, tenant: principal.tenant, source: input.source };
      if (input.kind === 'vae') return await importVae(this.storage, common);
      const manifest = await importPipeline(this.storage, {
        ...common,
        modelsPrefix: prefix as string,
        options: {
          refiner: input.refiner,
          vae: input.vae,
          defaultScheduler: input.default_scheduler,
          defaultWidth: input.default_width,
          defaultHeight: input.default_height,
          description: input.description,
          licence: input.licence,
        },
      });
      // Accepted from now on, even before a worker that loads it is live.
      await this.farm.importedPipelines.invalidate();
      this.farm.invalidate();
      return manifest;
    } catch (error) {
      if (error instanceof AdapterImportError) throw new ApiError(error.field === 'name' ? HttpStatus.CONFLICT : HttpStatus.UNPROCESSABLE_ENTITY, 'import_refused', `${error.field}: ${error.message}`, [{ field: error.field, message: error.message }]);
      throw error;
    }
  }

  async remove(principal: Principal, id: string): Promise<{ id: string; deleted: true }> {
    const [kind, name] = id.split(':', 2);
    if (isOnnxKind(kind) && name) {
      // The caller's own model (private first); admins may also delete another tenant's public one.
      const onnx = await this.onnxModels.resolve(kind, name, principal.tenant);
      await this.onnxModels.delete(requireAccess(principal, onnx, 'registered model', id));
      return { id, deleted: true };
    }
    if (!(ADAPTER_KINDS as readonly string[]).includes(kind) || !name) throw ApiError.notFound('registered model', id);
    // The caller's own adapter (private first); admins may also delete another tenant's public one.
    const manifest = await this.registry.resolve(kind as AdapterKind, name, principal.tenant);
    await this.registry.delete(requireAccess(principal, manifest, 'registered model', id));
    return { id, deleted: true };
  }

  private visible(principal: Principal, manifest: AdapterManifest): boolean {
    return manifest.visibility === 'public' || manifest.tenant === principal.tenant;
  }
}
