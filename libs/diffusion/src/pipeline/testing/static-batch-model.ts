import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appendExactDenoiser, type DemoPredictionType } from '@atelier/demo-model';
import { demoTargetLatent } from '@atelier/demo-model';
import { UNET_IO } from '@atelier/demo-model';
import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { LoadedModel } from '../../models/loaded-model.js';
import { readModelFolder } from '../../models/model-folder.js';

export interface StaticBatchModelOptions {
  /** A demo model folder to copy (tokenizer, text encoder, VAE, scheduler config). */
  readonly sourceDir: string;
  readonly targetDir: string;
  readonly predictionType: DemoPredictionType;
  /** The prompt whose picture the fixed-target UNet denoises towards. */
  readonly prompt: string;
  readonly latentWidth: number;
  readonly latentHeight: number;
  readonly hiddenSize?: number;
}

/**
 * A copy of a demo model whose UNet declares a static batch of 1 on `sample` and
 * `encoder_hidden_states`: ONNX Runtime rejects any call with batch 2 ("invalid dimensions"),
 * so a generation that succeeds on it provably ran every UNet pass unbatched. The UNet is an
 * exact denoiser of the prompt's picture at one latent size, independent of the text.
 */
export async function writeStaticBatchModel(options: StaticBatchModelOptions): Promise<LoadedModel> {
  await cp(options.sourceDir, options.targetDir, { recursive: true });
  const unetDir = path.join(options.targetDir, 'unet');
  await rm(path.join(unetDir, 'model.onnx_data'), { force: true });

  const { latentWidth: width, latentHeight: height } = options;
  const g = new GraphBuilder({ name: 'static_batch_exact_denoiser' });
  const ops = new Ops(g);
  const sample = g.input(UNET_IO.sample, 'float32', [1, 4, height, width]);
  const timestep = g.input(UNET_IO.timestep, 'float32', []);
  g.input(UNET_IO.encoderHiddenStates, 'float32', [1, 'sequence_length', options.hiddenSize ?? 768]);
  const x0 = g.initializer(float32Literal(demoTargetLatent(options.prompt, width, height), [1, 4, height, width]), 'target');
  const out = appendExactDenoiser(ops, { sample, timestep, x0 }, options.predictionType);
  g.output(UNET_IO.output, 'float32', [1, 4, height, width], out);
  await writeFile(path.join(unetDir, 'model.onnx'), g.encode().model);
  return LoadedModel.open(await readModelFolder(options.targetDir, `${path.basename(options.targetDir)}`));
}
