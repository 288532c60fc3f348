import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HttpStatus } from '@nestjs/common';
import { z } from 'zod';
import { checkOutboundUrl, OutboundError, type OutboundPolicy } from '@atelier/outbound';
import {
  CONTROLNET_FAMILIES,
  ONNX_MODEL_KINDS,
  ONNX_PREPROCESSORS,
  OnnxModelImportError,
  adapterNameSchema,
  type OnnxGraphRole,
  type OnnxModelManifest,
  type OnnxModelRegistry,
} from '@atelier/registry';
import type { ObjectStorage } from '@atelier/storage';
import type { Principal } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { parseBody } from '../common/zod-body.js';
import { fetchImportSource } from './adapter-source.js';
import { spoolOwnedObject } from './adapter-upload.js';
import type { SpooledFile } from './multipart-upload.js';

/** Upload fields that may carry a graph besides `file` (= model.onnx), and `config` (config.json). */
export const ONNX_UPLOAD_FIELDS = ['encoder', 'decoder', 'detector', 'pose', 'image_encoder', 'projection', 'config'] as const;
const GRAPH_FIELDS = ['model', 'encoder', 'decoder', 'detector', 'pose', 'image_encoder', 'projection'] as const;
const MAX_CONFIG_BYTES = 64 * 1024;

const url = z.string().regex(/^(https?|s3):\/\//, 'must be an https:// or s3:// URL');
/** Multipart sends every field as text: numbers and JSON arrive as strings. */
const integer = z.union([z.number(), z.string().regex(/^\d{1,3}$/, 'must be an integer').transform(Number)]).pipe(z.number().int().min(1).max(16));
const configObject = z.union([
  z.record(z.string(), z.unknown()),
  z.string().max(MAX_CONFIG_BYTES).transform((text, context) => {
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Reported below, naming the field.
    }
    context.addIssue({ code: 'custom', message: 'must be a JSON object (the model\'s config.json)' });
    return z.NEVER;
  }),
]);

export const onnxImportSchema = z
  .object({
    kind: z.enum(ONNX_MODEL_KINDS),
    name: adapterNameSchema,
    /** The model.onnx of a single-graph kind. */
    source: url.optional(),
    /** Named graphs: `{encoder, decoder}` for a segmenter, `{detector, pose}` for an openpose preprocessor, `{image_encoder, projection}` for an IP-Adapter. */
    sources: z.object(Object.fromEntries(GRAPH_FIELDS.map((role) => [role, url.optional()])) as Record<(typeof GRAPH_FIELDS)[number], z.ZodOptional<typeof url>>).strict().optional(),
    /** config.json (a ControlNet's diffusers config; a preprocessor's `model_type`). */
    config: configObject.optional(),
    visibility: z.enum(['private', 'public']).default('private'),
    base_family: z.enum(CONTROLNET_FAMILIES).optional().describe('controlnet, ip_adapter: when the family cannot be read from config.json or the text-feature width'),
    scale: integer.optional().describe('upscaler: when the graph has dynamic sizes'),
    preprocessor: z.enum(ONNX_PREPROCESSORS).optional().describe('preprocessor: which ControlNet preprocessor the model serves'),
    licence: z.string().max(200).optional(),
  })
  .strict();

export interface OnnxImportDeps {
  readonly registry: OnnxModelRegistry;
  readonly storage: ObjectStorage;
  readonly downloadPolicy: OutboundPolicy;
  readonly farmBucket: string | undefined;
  readonly maxBytes: number;
}

/**
 * `POST /v1/models` for an ONNX kind: files uploaded (multipart `file`, or `encoder`/`decoder`,
 * `detector`/`pose`, and `config`), or fetched from https:// (the guarded outbound client) or the
 * caller's own s3:// objects, each spooled to a temporary file, then checked and stored by
 * OnnxModelRegistry. Refusals are 400 naming the field (409 for a taken public name).
 */
