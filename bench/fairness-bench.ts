import type { GenerationView } from '@atelier/contracts';
import { startLocalFarm } from '@atelier/local-services';
import { sized, type BenchOptions } from './bench-options.js';
import { printTable } from './table.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 1, scheduler: 'Euler' };

/** One tenant's large batch and another tenant's single job: how long the single job waits. */
export async function benchFairness(options: BenchOptions): Promise<void> {
  const farm = await startLocalFarm({ env: { LOG_LEVEL: 'error' } });
  try {
    const admin = { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json' };
    const keyFor = async (tenant: string): Promise<Record<string, string>> => {
      const response = await fetch(`${farm.apiUrl}/v1/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ tenant, scopes: ['generate'] }) });
      const { key } = (await response.json()) as { key: string };
      return { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    };
    const big = await keyFor('bench-big');
    const small = await keyFor('bench-small');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const batchSize = sized(options, 300, 5);
    const started = Date.now();
    const batch = (await (await fetch(`${farm.apiUrl}/v1/batches`, { method: 'POST', headers: big, body: JSON.stringify({ requests: Array.from({ length: batchSize }, (_, seed) => ({ ...TINY, seed })) }) })).json()) as { id: string };
    const single = (await (await fetch(`${farm.apiUrl}/v1/generations`, { method: 'POST', headers: small, body: JSON.stringify(TINY) })).json()) as GenerationView;
    let view = single;
    while (view.status !== 'succeeded' && view.status !== 'failed') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      view = (await (await fetch(`${farm.apiUrl}/v1/generations/${single.id}`, { headers: small })).json()) as GenerationView;
    }
    let batchView = { status: 'running', counts: { succeeded: 0 } };
    while (batchView.status !== 'completed') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      batchView = (await (await fetch(`${farm.apiUrl}/v1/batches/${batch.id}`, { headers: big })).json()) as typeof batchView;
    }
    printTable(`Fairness: tenant B's single request while tenant A's ${batchSize}-image batch runs (1 worker)`, ['B queue wait ms', 'B end-to-end ms', 'A batch duration ms'], [
      [view.timings.queue_wait_ms ?? Number.NaN, view.timings.total_ms ?? Number.NaN, Date.now() - started],
    ]);
  } finally {
    await farm.stop();
  }
}
