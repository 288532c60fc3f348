import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildDemoModel, type DemoModelInfo } from './build-demo-model.js';
import type { DemoPredictionType } from './denoiser-graph.js';
import { renderDemoTarget } from './render-demo-target.js';
import { eulerSample } from './testing/euler.js';
import { simpleInputIds } from './testing/demo-inputs.js';
import { seededNormal } from './testing/seeded-random.js';
import { TOKENIZER_FILES, findClipTokenizerAssets, readVocab } from './tokenizer-assets.js';

let root: string;
let info: DemoModelInfo;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'demo-model-'));
  info = await buildDemoModel(join(root, 'epsilon'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const readJson = async (path: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;

test('the folder layout and configs are those of an SD 1.5 ONNX export', async () => {
  assert.equal(info.defaultWidth, 256);
  assert.equal(info.defaultHeight, 256);
  assert.equal(info.predictionType, 'epsilon');
  const index = await readJson(info.paths.modelIndex);
  assert.equal(index._class_name, 'StableDiffusionPipeline');
  assert.deepEqual(index.tokenizer, ['transformers', 'CLIPTokenizer']);
  assert.deepEqual(index.unet, ['diffusers', 'UNet2DConditionModel']);

  const scheduler = await readJson(info.paths.schedulerConfig);
  assert.deepEqual(
    [scheduler.beta_schedule, scheduler.beta_start, scheduler.beta_end, scheduler.num_train_timesteps],
    ['scaled_linear', 0.00085, 0.012, 1000],
  );
  assert.deepEqual(
    [scheduler.prediction_type, scheduler.timestep_spacing, scheduler.steps_offset, scheduler.set_alpha_to_one],
    ['epsilon', 'leading', 1, false],
  );

  const textEncoder = await readJson(join(info.dir, 'text_encoder', 'config.json'));
  assert.deepEqual([textEncoder.hidden_size, textEncoder.max_position_embeddings, textEncoder.vocab_size], [768, 77, 49408]);
  const unet = await readJson(join(info.dir, 'unet', 'config.json'));
  assert.deepEqual([unet.in_channels, unet.out_channels, unet.sample_size, unet.cross_attention_dim], [4, 4, 32, 768]);
  for (const vae of ['vae_decoder', 'vae_encoder']) {
    const config = await readJson(join(info.dir, vae, 'config.json'));
    assert.deepEqual([config.scaling_factor, config.latent_channels, (config.block_out_channels as unknown[]).length], [0.18215, 4, 4]);
  }

  const assets = findClipTokenizerAssets();
  for (const file of TOKENIZER_FILES) {
    assert.deepEqual(await readFile(join(info.paths.tokenizer, file)), await readFile(join(assets, file)), file);
  }
  assert.equal(info.paths.unetExternalData, join(info.dir, 'unet', 'model.onnx_data'));
  assert.ok(info.vocabulary.colours.red && info.vocabulary.shapes.ball === 'circle');
});

test('each component loads from disk (the UNet with external data) with its export I/O', async () => {
  const expected: Record<string, unknown[][]> = {
    [info.paths.textEncoder]: [['input_ids', 'int64', ['batch_size', 'sequence_length']], ['last_hidden_state', 'float32', ['batch_size', 'sequence_length', 768]], ['pooler_output', 'float32', ['batch_size', 768]]],
    [info.paths.unet]: [['sample', 'float32', ['batch_size', 4, 'height', 'width']], ['timestep', 'float32', []], ['encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', 768]], ['out_sample', 'float32', ['batch_size', 4, 'height', 'width']]],
    [info.paths.vaeDecoder]: [['latent_sample', 'float32', ['batch_size', 4, 'latent_height', 'latent_width']], ['sample', 'float32', ['batch_size', 3, 'height', 'width']]],
    [info.paths.vaeEncoder]: [['sample', 'float32', ['batch_size', 3, 'sample_height', 'sample_width']], ['latent_parameters', 'float32', ['batch_size', 8, 'h', 'w']]],
  };
  for (const [path, values] of Object.entries(expected)) {
    const session = await ort.InferenceSession.create(path);
    try {
      const describe = (m: ort.InferenceSession.ValueMetadata): unknown[] => (m.isTensor ? [m.name, m.type, m.shape] : [m.name]);
      assert.deepEqual([...session.inputMetadata, ...session.outputMetadata].map(describe), values, path);
    } finally {
      await session.release();
    }
  }
});

/** Text encoder → Euler with classifier-free guidance → VAE decoder, as a pipeline runs them. */
async function generate(model: DemoModelInfo, prompt: string, guidance: number, width: number, height: number): Promise<Float32Array> {
  const vocab = await readVocab(model.paths.tokenizer);
  const [textEncoder, unet, decoder] = await Promise.all(
    [model.paths.textEncoder, model.paths.unet, model.paths.vaeDecoder].map((path) => ort.InferenceSession.create(path)),
  );
  try {
    const ids = new BigInt64Array(2 * 77);
    ids.set(simpleInputIds(vocab, ''), 0);
    ids.set(simpleInputIds(vocab, prompt), 77);
    const encoded = await textEncoder.run({ input_ids: new ort.Tensor('int64', ids, [2, 77]) });
    const hidden = encoded.last_hidden_state;
    encoded.pooler_output.dispose();

    const [h, w] = [height / 8, width / 8];
    const plane = 4 * h * w;
    const normal = seededNormal(42);
    const noise = Float64Array.from({ length: plane }, () => normal());
    const latent = await eulerSample(noise, 12, model.predictionType, async (input, timestep) => {
      const doubled = new Float32Array(2 * plane);
      doubled.set(input, 0);
      doubled.set(input, plane);
      const result = await unet.run({
        sample: new ort.Tensor('float32', doubled, [2, 4, h, w]),
        timestep: new ort.Tensor('float32', Float32Array.of(timestep), []),
        encoder_hidden_states: hidden,
      });
      const out = result.out_sample.data as Float32Array;
      const guided = new Float32Array(plane).map((_, i) => out[i] + guidance * (out[plane + i] - out[i]));
      result.out_sample.dispose();
      return guided;
    });
    hidden.dispose();

    const decoded = await decoder.run({
      latent_sample: new ort.Tensor('float32', Float32Array.from(latent, (v) => v / model.scalingFactor), [1, 4, h, w]),
    });
    const image = (decoded.sample.data as Float32Array).map((v) => Math.min(Math.max(v / 2 + 0.5, 0), 1));
    decoded.sample.dispose();
    return image;
  } finally {
    await Promise.all([textEncoder.release(), unet.release(), decoder.release()]);
  }
}

for (const predictionType of ['epsilon', 'v_prediction'] as const satisfies readonly DemoPredictionType[]) {
  test(`${predictionType}: text encoder + guided sampling + VAE decoder paint the reference picture`, async () => {
    const model = predictionType === 'epsilon' ? info : await buildDemoModel(join(root, 'v'), { predictionType, hiddenSize: 32 });
    const prompt = 'a red circle on a blue background';
    const [width, height] = [64, 48];
    const image = await generate(model, prompt, 7.5, width, height);
    const reference = renderDemoTarget(prompt, width, height, { guidanceScale: 7.5 });
    let worst = 0;
    for (let i = 0; i < image.length; i++) worst = Math.max(worst, Math.abs(image[i] - reference.data[i]));
    assert.ok(worst < 1e-4, `largest pixel difference ${worst}`);
    const centre = [0, 1, 2].map((c) => image[(c * height + height / 2) * width + width / 2]);
    assert.deepEqual(centre.map((v) => Math.round(v * 255)), [255, 0, 0]);
  });
}
