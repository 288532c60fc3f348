import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveModel, type SavedModel } from '@atelier/onnx-graph';
import { copyTokenizerFiles, findClipTokenizerAssets, findPadBangTokenizerAssets, readVocab } from '../tokenizer-assets.js';
import { VAE_DOWNSCALE } from '../vae-graphs.js';
import { toFloat16Model } from './float16-model.js';
import { saveModelProto } from './save-model-proto.js';
import { DEMO_VARIANTS, planVariant, type ComponentFolder, type ComponentPlan, type DemoVariant } from './variant-plans.js';

export interface DemoVariantOptions {
  /** Latent side the configs advertise (default 32, i.e. 256 px); the graphs accept any size. */
  readonly sampleSize?: number;
  /** CLIP tokenizer folder padded with <|endoftext|> (default: libs/diffusion/assets/clip-tokenizer). */
  readonly tokenizerDir?: string;
  /** CLIP tokenizer folder padded with `!` for tokenizer_2 (default: libs/demo-model/assets/tokenizer-pad-bang). */
  readonly tokenizer2Dir?: string;
  /** Store the UNet's tables in unet/model.onnx_data like large real exports (default true). */
  readonly unetExternalData?: boolean;
}

export interface DemoVariantPaths {
  readonly modelIndex: string;
  readonly schedulerConfig: string;
  /** atelier.json: { description }. */
  readonly manifest: string;
  readonly tokenizer: string | null;
  readonly tokenizer2: string | null;
  readonly textEncoder: string | null;
  readonly textEncoder2: string | null;
  readonly unet: string;
  /** unet/model.onnx_data, or null when the UNet was written inline. */
  readonly unetExternalData: string | null;
  readonly vaeDecoder: string;
  readonly vaeEncoder: string;
}

export interface DemoVariantInfo {
  readonly variant: DemoVariant;
  readonly dir: string;
  readonly description: string;
  readonly paths: DemoVariantPaths;
  readonly sampleSize: number;
  readonly defaultWidth: number;
  readonly defaultHeight: number;
  /** VAE latent scaling of the variant (0.13025 for SDXL, 0.18215 otherwise). */
  readonly scalingFactor: number;
  readonly predictionType: 'epsilon';
}

export function isDemoVariant(name: string): name is DemoVariant {
  return (DEMO_VARIANTS as readonly string[]).includes(name);
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function saveComponent(component: ComponentPlan, path: string, float16: boolean, external: boolean): Promise<SavedModel> {
  if (float16) return saveModelProto(toFloat16Model(component.graph.toModelProto().proto), path, { externalData: external });
  return saveModel(component.graph, path, { externalData: external ? {} : false });
}

/**
 * Writes one of the demo model's export variants into `outDir`: the folder layout, JSON files
 * and ONNX input/output names, types and shapes of the real export it imitates, with graphs that
 * are exact denoisers of the prompt's picture (see each UNet builder for its conditioning rule).
 */
export async function buildDemoVariant(outDir: string, variant: DemoVariant, options: DemoVariantOptions = {}): Promise<DemoVariantInfo> {
  if (!isDemoVariant(variant)) throw new Error(`unknown demo variant ${String(variant)}; expected one of ${DEMO_VARIANTS.join(', ')}`);
  const sampleSize = options.sampleSize ?? 32;
  if (!Number.isInteger(sampleSize) || sampleSize < 1) throw new Error(`invalid sampleSize ${sampleSize}`);
  const tokenizerSources = {
    tokenizer: options.tokenizerDir ?? findClipTokenizerAssets(),
    tokenizer_2: options.tokenizer2Dir ?? findPadBangTokenizerAssets(),
  };
  const plan = planVariant(variant, { sampleSize, vocab: await readVocab(tokenizerSources.tokenizer) });

  await mkdir(join(outDir, 'scheduler'), { recursive: true });
  const modelIndex = join(outDir, 'model_index.json');
  const schedulerConfig = join(outDir, 'scheduler', 'scheduler_config.json');
  const manifest = join(outDir, 'atelier.json');
  await writeJson(modelIndex, plan.modelIndex);
  await writeJson(schedulerConfig, plan.scheduler);
  await writeJson(manifest, { description: plan.description });

  const tokenizers: Partial<Record<'tokenizer' | 'tokenizer_2', string>> = {};
  for (const { folder, padBang } of plan.tokenizers) {
    tokenizers[folder] = join(outDir, folder);
    await copyTokenizerFiles(padBang ? tokenizerSources.tokenizer_2 : tokenizerSources.tokenizer, join(outDir, folder));
  }

  const saved: Partial<Record<ComponentFolder, SavedModel>> = {};
  for (const component of plan.components) {
    const dir = join(outDir, component.folder);
    await mkdir(dir, { recursive: true });
    if (component.config !== null) await writeJson(join(dir, 'config.json'), component.config);
    const external = component.folder === 'unet' && (options.unetExternalData ?? true);
    saved[component.folder] = await saveComponent(component, join(dir, 'model.onnx'), plan.float16, external);
  }
  const required = (folder: ComponentFolder): SavedModel => {
    const model = saved[folder];
    if (!model) throw new Error(`variant ${variant} has no ${folder}`);
    return model;
  };

  return {
    variant,
    dir: outDir,
    description: plan.description,
    paths: {
      modelIndex,
      schedulerConfig,
      manifest,
      tokenizer: tokenizers.tokenizer ?? null,
      tokenizer2: tokenizers.tokenizer_2 ?? null,
      textEncoder: saved.text_encoder?.modelPath ?? null,
      textEncoder2: saved.text_encoder_2?.modelPath ?? null,
      unet: required('unet').modelPath,
      unetExternalData: required('unet').externalDataPath,
      vaeDecoder: required('vae_decoder').modelPath,
      vaeEncoder: required('vae_encoder').modelPath,
    },
    sampleSize,
    defaultWidth: VAE_DOWNSCALE * sampleSize,
    defaultHeight: VAE_DOWNSCALE * sampleSize,
    scalingFactor: plan.scalingFactor,
    predictionType: 'epsilon',
  };
}

export { DEMO_VARIANTS, type DemoVariant };
