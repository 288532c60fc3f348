import { Queue } from 'bullmq';
import type { GenerationView } from '@atelier/contracts';
import { createRedisConnection } from '@atelier/queue';
import { startLocalFarm } from '@atelier/local-services';
import { sized, type BenchOptions } from './bench-options.js';
import { benchTenant, type Headers } from './bench-tenant.js';
import { KeepAliveClient } from './keep-alive-client.js';
import { processCpuSeconds, redisCpuSeconds } from './process-cpu.js';
import { percentile, printTable } from './table.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 1, scheduler: 'Euler' };
const FINISHED = new Set(['succeeded', 'failed', 'canceled']);

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

/**
 * Submit→start latency with an idle worker, then submit throughput (API vs raw BullMQ `queue.add`
 * on the same Redis, same concurrency, alternating rounds, workers stopped so job execution does
 * not share the CPU with the submit path) and one large batch.
 */
export async function benchFarm(options: BenchOptions): Promise<void> {
  const farm = await startLocalFarm({ env: { LOG_LEVEL: 'error', PROGRESS_INTERVAL_MS: '250' } });
  try {
    const headers = await benchTenant(farm, 'bench');
    const submit = async (body: unknown): Promise<GenerationView> => {
      const response = await fetch(`${farm.apiUrl}/v1/generations`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as GenerationView;
    };

    await benchLatency(farm.apiUrl, headers, submit, sized(options, 100, 3));
    // The rest measures the submit path alone: queued jobs wait for a worker class with no live worker.
    await Promise.all(farm.workers.map((worker) => worker.stop()));
    const client = new KeepAliveClient(farm.apiUrl, sized(options, 32, 4));
    try {
      const submitLean = async (body: unknown): Promise<void> => {
        const response = await client.post('/v1/generations', headers, JSON.stringify(body));
        if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${JSON.stringify(response.body)}`);
      };
      await benchThroughput(farm.redisUrl, farm.api.child.pid, submitLean, options);
    } finally {
      client.close();
    }
    await benchBatch(farm.apiUrl, headers, sized(options, 10_000, 20));
  } finally {
    await farm.stop();
  }
}

async function benchLatency(apiUrl: string, headers: Headers, submit: (body: unknown) => Promise<GenerationView>, jobs: number): Promise<void> {
  const latencies: number[] = [];
  for (let index = 0; index < jobs; index++) {
    const accepted = await submit({ ...TINY, seed: index });
    let view = accepted;
    while (!FINISHED.has(view.status)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      view = (await (await fetch(`${apiUrl}/v1/generations/${accepted.id}`, { headers })).json()) as GenerationView;
    }
    if (view.started_at) latencies.push(Date.parse(view.started_at) - Date.parse(view.created_at));
  }
  latencies.sort((a, b) => a - b);
  printTable(`Submit → start latency, idle worker (${jobs} sequential jobs)`, ['p50 ms', 'p99 ms', 'max ms'], [[percentile(latencies, 50), percentile(latencies, 99), latencies.at(-1) ?? Number.NaN]]);
}

async function benchThroughput(redisUrl: string, apiPid: number | undefined, submit: (body: unknown) => Promise<void>, options: BenchOptions): Promise<void> {
  const total = sized(options, 2000, 20);
  const concurrency = sized(options, 32, 4);
  const rounds = sized(options, 5, 1);
  const connection = createRedisConnection(redisUrl);
  const raw = new Queue('bench-raw', { connection, prefix: 'bench' });
  let seed = 0;
  const api = (): Promise<number> => runConcurrent(total, concurrency, async () => void (await submit({ ...TINY, seed: seed++ })));
  const direct = (): Promise<number> => runConcurrent(total, concurrency, async (index) => void (await raw.add('raw', { v: 1, generationId: `raw-${seed++}-${index}`, submittedAt: new Date().toISOString() })));
  try {
    // Warm up both paths (JIT, connections), then alternate rounds so background load hits both alike.
    await runConcurrent(sized(options, 200, 2), concurrency, async () => void (await submit({ ...TINY, seed: seed++ })));
    await runConcurrent(sized(options, 200, 2), concurrency, async (index) => void (await raw.add('raw', { v: 1, generationId: `warm-${index}`, submittedAt: '' })));
    const apiRates: number[] = [];
    const rawRates: number[] = [];
    const apiCpu: number[] = [];
    const redisCpu = { api: [] as number[], raw: [] as number[] };
    // Rate of one round, with the CPU the API process and Redis spent on it (ms per request).
    const measure = async (path: () => Promise<number>, redisInto: number[], apiInto?: number[]): Promise<number> => {
      const [apiBefore, redisBefore] = [processCpuSeconds(apiPid), await redisCpuSeconds(connection)];
      const seconds = await path();
      const [apiAfter, redisAfter] = [processCpuSeconds(apiPid), await redisCpuSeconds(connection)];
      redisInto.push(((redisAfter - redisBefore) * 1000) / total);
      if (apiInto && apiBefore !== undefined && apiAfter !== undefined) apiInto.push(((apiAfter - apiBefore) * 1000) / total);
      return total / seconds;
    };
    for (let round = 0; round < rounds; round++) {
      apiRates.push(await measure(api, redisCpu.api, apiCpu));
      rawRates.push(await measure(direct, redisCpu.raw));
    }
    const best = (rates: number[]): number => Math.max(...rates);
    const median = (values: number[]): string => (values.length ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)].toFixed(3) : 'n/a');
    const row = (path: string, rates: number[], apiCpuMs: string, redisCpuMs: number[]): Array<string | number> => [
      path,
      best(rates).toFixed(0),
      rates.map((rate) => rate.toFixed(0)).join(' / '),
      ((1000 * concurrency) / best(rates)).toFixed(2),
      apiCpuMs,
      median(redisCpuMs),
    ];
    printTable(`Submit throughput (${total} requests, ${concurrency} in flight, same Redis, best of ${rounds} alternating rounds)`, ['path', 'requests/s', 'each round', 'mean ms per request', 'API CPU ms/request', 'Redis CPU ms/request'], [
      row('POST /v1/generations (auth, validate, record, enqueue; node:http keep-alive client)', apiRates, median(apiCpu), redisCpu.api),
      row('raw BullMQ queue.add', rawRates, '-', redisCpu.raw),
    ]);
    printTable('Submit throughput, API as a share of raw queue.add', ['API / raw'], [[`${((100 * best(apiRates)) / best(rawRates)).toFixed(0)}%`]]);
  } finally {
    await raw.obliterate({ force: true });
    await raw.close();
    connection.disconnect();
  }
}

async function benchBatch(apiUrl: string, headers: Headers, size: number): Promise<void> {
  const body = JSON.stringify({ requests: Array.from({ length: size }, (_, seed) => ({ ...TINY, seed })) });
  const started = performance.now();
  const response = await fetch(`${apiUrl}/v1/batches`, { method: 'POST', headers, body });
  if (response.status !== 202) throw new Error(`batch answered ${response.status}: ${await response.text()}`);
  await response.json();
  const seconds = (performance.now() - started) / 1000;
  printTable(`Batch submission (${size} requests in one POST /v1/batches)`, ['requests/s', 'total ms'], [[(size / seconds).toFixed(0), (seconds * 1000).toFixed(0)]]);
}
