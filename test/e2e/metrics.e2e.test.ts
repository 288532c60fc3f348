import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

/** Sum of a metric's samples whose labels include `labels`. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (Object.entries(labels).every(([key, expected]) => (match[2] ?? '').includes(`${key}="${expected}"`))) total += Number(match[3]);
  }
  return total;
}

function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is required (Debian: apt-get install -y prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('metrics after real jobs: catalog series present, sane, and promtool-clean on both processes', () => {
  let fixture: FarmFixture;
  let apiText = '';
  let workerText = '';

  before(async () => {
    fixture = await startFarmFixture();
    const ids: string[] = [];
    for (const seed of [1, 2, 3]) {
      const created = await fixture.api.request<GenerationView>('POST', '/v1/generations', {
        model: 'demo-sd15', prompt: 'a blue square', img_width: 64, img_height: 64, num_inference_steps: 4, seed, webhook: { url: fixture.receiver.url },
      });
      ids.push(created.body.id);
    }
    for (const id of ids) await fixture.api.waitFor<GenerationView>(`/v1/generations/${id}`);
    await fixture.api.request('POST', '/v1/generations', { model: 'no-such-model', prompt: 'x' });
    await waitUntil(() => fixture.receiver.received.length >= 6, 10_000, 'webhooks');
    apiText = await (await fetch(`${fixture.farm.apiUrl}/metrics`, { headers: { authorization: `Bearer ${fixture.farm.apiKey}` } })).text();
    workerText = await (await fetch(fixture.farm.workers[0].metricsUrl)).text();
  });
  after(async () => {
    await fixture?.stop();
  });

  it('the worker reports images, timings, steps and its session pool', () => {
    assert.equal(value(workerText, 'atelier_images_generated_total', { model_family: 'sd1' }), 3);
    assert.equal(value(workerText, 'atelier_jobs_completed_total', { job_type: 'generation', outcome: 'succeeded' }), 3);
    assert.equal(value(workerText, 'atelier_job_inference_seconds_count'), 3);
    assert.ok(value(workerText, 'atelier_job_inference_seconds_sum') > 0);
    assert.equal(value(workerText, 'atelier_job_queue_wait_seconds_count'), 3);
    assert.equal(value(workerText, 'atelier_denoising_step_seconds_count'), 3);
    assert.ok(value(workerText, 'atelier_session_pool_sessions') >= 3, 'text encoder, UNet and VAE decoder loaded');
    assert.ok(value(workerText, 'atelier_session_pool_bytes') > 0);
    assert.ok(value(workerText, 'atelier_session_pool_misses_total') >= 3);
    assert.ok(value(workerText, 'atelier_session_pool_hits_total') >= 6, 'later jobs reuse the sessions');
    assert.equal(value(workerText, 'atelier_worker_busy_jobs'), 0);
    assert.equal(value(workerText, 'atelier_build_info'), 1);
  });

  it('the API reports requests, submissions, queue depth, workers and webhook deliveries', () => {
    assert.equal(value(apiText, 'atelier_generations_submitted_total', { kind: 'single' }), 3);
    assert.ok(value(apiText, 'atelier_http_requests_total', { method: 'POST', status_class: '2xx' }) >= 3);
    assert.ok(value(apiText, 'atelier_http_requests_total', { method: 'POST', status_class: '4xx' }) >= 1);
    assert.equal(value(apiText, 'atelier_queue_jobs', { queue: 'generation', state: 'completed' }), 3);
    assert.equal(value(apiText, 'atelier_queue_jobs', { queue: 'generation', state: 'waiting' }), 0);
    assert.equal(value(apiText, 'atelier_workers_alive', { worker_class: 'default' }), 1);
    assert.ok(value(apiText, 'atelier_webhook_deliveries_total', { outcome: 'delivered' }) >= 6);
    assert.ok(value(apiText, 'atelier_webhook_delivery_seconds_count') >= 6);
  });

  it('passes promtool check metrics (naming and format) on both processes', () => {
    for (const [name, text] of [['api', apiText], ['worker', workerText]] as const) {
      const { status, output } = promtoolCheck(text);
      // prom-client's own nodejs_active_* gauges end in _total; promtool flags exactly those.
      const problems = output.split('\n').filter((line) => line.trim() && !/nodejs_active_(handles|requests|resources)_total/.test(line));
      assert.deepEqual(problems, [], `${name}: ${output}`);
      assert.ok(status === 0 || problems.length === 0);
    }
  });
});
