import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveModel } from '@atelier/onnx-graph';
import {
  modelIndexJson,
  schedulerConfigJson,
  textEncoderConfigJson,
  unetConfigJson,
  vaeConfigJson,
} from './component-configs.js';
import type { DemoPredictionType } from './denoiser-graph.js';
import { SUMMARY_FEATURES } from './features.js';
import { DEMO_SCALING_FACTOR } from './noise-schedule.js';
import { buildTextEncoderGraph } from './text-encoder-graph.js';
import { copyTokenizerFiles, findClipTokenizerAssets, readVocab } from './tokenizer-assets.js';
import { buildDemoUnetGraph } from './unet-graph.js';
import { VAE_DOWNSCALE, buildVaeDecoderGraph, buildVaeEncoderGraph } from './vae-graphs.js';
import { DEMO_VOCABULARY, type DemoVocabulary } from './vocabulary.js';

export interface DemoModelOptions {
  readonly predictionType?: DemoPredictionType;
  /** Latent side the configs advertise (default 32, i.e. 256 px); the graphs accept any size. */
  readonly sampleSize?: number;
  /** Text embedding width, UNet cross_attention_dim (default 768 as in SD 1.5). */
  readonly hiddenSize?: number;
  /** CLIP tokenizer folder to copy (default: the repository's libs/diffusion/assets/clip-tokenizer). */
  readonly tokenizerDir?: string;
  /** Store the UNet's tables in unet/model.onnx_data like large real exports (default true). */
  readonly unetExternalData?: boolean;
}

export interface ResolvedDemoModelOptions {
  readonly predictionType: DemoPredictionType;
  readonly sampleSize: number;
  readonly hiddenSize: number;
  readonly unetExternalData: boolean;
}

export interface DemoModelPaths {
  readonly modelIndex: string;
  readonly schedulerConfig: string;
  readonly tokenizer: string;
  readonly textEncoder: string;
  readonly unet: string;
  /** unet/model.onnx_data, or null when the UNet was written inline. */
  readonly unetExternalData: string | null;
  readonly vaeDecoder: string;
  readonly vaeEncoder: string;
}

export interface DemoModelInfo extends ResolvedDemoModelOptions {
  readonly dir: string;
  readonly paths: DemoModelPaths;
  readonly defaultWidth: number;
  readonly defaultHeight: number;
  readonly scalingFactor: number;
  readonly vocabulary: DemoVocabulary;
}

export function resolveDemoModelOptions(options: DemoModelOptions = {}): ResolvedDemoModelOptions {
  const resolved = {
    predictionType: options.predictionType ?? 'epsilon',
    sampleSize: options.sampleSize ?? 32,
    hiddenSize: options.hiddenSize ?? 768,
    unetExternalData: options.unetExternalData ?? true,
  };
  if (resolved.predictionType !== 'epsilon' && resolved.predictionType !== 'v_prediction') {
    throw new Error(`unsupported prediction type ${String(resolved.predictionType)}`);
  }
  if (!Number.isInteger(resolved.sampleSize) || resolved.sampleSize < 1) throw new Error(`invalid sampleSize ${resolved.sampleSize}`);
  if (!Number.isInteger(resolved.hiddenSize) || resolved.hiddenSize < SUMMARY_FEATURES.size) {
    throw new Error(`hiddenSize must be an integer of at least ${SUMMARY_FEATURES.size}, got ${resolved.hiddenSize}`);
  }
  return resolved;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes the demo Stable Diffusion 1.5-style ONNX pipeline into `outDir`, in the folder layout
 * and with the input/output names of a diffusers/Optimum export.
 */
export async function buildDemoModel(outDir: string, options: DemoModelOptions = {}): Promise<DemoModelInfo> {
  const resolved = resolveDemoModelOptions(options);
  const component = (name: string): string => join(outDir, name);
  for (const name of ['scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
    await mkdir(component(name), { recursive: true });
  }

  const tokenizer = component('tokenizer');
  await copyTokenizerFiles(options.tokenizerDir ?? findClipTokenizerAssets(), tokenizer);
  const vocab = await readVocab(tokenizer);

  const modelIndex = join(outDir, 'model_index.json');
  const schedulerConfig = join(component('scheduler'), 'scheduler_config.json');
  await writeJson(modelIndex, modelIndexJson());
  await writeJson(schedulerConfig, schedulerConfigJson(resolved.predictionType));
  await writeJson(join(component('text_encoder'), 'config.json'), textEncoderConfigJson(resolved.hiddenSize));
  await writeJson(join(component('unet'), 'config.json'), unetConfigJson(resolved));
  await writeJson(join(component('vae_decoder'), 'config.json'), vaeConfigJson(resolved));
  await writeJson(join(component('vae_encoder'), 'config.json'), vaeConfigJson(resolved));

  const textEncoder = await saveModel(
    buildTextEncoderGraph({ vocab, hiddenSize: resolved.hiddenSize }),
    join(component('text_encoder'), 'model.onnx'),
  );
  const unet = await saveModel(buildDemoUnetGraph(resolved), join(component('unet'), 'model.onnx'), {
    externalData: resolved.unetExternalData ? {} : false,
  });
  const vaeDecoder = await saveModel(buildVaeDecoderGraph(), join(component('vae_decoder'), 'model.onnx'));
  const vaeEncoder = await saveModel(buildVaeEncoderGraph(), join(component('vae_encoder'), 'model.onnx'));

  return {
    ...resolved,
    dir: outDir,
    paths: {
      modelIndex,
      schedulerConfig,
      tokenizer,
      textEncoder: textEncoder.modelPath,
      unet: unet.modelPath,
      unetExternalData: unet.externalDataPath,
      vaeDecoder: vaeDecoder.modelPath,
      vaeEncoder: vaeEncoder.modelPath,
    },
    defaultWidth: VAE_DOWNSCALE * resolved.sampleSize,
    defaultHeight: VAE_DOWNSCALE * resolved.sampleSize,
    scalingFactor: DEMO_SCALING_FACTOR,
    vocabulary: DEMO_VOCABULARY,
  };
}
