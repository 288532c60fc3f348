import { access, open, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileSource, inspectOnnxModel, type OnnxModelSignature } from '@atelier/onnx-graph';
import { adapterNameSchema } from './adapter-manifest.js';
import { onnxModelCacheDir } from './onnx-model-sync.js';
import { deriveModelFacts, graphRolesOf, type ModelFacts } from './onnx-model-facts.js';
import {
  CONTROLNET_FAMILIES,
  ONNX_FILE_NAMES,
  ONNX_MANIFEST_FILE,
  ONNX_MODEL_KINDS,
  localFolderOf,
  onnxModelManifestSchema,
  type OnnxFileRole,
  type OnnxGraphRole,
  type OnnxModelKind,
  type OnnxModelManifest,
  type OnnxPreprocessor,
} from './onnx-model-manifest.js';

/** Where a worker finds ONNX models: the registry cache (synced) and the image's MODELS_DIR. */
export interface OnnxModelDirs {
  /** The registry cache root (`<MODEL_CACHE>/registry`, the folder syncOnnxModels fills). */
  readonly cacheDir: string;
  readonly modelsDir: string;
}

/** A model folder a job can open, with the facts routing and runners need. */
export interface LocatedOnnxModel {
  readonly kind: OnnxModelKind;
  readonly name: string;
  /** `private`: the tenant's own registry model; `public`: a public registry model; `local`: MODELS_DIR. */
  readonly origin: 'private' | 'public' | 'local';
  readonly dir: string;
  /** Absolute paths of the files present, by role (`model`, `config`, `encoder`…). */
  readonly files: Partial<Record<OnnxFileRole, string>>;
  readonly facts: ModelFacts;
  /** The registry manifest (registry models only). */
  readonly manifest: OnnxModelManifest | undefined;
}

const SAFE_TENANT = /^[A-Za-z0-9_.-]{1,200}$/;

/**
 * The one worker-side lookup of an ONNX model by kind and name for a job of `tenant`: the
 * tenant's own private registry model first, then a public registry model, then
 * `MODELS_DIR/<kind>s/<name>/` (`MODELS_DIR/ip-adapters/<name>/`; how operators ship models in
 * the image). Every returned `dir` opens with the pipeline library as it is (an IP-Adapter's
 * synced folder has the library's `image_encoder/`, `projection/` layout). Another tenant's
 * private model is never returned; a name that is not a plain model name (`../x`) finds nothing.
 */
export async function locateOnnxModel(kind: OnnxModelKind, name: string, tenant: string, dirs: OnnxModelDirs): Promise<LocatedOnnxModel | undefined> {
  if (!adapterNameSchema.safeParse(name).success || !ONNX_MODEL_KINDS.includes(kind)) return undefined;
  const owners = SAFE_TENANT.test(tenant) && tenant !== '.' && tenant !== '..' ? [{ visibility: 'private' as const, tenant }, { visibility: 'public' as const, tenant: '' }] : [{ visibility: 'public' as const, tenant: '' }];
  for (const owner of owners) {
    const dir = onnxModelCacheDir(dirs.cacheDir, { kind, name, ...owner });
    const manifest = await readCachedManifest(dir);
    if (manifest && manifest.kind === kind) return fromManifest(dir, manifest, owner.visibility);
  }
  return readLocalModel(kind, name, dirs.modelsDir);
}

/** What a worker announces: one entry per model it can run, private ones as `<tenant>/<name>`. */
export interface AnnouncedOnnxModel {
  readonly kind: OnnxModelKind;
  readonly name: string;
  readonly base_family?: (typeof CONTROLNET_FAMILIES)[number];
  /** A preprocessor model's preprocessor (depth, softedge, openpose): the API picks defaults and routes by it. */
  readonly preprocessor?: OnnxPreprocessor;
  /** An upscaler's factor: the API checks a requested scale and the output size against it. */
  readonly scale?: number;
  /** ControlNet, IP-Adapter: the text-feature width it works with, when its files tell. */
  readonly cross_attention_dim?: number;
}

/**
 * Every ONNX model this worker has: synced registry models (private ones as `<tenant>/<name>`,
 * as LoRAs are announced) and MODELS_DIR folders, with a ControlNet's family. Local folders
 * whose graphs do not fit their kind are left out and reported in `problems`.
 */
export async function listOnnxModels(dirs: OnnxModelDirs): Promise<{ models: AnnouncedOnnxModel[]; problems: string[] }> {
  const models: AnnouncedOnnxModel[] = [];
  const problems: string[] = [];
  const announce = async (located: Pick<LocatedOnnxModel, 'kind' | 'facts' | 'files'>, name: string): Promise<void> => {
    const width = await crossAttentionDim(located);
    const { base_family, preprocessor, scale } = located.facts;
    models.push({
      kind: located.kind,
      name,
      ...(base_family ? { base_family } : {}),
      ...(preprocessor ? { preprocessor } : {}),
      ...(scale !== undefined ? { scale } : {}),
      ...(width ? { cross_attention_dim: width } : {}),
    });
  };
  const tenants = await readdir(path.join(dirs.cacheDir, 'tenants')).catch(() => []);
  for (const kind of ONNX_MODEL_KINDS) {
    for (const name of await folders(path.join(dirs.cacheDir, 'public', `${kind}s`))) {
      const dir = path.join(dirs.cacheDir, 'public', `${kind}s`, name);
      const manifest = await readCachedManifest(dir);
      if (manifest) await announce(fromManifest(dir, manifest, 'public'), name);
    }
    for (const tenant of tenants) {
      for (const name of await folders(path.join(dirs.cacheDir, 'tenants', tenant, `${kind}s`))) {
        const dir = path.join(dirs.cacheDir, 'tenants', tenant, `${kind}s`, name);
        const manifest = await readCachedManifest(dir);
        if (manifest) await announce(fromManifest(dir, manifest, 'private'), `${tenant}/${name}`);
      }
    }
    for (const name of await folders(path.join(dirs.modelsDir, localFolderOf(kind)))) {
      if (models.some((model) => model.kind === kind && model.name === name)) continue;
      try {
        const local = await readLocalModel(kind, name, dirs.modelsDir, true);
        if (local) await announce(local, name);
      } catch (error) {
        problems.push(`${localFolderOf(kind)}/${name}: ${(error as Error).message}`);
      }
    }
  }
  return { models: models.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)), problems };
}

