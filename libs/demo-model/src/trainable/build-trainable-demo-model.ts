import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveModel } from '@atelier/onnx-graph';
import { modelIndexJson, schedulerConfigJson, textEncoderConfigJson, unetConfigJson, vaeConfigJson } from '../component-configs.js';
import type { DemoPredictionType } from '../denoiser-graph.js';
import { DEMO_SCALING_FACTOR } from '../noise-schedule.js';
import { copyTokenizerFiles, findClipTokenizerAssets, readVocab } from '../tokenizer-assets.js';
import { VAE_DOWNSCALE, buildVaeDecoderGraph, buildVaeEncoderGraph } from '../vae-graphs.js';
import { pretrainedResidualWeight } from './pretrained-residual.js';
import { saveExportModel } from './save-export-model.js';
import {
  DEFAULT_PROMPT_EMBEDDING_SIZE,
  DEFAULT_RESIDUAL_SIDE,
  DEFAULT_TOKEN_EMBEDDING_SEED,
  PROMPT_EMBEDDING_OFFSET,
  RESIDUAL_CHANNELS,
  TRAINABLE_LAYER,
  TRAINABLE_MANIFEST_FILE,
  type TrainableDemoContract,
} from './trainable-contract.js';
import { buildTrainableTextEncoderGraph, specialTokenIds } from './trainable-text-encoder-graph.js';
import { buildTrainableUnetGraph } from './trainable-unet-graph.js';

export interface TrainableDemoModelOptions {
  readonly predictionType?: DemoPredictionType;
  /** Width of the prompt embedding e (default 32, 16–64). */
  readonly embeddingSize?: number;
  /** Latent side of the residual picture R (default 8: 64 × 64 pixels). */
  readonly residualSide?: number;
  /** Latent side the configs advertise (default: the residual side). */
  readonly sampleSize?: number;
  readonly hiddenSize?: number;
  readonly tokenEmbeddingSeed?: number;
  /** Base Wᵀ [in, out]; zeros by default, so the model draws exactly the demo pictures. */
  readonly weightTransposed?: Float32Array | 'pretrained';
  readonly tokenizerDir?: string;
}

export interface TrainableDemoModelInfo {
  readonly dir: string;
  readonly contract: TrainableDemoContract;
  readonly paths: {
    readonly textEncoder: string;
    readonly unet: string;
    readonly unetExternalData: string | null;
    readonly vaeDecoder: string;
    readonly vaeEncoder: string;
    readonly tokenizer: string;
    readonly manifest: string;
  };
  readonly defaultWidth: number;
  readonly defaultHeight: number;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

function checkedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

/**
 * Writes the trainable demo model (demo-sd15 layout, 64 × 64 by default): the demo pictures plus
 * a learned residual R = reshape(W·e), W being `/mid_block/attentions.0/proj_out/MatMul`'s
 * weight, so LoRAs trained on it change what prompts with their trigger word draw.
 */
export async function buildTrainableDemoModel(outDir: string, options: TrainableDemoModelOptions = {}): Promise<TrainableDemoModelInfo> {
  const residualSide = checkedInteger('residualSide', options.residualSide ?? DEFAULT_RESIDUAL_SIDE, 1, 64);
  const embeddingSize = checkedInteger('embeddingSize', options.embeddingSize ?? DEFAULT_PROMPT_EMBEDDING_SIZE, 1, 256);
  const sampleSize = checkedInteger('sampleSize', options.sampleSize ?? residualSide, 1, 512);
  const hiddenSize = checkedInteger('hiddenSize', options.hiddenSize ?? 768, PROMPT_EMBEDDING_OFFSET + embeddingSize, 4096);
  const predictionType = options.predictionType ?? 'epsilon';
  const contract: TrainableDemoContract = {
    builder: 'atelier-trainable-demo',
    version: 1,
    ...TRAINABLE_LAYER,
    embeddingOffset: PROMPT_EMBEDDING_OFFSET,
    embeddingSize,
    tokenEmbeddingSeed: options.tokenEmbeddingSeed ?? DEFAULT_TOKEN_EMBEDDING_SEED,
    residual: { channels: RESIDUAL_CHANNELS, height: residualSide, width: residualSide },
    scalingFactor: DEMO_SCALING_FACTOR,
    predictionType,
    hiddenSize,
  };

  const folder = (name: string): string => join(outDir, name);
  for (const name of ['scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) await mkdir(folder(name), { recursive: true });
  await copyTokenizerFiles(options.tokenizerDir ?? findClipTokenizerAssets(), folder('tokenizer'));
  const vocab = await readVocab(folder('tokenizer'));
  specialTokenIds(vocab);

  await writeJson(join(outDir, 'model_index.json'), { ...modelIndexJson(), _name_or_path: 'atelier/demo-sd15-trainable' });
  await writeJson(join(folder('scheduler'), 'scheduler_config.json'), schedulerConfigJson(predictionType));
  await writeJson(join(folder('text_encoder'), 'config.json'), textEncoderConfigJson(hiddenSize));
  await writeJson(join(folder('unet'), 'config.json'), unetConfigJson({ sampleSize, hiddenSize }));
  await writeJson(join(folder('vae_decoder'), 'config.json'), vaeConfigJson({ sampleSize }));
  await writeJson(join(folder('vae_encoder'), 'config.json'), vaeConfigJson({ sampleSize }));
  const manifest = join(outDir, TRAINABLE_MANIFEST_FILE);
  await writeJson(manifest, contract);
  await writeJson(join(outDir, 'atelier.json'), {
    description: 'Trainable demo model: the demo pictures plus a learned residual W·e (LoRA target mid_block.attentions.0.proj_out)',
  });

  const textEncoder = await saveModel(
    buildTrainableTextEncoderGraph({ vocab, hiddenSize, embeddingSize, seed: contract.tokenEmbeddingSeed }),
    join(folder('text_encoder'), 'model.onnx'),
  );
  const unet = await saveExportModel(
    buildTrainableUnetGraph({ ...contract, predictionType, weightTransposed: options.weightTransposed === 'pretrained' ? pretrainedResidualWeight(contract) : options.weightTransposed }),
    join(folder('unet'), 'model.onnx'),
    { externalData: true },
  );
  const vaeDecoder = await saveModel(buildVaeDecoderGraph(), join(folder('vae_decoder'), 'model.onnx'));
  const vaeEncoder = await saveModel(buildVaeEncoderGraph(), join(folder('vae_encoder'), 'model.onnx'));
  return {
    dir: outDir,
    contract,
    paths: {
      textEncoder: textEncoder.modelPath,
      unet: unet.modelPath,
      unetExternalData: unet.externalDataPath,
      vaeDecoder: vaeDecoder.modelPath,
      vaeEncoder: vaeEncoder.modelPath,
      tokenizer: folder('tokenizer'),
      manifest,
    },
    defaultWidth: VAE_DOWNSCALE * sampleSize,
    defaultHeight: VAE_DOWNSCALE * sampleSize,
  };
}