export async function importOnnxModel(deps: OnnxImportDeps, principal: Principal, body: unknown, uploads: Readonly<Record<string, SpooledFile>>): Promise<OnnxModelManifest> {
  const input = parseBody(onnxImportSchema, body);
  const uploaded = Object.keys(uploads).length > 0;
  if (uploaded && (input.source || input.sources)) throw ApiError.field('source', 'give either sources or uploaded files, not both');
  if (input.source && input.sources) throw ApiError.field('sources', 'give source (model.onnx) or sources (named graphs), not both');
  if (!uploaded && !input.source && !input.sources) throw ApiError.field('source', 'give an https:// or s3:// source, or upload the model in the multipart field "file"');
  if (uploads.config && input.config) throw ApiError.field('config', 'give config as a file or as a field, not both');
  const work = await mkdtemp(path.join(tmpdir(), 'atelier-onnx-import-'));
  try {
    const files: Partial<Record<OnnxGraphRole, string>> = {};
    const fields: Partial<Record<OnnxGraphRole, string>> = {};
    if (uploaded) {
      for (const role of GRAPH_FIELDS) {
        const file = uploads[role === 'model' ? 'file' : role];
        if (file) [files[role], fields[role]] = [file.path, role === 'model' ? 'file' : role];
      }
    } else {
      const named: Partial<Record<OnnxGraphRole, string>> = input.source ? { model: input.source } : (input.sources ?? {});
      // Every address is checked before any is fetched: a refused one costs no download.
      for (const [role, source] of Object.entries(named) as Array<[OnnxGraphRole, string | undefined]>) {
        if (source && !source.startsWith('s3://')) staticCheck(source, deps.downloadPolicy, input.source ? 'source' : `sources.${role}`);
      }
      for (const [role, source] of Object.entries(named) as Array<[OnnxGraphRole, string | undefined]>) {
        if (!source) continue;
        const field = input.source ? 'source' : `sources.${role}`;
        files[role] = await spool(deps, principal, source, field, path.join(work, role));
        fields[role] = field;
      }
    }
    const config = uploads.config ? await readConfig(uploads.config) : input.config;
    const source = uploaded ? `upload:${Object.values(uploads).map((file) => file.filename).join(',')}` : input.source ?? Object.values(input.sources ?? {}).filter(Boolean).join(',');
    return await deps.registry.import({
      kind: input.kind,
      name: input.name,
      tenant: principal.tenant,
      visibility: input.visibility,
      source,
      files,
      config,
      supplied: { baseFamily: input.base_family, scale: input.scale, preprocessor: input.preprocessor },
      licence: input.licence ?? null,
      fieldOf: (role) => (role === 'config' ? 'config' : (fields[role] ?? (uploaded ? (role === 'model' ? 'file' : role) : input.source ? 'source' : `sources.${role}`))),
    });
  } catch (error) {
    if (error instanceof OnnxModelImportError) {
      if (error.code === 'name_taken') throw new ApiError(HttpStatus.CONFLICT, 'import_refused', `${error.field}: ${error.message}`, [{ field: error.field, message: error.message }]);
      throw ApiError.field(error.field, error.message);
    }
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** One source to a local file: the caller's own s3:// object (streamed) or an https:// URL (guarded). */
async function spool(deps: OnnxImportDeps, principal: Principal, source: string, field: string, target: string): Promise<string> {
  if (source.startsWith('s3://')) {
    const spooled = await spoolOwnedObject(source, principal, deps.farmBucket, deps.storage, deps.maxBytes, field);
    try {
      await rename(spooled.file.path, target);
    } finally {
      await spooled.dispose();
    }
    return target;
  }
  const bytes = await fetchImportSource(source, deps.downloadPolicy, deps.maxBytes, field);
  await writeFile(target, bytes);
  return target;
}

function staticCheck(source: string, policy: OutboundPolicy, field: string): void {
  try {
    checkOutboundUrl(source, policy);
  } catch (error) {
    if (error instanceof OutboundError) throw ApiError.field(field, error.message);
    throw error;
  }
}

async function readConfig(file: SpooledFile): Promise<Record<string, unknown>> {
  if (file.size > MAX_CONFIG_BYTES) throw ApiError.field('config', `config.json is larger than ${MAX_CONFIG_BYTES} bytes`);
  try {
    const value: unknown = JSON.parse(await readFile(file.path, 'utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw ApiError.field('config', 'must be a JSON object (the model\'s config.json)');
}
