import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { fileSource, inspectOnnxModel, OnnxInspectError, type OnnxModelSignature } from '@atelier/onnx-graph';
import type { ObjectStorage } from '@atelier/storage';
import type { AdapterOwner } from './adapter-manifest.js';
import { OnnxModelImportError } from './onnx-model-errors.js';
import { deriveModelFacts, graphRolesOf, type SuppliedFacts } from './onnx-model-facts.js';
import {
  ONNX_FILE_NAMES,
  ONNX_GRAPH_ROLES,
  ONNX_MANIFEST_FILE,
  ONNX_MODEL_KINDS,
  onnxModelManifestSchema,
  onnxModelPrefix,
  parseOnnxManifestKey,
  type OnnxFileManifest,
  type OnnxGraphRole,
  type OnnxModelKind,
  type OnnxModelManifest,
} from './onnx-model-manifest.js';

export interface OnnxModelImport {
  readonly kind: OnnxModelKind;
  readonly name: string;
  readonly tenant: string;
  readonly visibility: 'private' | 'public';
  readonly source: string;
  /** Local (spooled) files by role: `model`, or `encoder` + `decoder`, or `detector` + `pose`. */
  readonly files: Partial<Record<OnnxGraphRole, string>>;
  /** config.json's content, when the import had one. */
  readonly config?: Record<string, unknown>;
  readonly supplied?: SuppliedFacts;
  readonly licence?: string | null;
  /** The request field a file's problems are reported against. */
  readonly fieldOf?: (role: OnnxGraphRole | 'config') => string;
}

/**
 * ControlNets, preprocessors, upscalers, face detectors/restorers and segmenters kept in object
 * storage as a folder per model (`model.onnx`, or the kind's named graphs, + `config.json`) with
 * `manifest.json` beside the files. Names and visibility work exactly as for adapters: private
 * models are per tenant, public ones share one namespace, an owner's private model is found
 * before a public one of the same name, and re-importing an own name replaces it.
 *
 * Graphs are read without loading weights (inspectOnnxModel) and checked against what their kind
 * needs. Graphs whose weights live in an external data file are refused: a single-file protobuf
 * holds up to 2 GB, enough for every kind here but SDXL ControlNets in fp32.
 */
export class OnnxModelRegistry {
  constructor(private readonly storage: ObjectStorage) {}

