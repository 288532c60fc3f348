import { z } from 'zod';
import { adapterNameSchema, type AdapterOwner } from './adapter-manifest.js';

/** Single-purpose ONNX models kept in the registry beside LoRAs (ControlNet, preprocessors, post-processing). */
export const ONNX_MODEL_KINDS = ['controlnet', 'preprocessor', 'upscaler', 'face_detector', 'face_restorer', 'segmenter', 'ip_adapter'] as const;
export type OnnxModelKind = (typeof ONNX_MODEL_KINDS)[number];

/** A kind's folder under MODELS_DIR: `<kind>s`, except IP-Adapters, which keep the library's `ip-adapters/`. */
export function localFolderOf(kind: OnnxModelKind): string {
  return kind === 'ip_adapter' ? 'ip-adapters' : `${kind}s`;
}

/** The pipeline families a ControlNet can be trained for (cross-attention width 768, 1024, 2048). */
export const CONTROLNET_FAMILIES = ['sd1', 'sd2', 'sdxl'] as const;
export type ControlNetFamily = (typeof CONTROLNET_FAMILIES)[number];

/** The ONNX preprocessors `@atelier/preprocessors` runs, by the folder it opens (scribble uses softedge). */
export const ONNX_PREPROCESSORS = ['depth', 'softedge', 'openpose'] as const;
export type OnnxPreprocessor = (typeof ONNX_PREPROCESSORS)[number];

/** A file of a model folder: its role in the request (`model`, `encoder`…) and its name on disk. */
export const ONNX_FILE_NAMES = {
  model: 'model.onnx',
  encoder: 'encoder.onnx',
  decoder: 'decoder.onnx',
  detector: 'detector.onnx',
  pose: 'pose.onnx',
  // IP-Adapter graphs keep the pipeline library's folder layout, so a synced folder opens as is.
  image_encoder: 'image_encoder/model.onnx',
  projection: 'projection/model.onnx',
  config: 'config.json',
} as const;
export type OnnxFileRole = keyof typeof ONNX_FILE_NAMES;
export const ONNX_GRAPH_ROLES = ['model', 'encoder', 'decoder', 'detector', 'pose', 'image_encoder', 'projection'] as const satisfies readonly OnnxFileRole[];
export type OnnxGraphRole = (typeof ONNX_GRAPH_ROLES)[number];

const valueSchema = z.object({
  name: z.string(),
  element_type: z.string(),
  dims: z.array(z.union([z.number().int(), z.string()])),
});
export type OnnxValueManifest = z.infer<typeof valueSchema>;

const fileSchema = z.object({
  role: z.enum(Object.keys(ONNX_FILE_NAMES) as [OnnxFileRole, ...OnnxFileRole[]]),
  path: z.enum(Object.values(ONNX_FILE_NAMES) as [string, ...string[]]),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  /** Graphs only: what the ONNX file declares (config.json has none). */
  inputs: z.array(valueSchema).optional(),
  outputs: z.array(valueSchema).optional(),
});
export type OnnxFileManifest = z.infer<typeof fileSchema>;

const sizeSchema = z.object({ width: z.number().int().positive(), height: z.number().int().positive() });

/** What the registry keeps beside each stored ONNX model folder (`manifest.json`). */
export const onnxModelManifestSchema = z
  .object({
    id: z.string(),
    kind: z.enum(ONNX_MODEL_KINDS),
    name: adapterNameSchema,
    tenant: z.string(),
    visibility: z.enum(['private', 'public']),
    format: z.literal('onnx'),
    files: z.array(fileSchema).min(1),
    /** All files together, in bytes. */
    size: z.number().int().nonnegative(),
    /** controlnet, ip_adapter: the pipeline family it conditions (from config.json or the text-feature width). */
    base_family: z.enum(CONTROLNET_FAMILIES).optional(),
    /** controlnet: the export takes a `conditioning_scale` input (else the pipeline scales the residuals). */
    has_conditioning_scale: z.boolean().optional(),
    /** upscaler: output side / input side. */
    scale: z.number().int().min(1).max(16).optional(),
    /** preprocessor: which ControlNet preprocessor it serves. */
    preprocessor: z.enum(ONNX_PREPROCESSORS).optional(),
    /** upscaler, face_detector, face_restorer, segmenter: a fixed input size the graph declares. */
    input_size: sizeSchema.nullable().optional(),
    /** face_restorer: a `weight` (fidelity) input, as CodeFormer has. */
    has_fidelity: z.boolean().optional(),
    /** segmenter: the prompt decoder's layout (official SAM export or transformers.js). */
    decoder_layout: z.enum(['sam', 'transformers']).optional(),
    /** ip_adapter: a "plus" adapter (the encoder's penultimate hidden states feed a Resampler). */
    plus: z.boolean().optional(),
    /** ip_adapter: image tokens per image (the projection's output length), when static. */
    tokens: z.number().int().positive().optional(),
    source: z.string(),
    licence: z.string().nullable(),
    created_at: z.string(),
  })
  .superRefine((manifest, context) => {
    const need = (field: string, present: boolean): void => {
      if (!present) context.addIssue({ code: 'custom', path: [field], message: `a ${manifest.kind} manifest needs ${field}` });
    };
    if (manifest.kind === 'controlnet' || manifest.kind === 'ip_adapter') need('base_family', manifest.base_family !== undefined);
    if (manifest.kind === 'upscaler') need('scale', manifest.scale !== undefined);
    if (manifest.kind === 'preprocessor') need('preprocessor', manifest.preprocessor !== undefined);
    if (manifest.kind === 'segmenter') need('decoder_layout', manifest.decoder_layout !== undefined);
  });
export type OnnxModelManifest = z.infer<typeof onnxModelManifestSchema>;

/** `registry/<kind>s/<name>/` for public models, `registry/tenants/<tenant>/<kind>s/<name>/` for private ones. */
export function onnxModelPrefix(kind: OnnxModelKind, name: string, owner: AdapterOwner): string {
  return owner.visibility === 'public' ? `registry/${kind}s/${name}/` : `registry/tenants/${owner.tenant}/${kind}s/${name}/`;
}

export const ONNX_MANIFEST_FILE = 'manifest.json';

/** Matches a stored manifest key, public or private, and tells whose and which it is. */
export function parseOnnxManifestKey(key: string): { kind: OnnxModelKind; name: string; owner: AdapterOwner } | undefined {
  const match = /^registry\/(?:tenants\/([^/]+)\/)?([a-z_]+)s\/([^/]+)\/manifest\.json$/.exec(key);
  if (!match) return undefined;
  const kind = ONNX_MODEL_KINDS.find((each) => each === match[2]);
  if (!kind) return undefined;
  const owner: AdapterOwner = match[1] === undefined ? { visibility: 'public', tenant: '' } : { visibility: 'private', tenant: match[1] };
  return { kind, name: match[3], owner };
}
