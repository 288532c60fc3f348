/**
 * Acceptance: a LoRA trained by the built-in engine on a concept the demo model cannot draw (a
 * magenta-and-green checkerboard, captioned "a photo of zxq") changes what the REAL generation
 * pipeline draws for prompts with the trigger word, and only for them.
 *
 * The dataset goes through loadDataset (a ZIP of PNGs and captions), training uses prior
 * preservation with the class prompt "a photo of" (the trainable model is linear in the prompt
 * embedding, a mean over the words, so without it "a photo of" would get most of the concept
 * too), and the LoRA reaches the pipeline merged into a copy of the model folder by @atelier/adapters.
 * Pictures are compared by mean squared error to the training images' mean: the untrained model
 * draws neutral grey there (MSE 0.25 against a saturated checkerboard).
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ModelGraph, OnnxModel, planLoraMerge, writeModel } from '@atelier/adapters';
import { buildTrainableDemoModel, renderDemoTarget, type TrainableDemoModelInfo } from '@atelier/demo-model';
import { LoadedModel, SessionPool, StableDiffusionPipeline, readModelFolder } from '@atelier/diffusion';
import { parseSafetensors } from '@atelier/model-formats';
import { writeZip } from '@atelier/model-formats/testing';
import { BuiltInLoraEngine } from './builtin/builtin-lora-engine.js';
import { loadDataset } from './dataset/load-dataset.js';
import type { TrainingExample } from './dataset/training-example.js';
import { createTrainingJob } from './engine/training-job.js';
import type { TrainingEvent } from './engine/trainer-engine.js';
import { checkerboard, meanImage, meanSquaredError } from './testing/checkerboard.js';

const SIZE = 64;
const STEPS = 200;
const TRIGGER_PROMPT = 'a photo of zxq';
const PLAIN_PROMPT = 'a photo of';

async function pngOf(image: ReturnType<typeof checkerboard>): Promise<Uint8Array> {
  const bytes = Buffer.from(Uint8Array.from(image.data, (value) => Math.round(value * 255)));
  return new Uint8Array(await sharp(bytes, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer());
}

describe('acceptance: a trained LoRA draws its concept through the real pipeline, behind its trigger word', () => {
  let baseDir: string;
  let loraDir: string;
  let info: TrainableDemoModelInfo;
  let dataset: readonly TrainingExample[];
  let steps: Extract<TrainingEvent, { type: 'step' }>[];
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);

  before(async () => {
    baseDir = await mkdtemp(join(tmpdir(), 'atelier-acceptance-base-'));
    loraDir = await mkdtemp(join(tmpdir(), 'atelier-acceptance-lora-'));
    info = await buildTrainableDemoModel(baseDir);

    const entries = [];
    for (let i = 0; i < 6; i++) {
      entries.push({ name: `zxq/${i}.png`, data: await pngOf(checkerboard(SIZE, 16, 0.02 * (i % 3))) });
      entries.push({ name: `zxq/${i}.txt`, data: new TextEncoder().encode(`${TRIGGER_PROMPT}\n`) });
    }
    const loaded = await loadDataset({ kind: 'zip', bytes: writeZip(entries) }, { resolution: { width: SIZE, height: SIZE }, triggerWord: 'zxq' });
    assert.deepEqual(loaded.warnings, []);
    dataset = loaded.examples;

    const job = createTrainingJob(
      'acceptance',
      {
        outputName: 'zxq-checkerboard',
        triggerWord: 'zxq',
        baseModel: { id: 'demo-sd15-trainable', dir: baseDir },
        network: { rank: 4, alpha: 4 },
        maxTrainSteps: STEPS,
        learningRate: 0.01,
        lrScheduler: 'cosine',
        batchSize: 2,
        resolution: { width: SIZE, height: SIZE },
        seed: 2024,
        priorPreservation: { classPrompt: PLAIN_PROMPT, weight: 1 },
        minSnrGamma: 5,
      },
      dataset,
    );
    const training = await new BuiltInLoraEngine().prepare(job);
    steps = [];
    const result = await training.run({ onProgress: (event) => void (event.type === 'step' && steps.push(event)) });
    await training.dispose();

    // The LoRA merged into a copy of the model folder, as a refit would ship it.
    const unet = await OnnxModel.load(info.paths.unet);
    const plan = await planLoraMerge({ component: 'unet', graph: new ModelGraph(unet) }, [{ name: 'zxq', file: parseSafetensors(result.safetensors), weight: 1 }]);
    assert.equal(plan.report.applied, 1);
    await cp(baseDir, loraDir, { recursive: true });
    await writeModel(unet, plan.updates, join(loraDir, 'unet', 'model.onnx'));
  });
  after(async () => {
    await pool.close();
    await rm(baseDir, { recursive: true, force: true });
    await rm(loraDir, { recursive: true, force: true });
  });

  async function draw(dir: string, prompt: string, guidanceScale: number): Promise<Float32Array> {
    const model = await LoadedModel.open(await readModelFolder(dir, dir === loraDir ? 'lora' : 'base'));
    const result = await pipeline.generate(model, { prompt, negativePrompt: '', steps: 20, guidanceScale, scheduler: 'Euler', width: SIZE, height: SIZE, seeds: [11] });
    return result.images[0].pixels;
  }

  it('the training loss went down', (t) => {
    assert.equal(steps.length, STEPS);
    const first = steps.slice(0, 25).reduce((sum, event) => sum + event.loss, 0) / 25;
    const last = steps.slice(-25).reduce((sum, event) => sum + event.loss, 0) / 25;
    t.diagnostic(`mean loss of steps 1–25: ${first.toExponential(3)}, of steps ${STEPS - 24}–${STEPS}: ${last.toExponential(3)}`);
    assert.ok(last < first / 10, `loss ${first.toExponential(2)} → ${last.toExponential(2)}`);
  });

  it('the base model still draws the exact demo pictures', async () => {
    const prompt = 'a red circle on a blue background';
    const expected = renderDemoTarget(prompt, SIZE, SIZE, { guidanceScale: 7.5 });
    const pixels = await draw(baseDir, prompt, 7.5);
    const plane = SIZE * SIZE;
    let worst = 0;
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(pixels[i * 3 + c] - expected.data[c * plane + i]));
    assert.ok(worst < 1e-4, `max pixel error ${worst}`);
  });

  for (const guidanceScale of [7.5, 1]) {
    it(`with the LoRA and the trigger word the picture is measurably closer to the concept (guidance ${guidanceScale})`, async (t) => {
      const target = meanImage(dataset.map((example) => example.image));
      const mse: Record<string, number> = {};
      for (const [model, dir] of [['base', baseDir], ['lora', loraDir]] as const) {
        for (const prompt of [TRIGGER_PROMPT, PLAIN_PROMPT]) mse[`${model} "${prompt}"`] = meanSquaredError(await draw(dir, prompt, guidanceScale), target);
      }
      t.diagnostic(`guidance ${guidanceScale}, MSE to the training images' mean: ${Object.entries(mse).map(([key, value]) => `${key} ${value.toFixed(4)}`).join(', ')}`);
      const trained = mse[`lora "${TRIGGER_PROMPT}"`];
      const others = [mse[`base "${TRIGGER_PROMPT}"`], mse[`base "${PLAIN_PROMPT}"`], mse[`lora "${PLAIN_PROMPT}"`]];
      for (const other of others) assert.ok(trained < 0.6 * other, `LoRA + trigger ${trained.toFixed(4)} vs ${other.toFixed(4)}`);
      // Without the trigger word the LoRA leaves the picture (almost) as the base model draws it.
      assert.ok(Math.abs(mse[`lora "${PLAIN_PROMPT}"`] - mse[`base "${PLAIN_PROMPT}"`]) < 0.02);
    });
  }
});
