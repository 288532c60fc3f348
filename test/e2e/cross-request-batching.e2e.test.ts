import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng } from '../support/png.js';

/** DDIM ends on σ_min on the demo model, so every picture keeps its own seed's noise: a seed or prompt given to the wrong image shows. */
const COMPATIBLE = { model: 'demo-sd15', img_width: 64, img_height: 64, num_inference_steps: 6, scheduler: 'DDIM', guidance_scale: 7.5 } as const;
const REQUESTS = [
  { ...COMPATIBLE, prompt: 'a red circle on a blue background', seed: 101 },
  { ...COMPATIBLE, prompt: 'a green square on a white background', negative_prompt: 'blurry', seed: 202 },
  { ...COMPATIBLE, prompt: 'a yellow triangle on a black background', seed: 303, output_format: 'webp' },
  { ...COMPATIBLE, prompt: 'a red circle on a blue background', seed: 404 },
];
/** Long enough (150 steps of a batch of 4 at 1024²) for a cancel to land mid-batch. */
const SLOW = { ...COMPATIBLE, img_width: 1024, img_height: 1024, num_inference_steps: 150 } as const;

async function metricValue(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(url)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (Object.entries(labels).every(([key, value]) => (match[2] ?? '').includes(`${key}="${value}"`))) total += Number(match[3]);
  }
  return total;
}

describe('batching across requests (real farm: one worker, Redis, s3rver)', () => {
  let fixture: FarmFixture;

  before(async () => {
    // A wide window so the four submissions below are all queued while the first job collects.
    fixture = await startFarmFixture({ BATCH_WINDOW_MS: '3000', MAX_CROSS_REQUEST_BATCH: '4' });
  });
  after(async () => {
    await fixture?.stop();
  });

  const submit = async (body: object): Promise<string> => {
    const response = await fixture.api.request<GenerationView>('POST', '/v1/generations', body);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body.id;
  };
  const done = (id: string): Promise<GenerationView> => fixture.api.waitFor<GenerationView>(`/v1/generations/${id}`, undefined, 240_000);
  const outputBytes = async (view: GenerationView): Promise<Buffer> => Buffer.from(await (await fetch(view.outputs[0].url as string)).arrayBuffer());

  it('4 compatible jobs submitted at once run as one UNet batch, each output equal to the job run alone; an incompatible job does not join', async () => {
    const metrics = fixture.farm.workers[0].metricsUrl;
    const batchesBefore = await metricValue(metrics, 'atelier_unet_batch_size_bucket', { le: '4' }) - (await metricValue(metrics, 'atelier_unet_batch_size_bucket', { le: '3' }));
    const ids = await Promise.all(REQUESTS.map((request) => submit(request)));
    const other = await submit({ ...REQUESTS[0], num_inference_steps: 7 });
    const batched = await Promise.all(ids.map(done));
    const alone = await done(other);
    for (const view of [...batched, alone]) assert.equal(view.status, 'succeeded', JSON.stringify(view.error));
    assert.deepEqual(
      batched.map((view) => view.timings.batch_size),
      [4, 4, 4, 4],
      'the four ran in one batch',
    );
    assert.equal(alone.timings.batch_size, 1, 'a job with other steps never joins');
    const batchedAfter = await metricValue(metrics, 'atelier_unet_batch_size_bucket', { le: '4' }) - (await metricValue(metrics, 'atelier_unet_batch_size_bucket', { le: '3' }));
    assert.equal(batchedAfter - batchesBefore, 4, 'atelier_unet_batch_size observed 4 once per job of the batch');

    // The same requests one at a time: each runs alone and gives the same bytes and pixels.
    for (const [index, request] of REQUESTS.entries()) {
      const solo = await done(await submit(request));
      assert.equal(solo.status, 'succeeded', JSON.stringify(solo.error));
      assert.equal(solo.timings.batch_size, 1);
      assert.equal(solo.outputs[0].seed, batched[index].outputs[0].seed);
      const [batchedBytes, soloBytes] = await Promise.all([outputBytes(batched[index]), outputBytes(solo)]);
      assert.ok(batchedBytes.equals(soloBytes), `request ${index}: output bytes differ from the job run alone`);
    }
    const [red, green] = await Promise.all([outputBytes(batched[0]), outputBytes(batched[1])]);
    assert.notDeepEqual(decodePng(red).rgba, decodePng(green).rgba, 'each job got its own prompt');
  });

  it('canceling one job of a running batch ends it canceled; the others succeed', async () => {
    const ids = await Promise.all([0, 1, 2, 3].map((index) => submit({ ...SLOW, prompt: REQUESTS[index].prompt, seed: 500 + index })));
    const target = ids[2];
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${target}`, (body) => body.status === 'running' && body.progress.step >= 1, 240_000);
    const cancel = await fixture.api.request<GenerationView>('POST', `/v1/generations/${target}/cancel`);
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    const canceled = await done(target);
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.outputs.length, 0);
    assert.ok(canceled.progress.step < SLOW.num_inference_steps, `stopped early, at step ${canceled.progress.step}`);
    for (const id of ids.filter((id) => id !== target)) {
      const view = await done(id);
      assert.equal(view.status, 'succeeded', JSON.stringify(view.error));
      assert.equal(view.timings.batch_size, 4);
      assert.equal(view.outputs.length, 1);
      assert.deepEqual(view.progress, { step: SLOW.num_inference_steps, total: SLOW.num_inference_steps });
    }
  });
});
