import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, float32Literal, saveModel } from '#libs/onnx-graph/src/index.js';
import { SessionPool, type SessionPoolStats } from './session-pool.js';

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
