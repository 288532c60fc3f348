import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { findFreePort, waitForHttp } from '@atelier/local-services';
import { TestApiClient, waitUntil } from '../support/api-client.js';

const FARM_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../apps/farm/dist/main.js');
const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;

interface WorkerRow {
  id: string;
  pid: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start: the local farm restarts a worker that dies', () => {
  let farm: ChildProcess;
  let output = '';
  let api: TestApiClient;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'farm-supervision-'));
    const port = await findFreePort();
    const key = 'atl_supervision_test_key_0123456789';
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, MODELS_DIR: path.join(dataDir, 'models'), ATELIER_BOOTSTRAP_API_KEY: key, LOG_LEVEL: 'warn' };
    delete env.REDIS_URL; // npm start runs its own private Redis
    farm = spawn(process.execPath, [FARM_MAIN], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [farm.stdout, farm.stderr]) stream?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    api = new TestApiClient(`http://127.0.0.1:${port}`, key);
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000, () => farm.exitCode === null);
    await waitUntil(async () => /Atelier is running/.test(output), 180_000, 'the farm to be ready');
  });
  after(async () => {
    if (farm.exitCode === null && farm.signalCode === null) {
      farm.kill('SIGKILL');
      await new Promise((resolve) => farm.once('exit', resolve));
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const workers = async (): Promise<WorkerRow[]> => (await api.request<{ data: WorkerRow[] }>('GET', '/v1/workers')).body.data;

  it('SIGKILL of the worker: a new worker registers, jobs run, and Ctrl-C still stops everything', async () => {
    const [first] = await workers();
    assert.ok(first, 'one live worker');
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(async () => (await workers()).some((worker) => worker.pid !== first.pid && alive(worker.pid)), 120_000, 'a replacement worker');
    assert.match(output, new RegExp(`worker ${first.id} exited unexpectedly \\(signal SIGKILL\\); restarting in`));
    assert.equal(farm.exitCode, null, 'the farm kept running');

    const submitted = await api.request<GenerationView>('POST', '/v1/generations', TINY);
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));

    const replacement = (await workers()).find((worker) => worker.pid !== first.pid && alive(worker.pid));
    assert.ok(replacement);
    farm.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => farm.once('exit', (exitCode) => resolve(exitCode)));
    assert.equal(code, 0);
    assert.equal(alive(replacement.pid), false, 'the restarted worker stopped with the farm');
  });
});
