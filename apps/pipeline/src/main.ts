import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  LoadedModel,
  SessionPool,
  StableDiffusionPipeline,
  decodeMask,
  decodeRgb,
  encodePng,
  formatInfotext,
  ipAdapterConditioning,
  readModelFolder,
  toRgb8,
} from '@atelier/diffusion';
import { resolvePromptText } from '@atelier/contracts';
import { parsePipelineArgs, pipelineUsage, wantsHelp } from './cli-options.js';

/**
 * `npm run pipeline -- --model DIR [--prompt ...]`: one generation in-process, no Redis, no API.
 * `--latents` and `--output-raw` exchange raw float32 arrays so that any other implementation
 * (diffusers) can be compared pixel for pixel.
 */
async function main(): Promise<void> {
  if (wantsHelp(process.argv.slice(2))) {
    console.log(pipelineUsage());
    return;
  }
  const options = parsePipelineArgs(process.argv.slice(2));
  const embeds = options.prompt_embeds;
  // With given prompt embeddings the folder need not have text encoders (diffusers' prompt_embeds).
  const model = await LoadedModel.open(await readModelFolder(path.resolve(options.model), undefined, { textEncoders: embeds ? 'optional' : 'required' }));
  // What the command line leaves out comes from the model: its size, and its variant's steps and guidance.
  const defaults = model.summary();
  const width = options.img_width ?? defaults.default_width;
  const height = options.img_height ?? defaults.default_height;
  const steps = options.num_inference_steps ?? defaults.default_steps;
  const guidanceScale = options.guidance_scale ?? defaults.default_guidance_scale;
  // The same prompt derivation as the farm's resolver; LoRAs (tags) are refused below: no adapter library here.
  const { conditioning: styled, loras } = resolvePromptText({ style: options.style, prompt: options.prompt, negative_prompt: options.negative_prompt, loras: [] });
  const readF32 = async (file: string): Promise<Float32Array> => new Float32Array(new Uint8Array(await readFile(file)).buffer);
  const latents = options.latents ? await readF32(options.latents) : undefined;
  const maxPixels = 8192 * 8192;
  const pipeline = new StableDiffusionPipeline(new SessionPool(options.execution_provider, Number.MAX_SAFE_INTEGER));
  const started = performance.now();
  const result = await pipeline.generate(model, {
    prompt: styled.prompt,
    negativePrompt: styled.negative_prompt,
    steps,
    guidanceScale,
    scheduler: options.scheduler,
    width,
    height,
    seeds: Array.from({ length: options.samples }, (_, index) => options.seed + index),
    latents,
    strength: options.strength,
    initImage: options.init_image ? await decodeRgb(await readFile(options.init_image), width, height, 'init_image', maxPixels) : undefined,
    maskImage: options.mask_image ? await decodeMask(await readFile(options.mask_image), width, height, 'mask_image', maxPixels) : undefined,
    loras,
    initLatentNoise: options.init_latent_noise ? await readF32(options.init_latent_noise) : undefined,
    promptEmbeds: embeds
      ? {
          sequence: embeds.tokens,
          prompt: await readF32(embeds.prompt),
          negative: embeds.negative ? await readF32(embeds.negative) : undefined,
          pooled: embeds.pooled ? await readF32(embeds.pooled) : undefined,
          negativePooled: embeds.negative_pooled ? await readF32(embeds.negative_pooled) : undefined,
        }
      : undefined,
    controlnets: await Promise.all(
      options.controlnet.map(async (spec) => ({
        model: path.resolve(spec.model),
        image: new Uint8Array(await readFile(spec.image)),
        conditioningScale: spec.scale,
        guidanceStart: spec.start,
        guidanceEnd: spec.end,
      })),
    ),
    guessMode: options.guess_mode,
    conditioning: options.ip_adapter
      ? [
          ipAdapterConditioning({
            model: path.resolve(options.ip_adapter),
            images: await Promise.all(options.ip_image.map(async (file) => new Uint8Array(await readFile(file)))),
            scale: options.ip_scale,
          }),
        ]
      : [],
  });
  await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
  for (const [index, image] of result.images.entries()) {
    const file = result.images.length === 1 ? options.out : options.out.replace(/(\.png)?$/, `-${index}.png`);
    const parameters = formatInfotext({
      prompt: styled.prompt,
      negativePrompt: styled.negative_prompt,
      steps,
      sampler: result.sampler,
      guidanceScale,
      seed: image.seed,
      width: image.width,
      height: image.height,
      model: model.id,
    });
    await writeFile(file, encodePng(toRgb8(image.pixels), image.width, image.height, { parameters }));
    console.log(`wrote ${path.resolve(file)} (${image.width}×${image.height}, seed ${image.seed})`);
  }
  if (options.output_raw) {
    const raw = new Float32Array(result.images.reduce((sum, image) => sum + image.pixels.length, 0));
    let offset = 0;
    for (const image of result.images) {
      raw.set(image.pixels, offset);
      offset += image.pixels.length;
    }
    await writeFile(options.output_raw, Buffer.from(raw.buffer));
    console.log(`wrote ${path.resolve(options.output_raw)} (float32 NHWC in [0,1])`);
  }
  const { stats } = result;
  console.log(
    `${result.sampler}, ${stats.steps} steps in ${(performance.now() - started).toFixed(0)} ms ` +
      `(UNet ${stats.unetMs.toFixed(0)} ms, outside UNet ${(stats.loopMs - stats.unetMs).toFixed(0)} ms)`,
  );
}

main().catch((error: unknown) => {
  // Coded errors (ControlNetError...) print their code first, so scripts can tell them apart.
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? `${error.code}: ` : '';
  console.error(error instanceof Error ? `${code}${error.message}` : error);
  process.exit(1);
});