/**
 * The width a ControlNet's config.json (`cross_attention_dim`) or an IP-Adapter's projection
 * output (C of [N, T, C]) says it works with: the API checks it against the model's text width
 * (tiny test exports and unusual bases have none of the standard 768/1024/2048).
 */
async function crossAttentionDim(located: Pick<LocatedOnnxModel, 'kind' | 'files'>): Promise<number | undefined> {
  if (located.kind === 'ip_adapter' && located.files.projection) {
    const width = (await inspectLocal(located.files.projection)).outputs[0]?.dims[2];
    return typeof width === 'number' && width > 0 ? width : undefined;
  }
  if (located.kind !== 'controlnet' || !located.files.config) return undefined;
  const config = JSON.parse(await readFile(located.files.config, 'utf8').catch(() => '{}')) as { cross_attention_dim?: unknown };
  const cross = Array.isArray(config.cross_attention_dim) ? (config.cross_attention_dim as unknown[])[0] : config.cross_attention_dim;
  return typeof cross === 'number' && Number.isInteger(cross) && cross > 0 ? cross : undefined;
}

async function folders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory() && adapterNameSchema.safeParse(entry.name).success).map((entry) => entry.name).sort();
}

async function readCachedManifest(dir: string): Promise<OnnxModelManifest | undefined> {
  const text = await readFile(path.join(dir, ONNX_MANIFEST_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = onnxModelManifestSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

function fromManifest(dir: string, manifest: OnnxModelManifest, origin: 'private' | 'public'): LocatedOnnxModel {
  const files: Partial<Record<OnnxFileRole, string>> = {};
  for (const file of manifest.files) files[file.role] = path.join(dir, file.path);
  const { base_family, has_conditioning_scale, scale, preprocessor, input_size, has_fidelity, decoder_layout, plus, tokens } = manifest;
  const facts: ModelFacts = { base_family, has_conditioning_scale, scale, preprocessor, input_size, has_fidelity, decoder_layout, plus, tokens };
  return { kind: manifest.kind, name: manifest.name, origin, dir, files, facts, manifest };
}

/**
 * A MODELS_DIR folder read as the registry would import it. Facts an import states explicitly
 * come from config.json here (`base_family`, `scale`, `preprocessor`), a preprocessor's kind is
 * otherwise told by its files. Undefined when the folder has no graph; with `strict`, a folder
 * whose graphs do not fit the kind throws (else it is undefined too).
 */
async function readLocalModel(kind: OnnxModelKind, name: string, modelsDir: string, strict = false): Promise<LocatedOnnxModel | undefined> {
  const dir = path.join(modelsDir, localFolderOf(kind), name);
  const files: Partial<Record<OnnxFileRole, string>> = {};
  const present = (file: string): Promise<boolean> => access(path.join(dir, file)).then(() => true, () => false);
  for (const [role, file] of Object.entries(ONNX_FILE_NAMES) as Array<[OnnxFileRole, string]>) {
    if (await present(file)) files[role] = path.join(dir, file);
  }
  // The pipeline library also opens IP-Adapter projections exported as image_proj/.
  if (kind === 'ip_adapter' && !files.projection && (await present('image_proj/model.onnx'))) files.projection = path.join(dir, 'image_proj/model.onnx');
  if (!files.model && !files.encoder && !files.detector && !files.image_encoder) return undefined;
  try {
    const config = files.config ? (JSON.parse(await readFile(files.config, 'utf8')) as Record<string, unknown>) : undefined;
    const preprocessor: OnnxPreprocessor | undefined = kind !== 'preprocessor' ? undefined : files.detector && files.pose ? 'openpose' : config?.model_type === 'hed' || config?.model_type === 'pidinet' ? 'softedge' : 'depth';
    const graphs: Partial<Record<OnnxGraphRole, OnnxModelSignature>> = {};
    for (const role of graphRolesOf(kind, preprocessor)) if (files[role]) graphs[role] = await inspectLocal(files[role]);
    const family = CONTROLNET_FAMILIES.find((each) => each === config?.base_family);
    const fileOf = (role: OnnxFileRole): string => (files[role] ? path.relative(dir, files[role]) : ONNX_FILE_NAMES[role]);
    const { facts } = deriveModelFacts({
      kind,
      graphs,
      config,
      supplied: { preprocessor, scale: typeof config?.scale === 'number' ? config.scale : undefined, baseFamily: family },
      fieldOf: (role) => `${localFolderOf(kind)}/${name}/${fileOf(role)}`,
    });
    return { kind, name, origin: 'local', dir, files, facts, manifest: undefined };
  } catch (error) {
    if (strict) throw error;
    return undefined;
  }
}

async function inspectLocal(file: string): Promise<OnnxModelSignature> {
  const handle = await open(file, 'r');
  try {
    return await inspectOnnxModel(fileSource(handle, (await handle.stat()).size));
  } finally {
    await handle.close();
  }
}