  async import(input: OnnxModelImport): Promise<OnnxModelManifest> {
    const fieldOf = input.fieldOf ?? ((role: OnnxGraphRole | 'config') => (role === 'model' ? 'file' : role));
    const wanted = graphRolesOf(input.kind, input.supplied?.preprocessor);
    for (const role of ONNX_GRAPH_ROLES) {
      if (input.files[role] && !wanted.includes(role)) throw new OnnxModelImportError('invalid_model', fieldOf(role), `a ${input.kind}${input.supplied?.preprocessor ? ` (${input.supplied.preprocessor})` : ''} has no ${role} graph: it takes ${wanted.join(' and ')}`);
    }
    const graphs: Partial<Record<OnnxGraphRole, OnnxModelSignature>> = {};
    const sizes = new Map<OnnxGraphRole, number>();
    for (const role of wanted) {
      const file = input.files[role];
      if (!file) throw new OnnxModelImportError('invalid_model', fieldOf(role), `a ${input.kind} needs the ${role} graph (${ONNX_FILE_NAMES[role]})`);
      const { signature, size } = await inspectFile(file, fieldOf(role));
      graphs[role] = signature;
      sizes.set(role, size);
    }
    const { facts, config } = deriveModelFacts({ kind: input.kind, graphs, config: input.config, supplied: input.supplied ?? {}, fieldOf });
    if (input.visibility === 'public') {
      const existing = await this.read(onnxModelPrefix(input.kind, input.name, input) + ONNX_MANIFEST_FILE);
      if (existing && existing.tenant !== input.tenant) throw new OnnxModelImportError('name_taken', 'name', `public ${input.kind} "${input.name}" already exists`);
    }
    const prefix = onnxModelPrefix(input.kind, input.name, input);
    const before = await this.storage.list(prefix);
    const files: OnnxFileManifest[] = [];
    for (const role of wanted) {
      const graph = graphs[role] as OnnxModelSignature;
      const sha256 = await this.streamHashed(input.files[role] as string, prefix + ONNX_FILE_NAMES[role]);
      const values = (list: OnnxModelSignature['inputs']): OnnxFileManifest['inputs'] => list.map((value) => ({ name: value.name, element_type: value.elementType, dims: [...value.dims] }));
      files.push({ role, path: ONNX_FILE_NAMES[role], sha256, size: sizes.get(role) as number, inputs: values(graph.inputs), outputs: values(graph.outputs) });
    }
    if (config) {
      const bytes = Buffer.from(JSON.stringify(config, null, 2));
      await this.storage.put(prefix + ONNX_FILE_NAMES.config, bytes, 'application/json');
      files.push({ role: 'config', path: ONNX_FILE_NAMES.config, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    }
    const manifest = onnxModelManifestSchema.parse({
      id: `${input.kind}:${input.name}`,
      kind: input.kind,
      name: input.name,
      tenant: input.tenant,
      visibility: input.visibility,
      format: 'onnx',
      files,
      size: files.reduce((total, file) => total + file.size, 0),
      ...facts,
      source: input.source,
      licence: input.licence ?? null,
      created_at: new Date().toISOString(),
    });
    await this.storage.put(prefix + ONNX_MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
    // A replaced model may have had other files (an openpose pair replaced by a depth model).
    const kept = new Set([...files.map((file) => prefix + file.path), prefix + ONNX_MANIFEST_FILE]);
    for (const key of before) if (!kept.has(key)) await this.storage.delete(key);
    // The caller's copy under the other visibility is replaced by this one.
    const other: AdapterOwner = { tenant: input.tenant, visibility: input.visibility === 'public' ? 'private' : 'public' };
    const previous = await this.read(onnxModelPrefix(input.kind, input.name, other) + ONNX_MANIFEST_FILE);
    if (previous && previous.tenant === input.tenant && previous.visibility === other.visibility) await this.delete(previous);
    return manifest;
  }

  /** What `name` means to `tenant`: its own private model first, then a public one. */
  async resolve(kind: OnnxModelKind, name: string, tenant: string): Promise<OnnxModelManifest | undefined> {
    const own = await this.read(onnxModelPrefix(kind, name, { visibility: 'private', tenant }) + ONNX_MANIFEST_FILE);
    if (own) return own;
    return this.read(onnxModelPrefix(kind, name, { visibility: 'public', tenant }) + ONNX_MANIFEST_FILE);
  }

  /** Every model of every tenant (workers sync them all; callers filter by visibility). */
  async list(kind?: OnnxModelKind): Promise<OnnxModelManifest[]> {
    const kinds = kind ? [kind] : [...ONNX_MODEL_KINDS];
    const keys = [...(await this.storage.list('registry/tenants/')), ...(await Promise.all(kinds.map((each) => this.storage.list(`registry/${each}s/`)))).flat()];
    const manifests: OnnxModelManifest[] = [];
    for (const key of keys) {
      const parsed = parseOnnxManifestKey(key);
      if (!parsed || !kinds.includes(parsed.kind)) continue;
      const manifest = await this.read(key);
      // Only a manifest stored where its own fields say it belongs counts.
      if (manifest && manifest.kind === parsed.kind && manifest.name === parsed.name && manifest.visibility === parsed.owner.visibility && (manifest.visibility === 'public' || manifest.tenant === parsed.owner.tenant)) manifests.push(manifest);
    }
    return manifests.sort((a, b) => a.id.localeCompare(b.id) || a.tenant.localeCompare(b.tenant));
  }

  async delete(manifest: OnnxModelManifest): Promise<void> {
    const prefix = onnxModelPrefix(manifest.kind, manifest.name, manifest);
    // The manifest goes first: a half-deleted folder is no longer listed or synced.
    await this.storage.delete(prefix + ONNX_MANIFEST_FILE);
    for (const key of await this.storage.list(prefix)) await this.storage.delete(key);
  }

  /** The storage key of one of a model's files. */
  fileKey(manifest: OnnxModelManifest, file: OnnxFileManifest): string {
    return onnxModelPrefix(manifest.kind, manifest.name, manifest) + file.path;
  }

  private async streamHashed(file: string, key: string): Promise<string> {
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await this.storage.putStream(key, createReadStream(file).pipe(hashing), 'application/octet-stream');
    return hash.digest('hex');
  }

  private async read(key: string): Promise<OnnxModelManifest | undefined> {
    if (!(await this.storage.exists(key))) return undefined;
    const parsed = onnxModelManifestSchema.safeParse(JSON.parse((await this.storage.get(key)).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  }
}

/** A graph's declared signature, or an import error naming `field` (not ONNX, external weights). */
async function inspectFile(file: string, field: string): Promise<{ signature: OnnxModelSignature; size: number }> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    let signature: OnnxModelSignature;
    try {
      signature = await inspectOnnxModel(fileSource(handle, size));
    } catch (error) {
      if (error instanceof OnnxInspectError) throw new OnnxModelImportError('invalid_model', field, `not an ONNX model: ${error.message}`);
      throw error;
    }
    if (signature.externalDataFiles.length > 0) throw new OnnxModelImportError('invalid_model', field, `the graph keeps its weights in ${signature.externalDataFiles.join(', ')}; import a single-file export (weights inside the .onnx file)`);
    return { signature, size };
  } finally {
    await handle.close();
  }
}
