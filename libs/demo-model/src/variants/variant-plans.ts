import type { GraphBuilder } from '@atelier/onnx-graph';
import { modelIndexJson, schedulerConfigJson, textEncoderConfigJson, unetConfigJson, vaeConfigJson } from '../component-configs.js';
import { DEMO_SCALING_FACTOR } from '../noise-schedule.js';
import { buildDemoUnetGraph } from '../unet-graph.js';
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from '../vae-graphs.js';
import { buildInpaintUnetGraph } from './inpaint-unet.js';
import { buildLcmUnetGraph } from './lcm-unet.js';
import { SDXL_SCALING_FACTOR } from './sdxl-time-ids.js';
import { SDXL_TEXT_2_WIDTH, SDXL_TEXT_WIDTH, buildSdxlUnetGraph, type SdxlUnetKind } from './sdxl-unet.js';
import { buildVariantTextEncoderGraph, type TextEncoderLayout } from './text-encoder-variants.js';
import {
  SDXL_TEXT_2_LAYERS,
  SDXL_TEXT_LAYERS,
  eulerSchedulerJson,
  float16TextEncoderConfigJson,
  inpaintModelIndexJson,
  inpaintUnetConfigJson,
  lcmModelIndexJson,
  lcmSchedulerJson,
  lcmUnetConfigJson,
  projectionTextEncoderConfigJson,
  sdxlModelIndexJson,
  sdxlTextEncoderConfigJson,
  sdxlUnetConfigJson,
  sdxlVaeConfigJson,
  wildModelIndexJson,
} from './variant-configs.js';
import { buildWildUnetGraph, buildWildVaeDecoderGraph, buildWildVaeEncoderGraph } from './wild-graphs.js';

export const DEMO_VARIANTS = ['sdxl', 'sdxl-refiner', 'inpaint', 'lcm', 'fp16', 'wild-sd15'] as const;
export type DemoVariant = (typeof DEMO_VARIANTS)[number];

export type ComponentFolder = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder';
export type TokenizerFolder = 'tokenizer' | 'tokenizer_2';

export interface ComponentPlan {
  readonly folder: ComponentFolder;
  readonly graph: GraphBuilder;
  /** config.json beside model.onnx; null writes none. */
  readonly config: Record<string, unknown> | null;
}

/** Everything one variant folder holds, before anything is written. */
export interface VariantPlan {
  readonly description: string;
  readonly modelIndex: Record<string, unknown>;
  readonly scheduler: Record<string, unknown>;
  /** Tokenizer folders and whether each uses the `!`-padded OpenCLIP files. */
  readonly tokenizers: readonly { readonly folder: TokenizerFolder; readonly padBang: boolean }[];
  readonly components: readonly ComponentPlan[];
  readonly scalingFactor: number;
  /** Convert every component to float16 I/O and initializers before saving. */
  readonly float16: boolean;
}

export interface PlanInputs {
  readonly vocab: Readonly<Record<string, number>>;
  readonly sampleSize: number;
}

const SD15_HIDDEN = 768;

function textEncoder(folder: ComponentFolder, vocab: PlanInputs['vocab'], layout: TextEncoderLayout, config: ComponentPlan['config'], extra: { hiddenSize?: number; layers?: number; idType?: 'int32' | 'int64'; dims?: readonly [string, string] } = {}): ComponentPlan {
  return { folder, config, graph: buildVariantTextEncoderGraph({ vocab, layout, hiddenSize: extra.hiddenSize ?? SD15_HIDDEN, ...extra }) };
}

function sdxlPlan(kind: SdxlUnetKind, { vocab, sampleSize }: PlanInputs): VariantPlan {
  const refiner = kind === 'refiner';
  const encoder2 = textEncoder('text_encoder_2', vocab, 'projection-hidden-states', projectionTextEncoderConfigJson(), {
    hiddenSize: SDXL_TEXT_2_WIDTH,
    layers: SDXL_TEXT_2_LAYERS,
  });
  return {
    description: refiner
      ? 'Demo SDXL refiner (img2img, text_encoder_2 only, aesthetic-score time_ids): draws the coloured shapes its prompt names'
      : 'Demo SDXL base (two text encoders, text_embeds + time_ids): draws the coloured shapes its prompt names',
    modelIndex: sdxlModelIndexJson(kind),
    scheduler: eulerSchedulerJson(),
    tokenizers: refiner ? [{ folder: 'tokenizer_2', padBang: true }] : [{ folder: 'tokenizer', padBang: false }, { folder: 'tokenizer_2', padBang: true }],
    components: [
      ...(refiner
        ? []
        : [textEncoder('text_encoder', vocab, 'clip-hidden-states', sdxlTextEncoderConfigJson(), { hiddenSize: SDXL_TEXT_WIDTH, layers: SDXL_TEXT_LAYERS })]),
      encoder2,
      { folder: 'unet', graph: buildSdxlUnetGraph(kind), config: sdxlUnetConfigJson(kind, sampleSize) },
      { folder: 'vae_decoder', graph: buildVaeDecoderGraph(), config: sdxlVaeConfigJson(sampleSize) },
      { folder: 'vae_encoder', graph: buildVaeEncoderGraph(), config: sdxlVaeConfigJson(sampleSize) },
    ],
    scalingFactor: SDXL_SCALING_FACTOR,
    float16: false,
  };
}

