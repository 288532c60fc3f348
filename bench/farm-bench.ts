import { Queue } from 'bullmq';
import type { GenerationView } from '#libs/contracts/src/index.js';
import { createRedisConnection } from '#libs/queue/src/index.js';
import { startLocalFarm } from '#libs/local-services/src/index.js';
import { percentile, printTable } from './table.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 1, scheduler: 'Euler' };

async function runConcurrent(total: number, concurrency: number, task: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

/** Submit throughput (API vs raw BullMQ on the same Redis) and submit→start latency. */
export async function benchFarm(): Promise<void> {
  const farm = await startLocalFarm({ env: { LOG_LEVEL: 'error', PROGRESS_INTERVAL_MS: '250' } });
  try {
    const headers = { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json' };
    const submit = async (body: unknown): Promise<GenerationView> => {
      const response = await fetch(`${farm.apiUrl}/v1/generations`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as GenerationView;
    };

    // Latency with an idle worker: one job at a time, wait for it to finish before the next.
    const latencies: number[] = [];
    for (let index = 0; index < 40; index++) {
      const accepted = await submit({ ...TINY, seed: index });
      let view = accepted;
      while (!['succeeded', 'failed', 'canceled'].includes(view.status)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        view = (await (await fetch(`${farm.apiUrl}/v1/generations/${accepted.id}`, { headers })).json()) as GenerationView;
      }
      if (view.started_at) latencies.push(Date.parse(view.started_at) - Date.parse(view.created_at));
    }
    latencies.sort((a, b) => a - b);
    printTable('Submit → start latency, idle worker (40 sequential jobs)', ['p50 ms', 'p99 ms', 'max ms'], [
      [percentile(latencies, 50), percentile(latencies, 99), latencies.at(-1) ?? Number.NaN],
    ]);

    const total = 2000;
    const concurrency = 32;
    const apiSeconds = await runConcurrent(total, concurrency, async (index) => {
      await submit({ ...TINY, seed: index, num_inference_steps: 1 });
    });
    const connection = createRedisConnection(farm.redisUrl);
    const raw = new Queue('bench-raw', { connection, prefix: 'bench' });
    const rawSeconds = await runConcurrent(total, concurrency, async (index) => {
      await raw.add('raw', { v: 1, generationId: `raw-${index}`, submittedAt: new Date().toISOString() });
    });
    await raw.obliterate({ force: true });
    await raw.close();
    connection.disconnect();
    printTable(`Submit throughput (${total} requests, ${concurrency} in flight, same Redis)`, ['path', 'requests/s', 'mean ms per request'], [
      ['POST /v1/generations (validate, record, enqueue)', (total / apiSeconds).toFixed(0), ((apiSeconds * 1000 * concurrency) / total).toFixed(2)],
      ['raw BullMQ queue.add', (total / rawSeconds).toFixed(0), ((rawSeconds * 1000 * concurrency) / total).toFixed(2)],
    ]);
  } finally {
    await farm.stop();
  }
}
