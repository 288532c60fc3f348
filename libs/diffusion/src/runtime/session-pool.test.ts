import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { stat } from 'node:fs/promises';
import { ensureDemoModel } from '@atelier/demo-model';
import { GraphBuilder, float32Literal, int64Literal, saveModel } from '@atelier/onnx-graph';
import { EXECUTION_DEVICES, UnsupportedExecutionDeviceError, supportedDevices } from '@atelier/contracts';
import { ExecutionProviderUnavailableError } from './execution-providers.js';
import { SessionPool, type LoadedBytes, type PoolSource, type SessionPoolStats } from './session-pool.js';

/** y = x + c, with c large enough that each model file is ~`floats`×4 bytes. */
async function writeAddModel(dir: string, name: string, constant: number, floats: number): Promise<string> {
  const graph = new GraphBuilder({ name });
  const x = graph.input('x', 'float32', [floats]);
  const c = graph.initializer(float32Literal(new Float32Array(floats).fill(constant), [floats]), 'c');
  const [y] = graph.node('Add', [x, c]);
  graph.output('y', 'float32', [floats], y);
  const file = path.join(dir, name, 'model.onnx');
  await saveModel(graph, file, { externalData: false });
  return file;
}

async function run(pool: SessionPool, file: string): Promise<number> {
  const lease = await pool.acquire(file);
  try {
    const output = await lease.session.run({ x: new ort.Tensor('float32', new Float32Array(1024), [1024]) });
    return (output.y.data as Float32Array)[0];
  } finally {
    lease.release();
  }
}

describe('SessionPool', () => {
  let dir: string;
  const files: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'session-pool-'));
    for (const [index, name] of ['a', 'b', 'c'].entries()) files.push(await writeAddModel(dir, name, index + 1, 1024));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('shares one load between concurrent requests and counts hits and misses', async () => {
    const pool = new SessionPool('cpu', 1024 ** 3);
    const results = await Promise.all([run(pool, files[0]), run(pool, files[0]), run(pool, files[0])]);
    assert.deepEqual(results, [1, 1, 1]);
    assert.equal(pool.stats.misses, 1);
    assert.equal(pool.stats.hits, 2);
    assert.equal(pool.stats.sessions, 1);
    await pool.close();
  });

  it('evicts the least recently used idle session beyond the byte budget', async () => {
    const changes: SessionPoolStats[] = [];
    const evicted: string[] = [];
    // Room for two of the ~4 KiB models, not three.
    const pool = new SessionPool('cpu', 10_000, { onEvict: (file) => evicted.push(path.basename(path.dirname(file))), onChange: (stats) => changes.push({ ...stats }) });
    assert.equal(await run(pool, files[0]), 1);
    assert.equal(await run(pool, files[1]), 2);
    assert.equal(await run(pool, files[0]), 1); // a is now more recent than b
    assert.equal(await run(pool, files[2]), 3);
    assert.deepEqual(evicted, ['b']);
    assert.equal(pool.stats.sessions, 2);
    assert.ok(pool.stats.loadedBytes <= 10_000);
    assert.equal(await run(pool, files[1]), 2, 'an evicted component loads again on demand');
    assert.equal(pool.stats.evictions, 2);
    assert.ok(changes.length >= 4);
    await pool.close();
  });

  it('never evicts a session that a job is still using', async () => {
    const pool = new SessionPool('cpu', 1);
    const held = await pool.acquire(files[0]);
    assert.equal(await run(pool, files[1]), 2);
    const output = await held.session.run({ x: new ort.Tensor('float32', new Float32Array(1024), [1024]) });
    assert.equal((output.y.data as Float32Array)[0], 1, 'the leased session still runs');
    held.release();
    assert.equal(pool.stats.sessions, 0, 'released sessions over budget are dropped');
    await pool.close();
  });

  it('reports a missing model file as an error, not a crash', async () => {
    const pool = new SessionPool('cpu', 1024 ** 3);
    await assert.rejects(pool.acquire(path.join(dir, 'missing', 'model.onnx')), /ENOENT|no such file/);
    await pool.close();
  });
});

const MiB = 1024 ** 2;

/**
 * A model file of a few hundred bytes whose session holds `floats` × 4 bytes: ONNX Runtime folds
 * the Tile of a one-element constant into a full-size tensor while it creates the session, as it
 * pre-packs or folds weights of real models.
 */
async function writeInflatingModel(dir: string, name: string, floats: number): Promise<string> {
  const graph = new GraphBuilder({ name });
  const x = graph.input('x', 'float32', [floats]);
  const one = graph.initializer(float32Literal(new Float32Array([0.5]), [1]), 'one');
  const repeats = graph.initializer(int64Literal([floats], [1]), 'repeats');
  const [tiled] = graph.node('Tile', [one, repeats]);
  const [y] = graph.node('Add', [x, tiled]);
  graph.output('y', 'float32', [floats], y);
  const file = path.join(dir, name, 'model.onnx');
  await saveModel(graph, file, { externalData: false });
  return file;
}