/** The SD 1.5 layout with a different UNet (and model index / scheduler). */
function sd15Plan(inputs: PlanInputs, parts: Pick<VariantPlan, 'description' | 'modelIndex' | 'scheduler'> & { unet: ComponentPlan; float16?: boolean }): VariantPlan {
  const vae = vaeConfigJson({ sampleSize: inputs.sampleSize });
  return {
    description: parts.description,
    modelIndex: parts.modelIndex,
    scheduler: parts.scheduler,
    tokenizers: [{ folder: 'tokenizer', padBang: false }],
    components: [
      textEncoder('text_encoder', inputs.vocab, 'clip', parts.float16 ? float16TextEncoderConfigJson(SD15_HIDDEN) : textEncoderConfigJson(SD15_HIDDEN)),
      parts.unet,
      { folder: 'vae_decoder', graph: buildVaeDecoderGraph(), config: vae },
      { folder: 'vae_encoder', graph: buildVaeEncoderGraph(), config: vae },
    ],
    scalingFactor: DEMO_SCALING_FACTOR,
    float16: parts.float16 ?? false,
  };
}

function wildPlan({ vocab }: PlanInputs): VariantPlan {
  return {
    description: 'Demo SD 1.5 as old conversion scripts export it (int32 input_ids, int64 timestep, no config.json, sampled VAE encoder)',
    modelIndex: wildModelIndexJson(),
    scheduler: schedulerConfigJson('epsilon'),
    tokenizers: [{ folder: 'tokenizer', padBang: false }],
    components: [
      textEncoder('text_encoder', vocab, 'last-hidden-state', null, { idType: 'int32', dims: ['batch', 'sequence'] }),
      { folder: 'unet', graph: buildWildUnetGraph(SD15_HIDDEN), config: null },
      { folder: 'vae_decoder', graph: buildWildVaeDecoderGraph(), config: null },
      { folder: 'vae_encoder', graph: buildWildVaeEncoderGraph(), config: null },
    ],
    scalingFactor: DEMO_SCALING_FACTOR,
    float16: false,
  };
}

export function planVariant(variant: DemoVariant, inputs: PlanInputs): VariantPlan {
  const { sampleSize } = inputs;
  switch (variant) {
    case 'sdxl':
      return sdxlPlan('base', inputs);
    case 'sdxl-refiner':
      return sdxlPlan('refiner', inputs);
    case 'inpaint':
      return sd15Plan(inputs, {
        description: 'Demo SD 1.5 inpainting (9-channel UNet): paints the prompt inside the mask and keeps the image outside',
        modelIndex: inpaintModelIndexJson(),
        scheduler: schedulerConfigJson('epsilon'),
        unet: { folder: 'unet', graph: buildInpaintUnetGraph(SD15_HIDDEN), config: inpaintUnetConfigJson(sampleSize, SD15_HIDDEN) },
      });
    case 'lcm':
      return sd15Plan(inputs, {
        description: 'Demo latent consistency model (LCMScheduler, guidance embedded via timestep_cond): draws the coloured shapes its prompt names',
        modelIndex: lcmModelIndexJson(),
        scheduler: lcmSchedulerJson(),
        unet: { folder: 'unet', graph: buildLcmUnetGraph(SD15_HIDDEN), config: lcmUnetConfigJson(sampleSize, SD15_HIDDEN) },
      });
    case 'fp16':
      return sd15Plan(inputs, {
        description: 'Demo SD 1.5 exported in float16 (fp16 inputs, outputs and weights): draws the coloured shapes its prompt names',
        modelIndex: { ...modelIndexJson(), _name_or_path: 'atelier/demo-sd15-fp16' },
        scheduler: schedulerConfigJson('epsilon'),
        unet: { folder: 'unet', graph: buildDemoUnetGraph({ predictionType: 'epsilon', hiddenSize: SD15_HIDDEN }), config: unetConfigJson({ sampleSize, hiddenSize: SD15_HIDDEN }) },
        float16: true,
      });
    case 'wild-sd15':
      return wildPlan(inputs);
  }
}
