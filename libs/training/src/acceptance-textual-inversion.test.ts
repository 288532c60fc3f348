/**
 * Acceptance: textual inversion by the built-in engine. The base is the trainable demo model with
 * a pretrained (frozen) residual layer, whose word embeddings evoke patterns; only the new token
 * "zxqti"'s vectors are learned, from magenta-and-green checkerboards captioned "a photo of zxqti".
 * The embedding file then goes through the REAL generation pipeline (an adapter library folder,
 * the text encoder's token table extended by @atelier/adapters, the token injected by name), and
 * the pictures are compared by mean squared error to the training images' mean.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { embeddingVectors } from '@atelier/adapters';
import { buildTrainableDemoModel } from '@atelier/demo-model';
import { DirectoryAdapterLibrary, LoadedModel, SessionPool, StableDiffusionPipeline, readModelFolder } from '@atelier/diffusion';
import { parseSafetensors } from '@atelier/model-formats';
import { BuiltInTextualInversionEngine } from './builtin/builtin-textual-inversion-engine.js';
import type { TrainingEvent, TrainingResult } from './engine/trainer-engine.js';
import { createTrainingJob } from './engine/training-job.js';
import { checkerboard, meanImage, meanSquaredError } from './testing/checkerboard.js';

const SIZE = 64;
const STEPS = 240;
const TOKEN = 'zxqti';
const dataset = Array.from({ length: 6 }, (_, i) => ({ name: `${TOKEN}/${i}.png`, image: checkerboard(SIZE, 16, 0.02 * (i % 3)), caption: `a photo of ${TOKEN}` }));
const target = meanImage(dataset.map((example) => example.image));

describe('acceptance: a textual-inversion embedding draws its concept through the real pipeline, by its token', () => {
  let baseDir: string;
  let adapterDir: string;
  let result: TrainingResult;
  const steps: Extract<TrainingEvent, { type: 'step' }>[] = [];
  const samples: Extract<TrainingEvent, { type: 'sample' }>[] = [];
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);

  before(async () => {
    baseDir = await mkdtemp(join(tmpdir(), 'atelier-ti-base-'));
    adapterDir = await mkdtemp(join(tmpdir(), 'atelier-ti-adapters-'));
    await buildTrainableDemoModel(baseDir, { weightTransposed: 'pretrained' });
    const job = createTrainingJob(
      'acceptance-ti',
      {
        method: 'textual_inversion',
        outputName: TOKEN,
        triggerWord: TOKEN,
        textualInversion: { placeholderToken: TOKEN, initializerToken: 'pattern', numVectors: 2 },
        baseModel: { id: 'demo-trainable-pretrained', dir: baseDir },
        maxTrainSteps: STEPS,
        learningRate: 0.1,
        lrScheduler: 'cosine',
        batchSize: 2,
        resolution: { width: SIZE, height: SIZE },
        seed: 7,
        sampleEvery: STEPS,
        samplePrompts: [`a photo of ${TOKEN}`],
        minSnrGamma: 5,
      },
      dataset,
    );
    const training = await new BuiltInTextualInversionEngine().prepare(job);
    result = await training.run({ onProgress: (event) => void (event.type === 'step' ? steps.push(event) : event.type === 'sample' && samples.push(event)) });
    await training.dispose();
    await mkdir(join(adapterDir, 'embeddings'), { recursive: true });
    await writeFile(join(adapterDir, 'embeddings', `${TOKEN}.safetensors`), result.safetensors);
  });
  after(async () => {
    await pool.close();
    await rm(baseDir, { recursive: true, force: true });
    await rm(adapterDir, { recursive: true, force: true });
  });

  async function draw(prompt: string, withLibrary: boolean): Promise<Float32Array> {
    const model = await LoadedModel.open(await readModelFolder(baseDir, 'pretrained'));
    const generated = await pipeline.generate(model, {
      prompt, negativePrompt: '', steps: 20, guidanceScale: 1, scheduler: 'Euler', width: SIZE, height: SIZE, seeds: [11],
      ...(withLibrary ? { adapterLibrary: new DirectoryAdapterLibrary([adapterDir]) } : {}),
    });
    return generated.images[0].pixels;
  }

  it('writes an A1111 embedding (emb_params [2, width]) the adapters loader reads', () => {
    const file = parseSafetensors(result.safetensors);
    assert.deepEqual([...file.tensors.keys()], ['emb_params']);
    const vectors = embeddingVectors({ name: TOKEN, file }, 'text_encoder', file.tensors.get('emb_params')!.shape[1]);
    assert.equal(vectors.length, 2);
    assert.equal(file.metadata.atelier_placeholder_token, TOKEN);
    assert.equal(file.metadata['modelspec.architecture'], 'stable-diffusion-v1/textual-inversion');
  });

  it('the loss went down', (t) => {
    assert.equal(steps.length, STEPS);
    const first = steps.slice(0, 30).reduce((sum, event) => sum + event.loss, 0) / 30;
    const last = steps.slice(-30).reduce((sum, event) => sum + event.loss, 0) / 30;
    t.diagnostic(`mean loss of steps 1–30: ${first.toExponential(3)}, of steps ${STEPS - 29}–${STEPS}: ${last.toExponential(3)}`);
    assert.ok(last < first / 3, `loss ${first.toExponential(2)} → ${last.toExponential(2)}`);
  });

  it('with the token the pipeline draws the concept; without the embedding (or the token) it does not', async (t) => {
    const withToken = meanSquaredError(await draw(`a photo of ${TOKEN}`, true), target);
    const noEmbedding = meanSquaredError(await draw(`a photo of ${TOKEN}`, false), target);
    const noToken = meanSquaredError(await draw('a photo of', true), target);
    t.diagnostic(`MSE to the training images: embedding + token ${withToken.toFixed(4)}, no embedding ${noEmbedding.toFixed(4)}, embedding without the token ${noToken.toFixed(4)}`);
    assert.ok(withToken < 0.3 * noEmbedding, `embedding + token ${withToken} vs no embedding ${noEmbedding}`);
    assert.ok(withToken < 0.3 * noToken, `embedding + token ${withToken} vs no token ${noToken}`);
  });

  it("the engine's preview is what the pipeline draws (training sees the model generation runs)", async (t) => {
    const preview = samples.at(-1)?.image;
    assert.ok(preview, 'a sample at the last step');
    const pixels = await draw(`a photo of ${TOKEN}`, true);
    let worst = 0;
    for (let i = 0; i < pixels.length; i++) worst = Math.max(worst, Math.abs(pixels[i] - preview.data[i]));
    t.diagnostic(`max pixel difference preview vs pipeline: ${worst.toExponential(2)}`);
    assert.ok(worst < 2e-3, `max pixel difference ${worst}`);
  });
});
