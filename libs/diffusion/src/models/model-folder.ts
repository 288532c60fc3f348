import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export type ModelFamily = 'sd1' | 'sd2' | 'sdxl' | 'sdxl-refiner';

export class InvalidModelError extends Error {
  constructor(dir: string, reason: string) {
    super(`model folder ${dir}: ${reason}`);
    this.name = 'InvalidModelError';
  }
}

const componentConfigSchema = z.looseObject({});
const modelIndexSchema = z.looseObject({
  _class_name: z.string().optional(),
  _name_or_path: z.string().optional(),
  force_zeros_for_empty_prompt: z.boolean().optional(),
  requires_aesthetics_score: z.boolean().optional(),
});
/** Optional Atelier-specific sidecar: what diffusers' files do not say. */
const atelierManifestSchema = z
  .object({
    description: z.string().optional(),
    refiner: z.string().optional(),
    default_width: z.number().int().positive().optional(),
    default_height: z.number().int().positive().optional(),
    default_scheduler: z.string().optional(),
  })
  .strict();

export interface ModelComponents {
  readonly textEncoder?: string;
  readonly textEncoder2?: string;
  readonly unet: string;
  /** The same UNet exported to take ControlNet residuals (OnnxStack `controlnet/`, onnx-web `cnet/`). */
  readonly controlnetUnet?: string;
  /** The UNet exported with an IP-Adapter's image attention: context = text tokens then image tokens (`ip_unet/`). */
  readonly ipUnet?: string;
  /** The same with ControlNet residual inputs too (`ip_controlnet/`), for IP-Adapter + ControlNet. */
  readonly ipControlnetUnet?: string;
  readonly vaeDecoder: string;
  readonly vaeEncoder?: string;
  readonly tokenizer?: string;
  readonly tokenizer2?: string;
}