describe('SessionPool byte accounting', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'session-pool-bytes-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('counts the demo UNet\'s weights on disk, its external data file included', async () => {
    const demo = await ensureDemoModel(path.join(dir, 'demo'));
    const unet = path.join(demo, 'unet', 'model.onnx');
    const external = path.join(demo, 'unet', 'model.onnx_data');
    const onDisk = (await stat(unet)).size + (await stat(external)).size;
    const loads: Array<{ bytes: number; detail: LoadedBytes }> = [];
    const pool = new SessionPool('cpu', 1024 ** 3, { onLoad: (_file, _seconds, bytes, detail) => loads.push({ bytes, detail }) });
    const lease = await pool.acquire(unet);
    lease.release();
    assert.equal(loads.length, 1);
    assert.equal(loads[0].detail.diskBytes, onDisk);
    assert.ok(loads[0].detail.rssDelta < 32 * MiB, 'the demo UNet holds no more than its weights');
    assert.equal(loads[0].bytes, onDisk, 'the pool counts the weights, external data included');
    assert.equal(pool.stats.loadedBytes, loads[0].bytes);
    await pool.close();
  });

  it('counts what a session holds in memory when that is more than its file', async () => {
    const file = await writeInflatingModel(dir, 'inflating', 32 * MiB);
    const loads: LoadedBytes[] = [];
    const pool = new SessionPool('cpu', 1024 ** 3, { onLoad: (_file, _seconds, _bytes, detail) => loads.push(detail) });
    const lease = await pool.acquire(file);
    const output = await lease.session.run({ x: new ort.Tensor('float32', new Float32Array(32 * MiB), [32 * MiB]) });
    assert.equal((output.y.data as Float32Array)[32 * MiB - 1], 0.5, 'the folded constant is really there');
    lease.release();
    assert.ok(loads[0].diskBytes < 1024, `the file is tiny (${loads[0].diskBytes} bytes)`);
    // 32 Mi floats are 128 MiB; allow for the allocator keeping less than it was given back.
    assert.ok(loads[0].rssDelta >= 100 * MiB, `memory grew by ${(loads[0].rssDelta / MiB).toFixed(0)} MiB`);
    assert.equal(pool.stats.loadedBytes, loads[0].rssDelta);
    await pool.close();
  });

  it('keeps only the sessions whose real bytes fit the budget', async () => {
    const first = await writeInflatingModel(dir, 'first', 32 * MiB);
    const second = await writeInflatingModel(dir, 'second', 32 * MiB);
    const evicted: string[] = [];
    // Both files together are under a KiB, but the two sessions hold over 200 MiB.
    const pool = new SessionPool('cpu', 200 * MiB, { onEvict: (file) => evicted.push(path.basename(path.dirname(file))) });
    (await pool.acquire(first)).release();
    assert.equal(pool.stats.sessions, 1);
    (await pool.acquire(second)).release();
    assert.deepEqual(evicted, ['first']);
    assert.equal(pool.stats.sessions, 1);
    assert.ok(pool.stats.loadedBytes <= 200 * MiB);
    await pool.close();
  });

  it('measures concurrent loads one at a time, so each is charged only its own growth', async () => {
    const small = await writeAddModel(dir, 'small', 1, 1024);
    const large = await writeInflatingModel(dir, 'large', 32 * MiB);
    const loads = new Map<string, LoadedBytes>();
    const pool = new SessionPool('cpu', 1024 ** 3, { onLoad: (file, _seconds, _bytes, detail) => loads.set(path.basename(path.dirname(file)), detail) });
    const leases = await Promise.all([pool.acquire(large), pool.acquire(small)]);
    for (const lease of leases) lease.release();
    assert.ok((loads.get('large')?.rssDelta ?? 0) >= 100 * MiB);
    assert.ok((loads.get('small')?.rssDelta ?? Infinity) < 64 * MiB, `the small model was charged ${((loads.get('small')?.rssDelta ?? 0) / MiB).toFixed(0)} MiB`);
    await pool.close();
  });
});

describe('SessionPool execution providers', () => {
  let dir: string;
  const files: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'session-pool-ep-'));
    files.push(await writeAddModel(dir, 'a', 1, 1024));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reports a GPU provider that fails on a model the CPU provider opens as unavailable, with its code and what the host needs', async () => {
    // A source that fails whenever a GPU provider is asked for, as a host without its libraries does.
    const pool = new SessionPool('cuda', 1024 ** 3);
    const gpuless: PoolSource = {
      key: 'gpuless',
      bytes: 4096,
      create: async (options) => {
        const names = (options.executionProviders ?? []).map((provider) => (typeof provider === 'string' ? provider : provider.name));
        if (names.some((name) => name !== 'cpu')) throw new Error('opaque loader failure');
        return ort.InferenceSession.create(files[0], options);
      },
    };
    await assert.rejects(pool.acquireSource('gpuless', async () => gpuless), (error: unknown) => {
      assert.ok(error instanceof ExecutionProviderUnavailableError);
      assert.equal(error.code, 'execution_provider_unavailable');
      assert.equal(error.provider, 'cuda');
      assert.ok(error.message.includes('CUDA 12'), error.message);
      return true;
    });
  });

  it('passes a broken model\'s own error through on a GPU provider: the CPU provider cannot open it either', async () => {
    const pool = new SessionPool('cuda', 1024 ** 3);
    const broken = new Error('broken model bytes');
    const source: PoolSource = { key: 'broken', bytes: 1, create: async () => Promise.reject(broken) };
    await assert.rejects(pool.acquireSource('broken', async () => source), (error: unknown) => error === broken);
  });

  it('refuses a device the platform does not support before loading anything', () => {
    const unsupported = EXECUTION_DEVICES.filter((device) => !supportedDevices().includes(device));
    for (const device of unsupported) assert.throws(() => new SessionPool(device, 1024 ** 3), UnsupportedExecutionDeviceError);
    for (const device of supportedDevices()) assert.equal(new SessionPool(device, 1024 ** 3).provider, device);
  });
});