/** A model folder in the diffusers / Optimum ONNX layout, read and checked once. */
export interface ModelFolder {
  readonly id: string;
  readonly dir: string;
  readonly pipelineClass: string;
  readonly components: ModelComponents;
  readonly schedulerConfig: Readonly<Record<string, unknown>>;
  readonly unetConfig: Record<string, unknown>;
  readonly vaeScalingFactor: number;
  readonly vaeScaleFactor: number;
  readonly defaultWidth: number;
  readonly defaultHeight: number;
  readonly defaultScheduler?: string;
  readonly refiner?: string;
  readonly description: string;
  /** SDXL: an empty negative prompt is encoded as zeros rather than as "". */
  readonly forceZerosForEmptyPrompt: boolean;
  /** SDXL refiner: time ids end with an aesthetic score instead of the target size. */
  readonly requiresAestheticsScore: boolean;
  /** `_name_or_path` of model_index.json and unet/config.json (the Hub id an export came from), where written. */
  readonly namesOrPaths: ReadonlyArray<{ readonly source: string; readonly value: string }>;
  /** Whether atelier.json fixed the default size (it wins over a variant's recommended size). */
  readonly sizeFromManifest: boolean;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidModelError(path.dirname(file), `${path.basename(file)} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A component is there when its graph is, or when its graph is fetched on first use (remote models). */
async function component(dir: string, name: string): Promise<string | undefined> {
  const file = path.join(dir, name, 'model.onnx');
  return (await exists(file)) || (await exists(`${file}.remote.json`)) ? file : undefined;
}

export interface ReadModelFolderOptions {
  /** Folders without text encoders, for callers that pass prompt embeddings (diffusers' `prompt_embeds`). */
  readonly textEncoders?: 'required' | 'optional';
}

export async function readModelFolder(dir: string, id = path.basename(dir), options: ReadModelFolderOptions = {}): Promise<ModelFolder> {
  const index = modelIndexSchema.safeParse((await readJson(path.join(dir, 'model_index.json'))) ?? {});
  if (!index.success) throw new InvalidModelError(dir, 'model_index.json is malformed');
  const unet = await component(dir, 'unet');
  const vaeDecoder = await component(dir, 'vae_decoder');
  if (!unet) throw new InvalidModelError(dir, 'unet/model.onnx is missing');
  if (!vaeDecoder) throw new InvalidModelError(dir, 'vae_decoder/model.onnx is missing');
  const components: ModelComponents = {
    unet,
    controlnetUnet: (await component(dir, 'controlnet')) ?? (await component(dir, 'cnet')),
    ipUnet: await component(dir, 'ip_unet'),
    ipControlnetUnet: await component(dir, 'ip_controlnet'),
    vaeDecoder,
    textEncoder: await component(dir, 'text_encoder'),
    textEncoder2: await component(dir, 'text_encoder_2'),
    vaeEncoder: await component(dir, 'vae_encoder'),
    tokenizer: (await exists(path.join(dir, 'tokenizer', 'vocab.json'))) ? path.join(dir, 'tokenizer') : undefined,
    tokenizer2: (await exists(path.join(dir, 'tokenizer_2', 'vocab.json'))) ? path.join(dir, 'tokenizer_2') : undefined,
  };
  if (!components.textEncoder && !components.textEncoder2 && options.textEncoders !== 'optional') throw new InvalidModelError(dir, 'no text_encoder/model.onnx');
  const unetConfig = componentConfigSchema.parse((await readJson(path.join(dir, 'unet', 'config.json'))) ?? {});
  const vaeConfig = componentConfigSchema.parse(
    (await readJson(path.join(dir, 'vae_decoder', 'config.json'))) ?? (await readJson(path.join(dir, 'vae_encoder', 'config.json'))) ?? {},
  );
  const schedulerJson = await readJson(path.join(dir, 'scheduler', 'scheduler_config.json'));
  if (schedulerJson === undefined) throw new InvalidModelError(dir, 'scheduler/scheduler_config.json is missing');
  const schedulerParsed = componentConfigSchema.safeParse(schedulerJson);
  if (!schedulerParsed.success) throw new InvalidModelError(dir, 'scheduler/scheduler_config.json must hold a JSON object');
  const schedulerConfig = schedulerParsed.data;
  const manifestJson = await readJson(path.join(dir, 'atelier.json'));
  const manifest = atelierManifestSchema.safeParse(manifestJson ?? {});
  if (!manifest.success) throw new InvalidModelError(dir, `atelier.json: ${manifest.error.issues.map((issue) => issue.message).join('; ')}`);

  // Stable Diffusion defaults when a component folder ships no config.json.
  const blocks = Array.isArray(vaeConfig.block_out_channels) ? vaeConfig.block_out_channels.length : 4;
  const vaeScaleFactor = 2 ** (blocks - 1);
  const vaeScalingFactor = typeof vaeConfig.scaling_factor === 'number' ? vaeConfig.scaling_factor : 0.18215;
  const sampleSize = typeof unetConfig.sample_size === 'number' ? unetConfig.sample_size : 64;
  return {
    id,
    dir,
    pipelineClass: index.data._class_name ?? 'StableDiffusionPipeline',
    components,
    schedulerConfig,
    unetConfig,
    vaeScalingFactor,
    vaeScaleFactor,
    defaultWidth: manifest.data.default_width ?? sampleSize * vaeScaleFactor,
    defaultHeight: manifest.data.default_height ?? sampleSize * vaeScaleFactor,
    defaultScheduler: manifest.data.default_scheduler,
    refiner: manifest.data.refiner,
    description: manifest.data.description ?? `${index.data._class_name ?? 'Stable Diffusion'} ONNX export`,
    forceZerosForEmptyPrompt: index.data.force_zeros_for_empty_prompt ?? false,
    requiresAestheticsScore: index.data.requires_aesthetics_score ?? false,
    namesOrPaths: [
      ...(index.data._name_or_path ? [{ source: 'model_index.json _name_or_path', value: index.data._name_or_path }] : []),
      ...(typeof unetConfig._name_or_path === 'string' ? [{ source: 'unet/config.json _name_or_path', value: unetConfig._name_or_path }] : []),
    ],
    sizeFromManifest: manifest.data.default_width !== undefined || manifest.data.default_height !== undefined,
  };
}

/** Family from the files alone (the UNet's inputs refine it once a session is open). */
export function detectFamily(folder: ModelFolder, predictionType: string): ModelFamily {
  const pipelineClass = folder.pipelineClass.toLowerCase();
  // Without any text encoder (prompt embeddings given) only the aesthetic score tells the refiner apart.
  if (pipelineClass.includes('xl')) return folder.components.textEncoder || (!folder.components.textEncoder2 && !folder.requiresAestheticsScore) ? 'sdxl' : 'sdxl-refiner';
  if (folder.components.textEncoder2) return folder.components.textEncoder ? 'sdxl' : 'sdxl-refiner';
  return predictionType === 'v_prediction' ? 'sd2' : 'sd1';
}
